"""Result folders: created atomically, filled as a job goes, resumable.

A job writes into ``<folder>.partial/``: its manifest and resolved configs first, then
its checkpoints (``stress.storage.checkpoints``). When it is done, its tables are
written and the folder is renamed to ``<folder>``. An interrupted job leaves a
``.partial`` folder that ``--resume`` continues.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Sequence

from stress.errors import UsageError, UserError

if TYPE_CHECKING:
    import pandas as pd

# Format 2: tiers are named (a plan is a list of tiers); format 1 numbered the three
# tiers of the plan's first form 1, 2, 3, which readers name as that form's tiers are named.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
PARTIAL = ".partial"
MANIFEST = "manifest.json"
CONFIG = "config.toml"
CHECKPOINTS = "checkpoints"


class ResultError(UserError):
    """A result folder that cannot be used; the message says which and why."""


def _file_mode() -> int:
    """The mode the user's umask gives a new file (mkstemp's files are 0600, which would
    keep colleagues on a shared machine from reading results)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()


@contextmanager
def atomic_file(path: Path, sync: bool = True) -> Iterator[BinaryIO]:
    """A binary handle whose file appears at ``path`` complete, or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (tmp, None):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """The error as about ``path``: the temporary file beside it means nothing to the user."""
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a file so that it is either complete or absent."""
    with atomic_file(path) as handle:
        handle.write(data.encode() if isinstance(data, str) else data)


def write_csv(path: Path, frame: "pd.DataFrame") -> None:
    """A data frame as ``frame.to_csv(index=False)`` gives it, written atomically and
    streamed: a table of 10,000 rows is not first built as one string."""
    with atomic_file(path) as handle:
        frame.to_csv(handle, index=False, lineterminator="\n", chunksize=256)


# Rows per row group of a table written by ``write_parquet``: Arrow converts one group at
# a time, so writing a table of 10,000 points needs little more memory than the table.
PARQUET_ROWS = 2048


def write_parquet(path: Path, frame: "pd.DataFrame") -> None:
    """A data frame as ``frame.to_parquet(path, index=False)`` writes it, atomically
    and in row groups of ``PARQUET_ROWS``."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    with atomic_file(path) as handle, pq.ParquetWriter(handle, schema) as writer:
        for first in range(0, max(len(frame), 1), PARQUET_ROWS):
            part = frame.iloc[first:first + PARQUET_ROWS]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))


def csv_text(fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """A CSV table (floats at full precision, NaN as an empty cell), as pandas writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if isinstance(v, float) and math.isnan(v) else v for v in (row[f] for f in fields)])
    return buffer.getvalue()


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json_text(data))


def json_text(data: Any) -> str:
    """Indented JSON; a long list (a sweep's points) one item per line instead, since
    the indenting encoder is ten times slower than the compact one."""
    if isinstance(data, list) and len(data) > 100:
        return "[\n" + ",\n".join(json.dumps(item, allow_nan=False) for item in data) + "\n]\n"
    if isinstance(data, dict) and any(isinstance(v, list) and len(v) > 100 for v in data.values()):
        items = [f"  {json.dumps(key)}: {json_text(value).rstrip() if isinstance(value, list) else json.dumps(value, indent=2, allow_nan=False)}"
                 for key, value in data.items()]
        return "{\n" + ",\n".join(items) + "\n}\n"
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: unreadable or truncated ({exc})") from None


