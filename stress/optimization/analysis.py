"""The final front: its members re-evaluated on fresh replications, all the same ones.

For the members of the final evaluation (every candidate the search left in contention)
this gives, from each member's per-replication values: every objective with its 95%
interval (Wilson for a probability and Student t for a mean of one scenario; a
bootstrap percentile interval for a measure over the uncertainty); the paired
probability that another member dominates it (the share of paired bootstrap draws in
which one that meets the constraints there does); whether it meets the constraints and
in what share of the draws; the front (the members no other feasible member dominates
by the estimates); paired differences between every two members; the hypervolume of
the front with its interval; and the knee with how often the draws agree on it.

Against several kinds of violator, every objective is its value under the behaviour
worst for it (``Measures``), in the estimates and inside every bootstrap draw; the
interval of a probability or mean of one scenario is then the one for the worst of the
behaviours' true values (from the highest of their lower bounds to the highest of their
upper bounds, for an outcome to minimise), and which behaviour was worst is reported.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from stress.optimization import front as fronts
from stress.optimization.objectives import Measures, Objective
from stress.statistics.intervals import mean_interval, paired_difference, wilson_interval
from stress.statistics.resampling import ReplicationWeights, means, weighted_means

# Draws are made in blocks of this many: memory stays at one block's weights.
BLOCK = 100


class FrontAnalysis(NamedTuple):
    estimates: np.ndarray          # (M, K) objectives, each in its own direction
    low: np.ndarray                # (M, K) 95% interval
    high: np.ndarray
    feasible: np.ndarray           # (M,) meets the constraints, by the estimates
    feasible_share: np.ndarray     # (M,) share of draws it does
    dominated_share: np.ndarray    # (M,) share of draws another feasible member dominates it
    dominance: np.ndarray          # (M, M) share of draws row (feasible) dominates column
    on_front: np.ndarray           # (M,) bool
    dominated_by: list[list[int]]  # by the estimates
    beaten_everywhere_by: list[list[int]]   # at least as good at every scenario on every objective
    hypervolume: fronts.Interval
    reference: np.ndarray          # (K,) in each objective's own direction
    knee: int                      # a member
    knee_share: float              # share of draws whose front has the same knee
    pairs: list[dict]              # paired differences between every two members
    scenario_means: np.ndarray     # (M, S * A, J)
    worst: np.ndarray              # (M, K, S) the behaviour worst for each objective at each scenario (-1: none)


def draws_of(data: np.ndarray, weights: ReplicationWeights, start: int) -> np.ndarray:
    """(B, S * A, J) bootstrap means of one member's values (N, S * A, J) on replications from ``start``."""
    count = data.shape[0]
    blocks = [weighted_means(data, weights.of(start, count, slice(b, b + BLOCK)))
              for b in range(0, weights.draws, BLOCK)]
    return np.concatenate(blocks, axis=0)


def _value_interval(x: np.ndarray, statistic: str, confidence: float) -> tuple[float, float]:
    """Wilson's interval of a probability, Student t's of a mean, over the replications' values."""
    x = x[np.isfinite(x)]
    if not statistic.startswith("mean_"):
        e = wilson_interval(int(round(x.sum())), len(x), confidence)
    else:
        e = mean_interval(float(x.sum()), float((x * x).sum()), len(x), confidence)
    return e.ci_low, e.ci_high


def _interval(values: np.ndarray | None, o: Objective, draws: np.ndarray,
              confidence: float = 0.95) -> tuple[float, float]:
    """A member's objective interval: for one scenario's outcome (``values`` (N, A), a
    column per behaviour), Wilson's or Student t's of the worst behaviour's true value:
    it lies between the highest lower bound and the highest upper bound of theirs (the
    lowest, for an outcome to maximise), which is each behaviour's own interval when
    there is one; else the bootstrap percentile interval of the measure."""
    if o.measure == "value":
        bounds = np.array([_value_interval(values[:, a], o.statistic, confidence) for a in range(values.shape[1])])
        bounds = bounds[np.isfinite(bounds).all(axis=1)]
        if not len(bounds):
            return math.nan, math.nan
        pick = np.max if o.direction == "minimize" else np.min
        return float(pick(bounds[:, 0])), float(pick(bounds[:, 1]))
    tail = (1.0 - confidence) / 2.0
    finite = draws[np.isfinite(draws)]
    if not len(finite):
        return math.nan, math.nan
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)   # the caller widens it to hold the estimate


