"""Parameter sweeps: one scenario, many values of its open numbers.

A sweep is a base scenario plus a definition: grid axes (``key = values``), and/or a
design over ranges (Latin hypercube or Sobol, scipy.stats.qmc). Every point runs on
the same root seed, so points meet the same breaches (common random numbers) and
differ only by the effect of their parameters.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import tomllib
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stress.config.loading import Scenario, read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.errors import UsageError
from stress.jobs.pipeline import CHUNK, Job, Outcome, Point, point_of, write_records
from stress.statistics import intervals as stats
from stress.statistics.points import QUANTILES, MetricTable, TierTable, metric_names
from stress.statistics.summary import RunSummary, point_summary
from stress.statistics.tally import TIERS
from stress.storage import folders

if TYPE_CHECKING:
    import pandas as pd


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
            raise UsageError(f"{text!r}: a range is low:high:step with numbers and step > 0")
        count = int(math.floor((high - low) / step + 1e-9)) + 1
        if count < 1:
            raise UsageError(f"{text!r}: high is below low")
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
        raise UsageError(f"{option} {text!r}: expected KEY=VALUES, for example tier2.threshold=2,3,4")
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
            raise UsageError(f"--range {text!r}: expected KEY=LOW:HIGH with numbers") from None
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
        raise UsageError(f"sweep definition: {where + ': ' if where else ''}{message}") from None


def _parsed(values: str, where: str) -> list[Any]:
    try:
        return parse_values(values)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None


@functools.lru_cache(maxsize=None)
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


def point_list(scenario: Scenario, spec: SweepSpec) -> tuple[list[dict[str, Any]], list[Point]]:
    """Every point's values and compiled scenario; the first invalid point stops
    everything, before anything runs."""
    values = points(spec)
    compiled = []
    for i, point in enumerate(values):
        label = ", ".join(f"{k}={v}" for k, v in point.items())
        compiled.append(point_of(scenario.with_values(point.items(), f"sweep point {i} ({label})"), point))
    return values, compiled


def needed_n(p: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray, precision: float, n_now: int,
             max_n: int) -> int:
    """Replications a point needs for every tier's 95% half-width (``p`` and its
    interval, per tier) to be at most ``precision``: by the normal approximation at the
    current estimate, rounded up to whole chunks, at least one chunk more than now."""
    wide = np.maximum(p - ci_low, ci_high - p) > precision
    if not wide.any():
        return n_now
    clipped = np.clip(p[wide], 1.0 / n_now, 1 - 1.0 / n_now)
    worst = float(np.max(stats.z_value() ** 2 * clipped * (1 - clipped) / precision ** 2))
    want = max(int(math.ceil(worst / CHUNK)) * CHUNK, n_now + CHUNK)
    return min(want, max_n)


class SweepJob(Job):
    kind = "sweep"

    def __init__(self, scenario: Scenario, spec: SweepSpec, *, engine: str, records: bool = False) -> None:
        values, compiled = point_list(scenario, spec)
        super().__init__(compiled, scenario=scenario.config.scenario.name, n=spec.n, seed=spec.seed, engine=engine,
                         records=records)
        self.base = scenario
        self.spec = spec
        self.values = values
        self.class_names = [c.name for c in scenario.config.breaches.classes]

    def target(self, group: int, done: int, totals) -> int:
        if done == 0 or self.spec.precision is None:
            return self.n if done == 0 else done
        p, low, high = stats.wilson_intervals(totals.reached[group], done)
        return needed_n(p, low, high, self.spec.precision, done, self.spec.max_n or max(self.spec.n, 1_000_000))

    def manifest(self) -> dict[str, Any]:
        return {"sweep": self.spec.model_dump(), "points": self.values}

    def write_inputs(self, partial: Path) -> None:
        folders.atomic_write(partial / folders.CONFIG, config_to_toml(self.base.config))

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "SweepJob":
        raw, source = read_raw(partial / folders.CONFIG)
        scenario = Scenario(raw, source, validate(raw, source))
        try:
            spec = SweepSpec.model_validate(manifest["sweep"])
        except ValidationError as exc:
            raise folders.ResultError(f"{partial / folders.MANIFEST}: 'sweep' is not a sweep definition "
                                      f"({exc.errors()[0]['msg']})") from None
        return cls(scenario, spec, engine=manifest["engine"], records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "SweepResult":
        result = SweepResult(self.values, self.spec, outcome.totals.n.copy(), outcome.tiers, outcome.metrics,
                             self.class_names, self.engine, self.scenario)
        if folder is not None:
            table = result.to_frame()
            folders.atomic_write(folder / "table.csv", table.to_csv(index=False))
            table.to_parquet(folder / ".table.parquet", index=False)
            (folder / ".table.parquet").replace(folder / "table.parquet")
            folders.atomic_write(folder / "sweep.json", result.json_text())
            if self.records:
                write_records(folder, outcome, self.class_names)
        return result


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: per point, its values, replications, tier probabilities and
    metrics (arrays over the points; ``to_frame`` is the table)."""
    points: list[dict[str, Any]]
    spec: SweepSpec
    n: np.ndarray
    tiers: TierTable
    metrics: MetricTable
    class_names: list[str]
    engine: str = "fast"
    scenario: str = ""
    path: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: swept parameters, n, then every statistic with its interval."""
        import pandas as pd
        median = QUANTILES.index(0.5)
        columns: dict[str, Any] = {key: [p[key] for p in self.points] for key in self.points[0]}
        columns["n"] = self.n
        for k, tier in enumerate(TIERS):
            columns[f"tier{tier}_p"] = self.tiers.p[:, k]
            columns[f"tier{tier}_ci_low"] = self.tiers.ci_low[:, k]
            columns[f"tier{tier}_ci_high"] = self.tiers.ci_high[:, k]
            columns[f"tier{tier}_median_hours"] = self.tiers.quantiles[:, k, median]
        for j, name in enumerate(metric_names(self.class_names)):
            columns[name] = self.metrics.estimate[:, j]
            columns[f"{name}_ci_low"] = self.metrics.ci_low[:, j]
            columns[f"{name}_ci_high"] = self.metrics.ci_high[:, j]
        return pd.DataFrame(columns)

    def summary(self, i: int) -> RunSummary:
        """Point ``i``'s summary, as ``stress run`` gives it (without curves)."""
        return point_summary(i, self.tiers, self.metrics, self.class_names, n=int(self.n[i]), seed=self.spec.seed,
                             engine=self.engine, scenario=self.scenario, horizon=math.nan)

    def point_dicts(self) -> Iterator[dict[str, Any]]:
        """The ``--json`` form, point by point: its params, n, tiers and metrics (as in
        ``stress run --json``)."""
        t, m = self.tiers, self.metrics
        p, low, high, reached = (_json_list(a) for a in (t.p, t.ci_low, t.ci_high, t.n_reached))
        q10, q50, q90 = (_json_list(t.quantiles[:, :, QUANTILES.index(q)]) for q in (0.1, 0.5, 0.9))
        est, m_low, m_high, m_n = (_json_list(a) for a in (m.estimate, m.ci_low, m.ci_high, m.n))
        names = metric_names(self.class_names)
        for i, point in enumerate(self.points):
            tiers = [{"tier": tier, "p_reached": p[i][k], "ci_low": low[i][k], "ci_high": high[i][k],
                      "median_hours_to_reach": q50[i][k], "p10_hours_to_reach": q10[i][k],
                      "p90_hours_to_reach": q90[i][k], "n_reached": reached[i][k]} for k, tier in enumerate(TIERS)]
            metrics = {name: {"estimate": est[i][j], "ci_low": m_low[i][j], "ci_high": m_high[i][j], "n": m_n[i][j]}
                       for j, name in enumerate(names)}
            yield {"params": point, "n": int(self.n[i]), "tiers": tiers, "metrics": metrics}

    def to_dicts(self) -> list[dict[str, Any]]:
        return list(self.point_dicts())

    def json_text(self) -> str:
        """``to_dicts`` as JSON, one point per line (built point by point: the compact
        encoder is ten times faster than the indenting one)."""
        return "[\n" + ",\n".join(json.dumps(d, allow_nan=False) for d in self.point_dicts()) + "\n]\n"


def _json_list(values: np.ndarray) -> list:
    """Nested lists of Python numbers, NaN and infinity as None (JSON has neither)."""
    cleaned = values.astype(object)
    cleaned[~np.isfinite(values.astype(np.float64))] = None
    return cleaned.tolist()


def file_sweep_spec(path: str | Path | None) -> dict[str, Any] | None:
    """The ``[sweep]`` table of a scenario file, if it has one."""
    if path is None:
        return None
    raw, _ = read_raw(path)
    return raw.get("sweep")
