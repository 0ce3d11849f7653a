"""Replications per second of both engines, side by side, and the random-number floor.

    python benchmarks/engines.py            # default and heavy scenario, ratios
    python benchmarks/engines.py --quick    # fewer repeats

The floor is a compiled kernel that seeds the same four streams per replication and
draws as many numbers from each as the replication did (from the breach, detection
and response streams exactly; from the false-report stream at least as many), and
nothing else. Each figure is the median of several timed repeats, taken in one
process after warm-up, so the ratios compare like with like on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stress.config.loading import load_config  # noqa: E402
from stress.engines import simulate_chunk  # noqa: E402
from stress.engines import fast  # noqa: E402
from stress.model import records, streams  # noqa: E402
from stress.model.params import compile_params  # noqa: E402

HEAVY = ROOT / "configs" / "high-intensity.toml"


@numba.njit(cache=True)
def _floor(root_words, start, draws):
    """Seed each replication's four streams and draw ``draws[r, k]`` numbers from
    stream k; the sum keeps the compiler from skipping the work."""
    state = np.zeros((streams.N_STREAMS, 4), dtype=np.uint64)
    prefix = streams.seed_prefix(root_words)
    total = 0.0
    for r in range(draws.shape[0]):
        for k in range(streams.N_STREAMS):
            streams.seed_pcg64(prefix, start + r, k, state[k])
            for _ in range(draws[r, k]):
                total += streams.next_double(state[k])
    return total


def draw_counts(values: np.ndarray, false_rate: float) -> np.ndarray:
    """Numbers drawn per stream, from the records (see stress.model for the order)."""
    c = records.COLUMN
    breaches = values[:, c["breaches"]]
    reports = values[:, c["reports"]] + values[:, c["false_reports"]]
    counts = np.zeros((len(values), streams.N_STREAMS), dtype=np.int64)
    counts[:, streams.BREACHES] = 2 + 3 * breaches
    counts[:, streams.DETECTION] = 3 * breaches
    counts[:, streams.FALSE_REPORTS] = (1 + 3 * values[:, c["false_reports"]]) if false_rate > 0 else 0
    counts[:, streams.RESPONSES] = 6 * reports
    return counts


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(name: str, config, n_fast: int, n_simpy: int, repeats: int) -> dict:
    params = compile_params(config)
    names = [c.name for c in config.breaches.classes]
    fast.warm_up(params, len(names))
    values = simulate_chunk("fast", params, names, 0, 0, n_fast)
    counts = draw_counts(values, params.false_rate)
    words = streams.seed_words(0)
    _floor(words, 0, counts[:10])
    t_fast = timed(lambda: simulate_chunk("fast", params, names, 0, 0, n_fast), repeats) / n_fast
    t_floor = timed(lambda: _floor(words, 0, counts), repeats) / n_fast
    t_simpy = timed(lambda: simulate_chunk("simpy", params, names, 0, 0, n_simpy), repeats) / n_simpy
    return {"scenario": name, "breaches": float(values[:, records.COLUMN["breaches"]].mean()),
            "simpy": 1 / t_simpy, "fast": 1 / t_fast, "floor": 1 / t_floor}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replications and repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    rows = [measure("default", load_config(), 20_000 if args.quick else 100_000, 300 if args.quick else 1000, repeats),
            measure("heavy", load_config(HEAVY), 500 if args.quick else 2000, 5 if args.quick else 20, repeats)]
    print(f"one core, median of {repeats} repeats; replications per second")
    print(f"{'scenario':10} {'breaches':>9} {'simpy':>10} {'fast':>12} {'floor':>12} {'fast/simpy':>11} {'floor/fast':>11}")
    for r in rows:
        print(f"{r['scenario']:10} {r['breaches']:9.1f} {r['simpy']:10.1f} {r['fast']:12.0f} {r['floor']:12.0f} "
              f"{r['fast'] / r['simpy']:11.1f} {r['floor'] / r['fast']:11.2f}")
    default = rows[0]
    print(f"\nSimPy engine, default scenario: {default['simpy']:.0f} replications/s (target >= 200)")
    print(f"fast / simpy, default: {default['fast'] / default['simpy']:.0f}x (target >= 100)")
    print(f"fast time / floor time, default: {default['floor'] / default['fast']:.2f} (target <= 4)")


if __name__ == "__main__":
    main()
