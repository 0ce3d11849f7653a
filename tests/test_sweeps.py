"""Sweeps: definitions, common random numbers, precision, faults and resume."""

import json
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stress
from stress.storage import checkpoints
from stress.engines import simulate_chunk
from stress.model.params import compile_params
from stress.jobs.sweep import parse_values, points, spec_from_options
from stress.errors import UsageError

from conftest import make_config, run_cli


def test_axis_values():
    assert parse_values("2,3,4,5") == [2, 3, 4, 5]
    assert parse_values("24:96:24") == [24, 48, 72, 96]
    assert parse_values("0.1:0.3:0.1") == [0.1, 0.2, 0.3]
    assert parse_values("major,offensive") == ["major", "offensive"]
    with pytest.raises(ValueError, match="step > 0"):
        parse_values("1:5:0")


def test_grid_points_are_the_cartesian_product():
    spec = spec_from_options(None, ["tier2.threshold=2,3", "tier3.delay_hours=24:72:24"])
    assert points(spec) == [{"tier2.threshold": t, "tier3.delay_hours": d} for t in (2, 3) for d in (24, 48, 72)]


@pytest.mark.parametrize("design", ["lhs", "sobol"])
def test_designs_fill_their_ranges_reproducibly(design):
    spec = spec_from_options(None, design=design, samples=16,
                             ranges=["tier2.decision_probability=0.2:0.9", "tier2.threshold=2:6"], seed=4)
    drawn = points(spec)
    assert len(drawn) == 16 and drawn == points(spec)
    assert all(0.2 <= p["tier2.decision_probability"] <= 0.9 for p in drawn)
    thresholds = [p["tier2.threshold"] for p in drawn]
    assert all(isinstance(t, int) and 2 <= t <= 6 for t in thresholds)
    assert set(thresholds) == {2, 3, 4, 5, 6}  # a space-filling design of 16 covers all 5 integers
    assert points(spec_from_options(None, design=design, samples=16, seed=5,
                                    ranges=["tier2.decision_probability=0.2:0.9", "tier2.threshold=2:6"])) != drawn


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="needs ranges and samples"):
        spec_from_options(None, design="lhs", samples=4)
    with pytest.raises(ValueError, match="at least one --grid"):
        spec_from_options(None)
    with pytest.raises(ValueError, match="expected KEY=VALUES"):
        spec_from_options(None, ["tier2.threshold"])


def test_must_show_threshold_sweep(tmp_path):
    done = run_cli("sweep", "--grid", "tier2.threshold=2,3,4,5", "-n", "2000", "--seed", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "results").iterdir()
    table = pd.read_csv(folder / "table.csv")
    assert list(table["tier2.threshold"]) == [2, 3, 4, 5]
    assert table["tier2_p"].is_monotonic_decreasing
    assert (table["n"] == 2000).all()
    for tier in ("tier1", "tier2", "tier3"):
        assert (table[f"{tier}_ci_low"] <= table[f"{tier}_p"]).all()
        assert (table[f"{tier}_p"] <= table[f"{tier}_ci_high"]).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["sweep"]["grid"] == {"tier2.threshold": [2, 3, 4, 5]}
    assert len(manifest["point_seconds"]) == 4 and manifest["seed"] == 1
    assert pd.read_parquet(folder / "table.parquet").equals(table)
    assert "tier2.threshold" in done.stdout


def test_sweep_json_rows_have_the_run_shape(tmp_path):
    done = run_cli("sweep", "--grid", "tier3.delay_hours=24,72", "-n", "1000", "--json", cwd=tmp_path)
    rows = json.loads(done.stdout)
    assert [r["params"] for r in rows] == [{"tier3.delay_hours": 24}, {"tier3.delay_hours": 72}]
    for row in rows:
        assert row["n"] == 1000 and [t["tier"] for t in row["tiers"]] == ["tier1", "tier2", "tier3"]
        assert "p_false_escalation" in row["metrics"]


def test_points_meet_the_same_breaches():
    # Without feedback a policy parameter cannot change the breach process: every
    # point's breach counts are the same replication by replication.
    result = stress.sweep(grid={"tier2.threshold": [2, 5]}, n=1000, seed=3, workers=1,
                          overrides=["tier1.rate_factor=1", "tier2.rate_factor=1", "tier3.rate_factor=1"])
    breaches = [result.summary(i).metrics.set_index("metric").loc["mean_breaches", "estimate"] for i in (0, 1)]
    assert breaches[0] == breaches[1]
    assert result.to_frame()["mean_breaches"].tolist() == breaches


