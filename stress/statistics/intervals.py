"""Statistics: pure functions over counts, sums and histograms.

No I/O, no SimPy, no state. Intervals are 95% unless ``confidence`` says otherwise.

Methods, each in the function that uses it:
- Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
  inference. JASA 22(158), 209-212: the score interval of a proportion.
- Student (1908). The probable error of a mean. Biometrika 6(1), 1-25: the t interval
  of a mean.
- Newcombe, R. G. (1998). Improved confidence intervals for the difference between
  binomial proportions based on paired data. Statistics in Medicine 17(22), 2635-2650
  (method 10): paired differences.
- McNemar, Q. (1947). Note on the sampling error of the difference between correlated
  proportions or percentages. Psychometrika 12(2), 153-157; here its exact (binomial)
  form: paired tests.
- Holm, S. (1979). A simple sequentially rejective multiple test procedure.
  Scandinavian Journal of Statistics 6(2), 65-70: the adjustment across variants.
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


def t_value(confidence: float, df: float) -> float:
    """Student t's two-sided quantile with ``df`` degrees of freedom (need not be whole)."""
    from scipy.special import stdtrit
    return float(stdtrit(df, 0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Proportion with its Wilson (1927) score interval (NaN when n is 0)."""
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
    """Mean with a Student (1908) t interval, from the sum and the sum of squares."""
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


def wilson_intervals(successes: np.ndarray, n: np.ndarray | int,
                     confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``wilson_interval`` elementwise (NaN where n is 0); ``n`` broadcasts."""
    z = z_value(confidence)
    successes = np.asarray(successes, dtype=np.float64)
    n = np.broadcast_to(np.asarray(n, dtype=np.float64), successes.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, successes / np.where(n > 0, n, 1.0), np.nan)
        safe_n = np.where(n > 0, n, np.nan)
        denominator = 1.0 + z * z / safe_n
        centre = (p + z * z / (2 * safe_n)) / denominator
        half = z * np.sqrt(p * (1 - p) / safe_n + z * z / (4 * safe_n * safe_n)) / denominator
    # The interval contains p mathematically; clamp against rounding at 0 and 1.
    return p, np.minimum(np.maximum(0.0, centre - half), p), np.maximum(np.minimum(1.0, centre + half), p)


def mean_intervals(total: np.ndarray, total_sq: np.ndarray, n: np.ndarray,
                   confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mean_interval`` elementwise: means with Student-t intervals (NaN where n is 0;
    the interval NaN where n is 1)."""
    from scipy.special import stdtrit
    total = np.asarray(total, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / np.where(n > 0, n, 1.0), np.nan)
        variance = np.maximum(total_sq - n * mean * mean, 0.0) / (n - 1)
        t = stdtrit(np.where(n > 1, n - 1, 1.0), 0.5 + confidence / 2.0)
        half = np.where(n > 1, t * np.sqrt(variance / np.where(n > 1, n, 1.0)), np.nan)
    return mean, mean - half, mean + half


def sparse_cumulative(bins: np.ndarray, counts: np.ndarray, bin_width: float, grid: np.ndarray) -> np.ndarray:
    """How many values are binned below each time of ``grid`` (a sparse histogram, as
    ``cumulative_curve`` counts them from a dense one)."""
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    index = np.floor(grid / bin_width + 1e-9).astype(np.int64)
    return cumulative[np.searchsorted(bins, index, side="left")]


def cumulative_curve(counts: np.ndarray, bin_width: float, n: int, grid: np.ndarray,
                     confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(time <= t) at each t of ``grid`` with pointwise Wilson intervals, from a
    histogram of times over ``n`` replications (replications that never reached
    count as 'not by t')."""
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    index = np.clip(np.floor(grid / bin_width + 1e-9).astype(np.int64), 0, len(counts))
    return wilson_intervals(cumulative[index], n, confidence)


class PairedDifference(NamedTuple):
    diff: float
    ci_low: float
    ci_high: float
    independent_width: float  # width of the interval two independent runs would give


def paired_difference(both: int, first_only: int, second_only: int, neither: int,
                      confidence: float = 0.95) -> PairedDifference:
    """p2 - p1 for two proportions measured on the same units (common random numbers),
    with Newcombe's hybrid score interval for paired data (Newcombe 1998, Stat. Med.
    17:2635, method 10), built from the two Wilson intervals and the phi correlation
    of the pairs. Also the width the same method gives for independent samples
    (phi = 0), to show what the pairing gains."""
    n = both + first_only + second_only + neither
    if n == 0:
        return PairedDifference(math.nan, math.nan, math.nan, math.nan)
    p1, l1, u1 = wilson_interval(both + first_only, n, confidence)
    p2, l2, u2 = wilson_interval(both + second_only, n, confidence)
    diff = (second_only - first_only) / n
    margins = float(both + first_only) * (second_only + neither) * (both + second_only) * (first_only + neither)
    phi = (float(both) * neither - float(first_only) * second_only) / math.sqrt(margins) if margins > 0 else 0.0

    def bounds(phi_: float) -> tuple[float, float]:
        below = (p2 - l2) ** 2 - 2 * phi_ * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2
        above = (u2 - p2) ** 2 - 2 * phi_ * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2
        return max(-1.0, diff - math.sqrt(max(below, 0.0))), min(1.0, diff + math.sqrt(max(above, 0.0)))

    low, high = bounds(phi)
    ind_low, ind_high = bounds(0.0)
    return PairedDifference(diff, min(low, diff), max(high, diff), ind_high - ind_low)


def paired_mean_difference(total: float, total_sq: float, n: int, confidence: float = 0.95) -> Estimate:
    """The mean of paired differences (the same replications of two points) with its
    Student t interval, from their sum and sum of squares (``mean_interval``)."""
    return mean_interval(total, total_sq, int(n), confidence)


def mcnemar_exact(first_only: int, second_only: int) -> float:
    """Two-sided exact McNemar (1947) p-value: the discordant pairs against
    Binomial(b + c, 1/2)."""
    discordant = first_only + second_only
    if discordant == 0:
        return 1.0
    from scipy.stats import binom
    return float(min(1.0, 2.0 * binom.cdf(min(first_only, second_only), discordant, 0.5)))


def holm(p_values: list[float]) -> list[float]:
    """Holm's (1979) step-down adjustment of a family of p-values (same order as given)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
