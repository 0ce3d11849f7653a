"""Faults and hostile input, at the level a user meets them: edited results, a second
process on a live job's folder, file permissions, runaway configs, signals."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import stress
from stress.model.cost import RunawayReplication
from stress.storage import checkpoints

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
    assert done.returncode == 2 and "summary.json: tier3: estimate" in done.stderr and "inconsistent" in done.stderr
    assert "(a probability must lie in [0, 1])" in done.stderr
    # a probability in [0, 1] outside its interval was said to be outside [0, 1]
    summary["tiers"][2].update(p_reached=0.6825, ci_low=0.1, ci_high=0.2)
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ValueError, match=re.escape("tier3: estimate 0.6825 with interval [0.1, 0.2] is "
                                                   "inconsistent (an estimate must lie inside its interval)")):
        stress.load_result(copy)


def test_result_files_follow_the_umask(finished):
    mask = os.umask(0)
    os.umask(mask)
    for path in (finished / "summary.json", finished / "tiers.csv", finished / "manifest.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path


def _slow_job(tmp_path: Path, out: str) -> subprocess.Popen:
    # SimPy engine in the main process: 3 tasks of 1,000 replications, seconds each
    return subprocess.Popen([sys.executable, "-m", "stress", "sweep", "--grid", "tier2.threshold=2,3,4",
                             "-n", "1000", "--engine", "simpy", "--workers", "1", "--out", out], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _together(*commands: list[str], cwd: Path) -> list[subprocess.CompletedProcess]:
    """``run_cli`` of each command, all at once."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: run_cli(*args, cwd=cwd), commands))


def _wait_for_saved(partial: Path, process: subprocess.Popen, units: int = 1, timeout: float = 120.0) -> bool:
    """Until the job in ``partial`` has saved ``units`` chunks of replications (it runs:
    its lock is taken and its workers compute); False if it ended first."""
    deadline = time.monotonic() + timeout
    while not (partial.is_dir() and checkpoints.saved_units(partial) >= units):
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"{partial} did not save {units} chunks in time"
        time.sleep(0.02)
    return True


