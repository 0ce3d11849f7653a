"""``stress results``: every result folder in a folder, with its kind, status and main
numbers on one line (each kind's ``headline``)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from stress import kinds
from stress.storage import folders as store
from stress.storage.reading import ResultView, finish_hint, incomplete, load_result


class ResultEntry(NamedTuple):
    """One folder in a listing of results."""
    id: str                  # the folder's name
    kind: str
    status: str              # complete, incomplete or damaged
    scenario: str
    n: int | None            # replications (per point of a sweep, the most any point ran; per variant)
    created: str
    headline: str            # the main numbers, how to resume, or what is damaged
    path: Path


def results(folder: str | Path = "results") -> list[ResultEntry]:
    """Every result folder directly inside ``folder``, oldest first. Damaged and
    incomplete ones are listed as such, with what is wrong or how to finish them."""
    folder = Path(folder)
    store.check_parent(folder)
    if not folder.is_dir():
        raise store.ResultError(f"{folder}: no such folder (every command that writes a result folder writes it there)")
    entries = [_entry(path) for path in folder.iterdir() if path.is_dir() and not path.name.startswith(".")]
    return sorted(entries, key=lambda e: (e.created, e.id))


def _entry(path: Path) -> ResultEntry:
    try:
        manifest = store.load_manifest(path)
    except store.ResultError as exc:
        return ResultEntry(path.name, "?", "damaged", "", None, "", str(exc), path)
    kind = str(manifest["kind"])
    n = manifest.get("n")
    per_point = manifest.get("n_per_point")
    if isinstance(per_point, list) and per_point and all(isinstance(v, int) for v in per_point):
        n = max(per_point)  # --precision may have added replications to some points
    fields = (path.name, kind)  # the name to pass to show, export, plot and report
    rest = (str(manifest.get("scenario", "")), n if isinstance(n, int) else None, str(manifest.get("created", "")))
    if incomplete(path, manifest):
        hint = finish_hint(kind, path) if kind in kinds.REGISTRY else "an incomplete folder of an unknown kind"
        return ResultEntry(*fields, "incomplete", *rest, hint, path)
    try:
        view = load_result(path)
    except store.ResultError as exc:
        return ResultEntry(*fields, "damaged", *rest, str(exc), path)
    return ResultEntry(*fields, "complete", *rest, headline(view), path)


def headline(view: ResultView) -> str:
    """The main numbers of a result on one line."""
    return kinds.output(view.kind).headline(view)
