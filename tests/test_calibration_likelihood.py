"""Calibration: the likelihoods against brute-force formulas, and the optimiser's
building blocks (deterministic; no fitting of simulated data here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stress.calibration import fit, likelihood


def brute_loglik(times: np.ndarray, horizon: float, mu: float, n: float, beta: float) -> float:
    """The Hawkes log-likelihood straight from its definition, O(n^2)."""
    total = 0.0
    for i, t in enumerate(times):
        total += math.log(mu + n * beta * sum(math.exp(-beta * (t - s)) for s in times[:i]))
    return total - mu * horizon - n * sum(1.0 - math.exp(-beta * (horizon - s)) for s in times)


def sample_times(seed: int, count: int, horizon: float) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).uniform(0.0, horizon, count))


@pytest.mark.parametrize("mu, n, beta", [(0.3, 0.0, 1.0), (0.2, 0.5, 2.0), (0.05, 0.9, 0.1), (1.0, 0.3, 50.0)])
def test_hawkes_loglik_matches_definition(mu: float, n: float, beta: float) -> None:
    times = sample_times(1, 60, 100.0)
    grad = np.empty(3)
    value = likelihood.hawkes_loglik(times[None, :], 100.0, mu, n, beta, grad)
    assert value == pytest.approx(brute_loglik(times, 100.0, mu, n, beta), rel=1e-11)


def test_hawkes_gradient_matches_central_differences() -> None:
    times = sample_times(2, 200, 150.0)[None, :]
    theta = np.array([0.4, 0.6, 1.5])
    grad = np.empty(3)
    likelihood.hawkes_loglik(times, 150.0, *theta, grad)
    analytic = grad.copy()
    for i in range(3):
        h = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric = (likelihood.hawkes_loglik(times, 150.0, *up, grad)
                   - likelihood.hawkes_loglik(times, 150.0, *down, grad)) / (2 * h)
        assert analytic[i] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_rows_are_averaged() -> None:
    rows = np.vstack([sample_times(3, 40, 50.0), sample_times(4, 40, 50.0)])
    grad = np.empty(3)
    pooled = likelihood.hawkes_loglik(rows, 50.0, 0.5, 0.4, 2.0, grad)
    singles = [likelihood.hawkes_loglik(r[None, :], 50.0, 0.5, 0.4, 2.0, grad) for r in rows]
    assert pooled == pytest.approx(np.mean(singles), rel=1e-13)


def test_no_excitation_is_the_poisson_likelihood() -> None:
    times = sample_times(5, 30, 40.0)
    value = likelihood.hawkes_loglik(times[None, :], 40.0, 0.75, 0.0, 3.0, np.empty(3))
    assert value == pytest.approx(likelihood.poisson_loglik(30, 40.0, 0.75), rel=1e-13)


def test_compensator_and_intensity_match_definitions() -> None:
    times = sample_times(6, 25, 30.0)
    mu, n, beta = 0.4, 0.7, 1.3
    compensator = likelihood.hawkes_compensator(times, mu, n, beta)
    for i, t in enumerate(times):
        expected = mu * t + n * sum(1.0 - math.exp(-beta * (t - s)) for s in times[:i])
        assert compensator[i] == pytest.approx(expected, rel=1e-12)
    grid = np.linspace(0.0, 30.0, 37)
    intensity = likelihood.hawkes_intensity(times, mu, n, beta, grid)
    for g, value in zip(grid, intensity):
        expected = mu + n * beta * sum(math.exp(-beta * (g - s)) for s in times if s <= g)
        assert value == pytest.approx(expected, rel=1e-12)


def test_counts_means_without_excitation_are_rate_times_length() -> None:
    edges = np.array([0.0, 31.0, 59.0, 90.0])
    counts = np.array([3, 0, 7])
    means = likelihood.hawkes_counts_means(edges, counts, 0.2, 0.0, 1.0)
    assert means == pytest.approx(0.2 * np.diff(edges), rel=1e-13)


def test_counts_means_settle_at_the_stationary_rate() -> None:
    # with counts equal to their expectation, the conditional mean of a long run of
    # periods settles at mu / (1 - n) per day
    edges = np.arange(0.0, 7.0 * 400 + 1, 7.0)
    mu, n, beta = 0.1, 0.6, 0.5
    counts = np.full(400, 7.0 * mu / (1 - n))
    means = likelihood._counts_means(edges, counts, mu, n, beta)[0]
    assert means[-1] == pytest.approx(7.0 * mu / (1 - n), rel=1e-3)


def test_fixed_decay_maximum_is_the_smooth_optimisers() -> None:
    times = sample_times(7, 300, 200.0)[None, :]
    box = fit.Box.for_data(300, 200.0)
    betas = np.array([0.3, 3.0])
    mus, ns, values = likelihood.decay_profile(times, 200.0, betas, fit.N_MAX)
    objective = fit.event_objective(times, 200.0)
    for beta, mu, n, value in zip(betas, mus, ns, values):
        start = np.array([math.log(300 / 200.0 * 0.7), 0.3, math.log(beta)])
        _, best, _ = fit.maximise(objective, box, [start], fixed=2)
        assert value == pytest.approx(best, abs=1e-6)
        assert value == pytest.approx(likelihood.hawkes_loglik(times, 200.0, mu, n, beta, np.empty(3)), abs=1e-9)


def test_poisson_interval_is_garwoods() -> None:
    result = fit.fit_poisson(10, 5.0, 0.0)
    # chi-square quantiles of 20 and 22 degrees of freedom: the exact 95% interval for 10 events
    assert result.rate.estimate == 2.0
    assert result.rate.ci_low == pytest.approx(4.795389 / 5.0, rel=1e-6)
    assert result.rate.ci_high == pytest.approx(18.39036 / 5.0, rel=1e-6)


def test_likelihood_ratio_test_uses_the_boundary_mixture() -> None:
    test = fit.likelihood_ratio_test(-100.0, -100.0 + 2.705543454095404 / 2)
    assert test.p_value == pytest.approx(0.05, rel=1e-9)
    assert fit.likelihood_ratio_test(-100.0, -100.0).p_value == 1.0
    assert test.critical_value_5pct == pytest.approx(2.705543454095404)


@pytest.mark.parametrize("fixed, value", [(0, 0.6), (0, 1.2), (1, 0.0), (1, 0.35), (1, 0.8)])
def test_one_free_parameter_maximum_at_a_decay_is_brute_forces(fixed: int, value: float) -> None:
    from scipy.optimize import minimize_scalar
    times = sample_times(8, 250, 200.0)[None, :]
    betas = np.array([0.05, 0.7, 40.0])
    low, high = (0.0, fit.N_MAX) if fixed == 0 else (1e-4, 10.0)
    a, tails = likelihood.excitation_grid(times, 200.0, betas)
    free, values = likelihood.decay_profile_fixed(a, tails, 200.0, betas, fixed, value, low, high)
    for beta, z, best in zip(betas, free, values):
        def negative(x: float) -> float:
            mu, n = (value, x) if fixed == 0 else (x, value)
            return -likelihood.hawkes_loglik(times, 200.0, mu, n, beta, np.empty(3))
        brute = minimize_scalar(negative, bounds=(low, high), method="bounded", options={"xatol": 1e-10})
        assert best >= -brute.fun - 1e-7
        assert best == pytest.approx(-negative(z), abs=1e-9)


@pytest.mark.parametrize("index, value", [(0, math.log(0.5)), (1, 0.05), (1, 0.4), (2, math.log(3.0))])
def test_the_global_profile_is_at_least_every_starts_maximum(index: int, value: float) -> None:
    # near-Poisson data: the likelihood in the decay has more than one ridge
    times = sample_times(9, 200, 200.0)[None, :]
    box = fit.Box.for_data(200, 200.0)
    objective = fit.event_objective(times, 200.0)
    x, best = fit.profile_over_decay(times, 200.0, box, index, value)
    assert x[index] == value
    assert best == pytest.approx(likelihood.hawkes_loglik(times, 200.0, *fit.natural(x), np.empty(3)), abs=1e-9)
    for log_beta in np.linspace(box.low[2], box.high[2], 12):
        start = np.array([math.log(0.7), 0.3, log_beta])
        start[index] = value
        _, found, _ = fit.maximise(objective, box, [start], fixed=index)
        assert best >= found - 1e-3, (log_beta, best, found)
