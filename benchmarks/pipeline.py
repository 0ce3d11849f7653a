"""The job pipeline's throughput, measured side by side as a user runs it.

    python benchmarks/pipeline.py              # everything, medians of 3
    python benchmarks/pipeline.py --quick      # smaller sizes, one repeat

1. Per-point overhead: CPU time (the command and its workers) of a sweep of S points
   x n replications minus that of one run of the same S x n replications, over S.
2. Memory: peak memory of the process tree, 10,000 points against 100 (summed RSS and PSS).
3. Workers: 1,000,000 replications (--no-records), wall time with 1 and 2 workers, and
   where the CPU time goes (parent against workers, measured in-process).
4. Records: CPU time of the same run with and without records.parquet.
5. Start-up: `stress run -n 1000` as a whole command with the compile cache warm, and
   the first compile in an empty cache.

Every figure is a whole `python -m stress ...` process unless it says in-process.
The compiled engine's cache is warmed first (except for the first-compile figure).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _measure import load, stress_command  # noqa: E402

RANGES = ["--range", "tier2.decision_probability=0.2:0.9", "--range", "tier3.stand_down_per_day=0:1"]


def median_of(repeats: int, measure) -> tuple:
    samples = [measure() for _ in range(repeats)]
    return tuple(statistics.median(s[i] for s in samples) for i in range(len(samples[0])))


def sweep_and_run(points: int, n: int, workers: int, tmp: Path) -> tuple[float, float, float, float, float]:
    """(sweep CPU, run CPU, sweep peak RSS MiB, run wall, sweep peak PSS MiB) for S = points at n each."""
    common = ["--no-records", "--engine", "fast", "--workers", str(workers)]
    sweep = stress_command(["sweep", "--design", "lhs", "--samples", str(points), "-n", str(n), *RANGES, *common,
                            "--out", str(tmp / f"s{time.monotonic_ns()}")], tmp)
    run = stress_command(["run", "-n", str(points * n), *common, "--out", str(tmp / f"r{time.monotonic_ns()}")], tmp)
    return sweep.cpu, run.cpu, sweep.peak_mib, run.wall, sweep.peak_pss_mib


def in_process_split(n: int, workers: int) -> tuple[float, float, float]:
    """(wall, parent CPU, workers' CPU) of stress.run in this process."""
    import stress
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    stress.run(n=n, seed=1, workers=workers, save_records=False, engine="fast")
    wall = time.perf_counter() - began
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)

    def cpu(a, b):
        return (b.ru_utime - a.ru_utime) + (b.ru_stime - a.ru_stime)
    return wall, cpu(self_before, self_after), cpu(children_before, children_after)


NUMBA_FLOOR = """
import numba
@numba.njit(cache=True)
def f(x):
    return x + 1
f(1)
"""


