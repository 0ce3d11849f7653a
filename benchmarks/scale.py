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
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(n: int, workers: int) -> tuple[float, float]:
    """(wall seconds, peak resident MiB of the process tree)."""
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "stress", "run", "-n", str(n), "--workers", str(workers),
                                    "--no-records", "--json", "--out", str(Path(tmp) / "out")],
                                   cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, sum(_rss_kib(p) for p in _tree(process.pid)))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        _, err = process.communicate()
        wall = time.perf_counter() - began
        done.set()
        sampler.join()
        if process.returncode != 0:
            raise SystemExit(f"stress run failed: {err}")
        return wall, peak / 1024


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
