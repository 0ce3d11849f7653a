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

TIERS = (1, 2, 3)

# Metrics reported as proportions (a record flag) and as means (a record column).
PROPORTIONS = {
    "p_false_escalation": "false_escalation",
    "p_tier2_on_false_report": "tier2_on_false_report",
    "p_tier3_on_false_report": "tier3_on_false_report",
    "p_backstop_joined": "backstop_joined",
    "p_tier3_stood_down": "tier3_stood_down",
    "p_tier3_objective_first": "tier3_objective_first",
}
MEANS = ("breaches", "detected", "reports", "false_reports", "warnings", "military_responses",
         "tier2_declined", "tier3_declined", "mean_response_latency_hours", "tier3_latency_hours",
         "final_multiplier")
# Yes/no outcomes of a replication that paired points compare replication by replication:
# reached at least tier k, then each proportion's flag.
OUTCOMES = tuple(f"tier{k}" for k in TIERS) + tuple(PROPORTIONS)

_FLAG_COLUMNS = [records.COLUMN[c] for c in PROPORTIONS.values()]
_MEAN_COLUMNS = [records.COLUMN[c] for c in MEANS]
_HIGHEST = records.COLUMN["highest_tier"]


# Mean metrics that are whole numbers (counts): their sums over the points of a study,
# replication by replication, are exact in any order (stress.statistics.uncertainty).
WHOLE_MEANS = ("breaches", "detected", "reports", "false_reports", "warnings", "military_responses",
               "tier2_declined", "tier3_declined")
_WHOLE_COLUMNS = [records.COLUMN[c] for c in WHOLE_MEANS]


def replication_values(values: np.ndarray) -> np.ndarray:
    """(n, K) whole-number statistics of each replication: the yes/no ``OUTCOMES``, the
    ``WHOLE_MEANS`` counts, then the breach count of each class (padding as 0)."""
    classes = np.nan_to_num(values[:, records.N_FIXED:], nan=0.0)
    return np.concatenate([outcomes(values), values[:, _WHOLE_COLUMNS], classes], axis=1).astype(np.int64)


def metric_columns(class_names: Sequence[str]) -> list[str]:
    """Record columns summarised as means, class counts included."""
    return list(MEANS) + [f"breaches_{n}" for n in class_names]


def bin_width_for(horizon: float) -> float:
    """Times to reach a tier are binned at 0.1 hour (6 minutes), coarser for horizons
    beyond 200 days, so a point's histogram has at most 50,001 bins per tier: its
    quantiles are exact to the bin, and the day boundaries of its curves fall on bin
    edges."""
    return max(0.1, horizon / 50_000)


def bin_count_for(horizon: float) -> int:
    return int(math.ceil(horizon / bin_width_for(horizon))) + 1


def reach_times(values: np.ndarray) -> np.ndarray:
    """(n, 3) times at which each replication first reached *at least* tier k."""
    out = values[:, list(records.TIER_COLUMNS)]
    # at least tier k = the earliest of tiers k..3 (NaN where none was reached)
    for k in (1, 0):
        out[:, k] = np.fmin(out[:, k], out[:, k + 1])
    return out


class UnitTallies(NamedTuple):
    """Sufficient statistics of U units. Mean metrics have ``width`` columns: the fixed
    ones, then one per breach class (NaN-padded for points with fewer classes)."""
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
                bin_counts: np.ndarray) -> UnitTallies:
    """Reduce records to tallies: ``values`` stacks the records of U units (``lengths``
    rows each, every unit's classes padded to the same width with ``pad_classes``);
    ``bin_widths``/``bin_counts``: the reach-time binning of each unit's point."""
    means = np.concatenate([values[:, _MEAN_COLUMNS], values[:, records.N_FIXED:]], axis=1)
    finite = ~np.isnan(means)
    clean = np.where(finite, means, 0.0)
    flags = _segment_sums(values[:, _FLAG_COLUMNS], lengths).astype(np.int64)

    times = reach_times(values)
    rows, tiers = np.nonzero(~np.isnan(times))
    unit_of_row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)[rows]
    bins = np.minimum((times[rows, tiers] / bin_widths[unit_of_row]).astype(np.int64),
                      bin_counts[unit_of_row] - 1)
    keys, counts = np.unique(((unit_of_row * len(TIERS) + tiers) << 32) | bins, return_counts=True)
    unit_tier = keys >> 32
    return UnitTallies(
        n=lengths,
        flags=flags,
        sums=_segment_sums(clean, lengths),
        sums_sq=_segment_sums(clean * clean, lengths),
        counts=_segment_sums(finite.astype(np.int64), lengths),
        reach_unit=(unit_tier // len(TIERS)).astype(np.int32),
        reach_tier=(unit_tier % len(TIERS)).astype(np.int8),
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


def pad_classes(block: np.ndarray, width: int) -> np.ndarray:
    """A records matrix widened to ``width`` columns with NaN class counts (a point with
    fewer classes than another of its job)."""
    if block.shape[1] == width:
        return block
    out = np.full((len(block), width), np.nan)
    out[:, :block.shape[1]] = block
    return out


def outcomes(values: np.ndarray) -> np.ndarray:
    """(n, len(OUTCOMES)) yes/no outcomes of each replication."""
    highest = values[:, _HIGHEST]
    reached = highest[:, None] >= np.array(TIERS, dtype=np.float64)[None, :]
    return np.concatenate([reached, values[:, _FLAG_COLUMNS] != 0.0], axis=1)


def pair_cells(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(len(OUTCOMES), 4) counts of replications where both, only the first, only the
    second, or neither had each outcome (``outcomes`` of the same replications)."""
    both = np.sum(first & second, axis=0)
    first_only = np.sum(first & ~second, axis=0)
    second_only = np.sum(~first & second, axis=0)
    neither = len(first) - both - first_only - second_only
    return np.stack([both, first_only, second_only, neither], axis=1).astype(np.int64)
