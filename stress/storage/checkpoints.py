"""Checkpoints of a job in progress: each finished task's results in one file.

A file is written under a temporary name and renamed when complete, so a job killed
mid-write leaves either the whole file or none. Files hold arrays only (``.npz``,
read without pickle). ``--resume`` reads them all and runs only the units missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from stress.statistics.tally import TaskResult, UnitTallies
from stress.storage.folders import CHECKPOINTS, atomic_file


class Saved(NamedTuple):
    path: Path
    result: TaskResult          # its records left on disk (``records`` is None)
    has_records: bool


def save(partial: Path, sequence: int, result: TaskResult) -> Path:
    arrays = {f"tally_{name}": value for name, value in result.tallies._asdict().items()}
    arrays |= {"units": result.units, "seconds": result.seconds, "pairs": result.pairs, "cells": result.cells}
    if result.records is not None:
        arrays["records"] = result.records
    if result.replication_sums is not None:
        arrays |= {"replication_blocks": result.replication_blocks, "replication_sums": result.replication_sums}
    if result.pair_means is not None:
        arrays["pair_means"] = result.pair_means
    path = partial / CHECKPOINTS / f"t{sequence:07d}.npz"
    with atomic_file(path, sync=False) as handle:  # losing the last checkpoint to a crash only costs its rerun
        np.savez(handle, **arrays)
    return path


def load_all(partial: Path) -> list[Saved]:
    """Every readable checkpoint, in the order written (an unreadable one is skipped:
    its units run again)."""
    saved = []
    for path in sorted((partial / CHECKPOINTS).glob("t*.npz")):
        try:
            with np.load(path, allow_pickle=False) as data:
                tallies = UnitTallies(**{name: data[f"tally_{name}"] for name in UnitTallies._fields})
                sums = ("replication_blocks", "replication_sums")
                extra = tuple(data[k] for k in sums) if all(k in data.files for k in sums) else (None, None)
                result = TaskResult(data["units"], tallies, data["seconds"], data["pairs"], data["cells"], None, *extra,
                                    data["pair_means"] if "pair_means" in data.files else None)
                saved.append(Saved(path, result, "records" in data.files))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return saved


def load_records(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as data:
        return data["records"]


def next_sequence(partial: Path) -> int:
    """The number of the next checkpoint file in ``partial``."""
    numbers = [int(p.stem[1:]) for p in (partial / CHECKPOINTS).glob("t*.npz") if p.stem[1:].isdigit()]
    return max(numbers, default=-1) + 1


def saved_units(partial: Path) -> int:
    """How many units the checkpoints in ``partial`` hold."""
    return sum(len(s.result.units) for s in load_all(partial))
