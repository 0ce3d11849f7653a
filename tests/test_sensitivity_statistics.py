"""stress.statistics.sensitivity: the pieces of the intervals that include the
replications' noise (deterministic, no simulation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, t

from stress.statistics.sensitivity import block_resamples, morris_with_replications, sobol_with_replications, spread


def test_drawing_k_minus_1_blocks_gives_the_unbiased_variance_of_their_mean():
    rng = np.random.default_rng(1)
    n = np.full((1, 20), 50)
    hits = rng.binomial(50, 0.3, size=(1, 20))
    means = hits[0] / 50
    resampled = block_resamples(hits, n, 40_000, np.random.default_rng(2))[:, 0]
    # s^2 / K, the textbook variance of a mean of K blocks; the bootstrap's own error
    # with 40,000 resamples is about 1% of it (chi-square's sqrt(2 / 40,000) and the
    # multinomial's fourth moment), so 5% is a wide margin
    assert resampled.var() == pytest.approx(means.var(ddof=1) / 20, rel=0.05)


def test_the_spread_adds_variances_with_welch_satterthwaite_degrees_of_freedom():
    s = spread(0.03, 0.04, 1023, 19)
    df = 0.05 ** 4 / (0.03 ** 4 / 1023 + 0.04 ** 4 / 19)
    assert s.df == pytest.approx(df) and s.half_width == pytest.approx(t.ppf(0.975, df) * 0.05)
    assert spread(0.03, 0.0, 1023, 19).half_width == pytest.approx(t.ppf(0.975, 1023) * 0.03)
    assert spread(0.0, 0.0, 1023, 19).half_width == 0.0


def _saltelli(base: int, groups: int, rng: np.random.Generator) -> tuple[dict, np.ndarray, np.ndarray]:
    from SALib.sample import sobol
    problem = {"num_vars": groups, "names": [f"x{j}" for j in range(groups)], "bounds": [[0.0, 1.0]] * groups}
    x = sobol.sample(problem, base, calc_second_order=False, seed=rng)
    p = 1 - np.exp(-3 * x[:, 0] * (0.5 + x[:, 1]))
    return problem, x, p


def test_sobol_estimates_are_salibs_and_without_replication_noise_the_interval_is_the_designs():
    from SALib.analyze import sobol
    problem, _, p = _saltelli(256, 3, np.random.default_rng(3))
    n = np.full((len(p), 20), 50)
    hits = np.round(p[:, None] * n).astype(np.int64)        # every block the same: no replications' noise
    y = hits.sum(axis=1) / n.sum(axis=1)
    ours = sobol_with_replications(problem, y, hits, n, seed=5)
    salib = sobol.analyze(problem, y, calc_second_order=False, num_resamples=500, seed=5)
    for key in ("S1", "ST"):
        assert np.array_equal(ours[key], salib[key])
        assert np.all(ours[f"{key}_sd_replications"] < 1e-12)
        assert ours[f"{key}_conf"] == pytest.approx(np.asarray(salib[f"{key}_conf"]) * t.ppf(0.975, 255) / norm.ppf(0.975),
                                                    rel=1e-9)


def test_replication_noise_shared_by_the_points_widens_the_intervals():
    problem, _, p = _saltelli(256, 3, np.random.default_rng(4))
    rng = np.random.default_rng(6)
    n = np.full((len(p), 20), 50)
    # each block's luck is shared: it shifts every point's probability on the logit scale
    shift = rng.normal(0.0, 0.3, 20)
    q = 1 / (1 + np.exp(-(np.log(p / (1 - p))[:, None] + shift[None, :] * p[:, None])))
    hits = rng.binomial(50, q)
    y = hits.sum(axis=1) / n.sum(axis=1)
    ours = sobol_with_replications(problem, y, hits, n, seed=5)
    assert np.all(ours["ST_sd_replications"][:2] > 0.0)
    assert np.all(ours["ST_conf"] >= 1.96 * ours["ST_sd_design"])


def test_morris_estimates_are_salibs():
    from SALib.analyze import morris
    from SALib.sample import morris as morris_sample
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    x = morris_sample.sample(problem, 30, num_levels=4, seed=np.random.default_rng(7))
    p = 1 - np.exp(-3 * x[:, 0] * (0.5 + x[:, 1]))
    n = np.full((len(p), 20), 50)
    hits = np.random.default_rng(8).binomial(50, np.repeat(p[:, None], 20, axis=1))
    y = hits.sum(axis=1) / n.sum(axis=1)
    ours = morris_with_replications(problem, x, y, hits, n, 4, seed=9)
    salib = morris.analyze(problem, x, y, num_levels=4, seed=9)
    for key in ("mu", "mu_star", "sigma"):
        assert np.allclose(ours[key], salib[key])
    design = np.asarray(salib["mu_star_conf"]) / norm.ppf(0.975)
    assert np.allclose(ours["mu_star_sd_design"], design)
    assert np.all(ours["mu_star_sd_replications"] > 0.0) and np.all(ours["mu_star_conf"] > 1.96 * design)


def test_a_denoised_index_stays_within_zero_and_one():
    from stress.jobs.sensitivity import _index
    assert _index(1.467) == 1.0 and _index(-0.02) == 0.0 and _index(0.3) == 0.3
    assert math.isnan(_index(math.nan))
