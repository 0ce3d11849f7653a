"""Coverage of `stress sensitivity`'s 95% intervals for Sobol' indices, replications'
noise included, on a case with exact indices.

P(tier 1) = 1 - exp(-T r d a), T = 100 days, r ~ U(0.005, 0.03), d ~ U(0.2, 1),
a ~ U(0.5, 1) (the scenario and the exact indices of tests/test_sensitivity_coverage.py).
Each seed draws a new design and new replications; the study counts how often each
index's interval holds the exact value, and compares the seed-to-seed SD of each
estimate with its reported standard error (half-width / 1.96).

    nice python benchmarks/studies/sobol_coverage.py --base-samples 1024 -n 250 --seeds 200

Prints one row per index: coverage with its binomial standard error, the seed-to-seed
SD, the mean reported half-width / 1.96, and the estimates' mean error.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

import stress  # noqa: E402
from test_sensitivity_coverage import exact_indices, uncertain, write_scenario  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-samples", type=int, default=1024)
    parser.add_argument("-n", type=int, default=250)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    exact = exact_indices()
    began = time.perf_counter()
    rows: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = write_scenario(Path(folder))
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            result = stress.sensitivity(path, base_samples=args.base_samples, n=args.n, seed=seed, engine="fast",
                                        workers=1, uncertain=uncertain())
            for row in result.indices:
                if row["output"] == "tier1_p":
                    for k, index in enumerate(("S1", "ST")):
                        key = f"{index}({row['input'].rsplit('.', 1)[1]})"
                        rows.setdefault(key, []).append((row[index] - exact[row["input"]][k], row[f"{index}_conf"]))
    print(f"B = {args.base_samples}, N = {args.n}, {args.seeds} seeds, {time.perf_counter() - began:.0f} s")
    print(f"{'index':<30} {'coverage':>8} {'SE':>6} {'SD':>7} {'SE rep.':>7} {'bias':>8}")
    for key, values in rows.items():
        error, half = np.array(values).T
        covered = float(np.mean(np.abs(error) <= half))
        print(f"{key:<30} {covered:8.3f} {math.sqrt(covered * (1 - covered) / len(error)):6.3f} "
              f"{error.std(ddof=1):7.4f} {np.mean(half) / 1.96:7.4f} {error.mean():8.4f}")


if __name__ == "__main__":
    main()
