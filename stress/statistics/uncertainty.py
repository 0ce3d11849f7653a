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
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from stress.statistics.intervals import z_value

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
    interval (0 and 1 for probabilities)."""
    points = len(point_means)
    n = replications
    grand = float(np.mean(point_means))
    ss_points = n * float(np.sum((point_means - grand) ** 2))
    ss_replications = points * float(np.sum((replication_means - grand) ** 2))
    ss_error = max(sum_of_squares - points * n * grand * grand - ss_points - ss_replications, 0.0)
    ms_points = ss_points / (points - 1) if points > 1 else math.nan
    ms_replications = ss_replications / (n - 1) if n > 1 else 0.0
    ms_error = ss_error / ((points - 1) * (n - 1)) if points > 1 and n > 1 else math.nan
    variance = max(ms_points + ms_replications - ms_error, 0.0) / (points * n)
    noise = min(ms_error / ms_points, 1.0) if ms_points > 0 else (1.0 if ms_error > 0 else math.nan)
    return _summary(point_means, grand, variance, noise, "crossed", confidence, bounds)


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


def _summary(point_means: np.ndarray, grand: float, variance: float, noise: float, method: str,
             confidence: float, bounds: tuple[float, float] | None) -> OverUncertainty:
    se = math.sqrt(variance) if variance == variance else math.nan
    half = z_value(confidence) * se
    low, high = grand - half, grand + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    finite = point_means[np.isfinite(point_means)]
    quantiles = tuple(float(q) for q in np.quantile(finite, SPREAD_QUANTILES)) if len(finite) else \
        (math.nan,) * len(SPREAD_QUANTILES)
    between = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return OverUncertainty(grand, low, high, se, quantiles, between, noise, method)
