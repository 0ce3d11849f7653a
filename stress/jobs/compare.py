"""Comparing rule variants on common random numbers.

Every variant runs the same replications (same root seed), so replication i of each
meets the same breaches and the same luck; the comparison pairs them replication by
replication. For each variant after the first and each tier (by name; variants may
have different plans): the paired difference in the probability of reaching at least
it (Newcombe's interval for paired proportions), an exact McNemar test (Holm-adjusted
across the variants), the difference in median time to reach it, and how much
narrower the paired interval is than two independent runs would give. A tier that only
one of the two plans has gets its probability there and no difference.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from stress.config.keys import refuse_repeated
from stress.config.loading import Scenario, load_scenario, parse_assignment, read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.errors import UsageError
from stress.jobs.pipeline import Job, Outcome, point_of, write_records
from stress.statistics import intervals as stats
from stress.statistics.summary import RunSummary, json_value, point_summary
from stress.storage import folders

if TYPE_CHECKING:
    import pandas as pd


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
        raise UsageError(f"--variant {text!r}: expected 'NAME: KEY=VALUE, KEY=VALUE' (NAME of letters, digits, _.-)")
    assignments = [a.strip() for a in re.split(r",\s*(?=[A-Za-z_][\w.]*\s*=)", body) if a.strip()]
    refuse_repeated([a.partition("=")[0].strip() for a in assignments], f"--variant {name!r}")
    return name, assignments


def build_variants(configs: list[str | Path | Config], variant_texts: Iterable[str],
                   overrides: Iterable[str] = ()) -> list[Variant]:
    """Variants from --variant texts over one base scenario, or from several files."""
    variant_texts = list(variant_texts)
    overrides = list(overrides)
    if variant_texts and len(configs) > 1:
        raise UsageError("give either several scenario files or --variant options over one, not both")
    variants = []
    if variant_texts:
        base = _scenario(configs[0] if configs else None, overrides)
        for text in variant_texts:
            name, assignments = parse_variant(text)
            config = base.with_values([parse_assignment(a) for a in assignments], f"variant {name!r}")
            variants.append(Variant(name, config, tuple(overrides + assignments), base.source))
    else:
        for i, path in enumerate(configs):
            scenario = _scenario(path, overrides)
            name = Path(path).stem if not isinstance(path, Config) else f"{path.scenario.name}-{i}"
            variants.append(Variant(name, scenario.config, tuple(overrides), scenario.source))
    if len(variants) < 2:
        raise UsageError("a comparison needs at least two variants (--variant twice, or two scenario files)")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise UsageError(f"variant names must differ: {', '.join(names)}")
    horizons = {v.config.scenario.horizon_days for v in variants}
    if len(horizons) > 1:
        raise UsageError("variants must share the horizon (scenario.horizon_days) to be compared")
    return variants


def _scenario(source: str | Path | Config | None, overrides: list[str]) -> Scenario:
    if isinstance(source, Config):
        from stress.config.loading import scenario_of
        return scenario_of(source, overrides)
    return load_scenario(source, overrides)


@dataclass(frozen=True)
class CompareResult:
    variants: list[Variant]
    summaries: list[RunSummary]
    table: "pd.DataFrame"        # one row per (variant after the first, tier)
    n: int
    seed: int
    path: Path | None = None
    cells: np.ndarray | None = None   # (variants, outcomes, 4): each against the reference
    outcomes: tuple[str, ...] = ()    # the yes/no outcomes of ``cells``

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def outcome_differences(self, variant: int = 1) -> "pd.DataFrame":
        """Every yes/no outcome (reaching at least each tier, each proportion metric) of
        variant ``variant`` against the reference: the two probabilities and their paired
        difference with Newcombe's 95% interval."""
        import pandas as pd
        rows = []
        for name, (both, ref_only, var_only, neither) in zip(self.outcomes, self.cells[variant].tolist()):
            d = stats.paired_difference(both, ref_only, var_only, neither)
            n = both + ref_only + var_only + neither
            rows.append({"outcome": name, "p_reference": (both + ref_only) / n, "p_variant": (both + var_only) / n,
                         "diff": d.diff, "ci_low": d.ci_low, "ci_high": d.ci_high})
        return pd.DataFrame(rows)

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


