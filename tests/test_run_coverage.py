"""stress run: its intervals cover closed-form truths at their stated rate over many
seeds. The scenario of ``analytic`` (Poisson breaches, perfect monitoring of one
class, tier 3 at the first detected offensive): P(tier 3) = 1 - exp(-mu q d T) and
the mean breach count mu T are exact. The Wilson interval of a tier probability and
the Student-t interval of a mean, each over a run's N replications, must cover the
truth in the central 99.8% of Binomial(seeds, their coverage). Four sets of 1,000
seeds: 0.953-0.966 (Wilson; exactly 0.9527 here) and 0.955-0.957 (t).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

import stress
from analytic import HORIZON_DAYS, tier3_probability, write_scenario
from stress.config.loading import load_config
from stress.statistics.intervals import wilson_intervals


def test_wilson_and_student_t_intervals_cover_over_seeds(tmp_path):
    path = write_scenario(tmp_path)
    config = load_config(path)
    rate = config.breaches.baseline_per_day
    detection = config.monitoring.detection_probability
    detection = detection if isinstance(detection, float) else next(iter(detection.values()))
    truth_p, truth_breaches = tier3_probability(rate, detection), rate * HORIZON_DAYS
    covered_p, covered_mean = [], []
    for seed in range(1, 1001):   # 1,000 runs of 200 replications: about 8 s
        summary = stress.run(path, n=200, seed=seed, engine="fast", workers=1).summary
        tier3 = {r["tier"]: r for r in summary.tier_rows}["tier3"]
        breaches = {r["metric"]: r for r in summary.metric_rows}["mean_breaches"]
        covered_p.append(tier3["ci_low"] <= truth_p <= tier3["ci_high"])
        covered_mean.append(breaches["ci_low"] <= truth_breaches <= breaches["ci_high"])
    # Wilson's interval covers a binomial proportion at a rate of its own near 95%
    # (0.9527 at n = 200 and this p): the band is about that rate; the t interval's 95%
    k = np.arange(201)
    _, wilson_low, wilson_high = wilson_intervals(k, 200)
    wilson = float(np.sum(binom.pmf(k, 200, truth_p) * ((wilson_low <= truth_p) & (truth_p <= wilson_high))))
    for name, hits, rate in (("P(tier 3), Wilson", covered_p, wilson), ("mean breaches, Student t", covered_mean, 0.95)):
        low, high = binom.ppf([0.001, 0.999], 1000, rate)
        assert low <= np.sum(hits) <= high, (name, np.mean(hits), rate)
