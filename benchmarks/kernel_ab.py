"""The compiled kernel of this tree against another revision's, and a six-tier plan
against the three-tier one, timed alternately in one run.

    python benchmarks/kernel_ab.py                       # against f59435b (three fixed tiers)
    python benchmarks/kernel_ab.py --ref HEAD~3 --rounds 15

The reference revision is checked out into a temporary git worktree and run in a
process of its own (its kernel caches its machine code under its own source hash), as
is this tree; each loads its own copy of the scenario file, compiles its engine, and then times
``simulate_range`` on command, in CPU time (which a busy machine's preemption does not
inflate), alternating A B B A ..., so a change in the machine's load hits both. Each
figure is a median over the rounds; the load average is printed before and after.
The reference's and this tree's records are checked to agree first (breach counts and
the tiers' times).

Printed: per scenario, replications per second of each, and the ratio of the time per
replication (new / reference; below 1: new is faster); then this tree's cost of a
six-tier plan (the seed plan with three more tiers: a sanctions count, a severity-sum
monitoring surge, a report-triggered no-fly zone) against the seed plan's three tiers;
then of each kind of violator that reads the plan (``[adversary] strategy``) against
the blind one, on the seed plan.
Replications per second are for one core; the numbers depend on the machine and its
load, the ratios much less.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each worker reads its own tree's copy (the reference may know only the plan's first form).
DEFAULT = Path("configs") / "ceasefire.toml"
HEAVY = Path("configs") / "high-intensity.toml"

# A worker: loads a tree's engine, then answers "PATH N" lines with the CPU seconds of
# N replications and a checksum of what they recorded.
WORKER = r"""
import hashlib, inspect, json, sys, time
import numpy as np
from stress.config.loading import load_config
from stress.engines import fast
from stress.model import records
from stress.model.params import compile_params

def columns(config):
    if hasattr(records, "layout"):
        index = records.layout(config).index
    else:
        index = records.COLUMN
    names = ["breaches"] + [f"tier{k}_hours" for k in (1, 2, 3)]
    return [index[n] for n in names if n in index]

takes_classes = "n_classes" in inspect.signature(fast.simulate_range).parameters
cache = {}
for line in sys.stdin:
    path, n = line.split()
    n = int(n)
    if path not in cache:
        config = load_config(path)
        params = compile_params(config)
        k = len(config.breaches.classes)
        run = (lambda p=params, k=k: (lambda count: fast.simulate_range(p, k, 1, 0, count))) if takes_classes \
            else (lambda p=params: (lambda count: fast.simulate_range(p, 1, 0, count)))
        cache[path] = (run(), columns(config))
        cache[path][0](10)  # compile, or load from the cache
    simulate, picked = cache[path]
    began = time.process_time()
    values = simulate(n)
    seconds = time.process_time() - began
    checksum = hashlib.sha256(np.nan_to_num(values[:, picked], nan=-1.0).tobytes()).hexdigest()[:16]
    print(json.dumps({"seconds": seconds, "checksum": checksum}), flush=True)
