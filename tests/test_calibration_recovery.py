"""Calibration: parameter recovery. Long Hawkes event logs simulated with the
engines' breach clock are fitted; the 95% profile intervals must cover the true
values at close to their nominal rate, and the time-rescaling test must pass the
right model and reject the wrong one.

220 fits (60 with n = 0, 80 with n = 0.5, 80 with n = 0.8) with a fixed seed
(``STRESS_RECOVERY_SEED`` runs another). Under true 95% coverage a pooled coverage
outside [90%, 99%] has probability below 0.3% for the 160 decay intervals and below
0.1% for the 220 others (exact binomial).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pytest
from scipy.stats import binom

from stress.calibration.bootstrap import bootstrap_lr_test
from stress.calibration.fit import CHI2_95
from stress.calibration.goodness import rescaled_gaps_hawkes, rescaled_gaps_poisson, time_rescaling
from stress.calibration.hawkes import fit_hawkes_events
from stress.calibration.simulate import simulate_times

# name, mu per day, n, beta per day, days, fits: ~400, ~1,000 and ~2,500 events a log
SETS = (("poisson", 1.0, 0.0, 2.0, 400.0, 60),
        ("moderate", 0.5, 0.5, 2.0, 1000.0, 80),
        ("strong", 0.2, 0.8, 1.0, 2500.0, 80))
SEED = int(os.environ.get("STRESS_RECOVERY_SEED", "7"))
PARAMETERS = ("baseline", "branching ratio", "decay")


def _strict() -> None:
    # the worker processes fail on what pyproject's filterwarnings fails on in this one
    warnings.filterwarnings("error", category=RuntimeWarning)


def _fit(mu: float, n: float, beta: float, days: float, threshold: float, seed: int, r: int) -> tuple:
    """Replication r of a set: whether each 95% profile interval covers the truth, the
    estimates, and the time-rescaling p-values of the fitted Hawkes and of Poisson."""
    truth = (mu, n, 24.0 / beta)
    times = simulate_times(mu, n, beta, days, seed, replication=r)
    fit = fit_hawkes_events(times, days, zero_threshold=threshold)
    return ([e.ci_low <= t <= e.ci_high for e, t in zip(fit.estimates, truth)], [fit.mu, fit.n, fit.decay_hours],
            time_rescaling("hawkes", [rescaled_gaps_hawkes(times, fit.mu, fit.n, fit.beta)]).p_value,
            time_rescaling("poisson", [rescaled_gaps_poisson(times, times.size / days)]).p_value)


@pytest.fixture(scope="module")
def recovery() -> dict[str, dict[str, np.ndarray]]:
    # The fits are independent: they run in worker processes, one per core this process
    # may use, and are collected in order (the same numbers as one after the other).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    pool = ProcessPoolExecutor(min(cores, 4), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_strict) if cores > 1 else None
    try:
        planned = {}
        for name, mu, n, beta, days, fits in sorted(SETS, key=lambda s: s[2] == 0.0):  # n = 0 last: see below
            threshold = CHI2_95
            if n == 0.0:
                # n = 0 is tested by the bootstrap, whose critical value depends on the data only
                # through the number of events and the period: one bootstrap serves the set
                # (worked out here while the workers fit the other sets)
                reference = simulate_times(mu, n, beta, days, SEED, replication=fits)
                threshold = bootstrap_lr_test(reference, days, 0.0, SEED + 1, 199).critical_value_5pct
            task = partial(_fit, mu, n, beta, days, threshold, SEED)
            planned[name] = pool.map(task, range(fits), chunksize=4) if pool else map(task, range(fits))
        out = {}
        for name, mu, n, beta, *_ in SETS:
            covered, estimates, ks_hawkes, ks_poisson = zip(*planned[name])
            out[name] = {"covered": np.array(covered), "estimates": np.array(estimates),
                         "truth": np.array([mu, n, 24.0 / beta]),
                         "ks_hawkes": np.array(ks_hawkes), "ks_poisson": np.array(ks_poisson)}
        return out
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("index", range(3), ids=PARAMETERS)
def test_profile_intervals_cover_at_the_nominal_rate(recovery: dict, index: int) -> None:
    # the decay is not identified when n = 0: its interval is not checked there
    sets = [name for name, _, n, *_ in SETS if index != 2 or n > 0.0]
    hits = np.concatenate([recovery[name]["covered"][:, index] for name in sets])
    per_set = {name: round(float(recovery[name]["covered"][:, index].mean()), 3) for name in sets}
    assert hits.size >= 160
    assert 0.90 <= hits.mean() <= 0.99, f"{PARAMETERS[index]}: coverage {hits.mean():.3f} ({per_set})"


def test_estimates_centre_on_the_truth(recovery: dict) -> None:
    # a mean within four standard errors of the truth, plus 1% for the small-sample
    # bias of maximum likelihood. n = 0 is a boundary: estimates cannot fall below it,
    # and the baseline falls when they rise, so there the stationary rate
    # mu / (1 - n) is checked instead
    for name, mu, n, *_ in SETS:
        estimates, truth = recovery[name]["estimates"], recovery[name]["truth"]
        if n > 0.0:
            columns = [(PARAMETERS[i], estimates[:, i], truth[i]) for i in range(3)]
        else:
            columns = [("stationary rate", estimates[:, 0] / (1.0 - estimates[:, 1]), mu)]
        for label, column, true in columns:
            tolerance = 4.0 * column.std(ddof=1) / math.sqrt(column.size) + 0.01 * true
            assert abs(column.mean() - true) < tolerance, (name, label, column.mean(), true)


def test_time_rescaling_passes_the_right_model(recovery: dict) -> None:
    p_values = np.concatenate([recovery[name]["ks_hawkes"] for name, *_ in SETS])
    # at most the 99.9% point of the number of 5% rejections of a valid test (fitted
    # parameters make the KS test conservative, so fewer are expected)
    limit = binom.ppf(0.999, p_values.size, 0.05)
    assert np.count_nonzero(p_values < 0.05) <= limit


def test_time_rescaling_rejects_poisson_for_self_exciting_data(recovery: dict) -> None:
    assert np.all(recovery["strong"]["ks_poisson"] < 1e-3)
    assert np.mean(recovery["moderate"]["ks_poisson"] < 0.05) >= 0.9
