"""Profile-likelihood intervals: for one parameter, the values at which the log-
likelihood, maximised over the others, falls chi2(1, 0.95) / 2 below its maximum.

Unlike a Wald interval from the standard error, the interval follows the
likelihood's shape: one-sided near n = 0 or n = 1, skewed for the decay. An end the
likelihood never falls far enough toward is reported as the parameter's bound.

The maximum over the others must be global. The Hawkes likelihood has ridges: near
n = 0 a short decay fitted to a few close pairs of events competes with a long one,
and a maximiser warm-started along the profile stays on the ridge it started on. The
profile then falls too fast and the interval is too short (with exact times of 200
near-Poisson events, a 95% interval for n covered 0.877). So each profile value is
also searched for over a grid of decays (``Search``: ``fit.profile_over_decay`` for
event times, ``grid_search`` for any objective) and the best is kept.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from stress.calibration.fit import CHI2_95, GRID_POINTS, Box, Objective, maximise

# Decays closer than this on the log scale (about a grid step of the search) are on
# one ridge.
RIDGE = 0.5

# A global search of the profile: (working coordinate, value held) -> (the working
# point of the maximum over the others, its log-likelihood).
Search = Callable[[int, float], tuple[np.ndarray, float]]


class BetterOptimum(Exception):
    """The profile found a higher log-likelihood than the fit: the fit was a local
    maximum and must restart from here."""

    def __init__(self, x: np.ndarray, value: float) -> None:
        super().__init__(f"higher log-likelihood {value} at {x}")
        self.x = x
        self.value = value


def profile_interval(objective: Objective, box: Box, x_hat: np.ndarray, l_hat: float, index: int,
                     step: float, threshold: float = CHI2_95, zero_threshold: float | None = None,
                     strict: bool = True, search: Search | None = None) -> tuple[float, float]:
    """The interval of working coordinate ``index`` where 2 (l_hat - profile) <
    ``threshold``; ``step`` is a first step away from the estimate (its standard
    error). With ``zero_threshold``, the lower bound belongs to the interval whenever
    its deviance is below that (a test of the boundary value with its own null
    distribution). ``search``: the global search of each profile value (without it,
    the profile is maximised from the nearest point already profiled only). Raises
    ``BetterOptimum`` if the profile beats ``l_hat`` (unless not ``strict``: on a ridge
    that keeps rising slowly toward a bound, the caller stops chasing it after a few
    restarts)."""
    from scipy.optimize import brentq

    # gains below this are optimiser noise on a flat ridge, not a better maximum: they
    # move a deviance by 2e-4, nothing next to the 3.84 cut-off
    tolerance = max(1e-4, 1e-8 * abs(l_hat))
    evaluated: list[tuple[float, np.ndarray]] = [(float(x_hat[index]), x_hat.copy())]

    def profile(value: float) -> float:
        # warm start from the nuisance parameters of the nearest point already profiled
        _, nearest = min(evaluated, key=lambda item: abs(item[0] - value))
        start = nearest.copy()
        start[index] = value
        starts = [start]
        found = None
        if search is not None:
            found = search(index, value)
            # polished too (the search's grid is coarse in the decay), unless it lies on
            # the warm start's ridge, which the warm start climbs anyway
            if index != 2 and abs(found[0][2] - start[2]) > RIDGE:
                starts.append(found[0])
        x, loglik, _ = maximise(objective, box, starts, fixed=index)
        if found is not None and found[1] > loglik:
            x, loglik = found[0], found[1]
        if strict and loglik > l_hat + tolerance:
            raise BetterOptimum(x, loglik)
        evaluated.append((value, x))
        return loglik

    def deviance_excess(value: float) -> float:
        return 2.0 * (l_hat - profile(value)) - threshold

    def side(direction: float) -> float:
        bound = float(box.low[index] if direction < 0 else box.high[index])
        start = float(x_hat[index])
        if abs(bound - start) <= 1e-9 * max(1.0, abs(bound)):
            return bound
        if direction < 0 and zero_threshold is not None and 2.0 * (l_hat - profile(bound)) < zero_threshold:
            return bound
        previous = start
        for k in range(64):
            value = start + direction * step * 2.0 ** k
            if (value - bound) * direction >= 0.0:
                value = bound
            if deviance_excess(value) >= 0.0:
                low, high = sorted((previous, value))
                return float(brentq(deviance_excess, low, high, xtol=1e-7 * max(1.0, abs(value)), rtol=1e-10))
            if value == bound:
                return bound
            previous = value
        return bound

    safe_step = step if math.isfinite(step) and step > 0.0 else (0.05 if index == 1 else 0.3)
    step = min(safe_step, 0.5 * float(box.high[index] - box.low[index]))
    return side(-1.0), side(1.0)


def grid_search(objective: Objective, box: Box, rate: float, points: int = GRID_POINTS // 4) -> Search:
    """A ``Search`` for any objective (counts per period: no closed-form inner
    maximum): the maximiser started from ``points`` decays spread over the box's log
    range, with n at 0.5 and mu making the mean rate ``rate`` (per day) unless held."""
    log_betas = np.linspace(box.low[2], box.high[2], points)

    def search(index: int, value: float) -> tuple[np.ndarray, float]:
        n0 = value if index == 1 else 0.5
        base = np.array([math.log(rate * (1.0 - min(n0, 0.99))), n0, 0.0])
        base[index] = value
        starts = [base] if index == 2 else [np.array([base[0], base[1], b]) for b in log_betas]
        x, loglik, _ = maximise(objective, box, starts, fixed=index)
        return x, loglik

    return search
