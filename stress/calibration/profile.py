"""Profile-likelihood intervals: for one parameter, the values at which the log-
likelihood, maximised over the others, falls chi2(1, 0.95) / 2 below its maximum.

Unlike a Wald interval from the standard error, the interval follows the
likelihood's shape: one-sided near n = 0 or n = 1, skewed for the decay. An end the
likelihood never falls far enough toward is reported as the parameter's bound.
"""

from __future__ import annotations

import math

import numpy as np

from stress.calibration.fit import CHI2_95, Box, Objective, maximise


class BetterOptimum(Exception):
    """The profile found a higher log-likelihood than the fit: the fit was a local
    maximum and must restart from here."""

    def __init__(self, x: np.ndarray, value: float) -> None:
        super().__init__(f"higher log-likelihood {value} at {x}")
        self.x = x
        self.value = value


def profile_interval(objective: Objective, box: Box, x_hat: np.ndarray, l_hat: float, index: int,
                     step: float, threshold: float = CHI2_95, zero_threshold: float | None = None,
                     strict: bool = True) -> tuple[float, float]:
    """The interval of working coordinate ``index`` where 2 (l_hat - profile) <
    ``threshold``; ``step`` is a first step away from the estimate (its standard
    error). With ``zero_threshold``, the lower bound belongs to the interval whenever
    its deviance is below that (a test of the boundary value with its own null
    distribution). Raises ``BetterOptimum`` if the profile beats ``l_hat`` (unless not
    ``strict``: on a ridge that keeps rising slowly toward a bound, the caller stops
    chasing it after a few restarts)."""
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
        x, loglik, _ = maximise(objective, box, [start], fixed=index)
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