def numba_load(tmp: Path) -> float:
    """Wall seconds of a Python process that imports numba and runs one cached function."""
    script = tmp / "numba_floor.py"
    script.write_text(NUMBA_FLOOR)
    subprocess.run([sys.executable, str(script)], check=True)  # compile and cache it
    began = time.perf_counter()
    subprocess.run([sys.executable, str(script)], check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="S = 2,000 and 200,000 replications, one repeat")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    points = 2_000 if args.quick else 10_000
    big = 200_000 if args.quick else 1_000_000
    print(f"{load()} at the start")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        stress_command(["run", "-n", "1000", "--out", str(tmp / "warm")], tmp)  # warm the compile cache

        print(f"\n1. Per-point overhead (CPU of the sweep minus CPU of one run of the same replications, / S;"
              f" medians of {repeats}; target <= 0.5 ms)")
        peaks, per_point = {}, {}
        for workers in (1, 2):
            for n in (1, 100):
                sweep_cpu, run_cpu, peak, _, pss = median_of(repeats, lambda: sweep_and_run(points, n, workers, tmp))
                peaks[workers] = peak, pss
                per_point[workers, n] = (sweep_cpu - run_cpu) / points * 1000
                print(f"   {workers} worker(s), S = {points:,}, n = {n:>3}: sweep {sweep_cpu:6.2f} s, run of "
                      f"{points * n:,} {run_cpu:6.2f} s -> {(sweep_cpu - run_cpu) / points * 1000:.3f} ms per point")

        small = 100
        small_peaks = median_of(repeats, lambda: sweep_and_run(small, 100, 2, tmp))
        print(f"\n2. Peak memory of the process tree (2 workers, n = 100; target <= 1.2), {points:,} points against "
              f"{small}:")
        for name, big_peak, small_peak in (("summed RSS", peaks[2][0], small_peaks[2]),
                                           ("summed PSS", peaks[2][1], small_peaks[4])):
            print(f"   {name}: {big_peak:.0f} MiB against {small_peak:.0f} MiB -> ratio {big_peak / small_peak:.2f}")

        def both_worker_counts():
            one = stress_command(["run", "-n", str(big), "--no-records", "--workers", "1", "--engine", "fast",
                                  "--out", str(tmp / f"w1{time.monotonic_ns()}")], tmp)
            two = stress_command(["run", "-n", str(big), "--no-records", "--workers", "2", "--engine", "fast",
                                  "--out", str(tmp / f"w2{time.monotonic_ns()}")], tmp)
            return one.wall, two.wall, one.cpu, two.cpu
        w1, w2, c1, c2 = median_of(repeats, both_worker_counts)
        print(f"\n3. {big:,} replications --no-records (whole command, alternated, medians of {repeats}):")
        print(f"   1 worker {w1:.2f} s wall ({c1:.2f} s CPU), 2 workers {w2:.2f} s wall ({c2:.2f} s CPU)"
              f" -> speed-up {w1 / w2:.2f}x (target >= 1.8)")
        import stress
        stress.run(n=1000, workers=1, engine="fast")  # load the engine here too

        def in_process_both():
            one = in_process_split(big, 1)
            two = in_process_split(big, 2)
            return one[0], two[0], two[1], two[2]
        one, two, parent, children = median_of(repeats, in_process_both)
        print(f"   the job alone (stress.run in this process, engine loaded, alternated): 1 worker {one:.2f} s, "
              f"2 workers {two:.2f} s -> speed-up {one / two:.2f}x; with 2 workers the parent used {parent:.2f} s "
              f"of CPU, the workers {children:.2f} s")

        def with_and_without():
            plain = stress_command(["run", "-n", str(big), "--no-records", "--out", str(tmp / f"n{time.monotonic_ns()}")],
                                   tmp)
            kept = stress_command(["run", "-n", str(big), "--out", str(tmp / f"k{time.monotonic_ns()}")], tmp)
            return plain.cpu, kept.cpu, plain.wall, kept.wall
        plain, kept, plain_wall, kept_wall = median_of(repeats, with_and_without)
        print(f"\n4. Records, {big:,} replications: CPU {kept:.2f} s with, {plain:.2f} s without -> "
              f"{kept / plain:.2f}x (target <= 1.3); wall {kept_wall:.2f} s against {plain_wall:.2f} s")

        def start_up():
            auto = stress_command(["run", "-n", "1000", "--out", str(tmp / f"t{time.monotonic_ns()}")], tmp)
            fast = stress_command(["run", "-n", "1000", "--engine", "fast", "--out", str(tmp / f"f{time.monotonic_ns()}")],
                                  tmp)
            floor = stress_command(["default-config"], tmp)  # typer, rich and the package's imports only
            return auto.wall, fast.wall, floor.wall
        auto, fast, floor = median_of(max(repeats, 5), start_up)
        numba_floor = median_of(max(repeats, 5), lambda: (numba_load(tmp),))[0]
        cold = stress_command(["run", "-n", "1000", "--engine", "fast", "--out", str(tmp / "cold")], tmp,
                              env={"STRESS_CACHE_DIR": str(tmp / "empty-cache")})
        print(f"\n5. `stress run -n 1000`, whole command, compile cache warm (medians of {max(repeats, 5)}; "
              f"target <= 1.5 s): {auto:.2f} s (engine auto), {fast:.2f} s with --engine fast; for scale: "
              f"`stress default-config` {floor:.2f} s, importing numba and loading one cached one-line function "
              f"{numba_floor:.2f} s. First compile (empty cache): {cold.wall:.1f} s wall, {cold.cpu:.1f} s CPU")
        rss, pss = (peaks[2][0], small_peaks[2]), (peaks[2][1], small_peaks[4])
        rows = [
            (f"CPU per point beyond its replications (a sweep of {points:,} points against one run of the same "
             "replications), 1 worker", f"{per_point[1, 1]:.2f} ms (n = 1), {per_point[1, 100]:.2f} ms (n = 100)",
             "<= 0.5 ms"),
            ("the same, 2 workers", f"{per_point[2, 1]:.2f} ms (n = 1), {per_point[2, 100]:.2f} ms (n = 100)",
             "<= 0.5 ms"),
            (f"peak memory of the process tree, {points:,} points against {small} (n = 100, 2 workers)",
             f"summed RSS {rss[0]:.0f} / {rss[1]:.0f} MiB = {rss[0] / rss[1]:.2f}x; summed PSS {pss[0]:.0f} / "
             f"{pss[1]:.0f} MiB = {pss[0] / pss[1]:.2f}x", "<= 1.2x"),
            (f"{big:,} replications `--no-records`, 2 workers against 1, whole command",
             f"{w2:.1f} s against {w1:.1f} s = {w1 / w2:.2f}x", ">= 1.8x"),
            ("the same job in-process (engine loaded)", f"{two:.1f} s against {one:.1f} s = {one / two:.2f}x; the "
             f"parent used {parent:.2f} s of CPU, the workers {children:.1f} s", ""),
            ("records.parquet written against `--no-records`, CPU",
             f"{kept:.1f} s against {plain:.1f} s = {kept / plain:.2f}x", "<= 1.3x"),
            ("`stress run -n 1000`, whole command", f"{auto:.2f} s ({fast:.2f} s with `--engine fast`); "
             f"`stress default-config` {floor:.2f} s; the first run in an empty compile cache {cold.wall:.1f} s",
             "<= 1.5 s"),
        ]
        print("\n| what | measured | target |\n|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    print(f"\n{load()} at the end")


if __name__ == "__main__":
    main()