def a_kind(kind: str) -> str:
    """'a run', 'an explore': a kind of job with its article."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def check_parent(parent: Path, option: str = "") -> None:
    """The folder result folders go into must be one (or not exist yet)."""
    if parent.exists() and not parent.is_dir():
        raise ResultError(f"{option}{parent}: a file, not a folder (result folders are made inside it); "
                          f"move the file or give another folder")


def new_folder(out: Path | None, kind: str, scenario: str, parent: Path = Path("results")) -> Path:
    """Reserve a fresh result folder and create its ``.partial`` working copy.

    Without ``out``, the name is ``<date>-<time>-<kind>-<scenario>-<random>`` under
    ``parent``; creating the folder is the reservation, so two runs started in the
    same second never share one."""
    if out is not None:
        final = Path(out)
        refuse_inside_result(final)
        if final.exists() and not final.is_dir():
            raise ResultError(f"--out {final}: a file; give a folder that does not exist yet (or an empty one)")
        if final.exists() and any(final.iterdir()):
            raise ResultError(f"--out {final}: already exists and is not empty; choose another folder")
        partial = final.with_name(final.name + PARTIAL)
        if partial.exists():
            from stress.storage.locks import FolderBusy, holder
            running = holder(partial)
            if running is not None:
                raise FolderBusy(f"--out {final}: a job is writing it right now ({running}); wait for it, or "
                                 f"choose another folder")
            manifest = _manifest_or_none(partial)
            kind = manifest.get("kind", "run") if manifest else "run"
            raise ResultError(f"{partial} exists: an interrupted {kind}; continue it with "
                              f"stress {kind} --resume {partial}")
        partial.mkdir(parents=True)
        return partial
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", scenario).strip("-") or "scenario"
    check_parent(parent)
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        final = parent / f"{stamp}-{kind}-{slug}-{secrets.token_hex(3)}"
        partial = final.with_name(final.name + PARTIAL)
        try:
            partial.mkdir()
        except FileExistsError:
            continue
        if final.exists():
            partial.rmdir()
            continue
        return partial


def final_path(partial: Path) -> Path:
    return partial.with_name(partial.name[: -len(PARTIAL)])


def start(partial: Path, kind: str, scenario: str, engine: str, **fields: Any) -> None:
    """Write the manifest of a job that is starting in ``partial``."""
    write_json(partial / MANIFEST, {
        "format_version": FORMAT_VERSION, "kind": kind, "id": final_path(partial).name, "status": "running",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "scenario": scenario, "engine": engine, **fields,
        "command": sys.argv, "versions": versions(), "git_commit": git_commit(), "system": system(),
    })


def open_partial(folder: str | Path, kind: str | None = None) -> dict[str, Any]:
    """The manifest of an interrupted job (of ``kind``, if given) that ``--resume`` may
    continue."""
    folder = Path(folder)
    if not folder.name.endswith(PARTIAL):
        raise ResultError(f"{folder}: not an interrupted job (those folders end in {PARTIAL})")
    manifest = load_manifest(folder)
    if kind is not None and manifest["kind"] != kind:
        raise ResultError(f"{folder}: {a_kind(manifest['kind'])}, not {a_kind(kind)}; continue it with "
                          f"stress {manifest['kind']} --resume {folder}")
    return manifest


def complete(partial: Path, began: float, **fields: Any) -> Path:
    """Mark the job complete (``began``: its perf_counter start in this session), record
    every file's SHA-256 (readers check them), and move the folder to its final name."""
    shutil.rmtree(partial / CHECKPOINTS, ignore_errors=True)  # the tables now hold what they held
    manifest = load_manifest(partial)
    manifest.update(status="complete", elapsed_seconds=round(time.perf_counter() - began, 3), **fields)
    manifest["files"] = {name: sha256(partial / name) for name in _content(partial)}
    write_json(partial / MANIFEST, manifest)
    final = final_path(partial)
    if final.exists():  # --out named an empty folder
        final.rmdir()
    partial.rename(final)
    return final


def _content(folder: Path) -> list[str]:
    """The files a job wrote (relative paths), but the manifest and the lock."""
    from stress.storage.locks import LOCK
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name not in (MANIFEST, LOCK) and not p.name.startswith("."))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest records is there, as the job wrote it."""
    for name, expected in (manifest.get("files") or {}).items():
        path = folder / name
        if not path.is_file():
            raise ResultError(f"{path}: missing (the job wrote it; the folder was changed since)")
        if sha256(path) != expected:
            raise ResultError(f"{path}: edited or damaged since the job wrote it (its SHA-256 is not the one "
                              f"{folder / MANIFEST} records); run the job again rather than edit its results")


def refuse_inside_result(path: Path, allowed: Path | None = None) -> None:
    """Refuse to write ``path`` (an --out) inside a result folder, but for the command's
    own ``allowed`` place in it (a report's report.html): a result folder holds what its
    job wrote, and a file written over one of them leaves it unreadable."""
    target = Path(path).resolve()
    if allowed is not None and target == Path(allowed).resolve():
        return
    for folder in (target, *target.parents):
        if (folder / MANIFEST).is_file() and _manifest_or_none(folder) is not None:
            raise UsageError(f"--out {path}: inside the result folder {folder}, which holds what its job "
                             f"wrote; write it somewhere else")


def _manifest_or_none(folder: Path) -> dict[str, Any] | None:
    try:
        return load_manifest(folder)
    except ResultError:
        return None


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for package in ("stress", "numpy", "scipy", "simpy", "pandas", "numba", "pydantic", "pyarrow", "matplotlib",
                    "openpyxl", "SALib", "ema_workbench", "scikit-learn", "distributed"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def system() -> dict[str, Any]:
    """The machine a job started on: a report states it (STRESS-DES items 5.1 and 5.4)."""
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": _processor(),
            "cpus": os.cpu_count()}


def _processor() -> str:
    """The CPU's model name (``platform.processor()`` is empty on most Linux systems)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def git_commit() -> str | None:
    """The commit of the source tree stress runs from, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def load_manifest(folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultError(f"{folder}: no such result folder")
    manifest = read_json(folder / MANIFEST)
    if not isinstance(manifest, dict) or "kind" not in manifest:
        raise ResultError(f"{folder / MANIFEST}: not a stress manifest")
    version = manifest.get("format_version")
    if version is None:
        raise ResultError(f"{folder / MANIFEST}: has no format_version, so it was not written by this tool "
                          f"(or by a version from before result folders were versioned)")
    if version not in READABLE_VERSIONS:
        raise ResultError(f"{folder}: written by a stress version with result format {version!r}; "
                          f"this version reads formats {', '.join(map(str, READABLE_VERSIONS))}")
    return manifest
