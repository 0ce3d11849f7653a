"""Fitting the Hawkes process: the maximum over several starts, standard errors,
profile intervals, and the spread over jittered copies of the data.

Events known only to the day are fitted as several copies, each with every event
placed uniformly at random within its day (``events.jittered``). The estimate
maximises the log-likelihood averaged over the copies, which treats the unknown
times of day as missing data; the spread of the per-copy estimates is the extra
uncertainty that the missing times add. It is combined with the observed-information
variance by Rubin's rules (total = within + (1 + 1/m) between), which widen the
standard errors, and the profile intervals by the same factor about the estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stress.calibration.fit import (CHI2_95, HOURS, N_MAX, Box, Estimate, Objective, counts_objective,
                                    default_starts, event_objective, maximise, natural, observed_information,
                                    profile_search, sup_over_decay, working_covariance)
from stress.calibration.profile import BetterOptimum, Search, grid_search, profile_interval

PARAMETERS = ("baseline", "branching ratio", "decay")
CONFIG_KEYS = ("breaches.baseline_per_day", "breaches.self_excitation", "breaches.decay_hours")
UNITS = ("per day", "", "hours")
NEAR_CRITICAL = 0.99


@dataclass(frozen=True)
class HawkesFit:
    """A fitted Hawkes process with exponential kernel.

    ``mu`` is per day, ``beta`` per day (so the decay is 24 / beta hours);
    ``jitter_estimates`` holds (mu, n, decay hours) per jittered copy (one row per
    copy; none for exact times or counts)."""

    baseline: Estimate
    branching: Estimate
    decay: Estimate
    mu: float
    n: float
    beta: float
    loglik: float
    events: int
    exposure_days: float
    starts: int
    starts_agreeing: int
    at_bound: tuple[str, ...]
    jitter_estimates: np.ndarray = field(repr=False)
    widening: tuple[float, float, float]
    data: str  # "events" or "counts"
    # the estimate on the working scale (log mu per day, n, log beta per day) and its
    # covariance (Rubin's rules over the jittered copies; NaN where not defined): what
    # sampling the breach parameters jointly from the fit's uncertainty needs
    working: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    covariance: np.ndarray = field(default_factory=lambda: np.full((3, 3), np.nan), repr=False)

    parameters = 3

    @property
    def aic(self) -> float:
        return 2.0 * self.parameters - 2.0 * self.loglik

    @property
    def decay_hours(self) -> float:
        return HOURS / self.beta

    @property
    def estimates(self) -> tuple[Estimate, Estimate, Estimate]:
        return self.baseline, self.branching, self.decay

    @property
    def near_critical(self) -> bool:
        """n >= 0.99: a cascade of a hundred breaches or more per baseline breach,
        which is how a stationary fit imitates a level that drifts."""
        return self.n >= NEAR_CRITICAL

    @property
    def mean_rate(self) -> float:
        """The stationary rate mu / (1 - n), per day."""
        return self.mu / (1.0 - self.n)


def fit_hawkes_events(times: np.ndarray, horizon: float, zero_threshold: float = CHI2_95) -> HawkesFit:
    """Fit event times in days from 0 to ``horizon``: one sorted row per jittered copy
    (a single row: exact times). The starts are the global maximum over a grid of
    decays (``sup_over_decay``) and six spread-out points. ``zero_threshold``: the
    likelihood-ratio value up to which n = 0 stays in n's interval (the bootstrap
    test's critical value, see ``_fit``)."""
    rows = np.ascontiguousarray(np.atleast_2d(np.asarray(times, dtype=np.float64)))
    box = Box.for_data(rows.shape[1], horizon)
    grid_best, _ = sup_over_decay(rows, horizon, box)
    starts = [grid_best, *default_starts(rows.shape[1], horizon, box)]
    copies = [event_objective(row, horizon) for row in rows] if rows.shape[0] > 1 else []
    return _fit(event_objective(rows, horizon), rows.shape[1], horizon, box, starts, copies, "events",
                zero_threshold, profile_search(rows, horizon, box))


def fit_hawkes_counts(edges: np.ndarray, counts: np.ndarray, zero_threshold: float = CHI2_95) -> HawkesFit:
    """Fit counts per period (``edges`` in days from 0: one more than the counts)."""
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    events, horizon = int(counts.sum()), float(edges[-1] - edges[0])
    box = Box.for_data(events, horizon)
    objective = counts_objective(edges, counts)
    return _fit(objective, events, horizon, box, default_starts(events, horizon, box), [], "counts", zero_threshold,
                grid_search(objective, box, max(events, 1) / horizon))


