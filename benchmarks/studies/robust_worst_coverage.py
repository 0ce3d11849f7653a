"""Coverage of `stress robust`'s worst-10% interval against an exact tail mean.

The scenario and variants of `tests/test_robust_coverage.py` (Poisson breaches at
r ~ U(0.005, 0.03) per day, detection 0.9 against 0.5, 500 replications per point):
P(tier 1) rises with r, so the mean of its worst tenth is its mean over the top tenth
of rates, exact. Prints, per variant, the truth, the coverage over the seeds and the
estimates' mean.

    python benchmarks/studies/robust_worst_coverage.py --seeds 200 --samples 40
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

import stress

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from test_explore_coverage import DELAY, HORIZON_HOURS, write_scenario  # noqa: E402
from test_robust_coverage import HIGH_RATE, LOW_RATE, VARIANTS  # noqa: E402


def band_mean(detection: float, low: float, high: float) -> float:
    """P(tier 1) averaged over r uniform on [low, high]."""
    c = detection * (HORIZON_HOURS - DELAY) / 24.0
    return 1.0 - (math.exp(-c * low) - math.exp(-c * high)) / (c * (high - low))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    top = LOW_RATE + 0.9 * (HIGH_RATE - LOW_RATE)
    truth = {name: band_mean(d, top, HIGH_RATE) for name, d in VARIANTS.items()}
    path = write_scenario(Path(tempfile.mkdtemp()))
    hits: dict[str, list[bool]] = {name: [] for name in truth}
    estimates: dict[str, list[float]] = {name: [] for name in truth}
    for seed in range(args.first, args.first + args.seeds):
        result = stress.robust(path, variants=[f"{name}: monitoring.detection_probability={d}"
                                               for name, d in VARIANTS.items()],
                               minimize=["tier1_p"], samples=args.samples, n=500, design="mc", seed=seed, workers=1,
                               engine="fast", uncertain=[f"breaches.baseline_per_day=uniform({LOW_RATE}, {HIGH_RATE})"])
        rows = result.robustness.set_index("variant")
        for name, value in truth.items():
            row = rows.loc[name]
            hits[name].append(row.worst10_ci_low <= value <= row.worst10_ci_high)
            estimates[name].append(row.worst10)
    for name, value in truth.items():
        print(f"{name}: truth {value:.4f}, coverage {np.mean(hits[name]):.3f} over {args.seeds} seeds, "
              f"mean estimate {np.mean(estimates[name]):.4f}")


if __name__ == "__main__":
    main()
