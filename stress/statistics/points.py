"""The running totals of every point of a job, and their summaries.

Tallies are added per point in the order of their replications, so the numbers do not
depend on the number of workers or on an interruption. The reach-time histogram of a
point is kept sparse while it is small, dense once that is cheaper, and reduced to
its quantiles (and, if asked, its curve over time) when the point is finished: what a
finished point keeps is a fixed handful of numbers, whatever the histogram's
resolution, so a study of 10,000 points needs hardly more memory than one of 100.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from stress.statistics import intervals
from stress.statistics.tally import MEANS, OUTCOMES, PROPORTIONS, TIERS, UnitTallies

QUANTILES = (0.1, 0.5, 0.9)


class ReachHistogram:
    """One point's histogram of reach times while its replications come in."""

    def __init__(self, n_bins: int) -> None:
        self.n_bins = n_bins
        self.pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.size = 0
        self.dense: np.ndarray | None = None

    def add(self, tiers: np.ndarray, bins: np.ndarray, counts: np.ndarray) -> None:
        if self.dense is not None:
            np.add.at(self.dense, (tiers, bins), counts)
            return
        self.pieces.append((tiers, bins, counts))
        self.size += len(bins)
        if self.size > self.n_bins:  # the pieces now outweigh a dense histogram
            self.dense = np.zeros((len(TIERS), self.n_bins), dtype=np.int64)
            for piece in self.pieces:
                np.add.at(self.dense, piece[:2], piece[2])
            self.pieces = []

    def by_tier(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per tier, the occupied bins (ascending) and their counts."""
        if self.dense is not None:
            return [(np.flatnonzero(row), row[row > 0]) for row in self.dense]
        if not self.pieces:
            empty = np.zeros(0, dtype=np.int64)
            return [(empty, empty)] * len(TIERS)
        tiers = np.concatenate([p[0] for p in self.pieces]).astype(np.int64)
        keys = tiers * self.n_bins + np.concatenate([p[1] for p in self.pieces])
        unique, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([p[2] for p in self.pieces])).astype(np.int64)
        split = np.searchsorted(unique, np.arange(1, len(TIERS)) * self.n_bins)
        return [(b - k * self.n_bins, c) for k, (b, c) in
                enumerate(zip(np.split(unique, split), np.split(counts, split)))]


class Curve(NamedTuple):
    """Probability of having reached at least each tier by each time of ``hours``."""
    hours: np.ndarray                 # (T,)
    p: np.ndarray                     # (3, T)
    ci_low: np.ndarray
    ci_high: np.ndarray


def curve_grid(horizon: float) -> np.ndarray:
    """Whole days from 0, and the horizon itself."""
    days = np.arange(0, math.floor(horizon / 24.0) + 1) * 24.0
    return np.unique(np.append(days, horizon))


class PointTotals:
    """Running totals of ``n_points`` points whose mean metrics have ``width`` columns."""

    def __init__(self, bin_widths: Sequence[float], bin_counts: Sequence[int], width: int) -> None:
        n_points = len(bin_widths)
        self.bin_widths = np.asarray(bin_widths, dtype=np.float64)
        self.bin_counts = np.asarray(bin_counts, dtype=np.int64)
        self.n = np.zeros(n_points, dtype=np.int64)
        self.flags = np.zeros((n_points, len(PROPORTIONS)), dtype=np.int64)
        self.sums = np.zeros((n_points, width))
        self.sums_sq = np.zeros((n_points, width))
        self.counts = np.zeros((n_points, width), dtype=np.int64)
        self.seconds = np.zeros(n_points)
        self.reached = np.zeros((n_points, len(TIERS)), dtype=np.int64)
        self.quantiles = np.full((n_points, len(TIERS), len(QUANTILES)), np.nan)
        self.curves: dict[int, Curve] = {}
        self._histograms: dict[int, ReachHistogram] = {}
        self.pairs: dict[tuple[int, int], np.ndarray] = {}

    def add(self, points: np.ndarray, tallies: UnitTallies, seconds: np.ndarray) -> None:
        """Add units (in the order of their replications within each point)."""
        np.add.at(self.n, points, tallies.n)
        np.add.at(self.flags, points, tallies.flags)
        np.add.at(self.sums, points, tallies.sums)
        np.add.at(self.sums_sq, points, tallies.sums_sq)
        np.add.at(self.counts, points, tallies.counts)
        np.add.at(self.seconds, points, seconds)
        np.add.at(self.reached, (points[tallies.reach_unit], tallies.reach_tier), tallies.reach_count)
        if len(tallies.reach_unit):
            bounds = np.searchsorted(tallies.reach_unit, np.arange(len(points) + 1))
            for unit in np.flatnonzero(np.diff(bounds)):
                point = int(points[unit])
                histogram = self._histograms.get(point)
                if histogram is None:
                    histogram = self._histograms[point] = ReachHistogram(int(self.bin_counts[point]))
                part = slice(bounds[unit], bounds[unit + 1])
                histogram.add(tallies.reach_tier[part], tallies.reach_bin[part], tallies.reach_count[part])

    def add_pairs(self, pairs: np.ndarray, cells: np.ndarray) -> None:
        for (a, b), c in zip(pairs.tolist(), cells):
            total = self.pairs.get((a, b))
            self.pairs[(a, b)] = c.copy() if total is None else total + c

    def finish(self, point: int, curve_horizon: float | None = None, confidence: float = 0.95) -> None:
        """The point has all its replications: keep its quantiles (and its curve up to
        ``curve_horizon``, if given) and drop its histogram."""
        histogram = self._histograms.pop(point, None)
        width = float(self.bin_widths[point])
        per_tier = histogram.by_tier() if histogram is not None else [(np.zeros(0, np.int64),) * 2] * len(TIERS)
        for k, (bins, counts) in enumerate(per_tier):
            self.quantiles[point, k] = [intervals.sparse_quantile(bins, counts, width, q) for q in QUANTILES]
        if curve_horizon is not None:
            grid = curve_grid(curve_horizon)
            below = np.array([intervals.sparse_cumulative(b, c, width, grid) for b, c in per_tier])
            self.curves[point] = Curve(grid, *intervals.wilson_intervals(below, int(self.n[point]), confidence))


class TierTable(NamedTuple):
    """Per point and tier: the probability of reaching at least that tier with its
    interval, the replications that did, and the quantiles of their times."""
    p: np.ndarray            # (P, 3)
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_reached: np.ndarray
    quantiles: np.ndarray    # (P, 3, len(QUANTILES)) hours


class MetricTable(NamedTuple):
    """Per point and metric (proportions, then means, then class means): the estimate
    with its interval and the replications it rests on."""
    estimate: np.ndarray     # (P, K)
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray


def metric_names(class_names: Sequence[str]) -> list[str]:
    means = [m if m.startswith("mean_") else f"mean_{m}" for m in MEANS]
    return list(PROPORTIONS) + means + [f"mean_breaches_{c}" for c in class_names]


def tier_table(totals: PointTotals, confidence: float = 0.95) -> TierTable:
    p, low, high = intervals.wilson_intervals(totals.reached, totals.n[:, None], confidence)
    return TierTable(p, low, high, totals.reached.copy(), totals.quantiles.copy())


def metric_table(totals: PointTotals, confidence: float = 0.95) -> MetricTable:
    fp, fl, fh = intervals.wilson_intervals(totals.flags, totals.n[:, None], confidence)
    mm, ml, mh = intervals.mean_intervals(totals.sums, totals.sums_sq, totals.counts, confidence)
    n_flags = np.broadcast_to(totals.n[:, None], totals.flags.shape)
    return MetricTable(np.concatenate([fp, mm], axis=1), np.concatenate([fl, ml], axis=1),
                       np.concatenate([fh, mh], axis=1), np.concatenate([n_flags, totals.counts], axis=1))


def outcome_index(name: str) -> int:
    return OUTCOMES.index(name)
