"""Statistics over the uncertainty: what a study of S sampled points x N replications
says about a probability (or mean) averaged over everything considered plausible.

The points share their replications (common random numbers), so the S x N outcomes
form a crossed design: point effects, replication effects and their interaction. The
average over points and replications then has the variance

    Var = (MS_points + MS_replications - MS_error) / (S N)

from the mean squares of a two-way analysis of variance (the random-effects model
with one observation per cell). It accounts for the sampling of the points *and* the
replications; averaging the point estimates as if they were independent would not
(points that meet the same luck move together). MS_error / MS_points is the share of
the spread of the point-level estimates that is Monte Carlo noise rather than a
difference between points.

A mean that is not a count in every replication (a latency, defined only where there
was a response; the final multiplier) has no whole-number sums per replication, so its
two-way table is one of points x blocks of replications (``stress.statistics.blocks``):
each cell the point's mean linearised within the block (``crossed_blocks``), the
blocks independent copies of the replications' shared luck. Treating the points as
independent instead covered 26-29% of the time (the points share the luck of every
replication).

A probability gets a Wilson interval with the effective number of observations
p (1 - p) / Var (Korn and Graubard 1998): near 0 or 1 a handful of replications decide
the estimate, and a symmetric interval clamped at the bound covered about half the
time there.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from stress.statistics.intervals import t_value, wilson_interval, z_value

SPREAD_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class OverUncertainty(NamedTuple):
    """One statistic over the uncertainty."""
    mean: float              # averaged over the points (and their replications)
    ci_low: float
    ci_high: float
    std_error: float
    quantiles: tuple[float, ...]   # of the point-level estimates, at SPREAD_QUANTILES
    between_sd: float        # standard deviation of the point-level estimates
    noise_share: float       # share of their variance that is Monte Carlo noise (NaN: not known)
    method: str              # "crossed" (with the replications' sums) or "points" (independent points)


def crossed_design(point_means: np.ndarray, replication_means: np.ndarray, sum_of_squares: float,
                   replications: int, confidence: float = 0.95, bounds: tuple[float, float] | None = None
                   ) -> OverUncertainty:
    """A statistic of S points x N replications (every point ran replications 0..N-1):
    ``point_means`` (S,), ``replication_means`` (N,: each replication's mean over the
    points) and the sum of its squares over all S N outcomes. ``bounds`` clamps the
    interval; (0, 1), a probability, gets Wilson's interval instead."""
    grand, variance, noise, df = _two_way(point_means, replication_means, sum_of_squares, replications)
    return _summary(point_means, grand, variance, noise, "crossed", confidence, bounds,
                    len(point_means) * replications, df)


def _two_way(point_means: np.ndarray, replication_means: np.ndarray, sum_of_squares: float, replications: int
             ) -> tuple[float, float, float, float]:
    """The grand mean, its variance, the noise share and the variance's degrees of
    freedom (Satterthwaite's, for MS_points + MS_replications - MS_error: with a few
    blocks of replications it is small, and a normal quantile would undercover)."""
    points = len(point_means)
    n = replications
    grand = float(np.mean(point_means))
    ss_points = n * float(np.sum((point_means - grand) ** 2))
    ss_replications = points * float(np.sum((replication_means - grand) ** 2))
    ss_error = max(sum_of_squares - points * n * grand * grand - ss_points - ss_replications, 0.0)
    ms_points = ss_points / (points - 1) if points > 1 else math.nan
    ms_replications = ss_replications / (n - 1) if n > 1 else 0.0
    ms_error = ss_error / ((points - 1) * (n - 1)) if points > 1 and n > 1 else math.nan
    combined = ms_points + ms_replications - ms_error
    variance = max(combined, 0.0) / (points * n)
    # no spread over the points: no share of it to call noise (shown '-', as independent_points does)
    noise = min(ms_error / ms_points, 1.0) if ms_points > 0 else math.nan
    spread = sum(ms * ms / df for ms, df in ((ms_points, points - 1), (ms_replications, n - 1),
                                             (ms_error, (points - 1) * (n - 1))) if df > 0)
    df = max(combined ** 2 / spread, 1.0) if combined > 0 and spread > 0 else math.inf
    return grand, variance, noise, df


