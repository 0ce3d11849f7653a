"""Per-point overhead and peak memory of this checkout against another, alternated in one
run (the machine's drift from one run of benchmarks/pipeline.py to the next is as large
as the differences a change makes).

    git worktree add /tmp/before 917a735      # the checkout to compare against
    python benchmarks/pipeline_ab.py /tmp/before --points 10000 -n 100 --workers 2

The other checkout runs as ``python -m stress`` from its own folder (its first run
compiles its engine). Figures as in benchmarks/pipeline.py sections 1 and 2.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import ROOT, load, stress_command  # noqa: E402
from pipeline import RANGES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout's folder")
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # PYTHONSAFEPATH unset: `python -m stress` imports the package of the folder it runs in
    checkouts = {"other": (args.other.resolve(), {"PYTHONSAFEPATH": ""}), "this": (ROOT, {"PYTHONSAFEPATH": "1"})}
    common = ["--no-records", "--engine", "fast", "--workers", str(args.workers)]
    print(f"{load()} at the start")
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for label, (folder, env) in checkouts.items():  # warm each engine's compile cache
            stress_command(["run", "-n", "1000", "--engine", "fast", "--out", str(tmp / f"warm-{label}")], folder, env)
        for _ in range(args.repeats):
            for label, (folder, env) in checkouts.items():
                out = tmp / f"{label}{time.monotonic_ns()}"
                sweep = stress_command(["sweep", "--design", "lhs", "--samples", str(args.points), "-n", str(args.n),
                                        *RANGES, *common, "--out", f"{out}s"], folder, env)
                run = stress_command(["run", "-n", str(args.points * args.n), *common, "--out", f"{out}r"], folder, env)
                rows[label].append(((sweep.cpu - run.cpu) / args.points * 1000, sweep.peak_mib, sweep.peak_pss_mib))
    for label, (folder, _) in checkouts.items():
        per_point, rss, pss = (statistics.median(r[i] for r in rows[label]) for i in range(3))
        print(f"{label} ({folder}): {per_point:.3f} ms of CPU per point (runs: "
              f"{', '.join(f'{r[0]:.3f}' for r in rows[label])}); peak summed RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
    print(f"{load()} at the end")


if __name__ == "__main__":
    main()
