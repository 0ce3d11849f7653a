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
from stress.statistics.tally import Outputs, UnitTallies

QUANTILES = (0.1, 0.5, 0.9)


class ReachHistogram:
    """One point's histogram of reach times while its replications come in."""

    def __init__(self, n_bins: int, n_tiers: int) -> None:
        self.n_bins = n_bins
        self.n_tiers = n_tiers
        self.pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.size = 0
        self.dense: np.ndarray | None = None

    def add(self, tiers: np.ndarray, bins: np.ndarray, counts: np.ndarray) -> None:
        """Add one unit's histogram, in which each (tier, bin) occurs once (tally_units):
        so plain fancy-index addition is exact, and many times faster than np.add.at."""
        if self.dense is not None:
            self.dense[tiers, bins] += counts
            return
        self.pieces.append((tiers, bins, counts))
        self.size += len(bins)
        if self.size > self.n_bins:  # the pieces now outweigh a dense histogram
            self.dense = np.zeros((self.n_tiers, self.n_bins), dtype=np.int64)
            for piece in self.pieces:
                self.dense[piece[0], piece[1]] += piece[2]
            self.pieces = []

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tiers, bins, counts), possibly with repeated (tier, bin) pairs."""
        if self.dense is not None:
            tiers, bins = np.nonzero(self.dense)
            return tiers, bins, self.dense[tiers, bins]
        if not self.pieces:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return tuple(np.concatenate([p[i] for p in self.pieces]) for i in range(3))


def sparse_histograms(owners: np.ndarray, tiers: np.ndarray, bins: np.ndarray, counts: np.ndarray,
                      n_tiers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Histograms of several (owner, tier) groups from (owner, tier, bin, count) parts
    with repeats: the groups (owner * n_tiers + tier, ascending), each group's first
    index, and the occupied bins (ascending within a group) with their counts."""
    keys = ((owners.astype(np.int64) * n_tiers + tiers) << 32) | bins.astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = np.bincount(inverse, weights=counts, minlength=len(unique)).astype(np.int64)
    group_of = unique >> 32
    groups, starts = np.unique(group_of, return_index=True)
    return groups, starts, (unique & 0xFFFFFFFF).astype(np.int64), summed


def group_quantiles(starts: np.ndarray, bins: np.ndarray, counts: np.ndarray, widths: np.ndarray,
                    q: float) -> np.ndarray:
    """The q-quantile of each group's histogram (``sparse_histograms``), interpolated
    linearly inside its bin, in hours (``widths``: each group's bin width). The same
    arithmetic per group as one histogram alone: no group's number depends on the
    others."""
    ends = np.append(starts[1:], len(bins))
    cumulative = np.cumsum(counts)
    base = np.where(starts > 0, cumulative[starts - 1], 0)
    sizes = ends - starts
    local = cumulative - np.repeat(base, sizes)        # each group's own running count (exact)
    targets = q * (local[ends - 1]).astype(np.float64)
    # the first bin whose running count reaches the target (counts ascend within a group)
    below = np.add.reduceat((local < np.repeat(targets, sizes)).astype(np.int64), starts)
    j = starts + np.minimum(below, sizes - 1)
    inside = (targets - (local[j] - counts[j])) / counts[j]
    return (bins[j] + inside) * widths
class Curve(NamedTuple):
    """Probability of having reached at least each tier by each time of ``hours``."""
    hours: np.ndarray                 # (T,)
    p: np.ndarray                     # (tiers, T)
    ci_low: np.ndarray
    ci_high: np.ndarray


def curve_grid(horizon: float) -> np.ndarray:
    """Whole days from 0, and the horizon itself."""
    days = np.arange(0, math.floor(horizon / 24.0) + 1) * 24.0
    return np.unique(np.append(days, horizon))


