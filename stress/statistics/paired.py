"""Paired differences between two points of a job that ran the same replications (a
group): for a probability, Newcombe's interval from the replications' agreement; for a
mean, the Student t interval of the differences replication by replication."""

from __future__ import annotations

import math

from stress.statistics import intervals
from stress.statistics.intervals import Estimate
from stress.statistics.points import PointTotals


def output_kind(totals: PointTotals, name: str) -> tuple[str, int]:
    """('outcome', its column in the paired counts) for a tier's probability
    (``<tier>_p``) or a proportion, ('mean', its column) for a mean metric."""
    out = totals.outputs
    if name.endswith("_p") and name[:-2] in out.tiers:
        return "outcome", out.outcomes.index(name[:-2])
    if name in out.proportions:
        return "outcome", out.outcomes.index(name)
    if name in out.means:
        return "mean", out.means.index(name)
    raise KeyError(name)


def difference(totals: PointTotals, a: int, b: int, name: str, confidence: float = 0.95) -> Estimate:
    """The output ``name`` of point ``b`` less that of point ``a`` (of one group), with
    its paired interval (NaN where either point's plan lacks it)."""
    if a == b:
        return Estimate(0.0, 0.0, 0.0)
    kind, column = output_kind(totals, name)
    key, sign = ((a, b), 1.0) if (a, b) in totals.pairs else ((b, a), -1.0)
    if kind == "outcome":
        both, first_only, second_only, neither = (int(x) for x in totals.pairs[key][column])
        if sign < 0:
            first_only, second_only = second_only, first_only
        d = intervals.paired_difference(both, first_only, second_only, neither, confidence)
        return Estimate(d.diff, d.ci_low, d.ci_high)
    total, total_sq, n = totals.pair_means[key][column]
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    return intervals.paired_mean_difference(sign * total, total_sq, int(n), confidence)
