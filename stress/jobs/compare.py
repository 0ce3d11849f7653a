"""Comparing rule variants on common random numbers.

Every variant runs the same replications (same root seed), so replication i of each
meets the same breaches and the same luck; the comparison pairs them replication by
replication. For each variant after the first and each tier: the paired difference
in the probability of reaching it (Newcombe's interval for paired proportions), an
exact McNemar test (Holm-adjusted across the variants), the difference in median time
to reach it, and how much narrower the paired interval is than two independent runs
would give.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from stress.statistics import intervals as stats
from stress.storage import folders as store
from stress.config.loading import ConfigError, apply_overrides, parse_assignment, read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.execution.ordered import ordered_results
from stress.model.params import compile_params
from stress.execution.pools import check_scheduler, chunk_tasks, make_pool, running
from stress.statistics.summary import TIERS, Accumulator, RunSummary, json_value, summarize

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Variant:
    name: str
    config: Config
    overrides: tuple[str, ...] = ()
    source: str = ""


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``'strict: tier2.threshold=2, tier2.window_days=7'`` -> ('strict', [...])."""
    name, sep, body = text.partition(":")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"--variant {text!r}: expected 'NAME: KEY=VALUE, KEY=VALUE' (NAME of letters, digits, _.-)")
    assignments = [a.strip() for a in re.split(r",\s*(?=[A-Za-z_][\w.]*\s*=)", body) if a.strip()]
    return name, assignments


def build_variants(configs: list[str | Path], variant_texts: Iterable[str], overrides: Iterable[str] = ()) -> list[Variant]:
    """Variants from --variant texts over one base scenario, or from several files."""
    variant_texts = list(variant_texts)
    overrides = list(overrides)
    if variant_texts and len(configs) > 1:
        raise ValueError("give either several scenario files or --variant options over one, not both")
    variants = []
    if variant_texts:
        base_raw, source = read_raw(configs[0] if configs else None)
        base_raw.pop("sweep", None)
        for text in variant_texts:
            name, assignments = parse_variant(text)
            pairs = [parse_assignment(a) for a in overrides + assignments]
            try:
                config = validate(apply_overrides(base_raw, pairs), source, [k for k, _ in pairs])
            except ConfigError as exc:
                raise ConfigError(f"variant {name!r}: {exc}") from None
            variants.append(Variant(name, config, tuple(overrides + assignments), source))
    else:
        from stress.config.loading import load_config
        for path in configs:
            variants.append(Variant(Path(path).stem, load_config(path, overrides), tuple(overrides), str(path)))
    if len(variants) < 2:
        raise ValueError("a comparison needs at least two variants (--variant twice, or two scenario files)")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names must differ: {', '.join(names)}")
    horizons = {v.config.scenario.horizon_days for v in variants}
    if len(horizons) > 1:
        raise ValueError("variants must share the horizon (scenario.horizon_days) to be compared")
    return variants


@dataclass(frozen=True)
class CompareResult:
    variants: list[Variant]
    summaries: list[RunSummary]
    table: pd.DataFrame          # one row per (variant after the first, tier)
    n: int
    seed: int
    path: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dicts(self) -> list[dict[str, Any]]:
        """The ``--json`` form: per variant after the first, its name and tiers."""
        out = []
        for variant in self.variants[1:]:
            rows = self.table[self.table["variant"] == variant.name]
            tiers = []
            for r in rows.to_dict(orient="records"):
                tiers.append({k: json_value(r[k]) for k in ("tier", "diff", "ci_low", "ci_high", "p_value", "p_value_raw",
                                                        "p_reference", "p_variant", "median_hours_diff",
                                                        "narrower_than_independent")})
            out.append({"name": variant.name, "reference": self.variants[0].name, "tiers": tiers})
        return out


