"""Count series: one row per day, week or month with a count of events (the Line of
Control file's form), cut to a period.

Periods must be consecutive and equally long (days, weeks or calendar months),
listed in increasing order without gaps; an empty count cell reads as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stress.calibration.reading import Table
from stress.calibration.selection import Period, parse_times
from stress.errors import UsageError


@dataclass(frozen=True)
class CountSeries:
    """Counts per consecutive period; ``edges`` in days since ``period.start``."""

    period: Period
    edges: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    unit: str  # "day", "week" or "month"

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    @property
    def horizon(self) -> float:
        return float(self.edges[-1] - self.edges[0])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.edges)


@dataclass(frozen=True)
class RawCounts:
    """All rows of a count column, parsed and checked, before cutting to a period."""

    starts: pd.Series  # period start of each row
    counts: np.ndarray
    unit: str
    empty_cells: int


def read_counts(table: Table, rows: np.ndarray, time_column: str, count_column: str) -> RawCounts:
    """Parse and check the count rows at positions ``rows``."""
    starts = parse_times(table, time_column, rows, "time_column")
    raw = table.frame[count_column].iloc[rows]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    text = raw.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    empty = (text == "") & np.isnan(values)
    bad = np.flatnonzero((np.isnan(values) & ~empty) | (values < 0) | (np.mod(np.nan_to_num(values), 1) != 0))
    if len(bad):
        i = int(bad[0])
        raise UsageError(f"{table.source}: count_column {count_column!r}: {raw.iloc[i]!r} at "
                         f"{table.row(int(rows[i]))} is not a count (a whole number >= 0)")
    counts = np.where(empty, 0.0, values).astype(np.int64)
    stamps = starts.to_numpy()
    for i in range(1, len(stamps)):
        if not stamps[i] > stamps[i - 1]:
            raise UsageError(f"{table.source}: time_column {time_column!r}: {starts.iloc[i].date()} at "
                             f"{table.row(int(rows[i]))} does not come after {starts.iloc[i - 1].date()} at "
                             f"{table.row(int(rows[i - 1]))}: periods must be in increasing order, each once")
    return RawCounts(starts, counts, _unit(table, rows, starts, time_column), int(empty.sum()))


def _unit(table: Table, rows: np.ndarray, starts: pd.Series, column: str) -> str:
    """day, week or month: whichever step every consecutive pair of rows takes."""
    if len(starts) < 2:
        raise UsageError(f"{table.source}: time_column {column!r}: a count series needs at least two periods")
    if (starts != starts.dt.normalize()).any():
        raise UsageError(f"{table.source}: time_column {column!r}: count periods must be dates (no time of day)")
    steps = starts.diff().dt.days.to_numpy()[1:]
    months = (starts.dt.year * 12 + starts.dt.month).diff().to_numpy()[1:]
    for unit, ok in (("day", steps == 1), ("week", steps == 7),
                     ("month", (months == 1) & (starts.dt.day == 1).to_numpy()[1:] & (starts.dt.day.iloc[0] == 1))):
        if ok.all():
            return unit
    i = int(np.flatnonzero(steps != steps[0])[0]) + 1 if (steps != steps[0]).any() else 1
    raise UsageError(f"{table.source}: time_column {column!r}: periods must be consecutive days, weeks or months "
                     f"without gaps; {starts.iloc[i - 1].date()} is followed by {starts.iloc[i].date()} at "
                     f"{table.row(int(rows[i]))}")


def period_ends(raw: RawCounts) -> pd.Series:
    """The day after each period (its exclusive end)."""
    if raw.unit == "month":
        return raw.starts + pd.offsets.MonthBegin(1)
    return raw.starts + pd.Timedelta(days=1 if raw.unit == "day" else 7)


def count_series(raw: RawCounts, period: Period) -> CountSeries:
    """The periods that lie wholly within ``period``."""
    ends = period_ends(raw)
    first, after = pd.Timestamp(period.start), pd.Timestamp(period.end) + pd.Timedelta(days=1)
    inside = ((raw.starts >= first) & (ends <= after)).to_numpy()
    starts = raw.starts[inside]
    if len(starts) == 0:
        return CountSeries(period, np.zeros(1), np.zeros(0, dtype=np.int64), (), raw.unit)
    # the series covers its whole periods: the period is trimmed to them
    covered = Period(starts.iloc[0].date(), (ends[inside].iloc[-1] - pd.Timedelta(days=1)).date())
    edges = np.array([(s.date() - covered.start).days for s in starts]
                     + [(ends[inside].iloc[-1].date() - covered.start).days], dtype=np.float64)
    fmt = "%Y-%m" if raw.unit == "month" else "%Y-%m-%d"
    labels = tuple(s.strftime(fmt) for s in starts)
    return CountSeries(covered, edges, raw.counts[inside], labels, raw.unit)
