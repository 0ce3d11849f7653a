"""The command line as a user meets it: real processes, real folders."""

import json
import os
import re
import math
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

import stress
from stress.storage import folders as store

from conftest import ROOT, run_cli


def _check_summary_shape(summary: dict, n: int, engine: str) -> None:
    assert summary["n"] == n and summary["engine"] == engine
    assert summary["horizon_hours"] == 180 * 24
    tiers = summary["tiers"]
    assert [t["tier"] for t in tiers] == ["tier1", "tier2", "tier3"]
    for t in tiers:
        assert t["ci_low"] <= t["p_reached"] <= t["ci_high"]
        assert set(t) >= {"tier", "p_reached", "ci_low", "ci_high", "median_hours_to_reach"}
    assert all(a["p_reached"] >= b["p_reached"] for a, b in zip(tiers, tiers[1:]))
    for name, m in summary["metrics"].items():
        assert set(m) >= {"estimate", "ci_low", "ci_high"}, name
        if m["ci_low"] is not None:
            assert m["ci_low"] <= m["estimate"] <= m["ci_high"], name


def test_run_json_from_an_empty_folder(tmp_path):
    done = run_cli("run", "-n", "2000", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout holds the JSON and nothing else
    _check_summary_shape(summary, 2000, "fast")
    (folder,) = (tmp_path / "results").iterdir()
    assert {p.name for p in folder.iterdir()} >= {"config.toml", "manifest.json", "records.parquet",
                                                  "summary.json", "tiers.csv", "metrics.csv", "curves.csv"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["n"] == 2000 and manifest["seed"] == 0
    assert {"numpy", "simpy", "numba", "python"} <= set(manifest["versions"])
    assert "elapsed_seconds" in manifest and manifest["command"]
    assert manifest["system"]["cpus"] == os.cpu_count() and manifest["system"]["platform"]
    assert json.loads((folder / "summary.json").read_text()) == summary
    frame = pd.read_parquet(folder / "records.parquet")
    assert len(frame) == 2000 and list(frame["replication"]) == list(range(2000))


def test_readable_table_by_default(tmp_path):
    done = run_cli("run", "-n", "1000", "--seed", "2", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tier3" in done.stdout and "95% CI" in done.stdout
    assert "p_false_escalation" in done.stdout
    assert (tmp_path / "out" / "summary.json").exists() and not (tmp_path / "results").exists()


def _together(*commands: list[str], cwd) -> list:
    """``run_cli`` of each command, all at once."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=cwd), commands))


def test_engines_print_identical_tiers_and_metrics(tmp_path):
    engines = ("simpy", "fast")
    runs = _together(*[["run", "-n", "5000", "--seed", "3", "--engine", engine, "--json", "--no-records"]
                       for engine in engines], cwd=tmp_path)
    outputs = {}
    for engine, done in zip(engines, runs):
        assert done.returncode == 0, done.stderr
        outputs[engine] = json.loads(done.stdout)
    assert outputs["simpy"]["tiers"] == outputs["fast"]["tiers"]
    assert outputs["simpy"]["metrics"] == outputs["fast"]["metrics"]


def test_trace_shows_the_same_replication_as_run(tmp_path):
    done, traced, readable = _together(["run", "-n", "60", "--seed", "4", "--out", str(tmp_path / "r"), "--json"],
                                       ["trace", "--seed", "4", "--replication", "37", "--json"],
                                       ["trace", "--seed", "4", "--replication", "37"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(tmp_path / "r" / "records.parquet")
    assert traced.returncode == 0, traced.stderr
    data = json.loads(traced.stdout)
    expected = frame.iloc[37].to_dict()
    for key, value in data["record"].items():
        if value is None:
            assert math.isnan(expected[key]), key
        else:
            assert value == pytest.approx(expected[key], abs=1e-9), key
    assert data["events"], "a trace lists the events"
    assert readable.returncode == 0 and "timeline" in readable.stdout


BAD_INPUTS = [
    (["run", "--set", "tier2.treshold=3"], "did you mean 'threshold'"),
    (["run", "--set", "tier2.threshold=abc"], "tier2.threshold = 'abc': must be a whole number"),
    (["run", "--set", "tier1.military_response_probability=2"], "must be <= 1"),
    (["run", "--set", "monitoring.delay_median_hours=-3"], "must be >= 0"),
    (["run", "--set", "breaches.self_excitation=1"], "breaches.self_excitation = 1: must be < 1"),
    (["run", "--set", "tier3.min_class=nuclear"], "no breach class named 'nuclear'"),
    (["run", "--set", "tier2.window_days=nan"], "must be a finite number"),
    (["run", "--set", "scenario.horizon_days=inf"], "must be a finite number"),
    (["run", "missing.toml"], "missing.toml: no such file"),
    (["run", "-n", "0"], "-n"),
    (["run", "--engine", "turbo"], "engine must be one of auto, fast, simpy"),
    (["run", "--seed", "-4"], "--seed"),
    (["trace", "--set", "tier2.threshold=0"], "tier2.threshold = 0: must be >= 1"),
    (["run", "--resume", "nowhere.partial"], "nowhere.partial: no such result folder"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(tmp_path, args, message):
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not any(tmp_path.iterdir()), "nothing may be written on bad input"


def test_malformed_and_unreadable_files(tmp_path):
    (tmp_path / "broken.toml").write_text("[tier1\n")
    done = run_cli("run", "broken.toml", cwd=tmp_path)
    assert done.returncode == 2 and "broken.toml: not valid TOML" in done.stderr
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00\x01")
    done = run_cli("run", "binary.toml", cwd=tmp_path)
    assert done.returncode == 2 and "binary.toml: cannot be read" in done.stderr and "Traceback" not in done.stderr


def test_out_folder_that_is_not_empty_is_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    done = run_cli("run", "-n", "10", "--out", "taken", cwd=tmp_path)
    assert done.returncode == 2 and "already exists" in done.stderr
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]


def test_run_ids_never_collide(tmp_path):
    folders = {store.new_folder(None, "run", "same", tmp_path) for _ in range(200)}
    assert len(folders) == 200


class _Stop(Exception):
    pass


def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path):
    whole = stress.run(n=5500, seed=8, workers=1, out=tmp_path / "whole")

    def stop_after_three_chunks(done, total):
        if done >= 3000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stress.run(n=5500, seed=8, workers=1, out=tmp_path / "cut", progress=stop_after_three_chunks)
    partial = tmp_path / "cut.partial"
    assert partial.is_dir() and not (tmp_path / "cut").exists()
    done = run_cli("run", "--resume", str(partial), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert resumed == whole.summary.to_dict()
    assert pd.read_parquet(tmp_path / "cut" / "records.parquet").equals(
        pd.read_parquet(tmp_path / "whole" / "records.parquet"))
    assert not partial.exists()


def test_no_records_flag(tmp_path):
    done = run_cli("run", "-n", "100", "--no-records", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "o" / "records.parquet").exists()


def test_help_lists_the_commands():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("run", "trace", "default-config"):
        assert command in done.stdout


def test_default_config_command_prints_the_packaged_scenario():
    done = run_cli("default-config")
    assert done.stdout == (ROOT / "configs" / "ceasefire.toml").read_text()


def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    done = run_cli("run", "-n", "10", "--out", "afile/result", cwd=tmp_path)
    assert done.returncode == 2 and "afile/result.partial: Not a directory" in done.stderr
    assert "Traceback" not in done.stderr


HOSTILE_NAME = "a[/]b [bold red]ALERT[/bold red] :warning:"


def test_names_paths_and_values_print_as_written_never_as_markup(tmp_path):
    # each of these crashed on "[/]" or printed styled, with words or brackets eaten
    (tmp_path / "plan [v2].toml").write_text("x\n")
    missing, broken, unnamed = _together(["run", "x[/]y.toml"], ["run", "plan [v2].toml"],
                                         ["explore", "-n", "10"], cwd=tmp_path)
    assert missing.returncode == 2 and "x[/]y.toml: no such file" in missing.stderr
    assert broken.returncode == 2 and "plan [v2].toml: not valid TOML" in broken.stderr
    assert unnamed.returncode == 2 and "declare them in an [uncertain] table" in unnamed.stderr
    done = run_cli("run", "-n", "10", "--out", "a", "--set", f"scenario.name={json.dumps(HOSTILE_NAME)}",
                   cwd=tmp_path, env_extra={"COLUMNS": "200"})
    assert done.returncode == 0 and f"{HOSTILE_NAME}: probability" in done.stdout, done.stderr
    shown, listed = _together(["show", "a"], ["results", "--dir", "."], cwd=tmp_path)
    assert shown.returncode == 0 and f"{HOSTILE_NAME}: probability" in shown.stdout
    assert listed.returncode == 0 and HOSTILE_NAME in listed.stdout
    for done in (missing, broken, unnamed, shown, listed):
        assert "Traceback" not in done.stderr


def test_the_progress_bar_shows_a_name_as_written():
    import io
    from rich.console import Console
    from stress import cli
    with cli.progress_bar("", True) as bar:
        cli._updater(bar, HOSTILE_NAME)(1, 10)
        text = io.StringIO()
        Console(file=text, width=200).print(bar.make_tasks_table(bar.tasks))
    assert HOSTILE_NAME in text.getvalue()


@pytest.mark.parametrize("call,message", [
    (lambda: stress.run(n=10, overrides=["tier2.threshold=2", "tier2.threshold=5"]), "--set: tier2.threshold"),
    (lambda: stress.sweep(grid=["tier2.threshold=2", "tier2.threshold=3"], n=10), "--grid: tier2.threshold"),
    (lambda: stress.sweep(design="lhs", samples=3, n=10, ranges=["tier2.decision_probability=0.1:0.2",
                                                                "tier2.decision_probability=0.5:0.6"]),
     "--range: tier2.decision_probability"),
    (lambda: stress.explore(n=10, samples=3, uncertain=["tier2.threshold=integer(1, 3)",
                                                        "tier2.threshold=integer(4, 6)"]),
     "--uncertain: tier2.threshold"),
    (lambda: stress.compare(n=10, variants=["a: tier2.threshold=2, tier2.threshold=4", "b: tier2.threshold=3"]),
     "--variant 'a': tier2.threshold"),
])
def test_a_key_given_twice_is_refused_naming_it(call, message):
    # the last one used to win silently
    from stress.errors import UsageError
    with pytest.raises(UsageError, match=re.escape(f"{message} is given twice; give each key once")):
        call()


def test_messages_say_what_is_true(tmp_path):
    from stress.config.loading import default_config_text
    from stress.storage.folders import ResultError
    # a byte-order mark was "Invalid statement (line 1, column 1)"
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + default_config_text().encode())
    assert stress.load_config(tmp_path / "bom.toml") == stress.load_config()
    # a file was "already exists and is not empty"
    (tmp_path / "afile.txt").write_text("mine")
    with pytest.raises(ResultError, match="--out .*afile.txt: a file; give a folder that does not exist yet"):
        stress.run(n=10, out=tmp_path / "afile.txt")
    # "a run, not a explore"
    partial = store.new_folder(tmp_path / "r", "run", "s")
    store.start(partial, "run", "s", "fast")
    with pytest.raises(ResultError, match="a run, not an explore; continue it with stress run --resume"):
        store.open_partial(partial, "explore")
    # run has no --scheduler to keep; show and its kin read every kind of result
    refused, helped = _together(["run", "--resume", str(partial), "-n", "5"], ["show", "--help"], cwd=tmp_path)
    assert refused.returncode == 2 and "(with --resume: --workers and --json only)" in refused.stderr
    assert ("any stress command (run, sweep, compare, explore, sensitivity, robust, adversary, optimize, discover, "
            "calibrate)") in " ".join(helped.stdout.split())
