"""What a run reports: ``RunSummary``, one point of a job's tables as rows.

The rows are plain dicts of numbers (pandas is imported only when a data frame is
asked for, which keeps ``stress run`` quick to start); ``tiers``, ``metrics`` and
``curves`` give them as data frames.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stress.statistics.points import QUANTILES, Curve, MetricTable, TierTable

TIER_FIELDS = ("tier", "p_reached", "ci_low", "ci_high", "median_hours_to_reach", "p10_hours_to_reach",
               "p90_hours_to_reach", "n_reached")
METRIC_FIELDS = ("metric", "estimate", "ci_low", "ci_high", "n")
CURVE_FIELDS = ("tier", "hours", "p_reached", "ci_low", "ci_high")


@dataclass(frozen=True)
class RunSummary:
    """The probability of reaching at least each tier (by name, in plan order), its
    curve over time, and the other metrics, each with its 95% interval."""
    n: int
    seed: int
    engine: str
    scenario: str
    horizon_hours: float
    tier_rows: tuple[dict[str, Any], ...]
    metric_rows: tuple[dict[str, Any], ...]
    curve_columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(row["tier"] for row in self.tier_rows)

    @property
    def tiers(self):
        """One row per tier (a data frame)."""
        import pandas as pd
        return pd.DataFrame(list(self.tier_rows), columns=list(TIER_FIELDS))

    @property
    def metrics(self):
        """One row per metric (a data frame)."""
        import pandas as pd
        return pd.DataFrame(list(self.metric_rows), columns=list(METRIC_FIELDS))

    @property
    def curves(self):
        """Cumulative probability of each tier by day (a data frame; empty if not kept)."""
        import pandas as pd
        return pd.DataFrame(self.curve_columns, columns=list(CURVE_FIELDS))

    def to_frame(self):
        """The tier table (the headline result)."""
        return self.tiers

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "engine": self.engine,
            "scenario": self.scenario,
            "horizon_hours": self.horizon_hours,
            "tiers": [json_row(r) for r in self.tier_rows],
            "metrics": {r["metric"]: json_row({k: v for k, v in r.items() if k != "metric"})
                        for r in self.metric_rows},
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any], curve_columns: dict[str, np.ndarray] | None = None) -> "RunSummary":
        """The summary as ``to_dict`` gave it (JSON null -> NaN). Raises ValueError or
        TypeError if a number is not one."""
        tiers = tuple({k: tier_name(row[k]) if k == "tier" else _number(row[k], k == "n_reached") for k in TIER_FIELDS}
                      for row in data["tiers"])
        metrics = tuple({"metric": str(name), **{k: _number(row[k], k == "n") for k in METRIC_FIELDS[1:]}}
                        for name, row in data["metrics"].items())
        return cls(int(data["n"]), int(data["seed"]), str(data["engine"]), str(data.get("scenario", "")),
                   float(data["horizon_hours"]), tiers, metrics, curve_columns or {})


def tier_name(value: Any) -> str:
    """A tier as a summary names it: its name, or in results written before plans were
    data, its number k (the first form's three tiers, named tier<k> today)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise ValueError(f"{value!r} is not a tier")
    return f"tier{value}" if isinstance(value, int) else value


def _number(value: Any, whole: bool) -> float | int:
    if isinstance(value, bool) or not (value is None or isinstance(value, (int, float))):
        raise ValueError(f"{value!r} is not a number")
    if value is None:
        return math.nan
    return int(value) if whole else float(value)


def point_summary(point: int, tiers: TierTable, metrics: MetricTable, *, n: int, seed: int, engine: str,
                  scenario: str, horizon: float, curve: Curve | None = None) -> RunSummary:
    """The summary of one point of a job's tables (the tiers and metrics its own plan
    has: a job of several plans has NaN for the others)."""
    q10, q50, q90 = (QUANTILES.index(q) for q in (0.1, 0.5, 0.9))
    tier_rows = tuple({
        "tier": tier, "p_reached": float(tiers.p[point, k]), "ci_low": float(tiers.ci_low[point, k]),
        "ci_high": float(tiers.ci_high[point, k]),
        "median_hours_to_reach": float(tiers.quantiles[point, k, q50]),
        "p10_hours_to_reach": float(tiers.quantiles[point, k, q10]),
        "p90_hours_to_reach": float(tiers.quantiles[point, k, q90]),
        "n_reached": int(tiers.n_reached[point, k])} for k, tier in enumerate(tiers.names)
        if not math.isnan(tiers.p[point, k]))
    metric_rows = tuple({
        "metric": name, "estimate": float(metrics.estimate[point, j]), "ci_low": float(metrics.ci_low[point, j]),
        "ci_high": float(metrics.ci_high[point, j]), "n": int(metrics.n[point, j])}
        for j, name in enumerate(metrics.names) if metrics.present is None or metrics.present[point, j])
    columns: dict[str, np.ndarray] = {}
    if curve is not None:
        kept = [k for k in range(len(tiers.names)) if not math.isnan(tiers.p[point, k])]
        names = np.array([tiers.names[k] for k in kept], dtype=object)
        columns = {"tier": np.repeat(names, len(curve.hours)), "hours": np.tile(curve.hours, len(kept)),
                   "p_reached": curve.p[kept].ravel(), "ci_low": curve.ci_low[kept].ravel(),
                   "ci_high": curve.ci_high[kept].ravel()}
    return RunSummary(n, seed, engine, scenario, horizon, tier_rows, metric_rows, columns)


def json_value(value: Any) -> Any:
    """JSON has no NaN or infinity: those become null; numpy scalars become Python."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    return value


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: json_value(value) for key, value in row.items()}


def json_safe(data: Any) -> Any:
    """``json_value`` all the way down dicts, lists and tuples."""
    if isinstance(data, dict):
        return {str(k): json_safe(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [json_safe(v) for v in data]
    return json_value(data)
