"""Faults and hostile input, at the level a user meets them: edited results, a second
process on a live job's folder, file permissions, runaway configs, signals."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stress

from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finished") / "run"
    stress.run(n=2000, seed=3, workers=1, out=folder)
    return folder


def _copy(folder: Path, tmp_path: Path) -> Path:
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    return copy


def test_an_edited_number_is_refused_naming_the_file(finished, tmp_path):
    copy = _copy(finished, tmp_path)
    tiers = (copy / "tiers.csv").read_text().splitlines()
    tiers[2] = tiers[2].replace("0.", "0.9", 1)  # still a valid, consistent-looking table
    (copy / "tiers.csv").write_text("\n".join(tiers) + "\n")
    done = run_cli("show", str(copy), cwd=tmp_path)
    assert done.returncode == 2 and "tiers.csv: edited or damaged" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_inconsistent_summary_is_refused_even_without_its_checksum(finished, tmp_path):
    copy = _copy(finished, tmp_path)
    summary = json.loads((copy / "summary.json").read_text())
    summary["tiers"][2].update(p_reached=0.999, ci_low=1.5)
    (copy / "summary.json").write_text(json.dumps(summary))
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["files"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    done = run_cli("show", str(copy), cwd=tmp_path)
    assert done.returncode == 2 and "summary.json: tier 3" in done.stderr and "inconsistent" in done.stderr


def test_result_files_follow_the_umask(finished):
    mask = os.umask(0)
    os.umask(mask)
    for path in (finished / "summary.json", finished / "tiers.csv", finished / "manifest.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path


def _slow_job(tmp_path: Path, out: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "stress", "sweep", "--grid", "tier2.threshold=2,3,4,5,6,7",
                             "-n", "3000", "--engine", "simpy", "--workers", "1", "--out", out], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.1)


def test_a_live_job_is_neither_resumed_nor_overwritten_by_a_second_process(tmp_path):
    first = _slow_job(tmp_path, "same")
    try:
        _wait_for(tmp_path / "same.partial" / "lock.json")
        again = run_cli("sweep", "--grid", "tier2.threshold=2", "-n", "100", "--out", "same", cwd=tmp_path)
        assert again.returncode == 2 and "a job is writing it right now" in again.stderr
        resumed = run_cli("sweep", "--resume", "same.partial", cwd=tmp_path)
        assert resumed.returncode == 2 and "is being written by a running job" in resumed.stderr
        assert f"process {first.pid}" in resumed.stderr
    finally:
        first.kill()
        first.wait(timeout=30)
    # killed outright: the lock went with it, and the folder resumes
    done = run_cli("sweep", "--resume", str(tmp_path / "same.partial"), "--engine", "fast", cwd=tmp_path)
    assert done.returncode == 2 and "--engine" in done.stderr  # resume refuses options that change the job
    done = run_cli("sweep", "--resume", str(tmp_path / "same.partial"), "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "same" / "lock.json").exists()


# --- Ctrl-C -----------------------------------------------------------------------------

def _gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def _interrupt(args: list[str], cwd: Path, delay: float) -> tuple[int | None, float, str]:
    """Start ``stress ARGS`` in a session of its own, send SIGINT after ``delay`` seconds;
    (exit code, seconds from the signal to the exit, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", "stress", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(delay)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    took = time.monotonic() - sent
    deadline = time.monotonic() + 10  # workers watch the main process and follow it within a second
    while not _gone(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(process.pid), "a process of the job outlived it"
    return process.returncode, took, process.stderr.read()


def test_ctrl_c_stops_an_in_process_run_of_a_heavy_config_at_once_and_it_resumes(tmp_path):
    heavy = ["run", str(ROOT / "configs" / "high-intensity.toml"), "-n", "20000", "--engine", "fast",
             "--workers", "1", "--seed", "4", "--no-records"]
    code, took, err = _interrupt([*heavy, "--out", "cut"], tmp_path, delay=4.0)
    assert code == 130 and took < 2.0, (code, took, err)
    assert "--resume" in err and "Traceback" not in err
    resumed = run_cli("run", "--resume", "cut.partial", "--json", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    whole = run_cli(*heavy, "--json", "--out", "whole", cwd=tmp_path)
    assert json.loads(resumed.stdout) == json.loads(whole.stdout)


JOBS = {
    "run": ["run", "-n", "400000", "--engine", "fast", "--workers", "2", "--seed", "6", "--no-records"],
    "sweep": ["sweep", "--grid", "tier2.threshold=2,3,4", "-n", "150000", "--engine", "fast", "--workers", "2",
              "--seed", "6"],
}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    out = {}
    for kind, args in JOBS.items():
        done = run_cli(*args, "--json", "--out", kind, cwd=folder)
        assert done.returncode == 0, done.stderr
        out[kind] = json.loads(done.stdout)
    return out


def _ctrl_c_at_random_moments(tmp_path: Path, uninterrupted, attempts: int) -> None:
    import random
    chance = random.Random(20261130)
    for attempt in range(attempts):
        kind = ("run", "sweep")[attempt % 2]
        out = f"{kind}{attempt}"
        code, took, err = _interrupt([*JOBS[kind], "--out", out], tmp_path, delay=chance.uniform(0.3, 5.0))
        assert code in (0, 130) and took < 2.0, (attempt, code, took, err)
        assert "Traceback" not in err, err
        partial = tmp_path / f"{out}.partial"
        if code == 130 and partial.exists():
            done = run_cli(kind, "--resume", str(partial), "--json", cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout) == uninterrupted[kind], attempt


def test_ctrl_c_at_random_moments_of_multi_worker_jobs(tmp_path, uninterrupted):
    _ctrl_c_at_random_moments(tmp_path, uninterrupted, attempts=10)


@pytest.mark.slow
def test_ctrl_c_at_random_moments_many_times(tmp_path, uninterrupted):
    _ctrl_c_at_random_moments(tmp_path, uninterrupted, attempts=50)


# --- runaway configs ----------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["run", "-n", "10", "--set", "scenario.horizon_days=1e12"], "would take about"),
    (["run", "-n", "100", "--set", "breaches.baseline_per_day=1e7"], "raise the limit with --budget HOURS"),
    (["run", "-n", "1000", "--set", "feedback.max_multiplier=1e6", "--set", "tier1.rate_factor=2"],
     "the responses provoke (tier1.rate_factor = 2 > 1"),
    (["run", "-n", "20", "--engine", "fast", "--set", "breaches.decay_hours=1e-20"],
     "too short for the clock's resolution"),
    (["sweep", "--grid", "tier2.threshold=1:10000000:1", "-n", "10"], "more than the limit of 100,000"),
    (["explore", "--samples", "1000000", "--uncertain", "tier3.delay_hours=uniform(1, 2)"],
     "more than the limit of 100,000"),
])
def test_runaway_work_is_refused_or_stopped_with_the_values_responsible(tmp_path, args, message):
    began = time.monotonic()
    done = run_cli(*args, "--out", "job", cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - began < 60
    assert not any(tmp_path.iterdir()), "nothing is left behind"


# --- messages -------------------------------------------------------------------------------

def test_json_output_still_says_where_the_results_went(tmp_path):
    done = run_cli("run", "-n", "200", "--json", "--out", "r", cwd=tmp_path)
    assert json.loads(done.stdout)["n"] == 200 and "results: r" in done.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    done = subprocess.run(f"{sys.executable} -m stress run -n 2000 --out r | head -1", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, executable="/bin/bash",
                          env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0 and done.stderr == "" and len(done.stdout.splitlines()) == 1
    code = subprocess.run(f"set -o pipefail; {sys.executable} -m stress export r --format csv | head -1", shell=True,
                          cwd=tmp_path, capture_output=True, text=True, executable="/bin/bash")
    assert code.returncode == 0 and code.stderr == ""


def test_export_and_report_refuse_a_folder_and_an_existing_file(finished, tmp_path):
    done = run_cli("export", str(finished), "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "is a folder" in done.stderr and ".good" not in done.stderr
    done = run_cli("report", str(finished), "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "is a folder" in done.stderr
    (tmp_path / "t.csv").write_text("mine")
    done = run_cli("export", str(finished), "--out", "t.csv", cwd=tmp_path)
    assert done.returncode == 2 and "add --force" in done.stderr and (tmp_path / "t.csv").read_text() == "mine"
    assert run_cli("export", str(finished), "--out", "t.csv", "--force", cwd=tmp_path).returncode == 0


def test_precision_short_of_its_target_and_max_n_below_n_are_said(tmp_path):
    done = run_cli("sweep", "--grid", "tier2.threshold=3", "-n", "1000", "--precision", "0.001", "--max-n", "2000",
                   "--out", "s", cwd=tmp_path)
    assert done.returncode == 0 and "stopped at --max-n 2,000" in done.stderr
    listed = run_cli("results", "--dir", ".", cwd=tmp_path, env_extra={"COLUMNS": "200"})
    assert "2,000" in listed.stdout
    done = run_cli("sweep", "--grid", "tier2.threshold=3", "-n", "1000", "--precision", "0.01", "--max-n", "500",
                   cwd=tmp_path)
    assert done.returncode == 2 and "max_n = 500 is below n = 1000" in done.stderr


def test_a_full_disk_names_the_folder_and_how_to_resume(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (and a system that allows it)")
    try:
        done = run_cli("run", "-n", "200000", "--engine", "fast", "--out", str(disk / "r"), cwd=tmp_path)
        assert done.returncode == 2 and "No space left on device" in done.stderr, done.stderr
        assert f"stress run --resume {disk / 'r.partial'}" in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
