"""A sweep of 100 points x 10,000 replications of the default scenario (fast engine),
timed with one worker and with two, side by side.

    python benchmarks/sweep.py               # 3 repeats each
    python benchmarks/sweep.py --repeats 1

Targets on the 2-core machine: at most 60 s with both cores, and two workers at least
1.8 times as fast as one. Timed in-process around ``stress.sweep`` (no result folder),
after warming the compiled engine's cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import stress  # noqa: E402

# 100 points: tier-2 threshold 1..10 x tier-3 delay 0..216 hours.
GRID = ["tier2.threshold=1:10:1", "tier3.delay_hours=0:216:24"]


def timed(workers: int, n: int) -> float:
    began = time.perf_counter()
    result = stress.sweep(grid=GRID, n=n, seed=1, workers=workers)
    elapsed = time.perf_counter() - began
    assert len(result.points) == 100 and all(result.n == n)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("-n", type=int, default=10_000, help="replications per point")
    args = parser.parse_args()
    stress.sweep(grid=["tier2.threshold=2"], n=1000, workers=1)  # load the compiled engine
    one, two = [], []
    for _ in range(args.repeats):  # alternate, so both see the same machine load
        one.append(timed(1, args.n))
        two.append(timed(2, args.n))
    t1, t2 = statistics.median(one), statistics.median(two)
    print(f"100 points x {args.n:,} replications (medians of {args.repeats}):")
    print(f"  1 worker : {t1:6.1f} s")
    print(f"  2 workers: {t2:6.1f} s (target <= 60 s)")
    print(f"  speed-up : {t1 / t2:6.2f}x (target >= 1.8)")


if __name__ == "__main__":
    main()