def compare_table(variants: list[Variant], summaries: list[RunSummary], cells: np.ndarray) -> pd.DataFrame:
    """``cells[v, k]`` = (both, reference only, variant only, neither) reached tier k."""
    rows = []
    for v in range(1, len(variants)):
        for k, tier in enumerate(TIERS):
            both, ref_only, var_only, neither = (int(x) for x in cells[v, k])
            d = stats.paired_difference(both, ref_only, var_only, neither)
            ref_t = summaries[0].tiers.iloc[k]
            var_t = summaries[v].tiers.iloc[k]
            paired_width = d.ci_high - d.ci_low
            rows.append({
                "variant": variants[v].name, "reference": variants[0].name, "tier": tier,
                "p_reference": ref_t.p_reached, "p_variant": var_t.p_reached,
                "diff": d.diff, "ci_low": d.ci_low, "ci_high": d.ci_high,
                "p_value_raw": stats.mcnemar_exact(ref_only, var_only),
                "median_hours_diff": var_t.median_hours_to_reach - ref_t.median_hours_to_reach,
                "discordant_pairs": ref_only + var_only,
                "narrower_than_independent": d.independent_width / paired_width if paired_width > 0 else math.inf,
            })
    table = pd.DataFrame(rows)
    table["p_value"] = np.nan
    for tier in TIERS:  # Holm across the variants compared with the reference, per tier
        mask = table["tier"] == tier
        table.loc[mask, "p_value"] = stats.holm(list(table.loc[mask, "p_value_raw"]))
    columns = ["variant", "reference", "tier", "p_reference", "p_variant", "diff", "ci_low", "ci_high", "p_value",
               "p_value_raw", "median_hours_diff", "discordant_pairs", "narrower_than_independent"]
    return table[columns]


def run_compare(variants: list[Variant], *, n: int, seed: int, engine: str = "fast", workers: int | None = None,
                scheduler: str | None = None, out: Path | None = None, results_dir: Path | None = None,
                progress: Progress | None = None) -> CompareResult:
    check_scheduler(scheduler)
    partial = None
    if out is not None or results_dir is not None:
        partial = store.new_folder(out, "compare", variants[0].config.scenario.name, results_dir or Path("results"))
        for i, v in enumerate(variants):
            store.atomic_write(partial / "variants" / f"{i}-{v.name}.toml", config_to_toml(v.config))
        store.start(partial, "compare", variants[0].config.scenario.name, engine, n=n, seed=seed,
                    variants=[{"name": v.name, "overrides": list(v.overrides), "source": v.source} for v in variants])
    return _complete(variants, n, seed, engine, workers, scheduler, partial, progress)


def resume_compare(folder: Path, *, workers: int | None = None, scheduler: str | None = None,
                   progress: Progress | None = None) -> CompareResult:
    manifest = store.open_partial(folder, "compare")
    variants = []
    for i, item in enumerate(manifest["variants"]):
        raw, source = read_raw(Path(folder) / "variants" / f"{i}-{item['name']}.toml")
        variants.append(Variant(item["name"], validate(raw, source), tuple(item["overrides"]), item["source"]))
    return _complete(variants, manifest["n"], manifest["seed"], manifest["engine"], workers, scheduler,
                     Path(folder), progress)


def _complete(variants, n, seed, engine, workers, scheduler, partial, progress) -> CompareResult:
    began = time.perf_counter()
    params = [compile_params(v.config) for v in variants]
    names = [[c.name for c in v.config.breaches.classes] for v in variants]
    accumulators = [Accumulator(p.horizon, len(nm)) for p, nm in zip(params, names)]
    per_variant = [chunk_tasks(i, engine, params[i], names[i], seed, n, False) for i in range(len(variants))]
    tasks = [t for chunk in zip(*per_variant) for t in chunk]  # chunk by chunk, every variant in turn
    cells = np.zeros((len(variants), len(TIERS), 4), dtype=np.int64)
    done = 0
    with running(make_pool(workers, scheduler, engine, len(tasks)), partial) as pool:
        pending: list = []
        for result in ordered_results(tasks, partial, pool):
            accumulators[result.point].add(result.tally)
            pending.append(result)
            if len(pending) == len(variants):  # every variant's same chunk: pair them
                reference = pending[0].highest
                for r in pending:
                    for k, tier in enumerate(TIERS):
                        a, b = reference >= tier, r.highest >= tier
                        cells[r.point, k] += [np.sum(a & b), np.sum(a & ~b), np.sum(~a & b), np.sum(~a & ~b)]
                done += r.tally.n
                pending = []
                if progress is not None:
                    progress(done, n)
    summaries = [summarize(acc, nm, seed, engine, v.config.scenario.name)
                 for acc, nm, v in zip(accumulators, names, variants)]
    table = compare_table(variants, summaries, cells)
    result = CompareResult(variants, summaries, table, n, seed)
    if partial is None:
        return result
    store.atomic_write(partial / "comparison.csv", table.to_csv(index=False))
    store.write_json(partial / "comparison.json", result.to_dicts())
    store.write_json(partial / "summaries.json", {v.name: s.to_dict() for v, s in zip(variants, summaries)})
    return CompareResult(variants, summaries, table, n, seed, store.complete(partial, began))