@settings(max_examples=25, deadline=None, derandomize=True)
@given(threshold=st.integers(1, 6), window=st.floats(0.5, 30), seed=st.integers(0, 2**32),
       delay=st.floats(0, 200), requires=st.booleans())
def test_raising_the_tier2_threshold_never_helps_tier2_in_any_replication(threshold, window, seed, delay, requires):
    # Under common random numbers and with a sure decision and no feedback, a replication
    # that reaches tier 2 at threshold k + 1 reaches it at threshold k, and no later.
    fixed = ("tier2.decision_probability=1", "tier1.rate_factor=1", "tier2.rate_factor=1", "tier3.rate_factor=1",
             f"tier2.window_days={window}", f"tier2.decision_delay_hours={delay}",
             f"tier2.requires_lower_tier={str(requires).lower()}")
    times = []
    for k in (threshold, threshold + 1):
        cfg = make_config(*fixed, f"tier2.threshold={k}")
        values = simulate_chunk("fast", compile_params(cfg), seed, 0, 300)
        times.append(values[:, 3])
    lower, higher = times
    reached_higher = ~np.isnan(higher)
    assert np.all(~np.isnan(lower[reached_higher]))
    assert np.all(lower[reached_higher] <= higher[reached_higher])


def test_same_table_for_one_and_two_workers(tmp_path):
    tables = [stress.sweep(grid=["tier2.threshold=2,4"], n=3000, seed=2, workers=w).to_frame() for w in (1, 2)]
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_precision_adds_replications_until_met(tmp_path):
    result = stress.sweep(grid=["tier2.threshold=2,5"], n=1000, seed=1, precision=0.015, max_n=30_000, workers=1)
    table = result.to_frame()
    for row in table.to_dict(orient="records"):
        widths = [max(row[f"{t}_p"] - row[f"{t}_ci_low"], row[f"{t}_ci_high"] - row[f"{t}_p"])
                  for t in ("tier1", "tier2", "tier3")]
        assert max(widths) <= 0.015 or row["n"] == 30_000
        assert row["n"] > 1000 and row["n"] % 1000 == 0
    capped = stress.sweep(grid=["tier2.threshold=3"], n=1000, seed=1, precision=0.001, max_n=4000, workers=1)
    assert capped.to_frame()["n"].tolist() == [4000]


def test_an_invalid_point_is_reported_before_anything_runs(tmp_path):
    done = run_cli("sweep", "--grid", "tier2.threshold=3,0", "-n", "100", cwd=tmp_path)
    assert done.returncode == 2
    assert "sweep point 1 (tier2.threshold=0)" in done.stderr and "must be >= 1" in done.stderr
    assert "Traceback" not in done.stderr and not any(tmp_path.iterdir())


def test_sweep_table_in_a_scenario_file(tmp_path, default_config):
    from stress.config.loading import default_config_text
    path = tmp_path / "sweep.toml"
    path.write_text(default_config_text() + '\n[sweep]\nn = 500\nseed = 9\ngrid = { "tier3.delay_hours" = "24:72:48" }\n')
    # the two commands at once (they write different folders)
    with ThreadPoolExecutor(2) as pool:
        swept = pool.submit(run_cli, "sweep", str(path), "--json", cwd=tmp_path)
        ran = pool.submit(run_cli, "run", str(path), "-n", "100", "--out", "r", cwd=tmp_path)
        done, plain = swept.result(), ran.result()
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["params"]["tier3.delay_hours"] for r in rows] == [24, 72] and rows[0]["n"] == 500
    # a scenario with a [sweep] table still runs as a plain scenario
    assert plain.returncode == 0


@pytest.mark.parametrize("table,message", [
    ("[sweep]\ngrid = 5", "[sweep] grid = 5: must be a table of KEY = [VALUES]"),
    ('[sweep]\ngrid = "abc"', "[sweep] grid = 'abc': must be a table"),
    ("[sweep]\ngrid = [1, 2]", "[sweep] grid = [1, 2]: must be a table"),
    ('[sweep]\ndesign = "lhs"\nsamples = 4\nranges = 5', "[sweep] ranges = 5: must be a table of KEY = [LOW, HIGH]"),
    ("sweep = 5", "[sweep] = 5: must be a table"),
])
def test_a_malformed_sweep_table_is_refused_naming_the_file(tmp_path, table, message):
    from stress.config.loading import default_config_text
    from stress.errors import UsageError
    path = tmp_path / "sweep.toml"
    # a top-level key goes before the first table
    path.write_text(table + "\n" + default_config_text() if table.startswith("sweep") else
                    default_config_text() + "\n" + table + "\n")
    with pytest.raises(UsageError, match="^" + re.escape(f"{path}: {message}")):
        stress.sweep(path, n=10)
    assert not any(p.name != "sweep.toml" for p in tmp_path.iterdir())


