"""stress robust: its intervals over the uncertainty cover exact numbers at their
stated rate, over many seeds (every seed draws new points and new replications).

The scenario of ``test_explore_coverage`` (Poisson breaches at an uncertain rate r,
reports exactly 12 hours later, every report a warning with a military response within
24 hours, 180 days), with r ~ U(0.005, 0.03) per day and two variants of the monitors'
detection probability, 0.9 and 0.5. At a point P(tier 1) = 1 - exp(-d r 179.5), so
its mean over r is exact for each variant, and so is the mean regret of the variant
that detects more (tier 1 to be minimised: the other is the best at every point, by
at least 0.06 at r = 0.03 and by 4 standard errors of 500 replications at the least);
the mean response latency is 23.9888 hours for both (see ``test_explore_coverage``).
Before the blocks of replications, the intervals over the points treated them as
independent although they share their replications.

Each coverage over the seeds must lie in the central 99.8% of Binomial(seeds, 0.95).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import stress

from test_explore_coverage import DELAY, HORIZON_HOURS, _check, exact_latency, write_scenario

LOW_RATE, HIGH_RATE = 0.005, 0.03
VARIANTS = {"sure": 0.9, "weak": 0.5}


def exact_tier1(detection: float) -> float:
    c = detection * (HORIZON_HOURS - DELAY) / 24.0
    return 1.0 - (math.exp(-c * LOW_RATE) - math.exp(-c * HIGH_RATE)) / (c * (HIGH_RATE - LOW_RATE))


def coverage(path: str, seeds, samples: int, n: int) -> dict[str, np.ndarray]:
    truth = {("sure", "tier1_p", "mean"): exact_tier1(0.9), ("weak", "tier1_p", "mean"): exact_tier1(0.5),
             ("sure", "tier1_p", "regret_mean"): exact_tier1(0.9) - exact_tier1(0.5),
             ("sure", "mean_tier1_latency_hours", "mean"): exact_latency(),
             ("weak", "mean_tier1_latency_hours", "mean"): exact_latency()}
    hits: dict[tuple, list[bool]] = {key: [] for key in truth}
    for seed in seeds:
        result = stress.robust(path, variants=[f"{name}: monitoring.detection_probability={d}"
                                               for name, d in VARIANTS.items()],
                               minimize=["tier1_p", "mean_tier1_latency_hours"], samples=samples, n=n, design="mc",
                               seed=seed, workers=1, engine="fast",
                               uncertain=[f"breaches.baseline_per_day=uniform({LOW_RATE}, {HIGH_RATE})"])
        rows = result.robustness.set_index(["variant", "outcome"])
        for (variant, outcome, statistic), value in truth.items():
            row = rows.loc[(variant, outcome)]
            hits[(variant, outcome, statistic)].append(
                row[f"{statistic}_ci_low"] <= value <= row[f"{statistic}_ci_high"])
    return {key: np.array(h) for key, h in hits.items()}


def test_means_and_mean_regret_cover_over_seeds(tmp_path):
    # 200 seeds of 40 points x 2 variants x 500 replications
    hits = coverage(write_scenario(tmp_path), range(1, 201), 40, 500)
    for key, h in hits.items():
        _check(h, " ".join(key))


@pytest.mark.slow
@pytest.mark.parametrize("first", [1001, 2001])
def test_means_and_mean_regret_cover_over_seeds_long(tmp_path, first):
    hits = coverage(write_scenario(tmp_path), range(first, first + 600), 40, 500)
    for key, h in hits.items():
        _check(h, " ".join(key))
