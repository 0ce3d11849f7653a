"""Event logs: one row per event, dated to the day or timed, filtered and cut to a
period; and how their ties are handled.

An event is known to lie in a window [low, high) of days since the period's start:
one day for events dated to the day, a longer window for UCDP events whose date is
only known within a range (``date_prec`` > 1: ``date_start`` to ``date_end``), none
for exact times. The likelihood needs distinct times, so the fit uses several
*jittered copies* of the log, each event placed uniformly at random in its window
(``jittered``): the time of day is missing data, and the copies are its multiple
imputations (``stress.calibration.hawkes`` combines them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stress.calibration.reading import Table
from stress.calibration.selection import Period, days_since, parse_times, resolution_days
from stress.errors import UsageError

UCDP_TIME, UCDP_END, UCDP_PRECISION, UCDP_SEVERITY = "date_start", "date_end", "date_prec", "best"


@dataclass(frozen=True)
class EventLog:
    """Events of one period, sorted by ``low``; times in days since the period's
    start."""

    period: Period
    low: np.ndarray = field(repr=False)
    high: np.ndarray = field(repr=False)
    severity: np.ndarray | None = field(repr=False)
    resolution: float  # days: the window of a single-timestamp event (0: exact)

    @property
    def count(self) -> int:
        return int(self.low.size)

    @property
    def horizon(self) -> float:
        return float(self.period.days)

    @property
    def exact(self) -> bool:
        return bool(np.all(self.high == self.low))

    def jittered(self, generator: np.random.Generator, copies: int) -> np.ndarray:
        """``copies`` sorted rows of event times, each event uniform in its window
        (one row, the times themselves, when they are exact)."""
        if self.exact:
            return self.low[None, :].copy()
        draws = self.low + generator.random((copies, self.count)) * (self.high - self.low)
        return np.sort(draws, axis=1)

    def counts(self, width_days: int = 7) -> np.ndarray:
        """Events per whole ``width_days`` bin from the period's start (a last
        partial bin is left out), by each event's earliest day."""
        bins = self.period.days // width_days
        index = np.floor(self.low / width_days).astype(np.int64)
        return np.bincount(index[index < bins], minlength=bins)


def event_logs(table: Table, rows: np.ndarray, time_column: str, end_column: str | None,
               severity_column: str | None, periods: list[Period], time_option: str = "time_column"
               ) -> list[EventLog]:
    """The events of rows ``rows`` (positions in the table) in each of ``periods``,
    an event belonging to the period of its start."""
    times = parse_times(table, time_column, rows, time_option)
    resolution = resolution_days(times)
    ends = None
    if end_column is not None:
        ends = parse_times(table, end_column, rows, "date end column")
        backwards = np.flatnonzero((ends < times.dt.normalize()).to_numpy())
        if len(backwards):
            i = int(backwards[0])
            raise UsageError(f"{table.source}: {table.row(int(rows[i]))}: {end_column} {ends.iloc[i].date()} is "
                             f"before {time_column} {times.iloc[i].date()}: an event's dates must run forward")
    severity = None
    if severity_column is not None:
        severity = _numbers(table, severity_column, rows)
    logs = []
    for period in periods:
        low = days_since(times, period.start)
        inside = (low >= 0.0) & (low < period.days)
        start = low[inside]
        if ends is not None:
            # the window runs to the end of the end date, within the period
            high = np.minimum(days_since(ends, period.start)[inside] + 1.0, period.days)
            high = np.maximum(high, np.minimum(start + resolution, period.days))
        else:
            high = np.minimum(start + resolution, period.days)
        order = np.argsort(start, kind="stable")
        logs.append(EventLog(period, start[order], high[order],
                             None if severity is None else severity[inside][order], resolution))
    return logs


def _numbers(table: Table, column: str, rows: np.ndarray) -> np.ndarray:
    series = table.frame[column].iloc[rows]
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        shown = "; ".join(f"{table.row(int(rows[i]))}: {series.iloc[i]!r}" for i in bad[:3])
        raise UsageError(f"{table.source}: classes column {column!r}: not a number at {shown}")
    return values