"""


class Worker:
    def __init__(self, tree: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONSAFEPATH="1")
        self.process = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, env=env, cwd=tree)

    def run(self, path: Path, n: int) -> dict:
        self.process.stdin.write(f"{path} {n}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"a worker stopped (exit code {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def six_tier_plan(folder: Path) -> Path:
    """The seed plan with three more tiers (illustrative; a benchmark, not a scenario)."""
    from stress.config.loading import validate
    from stress.config.toml import dumps
    raw = tomllib.loads((ROOT / DEFAULT).read_text())
    extra = [
        {"name": "sanctions", "trigger": "count", "min_class": "minor", "threshold": 4, "window_days": 7,
         "after": "tier1", "decision_probability": 0.7, "decision_delay_hours": 72, "response_delay_hours": 168,
         "cooldown_hours": 336, "rate_factor": 0.85},
        {"name": "surge", "trigger": "severity", "severity_threshold": 12, "window_days": 10, "repeats": True,
         "cooldown_hours": 240, "response_probability": 0.8, "response_within_hours": 48, "rate_factor": 0.95},
        {"name": "no_fly", "trigger": "report", "min_class": "major", "after": "tier2", "decision_probability": 0.4,
         "decision_delay_hours": 24, "arrival_delay_hours": 96, "partner_probability": 0.5, "rate_factor": 0.8},
    ]
    raw["tiers"] = raw["tiers"][:1] + extra[:2] + raw["tiers"][1:] + extra[2:]
    path = folder / "six-tier.toml"
    path.write_text(dumps(validate(raw, "<six-tier>")))
    return path


def with_adversary(folder: Path, behaviour: str) -> Path:
    """The seed plan against one kind of violator (its payoff recorded too)."""
    from stress.config.loading import validate
    from stress.config.toml import dumps
    raw = tomllib.loads((ROOT / DEFAULT).read_text())
    raw["adversary"] = {"strategy": behaviour, "payoff": {"unanswered": 1.0, "objective": 20.0, "tier_cost": 2.0}}
    path = folder / f"adversary-{behaviour}.toml"
    path.write_text(dumps(validate(raw, f"<{behaviour}>")))
    return path


def alternate(first: Worker, second: Worker, path_a: Path, path_b: Path, n: int, rounds: int) -> tuple[float, float]:
    """Median CPU seconds of ``first`` on ``path_a`` and ``second`` on ``path_b``, A B B A ..."""
    a, b = [], []
    for i in range(rounds):
        order = ((first, path_a, a), (second, path_b, b)) if i % 2 == 0 else ((second, path_b, b), (first, path_a, a))
        for worker, path, times in order:
            times.append(worker.run(path, n)["seconds"])
    return statistics.median(a), statistics.median(b)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="f59435b", help="git revision of the reference kernel")
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds per comparison")
    parser.add_argument("--default-n", type=int, default=20_000, help="replications per timed call, default")
    parser.add_argument("--heavy-n", type=int, default=300, help="replications per timed call, heavy")
    args = parser.parse_args()
    print(f"load average before: {load()}  ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        reference_tree = Path(folder) / "reference"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(reference_tree), args.ref], cwd=ROOT, check=True)
        try:
            reference, new = Worker(reference_tree), Worker(ROOT)
            print(f"\nthis tree against {args.ref} (CPU time, median of {args.rounds} alternating rounds)\n")
            print("| scenario | replications | reference rep/s | new rep/s | new / reference time |")
            print("|---|---|---|---|---|")
            for name, path, n in (("default", DEFAULT, args.default_n), ("heavy", HEAVY, args.heavy_n)):
                if reference.run(path, n)["checksum"] != new.run(path, n)["checksum"]:
                    raise SystemExit(f"{name}: the two kernels' records differ")
                t_ref, t_new = alternate(reference, new, path, path, n, args.rounds)
                print(f"| {name} | {n:,} | {n / t_ref:,.0f} | {n / t_new:,.0f} | {t_new / t_ref:.3f} |")
            reference.close()
            six = six_tier_plan(Path(folder))
            t_three, t_six = alternate(new, new, DEFAULT, six, args.default_n, args.rounds)
            print(f"\nthis tree: six tiers against three (default scenario, CPU time, median of {args.rounds})\n")
            print("| plan | rep/s | time / three tiers |")
            print("|---|---|---|")
            print(f"| three tiers (configs/ceasefire.toml) | {args.default_n / t_three:,.0f} | 1.000 |")
            print(f"| six tiers (three more: count, severity, report) | {args.default_n / t_six:,.0f} | "
                  f"{t_six / t_three:.3f} |")
            print(f"\nthis tree: each kind of violator against the blind one (default scenario, CPU time, median of "
                  f"{args.rounds})\n")
            print("| violator | rep/s | time / blind |")
            print("|---|---|---|")
            for behaviour in ("threshold", "learning", "timing", "monitoring"):
                t_blind, t_other = alternate(new, new, DEFAULT, with_adversary(Path(folder), behaviour),
                                             args.default_n, args.rounds)
                print(f"| {behaviour} | {args.default_n / t_other:,.0f} | {t_other / t_blind:.3f} |")
            new.close()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(reference_tree)], cwd=ROOT, check=False)
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