def test_a_live_job_is_neither_resumed_nor_overwritten_by_a_second_process(tmp_path):
    first = _slow_job(tmp_path, "same")
    partial = tmp_path / "same.partial"
    try:
        assert _wait_for_saved(partial, first), first.stderr.read()
        # Held where it is, however long the checks take on a slow machine: alive, holding
        # its lock, a task saved and two to go.
        first.send_signal(signal.SIGSTOP)
        assert first.poll() is None and checkpoints.saved_units(partial) < 3
        again, resumed = _together(["sweep", "--grid", "tier2.threshold=2", "-n", "100", "--out", "same"],
                                   ["sweep", "--resume", "same.partial"], cwd=tmp_path)
        assert again.returncode == 2 and "a job is writing it right now" in again.stderr
        assert resumed.returncode == 2 and "is being written by a running job" in resumed.stderr
        assert f"process {first.pid}" in resumed.stderr
    finally:
        first.kill()
        first.wait(timeout=30)
    # killed outright: the lock went with it, and the folder resumes
    done = run_cli("sweep", "--resume", str(partial), "--engine", "fast", cwd=tmp_path)
    assert done.returncode == 2 and "--engine" in done.stderr  # resume refuses options that change the job
    done = run_cli("sweep", "--resume", str(partial), "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "same" / "lock.json").exists()


def test_a_lock_whose_holder_died_is_stale_whoever_still_has_the_file_open(tmp_path):
    from stress.storage.locks import FolderBusy, FolderLock, holder
    partial = tmp_path / "job.partial"
    partial.mkdir()
    # a job that takes the lock, starts something that keeps the lock file open (as an
    # orphaned worker did), and dies without a word
    script = ("import os, subprocess\n"
              "from stress.storage.locks import FolderLock\n"
              f"lock = FolderLock({str(partial)!r}).__enter__()\n"
              "keeper = subprocess.Popen(['sleep', '120'], pass_fds=(lock.fd,), stdout=subprocess.DEVNULL,\n"
              "                          stderr=subprocess.DEVNULL)\n"
              "print(keeper.pid, flush=True)\n"
              "os._exit(0)\n")
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    keeper = int(died.stdout)
    try:
        assert holder(partial) is None  # it was "process N on this host", N dead
        with FolderLock(partial):
            assert json.loads((partial / "lock.json").read_text())["pid"] == os.getpid()
            with pytest.raises(FolderBusy, match=f"process {os.getpid()} on"):  # a live holder still holds
                FolderLock(partial).__enter__()
    finally:
        os.kill(keeper, signal.SIGKILL)


def _members(group: int) -> set[int]:
    """The processes of a process group (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            found.add(int(stat.parent.name))
    return found


def _deathsignal() -> int:
    import ctypes
    value = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value


def test_workers_are_killed_with_their_parent_and_hold_no_lock(tmp_path, uninterrupted):
    from stress.execution.pools import LocalPool
    from stress.storage.locks import alive, holder
    pool = LocalPool(2)
    try:
        assert pool.submit(_deathsignal).result(timeout=60) == signal.SIGKILL
    finally:
        pool.close()
    # the pattern: kill -9 of a 2-worker job's parent, then at once a resume; its
    # workers ran on for about 2 s holding the lock, and the resume was refused
    job = subprocess.Popen([sys.executable, "-m", "stress", *JOBS["sweep"], "--out", "part"], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    partial = tmp_path / "part.partial"
    try:
        assert _wait_for_saved(partial, job, 20), job.stderr.read()
        workers = _members(job.pid) - {job.pid}
        assert len(workers) == 2
        job.kill()
        job.wait(timeout=30)
        killed = time.monotonic()
        assert holder(partial) is None
        # dead (a zombie until the system reaps it, which here takes up to 2 s)
        while any(alive(w) for w in workers) and time.monotonic() - killed < 10:
            time.sleep(0.01)
        assert time.monotonic() - killed < 0.5, "a worker outlived its parent"
    finally:
        if not _gone(job.pid):
            os.killpg(job.pid, signal.SIGKILL)
    assert _summary("sweep", stress.resume(partial, kind="sweep")) == uninterrupted["sweep"]


# --- Ctrl-C -----------------------------------------------------------------------------

def _gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def _after(seconds: float):
    """When to send the signal: ``seconds`` after the start."""
    return lambda process: time.sleep(seconds)


def _after_folder(partial: Path, seconds: float):
    """``seconds`` after the job's folder appeared (its imports are done and it is
    loading the compiled engine, then starting its workers)."""
    def wait(process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while not partial.is_dir() and process.poll() is None:
            assert time.monotonic() < deadline, f"{partial} did not appear"
            time.sleep(0.01)
        time.sleep(seconds)
    return wait


def _after_saved(partial: Path, units: int = 1, seconds: float = 0.0):
    """``seconds`` after the job saved ``units`` chunks (its workers compute; once it saved
    them all, it writes its tables)."""
    def wait(process: subprocess.Popen) -> None:
        if _wait_for_saved(partial, process, units):
            time.sleep(seconds)
    return wait


def _interrupt(args: list[str], cwd: Path, wait, number: int = signal.SIGINT) -> tuple[int | None, float, str]:
    """Start ``stress ARGS`` in a session of its own, send SIGINT (or signal ``number``)
    once ``wait(process)`` returns; (exit code, seconds from the signal to the exit, stderr)."""
    process = subprocess.Popen([sys.executable, "-m", "stress", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait(process)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        raise
    sent = time.monotonic()
    process.send_signal(number)
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


def _summary(kind: str, result) -> dict | list:
    """A result as its command prints it with --json."""
    return json.loads(result.summary.to_json() if kind == "run" else result.json_text())


def test_ctrl_c_stops_an_in_process_run_of_a_heavy_config_at_once_and_it_resumes(tmp_path):
    # 4 tasks of 5,000 heavy replications (about a second each) on a thread of the main
    # process; the signal comes while the second runs
    heavy = ["run", str(ROOT / "configs" / "high-intensity.toml"), "-n", "20000", "--engine", "fast",
             "--workers", "1", "--seed", "4", "--no-records"]
    partial = tmp_path / "cut.partial"
    code, took, err = _interrupt([*heavy, "--out", "cut"], tmp_path, _after_saved(partial))
    assert code == 130 and took < 2.0, (code, took, err)
    assert "--resume" in err and "Traceback" not in err
    assert 0 < checkpoints.saved_units(partial) < 20, "interrupted mid-run"
    resuming = subprocess.Popen([sys.executable, "-m", "stress", "run", "--resume", "cut.partial", "--json"],
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # meanwhile, the uninterrupted run in this process (the library call the command makes)
    whole = stress.run(ROOT / "configs" / "high-intensity.toml", n=20000, engine="fast", workers=1, seed=4,
                       save_records=False)
    out, err = resuming.communicate(timeout=600)
    assert resuming.returncode == 0, err
    assert json.loads(out) == _summary("run", whole)


# Multi-worker jobs on the compiled engine: a start-up of a couple of seconds (imports,
# loading the compiled engine, starting the workers), then 10 (run) or 9 (sweep) tasks
# of 20,000 replications, two at a time, then the tables are written.
JOBS = {
    "run": ["run", "-n", "200000", "--engine", "fast", "--workers", "2", "--seed", "6", "--no-records"],
    "sweep": ["sweep", "--grid", "tier2.threshold=2,3,4", "-n", "60000", "--engine", "fast", "--workers", "2",
              "--seed", "6"],
}
UNITS = {"run": 200, "sweep": 180}  # chunks of 1,000 replications


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """JOBS run to the end, in this process (the library calls their commands make)."""
    folder = tmp_path_factory.mktemp("whole")
    run = stress.run(n=200000, engine="fast", workers=2, seed=6, save_records=False, out=folder / "run")
    sweep = stress.sweep(grid=["tier2.threshold=2,3,4"], n=60000, engine="fast", workers=2, seed=6,
                         out=folder / "sweep")
    return {"run": _summary("run", run), "sweep": _summary("sweep", sweep)}


# When the signal comes: a random moment of a stage of the job, timed from the stage's
# start as the job shows it (so that a slow or loaded machine meets the same stages).
STAGES = {
    # starting: imports, reading the scenario, making the folder
    "start": lambda chance, partial, units: _after(chance.uniform(0.3, 0.8)),
    # the workers computing, then the tables being written: once the job has saved a random
    # number of its chunks, up to all of them, and a moment more
    "work": lambda chance, partial, units: _after_saved(partial, chance.randint(1, units), chance.uniform(0, 0.3)),
    # loading the compiled engine and starting the workers: a moment after the folder appeared
    "pool": lambda chance, partial, units: _after_folder(partial, chance.uniform(0.0, 1.5)),
}


def _ctrl_c_at_random_moments(tmp_path: Path, uninterrupted, attempts: int, stages: tuple[str, ...]) -> None:
    import random
    chance = random.Random(20261130)
    for attempt in range(attempts):
        kind = ("run", "sweep")[attempt % 2]
        stage = stages[attempt % len(stages)]
        out = f"{kind}{attempt}"
        partial = tmp_path / f"{out}.partial"
        wait = STAGES[stage](chance, partial, UNITS[kind])
        code, took, err = _interrupt([*JOBS[kind], "--out", out], tmp_path, wait)
        # 130, or (rarely, in the first second, while the workers start) death by SIGINT
        # itself, which a shell reports as 130 too; never a hang, a traceback or another code
        assert code in (0, 130, -signal.SIGINT) and took < 2.0, (attempt, stage, code, took, err)
        assert "Traceback" not in err, err
        if code != 0 and partial.exists():
            # resumed in this process: the library call ``stress KIND --resume`` makes
            resumed = stress.resume(partial, kind=kind)
            assert _summary(kind, resumed) == uninterrupted[kind], (attempt, stage)


def test_ctrl_c_at_random_moments_of_multi_worker_jobs(tmp_path, uninterrupted):
    _ctrl_c_at_random_moments(tmp_path, uninterrupted, attempts=10, stages=("start", "work", "work"))


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_job_as_ctrl_c_does(tmp_path, uninterrupted, number):
    # they ended the process by the signal, with no message and the folder unnamed
    partial = tmp_path / "run.partial"
    code, took, err = _interrupt([*JOBS["run"], "--out", "run"], tmp_path, _after_saved(partial, 20), number)
    assert code == 128 + number and took < 2.0, (code, took, err)
    assert (f"interrupted ({signal.Signals(number).name}): what finished is kept in run.partial; continue it with "
            f"stress run --resume run.partial") in " ".join(err.split())
    assert "Traceback" not in err
    assert _summary("run", stress.resume(partial, kind="run")) == uninterrupted["run"]


@pytest.mark.parametrize("step", ["new_folder", "start"])
def test_ctrl_c_while_the_folder_is_made_leaves_nothing_half_made(tmp_path, monkeypatch, step):
    # a Ctrl-C the moment the folder exists (before its manifest) or halfway through
    # writing the manifest: the job stops with nothing left, not a folder --resume refuses.
    # Another thread is alive meanwhile (as a progress bar's is), which the kernel may
    # hand the signal to.
    import threading
    from stress.storage import folders
    real = getattr(folders, step)

    def then_ctrl_c(*args, **kwargs):
        made = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # time for the signal to arrive, wherever it is delivered
        return made
    monkeypatch.setattr(folders, step, then_ctrl_c)
    done = threading.Event()
    bystander = threading.Thread(target=done.wait, daemon=True)
    bystander.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            stress.run(n=100, workers=1, out=tmp_path / "r")
    finally:
        done.set()
    assert not any(tmp_path.iterdir())


def test_ctrl_c_while_the_engine_loads_names_the_folder_and_it_resumes(tmp_path, monkeypatch):
    # the first second of a job loads the compiled engine: a Ctrl-C then left the
    # .partial folder and said only "interrupted"
    from stress import engines
    from stress.execution.pools import Interrupted
    whole = stress.run(n=2000, seed=5, workers=1)

    def ctrl_c(*args):
        raise KeyboardInterrupt
    with monkeypatch.context() as patched:
        patched.setattr(engines, "prepare", ctrl_c)
        with pytest.raises(KeyboardInterrupt) as stopped:
            stress.run(n=2000, seed=5, workers=1, out=tmp_path / "r")
    assert isinstance(stopped.value, Interrupted) and stopped.value.partial == tmp_path / "r.partial"
    assert stopped.value.partial.is_dir()
    resumed = stress.resume(tmp_path / "r.partial")
    assert resumed.summary.to_dict() == whole.summary.to_dict()


@pytest.mark.slow
def test_ctrl_c_at_random_moments_many_times(tmp_path, uninterrupted):
    _ctrl_c_at_random_moments(tmp_path, uninterrupted, attempts=50, stages=("start", "work", "pool"))


# --- runaway configs ----------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["run", "-n", "10", "--set", "scenario.horizon_days=1e12"], "would take about"),
    (["run", "-n", "100", "--set", "breaches.baseline_per_day=1e7"], "raise the limit with --budget HOURS"),
    (["run", "-n", "1000", "--set", "feedback.max_multiplier=1e6", "--set", "tier1.rate_factor=2"],
     "the responses provoke (the plan's tier 1 has rate_factor = 2 > 1"),
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


def test_a_trace_too_long_to_keep_is_refused_and_a_spiral_stopped(tmp_path):
    # it used to run on for minutes, its memory growing by 32 MB/s
    done = run_cli("trace", "--set", "scenario.horizon_days=1e12", cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and "a trace lists at most 10,000" in done.stderr, done.stderr
    assert "scenario.horizon_days = 1e+12" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(RunawayReplication, match="over 100,000 breaches"):
        stress.trace(overrides=["scenario.horizon_days=5000", "feedback.max_multiplier=1e6", "tier1.rate_factor=2"])


def test_workers_beyond_two_per_core_are_capped_saying_so(tmp_path):
    from stress.execution.pools import LocalPool, make_pool, max_workers
    pool = make_pool(1000, None, small=False)  # it forked 1,000 processes on 2 cores
    try:
        assert isinstance(pool, LocalPool) and pool.workers == max_workers()
    finally:
        pool.close()
    done = run_cli("run", "-n", "100", "--no-records", "--workers", str(max_workers() + 1), "--out", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"note: --workers {max_workers() + 1}: using {max_workers()}, 2 per core" in done.stderr
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["workers"] == max_workers()


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
    exported, reported = _together(["export", str(finished), "--out", str(tmp_path)],
                                   ["report", str(finished), "--out", str(tmp_path)], cwd=tmp_path)
    assert exported.returncode == 2 and "is a folder" in exported.stderr and ".good" not in exported.stderr
    assert reported.returncode == 2 and "is a folder" in reported.stderr
    (tmp_path / "t.csv").write_text("mine")
    done = run_cli("export", str(finished), "--out", "t.csv", cwd=tmp_path)
    assert done.returncode == 2 and "add --force" in done.stderr and (tmp_path / "t.csv").read_text() == "mine"
    assert run_cli("export", str(finished), "--out", "t.csv", "--force", cwd=tmp_path).returncode == 0
    (tmp_path / "r.html").write_text("mine")
    done = run_cli("report", str(finished), "--out", "r.html", cwd=tmp_path)
    assert done.returncode == 2 and "add --force" in done.stderr and (tmp_path / "r.html").read_text() == "mine"


def test_a_file_that_cannot_be_written_is_named_not_its_temporary_twin(finished):
    # /proc takes no new files, even from root; the message named /proc/.x.csv.sb4yy3hx
    with pytest.raises(OSError) as refused:
        stress.export(finished, out=Path("/proc/x.csv"))
    assert refused.value.filename == "/proc/x.csv"


def test_nothing_is_written_inside_a_result_folder(finished, tmp_path):
    from stress.errors import UsageError
    from stress.storage.reading import load_result
    copy = _copy(finished, tmp_path)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    # report --out R/summary.json used to overwrite the folder's own file (exit 0)
    for write in (lambda: stress.report(copy, out=copy / "summary.json", force=True),
                  lambda: stress.report(copy, out=copy / "plots" / ".." / "extra.html"),
                  lambda: stress.export(copy, out=copy / "tiers.csv", force=True),
                  lambda: stress.plot(copy, out=copy),
                  lambda: stress.run(n=10, out=copy / "inner")):
        with pytest.raises(UsageError, match=f"inside the result folder {copy.resolve()}"):
            write()
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
    assert stress.report(copy, out=copy / "report.html") == copy / "report.html"  # its own place
    load_result(copy)


def test_precision_short_of_its_target_and_max_n_below_n_are_said(tmp_path):
    done, refused = _together(
        ["sweep", "--grid", "tier2.threshold=3", "-n", "1000", "--precision", "0.001", "--max-n", "2000", "--out", "s"],
        ["sweep", "--grid", "tier2.threshold=3", "-n", "1000", "--precision", "0.01", "--max-n", "500"],
        cwd=tmp_path)
    assert done.returncode == 0 and "stopped at --max-n 2,000" in done.stderr
    listed = run_cli("results", "--dir", ".", cwd=tmp_path, env_extra={"COLUMNS": "200"})
    assert "2,000" in listed.stdout
    assert refused.returncode == 2 and "max_n = 500 is below n = 1000" in refused.stderr


def test_a_full_disk_names_the_folder_and_how_to_resume(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (and a system that allows it)")
    try:
        done = run_cli("run", "-n", "200000", "--engine", "fast", "--out", str(disk / "r"), cwd=tmp_path,
                       timeout=120)
        assert done.returncode == 2 and "No space left on device" in done.stderr, done.stderr
        assert f"stress run --resume {disk / 'r.partial'}" in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
