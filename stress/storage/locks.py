"""One job at a time in a ``.partial`` folder.

A job holds an exclusive ``flock`` on ``lock.json`` in its folder for as long as it
runs: a second process that would write the same folder (a resume, a run with the
same ``--out``) is refused with who holds it. The operating system drops the lock
when the holder ends, however it ends (kill -9 included), so a lock left by a dead
job never blocks a resume.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path

from stress.errors import UserError

LOCK = "lock.json"


class FolderBusy(UserError):
    """The folder is being written by a running job."""


def alive(pid: int) -> bool:
    """Whether a process runs (a killed one may linger as a zombie until reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def holder(folder: Path) -> str | None:
    """Who runs a job in ``folder`` (None if nobody does)."""
    path = Path(folder) / LOCK
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"process {info['pid']} on {info['host']}, started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class FolderLock:
    """Hold ``folder``'s lock: ``with FolderLock(partial): ...``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK
        self.fd: int | None = None

    def __enter__(self) -> "FolderLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderBusy(f"{self.path.parent} is being written by a running job ({_describe(self.path)}); "
                             f"wait for it to finish, or stop it and then resume the folder") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": dt.datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        """Give the lock up (the file goes: the folder is about to be renamed or left)."""
        if self.fd is None:
            return
        self.path.unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __exit__(self, *exc: object) -> None:
        self.release()
