"""Pareto fronts of noisy objectives: dominance, its probability, the hypervolume with
an interval, and the knee. Pure functions over arrays.

Objectives are *oriented* here: every one is to be minimised (a maximised outcome
enters negated). Member a dominates b when it is at least as good on every objective
and better on one; two members with the same values never dominate each other.
The probabilities come from bootstrap draws of every member's objectives on the same
replications (``stress.statistics.resampling``), so they are paired: what member a
and member b share (the same breaches, the same luck) cancels in their comparison.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


def dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether ``a`` dominates ``b`` (oriented objectives on the last axis; broadcasts)."""
    return np.all(a <= b, axis=-1) & np.any(a < b, axis=-1)


def dominance(draws: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
    """(M, M) the share of draws in which member d (row) meets the constraints and
    dominates member c (column); ``draws`` (M, B, K), ``feasible`` (M, B) or None (no
    constraints). The diagonal is 0."""
    members = draws.shape[0]
    out = np.zeros((members, members))
    for c in range(members):
        beaten = dominates(draws, draws[c][None, :, :])       # (M, B): d dominates c in draw b
        if feasible is not None:
            beaten &= feasible
        out[:, c] = beaten.mean(axis=1)
        out[c, c] = 0.0
    return out


def dominated_share(draws: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
    """(M,) the share of draws in which another member (meeting the constraints there)
    dominates each member: the paired probability that it is not on the front."""
    members, count = draws.shape[:2]
    out = np.zeros(members)
    for c in range(members):
        beaten = dominates(draws, draws[c][None, :, :])
        if feasible is not None:
            beaten &= feasible
        beaten[c] = False
        out[c] = beaten.any(axis=0).mean() if count else math.nan
    return out


def nondominated(values: np.ndarray, feasible: np.ndarray | None = None) -> np.ndarray:
    """(M,) bool: the members no feasible member dominates, among the feasible ones
    (``values`` (M, K) oriented estimates)."""
    ok = np.ones(len(values), dtype=bool) if feasible is None else np.asarray(feasible, dtype=bool)
    out = ok.copy()
    for c in np.flatnonzero(ok):
        beaten = dominates(values, values[c]) & ok
        beaten[c] = False
        out[c] = not beaten.any()
    return out


def hypervolume(values: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by the points ``values`` (M, K, oriented) and bounded by
    ``reference``: the objective space the set does better than, up to that point.
    Points not better than the reference on every objective add nothing (exact: moocore,
    through pymoo)."""
    inside = values[np.all(values < reference, axis=1)] if len(values) else values
    if not len(inside):
        return 0.0
    if values.shape[1] == 1:
        return float(reference[0] - inside[:, 0].min())
    from pymoo.indicators.hv import HV
    return float(HV(ref_point=np.asarray(reference, dtype=np.float64))(np.asarray(inside, dtype=np.float64)))


class Interval(NamedTuple):
    estimate: float        # the hypervolume of the estimates
    ci_low: float
    ci_high: float
    std_error: float       # the draws' standard deviation
    multiplier: float      # c: the box is every estimate +- c standard errors


def hypervolume_interval(values: np.ndarray, draws: np.ndarray, reference: np.ndarray,
                         confidence: float = 0.95, floor: np.ndarray | None = None) -> Interval:
    """The hypervolume of the members' estimates ``values`` (M, K) with an interval for
    that of their true objectives (the set held as it is), from paired bootstrap draws
    (M, B, K).

    The hypervolume is a maximum over members: members near a tie make it non-smooth,
    noise biases the estimate upward there, and bootstrap intervals (percentile, basic,
    normal, BCa) cover 88-94% in the tests. So the interval is built to hold whatever the
    front's shape: a simultaneous box, every member's every objective within c standard
    errors of its estimate, c the ``confidence`` quantile of the draws' largest
    standardised deviation (a sup-t band: Montiel Olea, J. L. & Plagborg-Moller, M.
    (2019), Simultaneous confidence bands, Journal of Applied Econometrics 34(1)); the
    hypervolume only grows as any objective improves, so while the box holds the truth,
    the true hypervolume lies between that of the box's worst corners and of its best.
    It is conservative (99% and more in the tests) and about twice as wide as the
    bootstrap's. ``floor`` (M, K): a least standard error (for a probability seen in few
    replications, whose bootstrap spread understates it)."""
    estimate = hypervolume(values, reference)
    spread = draws.std(axis=1, ddof=1) if draws.shape[1] > 1 else np.zeros_like(values)
    if floor is not None:
        spread = np.maximum(spread, floor)
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        standardised = np.abs(draws - values[:, None, :]) / np.where(spread > 0, spread, np.inf)[:, None, :]
    largest = np.nan_to_num(standardised, nan=0.0).max(axis=(0, 2))
    c = float(np.quantile(largest, confidence)) if len(largest) else 0.0
    volumes = np.array([hypervolume(draws[:, b, :], reference) for b in range(draws.shape[1])])
    low = hypervolume(values + c * spread, reference)
    high = hypervolume(values - c * spread, reference)
    return Interval(estimate, min(low, estimate), max(high, estimate),
                    float(volumes.std(ddof=1)) if len(volumes) > 1 else math.nan, c)


def knee(values: np.ndarray) -> int:
    """The knee of a front (M, K oriented estimates): with each objective scaled to
    [0, 1] over the front (0 its best member, 1 its worst), the member farthest below
    the plane through the scaled extremes, sum = 1 (Das, I. (1999). On characterizing
    the "knee" of the Pareto curve based on normal-boundary intersection. Structural
    Optimization 18, 94-103): where giving up a little of one objective buys the most
    of the others. Ties go to the first member."""
    low, high = values.min(axis=0), values.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (values - low) / span
    return int(np.argmin(scaled.sum(axis=1)))
