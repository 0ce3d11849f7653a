"""The data a calibration uses: read, filtered, and cut to the training period and
the optional test period, as an event log or as a count series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from stress.calibration.classes import ClassSpec
from stress.calibration.counts import CountSeries, count_series, period_ends, read_counts
from stress.calibration.events import UCDP_END, UCDP_PRECISION, UCDP_TIME, EventLog, event_logs
from stress.calibration.reading import Table, read_table
from stress.calibration.selection import (Filters, Period, WhereSpec, filter_mask, make_period, parse_date,
                                          parse_times, parse_where)
from stress.errors import UsageError


@dataclass(frozen=True)
class Selection:
    """How the rows were chosen: for the report and the scenario's comment."""

    source: str
    format: str
    time_column: str
    count_column: str | None
    filters: Filters
    date_precision: int | None  # UCDP: the largest date_prec kept
    rows_read: int
    rows_selected: int
    dropped_imprecise: int
    empty_count_cells: int
    period_from_events: bool  # no start or no end given: the period ends at an event

    def describe_filters(self) -> str:
        parts = [f"{column} = {', '.join(values)}" for column, values in self.filters]
        if self.date_precision is not None:
            parts.append(f"{UCDP_PRECISION} <= {self.date_precision}")
        return "; ".join(parts) if parts else "none"


@dataclass(frozen=True)
class Dataset:
    selection: Selection
    train: EventLog | CountSeries
    test: EventLog | CountSeries | None


def load_dataset(events: str | Path | pd.DataFrame, *, format: str | None, time_column: str | None,
                 where: WhereSpec, start: str | date | None, end: str | date | None,
                 test_start: str | date | None, test_end: str | date | None, count_column: str | None,
                 classes: ClassSpec | None, date_precision: int | None) -> Dataset:
    table = read_table(events, format)
    ucdp = table.format == "ucdp"
    time_column = time_column or (UCDP_TIME if ucdp else None)
    if time_column is None:
        raise UsageError(f"{table.source}: time_column is required for format {table.format} (the column with "
                         f"each event's date or time); columns: {', '.join(map(str, table.frame.columns[:30]))}")
    table.require(time_column, "time_column")
    if count_column is not None:
        table.require(count_column, "count_column")
        if classes is not None:
            raise UsageError(f"{table.source}: classes need one row per event with its severity; a count series "
                             f"(count_column {count_column!r}) has none")
    if classes is not None:
        table.require(classes.column, "classes column")
    filters = parse_where(where)
    mask = filter_mask(table, filters)
    dropped = 0
    precision = None
    end_column = None
    if ucdp and count_column is None:
        table.require(UCDP_PRECISION, "UCDP column")
        end_column = UCDP_END if UCDP_END in table.frame.columns else None
        if date_precision is not None:
            precision = date_precision
            prec = pd.to_numeric(table.frame[UCDP_PRECISION], errors="coerce").to_numpy(dtype=np.float64,
                                                                                       na_value=np.nan)
            keep = prec <= date_precision
            dropped = int(np.count_nonzero(mask & ~keep))
            mask &= keep
    rows = np.flatnonzero(mask)
    where_text = _where_text(filters, precision)
    if rows.size == 0:
        raise UsageError(f"{table.source}: no events after filtering ({where_text})")

    starts, ends = parse_date(start, "start"), parse_date(end, "end")
    t_start, t_end = parse_date(test_start, "test_start"), parse_date(test_end, "test_end")
    if t_end is not None and t_start is None:
        raise UsageError("test_end given without test_start: give the test period's first day too")

    if count_column is not None:
        raw = read_counts(table, rows, time_column, count_column)
        first, last = raw.starts.iloc[0].date(), (period_ends(raw).iloc[-1] - pd.Timedelta(days=1)).date()
    else:
        raw = None
        stamps = parse_times(table, time_column, rows, "time_column")
        first, last = stamps.min().date(), stamps.max().date()

    period = make_period(starts, ends if ends is not None or t_start is None else min(last, t_start - timedelta(days=1)),
                         first, last, "start", "end")
    test_period = None
    if t_start is not None:
        test_period = make_period(t_start, t_end, t_start, last, "test_start", "test_end")
        if test_period.start <= period.end and test_period.end >= period.start:
            raise UsageError(f"test period {test_period.label} overlaps the fitting period {period.label}: "
                             f"validation needs data the fit has not seen")
    periods = [period] + ([test_period] if test_period is not None else [])

    if raw is not None:
        pieces: list[EventLog | CountSeries] = [count_series(raw, p) for p in periods]
        empty = raw.empty_cells
    else:
        pieces = event_logs(table, rows, time_column, end_column, classes.column if classes else None, periods)
        empty = 0
    if pieces[0].count == 0:
        raise UsageError(f"{table.source}: no events in the period {period.label} after filtering ({where_text})")
    if raw is not None and len(pieces[0].counts) < 3:
        raise UsageError(f"{table.source}: {len(pieces[0].counts)} whole {raw.unit}(s) in the period "
                         f"{period.label}: fewer counts than the Hawkes model's 3 parameters")
    if test_period is not None and raw is not None and len(pieces[1].counts) == 0:
        raise UsageError(f"{table.source}: no whole {raw.unit} of counts in the test period {test_period.label}")
    from_events = count_column is None and (starts is None or (ends is None and t_start is None))
    selection = Selection(table.source, table.format, time_column, count_column, filters, precision,
                          len(table.frame), int(rows.size), dropped, empty, from_events)
    return Dataset(selection, pieces[0], pieces[1] if test_period is not None else None)


# The checks count events per week (an event log's) and simulate every counting period
# 1,000 times: a fitting period needs whole weeks to count, and 100 years of weeks (or
# days, of a count series) is already 5,000 (36,500) periods per simulation.
MIN_WEEKS = 3
MAX_YEARS = 100


def check_lengths(data: Dataset) -> None:
    """The periods are long enough for the checks, and short enough to simulate."""
    source, events = data.selection.source, data.selection.count_column is None
    for which, piece, weeks in (("fitting", data.train, MIN_WEEKS), ("test", data.test, 1)):
        if piece is None:
            continue
        p = piece.period
        if p.days > MAX_YEARS * 365.25:
            raise UsageError(f"{source}: the {which} period {p.label} spans {p.days / 365.25:,.0f} years; a "
                             f"calibration covers at most {MAX_YEARS} (its checks simulate every week of it); "
                             f"choose the period with --from and --to" + (" (--test-from, --test-to)"
                                                                           if which == "test" else ""))
        if events and p.days < 7 * weeks:
            raise UsageError(f"{source}: the {which} period {p.label} is {p.days} day(s); the checks count events "
                             f"per week and need at least {weeks} whole week{'s' if weeks > 1 else ''} "
                             f"({7 * weeks} days): give the period the data cover with "
                             + ("--from and --to" if which == "fitting" else "--test-from and --test-to"))


def _where_text(filters: Filters, precision: int | None) -> str:
    parts = [f"where {column}={','.join(values)}" for column, values in filters]
    if precision is not None:
        parts.append(f"{UCDP_PRECISION} <= {precision}")
    return "; ".join(parts) if parts else "no filters"


__all__ = ["Dataset", "Selection", "Table", "load_dataset", "Period"]
