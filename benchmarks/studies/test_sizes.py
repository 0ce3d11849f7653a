"""Sizes of the calibration's tests: how often each rejects a true model at 5%.

Poisson logs (rate 1 per day over 200 or 2,000 days, exact times; and day-dated over
200 days, fitted as 10 jittered copies, as UCDP data are) and Hawkes logs (n = 0.3,
decay rate 1 per day, exact times), each fitted as `stress calibrate` fits it:

- the time-rescaling KS test of the true model's fit: the KS table's p-value (the
  fitted parameters taken as known) and the parametric bootstrap's;
- on Poisson logs, the test of n = 0: the 50:50 chi-square mixture's p-value and the
  parametric bootstrap's.

    nice python benchmarks/studies/test_sizes.py --datasets 300 --replicates 99

A bootstrap test's p = (1 + exceedances) / (B + 1) is a Monte Carlo test; its size
does not depend on B (the tool uses 199; 99 halves the cost of the study). Prints one
row per setting and test: the share of logs rejected at 5% with its binomial
standard error.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from stress.calibration import likelihood
from stress.calibration.bootstrap import bootstrap_lr_test, rescaling_null
from stress.calibration.fit import Box, default_starts, event_objective, likelihood_ratio_test, maximise, natural, \
    sup_over_decay
from stress.calibration.goodness import rescaled_gaps_hawkes, rescaled_gaps_poisson, time_rescaling
from stress.calibration.simulate import simulate_times

SETTINGS = (  # name, n, days, resolution (days; 0: exact), copies
    ("poisson, 200 events, exact", 0.0, 200.0, 0.0, 1),
    ("poisson, 2,000 events, exact", 0.0, 2000.0, 0.0, 1),
    ("poisson, 200 events, day-dated", 0.0, 200.0, 1.0, 10),
    ("hawkes n = 0.3, 200 events, exact", 0.3, 200.0, 0.0, 1),
    ("hawkes n = 0.3, 2,000 events, exact", 0.3, 2000.0, 0.0, 1),
)


def recorded(times: np.ndarray, resolution: float, copies: int, generator: np.random.Generator,
             horizon: float) -> np.ndarray:
    if resolution <= 0.0:
        return times[None, :]
    low = np.floor(times / resolution) * resolution
    return np.sort(np.minimum(low + resolution * generator.random((copies, low.size)), horizon), axis=1)


def hawkes_mle(rows: np.ndarray, horizon: float) -> np.ndarray:
    """The fit's maximum as `fit_hawkes_events` finds it (before its profiles)."""
    box = Box.for_data(rows.shape[1], horizon)
    grid_best, _ = sup_over_decay(rows, horizon, box)
    x, _, _ = maximise(event_objective(rows, horizon), box, [grid_best, *default_starts(rows.shape[1], horizon, box)])
    return natural(x)


def one(name: str, n: float, days: float, resolution: float, copies: int, seed: int, replicates: int,
        r: int) -> dict[str, bool]:
    times = simulate_times(1.0 - n, n, 1.0, days, seed, replication=r)
    generator = np.random.default_rng([seed, r])
    rows = recorded(times, resolution, copies, generator, days)
    count = rows.shape[1]
    out = {}
    if n == 0.0:
        rate = count / days
        gaps = [rescaled_gaps_poisson(row, rate) for row in rows]
        test = time_rescaling("poisson", gaps, rescaling_null("poisson", (rate, 0.0, 1.0), days, resolution, copies,
                                                              seed + r + 1, replicates))
        out["KS of the Poisson fit, table"] = test.p_value_table <= 0.05
        out["KS of the Poisson fit, bootstrap"] = test.p_value <= 0.05
        mu, nn, beta = hawkes_mle(rows, days)
        hawkes_ll = likelihood.hawkes_loglik(rows, days, mu, nn, beta, np.empty(3))
        poisson_ll = count * math.log(rate) - count
        out["n = 0, 50:50 mixture"] = likelihood_ratio_test(poisson_ll, hawkes_ll).p_value <= 0.05
        boot = bootstrap_lr_test(rows, days, resolution, seed + r + 1, replicates)
        out["n = 0, bootstrap"] = boot.p_value <= 0.05
    else:
        fitted = hawkes_mle(rows, days)
        gaps = [rescaled_gaps_hawkes(row, *fitted) for row in rows]
        test = time_rescaling("hawkes", gaps, rescaling_null("hawkes", tuple(fitted), days, resolution, copies,
                                                             seed + r + 1, replicates))
        out["KS of the Hawkes fit, table"] = test.p_value_table <= 0.05
        out["KS of the Hawkes fit, bootstrap"] = test.p_value <= 0.05
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--replicates", type=int, default=99)
    parser.add_argument("--seed", type=int, default=404)
    parser.add_argument("--only", type=int, nargs="*", help="indices of SETTINGS to run")
    args = parser.parse_args()
    print(f"{'setting':<38} {'test':<34} {'rejected':>8} {'SE':>6}  seconds")
    for k, setting in enumerate(SETTINGS):
        if args.only is not None and k not in args.only:
            continue
        began = time.perf_counter()
        rows = [one(*setting, args.seed + 100_000 * k, args.replicates, r) for r in range(args.datasets)]
        seconds = time.perf_counter() - began
        for test in rows[0]:
            share = np.mean([row[test] for row in rows])
            se = math.sqrt(max(share * (1 - share), 1e-12) / len(rows))
            print(f"{setting[0]:<38} {test:<34} {share:8.3f} {se:6.3f}  {seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
