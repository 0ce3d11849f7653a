"""Parameter sweeps: one scenario, many values of its open numbers.

A sweep is a base scenario plus a definition: grid axes (``key = values``), and/or a
design over ranges (Latin hypercube or Sobol, scipy.stats.qmc). Every point runs on
the same root seed, so points meet the same breaches (common random numbers) and
differ only by the effect of their parameters.
"""

from __future__ import annotations

import itertools
import math
import time
import tomllib
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stress.statistics import intervals as stats
from stress.storage import folders as store
from stress.config.loading import ConfigError, apply_overrides, parse_assignment, read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.execution.ordered import ordered_results
from stress.model.params import compile_params
from stress.execution.pools import CHUNK, check_scheduler, chunk_tasks, make_pool, running
from stress.statistics.summary import Accumulator, RunSummary, summarize

Progress = Callable[[int, int, int, int], None]  # (replications done, total, points done, points)


class SweepSpec(BaseModel):
    """A sweep definition: the ``[sweep]`` table of a scenario file, or CLI options."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    grid: dict[str, list[Any]] = Field(default_factory=dict,
                                       description="Axis key -> values; the points are their Cartesian product.")
    design: Literal["grid", "lhs", "sobol"] = Field("grid", description="How ranges are sampled.")
    samples: int | None = Field(None, ge=1, description="Points drawn from the ranges (lhs, sobol).")
    ranges: dict[str, tuple[float, float]] = Field(default_factory=dict, description="Key -> (low, high).")
    n: int = Field(2000, ge=1, description="Replications per point.")
    seed: int = Field(0, ge=0, description="Root seed, the same for every point.")
    precision: float | None = Field(None, gt=0, lt=1, description="Target 95% half-width of every tier probability.")
    max_n: int | None = Field(None, ge=1, description="Most replications per point when a precision is set.")

    @model_validator(mode="after")
    def _consistent(self) -> "SweepSpec":
        if self.design == "grid" and self.ranges:
            raise ValueError("ranges need design = 'lhs' or 'sobol'")
        if self.design != "grid" and (not self.ranges or self.samples is None):
            raise ValueError(f"design = '{self.design}' needs ranges and samples")
        for key, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"range {key} = {low}:{high}: low must be below high")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid {key} has no values")
        if not self.grid and not self.ranges:
            raise ValueError("a sweep needs at least one --grid axis or --range")
        return self


def parse_values(text: str) -> list[Any]:
    """``'2,3,4'`` -> [2, 3, 4]; ``'24:96:24'`` -> [24, 48, 72, 96] (both ends
    included); values are TOML values, bare words strings."""
    text = text.strip()
    if text.count(":") == 2 and "," not in text:
        low, high, step = (_toml_value(part) for part in text.split(":"))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high, step)) or step <= 0:
            raise ValueError(f"{text!r}: a range is low:high:step with numbers and step > 0")
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        if count < 1:
            raise ValueError(f"{text!r}: high is below low")
        values = [low + i * step for i in range(count)]
        if all(isinstance(v, int) for v in (low, high, step)):
            return [int(v) for v in values]
        return [round(v, 12) for v in values]
    return [_toml_value(part) for part in text.split(",") if part.strip()]


def _toml_value(text: str) -> Any:
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_axis(text: str, option: str = "--grid") -> tuple[str, str]:
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ValueError(f"{option} {text!r}: expected KEY=VALUES, for example tier2.threshold=2,3,4")
    return key.strip(), values.strip()


def spec_from_options(file_spec: dict[str, Any] | None, grid: Iterable[str] = (), design: str | None = None,
                      samples: int | None = None, ranges: Iterable[str] = (), n: int | None = None,
                      seed: int | None = None, precision: float | None = None, max_n: int | None = None) -> SweepSpec:
    """A sweep definition from a file's ``[sweep]`` table, extended and overridden by
    command-line options."""
    data = dict(file_spec or {})
    grid_values = dict(data.get("grid", {}))
    for key, values in grid_values.items():
        if isinstance(values, str):
            grid_values[key] = _parsed(values, f"[sweep] grid.{key}")
    for text in grid:
        key, values = parse_axis(text)
        grid_values[key] = _parsed(values, f"--grid {text}")
    data["grid"] = grid_values
    range_values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.get("ranges", {}).items()}
    for text in ranges:
        key, values = parse_axis(text, "--range")
        parts = values.split(":")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"--range {text!r}: expected KEY=LOW:HIGH with numbers") from None
        range_values[key] = (low, high)
    data["ranges"] = range_values
    for name, value in (("design", design), ("samples", samples), ("n", n), ("seed", seed),
                        ("precision", precision), ("max_n", max_n)):
        if value is not None:
            data[name] = value
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise ValueError(f"sweep definition: {where + ': ' if where else ''}{message}") from None


def _parsed(values: str, where: str) -> list[Any]:
    try:
        return parse_values(values)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _field_type(key: str) -> Any:
    """The annotation of a dotted config key (None where it is not a fixed field)."""
    model: Any = Config
    annotation = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
        model = next((a for a in (annotation, *typing.get_args(annotation))
                      if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return annotation


def points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every point of the sweep as {key: value}, grid axes varying slowest-first."""
    grid_points = [dict(zip(spec.grid, combo)) for combo in itertools.product(*spec.grid.values())] or [{}]
    design_points: list[dict[str, Any]] = [{}]
    if spec.design != "grid":
        from scipy.stats import qmc
        keys = list(spec.ranges)
        sampler = (qmc.LatinHypercube(d=len(keys), seed=spec.seed) if spec.design == "lhs"
                   else qmc.Sobol(d=len(keys), scramble=True, seed=spec.seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Sobol prefers powers of two; any count is valid
            unit = sampler.random(spec.samples)
        design_points = []
        for row in unit:
            point = {}
            for key, u in zip(keys, row):
                low, high = spec.ranges[key]
                value = low + float(u) * (high - low)
                if _field_type(key) is int:
                    value = int(min(math.floor(low + float(u) * (math.floor(high) - math.ceil(low) + 1)),
                                    math.floor(high)))
                point[key] = value
            design_points.append(point)
    return [g | d for g in grid_points for d in design_points]


def point_configs(base_raw: dict[str, Any], source: str, spec: SweepSpec) -> tuple[list[dict[str, Any]], list[Config]]:
    """Every point's validated config; the first invalid one stops everything."""
    all_points = points(spec)
    configs = []
    for i, point in enumerate(all_points):
        label = ", ".join(f"{k}={v}" for k, v in point.items())
        try:
            raw = apply_overrides(base_raw, list(point.items()))
            configs.append(validate(raw, source, list(point)))
        except ConfigError as exc:
            raise ConfigError(f"sweep point {i} ({label}): {exc}") from None
    return all_points, configs


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: one row per point, and each point's full summary."""
    points: list[dict[str, Any]]
    summaries: list[RunSummary]
    spec: SweepSpec
    path: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: swept parameters, n, then every statistic with its interval."""
        rows = []
        for point, summary in zip(self.points, self.summaries):
            row: dict[str, Any] = dict(point)
            row["n"] = summary.n
            for t in summary.tiers.itertuples():
                row[f"tier{t.tier}_p"] = t.p_reached
                row[f"tier{t.tier}_ci_low"] = t.ci_low
                row[f"tier{t.tier}_ci_high"] = t.ci_high
                row[f"tier{t.tier}_median_hours"] = t.median_hours_to_reach
            for m in summary.metrics.itertuples():
                row[m.metric] = m.estimate
                row[f"{m.metric}_ci_low"] = m.ci_low
                row[f"{m.metric}_ci_high"] = m.ci_high
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The ``--json`` form: per point its params, n, tiers and metrics."""
        out = []
        for point, summary in zip(self.points, self.summaries):
            data = summary.to_dict()
            out.append({"params": point, "n": data["n"], "tiers": data["tiers"], "metrics": data["metrics"]})
        return out


def needed_n(summary: RunSummary, precision: float, n_now: int, max_n: int) -> int:
    """Replications a point needs for every tier's 95% half-width to be at most
    ``precision`` (by the normal approximation at the current estimate, rounded up to
    whole chunks, and at least one chunk more than now)."""
    worst = 0.0
    for t in summary.tiers.itertuples():
        if max(t.p_reached - t.ci_low, t.ci_high - t.p_reached) > precision:
            p = min(max(t.p_reached, 1.0 / n_now), 1 - 1.0 / n_now)
            worst = max(worst, stats.z_value() ** 2 * p * (1 - p) / precision ** 2)
    if worst == 0.0:
        return n_now
    want = max(int(math.ceil(worst / CHUNK)) * CHUNK, n_now + CHUNK)
    return min(want, max_n)


def run_sweep(base: str | Path | None, spec: SweepSpec, *, overrides: Iterable[str] = (), engine: str = "fast",
              workers: int | None = None, scheduler: str | None = None, out: Path | None = None,
              results_dir: Path | None = None, progress: Progress | None = None) -> SweepResult:
    check_scheduler(scheduler)
    base_raw, source = read_raw(base)
    base_raw.pop("sweep", None)
    assignments = [parse_assignment(o) for o in overrides]
    base_raw = apply_overrides(base_raw, assignments)
    validate(base_raw, source, [k for k, _ in assignments])
    all_points, configs = point_configs(base_raw, source, spec)
    partial = None
    if out is not None or results_dir is not None:
        partial = store.new_folder(out, "sweep", configs[0].scenario.name, results_dir or Path("results"))
        store.atomic_write(partial / store.CONFIG, config_to_toml(validate(base_raw, source)))
        store.start(partial, "sweep", configs[0].scenario.name, engine, sweep=spec.model_dump(), points=all_points,
                    seed=spec.seed, n=spec.n)
    return _complete(base_raw, source, spec, all_points, configs, engine, workers, scheduler, partial, progress)


def resume_sweep(folder: Path, *, workers: int | None = None, scheduler: str | None = None,
                 progress: Progress | None = None) -> SweepResult:
    manifest = store.open_partial(folder, "sweep")
    base_raw, source = read_raw(folder / store.CONFIG)
    spec = SweepSpec.model_validate(manifest["sweep"])
    all_points, configs = point_configs(base_raw, source, spec)
    return _complete(base_raw, source, spec, all_points, configs, manifest["engine"], workers, scheduler,
                     Path(folder), progress)


def _complete(base_raw, source, spec: SweepSpec, all_points, configs, engine, workers, scheduler, partial,
              progress) -> SweepResult:
    began = time.perf_counter()
    n_points = len(configs)
    params = [compile_params(c) for c in configs]
    names = [[c.name for c in cfg.breaches.classes] for cfg in configs]
    accumulators = [Accumulator(p.horizon, len(nm)) for p, nm in zip(params, names)]
    done = [0] * n_points
    target = [spec.n] * n_points
    max_n = spec.max_n or max(spec.n, 1_000_000)
    seconds = [0.0] * n_points
    with running(make_pool(workers, scheduler, engine, n_points * math.ceil(spec.n / CHUNK)), partial) as pool:
        while True:
            per_point = [chunk_tasks(i, engine, params[i], names[i], spec.seed, target[i], False, first=done[i])
                         for i in range(n_points) if done[i] < target[i]]
            if not per_point:
                break
            # Round-robin over points, so an interrupted sweep has something for every point.
            tasks = [t for group in itertools.zip_longest(*per_point) for t in group if t is not None]
            total = sum(target)
            for result in ordered_results(tasks, partial, pool):
                accumulators[result.point].add(result.tally)
                done[result.point] += result.tally.n
                seconds[result.point] += result.seconds
                if progress is not None:
                    progress(sum(done), total, sum(d >= t for d, t in zip(done, target)), n_points)
            if spec.precision is None:
                break
            for i in range(n_points):
                interim = summarize(accumulators[i], names[i], spec.seed, engine, configs[i].scenario.name)
                target[i] = needed_n(interim, spec.precision, done[i], max_n)
    summaries = [summarize(accumulators[i], names[i], spec.seed, engine, configs[i].scenario.name)
                 for i in range(n_points)]
    result = SweepResult(all_points, summaries, spec)
    if partial is None:
        return result
    table = result.to_frame()
    store.atomic_write(partial / "table.csv", table.to_csv(index=False))
    table.to_parquet(partial / ".table.parquet", index=False)
    (partial / ".table.parquet").replace(partial / "table.parquet")
    store.write_json(partial / "sweep.json", result.to_dicts())
    path = store.complete(partial, began, n_per_point=done, point_seconds=[round(s, 3) for s in seconds])
    return SweepResult(all_points, summaries, spec, path)


def file_sweep_spec(path: str | Path | None) -> dict[str, Any] | None:
    """The ``[sweep]`` table of a scenario file, if it has one."""
    if path is None:
        return None
    raw, _ = read_raw(path)
    return raw.get("sweep")
