"""`stress calibrate` as a user runs it: the Donbas must-show, the result folder that
show, export, plot, report and results read, the calibrated scenario run with
`stress run`, and bad input."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from stress.calibration import DONBAS_DYADS, example_path

from conftest import run_cli

DONBAS = ["--format", "ucdp", "--where", "dyad_name=" + ",".join(DONBAS_DYADS)]
TRAIN = ["--from", "2016-01-01", "--to", "2018-12-31"]
TEST = ["--test-from", "2019-01-01", "--test-to", "2021-12-31"]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    done = run_cli("calibrate", str(example_path()), *DONBAS, *TRAIN, *TEST, "--model", "both", "--json",
                   "--out", "fit", cwd=folder, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder / "fit", json.loads(done.stdout)


def test_json_has_both_fits_with_intervals_the_test_and_the_out_of_sample_checks(calibrated):
    _, data = calibrated
    parameters = {(p["model"], p["parameter"]): p for p in data["parameters"]}
    for key in [("poisson", "rate"), ("hawkes", "baseline"), ("hawkes", "branching ratio"), ("hawkes", "decay")]:
        p = parameters[key]
        assert p["ci_low"] < p["estimate"] < p["ci_high"], key
    assert data["lr_test"]["statistic"] > 0 and 0 <= data["lr_test"]["p_value"] <= 1
    assert {p["model"] for p in data["predictive"]} == {"poisson", "hawkes"}
    assert all(p["observed_total"] == 342 for p in data["predictive"])
    assert any("level shift" in note for note in data["notes"])


def test_the_folder_works_with_show_export_plot_report_and_results(calibrated):
    folder, _ = calibrated
    # five independent commands (only plot and report write, each its own files): run at
    # once, they take the time of about two and a half
    commands = (["show", str(folder)], ["export", str(folder), "--format", "csv"], ["plot", str(folder)],
                ["report", str(folder)], ["results", "--dir", str(folder.parent)])
    with ThreadPoolExecutor(len(commands)) as pool:
        shown, exported, plotted, reported, listed = pool.map(lambda args: run_cli(*args, cwd=folder.parent),
                                                              commands)
    assert shown.returncode == 0 and "branching ratio" in shown.stdout and "level shift" in shown.stdout
    # the mixture's p is labelled where it is shown, and the bootstrap's p beside it
    assert "chi2(1): anti-conservative); parametric bootstrap p" in " ".join(shown.stdout.split())
    assert exported.returncode == 0 and "hawkes.branching_ratio" in exported.stdout
    assert plotted.returncode == 0
    assert {p.rsplit("/", 1)[1] for p in plotted.stdout.split()} >= {"qq.png", "intensity.svg", "counts.png"}
    assert reported.returncode == 0 and "level shift" in (folder / "report.html").read_text()
    assert listed.returncode == 0 and "calibration" in listed.stdout and "complete" in listed.stdout


def _hawkes_mean_count(mu_per_day: float, n: float, decay_hours: float, hours: float) -> float:
    """E N(T) of a Hawkes process with exponential kernel that starts with no excitation:
    mu T / (1 - n) - mu n (1 - exp(-beta (1 - n) T)) / (beta (1 - n)^2)."""
    mu, beta = mu_per_day / 24.0, 1.0 / decay_hours
    return mu * hours / (1 - n) - mu * n * (1 - math.exp(-beta * (1 - n) * hours)) / (beta * (1 - n) ** 2)


def test_the_calibrated_scenario_runs_and_its_breaches_match_the_fit(calibrated):
    folder, data = calibrated
    fitted = {p["parameter"]: p["estimate"] for p in data["parameters"] if p["model"] == "hawkes"}
    done = run_cli("run", str(folder / "scenario.toml"), "-n", "20000", "--seed", "4", "--no-records", "--json",
                   "--set", "tier1.rate_factor=1", "--set", "tier2.rate_factor=1", "--set", "tier3.rate_factor=1",
                   "--out", "run", cwd=folder.parent, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    breaches = summary["metrics"]["mean_breaches"]
    standard_error = (breaches["ci_high"] - breaches["ci_low"]) / (2 * 1.959964)
    expected = _hawkes_mean_count(fitted["baseline"], fitted["branching ratio"], fitted["decay"],
                                  summary["horizon_hours"])
    assert abs(breaches["estimate"] - expected) <= 4 * standard_error, (breaches, expected)


@pytest.mark.parametrize("args,message", [
    (["missing.csv"], "missing.csv: no such file"),
    ([str(example_path()), *DONBAS, "--from", "2019-01-01", "--to", "2016-01-01"], "is after end"),
    ([str(example_path()), "--format", "ucdp", "--where", "nosuch=1"], "nosuch"),
])
def test_bad_input_is_one_message_exit_2_and_nothing_written(tmp_path, args, message):
    done = run_cli("calibrate", *args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_explore_samples_the_breach_process_from_the_calibration(calibrated):
    folder, _ = calibrated
    done = run_cli("explore", "--uncertain", f"calibration={folder}", "--uncertain", "tier3.delay_hours=uniform(24, 96)",
                   "--samples", "6", "-n", "100", "--json", "--out", "explored", cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [i["key"] for i in data["inputs"]] == ["calibration", "tier3.delay_hours"]
    assert 0 < data["statistics"]["mean_breaches"]["mean"]
