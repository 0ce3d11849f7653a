"""Measuring whole `stress` commands as a user runs them: wall time, CPU time of the
process and every process it started, and peak memory of that tree: summed resident
memory (RSS, which counts a page shared by forked workers once per process) and summed
proportional memory (PSS, which divides a shared page among the processes sharing it)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


class Measured(NamedTuple):
    wall: float        # seconds
    cpu: float         # user + system seconds of the command and its (reaped) children
    peak_mib: float    # largest summed resident memory (RSS) of the process tree
    peak_pss_mib: float = 0.0  # largest summed proportional memory (PSS) of the tree


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in KiB; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def stress_command(args: list[str], cwd: str | Path, env: dict[str, str] | None = None) -> Measured:
    """Run ``python -m stress ARGS`` and measure it; a failure stops the benchmark."""
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "stress", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            memory = [_memory_kib(p) for p in _tree(process.pid)]
            peak = max(peak, sum(m[0] for m in memory))
            peak_pss = max(peak_pss, sum(m[1] for m in memory))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    # wait4's usage of a child includes the children it reaped itself (its worker pool)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    done.set()
    sampler.join()
    err = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stress {' '.join(args)} failed: {err}")
    return Measured(wall, usage.ru_utime + usage.ru_stime, peak / 1024, peak_pss / 1024)


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