def independent_points(point_means: np.ndarray, point_variances: np.ndarray, confidence: float = 0.95,
                       bounds: tuple[float, float] | None = None) -> OverUncertainty:
    """The same without the replications' sums (a statistic that is not a whole number,
    or not defined in every replication): the points' spread over S, as if they were
    independent, and the noise share from the points' own sampling variances."""
    grand = float(np.mean(point_means))
    between = float(np.var(point_means, ddof=1)) if len(point_means) > 1 else math.nan
    noise = float(np.nanmean(point_variances)) / between if between > 0 else math.nan
    return _summary(point_means, grand, between / len(point_means), min(noise, 1.0) if noise == noise else noise,
                    "points", confidence, bounds)


def block_cells(sums: np.ndarray, counts: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point and block of replications (``sums`` and ``counts`` of a value's defined
    occurrences, ``n`` the replications): the points' means m_i over every block and
    the table of cells, each the point's mean moved by the block's share of its error,
    m_i + (S_ik - m_i C_ik) / (n_ik p_i) with p_i the share of the point's replications
    where the value is defined (the ratio's linearisation: a block with few or no
    defined values is no problem). NaN where a point never has the value."""
    counts, n = counts.astype(np.float64), n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums.sum(axis=1) / counts.sum(axis=1)
        share = counts.sum(axis=1) / n.sum(axis=1)
        cells = means[:, None] + (sums - means[:, None] * counts) / (n * share[:, None])
    return means, cells


def crossed_cells(point_means: np.ndarray, cells: np.ndarray, confidence: float = 0.95,
                  bounds: tuple[float, float] | None = None, total: int | None = None) -> OverUncertainty:
    """The mean of ``point_means`` with the crossed design's interval on the points x
    blocks table ``cells`` (``block_cells``; a point per row). The grand mean is the
    points' own means (the cells' unweighted mean differs where the last block is
    shorter)."""
    points, blocks = cells.shape
    grand = float(np.mean(point_means)) if points else math.nan
    if points < 2:
        return _summary(point_means, grand, math.nan, math.nan, "crossed blocks", confidence, None)
    _, variance, noise, df = _two_way(cells.mean(axis=1), cells.mean(axis=0), float(np.sum(cells * cells)), blocks)
    return _summary(point_means, grand, variance, noise, "crossed blocks", confidence, bounds, total, df)


def crossed_blocks(sums: np.ndarray, counts: np.ndarray, n: np.ndarray, confidence: float = 0.95,
                   bounds: tuple[float, float] | None = None) -> OverUncertainty:
    """A mean over the defined values of each replication (``sums``, ``counts``: per
    point and block of replications, ``n`` the replications per point and block),
    averaged over the points where it is defined, with the crossed design's interval
    on the points x blocks table (``block_cells``). ``bounds`` (0, 1): a probability,
    Wilson's interval with the effective number of replications."""
    defined = counts.sum(axis=1) > 0
    means, cells = block_cells(sums[defined], counts[defined], n[defined])
    return crossed_cells(means, cells, confidence, bounds, int(n[defined].sum()))


def _summary(point_means: np.ndarray, grand: float, variance: float, noise: float, method: str,
             confidence: float, bounds: tuple[float, float] | None, total: int | None = None,
             df: float = math.inf) -> OverUncertainty:
    se = math.sqrt(variance) if variance == variance else math.nan
    z = z_value(confidence)
    quantile = t_value(confidence, df) if df < math.inf else z
    half = quantile * se
    low, high = grand - half, grand + half
    if bounds == (0.0, 1.0) and total and variance == variance:
        # the effective number shrunk for the variance's degrees of freedom (Korn and Graubard 1998)
        low, high = _wilson(grand, variance * (quantile / z) ** 2, total, confidence)
    elif bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    finite = point_means[np.isfinite(point_means)]
    quantiles = tuple(float(q) for q in np.quantile(finite, SPREAD_QUANTILES)) if len(finite) else \
        (math.nan,) * len(SPREAD_QUANTILES)
    between = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return OverUncertainty(grand, low, high, se, quantiles, between, noise, method)


def _wilson(p: float, variance: float, total: int, confidence: float) -> tuple[float, float]:
    """Wilson's interval for a probability estimated with ``variance``: its effective
    number of observations p (1 - p) / variance, at most the ``total`` outcomes behind
    it (all of them when the variance is 0: every outcome the same)."""
    effective = min(p * (1.0 - p) / variance, float(total)) if variance > 0.0 else float(total)
    if not effective > 0.0:   # p at 0 or 1 with outcomes that differ: only clustering is left
        effective = float(total)
    estimate = wilson_interval(p * effective, effective, confidence)
    return estimate.ci_low, estimate.ci_high
