"""From records to sufficient statistics, where the replications ran.

A *unit* is one point's replications ``start .. start + count - 1``. A task's units are
reduced together in a few vectorised numpy calls to what their points' summaries need:
counts of each yes/no metric, sums and sums of squares of the others, and the times
each tier was reached as a sparse histogram. So a unit of a single replication costs
microseconds, and what travels back to the parent is small whatever N is.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from stress.model import records


class Outputs(NamedTuple):
    """What a job's records are reduced to, by column of its records' layout (one plan's,
    or the union of its plans': ``records.union``): the tiers, whose reach times give
    'reached at least tier X' in plan order; the proportions (a yes/no column each,
    ``p_<column>``); the means (every other count or quantity, ``mean_<column>``, the
    class counts last)."""
    tiers: tuple[str, ...]
    tier_columns: tuple[int, ...]
    proportions: tuple[str, ...]
    flag_columns: tuple[int, ...]
    means: tuple[str, ...]
    mean_columns: tuple[int, ...]
    whole_columns: tuple[int, ...]   # the means that are whole numbers (counts), classes included
    width: int

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Yes/no outcomes of a replication that paired points compare replication by
        replication: reached at least each tier, then each proportion's flag."""
        return self.tiers + self.proportions

    @property
    def metric_names(self) -> tuple[str, ...]:
        return self.proportions + self.means

    @property
    def whole_means(self) -> tuple[str, ...]:
        """Names of the whole-number means (in ``whole_columns``' order)."""
        by_column = dict(zip(self.mean_columns, self.means))
        return tuple(by_column[c] for c in self.whole_columns)


# Columns that are neither a proportion nor a mean (nor are the tiers' times).
_NOT_SUMMARISED = ("replication", "highest_tier")


def outputs_of(layout: records.Layout) -> Outputs:
    tier_columns = tuple(layout.tier_column(t, "hours") for t in layout.tiers)
    times = set(tier_columns) | {layout.tier_column(t, "arrived_hours") for t in layout.tiers}
    flags, means, whole = [], [], []
    for column, (name, dtype) in enumerate(zip(layout.names, layout.dtypes)):
        if name in _NOT_SUMMARISED or column in times:
            continue
        if dtype == "bool":
            flags.append(column)
        else:
            means.append(column)
            if dtype.startswith("int"):
                whole.append(column)
    # the final multiplier is a fixed column but reads best after the tiers' means
    final = layout.index["final_multiplier"]
    means.remove(final)
    means.insert(len([c for c in means if c < layout.class_start]), final)
    return Outputs(tuple(layout.tiers), tier_columns, tuple(f"p_{layout.names[c]}" for c in flags), tuple(flags),
                   tuple(f"mean_{layout.names[c]}" for c in means), tuple(means), tuple(whole), layout.width)


def replication_values(values: np.ndarray, out: Outputs) -> np.ndarray:
    """(n, K) whole-number statistics of each replication: the yes/no ``outcomes``, then
    the whole-number means (counts; a column a point's plan lacks counts 0)."""
    counts = np.nan_to_num(values[:, list(out.whole_columns)], nan=0.0)
    return np.concatenate([outcomes(values, out), counts], axis=1).astype(np.int64)


def statistic_names(out: Outputs) -> tuple[str, ...]:
    """Every statistic a replication has a value of, by the names of the tables: reached
    at least each tier (``<tier>_p``), each proportion's flag, each mean's quantity."""
    return tuple(f"{t}_p" for t in out.tiers) + out.proportions + out.means


# In ``statistic_values``, this index stands for a fingerprint of the whole record: equal
# records give equal numbers and different ones (almost surely) different numbers, so
# two points whose replications all match can be told apart from two that differ a little.
FINGERPRINT = -1


def statistic_values(values: np.ndarray, out: Outputs, which: Sequence[int]) -> np.ndarray:
    """(n, len(which)) each replication's value of the statistics ``which`` (indexes into
    ``statistic_names``, or FINGERPRINT): 1 or 0 for a yes/no, the quantity for a mean
    (NaN where the replication has none, as the mean leaves it out)."""
    yes_no = outcomes(values, out)
    columns = []
    for i in which:
        if i == FINGERPRINT:
            columns.append(_fingerprint(values))
        elif i < yes_no.shape[1]:
            columns.append(yes_no[:, i].astype(np.float64))
        else:
            columns.append(values[:, out.mean_columns[i - yes_no.shape[1]]])
    return np.stack(columns, axis=1) if columns else np.zeros((len(values), 0))


def _fingerprint(values: np.ndarray) -> np.ndarray:
    """Each record's values in a fixed random projection (the same coefficients in every
    process; a missing value counts as a number no record holds)."""
    coefficients = np.random.default_rng(0xF1A9).random(values.shape[1]) + 0.5
    return np.where(np.isnan(values), -7.77e77, values) @ coefficients


def bin_width_for(horizon: float) -> float:
    """Times to reach a tier are binned at 0.1 hour (6 minutes), coarser for horizons
    beyond 200 days, so a point's histogram has at most 50,001 bins per tier: its
    quantiles are exact to the bin, and the day boundaries of its curves fall on bin
    edges."""
    return max(0.1, horizon / 50_000)


def bin_count_for(horizon: float) -> int:
    return int(math.ceil(horizon / bin_width_for(horizon))) + 1


def reach_times(values: np.ndarray, out: Outputs) -> np.ndarray:
    """(n, T) times at which each replication first reached *at least* each tier."""
    times = values[:, list(out.tier_columns)]
    # at least tier k = the earliest of tier k and every later one (NaN where none was)
    for k in range(len(out.tiers) - 2, -1, -1):
        times[:, k] = np.fmin(times[:, k], times[:, k + 1])
    return times


class UnitTallies(NamedTuple):
    """Sufficient statistics of U units, by the columns of a job's ``Outputs`` (a point
    whose plan lacks a column has NaN there: its flags count 0, its means no values)."""
    n: np.ndarray            # (U,) replications
    flags: np.ndarray        # (U, F) how many replications had each proportion's flag
    sums: np.ndarray         # (U, M) sums over the non-NaN values of each mean metric
    sums_sq: np.ndarray      # (U, M)
    counts: np.ndarray       # (U, M) non-NaN values
    reach_unit: np.ndarray   # (K,) sparse histogram of reach times, sorted by unit, tier, bin
    reach_tier: np.ndarray   # (K,) 0-based tier
    reach_bin: np.ndarray    # (K,)
    reach_count: np.ndarray  # (K,) replications in that bin


def tally_units(values: np.ndarray, lengths: np.ndarray, bin_widths: np.ndarray,
                bin_counts: np.ndarray, out: Outputs) -> UnitTallies:
    """Reduce records to tallies: ``values`` stacks the records of U units (``lengths``
    rows each, all in the job's layout: ``records.to_job``); ``bin_widths``/``bin_counts``:
    the reach-time binning of each unit's point."""
    n_tiers = len(out.tiers)
    means = values[:, list(out.mean_columns)]
    finite = ~np.isnan(means)
    clean = np.where(finite, means, 0.0)
    flags = _segment_sums(np.nan_to_num(values[:, list(out.flag_columns)], nan=0.0), lengths).astype(np.int64)

    times = reach_times(values, out)
    rows, tiers = np.nonzero(~np.isnan(times))
    unit_of_row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)[rows]
    bins = np.minimum((times[rows, tiers] / bin_widths[unit_of_row]).astype(np.int64),
                      bin_counts[unit_of_row] - 1)
    keys, counts = np.unique(((unit_of_row * n_tiers + tiers) << 32) | bins, return_counts=True)
    unit_tier = keys >> 32
    return UnitTallies(
        n=lengths,
        flags=flags,
        sums=_segment_sums(clean, lengths),
        sums_sq=_segment_sums(clean * clean, lengths),
        counts=_segment_sums(finite.astype(np.int64), lengths),
        reach_unit=(unit_tier // n_tiers).astype(np.int32),
        reach_tier=(unit_tier % n_tiers).astype(np.int8),
        reach_bin=(keys & 0xFFFFFFFF).astype(np.int32),
        reach_count=counts.astype(np.int64),
    )


def concat_tallies(parts: Sequence[UnitTallies]) -> UnitTallies:
    """The tallies of consecutive groups of units as one (units in the order given)."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [len(t.n) for t in parts[:-1]])
    fields = []
    for name in UnitTallies._fields:
        arrays = [getattr(t, name) for t in parts]
        if name == "reach_unit":
            arrays = [(a + o).astype(a.dtype) for a, o in zip(arrays, offsets)]
        fields.append(np.concatenate(arrays))
    return UnitTallies(*fields)


def _segment_sums(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Column sums of consecutive row segments, each by numpy's pairwise summation over
    the segment's values alone: a unit's sums depend on its rows only, not on the units
    packed with it."""
    columns = np.ascontiguousarray(x.T)  # each column's values contiguous: pairwise sums
    out = np.empty((len(lengths), x.shape[1]), dtype=x.dtype)
    unit = row = 0
    while unit < len(lengths):
        length = int(lengths[unit])
        same = unit + 1
        while same < len(lengths) and lengths[same] == length:
            same += 1
        rows = (same - unit) * length
        out[unit:same] = columns[:, row:row + rows].reshape(x.shape[1], same - unit, length).sum(axis=2).T
        unit, row = same, row + rows
    return out


def outcomes(values: np.ndarray, out: Outputs) -> np.ndarray:
    """(n, len(out.outcomes)) yes/no outcomes of each replication (a column a point's
    plan lacks is never yes)."""
    reached = ~np.isnan(reach_times(values, out))
    return np.concatenate([reached, values[:, list(out.flag_columns)] == 1.0], axis=1)


def paired_sums(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(means, 3): for each mean metric of the same replications of two points, the sum
    of the differences second - first, of their squares, and how many replications had
    both defined (NaN-padded columns a plan lacks count for neither)."""
    difference = second - first
    defined = ~np.isnan(difference)
    clean = np.where(defined, difference, 0.0)
    return np.stack([clean.sum(axis=0), (clean * clean).sum(axis=0), defined.sum(axis=0)], axis=1)


def pair_cells(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(len(outcomes), 4) counts of replications where both, only the first, only the
    second, or neither had each outcome (``outcomes`` of the same replications)."""
    both = np.sum(first & second, axis=0)
    first_only = np.sum(first & ~second, axis=0)
    second_only = np.sum(~first & second, axis=0)
    neither = len(first) - both - first_only - second_only
    return np.stack([both, first_only, second_only, neither], axis=1).astype(np.int64)


class TaskResult(NamedTuple):
    """What a task sends back (``stress.execution.tasks.run_task``) and a checkpoint
    keeps: its units' tallies, and what a job asked for besides."""
    units: np.ndarray                    # (U, 3): point, first replication, count; items in order, a group's points in order
    tallies: UnitTallies
    seconds: np.ndarray                  # (U,) CPU seconds of each unit's simulation (not inflated by load)
    pairs: np.ndarray                    # (Q, 3): point a, point b, first replication
    cells: np.ndarray                    # (Q, outcomes, 4): both, a only, b only, neither
    records: np.ndarray | None           # every unit's records, stacked in unit order (in the job's layout)
    replication_blocks: np.ndarray | None = None  # (B, 2): first replication, count of each block of ...
    replication_sums: np.ndarray | None = None    # ... (sum of counts, K): replication_values summed over units
    pair_means: np.ndarray | None = None          # (Q, means, 3): per pair, each mean's b - a summed, squared, counted
