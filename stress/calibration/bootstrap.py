"""The parametric bootstrap of the likelihood-ratio test of n = 0.

Under n = 0 the decay is not identified, and the likelihood ratio maximised over it
is larger than the boundary theory's 50:50 mixture of chi-square(0) and
chi-square(1) allows (Davies 1987): in simulations of Poisson data with ~1,000
events the mixture's 5% test rejects 10-15% of the time. The bootstrap draws Poisson
event logs at the fitted rate with the engines' clock, treats them as the data were
treated (rounded to the day and jittered, when the data are dated to the day) and
fits each one the same way, so the statistic's null distribution is the one that
applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stress.calibration.fit import Box, sup_over_decay
from stress.calibration.simulate import simulate_times

# The simulations use the breach streams of replications FIRST_REPLICATION + b
# under the seed itself (clear of the replications that check the fit); the jitter of
# replicate b draws from SeedSequence(seed, spawn_key=(BOOTSTRAP_JITTER_KEY, b)).
FIRST_REPLICATION = 1_000_000
BOOTSTRAP_JITTER_KEY = 0xB0075


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
        if resolution > 0.0:
            generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                seed, spawn_key=(BOOTSTRAP_JITTER_KEY, b))))
            recorded = np.floor(simulated / resolution) * resolution
            jittered = recorded + resolution * generator.random((copies, recorded.size))
            simulated = np.sort(np.minimum(jittered, horizon), axis=1)
        statistics[b] = likelihood_ratio(simulated, horizon)
    p_value = (1.0 + np.count_nonzero(statistics >= observed)) / (replicates + 1.0)
    return BootstrapTest(observed, float(p_value), float(np.quantile(statistics, 0.95)), replicates)
