"""The parametric bootstrap of the likelihood-ratio test of n = 0.

Under n = 0 the decay is not identified, and the likelihood ratio maximised over it
is larger than the boundary theory's 50:50 mixture of chi-square(0) and
chi-square(1) allows (Davies 1987): in simulations of Poisson logs the mixture's 5%
test rejected 18% (200 events) and 24% (2,000) with exact times, 7% dated to the day;
this bootstrap 4.0-6.0% (benchmarks/studies/test_sizes.py). The bootstrap draws Poisson
event logs at the fitted rate with the engines' clock, treats them as the data were
treated (rounded to the day and jittered, when the data are dated to the day) and
fits each one the same way, so the statistic's null distribution is the one that
applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stress.calibration.fit import Box, natural, sup_over_decay
from stress.calibration.goodness import ks_statistic, rescaled_gaps_hawkes, rescaled_gaps_poisson
from stress.calibration.simulate import simulate_times

# The simulations use the breach streams of replications FIRST_REPLICATION + b
# under the seed itself (clear of the replications that check the fit); the jitter of
# replicate b draws from SeedSequence(seed, spawn_key=(BOOTSTRAP_JITTER_KEY, b)). The
# Poisson fit's time-rescaling bootstrap simulates the same null as the test of n = 0,
# so it reuses its logs; the Hawkes fit's has replications and a jitter key of its own.
FIRST_REPLICATION = 1_000_000
BOOTSTRAP_JITTER_KEY = 0xB0075
HAWKES_FIRST_REPLICATION = 2_000_000
HAWKES_JITTER_KEY = 0xB0076


@dataclass(frozen=True)
class BootstrapTest:
    """The bootstrap p-value of the likelihood-ratio test of n = 0 and the 95%
    critical value of the statistic."""

    statistic: float
    p_value: float
    critical_value_5pct: float
    replicates: int


def likelihood_ratio(times: np.ndarray, horizon: float) -> float:
    """The likelihood ratio statistic of n = 0, maximised over the decay on the
    refined grid (``sup_over_decay``); rows of ``times`` are jittered copies."""
    rows = np.ascontiguousarray(np.atleast_2d(times), dtype=np.float64)
    count = rows.shape[1]
    if count == 0:
        return 0.0
    _, value = sup_over_decay(rows, horizon, Box.for_data(count, horizon))
    poisson = count * math.log(count / horizon) - count
    return max(0.0, 2.0 * (value - poisson))


def bootstrap_lr_test(times: np.ndarray, horizon: float, resolution: float, seed: int,
                      replicates: int = 199) -> BootstrapTest:
    """The test for event times ``times`` (rows: jittered copies) in [0, horizon]
    days. ``resolution`` (days; 0: exact): the precision the data's times were
    recorded to, so each simulated log is rounded down to it and jittered into as
    many copies as the data have (longer UCDP date windows are treated as days)."""
    rows = np.atleast_2d(times)
    copies, count = rows.shape
    observed = likelihood_ratio(rows, horizon)
    rate = count / horizon
    statistics = np.empty(replicates)
    for b in range(replicates):
        simulated = simulate_times(rate, 0.0, 1.0, horizon, seed, replication=FIRST_REPLICATION + b)
        statistics[b] = likelihood_ratio(_as_recorded(simulated, horizon, resolution, copies, seed,
                                                      BOOTSTRAP_JITTER_KEY, b), horizon)
    p_value = (1.0 + np.count_nonzero(statistics >= observed)) / (replicates + 1.0)
    return BootstrapTest(observed, float(p_value), float(np.quantile(statistics, 0.95)), replicates)


def _as_recorded(simulated: np.ndarray, horizon: float, resolution: float, copies: int, seed: int, key: int,
                 b: int) -> np.ndarray:
    """A simulated log as the data were recorded: rounded down to ``resolution`` and
    jittered into ``copies`` sorted rows (one row, as it is, for exact times)."""
    if resolution <= 0.0:
        return simulated[None, :]
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key, b))))
    recorded = np.floor(simulated / resolution) * resolution
    jittered = recorded + resolution * generator.random((copies, recorded.size))
    return np.sort(np.minimum(jittered, horizon), axis=1)


def rescaling_null(model: str, process: tuple[float, float, float], horizon: float, resolution: float,
                   copies: int, seed: int, replicates: int = 199) -> np.ndarray:
    """The time-rescaling KS statistic (median over copies) of ``replicates`` logs
    simulated from the fitted ``model`` ((mu per day, n, beta per day)), each
    recorded as the data were and refitted: the Poisson rate as events / period, the
    Hawkes process by the refined grid over the decay (``sup_over_decay``, the fit's
    own global start). Fitting the parameters to the very gaps that are tested is what
    makes the KS table's p-value conservative; this distribution includes it. NaN for
    a log of fewer than 3 events (no fit)."""
    mu, n, beta = process
    first, key = (FIRST_REPLICATION, BOOTSTRAP_JITTER_KEY) if model == "poisson" else \
        (HAWKES_FIRST_REPLICATION, HAWKES_JITTER_KEY)
    statistics = np.full(replicates, np.nan)
    for b in range(replicates):
        simulated = simulate_times(mu, n, beta, horizon, seed, replication=first + b)
        if simulated.size < 3:
            continue
        rows = _as_recorded(simulated, horizon, resolution, copies, seed, key, b)
        if model == "poisson":
            gaps = [rescaled_gaps_poisson(row, row.size / horizon) for row in rows]
        else:
            x, _ = sup_over_decay(rows, horizon, Box.for_data(rows.shape[1], horizon))
            fitted = natural(x)
            gaps = [rescaled_gaps_hawkes(row, *fitted) for row in rows]
        statistics[b] = ks_statistic(gaps)
    return statistics
