"""Replications per second of both engines, side by side, and the random-number floor.

    python benchmarks/engines.py            # default and heavy scenario, ratios
    python benchmarks/engines.py --quick    # fewer repeats

Two floors, both compiled kernels that seed the same four streams per replication and
draw as many uniforms from each as the replication did (exactly for the breach,
detection and response streams; at least as many for the false-report stream):

- ``uniform floor``: the uniforms and nothing else;
- ``variate floor``: the same uniforms turned into the variates the model uses them
  as (an exponential for every clock and gap, a lognormal for every verified report's
  delay, a class for every breach and false report), i.e. the cost of drawing the
  model's random numbers, not only its bits. Still a floor: the few variates the
  records do not count (delays of reports due after the horizon, tier-3 stand-down
  and objective times) are drawn as plain uniforms.

Each figure is the median of several timed repeats, taken in one process after
warm-up, so the ratios compare like with like on a shared machine.
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
from stress.model import records, streams, variates  # noqa: E402
from stress.model.params import compile_params  # noqa: E402

HEAVY = ROOT / "configs" / "high-intensity.toml"


# Not cached: numba keys its cache on this file alone, not on the rules compiled in.
@numba.njit
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


@numba.njit
def _variate_floor(root_words, start, draws, exponentials, lognormals, classes, class_cumulative):
    """As _floor, and transform the first draws of each replication into
    ``exponentials[r]`` exponentials, ``lognormals[r]`` lognormals and
    ``classes[r]`` classes."""
    state = np.zeros((streams.N_STREAMS, 4), dtype=np.uint64)
    prefix = streams.seed_prefix(root_words)
    total = 0.0
    for r in range(draws.shape[0]):
        used_exp = 0
        used_log = 0
        used_class = 0
        for k in range(streams.N_STREAMS):
            streams.seed_pcg64(prefix, start + r, k, state[k])
            for _ in range(draws[r, k]):
                u = streams.next_double(state[k])
                if used_exp < exponentials[r]:
                    total += variates.exponential(u)
                    used_exp += 1
                elif used_log < lognormals[r]:
                    total += variates.lognormal(u, 12.0, 0.75)
                    used_log += 1
                elif used_class < classes[r]:
                    total += variates.categorical(u, class_cumulative)
                    used_class += 1
                else:
                    total += u
    return total


def draw_counts(values: np.ndarray, params) -> np.ndarray:
    """Numbers drawn per stream, from the records (see stress.model for the order; a
    report draws ``params.draws`` uniforms, 6 for the seed's three tiers)."""
    c = records.COLUMN
    breaches = values[:, c["breaches"]]
    reports = values[:, c["reports"]] + values[:, c["false_reports"]]
    counts = np.zeros((len(values), streams.N_STREAMS), dtype=np.int64)
    counts[:, streams.BREACHES] = 2 + 3 * breaches
    counts[:, streams.DETECTION] = 3 * breaches
    counts[:, streams.FALSE_REPORTS] = (1 + 3 * values[:, c["false_reports"]]) if params.false_rate > 0 else 0
    counts[:, streams.RESPONSES] = params.draws * reports
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
    fast.warm_up(params)
    values = simulate_chunk("fast", params, 0, 0, n_fast)
    counts = draw_counts(values, params)
    words = streams.seed_words(0)
    _floor(words, 0, counts[:10])
    t_fast = timed(lambda: simulate_chunk("fast", params, 0, 0, n_fast), repeats) / n_fast
    c = records.COLUMN
    reports = (values[:, c["reports"]] + values[:, c["false_reports"]]).astype(np.int64)
    exponentials = (2 + values[:, c["breaches"]] + values[:, c["false_reports"]]).astype(np.int64)
    classes = (values[:, c["breaches"]] + values[:, c["false_reports"]]).astype(np.int64)
    cumulative = params.class_cumulative

    def variate_floor():
        return _variate_floor(words, 0, counts, exponentials, reports, classes, cumulative)

    _variate_floor(words, 0, counts[:10], exponentials[:10], reports[:10], classes[:10], cumulative)
    t_floor = timed(lambda: _floor(words, 0, counts), repeats) / n_fast
    t_variates = timed(variate_floor, repeats) / n_fast
    t_simpy = timed(lambda: simulate_chunk("simpy", params, 0, 0, n_simpy), repeats) / n_simpy
    return {"scenario": name, "breaches": float(values[:, records.COLUMN["breaches"]].mean()),
            "simpy": 1 / t_simpy, "fast": 1 / t_fast, "floor": 1 / t_floor, "variates": 1 / t_variates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer replications and repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    rows = [measure("default", load_config(), 20_000 if args.quick else 100_000, 300 if args.quick else 1000, repeats),
            measure("heavy", load_config(HEAVY), 500 if args.quick else 2000, 5 if args.quick else 20, repeats)]
    print(f"one core, median of {repeats} repeats; replications per second")
    print(f"{'scenario':10} {'breaches':>9} {'simpy':>9} {'fast':>9} {'uniform floor':>14} {'variate floor':>14}"
          f" {'fast/simpy':>11} {'fast/uniform':>13} {'fast/variate':>13}")
    for r in rows:
        print(f"{r['scenario']:10} {r['breaches']:9.1f} {r['simpy']:9.1f} {r['fast']:9.0f} {r['floor']:14.0f} "
              f"{r['variates']:14.0f} {r['fast'] / r['simpy']:10.1f}x {r['floor'] / r['fast']:12.2f}x "
              f"{r['variates'] / r['fast']:12.2f}x")
    default = rows[0]
    print(f"\nSimPy engine, default scenario: {default['simpy']:.0f} replications/s (target >= 200)")
    print(f"fast / simpy, default: {default['fast'] / default['simpy']:.0f}x (target >= 100)")
    print(f"fast time / floor time, default: {default['floor'] / default['fast']:.2f}x the uniform floor, "
          f"{default['variates'] / default['fast']:.2f}x the variate floor (target <= 4)")


if __name__ == "__main__":
    main()
