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
from stress.model.records import to_job
from stress.statistics.tally import (Outputs, TaskResult, bin_count_for, bin_width_for, concat_tallies, outcomes,
                                     pair_cells, paired_sums, replication_values, statistic_values, tally_units)


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
    outputs: Outputs                     # the job's statistics, by column of its records' layout
    scatter: dict[int, np.ndarray | None]  # per point: where its record columns go in the job's layout
    keep_records: bool
    replication_sums: bool = False       # also sum each replication's whole-number statistics over the units
    kept: tuple[int, ...] | None = None  # with keep_records: only these statistics of each replication
                                         # (tally.statistic_values), not its whole record


# A task's records are reduced to tallies in batches of about this many replications,
# so a worker's memory does not grow with the size of its task (tallies are per unit:
# batching changes no number).
TALLY_ROWS = 4096


def run_task(task: Task) -> TaskResult:
    out = task.outputs
    workspace = new_workspace(task.engine)
    units, seconds, pairs, cells, pair_means = [], [], [], [], []
    tallies, kept, sums = [], [], {}
    batch: list[np.ndarray] = []   # records of units[len(units) - len(batch):], not yet tallied

    def reduce_batch() -> None:
        values = batch[0] if len(batch) == 1 else np.concatenate(batch)
        unit_array = np.array(units[len(units) - len(batch):], dtype=np.int64)
        horizons = [task.params[p].horizon for p in unit_array[:, 0].tolist()]
        tallies.append(tally_units(values, unit_array[:, 2], np.array([bin_width_for(h) for h in horizons]),
                                   np.array([bin_count_for(h) for h in horizons], dtype=np.int64), out))
        if task.replication_sums:
            _add_replication_sums(sums, values, unit_array, out)
        if task.keep_records:
            kept.append(values if task.kept is None else statistic_values(values, out, task.kept))
        batch.clear()

    rows = 0   # in the batch
    for group, start, count in zip(task.groups, task.starts, task.counts):
        seen = []
        for point in group:
            params = task.params[point]
            began = time.thread_time()
            values = simulate_chunk(task.engine, params, task.seed, start, count, workspace)
            seconds.append(time.thread_time() - began)
            units.append((point, start, count))
            values = to_job(values, task.scatter[point], out.width)
            batch.append(values)
            rows += count
            if len(group) > 1:
                mine = outcomes(values, out), values[:, list(out.mean_columns)]
                for other, theirs in seen:
                    pairs.append((other, point, start))
                    cells.append(pair_cells(theirs[0], mine[0]))
                    pair_means.append(paired_sums(theirs[1], mine[1]))
                seen.append((point, mine))
            if rows >= TALLY_ROWS:
                reduce_batch()
                rows = 0
    if batch:
        reduce_batch()
    return TaskResult(np.array(units, dtype=np.int64).reshape(-1, 3), concat_tallies(tallies), np.array(seconds),
                      np.array(pairs, dtype=np.int64).reshape(-1, 3),
                      np.array(cells, dtype=np.int64).reshape(-1, len(out.outcomes), 4),
                      (kept[0] if len(kept) == 1 else np.concatenate(kept)) if task.keep_records else None,
                      np.array(list(sums), dtype=np.int64).reshape(-1, 2) if task.replication_sums else None,
                      np.concatenate(list(sums.values())) if task.replication_sums else None,
                      np.array(pair_means, dtype=np.float64).reshape(-1, len(out.mean_columns), 3))


def _add_replication_sums(sums: dict[tuple[int, int], np.ndarray], values: np.ndarray, units: np.ndarray,
                          out: Outputs) -> None:
    """Add ``replication_values`` of each unit to the sums of its replication range
    (start, count) over the units (points) that ran it: integers, so the total over a
    study is exact in any order."""
    per_row = replication_values(values, out)
    row = 0
    for _point, start, count in units.tolist():
        part = per_row[row:row + count]
        key = (start, count)
        sums[key] = part.copy() if key not in sums else sums[key] + part
        row += count


def run_tasks(tasks: list[Task]) -> list[TaskResult]:
    return [run_task(task) for task in tasks]
