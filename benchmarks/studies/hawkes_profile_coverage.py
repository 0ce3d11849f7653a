"""Recovery coverage of the Hawkes fit's 95% profile-likelihood intervals.

For branching ratios 0.05, 0.3 and 0.7 and about 200 and 2,000 events (mean rate 1
per day over 200 or 2,000 days, decay rate 1 per day: a 24-hour excitation), simulate
event logs with exact times on the engines' breach clock, fit each as `stress
calibrate` does (the lower end of n's interval from the bootstrap's critical value,
one bootstrap per setting: under n = 0 it depends on the data only through their
size), and count how often each interval holds the true value.

    nice python benchmarks/studies/hawkes_profile_coverage.py --datasets 400 [--workers 1]

Prints one row per setting and parameter: coverage, its binomial standard error, how
many of the fits put the estimate on the short-decay bound, and the bootstrap's
critical value. (For an older version of the fit, run this file with PYTHONPATH set to
that checkout: `git archive <commit> | tar -x -C /tmp/before`.)
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

from stress.calibration import hawkes
from stress.calibration.bootstrap import bootstrap_lr_test
from stress.calibration.fit import CHI2_95
from stress.calibration.simulate import simulate_times

BRANCHING = (0.05, 0.3, 0.7)
DAYS = (200.0, 2000.0)
RATE = 1.0    # mean events per day
BETA = 1.0    # decay rate per day
PARAMETERS = ("baseline", "branching", "decay")


def fit_one(n: float, days: float, threshold: float, seed: int, r: int) -> tuple:
    mu = RATE * (1.0 - n)
    times = simulate_times(mu, n, BETA, days, seed, replication=r)
    fit = hawkes.fit_hawkes_events(times, days, zero_threshold=threshold)
    truth = (mu, n, 24.0 / BETA)
    covered = tuple(e.ci_low <= t <= e.ci_high for e, t in zip(fit.estimates, truth))
    return covered, times.size, "decay" in fit.at_bound and fit.decay_hours < 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    pool = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    print(f"{'events':>6} {'n':>5} {'parameter':>9} {'coverage':>8} {'SE':>6} {'short-decay fits':>16} {'critical':>8}  seconds")
    for s, days in enumerate(DAYS):
        for k, n in enumerate(BRANCHING):
            seed = args.seed + 10 * s + k
            began = time.perf_counter()
            reference = simulate_times(RATE, 0.0, BETA, days, seed + 1000, replication=0)
            threshold = max(CHI2_95, bootstrap_lr_test(reference, days, 0.0, seed + 2000, 199).critical_value_5pct)
            task = partial(fit_one, n, days, threshold, seed)
            done = list(pool.map(task, range(args.datasets), chunksize=8) if pool else map(task, range(args.datasets)))
            covered = np.array([d[0] for d in done])
            events = np.mean([d[1] for d in done])
            short = np.mean([d[2] for d in done])
            seconds = time.perf_counter() - began
            for j, name in enumerate(PARAMETERS):
                c = covered[:, j].mean()
                se = math.sqrt(c * (1 - c) / len(covered))
                print(f"{events:6.0f} {n:5.2f} {name:>9} {c:8.3f} {se:6.3f} {short:16.3f} {threshold:8.2f}  {seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
