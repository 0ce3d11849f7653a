"""How rule-set variants fare across the uncertainty (Robust Decision Making).

Every variant ran at the same S points of the uncertainty on the same replications,
so at each point the variants are compared pair by pair. For an outcome to minimise
(or maximise), a variant's *regret* at a point is how much worse it does than the
best variant there: ``x_v - min_w x_w``. It is the largest of its paired differences
with the others (and 0), so its interval is built from theirs: at least the largest
lower bound, at most the largest upper bound (each a 95% paired interval: Newcombe's
for a probability, a normal interval of independent means, conservative under common
random numbers, for a mean). Over the points: the mean (see below), the 90th percentile
and the maximum (with the paired interval of the point they fall on), the mean of the
worst 10% of points' outcomes (a bootstrap), the share of points where the
variant meets the user's criteria (Wilson), and which variants no other beats at
every point. The best variant at a point is picked by the same estimates, so regret
is biased upward by noise; the notes say when that matters.

The points share their replications (common random numbers across the points too), so
the luck of a replication moves every point's estimate together, and an interval over
the points that treats them as independent misses it. Each point's replications run in
blocks (``stress.statistics.blocks``); with the cells of the points x blocks table
(``Measure.cells``), the mean and the mean regret get the crossed design's interval
(``stress.statistics.uncertainty``) and the worst-10% mean's bootstrap resamples the
blocks as well as the points.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from stress.statistics.intervals import wilson_interval
from stress.statistics.uncertainty import crossed_cells

WORST_SHARE = 0.1
PERCENTILE = 0.9
BOOTSTRAP = 2000
# SeedSequence spawn key of the bootstrap's random numbers.
BOOTSTRAP_KEY = 0x7E61


class Measure(NamedTuple):
    """One outcome of every variant at every point."""
    name: str
    direction: str                 # "minimize" or "maximize"
    values: np.ndarray             # (S, V) estimates
    worse_low: np.ndarray          # (S, V, V): 95% paired interval of how much worse v does than w
    worse_high: np.ndarray
    cells: np.ndarray              # (S, V, K): the points x blocks table of each variant (uncertainty.block_cells)
    probability: bool              # a probability: Wilson's interval for its mean
    replications: int              # per point

    def worse(self) -> np.ndarray:
        """(S, V, V): how much worse variant v does than w at each point (its estimate)."""
        sign = 1.0 if self.direction == "minimize" else -1.0
        return sign * (self.values[:, :, None] - self.values[:, None, :])

    def regret(self) -> np.ndarray:
        """(S, V) regret: how much worse than the best variant at the point (0 for the best)."""
        best = self.values.min(axis=1) if self.direction == "minimize" else self.values.max(axis=1)
        return np.abs(self.values - best[:, None])

    def regret_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(S, V) bounds of the regret: the largest of the paired bounds and 0."""
        return np.maximum(self.worse_low.max(axis=2), 0.0), np.maximum(self.worse_high.max(axis=2), 0.0)


def paired_proportions(cells: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """(S, V, V) Newcombe bounds of p_v - p_w from ``cells[s, v, w]`` = (both, v only,
    w only, neither) over the replications (a variant against itself: exactly 0)."""
    from stress.statistics.intervals import paired_difference
    points, variants = cells.shape[:2]
    low = np.zeros((points, variants, variants))
    high = np.zeros((points, variants, variants))
    for s in range(points):
        for v in range(variants):
            for w in range(variants):
                if v != w:
                    both, v_only, w_only, neither = (int(c) for c in cells[s, v, w])
                    d = paired_difference(both, w_only, v_only, neither, confidence)   # p_v - p_w
                    low[s, v, w], high[s, v, w] = d.ci_low, d.ci_high
    return low, high


def independent_means(values: np.ndarray, errors: np.ndarray, confidence: float = 0.95
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(S, V, V) bounds of x_v - x_w for means with standard errors ``errors`` (S, V)."""
    from stress.statistics.intervals import z_value
    difference = values[:, :, None] - values[:, None, :]
    half = z_value(confidence) * np.sqrt(errors[:, :, None] ** 2 + errors[:, None, :] ** 2)
    half[:, np.arange(values.shape[1]), np.arange(values.shape[1])] = 0.0
    return difference - half, difference + half


def oriented(low: np.ndarray, high: np.ndarray, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of x_v - x_w as bounds of how much worse v does than w."""
    return (low, high) if direction == "minimize" else (-high, -low)


def _mean_interval(m: Measure, v: int) -> tuple[float, float, float]:
    """A variant's mean over the points: the crossed design of points and blocks."""
    x = m.values[:, v]
    s = crossed_cells(x, m.cells[:, v, :], bounds=(0.0, 1.0) if m.probability else None,
                      total=len(x) * m.replications)
    return s.mean, s.ci_low, s.ci_high


def _regret_mean_interval(m: Measure, v: int, regret: np.ndarray) -> tuple[float, float, float]:
    """A variant's mean regret: the crossed design of its difference from the point's
    best variant (picked by the estimates), block by block."""
    best = np.argmin(m.values, axis=1) if m.direction == "minimize" else np.argmax(m.values, axis=1)
    points = np.arange(len(best))
    sign = 1.0 if m.direction == "minimize" else -1.0
    difference = sign * (m.cells[:, v, :] - m.cells[points, best, :])
    s = crossed_cells(regret, difference)
    return s.mean, s.ci_low, s.ci_high


def _worst_mean(values: np.ndarray, direction: str) -> float:
    count = max(1, math.ceil(WORST_SHARE * len(values)))
    ordered = np.sort(values)
    return float((ordered[-count:] if direction == "minimize" else ordered[:count]).mean())


def _bootstrap_worst(cells: np.ndarray, direction: str, draws: np.ndarray, block_weights: np.ndarray
                     ) -> tuple[float, float]:
    """The percentile interval of the worst-10% mean over resamples of the points and of
    the blocks of the points x blocks ``cells`` (``draws``: one row of point indices per
    resample; ``block_weights``: how often each block is drawn per resample; both the
    same for every variant, so variants are compared on the same resamples and
    identical ones get identical ends, and the blocks the same for every point: the
    replications' luck is shared)."""
    count = max(1, math.ceil(WORST_SHARE * len(cells)))
    values = block_weights @ cells.T / block_weights.shape[1]   # (resamples, points)
    ordered = np.sort(np.take_along_axis(values, draws, axis=1), axis=1)
    tails = ordered[:, -count:] if direction == "minimize" else ordered[:, :count]
    means = tails.mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def _quantile_point(values: np.ndarray, q: float) -> int:
    """The point whose value is the q-quantile (the lower of two at a tie of ranks)."""
    order = np.argsort(values, kind="stable")
    return int(order[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))])


