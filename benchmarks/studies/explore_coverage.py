"""Coverage of `stress explore`'s 95% intervals over the uncertainty on
configs/uncertainty.toml, against a truth pooled from many replications.

The truth: one exploration of `--truth-samples` points x `--truth-n` replications
(default 4,000 x 10,000: 40 million replications, about 6 minutes), whose own
standard error is printed beside it. Then `--seeds` explorations of `--samples` x `-n`
(default 40 x 500, the issue's size), each on a new seed (new points, new
replications); the study counts how often each statistic's interval holds the truth.

    nice python benchmarks/studies/explore_coverage.py --seeds 200 [--samples 40 -n 500] [--design lhs|mc|sobol]

Prints one row per statistic: the truth and its SE, the coverage with its binomial
standard error, the seed-to-seed SD of the mean and the mean reported SE.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import stress

CONFIG = "configs/uncertainty.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--design", default="lhs", choices=["lhs", "mc", "sobol"])
    parser.add_argument("--truth-samples", type=int, default=4000)
    parser.add_argument("--truth-n", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", help="statistics to report (default: all)")
    args = parser.parse_args()
    began = time.perf_counter()
    pooled = stress.explore(CONFIG, samples=args.truth_samples, n=args.truth_n, seed=999_999, engine="fast",
                            workers=1)
    truth = {name: (s.mean, s.std_error) for name, s in pooled.statistics.items()
             if args.only is None or name in args.only}
    print(f"truth from {args.truth_samples} x {args.truth_n}: {time.perf_counter() - began:.0f} s", flush=True)
    rows: dict[str, list[tuple[bool, float, float]]] = {name: [] for name in truth}
    for seed in range(1, args.seeds + 1):
        result = stress.explore(CONFIG, samples=args.samples, n=args.n, seed=seed, design=args.design, engine="fast",
                                workers=1)
        for name, (value, _) in truth.items():
            s = result.statistics[name]
            rows[name].append((s.ci_low <= value <= s.ci_high, s.mean, s.std_error))
    print(f"{args.seeds} seeds of {args.samples} x {args.n} ({args.design}), {time.perf_counter() - began:.0f} s in all")
    print(f"{'statistic':<30} {'truth':>10} {'its SE':>8} {'coverage':>8} {'SE':>6} {'SD':>9} {'mean SE':>9}  interval")
    for name, values in rows.items():
        covered, means, ses = (np.array(v) for v in zip(*values))
        c = covered.mean()
        print(f"{name:<30} {truth[name][0]:10.5g} {truth[name][1]:8.2g} {c:8.3f} {math.sqrt(c * (1 - c) / len(covered)):6.3f} "
              f"{means.std(ddof=1):9.3g} {np.nanmean(ses):9.3g}  {pooled.statistics[name].method}")


if __name__ == "__main__":
    main()
