"""One job at a time in a ``.partial`` folder.

A job holds an exclusive ``flock`` on ``lock.json`` in its folder for as long as it
runs: a second process that would write the same folder (a resume, a run with the
same ``--out``) is refused with who holds it. The operating system drops the lock
when the holder ends, however it ends (kill -9 included), so a lock left by a dead
job never blocks a resume. A flock belongs to the open file, which a forked process
shares: forked children close their copy at once (else a worker orphaned by kill -9
of its parent would hold the lock on), and a lock whose recorded holder on this host
is dead is stale whoever still has the file open: the next job replaces the file.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

from stress.errors import UserError

LOCK = "lock.json"
# The lock files this process holds open; a forked child closes its copies.
_held: set[int] = set()


def _close_held_in_child() -> None:
    for fd in _held:
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


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
        return None if _stale(_info(path)) else _describe(path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _info(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


def _stale(info: dict[str, Any] | None) -> bool:
    """A lock recorded by a process of this host that has ended."""
    try:
        return info["host"] == socket.gethostname() and not alive(int(info["pid"]))
    except (TypeError, KeyError, ValueError):
        return False


def _describe(path: Path) -> str:
    info = _info(path)
    try:
        return f"process {info['pid']} on {info['host']}, started {info['started']}"
    except (KeyError, TypeError):
        return "another process"


class FolderLock:
    """Hold ``folder``'s lock: ``with FolderLock(partial): ...``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK
        self.fd: int | None = None

    def __enter__(self) -> "FolderLock":
        fd = self._lock(self.path)
        if fd is None:
            fd = self._take_over()
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": dt.datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self.fd = fd
        _held.add(fd)
        return self

    def _lock(self, path: Path) -> int | None:
        """An fd of ``path`` locked by this process (None: it is locked elsewhere, or it
        was replaced while this process locked it)."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except (BlockingIOError, FileNotFoundError):
            pass
        os.close(fd)
        return None

    def _take_over(self) -> int:
        """The lock of a folder whose lock file is held: refused if its holder lives;
        if the holder is dead (something it started still has the file open), a fresh
        file replaces it. One process at a time does this (a flock on the folder)."""
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            fd = self._lock(self.path)
            if fd is not None:
                return fd
            if not _stale(_info(self.path)):
                raise FolderBusy(f"{self.path.parent} is being written by a running job ({_describe(self.path)}); "
                                 f"wait for it to finish, or stop it and then resume the folder")
            fresh = self.path.with_name(f".{LOCK}.{os.getpid()}")
            fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.replace(fresh, self.path)
            return fd
        finally:
            os.close(folder)

    def release(self) -> None:
        """Give the lock up (the file goes: the folder is about to be renamed or left)."""
        if self.fd is None:
            return
        self.path.unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        _held.discard(self.fd)
        os.close(self.fd)
        self.fd = None

    def __exit__(self, *exc: object) -> None:
        self.release()