class PointTotals:
    """Running totals of ``n_points`` points, by the statistics of ``outputs`` (the job's).
    ``tier_present``/``metric_present`` (points x tiers, points x metrics) say which of
    them a point's own plan has (default: all); the others are NaN in its tables."""

    def __init__(self, bin_widths: Sequence[float], bin_counts: Sequence[int], outputs: Outputs,
                 tier_present: np.ndarray | None = None, metric_present: np.ndarray | None = None) -> None:
        n_points = len(bin_widths)
        n_tiers, width = len(outputs.tiers), len(outputs.means)
        self.outputs = outputs
        self.bin_widths = np.asarray(bin_widths, dtype=np.float64)
        self.bin_counts = np.asarray(bin_counts, dtype=np.int64)
        self.tier_present = np.ones((n_points, n_tiers), dtype=bool) if tier_present is None else tier_present
        self.metric_present = (np.ones((n_points, len(outputs.metric_names)), dtype=bool) if metric_present is None
                               else metric_present)
        self.n = np.zeros(n_points, dtype=np.int64)
        self.flags = np.zeros((n_points, len(outputs.proportions)), dtype=np.int64)
        self.sums = np.zeros((n_points, width))
        self.sums_sq = np.zeros((n_points, width))
        self.counts = np.zeros((n_points, width), dtype=np.int64)
        self.seconds = np.zeros(n_points)
        self.reached = np.zeros((n_points, n_tiers), dtype=np.int64)
        self.quantiles = np.full((n_points, n_tiers, len(QUANTILES)), np.nan)
        self.curves: dict[int, Curve] = {}
        self._histograms: dict[int, ReachHistogram] = {}
        self.pairs: dict[tuple[int, int], np.ndarray] = {}
        self.pair_means: dict[tuple[int, int], np.ndarray] = {}   # (means, 3): b - a summed, squared, counted
        self.replication_sums: np.ndarray | None = None   # (replications, K), when the job asks for them

    def add(self, points: np.ndarray, tallies: UnitTallies, seconds: np.ndarray) -> None:
        """Add units (in the order of their replications within each point)."""
        np.add.at(self.n, points, tallies.n)
        np.add.at(self.flags, points, tallies.flags)
        np.add.at(self.sums, points, tallies.sums)
        np.add.at(self.sums_sq, points, tallies.sums_sq)
        np.add.at(self.counts, points, tallies.counts)
        np.add.at(self.seconds, points, seconds)
        n_tiers = self.reached.shape[1]
        per_unit = np.bincount(tallies.reach_unit.astype(np.int64) * n_tiers + tallies.reach_tier,
                               weights=tallies.reach_count, minlength=len(points) * n_tiers)
        np.add.at(self.reached, points, per_unit.astype(np.int64).reshape(len(points), n_tiers))
        if len(tallies.reach_unit):
            bounds = np.searchsorted(tallies.reach_unit, np.arange(len(points) + 1))
            for unit in np.flatnonzero(np.diff(bounds)):
                point = int(points[unit])
                histogram = self._histograms.get(point)
                if histogram is None:
                    histogram = self._histograms[point] = ReachHistogram(int(self.bin_counts[point]), n_tiers)
                part = slice(bounds[unit], bounds[unit + 1])
                histogram.add(tallies.reach_tier[part], tallies.reach_bin[part], tallies.reach_count[part])

    def add_replication_sums(self, blocks: np.ndarray | None, sums: np.ndarray | None) -> None:
        """Add per-replication sums over points (integers: any order gives the same total)."""
        if blocks is None or not len(blocks):
            return
        end = int((blocks[:, 0] + blocks[:, 1]).max())
        if self.replication_sums is None or len(self.replication_sums) < end:
            grown = np.zeros((end, sums.shape[1]), dtype=np.int64)
            if self.replication_sums is not None:
                grown[:len(self.replication_sums)] = self.replication_sums
            self.replication_sums = grown
        row = 0
        for start, count in blocks.tolist():
            self.replication_sums[start:start + count] += sums[row:row + count]
            row += count

    def add_pairs(self, pairs: np.ndarray, cells: np.ndarray, means: np.ndarray | None = None) -> None:
        """Add paired counts of the yes/no outcomes (and of the means' differences) of
        pairs of points, in the order of their replications."""
        for q, ((a, b), c) in enumerate(zip(pairs.tolist(), cells)):
            total = self.pairs.get((a, b))
            self.pairs[(a, b)] = c.copy() if total is None else total + c
            if means is not None:
                total = self.pair_means.get((a, b))
                self.pair_means[(a, b)] = means[q].copy() if total is None else total + means[q]

    def finish(self, points: Sequence[int], curve_horizons: dict[int, float] | None = None,
               confidence: float = 0.95) -> None:
        """The points have all their replications: keep their quantiles (and, for the
        points in ``curve_horizons``, their curves up to that horizon) and drop their
        histograms. Done for many points at once: a point of one replication costs
        microseconds."""
        curve_horizons = curve_horizons or {}
        empty = (np.zeros(0, dtype=np.int64),) * 3
        parts = [(i, self._histograms.pop(point).parts()) for i, point in enumerate(points)
                 if point in self._histograms] or [(0, empty)]
        owners = np.concatenate([np.full(len(p[0]), i) for i, p in parts])
        tiers, bins, counts = (np.concatenate([p[k] for _, p in parts]) for k in range(3))
        n_tiers = self.reached.shape[1]
        groups, starts, bins, counts = sparse_histograms(owners, tiers, bins, counts, n_tiers)
        point_of_group = np.asarray(points)[groups // n_tiers]
        widths = self.bin_widths[point_of_group]
        for k, q in enumerate(QUANTILES):
            if len(groups):  # no replication of these points reached any tier: the quantiles stay NaN
                self.quantiles[point_of_group, groups % n_tiers, k] = group_quantiles(starts, bins, counts,
                                                                                      widths, q)
        ends = np.append(starts[1:], len(bins))
        for point, horizon in curve_horizons.items():
            grid = curve_grid(horizon)
            below = np.zeros((n_tiers, len(grid)), dtype=np.int64)
            for g in np.flatnonzero(point_of_group == point):
                part = slice(starts[g], ends[g])
                below[groups[g] % n_tiers] = intervals.sparse_cumulative(bins[part], counts[part],
                                                                         float(self.bin_widths[point]), grid)
            p, low, high = intervals.wilson_intervals(below, int(self.n[point]), confidence)
            absent = ~self.tier_present[point]
            for a in (p, low, high):
                a[absent] = np.nan
            self.curves[point] = Curve(grid, p, low, high)


class TierTable(NamedTuple):
    """Per point and tier (the job's tiers, ``names``): the probability of reaching at
    least that tier with its interval (NaN where a point's plan lacks the tier), the
    replications that did, and the quantiles of their times."""
    p: np.ndarray            # (P, T)
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_reached: np.ndarray
    quantiles: np.ndarray    # (P, T, len(QUANTILES)) hours
    names: tuple[str, ...] = ()


class MetricTable(NamedTuple):
    """Per point and metric (``names``: proportions, then means, class means last): the
    estimate with its interval and the replications it rests on (NaN and 0 where a
    point's plan lacks the metric)."""
    estimate: np.ndarray     # (P, K)
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray
    names: tuple[str, ...] = ()
    present: np.ndarray | None = None   # (P, K) whether a point's plan has the metric


def tier_table(totals: PointTotals, confidence: float = 0.95) -> TierTable:
    p, low, high = intervals.wilson_intervals(totals.reached, totals.n[:, None], confidence)
    for a in (p, low, high):
        a[~totals.tier_present] = np.nan
    return TierTable(p, low, high, totals.reached.copy(), totals.quantiles.copy(), totals.outputs.tiers)


def metric_table(totals: PointTotals, confidence: float = 0.95) -> MetricTable:
    fp, fl, fh = intervals.wilson_intervals(totals.flags, totals.n[:, None], confidence)
    mm, ml, mh = intervals.mean_intervals(totals.sums, totals.sums_sq, totals.counts, confidence)
    n_flags = np.broadcast_to(totals.n[:, None], totals.flags.shape)
    estimate, low, high = (np.concatenate(pair, axis=1) for pair in ((fp, mm), (fl, ml), (fh, mh)))
    n = np.concatenate([n_flags, totals.counts], axis=1)
    absent = ~totals.metric_present
    for a in (estimate, low, high):
        a[absent] = np.nan
    n[absent] = 0
    return MetricTable(estimate, low, high, n, totals.outputs.metric_names, totals.metric_present.copy())
