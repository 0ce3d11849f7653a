"""From records to a run's summary, streaming.

A chunk of records is reduced to a ``Tally`` (the sufficient statistics), tallies are
added up in chunk order by an ``Accumulator`` whose size does not depend on the
number of replications, and ``summarize`` turns the total into a ``RunSummary``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from stress.statistics import intervals as stats
from stress.model import records

TIERS = (1, 2, 3)
QUANTILES = (0.1, 0.5, 0.9)

# Metrics reported as proportions (a record flag) and as means (a record column).
PROPORTIONS = {
    "p_false_escalation": "false_escalation",
    "p_tier2_on_false_report": "tier2_on_false_report",
    "p_tier3_on_false_report": "tier3_on_false_report",
    "p_backstop_joined": "backstop_joined",
    "p_tier3_stood_down": "tier3_stood_down",
    "p_tier3_objective_first": "tier3_objective_first",
}
MEANS = ("breaches", "detected", "reports", "false_reports", "warnings", "military_responses",
         "tier2_declined", "tier3_declined", "mean_response_latency_hours", "tier3_latency_hours",
         "final_multiplier")


def metric_columns(class_names: list[str]) -> list[str]:
    """Record columns summarised as means, class counts included."""
    return list(MEANS) + [f"breaches_{n}" for n in class_names]


def reach_times(values: np.ndarray) -> np.ndarray:
    """(n, 3) times at which each replication first reached *at least* tier k."""
    times = values[:, list(records.TIER_COLUMNS)]
    # at least tier k = the earliest of tiers k..3 (NaN where none was reached)
    out = times.copy()
    for k in (1, 0):
        out[:, k] = np.fmin(out[:, k], out[:, k + 1])
    return out


class Tally(NamedTuple):
    """Sufficient statistics of one chunk of replications (made where the chunk ran,
    so the process that adds them up has little to do)."""
    n: int
    reach_bins: list[np.ndarray]       # per tier, the histogram bins its reach times fall in ...
    reach_counts: list[np.ndarray]     # ... and how many fall in each
    flag_sums: np.ndarray              # per proportion metric
    sums: np.ndarray                   # per mean metric, over non-NaN values
    sums_sq: np.ndarray
    counts: np.ndarray                 # non-NaN values per mean metric

    @classmethod
    def of(cls, values: np.ndarray, horizon: float) -> "Tally":
        n_classes = values.shape[1] - records.N_FIXED
        width, n_bins = bin_width_for(horizon), bin_count_for(horizon)
        bins, counts = [], []
        for times in reach_times(values).T:
            occupied = np.sort(np.minimum((times[~np.isnan(times)] / width).astype(np.int64), n_bins - 1))
            starts = np.flatnonzero(np.r_[True, occupied[1:] != occupied[:-1]]) if len(occupied) else occupied
            bins.append(occupied[starts])
            counts.append(np.diff(np.r_[starts, len(occupied)]).astype(np.int64))
        flags = values[:, [records.COLUMN[c] for c in PROPORTIONS.values()]]
        columns = [records.COLUMN[c] for c in MEANS] + [records.N_FIXED + k for k in range(n_classes)]
        means = values[:, columns]
        finite = ~np.isnan(means)
        clean = np.where(finite, means, 0.0)
        return cls(
            n=len(values),
            reach_bins=bins,
            reach_counts=counts,
            flag_sums=flags.sum(axis=0),
            sums=clean.sum(axis=0),
            sums_sq=(clean * clean).sum(axis=0),
            counts=finite.sum(axis=0).astype(np.int64),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"n": np.array(self.n), "flag_sums": self.flag_sums, "sums": self.sums,
               "sums_sq": self.sums_sq, "counts": self.counts}
        out |= {f"reach_bins_{k}": b for k, b in zip(TIERS, self.reach_bins)}
        out |= {f"reach_counts_{k}": c for k, c in zip(TIERS, self.reach_counts)}
        return out

    @classmethod
    def from_arrays(cls, a: Any) -> "Tally":
        return cls(int(a["n"]), [a[f"reach_bins_{k}"] for k in TIERS], [a[f"reach_counts_{k}"] for k in TIERS],
                   a["flag_sums"], a["sums"], a["sums_sq"], a["counts"])


def bin_width_for(horizon: float) -> float:
    """Times to reach a tier are binned at 0.1 hour (6 minutes), coarser for horizons
    beyond 200 days, so a histogram stays within 50,000 bins per tier: quantiles are
    exact to the bin, and memory does not grow with N, even over a sweep's points."""
    return max(0.1, horizon / 50_000)


def bin_count_for(horizon: float) -> int:
    return int(math.ceil(horizon / bin_width_for(horizon))) + 1