def analyse(data: Sequence[np.ndarray], measures: Measures, weights: ReplicationWeights, start: int,
            reference: np.ndarray, confidence: float = 0.95) -> FrontAnalysis:
    """``data``: each member's values (N, S, J) on the replications from ``start``;
    ``reference`` (K,): the hypervolume's reference, in each objective's direction."""
    members = len(data)
    objectives = measures.objectives
    scenario_means = np.stack([means(d) for d in data])                    # (M, S, J)
    estimates = measures.objectives_of(scenario_means)                      # (M, K)
    feasible = measures.feasible(scenario_means)
    boot = np.stack([draws_of(d, weights, start) for d in data])           # (M, B, S, J)
    raw_draws = measures.objectives_of(boot)                               # (M, B, K)
    draws = measures.oriented(raw_draws)
    feasible_draws = measures.feasible(boot)                               # (M, B)
    low, high = np.full(estimates.shape, np.nan), np.full(estimates.shape, np.nan)
    for m in range(members):
        for k, o in enumerate(objectives):
            column = measures.column.get(o.statistic)
            values = data[m][:, :, column] if column is not None else None
            lo, hi = _interval(values, o, raw_draws[m, :, k], confidence)
            # a percentile interval of a skewed measure may miss its estimate by a hair
            low[m, k], high[m, k] = min(lo, estimates[m, k]), max(hi, estimates[m, k])
    oriented = measures.oriented(estimates)
    on_front = fronts.nondominated(oriented, feasible)
    dominated_by = [[d for d in range(members) if d != c and feasible[d] and fronts.dominates(oriented[d], oriented[c])]
                    for c in range(members)]
    everywhere = everywhere_values(scenario_means, measures)
    beaten = [[d for d in range(members) if d != c and fronts.dominates(everywhere[d], everywhere[c])]
              for c in range(members)]
    shown = np.flatnonzero(on_front) if on_front.any() else np.arange(members)
    target = measures.oriented(reference)
    volume = fronts.hypervolume_interval(oriented[shown], draws[shown], target, confidence,
                                         _floor(data, measures)[shown])
    knee_at = int(shown[fronts.knee(oriented[shown])])
    agree = np.mean([shown[fronts.knee(draws[shown, b])] == knee_at for b in range(draws.shape[1])])
    return FrontAnalysis(estimates, low, high, feasible, feasible_draws.mean(axis=1),
                         fronts.dominated_share(draws, feasible_draws), fronts.dominance(draws, feasible_draws),
                         on_front, dominated_by, beaten, volume, reference, knee_at, float(agree),
                         _pairs(data, measures, raw_draws, estimates, confidence), scenario_means,
                         worst_behaviours(scenario_means, measures))


def _floor(data: Sequence[np.ndarray], measures: Measures) -> np.ndarray:
    """(M, K) a least standard error for each member's objective: for a probability of
    one scenario, that of Agresti and Coull's adjusted estimate, (x + 2) / (N + 4), which
    a probability seen in few (or no) replications still has (under the behaviour worst
    for it); 0 for the others."""
    out = np.zeros((len(data), len(measures.objectives)))
    for k, o in enumerate(measures.objectives):
        if o.measure != "value" or o.statistic is None or o.statistic.startswith("mean_"):
            continue
        for m, d in enumerate(data):
            x = d[:, _worst_column(d, measures, o), measures.column[o.statistic]]
            x = x[np.isfinite(x)]
            p = (x.sum() + 2.0) / (len(x) + 4.0)
            out[m, k] = math.sqrt(p * (1.0 - p) / (len(x) + 4.0))
    return out


def everywhere_values(scenario_means: np.ndarray, measures: Measures) -> np.ndarray:
    """(M, S * K) each objective's outcome at each scenario (under the behaviour worst for
    it), oriented (satisficing: met or not), to tell whether one member beats another at
    every scenario."""
    return np.concatenate([sign * measures.per_scenario(scenario_means, o)
                           for o, sign in zip(measures.objectives, measures.sign)], axis=1)


def worst_behaviours(scenario_means: np.ndarray, measures: Measures) -> np.ndarray:
    """(M, K, S) which behaviour is worst for each member's objective at each scenario."""
    return np.stack([measures.worst_behaviour(scenario_means, o) for o in measures.objectives], axis=1)


def _worst_column(d: np.ndarray, measures: Measures, o: Objective) -> int:
    """The column of one member's values (N, A, J) (one scenario) under the behaviour
    worst for objective ``o`` by its estimates (the first when none has a value)."""
    return max(0, int(measures.worst_behaviour(means(d), o)[0]))


def _pairs(data: Sequence[np.ndarray], measures: Measures, raw_draws: np.ndarray, estimates: np.ndarray,
           confidence: float) -> list[dict]:
    """Every two members' paired difference in each objective (b - a): Newcombe's interval
    for a probability of one scenario, else the bootstrap percentile interval."""
    tail = (1.0 - confidence) / 2.0
    rows = []
    for a in range(len(data)):
        for b in range(a + 1, len(data)):
            for k, o in enumerate(measures.objectives):
                column = measures.column.get(o.statistic)
                if o.measure == "value" and not o.statistic.startswith("mean_"):
                    # each under the behaviour worst for it: still paired, replication by replication
                    x = data[a][:, _worst_column(data[a], measures, o), column] == 1.0
                    y = data[b][:, _worst_column(data[b], measures, o), column] == 1.0
                    d = paired_difference(int(np.sum(x & y)), int(np.sum(x & ~y)), int(np.sum(~x & y)),
                                          int(np.sum(~x & ~y)), confidence)
                    diff, low, high = d.diff, d.ci_low, d.ci_high
                else:
                    spread = raw_draws[b, :, k] - raw_draws[a, :, k]
                    spread = spread[np.isfinite(spread)]
                    diff = float(estimates[b, k] - estimates[a, k])
                    low, high = (np.quantile(spread, [tail, 1.0 - tail]) if len(spread) else (math.nan, math.nan))
                    low, high = min(low, diff), max(high, diff)
                rows.append({"a": a, "b": b, "objective": o.name, "diff": float(diff), "ci_low": float(low),
                             "ci_high": float(high)})
    return rows
