"""Choosing rows: ``where`` filters, the observation periods, and reading dates.

Shared by event logs (``events``) and count series (``counts``). Every problem is a
``UsageError`` that names the file, the option or column, the value and what is
allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from stress.calibration.reading import Table, suggestion
from stress.errors import UsageError

Filters = tuple[tuple[str, tuple[str, ...]], ...]
WhereSpec = Mapping[str, str | Sequence[str]] | Sequence[str] | str | None


@dataclass(frozen=True)
class Period:
    """Whole days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def day_of(self, when: date) -> int:
        """Days from the period's start to ``when``."""
        return (when - self.start).days


def parse_date(value: str | date | None, option: str) -> date | None:
    """A date option (ISO ``YYYY-MM-DD``) or None."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{option} {value!r}: not a date; expected YYYY-MM-DD, for example 2016-01-01") from None


def make_period(start: date | None, end: date | None, first: date, last: date,
                start_option: str, end_option: str) -> Period:
    """The period from ``start`` to ``end`` (defaults: ``first`` and ``last``)."""
    period = Period(start or first, end or last)
    if period.start > period.end:
        raise UsageError(f"{start_option} {period.start.isoformat()} is after {end_option} "
                         f"{period.end.isoformat()}: the period must run forward")
    return period


def parse_where(where: WhereSpec) -> Filters:
    """Filters as ((column, allowed values), ...) from a mapping {column: value or
    values} or from ``COL=V1,V2`` strings (one per filter)."""
    if where is None:
        return ()
    if isinstance(where, str):
        where = [where]
    filters: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(where, Mapping):
        for column, values in where.items():
            values = [values] if isinstance(values, str) or not isinstance(values, Sequence) else values
            filters.append((str(column), tuple(str(v) for v in values)))
    else:
        for text in where:
            column, sep, values = str(text).partition("=")
            column = column.strip()
            parts = tuple(v.strip() for v in values.split(",") if v.strip())
            if not sep or not column or not parts:
                raise UsageError(f"where {text!r}: expected COLUMN=VALUE[,VALUE...], "
                                 f"for example dyad_name=Government of Ukraine - DPR")
            filters.append((column, parts))
    if not filters or any(not values for _, values in filters):
        raise UsageError(f"where {where!r}: each filter needs a column and at least one value")
    return tuple(filters)


def filter_mask(table: Table, filters: Filters) -> np.ndarray:
    """Rows that pass every filter. A value that occurs nowhere in its column is an
    error (most likely a typo, which would otherwise silently select nothing)."""
    frame = table.frame
    mask = np.ones(len(frame), dtype=bool)
    for column, values in filters:
        table.require(column, "where column")
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            try:
                wanted = [float(v) for v in values]
            except ValueError:
                raise UsageError(f"{table.source}: where {column}={','.join(values)}: column {column!r} holds "
                                 f"numbers, so the values must be numbers") from None
            present = series.to_numpy(dtype=np.float64, na_value=np.nan)
            hits = [np.isin(present, [w]) for w in wanted]
        else:
            present = series.astype("string").str.strip().fillna("").to_numpy(dtype=object)
            hits = [present == v for v in values]
        for value, hit in zip(values, hits):
            if not hit.any():
                raise UsageError(f"{table.source}: where {column}={value!r}: no row has this value in column "
                                 f"{column!r}{_known_values(series, value)}")
        mask &= np.logical_or.reduce(hits)
    return mask


def _known_values(series: pd.Series, value: str) -> str:
    known = sorted({str(v).strip() for v in series.dropna().unique()})
    hint = suggestion(value, known)
    shown = ", ".join(repr(v) for v in known[:12]) + (", ..." if len(known) > 12 else "")
    return f"{hint} (values: {shown})"


def parse_times(table: Table, column: str, rows: np.ndarray, option: str) -> pd.Series:
    """The timestamps (naive, UTC where a zone was given) of column ``column`` at
    positions ``rows``; any value that is not an ISO 8601 date or time is an error
    naming its line."""
    series = table.frame[column].iloc[rows]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_datetime64_any_dtype(series):
        raise UsageError(f"{table.source}: {option} {column!r} holds numbers, not dates; expected ISO dates "
                         f"like 2016-01-31 or times like 2016-01-31T14:30")
    parsed = pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        shown = "; ".join(f"{table.row(int(rows[i]))}: {series.iloc[i]!r}" for i in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise UsageError(f"{table.source}: {option} {column!r}: not a date at {shown}{more}; expected ISO dates "
                         f"like 2016-01-31 or times like 2016-01-31T14:30")
    return parsed.reset_index(drop=True)


def days_since(times: pd.Series, origin: date) -> np.ndarray:
    """Timestamps as days (with fraction) since ``origin``'s midnight."""
    delta = times - pd.Timestamp(origin)
    return delta.dt.total_seconds().to_numpy(dtype=np.float64) / 86400.0


def resolution_days(times: pd.Series) -> float:
    """The precision the timestamps were recorded to, in days: 1 if all are at
    midnight (dates), else 1/24, 1/1440 or 1/86400 if all are whole hours, minutes or
    seconds, else 0 (exact). An event is known to lie within [t, t + resolution)."""
    if len(times) == 0:
        return 1.0
    seconds = ((times - times.dt.normalize()).dt.total_seconds()).to_numpy()
    fraction = (times.dt.microsecond + times.dt.nanosecond).to_numpy()
    if fraction.any():
        return 0.0
    for unit, share in ((86400, 1.0), (3600, 1.0 / 24.0), (60, 1.0 / 1440.0), (1, 1.0 / 86400.0)):
        if not np.any(np.mod(seconds, unit)):
            return share
    return 0.0
