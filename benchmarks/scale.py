"""Wall time and peak memory of `stress run` at scale, measured as a user runs it.

    python benchmarks/scale.py                 # 1,000,000 and 10,000 replications
    python benchmarks/scale.py --n 200000      # a quicker look

Each run is a real `python -m stress run ... --no-records` process; a sampler adds up
the resident memory of it and every process it starts (the worker pool included)
every 20 ms. The compiled engine's disk cache is warmed first, so compile time is not
counted. Memory is compared at the same number of workers, so that only N differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import stress_command  # noqa: E402


def run(n: int, workers: int) -> tuple[float, float]:
    """(wall seconds, peak resident MiB of the process tree)."""
    with tempfile.TemporaryDirectory() as tmp:
        measured = stress_command(["run", "-n", str(n), "--workers", str(workers), "--no-records", "--json",
                                   "--out", str(Path(tmp) / "out")], tmp)
        return measured.wall, measured.peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    run(1000, 1)  # warm the compile cache
    results = {}
    for n in (args.n, args.small):
        samples = [run(n, 2) for _ in range(args.repeats)]
        results[n] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
        print(f"n = {n:>9,}, 2 workers: wall {results[n][0]:6.1f} s, peak memory {results[n][1]:6.0f} MiB"
              f"  (median of {args.repeats})")
    wall, peak = results[args.n]
    print(f"\n{args.n:,} replications with both cores: {wall:.1f} s (target <= 30 s)")
    print(f"peak memory at {args.n:,} / at {args.small:,}: {peak / results[args.small][1]:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
