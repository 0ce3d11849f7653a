"""Calibration: the time-rescaling test has its stated size. With fitted parameters
the KS table's p-value is conservative (at 5% it rejected 0-0.7% of true models);
the parametric bootstrap of the KS statistic, which refits every simulated log, must
reject true models at 5%: over many logs, the share rejected lies in the central
99.8% of Binomial(logs, 0.05).

`benchmarks/studies/test_sizes.py` measures the sizes at 200 and 2,000 events, for day-dated
logs, and for the test of n = 0 (the README quotes it).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from stress.calibration.bootstrap import rescaling_null
from stress.calibration.fit import Box, natural, sup_over_decay
from stress.calibration.goodness import rescaled_gaps_hawkes, rescaled_gaps_poisson, time_rescaling
from stress.calibration.simulate import simulate_times

DAYS = 200.0   # about 200 events at 1 per day
# (1 + exceedances) / (B + 1) <= 0.05 exactly when at most 1 of B = 39 replicates is as
# large: a 5% test with the fewest replicates
REPLICATES = 39


def _rejected(model: str, logs: int, seed: int) -> np.ndarray:
    n = 0.0 if model == "poisson" else 0.3
    rejected = []
    for r in range(logs):
        times = simulate_times(1.0 - n, n, 1.0, DAYS, seed, replication=r)
        if model == "poisson":
            process = (times.size / DAYS, 0.0, 1.0)
            gaps = [rescaled_gaps_poisson(times, process[0])]
        else:
            x, _ = sup_over_decay(times[None, :], DAYS, Box.for_data(times.size, DAYS))
            process = tuple(natural(x))
            gaps = [rescaled_gaps_hawkes(times, *process)]
        null = rescaling_null(model, process, DAYS, 0.0, 1, seed + 1 + r, REPLICATES)
        rejected.append(time_rescaling(model, gaps, null).p_value <= 0.05)
    return np.array(rejected)


def _check(rejected: np.ndarray) -> None:
    low, high = binom.ppf([0.001, 0.999], rejected.size, 0.05)
    assert low <= rejected.sum() <= high, (rejected.mean(), (low, high))


@pytest.mark.parametrize("model", ["poisson", "hawkes"])
def test_the_bootstrap_ks_test_rejects_true_models_at_its_level(model: str) -> None:
    _check(_rejected(model, 200, 31))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [32, 33, 34])
@pytest.mark.parametrize("model", ["poisson", "hawkes"])
def test_the_bootstrap_ks_test_rejects_true_models_at_its_level_long(model: str, seed: int) -> None:
    _check(_rejected(model, 600, seed))