def _fit(objective: Objective, events: int, horizon: float, box: Box, starts: list[np.ndarray],
         copies: list[Objective], data: str, zero_threshold: float, search: Search) -> HawkesFit:
    """The fit from ``starts``, its intervals (profiles maximised globally by
    ``search``) and the jitter spread.

    n's interval is the profile interval, except at its lower end: n = 0 is in it
    whenever the test of n = 0 does not reject, i.e. the likelihood ratio of n = 0
    stays below ``zero_threshold`` (test inversion: at n = 0 the decay is not
    identified, which makes the chi-square cut-off too small there; the bootstrap
    gives the right one). And when n = 0 is in n's interval, so is every decay: the
    likelihood at n = 0 does not depend on it, so no decay can be ruled out (a profile
    interval of the decay would only show which clusters chance made; with 200
    events at n = 0.05 it covered 0.91)."""
    x_hat, l_hat, agreeing = maximise(objective, box, starts)
    for attempt in range(6):
        try:
            cov = _covariance(objective, x_hat, box)
            steps = np.sqrt(np.diag(cov))
            intervals = [profile_interval(objective, box, x_hat, l_hat, i, float(steps[i]),
                                          zero_threshold=max(zero_threshold, CHI2_95) if i == 1 else None,
                                          strict=attempt < 5, search=search)
                         for i in range(2)]
            if intervals[1][0] <= box.low[1]:
                intervals.append((float(box.low[2]), float(box.high[2])))
            else:
                intervals.append(profile_interval(objective, box, x_hat, l_hat, 2, float(steps[2]),
                                                  strict=attempt < 5, search=search))
            break
        except BetterOptimum as better:
            # a profile found a higher maximum than the starts did: restart from it
            x_hat, l_hat, _ = maximise(objective, box, [better.x, x_hat])

    within = np.diag(cov)
    between = np.zeros(3)
    per_copy = np.empty((0, 3))
    between_covariance = np.zeros((3, 3))
    if copies:
        fitted = np.array([maximise(copy, box, [x_hat])[0] for copy in copies])
        between = fitted.var(axis=0, ddof=1)
        between_covariance = np.cov(fitted.T, ddof=1)
        per_copy = np.column_stack([np.exp(fitted[:, 0]), fitted[:, 1], HOURS * np.exp(-fitted[:, 2])])
    inflation = (1.0 + 1.0 / max(len(copies), 1)) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        widening = np.where(np.isfinite(within) & (within > 0.0), np.sqrt(1.0 + inflation / within), 1.0)
    total_se = np.sqrt(within + inflation)

    bounds = box.at_bound(x_hat)
    names = tuple(name for name, hit in zip(PARAMETERS, bounds) if hit)
    low = [_widen(x_hat[i], intervals[i][0], widening[i], box, i) for i in range(3)]
    high = [_widen(x_hat[i], intervals[i][1], widening[i], box, i) for i in range(3)]
    mu, n, beta = natural(x_hat)
    interval = "profile likelihood" + (", widened for the jitter spread (Rubin)" if copies else "")

    baseline = Estimate("hawkes", PARAMETERS[0], CONFIG_KEYS[0], UNITS[0], mu, mu * total_se[0],
                        0.0 if low[0] <= box.low[0] else math.exp(low[0]),
                        math.inf if high[0] >= box.high[0] else math.exp(high[0]), interval)
    branching = Estimate("hawkes", PARAMETERS[1], CONFIG_KEYS[1], UNITS[1], n, total_se[1],
                         max(low[1], 0.0), 1.0 if high[1] >= box.high[1] else high[1], interval)
    decay_hours = HOURS / beta
    decay = Estimate("hawkes", PARAMETERS[2], CONFIG_KEYS[2], UNITS[2], decay_hours, decay_hours * total_se[2],
                     0.0 if high[2] >= box.high[2] else HOURS * math.exp(-high[2]),
                     math.inf if low[2] <= box.low[2] else HOURS * math.exp(-low[2]), interval)
    covariance = cov + (1.0 + 1.0 / max(len(copies), 1)) * between_covariance
    return HawkesFit(baseline, branching, decay, mu, n, beta, l_hat, events, horizon, len(starts), agreeing,
                     names, per_copy, tuple(float(w) for w in widening), data,
                     tuple(float(v) for v in x_hat), covariance)


def _covariance(objective: Objective, x_hat: np.ndarray, box: Box) -> np.ndarray:
    """The working-scale covariance from the observed information, over the
    coordinates it is defined for: none at a bound, and not the decay when n is 0
    (the likelihood does not depend on it there)."""
    low_hit = x_hat - box.low < 1e-6 * (box.high - box.low)
    high_hit = box.high - x_hat < 1e-6 * (box.high - box.low)
    free = [i for i in range(3) if not (low_hit[i] or high_hit[i])]
    if low_hit[1] and 2 in free:
        free.remove(2)
    return working_covariance(observed_information(objective, x_hat, box), free)


def _widen(centre: float, end: float, factor: float, box: Box, index: int) -> float:
    """Move an interval end away from the estimate by ``factor`` (an end at a bound
    stays there)."""
    if end <= box.low[index] or end >= box.high[index] or factor == 1.0:
        return end
    return float(min(max(centre + factor * (end - centre), box.low[index]), box.high[index]))


__all__ = ["HawkesFit", "fit_hawkes_counts", "fit_hawkes_events", "N_MAX"]
