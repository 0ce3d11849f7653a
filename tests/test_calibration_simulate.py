"""Calibration: the simulation kernels run the engines' breach process, replication
for replication, and have the Hawkes process's known moments."""

from __future__ import annotations

import math
import time

import numpy as np

from stress.calibration.hawkes import fit_hawkes_events
from stress.calibration.simulate import simulate_counts, simulate_times


def test_same_seed_same_breaches_other_replication_other_breaches() -> None:
    a = simulate_times(0.5, 0.5, 2.0, 200.0, seed=3, replication=4)
    b = simulate_times(0.5, 0.5, 2.0, 200.0, seed=3, replication=4)
    c = simulate_times(0.5, 0.5, 2.0, 200.0, seed=3, replication=5)
    assert np.array_equal(a, b)
    assert not np.array_equal(a[:10], c[:10])
    assert np.all(np.diff(a) >= 0) and a.min() >= 0 and a.max() < 200.0


def test_counts_are_the_times_binned() -> None:
    edges = np.arange(0.0, 141.0, 7.0)
    counts = simulate_counts(0.3, 0.6, 0.5, edges, seed=11, replications=5)
    for r in range(5):
        times = simulate_times(0.3, 0.6, 0.5, 140.0, seed=11, replication=r)
        assert np.array_equal(counts[r], np.histogram(times, edges)[0])


def test_breaches_are_the_engines() -> None:
    """With responses that leave the rate alone, replication i of the engines has
    exactly the breaches of replication i here (the SimPy engine, which the engine
    tests hold equal to the compiled one: it needs no compilation here)."""
    from stress.config.loading import load_config
    from stress.engines.simpy.replication import Replication
    from stress.model import records
    from stress.model.params import compile_params

    config = load_config(None, ["breaches.baseline_per_day=0.5", "breaches.self_excitation=0.5",
                                "breaches.decay_hours=36", "tier1.rate_factor=1.0", "tier2.rate_factor=1.0",
                                "tier3.rate_factor=1.0"])
    names = [c.name for c in config.breaches.classes]
    params = compile_params(config)
    column = records.COLUMN["breaches"]
    engine = np.array([Replication(params, names, 7, i).run()[column] for i in range(30)]).astype(np.int64)
    here = simulate_counts(0.5, 0.5, 24.0 / 36.0, np.array([0.0, config.scenario.horizon_days]), 7, 30)[:, 0]
    assert np.array_equal(engine, here)


def test_mean_count_from_a_fresh_start() -> None:
    # E[lambda] starts at mu and relaxes to mu / (1 - n) at rate beta (1 - n)
    mu, n, beta, days = 0.5, 0.5, 2.0, 100.0
    counts = simulate_counts(mu, n, beta, np.array([0.0, days]), seed=5, replications=2000)[:, 0]
    level, gamma = mu / (1 - n), beta * (1 - n)
    expected = level * days + (mu - level) * (1 - math.exp(-gamma * days)) / gamma
    standard_error = counts.std(ddof=1) / math.sqrt(counts.size)
    assert abs(counts.mean() - expected) < 4 * standard_error


def test_carried_excitation_adds_its_cascade() -> None:
    # no baseline: only the carried excitation e0 and its offspring, e0 / gamma on average
    excitation, n, beta = 3.0, 0.5, 2.0
    counts = simulate_counts(0.0, n, beta, np.array([0.0, 60.0]), seed=6, replications=4000,
                             excitation=excitation)[:, 0]
    expected = excitation / (beta * (1 - n))
    standard_error = counts.std(ddof=1) / math.sqrt(counts.size)
    assert abs(counts.mean() - expected) < 4 * standard_error


def test_weekly_dispersion_of_poisson_is_one() -> None:
    counts = simulate_counts(0.4, 0.0, 1.0, np.arange(0.0, 7.0 * 300 + 1, 7.0), seed=8, replications=1)[0]
    # variance/mean of 300 Poisson counts has standard error about sqrt(2 / 299)
    assert abs(counts.var(ddof=1) / counts.mean() - 1.0) < 4 * math.sqrt(2 / 299)


def test_fit_of_ten_thousand_events_takes_under_two_seconds() -> None:
    times = simulate_times(0.5, 0.5, 2.0, 10_000.0, seed=9)
    times = times[:10_000]
    fit_hawkes_events(times[:500], times[499] + 1e-9)  # compile outside the clock
    start = time.perf_counter()
    fit = fit_hawkes_events(times, times[-1] + 1e-9)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert fit.branching.ci_low <= 0.5 <= fit.branching.ci_high
