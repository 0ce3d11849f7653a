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
    estimate: float        # bias-corrected: 2 h - (the draws' mean)
    ci_low: float
    ci_high: float
    std_error: float       # the draws' standard deviation
    plug_in: float         # h: the hypervolume of the estimates themselves


def hypervolume_interval(values: np.ndarray, draws: np.ndarray, reference: np.ndarray,
                         confidence: float = 0.95) -> Interval:
    """The hypervolume of the members' true objectives (the set held as it is), from
    their estimates ``values`` (M, K) and paired bootstrap draws (M, B, K). The
    hypervolume is a maximum over members, so noise biases the plug-in h upward (near
    ties add volume that is not there), and the draws repeat that bias on top of h's:
    the estimate is bias-corrected, 2 h - mean(draws), and the interval is the basic
    bootstrap one, (2 h - q_high, 2 h - q_low), which reflects the bias back (Davison &
    Hinkley 1997, Bootstrap Methods and their Application, 5.2; its coverage is tested
    against known fronts)."""
    plug_in = hypervolume(values, reference)
    volumes = np.array([hypervolume(draws[:, b, :], reference) for b in range(draws.shape[1])])
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(volumes, [tail, 1.0 - tail])
    estimate = max(0.0, 2 * plug_in - float(volumes.mean()))
    return Interval(estimate, max(0.0, min(2 * plug_in - high, estimate)), max(2 * plug_in - low, estimate),
                    float(volumes.std(ddof=1)), plug_in)


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
