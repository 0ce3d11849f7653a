"""Out-of-sample validation: where the test period's data fall in the predictive
distribution of the process fitted to the training period.

The fitted process is simulated over the test period many times (``simulate``; the
excitation left by the training events carries into it). The checks: the total
count's predictive interval and PIT; each week's 90% predictive interval and the
share of weeks inside it; the distribution of weekly counts; the PIT histogram
(Czado, Gneiting & Held 2009: the non-randomised version for counts, flat when the
forecasts are calibrated); and the weekly dispersion, which does not depend on the
level, so a level shift and a change in clustering can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stress.calibration.goodness import dispersion_ratio, dispersion_ratios
from stress.calibration.selection import Period

PIT_BINS = 10


@dataclass(frozen=True)
class CountRow:
    """Periods with ``count`` events: observed, expected, and the 90% band of the
    number expected."""

    count: int
    observed: int
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class PredictiveCheck:
    model: str
    period: Period
    period_days: float  # width of a counting period (7: weeks; ~30.4: months)
    periods: int
    observed_total: int
    predicted_mean: float
    predicted_low: float  # 5% quantile of the total
    predicted_high: float  # 95% quantile
    total_pit: float  # mid-PIT of the observed total: the share of simulations below it, ties halved
    total_p_two_sided: float
    coverage_90: float  # share of periods inside their 90% predictive interval
    coverage_90_expected: float  # the predictive probability of those intervals (>= 0.9: counts are discrete)
    pit_histogram: tuple[float, ...]  # PIT_BINS heights, 1 = uniform
    count_table: tuple[CountRow, ...]
    observed_dispersion: float
    dispersion_low: float
    dispersion_high: float
    simulations: int
    observed_counts: np.ndarray = field(repr=False)
    band: np.ndarray = field(repr=False)  # (3, periods): 5%, 50%, 95% of each period's count

    @property
    def level_ratio(self) -> float:
        """Observed total over the predicted mean."""
        return self.observed_total / self.predicted_mean if self.predicted_mean > 0 else float("nan")


def predictive_check(model: str, period: Period, observed: np.ndarray, simulated: np.ndarray,
                     period_days: float, whole: int | None = None) -> PredictiveCheck:
    """Compare observed counts per period (length P) with simulated ones (R x P).
    The totals use all P; the per-period checks the first ``whole`` (default all:
    a last, shorter period is left out of them)."""
    observed = np.asarray(observed, dtype=np.int64)
    simulated = np.asarray(simulated, dtype=np.int64)
    totals = simulated.sum(axis=1)
    total = int(observed.sum())
    whole = observed.size if whole is None else whole
    observed, simulated = observed[:whole], simulated[:, :whole]
    replications, periods = simulated.shape
    below = np.mean(totals < total) + 0.5 * np.mean(totals == total)
    low_total, high_total = np.quantile(totals, [0.05, 0.95])

    # each period's 90% interval: the smallest counts whose predictive CDF reaches 5% and 95%
    lower = np.quantile(simulated, 0.05, axis=0, method="inverted_cdf")
    upper = np.quantile(simulated, 0.95, axis=0, method="inverted_cdf")
    inside = (observed >= lower) & (observed <= upper)
    expected_inside = np.mean((simulated >= lower) & (simulated <= upper), axis=0)
    band = np.vstack([lower, np.quantile(simulated, 0.5, axis=0, method="inverted_cdf"), upper]).astype(np.float64)

    # non-randomised PIT: each period's PIT is uniform on [F(y - 1), F(y)]
    cdf_below = np.mean(simulated < observed, axis=0)
    cdf_at = np.mean(simulated <= observed, axis=0)
    grid = np.linspace(0.0, 1.0, PIT_BINS + 1)[:, None]
    width = cdf_at - cdf_below
    # a count no simulation produced has a PIT of exactly F(y): a step there
    spread = np.clip((grid - cdf_below) / np.where(width > 0.0, width, 1.0), 0.0, 1.0)
    mean_cdf = np.where(width > 0.0, spread, (grid >= cdf_at).astype(np.float64)).mean(axis=1)
    histogram = tuple(float(h) for h in np.diff(mean_cdf) * PIT_BINS)

    top = int(max(observed.max(initial=0), np.quantile(simulated, 0.995)))
    rows = []
    for k in range(top + 1):
        per_replication = np.count_nonzero(simulated == k, axis=1)
        lo, hi = np.quantile(per_replication, [0.05, 0.95])
        rows.append(CountRow(k, int(np.count_nonzero(observed == k)), float(per_replication.mean()), float(lo),
                             float(hi)))
    ratios = dispersion_ratios(simulated)
    ratios = ratios[np.isfinite(ratios)]
    d_low, d_high = np.quantile(ratios, [0.05, 0.95]) if ratios.size else (np.nan, np.nan)
    return PredictiveCheck(model, period, period_days, periods, total, float(totals.mean()), float(low_total),
                           float(high_total), float(below), float(min(1.0, 2.0 * min(below, 1.0 - below))),
                           float(inside.mean()), float(expected_inside.mean()), histogram, tuple(rows),
                           dispersion_ratio(observed), float(d_low), float(d_high), replications, observed, band)


def verdict(check: PredictiveCheck, unit: str = "week") -> list[str]:
    """The out-of-sample result in plain words."""
    name = "Hawkes" if check.model == "hawkes" else "Poisson"
    ratio = check.level_ratio
    if check.total_pit >= 1.0:
        where = f"above all {check.simulations} simulations"
    elif check.total_pit <= 0.0:
        where = f"below all {check.simulations} simulations"
    else:
        where = f"above {100 * check.total_pit:.1f}% of the {check.simulations} simulations"
    lines = [f"{name}, test period {check.period.label}: {check.observed_total} events observed, "
             f"{check.predicted_mean:.0f} predicted (90% predictive interval {check.predicted_low:.0f}-"
             f"{check.predicted_high:.0f}); the observed total lies {where}."]
    p_text = simulated_p(check.total_p_two_sided, check.simulations)
    direction = "under-predicts" if ratio > 1 else "over-predicts"
    if check.total_p_two_sided < 0.01:
        lines.append(f"The test period's level is {ratio:.2f}x the fitted process's: the fit {direction} it. "
                     f"This is a level shift, not noise (two-sided p {p_text}); "
                     f"calibrate on the later period, or treat the rate as uncertain over this range.")
    elif check.total_p_two_sided < 0.05:
        lines.append(f"The test period's level is {ratio:.2f}x the fitted process's: the fit {direction} it, "
                     f"more than noise would usually give (two-sided p {p_text}).")
    else:
        lines.append(f"The test period's level ({ratio:.2f}x the fitted process's) is within what the fitted "
                     f"process produces (two-sided p {p_text}).")
    lines.append(f"{100 * check.coverage_90:.0f}% of {unit}s lie inside their 90% predictive intervals "
                 f"({100 * check.coverage_90_expected:.0f}% expected if the fit were right).")
    if np.isfinite(check.observed_dispersion):
        inside = check.dispersion_low <= check.observed_dispersion <= check.dispersion_high
        per = "daily" if unit == "day" else f"{unit}ly"
        lines.append(f"Clustering: {per} variance/mean {check.observed_dispersion:.2f} in the test period, "
                     + (f"inside the simulated 90% range {check.dispersion_low:.2f}-{check.dispersion_high:.2f}: "
                        f"the fitted clustering carries over" if inside else
                        f"outside the simulated 90% range {check.dispersion_low:.2f}-{check.dispersion_high:.2f}: "
                        f"the clustering differs from the fit")
                     + (", the level does not." if check.total_p_two_sided < 0.05 and inside else "."))
    return lines


def simulated_p(p_value: float, simulations: int) -> str:
    """'= 0.03', or '< 0.001' when no simulation was as extreme (the resolution of
    a Monte Carlo p-value is 1 / simulations)."""
    if p_value <= 0.0:
        return f"< {1.0 / simulations:.2g}"
    return f"= {p_value:.2g}"