def compare_table(variants: list[Variant], summaries: list[RunSummary], cells: np.ndarray,
                  tiers: tuple[str, ...]) -> pd.DataFrame:
    """``cells[v, k]`` = (both, reference only, variant only, neither) reached at least
    tier ``tiers[k]``."""
    import pandas as pd
    rows = []
    missing = {"p_reached": math.nan, "median_hours_to_reach": math.nan}
    reference = {r["tier"]: r for r in summaries[0].tier_rows}
    for v in range(1, len(variants)):
        mine = {r["tier"]: r for r in summaries[v].tier_rows}
        for k, tier in enumerate(tiers):
            if tier not in reference and tier not in mine:
                continue
            ref_t, var_t = reference.get(tier, missing), mine.get(tier, missing)
            both, ref_only, var_only, neither = (int(x) for x in cells[v, k])
            paired = tier in reference and tier in mine
            d = stats.paired_difference(both, ref_only, var_only, neither) if paired else None
            paired_width = d.ci_high - d.ci_low if d else math.nan
            rows.append({
                "variant": variants[v].name, "reference": variants[0].name, "tier": tier,
                "p_reference": ref_t["p_reached"], "p_variant": var_t["p_reached"],
                "diff": d.diff if d else math.nan, "ci_low": d.ci_low if d else math.nan,
                "ci_high": d.ci_high if d else math.nan,
                "p_value_raw": stats.mcnemar_exact(ref_only, var_only) if d else math.nan,
                "median_hours_diff": var_t["median_hours_to_reach"] - ref_t["median_hours_to_reach"],
                "discordant_pairs": ref_only + var_only if d else 0,
                "narrower_than_independent": (d.independent_width / paired_width if paired_width > 0 else math.inf)
                if d else math.nan,
            })
    table = pd.DataFrame(rows)
    table["p_value"] = np.nan
    for tier in tiers:  # Holm across the variants compared with the reference, per tier
        mask = (table["tier"] == tier) & table["p_value_raw"].notna()
        if mask.any():
            table.loc[mask, "p_value"] = stats.holm(list(table.loc[mask, "p_value_raw"]))
    columns = ["variant", "reference", "tier", "p_reference", "p_variant", "diff", "ci_low", "ci_high", "p_value",
               "p_value_raw", "median_hours_diff", "discordant_pairs", "narrower_than_independent"]
    return table[columns]


class CompareJob(Job):
    """Every variant runs the same replications as one group: the pipeline pairs them."""
    kind = "compare"

    def __init__(self, variants: list[Variant], *, n: int, seed: int, engine: str, records: bool = False) -> None:
        points = [point_of(v.config, {"variant": v.name}) for v in variants]
        super().__init__(points, scenario=variants[0].config.scenario.name, n=n, seed=seed, engine=engine,
                         groups=[tuple(range(len(variants)))], records=records)
        self.variants = variants
        names = {tuple(c.name for c in v.config.breaches.classes) for v in variants}
        if records and len(names) > 1:
            raise UsageError("--records needs variants with the same breach classes (their records share columns)")

    def curve_points(self) -> set[int]:
        return set(range(len(self.variants)))

    def manifest(self) -> dict[str, Any]:
        return {"variants": [{"name": v.name, "overrides": list(v.overrides), "source": v.source}
                             for v in self.variants]}

    def write_inputs(self, partial: Path) -> None:
        for i, v in enumerate(self.variants):
            folders.atomic_write(partial / "variants" / f"{i}-{v.name}.toml", config_to_toml(v.config))

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "CompareJob":
        variants = []
        for i, item in enumerate(manifest["variants"]):
            raw, source = read_raw(partial / "variants" / f"{i}-{item['name']}.toml")
            variants.append(Variant(item["name"], validate(raw, source), tuple(item["overrides"]), item["source"]))
        return cls(variants, n=manifest["n"], seed=manifest["seed"], engine=manifest["engine"],
                   records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "CompareResult":
        summaries = [point_summary(i, outcome.tiers, outcome.metrics,
                                   n=int(outcome.totals.n[i]), seed=self.seed, engine=self.engine,
                                   scenario=v.config.scenario.name, horizon=v.config.scenario.horizon_days * 24.0,
                                   curve=outcome.totals.curves.get(i))
                     for i, v in enumerate(self.variants)]
        names = outcome.layout.outputs.outcomes
        tiers = outcome.tiers.names
        cells = np.zeros((len(self.variants), len(names), 4), dtype=np.int64)
        for v in range(1, len(self.variants)):
            cells[v] = outcome.totals.pairs[(0, v)]
        cells[0, :, 0] = cells[1, :, 0] + cells[1, :, 1]   # the reference against itself
        cells[0, :, 3] = cells[1, :, 2] + cells[1, :, 3]
        table = compare_table(self.variants, summaries, cells[:, :len(tiers)], tiers)
        result = CompareResult(self.variants, summaries, table, self.n, self.seed, cells=cells, outcomes=names)
        if folder is not None:
            folders.write_csv(folder / "comparison.csv", table)
            folders.write_json(folder / "comparison.json", result.to_dicts())
            folders.write_json(folder / "summaries.json", {v.name: s.to_dict() for v, s in zip(self.variants, summaries)})
            if self.records:
                write_records(folder, outcome)
        return result
