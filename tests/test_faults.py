"""Faults and hostile input, at the level a user meets them: edited results, a second
process on a live job's folder, file permissions, runaway configs, signals."""

import json
import os
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
