"""stress explore: its statistics over the uncertainty against exact numbers and
against independent runs, and the same numbers for any workers or a resume."""

import math

import numpy as np

import stress
from analytic import HORIZON_DAYS, OFFENSIVE, RATE, uniform_option, write_scenario
from conftest import check_workers_and_resume

SEEDS = range(1, 13)


def _exact_mean(detection: float) -> float:
    """E over the rate ~ U[low, high] of 1 - exp(-c rate), c = q d T."""
    _, low, high = RATE
    c = OFFENSIVE * detection * HORIZON_DAYS
    return 1.0 - (math.exp(-c * low) - math.exp(-c * high)) / (c * (high - low))


def test_the_mean_over_the_uncertainty_and_its_interval_against_the_exact_average(tmp_path):
    # Only the rate is uncertain; detection is fixed at 0.9 by the scenario. Points are
    # drawn independently (mc), as the interval assumes; every seed draws new points and
    # new replications. The interval must hold the exact average, and its width must
    # match the spread of the estimates over seeds.
    path = write_scenario(tmp_path)
    exact = _exact_mean(0.9)
    z = []
    for seed in SEEDS:
        result = stress.explore(path, samples=32, n=300, design="mc", seed=seed, uncertain=[uniform_option(RATE)],
                                workers=1, engine="fast")
        s = result.statistics["tier3_p"]
        assert s.ci_low <= s.mean <= s.ci_high and s.method == "crossed"
        z.append((s.mean - exact) / s.std_error)
    z = np.array(z)
    assert np.all(np.abs(z) <= 4), z
    # 11 degrees of freedom: the sample SD of correct z-scores lies in [0.49, 1.56] with 99% probability
    assert 0.45 <= z.std(ddof=1) <= 1.6, z


def test_explore_means_match_averages_of_independent_runs_at_the_same_points(tmp_path):
    result = stress.explore("configs/uncertainty.toml", samples=8, n=2000, design="lhs", seed=3, workers=1,
                            engine="fast")
    for statistic in ("tier2_p", "tier3_p", "p_false_escalation"):
        explored = result.statistics[statistic].mean
        independent = []
        for i, point in enumerate(result.points):
            run = stress.run("configs/uncertainty.toml", n=2000, seed=1000 + i, engine="fast", workers=1,
                             overrides=[f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in point.items()])
            rows = {r["tier"]: r for r in run.summary.tier_rows}
            metrics = {r["metric"]: r for r in run.summary.metric_rows}
            independent.append(rows[statistic[:-2]]["p_reached"] if statistic.startswith("tier")
                               else metrics[statistic]["estimate"])
        p = np.array(independent)
        # the explore mean's Monte Carlo error (at most that of fully shared noise) and the
        # independent average's
        se = math.sqrt(np.mean(p * (1 - p)) / 2000 + np.sum(p * (1 - p)) / 2000 / len(p) ** 2)
        assert abs(explored - p.mean()) <= 4 * se, (statistic, explored, p.mean(), se)


def _explore(tmp_path, name, workers, progress=None):
    return stress.explore("configs/uncertainty.toml", samples=40, n=200, seed=9, workers=workers, engine="fast",
                          out=tmp_path / name, progress=progress)


def test_the_same_tables_for_one_and_two_workers_and_after_a_resume(tmp_path):
    check_workers_and_resume(_explore, tmp_path, ("table.csv", "explore.csv", "explore.json"))
