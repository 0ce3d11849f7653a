"""What a worker does: run a task's units and reduce them to tallies.

A task is a run of consecutive *items*; an item is a replication range run by a group
of points (one point, or several that are compared replication by replication). The
worker simulates each (point, range) unit, tallies it (``stress.statistics.tally``),
and, for a group, counts how each pair of its points agreed replication by
replication. What it sends back is a few arrays, whatever the number of units.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from stress.engines import new_workspace, simulate_chunk
from stress.model.params import Params
from stress.model.records import N_FIXED
from stress.statistics.tally import (OUTCOMES, UnitTallies, bin_count_for, bin_width_for, outcomes, pad_classes,
                                     pair_cells, replication_values, tally_units)


class Item(NamedTuple):
    group: int              # index of the job's group of points
    start: int              # first replication
    count: int


class Task(NamedTuple):
    engine: str
    seed: int
    groups: tuple[tuple[int, ...], ...]   # per item: the points that run it
    starts: tuple[int, ...]
    counts: tuple[int, ...]
    params: dict[int, Params]            # every point the task runs
    n_classes: int                       # class columns of the tallies (the job's most)
    keep_records: bool
    replication_sums: bool = False       # also sum each replication's whole-number statistics over the units


class TaskResult(NamedTuple):
    units: np.ndarray                    # (U, 3): point, first replication, count; items in order, a group's points in order
    tallies: UnitTallies
    seconds: np.ndarray                  # (U,) compute time of each unit
    pairs: np.ndarray                    # (Q, 3): point a, point b, first replication
    cells: np.ndarray                    # (Q, len(OUTCOMES), 4): both, a only, b only, neither
    records: np.ndarray | None           # every unit's records, stacked in unit order (NaN-padded classes)
    replication_blocks: np.ndarray | None = None  # (B, 2): first replication, count of each block of ...
    replication_sums: np.ndarray | None = None    # ... (sum of counts, K): replication_values summed over units


def run_task(task: Task) -> TaskResult:
    width = N_FIXED + task.n_classes
    workspace = new_workspace(task.engine)
    units, blocks, seconds, pairs, cells = [], [], [], [], []
    for group, start, count in zip(task.groups, task.starts, task.counts):
        seen = []
        for point in group:
            params = task.params[point]
            began = time.perf_counter()
            values = simulate_chunk(task.engine, params, task.seed, start, count, workspace)
            seconds.append(time.perf_counter() - began)
            units.append((point, start, count))
            blocks.append(pad_classes(values, width))
            if len(group) > 1:
                mine = outcomes(values)
                for other, theirs in seen:
                    pairs.append((other, point, start))
                    cells.append(pair_cells(theirs, mine))
                seen.append((point, mine))
    unit_array = np.array(units, dtype=np.int64).reshape(-1, 3)
    values = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    horizons = [task.params[p].horizon for p in unit_array[:, 0].tolist()]
    tallies = tally_units(values, unit_array[:, 2], np.array([bin_width_for(h) for h in horizons]),
                          np.array([bin_count_for(h) for h in horizons], dtype=np.int64))
    blocks_, sums = _replication_sums(values, unit_array) if task.replication_sums else (None, None)
    return TaskResult(unit_array, tallies, np.array(seconds), np.array(pairs, dtype=np.int64).reshape(-1, 3),
                      np.array(cells, dtype=np.int64).reshape(-1, len(OUTCOMES), 4),
                      values if task.keep_records else None, blocks_, sums)


def _replication_sums(values: np.ndarray, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replication range run by the task, ``replication_values`` summed over the units
    (points) that ran it: integers, so the total over a study is exact in any order."""
    per_row = replication_values(values)
    ranges: dict[tuple[int, int], np.ndarray] = {}
    row = 0
    for _point, start, count in units.tolist():
        part = per_row[row:row + count]
        key = (start, count)
        ranges[key] = part.copy() if key not in ranges else ranges[key] + part
        row += count
    return np.array(list(ranges), dtype=np.int64).reshape(-1, 2), np.concatenate(list(ranges.values()))


def run_tasks(tasks: list[Task]) -> list[TaskResult]:
    return [run_task(task) for task in tasks]
