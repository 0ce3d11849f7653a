"""Sweeps on a real Dask cluster: a scheduler and two workers on 127.0.0.1, started
and stopped by a fixture, give the same table as a local run, even when a worker is
killed mid-sweep."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from stress.storage import checkpoints

from conftest import ROOT, run_cli

distributed = pytest.importorskip("distributed")

# 2 points x 2,000 replications: 4 chunks of 1,000 (on the SimPy engine, seconds each)
SWEEP = ["--grid", "tier2.threshold=2,3", "-n", "2000", "--seed", "11"]
CHUNKS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _cluster(folder):
    """A scheduler and two one-thread workers on 127.0.0.1, logging into ``folder``:
    yields (address, worker processes) and stops them after."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = folder / "logs"
    logs.mkdir()
    common = dict(cwd=folder, stdin=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--dashboard-address", ":0"],
                                 stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT, **common)
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-nanny", "--name", f"w{i}", "--dashboard-address", ":0"],
                                stdout=open(logs / f"worker{i}.log", "w"), stderr=subprocess.STDOUT, **common)
               for i in range(2)]
    try:
        from distributed import Client
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, workers
    finally:
        for process in workers + [scheduler]:
            _stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A cluster the tests share: they only use it."""
    yield from _cluster(tmp_path_factory.mktemp("cluster"))


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for one test (one that kills a worker)."""
    yield from _cluster(tmp_path)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """SWEEP run locally, as the command prints it with --json, and its folder."""
    folder = tmp_path_factory.mktemp("local")
    local = run_cli("sweep", *SWEEP, "--json", "--out", "local", cwd=folder)
    assert local.returncode == 0, local.stderr
    return json.loads(local.stdout), folder / "local"


def test_cluster_gives_the_local_table(cluster, local_sweep, tmp_path):
    address, _ = cluster
    remote = run_cli("sweep", *SWEEP, "--scheduler", address, "--json", "--out", "remote", cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr
    rows, local = local_sweep
    assert json.loads(remote.stdout) == rows
    assert (tmp_path / "remote" / "table.csv").read_text() == (local / "table.csv").read_text()


def test_a_worker_killed_mid_sweep_does_not_change_the_table(own_cluster, local_sweep, tmp_path):
    address, workers = own_cluster
    env = dict(os.environ, COLUMNS="120")
    sweep = subprocess.Popen([sys.executable, "-m", "stress", "sweep", *SWEEP, "--engine", "simpy", "--scheduler",
                              address, "--json", "--out", "remote"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "remote.partial"
    deadline = time.monotonic() + 120
    # once two chunks are saved, each worker computes one of the other two
    while not (partial.is_dir() and checkpoints.saved_units(partial) >= 2):
        assert time.monotonic() < deadline and sweep.poll() is None, "the sweep did not start"
        time.sleep(0.05)
    workers[0].send_signal(signal.SIGKILL)
    assert partial.is_dir() and checkpoints.saved_units(partial) < CHUNKS, "killed mid-sweep"
    out, err = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, err
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    rows, _ = local_sweep
    assert json.loads(out) == rows


def test_local_cluster_option(local_sweep, tmp_path):
    done = run_cli("sweep", *SWEEP, "--scheduler", "local", "--workers", "2", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows, _ = local_sweep
    assert json.loads(done.stdout) == rows


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    done = run_cli("sweep", "--grid", "tier2.threshold=2,3", "-n", "100", "--scheduler",
                   f"tcp://127.0.0.1:{_free_port()}", cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "cannot connect" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir()), "nothing is written when the cluster cannot be reached"


@pytest.mark.parametrize("address", ["bogus", "foo://x:1", "tcp://127.0.0.1:", "tcp://127.0.0.1:99999"])
def test_a_malformed_scheduler_address_is_refused_at_once(tmp_path, address):
    from stress.errors import UsageError
    from stress.execution.pools import check_scheduler
    began = time.monotonic()
    with pytest.raises(UsageError, match="expected 'local' or a Dask scheduler's address, tcp://HOST:PORT"):
        check_scheduler(address)  # "bogus" was a ValueError ("missing port number"), the last a 10 s wait
    assert time.monotonic() - began < 1


def test_explore_on_the_cluster_gives_the_local_tables(cluster, tmp_path):
    address, _ = cluster
    study = ["explore", str(ROOT / "configs" / "uncertainty.toml"), "--samples", "12", "-n", "500", "--seed", "2",
             "--engine", "fast"]
    with ThreadPoolExecutor(2) as pool:  # both at once
        remote = pool.submit(run_cli, *study, "--scheduler", address, "--out", "remote", cwd=tmp_path)
        local = pool.submit(run_cli, *study, "--out", "local", cwd=tmp_path)
        remote, local = remote.result(), local.result()
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    for name in ("table.csv", "explore.csv", "explore.json"):
        assert (tmp_path / "remote" / name).read_text() == (tmp_path / "local" / name).read_text(), name


def test_optimize_on_the_cluster_gives_the_local_front(cluster, tmp_path):
    # an optimisation runs in stages decided one after the other: the cluster runs each
    # stage's tasks and the search takes the same decisions
    address, _ = cluster
    study = ["optimize", "--lever", "tier2.threshold=2:5:int", "--lever", "tier3.delay_hours=24:96:24",
             "--minimize", "p_tier3_objective_first", "--maximize", "p_tier3_stood_down", "--max-replications",
             "20000", "-n", "400", "--population", "6", "--seed", "4", "--engine", "fast"]
    remote = run_cli(*study, "--scheduler", address, "--out", "remote", cwd=tmp_path)
    local = run_cli(*study, "--workers", "1", "--out", "local", cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    for name in ("front.csv", "candidates.csv", "pairs.csv", "optimize.json"):
        assert (tmp_path / "remote" / name).read_text() == (tmp_path / "local" / name).read_text(), name