class Accumulator:
    """Adds tallies in the order given; memory is fixed by the horizon, not by N."""

    def __init__(self, horizon: float, n_classes: int) -> None:
        self.horizon = horizon
        self.bin_width = bin_width_for(horizon)
        self.n_bins = bin_count_for(horizon)
        self.n = 0
        self.histograms = np.zeros((len(TIERS), self.n_bins), dtype=np.int32)  # 2^31 replications is plenty
        self.flag_sums = np.zeros(len(PROPORTIONS))
        n_means = len(MEANS) + n_classes
        self.sums = np.zeros(n_means)
        self.sums_sq = np.zeros(n_means)
        self.counts = np.zeros(n_means, dtype=np.int64)

    def add(self, tally: Tally) -> None:
        self.n += tally.n
        for k in range(len(TIERS)):
            self.histograms[k, tally.reach_bins[k]] += tally.reach_counts[k]
        self.flag_sums += tally.flag_sums
        self.sums += tally.sums
        self.sums_sq += tally.sums_sq
        self.counts += tally.counts


@dataclass(frozen=True)
class RunSummary:
    """What a run reports: tier probabilities, their curves over time, metrics."""
    n: int
    seed: int
    engine: str
    scenario: str
    horizon_hours: float
    tiers: pd.DataFrame      # one row per tier
    metrics: pd.DataFrame    # one row per metric
    curves: pd.DataFrame     # cumulative probability of each tier by day

    def to_frame(self) -> pd.DataFrame:
        """The tier table (the headline result)."""
        return self.tiers.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seed": self.seed,
            "engine": self.engine,
            "scenario": self.scenario,
            "horizon_hours": self.horizon_hours,
            "tiers": [json_row(r) for r in self.tiers.to_dict(orient="records")],
            "metrics": {r["metric"]: json_row({k: v for k, v in r.items() if k != "metric"})
                        for r in self.metrics.to_dict(orient="records")},
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any], curves: pd.DataFrame | None = None) -> "RunSummary":
        metrics = pd.DataFrame([{"metric": k, **v} for k, v in data["metrics"].items()])
        return cls(data["n"], data["seed"], data["engine"], data.get("scenario", ""), data["horizon_hours"],
                   pd.DataFrame(data["tiers"]).astype({"tier": "int64"}), metrics,
                   curves if curves is not None else pd.DataFrame())


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


def summarize(acc: Accumulator, class_names: list[str], seed: int, engine: str, scenario: str,
              confidence: float = 0.95) -> RunSummary:
    n = acc.n
    tier_rows = []
    for k, tier in enumerate(TIERS):
        hist = acc.histograms[k]
        reached = int(hist.sum())
        p = stats.wilson_interval(reached, n, confidence)
        q10, q50, q90 = (stats.histogram_quantile(hist, acc.bin_width, q) for q in QUANTILES)
        tier_rows.append({"tier": tier, "p_reached": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high,
                          "median_hours_to_reach": q50, "p10_hours_to_reach": q10,
                          "p90_hours_to_reach": q90, "n_reached": reached})
    metric_rows = []
    for i, name in enumerate(PROPORTIONS):
        e = stats.wilson_interval(int(acc.flag_sums[i]), n, confidence)
        metric_rows.append({"metric": name, "estimate": e.estimate, "ci_low": e.ci_low,
                            "ci_high": e.ci_high, "n": n})
    for i, column in enumerate(metric_columns(class_names)):
        e = stats.mean_interval(acc.sums[i], acc.sums_sq[i], int(acc.counts[i]), confidence)
        name = column if column.startswith("mean_") else f"mean_{column}"
        metric_rows.append({"metric": name, "estimate": e.estimate, "ci_low": e.ci_low,
                            "ci_high": e.ci_high, "n": int(acc.counts[i])})
    days = np.arange(0, math.floor(acc.horizon / 24.0) + 1) * 24.0
    grid = np.unique(np.append(days, acc.horizon))
    curves = [stats.cumulative_curve(acc.histograms[k], acc.bin_width, n, grid, confidence)
              for k in range(len(TIERS))]
    curve_frame = pd.DataFrame({
        "tier": np.repeat(np.array(TIERS), len(grid)), "hours": np.tile(grid, len(TIERS)),
        "p_reached": np.concatenate([c[0] for c in curves]), "ci_low": np.concatenate([c[1] for c in curves]),
        "ci_high": np.concatenate([c[2] for c in curves])})
    return RunSummary(n, seed, engine, scenario, acc.horizon, pd.DataFrame(tier_rows),
                      pd.DataFrame(metric_rows), curve_frame)
