"""A Sobol' study at the scale the field runs them, against its replications' own cost.

    python benchmarks/sensitivity.py                     # 10 inputs, B = 1,024: 12,288 points x 1,000
    python benchmarks/sensitivity.py --base-samples 128  # a quicker look

The whole `stress sensitivity configs/uncertainty.toml` command is timed (wall, and
CPU of the process and its workers); the replications' own cost is the sum of the
kernel's CPU seconds over every unit, which the workers measure and the manifest records
(point_seconds). Target: total CPU within 1.3 times that cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import ROOT, load, stress_command  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-samples", type=int, default=1024)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{load()} at the start")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        stress_command(["run", "-n", "1000", "--engine", "fast", "--out", str(tmp / "warm")], tmp)
        measured = stress_command(["sensitivity", str(ROOT / "configs" / "uncertainty.toml"), "--base-samples",
                                   str(args.base_samples), "-n", str(args.n), "--engine", "fast", "--workers",
                                   str(args.workers), "--out", str(tmp / "study")], tmp)
        manifest = json.loads((tmp / "study" / "manifest.json").read_text())
    points = len(manifest["points"])
    kernel = sum(manifest["point_seconds"])
    print(f"{points:,} points x {args.n:,} replications ({points * args.n:,}), {args.workers} workers: "
          f"{measured.wall:.1f} s wall, {measured.cpu:.1f} s CPU; the replications' own cost "
          f"{kernel:.1f} s -> total CPU / replications {measured.cpu / kernel:.2f} (target <= 1.3); "
          f"{(measured.cpu - kernel) / points * 1000:.2f} ms of CPU per point beyond its replications")
    print(f"{load()} at the end")


if __name__ == "__main__":
    main()
