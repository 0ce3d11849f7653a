"""Statistics: pure functions over counts, sums and histograms.

No I/O, no SimPy, no state. Intervals are 95% unless ``confidence`` says otherwise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class Estimate(NamedTuple):
    estimate: float
    ci_low: float
    ci_high: float


def z_value(confidence: float = 0.95) -> float:
    from scipy.special import ndtri  # scipy loads on first use: keeps start-up fast
    return float(ndtri(0.5 + confidence / 2.0))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Proportion with its Wilson score interval (NaN when n is 0)."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    z = z_value(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The interval contains p mathematically; clamp against rounding at 0 and 1.
    return Estimate(p, min(max(0.0, centre - half), p), max(min(1.0, centre + half), p))


def mean_interval(total: float, total_sq: float, n: int, confidence: float = 0.95) -> Estimate:
    """Mean with a Student-t interval, from the sum and the sum of squares."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    mean = total / n
    if n == 1:
        return Estimate(mean, math.nan, math.nan)
    variance = max(total_sq - n * mean * mean, 0.0) / (n - 1)
    from scipy.special import stdtrit
    half = float(stdtrit(n - 1, 0.5 + confidence / 2.0)) * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half)


def histogram_quantile(counts: np.ndarray, bin_width: float, q: float) -> float:
    """The q-quantile of values binned at ``bin_width`` from 0, interpolating
    linearly inside the bin (NaN when there are no values)."""
    total = int(counts.sum())
    if total == 0:
        return math.nan
    target = q * total
    cumulative = np.cumsum(counts)
    i = int(np.searchsorted(cumulative, target, side="left"))
    i = min(i, len(counts) - 1)
    before = cumulative[i] - counts[i]
    inside = (target - before) / counts[i] if counts[i] else 0.0
    return (i + inside) * bin_width


def cumulative_curve(counts: np.ndarray, bin_width: float, n: int, grid: np.ndarray,
                     confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(time <= t) at each t of ``grid`` with pointwise Wilson intervals, from a
    histogram of times over ``n`` replications (replications that never reached
    count as 'not by t')."""
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    index = np.clip(np.floor(grid / bin_width + 1e-9).astype(np.int64), 0, len(counts))
    successes = cumulative[index]
    estimates = [wilson_interval(int(s), n, confidence) for s in successes]
    return (np.array([e.estimate for e in estimates]), np.array([e.ci_low for e in estimates]),
            np.array([e.ci_high for e in estimates]))