# Long enough to interrupt: SimPy engine, 3 points x 2,000 replications (6 chunks of a
# couple of seconds, two at a time).
SLOW_SWEEP = ["--grid", "tier2.threshold=2,3,4", "-n", "2000", "--seed", "5"]
CHUNKS = 6


@pytest.fixture(scope="module")
def uninterrupted_sweep(tmp_path_factory):
    """SLOW_SWEEP run to the end on the compiled engine, in this process (the library
    call the command makes): its rows as ``--json`` prints them, and its folder."""
    folder = tmp_path_factory.mktemp("whole") / "whole"
    result = stress.sweep(grid=["tier2.threshold=2,3,4"], n=2000, seed=5, engine="fast", out=folder)
    return json.loads(result.json_text()), folder


def _start_sweep(tmp_path: Path, out: str):
    args = [sys.executable, "-m", "stress", "sweep", *SLOW_SWEEP, "--workers", "2", "--engine", "simpy",
            "--out", out, "--json"]
    return subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_chunks(partial: Path, at_least: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if partial.is_dir() and checkpoints.saved_units(partial) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError("the sweep did not save chunks in time")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_sweep_resumes_to_the_uninterrupted_table(tmp_path, how, uninterrupted_sweep):
    process = _start_sweep(tmp_path, "cut")
    partial = tmp_path / "cut.partial"
    _wait_for_chunks(partial, 3)
    process.send_signal(how)
    process.wait(timeout=60)
    _, err = process.communicate(timeout=60)  # the workers exit once the main process is gone
    assert process.returncode != 0 and "Traceback" not in err
    if how == signal.SIGINT:
        assert process.returncode == 130 and "--resume cut.partial" in err
    saved = checkpoints.saved_units(partial)
    assert 3 <= saved < CHUNKS, "the interruption kept what had finished, and only that"
    done = run_cli("sweep", "--resume", str(partial), "--json", "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    # the uninterrupted sweep, on the compiled engine: the same records, so the same table
    rows, whole = uninterrupted_sweep
    assert resumed == rows
    assert (tmp_path / "cut" / "table.csv").read_text() == (whole / "table.csv").read_text()


def test_points_share_what_they_have_in_common_and_only_that():
    from stress.config.loading import load_scenario
    from stress.jobs.points import compile_points
    from stress.model.params import share_values
    first, second = compile_points(load_scenario(None, []), [{"tier3.delay_hours": 24.0}, {"tier3.delay_hours": 48.0}])
    from stress.model.plan import RESPONSE_DELAY
    a, b = first.params, second.params
    assert b.tier_floats[2, RESPONSE_DELAY] == 48.0 and a.tier_floats[2, RESPONSE_DELAY] == 24.0
    assert b.class_cumulative is a.class_cumulative and b.clock is a.clock and b.tier_ints is a.tier_ints
    assert b.tier_floats is not a.tier_floats and second.layout is first.layout
    assert all(np.array_equal(x, y) for x, y in zip(b, compile_params(make_config("tier3.delay_hours=48"))))
    # equal is bit for bit: -0.0 stays -0.0 beside 0.0, an integer stays an integer beside a float
    zero = a._replace(delay_median=0.0, draws=6)
    kept = share_values(a._replace(delay_median=-0.0, draws=6.0), zero)
    assert np.signbit(kept.delay_median) and type(kept.draws) is float
    assert share_values(a._replace(severity=a.severity.astype(np.float32)), a).severity.dtype == np.float32


def test_the_api_takes_python_values_as_the_command_line_takes_text():
    from_text = spec_from_options(None, ["tier2.threshold=2,3", "tiers.tier1.min_class=minor,major"],
                                  design=None, ranges=())
    from_values = spec_from_options(None, {"tier2.threshold": np.array([2, 3]),
                                           "tiers.tier1.min_class": ("minor", "major")})
    assert from_values == from_text and all(type(v) is int for v in from_values.grid["tier2.threshold"])
    ranged = spec_from_options(None, design="lhs", samples=4, ranges={"tier2.window_days": (7, 30)})
    assert ranged == spec_from_options(None, design="lhs", samples=4, ranges=["tier2.window_days=7:30"])
    with pytest.raises(UsageError, match="expected a sequence of values"):
        spec_from_options(None, {"tier2.threshold": 3})
    with pytest.raises(UsageError, match=r"expected \(low, high\) with numbers"):
        spec_from_options(None, design="lhs", samples=4, ranges={"tier2.window_days": (7, "x")})