def dominated_by(measures: Sequence[Measure], names: Sequence[str]) -> list[list[str]]:
    """For each variant, the variants that beat it at every point: at least as good on
    every outcome at every point and better somewhere (by the estimates)."""
    worse = np.concatenate([m.worse() for m in measures], axis=0)   # (S * outcomes, V, V)
    out = []
    for v in range(len(names)):
        out.append([names[w] for w in range(len(names))
                    if w != v and np.all(worse[:, v, w] >= 0) and np.any(worse[:, v, w] > 0)])
    return out


class Criteria(NamedTuple):
    """Where each variant meets the user's criteria, at each point."""
    text: str
    met: np.ndarray          # (S, V) bool, by the estimates
    unclear: np.ndarray      # (S, V) bool: a 95% interval straddles a threshold


def robustness_table(measures: Sequence[Measure], names: Sequence[str], criteria: Criteria | None, seed: int
                     ) -> pd.DataFrame:
    """One row per variant and outcome (see the module's description)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(BOOTSTRAP_KEY,)))
    points = len(measures[0].values) if measures else 0
    draws = rng.integers(0, points, size=(BOOTSTRAP, points)) if points else np.zeros((0, 0), dtype=np.int64)
    blocks = measures[0].cells.shape[2] if measures else 0
    block_weights = np.stack([np.bincount(row, minlength=blocks) for row in
                              rng.integers(0, blocks, size=(BOOTSTRAP, blocks))]).astype(np.float64)
    dominators = dominated_by(measures, names)
    rows = []
    for m in measures:
        regret = m.regret()
        regret_low, regret_high = m.regret_interval()
        for v, name in enumerate(names):
            x, r = m.values[:, v], regret[:, v]
            mean, mean_low, mean_high = _mean_interval(m, v)
            worst_low, worst_high = _bootstrap_worst(m.cells[:, v, :], m.direction, draws, block_weights)
            r_mean, r_low, r_high = _regret_mean_interval(m, v, r)
            p90, top = _quantile_point(r, PERCENTILE), int(np.argmax(r))
            row = {"variant": name, "outcome": m.name, "direction": m.direction,
                   "mean": mean, "mean_ci_low": mean_low, "mean_ci_high": mean_high,
                   "worst10": _worst_mean(x, m.direction), "worst10_ci_low": worst_low, "worst10_ci_high": worst_high,
                   "regret_mean": r_mean, "regret_mean_ci_low": max(r_low, 0.0), "regret_mean_ci_high": r_high,
                   "regret_p90": r[p90], "regret_p90_ci_low": regret_low[p90, v],
                   "regret_p90_ci_high": regret_high[p90, v],
                   "regret_max": r[top], "regret_max_ci_low": regret_low[top, v],
                   "regret_max_ci_high": regret_high[top, v], "regret_max_point": top,
                   "best_share": float(np.mean(r == 0)),
                   "regret_clear_share": float(np.mean(regret_low[:, v] > 0))}
            rows.append(row | _satisficing(criteria, v) | {"undominated": not dominators[v],
                                                           "dominated_by": ", ".join(dominators[v])})
    return pd.DataFrame(rows)


def _satisficing(criteria: Criteria | None, v: int) -> dict:
    if criteria is None:
        return {"satisfice_share": math.nan, "satisfice_share_ci_low": math.nan, "satisfice_share_ci_high": math.nan,
                "satisfice_unclear": 0}
    met = criteria.met[:, v]
    share = wilson_interval(int(met.sum()), len(met))
    return {"satisfice_share": share.estimate, "satisfice_share_ci_low": share.ci_low,
            "satisfice_share_ci_high": share.ci_high, "satisfice_unclear": int(criteria.unclear[:, v].sum())}


def regret_frame(measures: Sequence[Measure], names: Sequence[str]) -> pd.DataFrame:
    """Every point, variant and outcome: the estimate, the regret and its interval."""
    parts = []
    for m in measures:
        regret = m.regret()
        low, high = m.regret_interval()
        points, variants = m.values.shape
        parts.append(pd.DataFrame({
            "point": np.repeat(np.arange(points), variants), "variant": np.tile(list(names), points),
            "outcome": m.name, "value": m.values.ravel(), "regret": regret.ravel(), "regret_ci_low": low.ravel(),
            "regret_ci_high": high.ravel()}))
    return pd.concat(parts, ignore_index=True)
