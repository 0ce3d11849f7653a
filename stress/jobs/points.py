"""Jobs over a list of points (a sweep, an exploration of the uncertainty, a
sensitivity study): every point is the base scenario with some keys set, all run on the
same root seed (common random numbers), reported as one table row per point.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from stress.config.loading import Scenario, read_raw, validate
from stress.config.toml import dumps as config_to_toml
from stress.errors import UsageError
from stress.jobs.pipeline import Job, Outcome, Point, point_of, write_records
from stress.statistics.points import QUANTILES, MetricTable, TierTable
from stress.statistics.summary import RunSummary, point_summary
from stress.storage import folders

if TYPE_CHECKING:
    import pandas as pd


# A study of more points than this is refused unless asked for (--max-points): a typo
# in a grid (1:10000000:1) should not fill the memory before anything runs.
MAX_POINTS = 100_000


def check_point_count(count: int, limit: int | None, what: str) -> None:
    """Refuse a study of more than ``limit`` (default MAX_POINTS) points, before any is made."""
    limit = MAX_POINTS if limit is None else limit
    if count > limit:
        raise UsageError(f"the {what} has {count:,} points, more than the limit of {limit:,}; narrow it, or raise "
                         f"the limit with --max-points N (max_points= in Python) if you mean it")


def compile_points(scenario: Scenario, values: Sequence[dict[str, Any]], what: str = "point") -> list[Point]:
    """Every point's compiled scenario; the first invalid point stops everything, before
    anything runs (``what`` names the points in the message)."""
    compiled: list[Point] = []
    for i, point in enumerate(values):
        label = ", ".join(f"{k}={v}" for k, v in point.items())
        config = scenario.with_values(point.items(), f"{what} {i} ({label})")
        compiled.append(point_of(config, point, like=compiled[0] if compiled else None))
    return compiled


class PointsJob(Job):
    """A job whose points are the base scenario with the keys of ``values`` set."""

    def __init__(self, scenario: Scenario, values: list[dict[str, Any]], *, n: int, seed: int, engine: str,
                 records: bool = False, what: str = "point") -> None:
        super().__init__(compile_points(scenario, values, what), scenario=scenario.config.scenario.name, n=n,
                         seed=seed, engine=engine, records=records)
        self.base = scenario
        self.values = values

    def manifest(self) -> dict[str, Any]:
        return {"points": self.values}

    def write_inputs(self, partial: Path) -> None:
        folders.atomic_write(partial / folders.CONFIG, config_to_toml(self.base.config))

    @staticmethod
    def base_of(partial: Path) -> Scenario:
        """The base scenario saved in an interrupted job's folder."""
        raw, source = read_raw(partial / folders.CONFIG)
        return Scenario(raw, source, validate(raw, source))

    def point_table(self, outcome: Outcome) -> "PointTable":
        return PointTable(self.values, self.seed, outcome.totals.n.copy(), outcome.tiers, outcome.metrics,
                          self.engine, self.scenario)

    def write_table(self, folder: Path, table: "PointTable", outcome: Outcome) -> None:
        """``table.csv`` and ``table.parquet`` (one row per point), and the records if kept.
        (pandas writes the CSV: Arrow's writer is faster but writes 1.0 as 1, which
        reads back as a whole number.)"""
        frame = table.to_frame()
        folders.write_csv(folder / "table.csv", frame)
        folders.write_parquet(folder / "table.parquet", frame)
        if self.records:
            write_records(folder, outcome)


@dataclass(frozen=True)
class PointTable:
    """A job's points: per point, its values, replications, tier probabilities and
    metrics (arrays over the points; ``to_frame`` is the table)."""
    points: list[dict[str, Any]]
    seed: int
    n: np.ndarray
    tiers: TierTable
    metrics: MetricTable
    engine: str = "fast"
    scenario: str = ""
    path: Path | None = None

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: swept parameters, n, then every statistic with its interval."""
        import pandas as pd
        median = QUANTILES.index(0.5)
        columns: dict[str, Any] = {key: [p[key] for p in self.points] for key in self.points[0]}
        columns["n"] = self.n
        for k, tier in enumerate(self.tiers.names):
            columns[f"{tier}_p"] = self.tiers.p[:, k]
            columns[f"{tier}_ci_low"] = self.tiers.ci_low[:, k]
            columns[f"{tier}_ci_high"] = self.tiers.ci_high[:, k]
            columns[f"{tier}_median_hours"] = self.tiers.quantiles[:, k, median]
        for j, name in enumerate(self.metrics.names):
            columns[name] = self.metrics.estimate[:, j]
            columns[f"{name}_ci_low"] = self.metrics.ci_low[:, j]
            columns[f"{name}_ci_high"] = self.metrics.ci_high[:, j]
        return pd.DataFrame(columns)

    def summary(self, i: int) -> RunSummary:
        """Point ``i``'s summary, as ``stress run`` gives it (without curves)."""
        return point_summary(i, self.tiers, self.metrics, n=int(self.n[i]), seed=self.seed,
                             engine=self.engine, scenario=self.scenario, horizon=math.nan)

    def point_dicts(self) -> Iterator[dict[str, Any]]:
        """The ``--json`` form, point by point: its params, n, tiers and metrics (as in
        ``stress run --json``)."""
        t, m = self.tiers, self.metrics
        p, low, high, reached = (_json_list(a) for a in (t.p, t.ci_low, t.ci_high, t.n_reached))
        q10, q50, q90 = (_json_list(t.quantiles[:, :, QUANTILES.index(q)]) for q in (0.1, 0.5, 0.9))
        est, m_low, m_high, m_n = (_json_list(a) for a in (m.estimate, m.ci_low, m.ci_high, m.n))
        names = self.metrics.names
        for i, point in enumerate(self.points):
            tiers = [{"tier": tier, "p_reached": p[i][k], "ci_low": low[i][k], "ci_high": high[i][k],
                      "median_hours_to_reach": q50[i][k], "p10_hours_to_reach": q10[i][k],
                      "p90_hours_to_reach": q90[i][k], "n_reached": reached[i][k]}
                     for k, tier in enumerate(self.tiers.names)]
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


