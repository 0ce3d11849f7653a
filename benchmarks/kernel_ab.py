"""The compiled kernel of this tree against an older one, timed alternately in one run.

    python benchmarks/kernel_ab.py                  # against bd9f524, default and heavy scenario
    python benchmarks/kernel_ab.py --ref HEAD~1 --rounds 15

The reference kernel is read from git (``git show REF:stress/engines/fast/kernel.py``)
into a temporary module and compiled without numba's disk cache: numba keys its cache
on a source file's path, and a copy in a temporary folder must neither load nor leave
machine code. It must be a single-file kernel (as at bd9f524) that still imports from
this tree's ``stress.model``.

Rounds alternate reference and new, so a change in the machine's load (it is shared)
hits both; each figure is a median over the rounds, and the load average is printed
before and after. Bulk runs are timed in this process's CPU time, which a busy
machine's preemption does not inflate (wall-clock ratios are printed too). The
records of the two are checked to be identical first.

Two measurements:
- replications per second, default and heavy scenario, and the ratio new/old of the
  time per replication (below 1: new is faster);
- the time of one ``simulate_range(..., count=1)`` call on the default scenario, for
  the reference, the new kernel without a workspace and with a reused one
  (``stress.engines.fast.new_workspace``), the per-call cost a sweep of single
  replications pays; the bulk time per replication is printed next to it, so the
  difference is the per-call overhead.

Replications per second are for one core; the numbers depend on the machine and its
load, the ratios much less.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stress.config.loading import load_config  # noqa: E402
from stress.engines import fast  # noqa: E402
from stress.model import records  # noqa: E402
from stress.model.params import compile_params  # noqa: E402

KERNEL = "stress/engines/fast/kernel.py"
HEAVY = ROOT / "configs" / "high-intensity.toml"


def load_reference(ref: str, folder: str):
    """The kernel module as it was at ``ref``, compiled afresh on first call."""
    source = subprocess.run(["git", "show", f"{ref}:{KERNEL}"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    source = source.replace("cache=True", "cache=False")
    path = Path(folder) / f"kernel_{ref.replace('~', '_').replace('^', '_')}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"reference_kernel_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def alternate(a, b, rounds: int, clock=time.process_time) -> tuple[float, float]:
    """Median seconds of ``a()`` and of ``b()`` by ``clock``, run A B B A A B ... (each
    first in every other round, so neither always runs right after the other)."""
    times_a, times_b = [], []
    for i in range(rounds):
        order = ((a, times_a), (b, times_b)) if i % 2 == 0 else ((b, times_b), (a, times_a))
        for fn, times in order:
            began = clock()
            fn()
            times.append(clock() - began)
    return statistics.median(times_a), statistics.median(times_b)


def per_call(calls: list, repeats: int, rounds: int) -> list[float]:
    """Median microseconds of one call of each callable in ``calls``, called in turn
    (rotating who goes first) for replications 0, 1, ..., ``repeats`` - 1, ``rounds``
    times: interleaved call by call, so a change of load hits all alike."""
    times = [[] for _ in calls]
    order = list(range(len(calls)))
    for _ in range(rounds):
        for replication in range(repeats):
            order = order[1:] + order[:1]
            for k in order:
                began = time.perf_counter()
                calls[k](replication)
                times[k].append(time.perf_counter() - began)
    return [statistics.median(t) * 1e6 for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="bd9f524", help="git revision of the reference kernel")
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds per scenario")
    parser.add_argument("--default-n", type=int, default=20_000, help="replications per timed call, default")
    parser.add_argument("--heavy-n", type=int, default=300, help="replications per timed call, heavy")
    parser.add_argument("--calls", type=int, default=2000, help="count=1 calls per round for the per-call figure")
    args = parser.parse_args()
    print(f"load average before: {load()}  ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        old = load_reference(args.ref, folder)
        scenarios = [("default", load_config(), args.default_n), ("heavy", load_config(HEAVY), args.heavy_n)]
        print(f"{'scenario':9} {'breaches':>9} {'old rep/s':>10} {'new rep/s':>10} {'new/old time':>13}"
              f" {'(wall clock)':>13}")
        for name, config, n in scenarios:
            params, k = compile_params(config), len(config.breaches.classes)
            new = fast.simulate_range(params, k, 1, 0, n)
            if not np.array_equal(old.simulate_range(params, k, 1, 0, n), new, equal_nan=True):
                raise SystemExit(f"{name}: the two kernels' records differ")
            runs = (lambda: old.simulate_range(params, k, 1, 0, n), lambda: fast.simulate_range(params, k, 1, 0, n))
            t_old, t_new = alternate(*runs, args.rounds, time.process_time)
            w_old, w_new = alternate(*runs, args.rounds, time.perf_counter)
            breaches = new[:, records.COLUMN["breaches"]].mean()
            print(f"{name:9} {breaches:9.1f} {n / t_old:10.0f} {n / t_new:10.0f} {t_new / t_old:13.3f}"
                  f" {w_new / w_old:13.3f}")

        config = load_config()
        params, k = compile_params(config), len(config.breaches.classes)
        workspace = fast.new_workspace()
        calls = {"old": lambda i: old.simulate_range(params, k, 1, i, 1),
                 "new, no workspace": lambda i: fast.simulate_range(params, k, 1, i, 1),
                 "new, reused workspace": lambda i: fast.simulate_range(params, k, 1, i, 1, workspace=workspace)}
        bulk = []
        for _ in range(5):
            began = time.process_time()
            fast.simulate_range(params, k, 1, 0, args.calls)
            bulk.append((time.process_time() - began) / args.calls * 1e6)
        medians = per_call(list(calls.values()), args.calls, 5)
        print(f"\none simulate_range(count=1) call, default scenario, median of {5 * args.calls} "
              f"(bulk, CPU time: {statistics.median(bulk):.1f} us per replication):")
        for label, us in zip(calls, medians):
            print(f"  {label:22} {us:7.1f} us")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
