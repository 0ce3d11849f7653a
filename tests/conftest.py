"""Shared helpers: building scenarios in code and running the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import stress

from stress.config.loading import apply_overrides, parse_assignment, read_raw, validate
from stress.model import records
from stress.model.params import compile_params
from stress.engines.simpy.replication import Replication

ROOT = Path(__file__).resolve().parents[1]

# The tests of Ctrl-C need Python's handler, which Python does not install when it starts
# with SIGINT ignored (as a background job of a non-interactive shell does); the commands
# the tests start then inherit the ignoring too.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def make_config(*overrides: str, base=None):
    """The default scenario (or ``base`` raw dict) with ``key=value`` overrides."""
    raw = base if base is not None else read_raw(None)[0]
    assignments = [parse_assignment(o) for o in overrides]
    return validate(apply_overrides(raw, assignments), "<test>", [k for k, _ in assignments])


QUIET = ("breaches.baseline_per_day=0", "monitoring.false_reports_per_day=0")


def scripted(reports, *overrides: str, seed: int = 0):
    """Run one SimPy replication with no breach process of its own and the given
    verified reports (t_verified, class index, is_false, t_incident[, u_objective]);
    u_objective is the attack's uniform draw for its time to objective (default 0.5:
    the median).
    Returns (record as a dict, trace, replication)."""
    cfg = make_config(*QUIET, *overrides)
    names = [c.name for c in cfg.breaches.classes]
    rep = Replication(compile_params(cfg), names, seed, 0, trace=[], tier_names=[t.name for t in cfg.tiers])
    for report in reports:
        t, cls, is_false, t_incident, *rest = report
        objective = rest[0] if rest else 0.5
        rep.schedule(t, rep.policy.on_report, cls, is_false, t_incident, objective)
    row = rep.run()
    return dict(zip(records.layout(cfg).names, row)), rep.trace, rep


def run_cli(*args: str, cwd: Path | None = None, env_extra: dict | None = None, timeout: float = 600):
    """Run ``python -m stress ARGS`` as a user would; returns the CompletedProcess."""
    env = dict(os.environ)
    env.update(env_extra or {})
    env.setdefault("COLUMNS", "120")
    # Run the installed package, as a user would: from the checkout, `python -m` would put the
    # checkout's copy first on the path, and numba (whose cache is keyed by file path) would
    # compile the engine again for it.
    env.setdefault("PYTHONSAFEPATH", "1")
    return subprocess.run([sys.executable, "-m", "stress", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def same_records(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.fixture
def default_config():
    return make_config()


def check_workers_and_resume(study, tmp_path: Path, files: tuple[str, ...]) -> None:
    """``study(tmp_path, name, workers, progress)`` writes the same ``files`` with 1 and 2
    workers, and when interrupted after 2,000 replications and resumed with 2 workers."""
    one = study(tmp_path, "one", 1)
    two = study(tmp_path, "two", 2)
    for name in files:
        assert (one.path / name).read_text() == (two.path / name).read_text(), name

    def stop_after_some(done, planned, points_done, points):
        if done >= 2000:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        study(tmp_path, "cut", 1, stop_after_some)
    partial = tmp_path / "cut.partial"
    assert partial.is_dir()
    resumed = stress.resume(partial, workers=2)
    for name in files:
        assert (resumed.path / name).read_text() == (one.path / name).read_text(), name
