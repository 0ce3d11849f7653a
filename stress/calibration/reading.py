"""Reading an event log or a count series from a file or a data frame.

Formats: ``csv`` (leading ``#`` lines are a header comment and skipped), ``parquet``,
and ``ucdp``: a CSV or Parquet file with the columns of the UCDP Georeferenced Event
Dataset, whose defaults ``stress.calibration.events`` knows (``date_start``,
``date_end``, ``date_prec``, ``best``). Every problem is a ``UsageError`` that names
the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from stress.errors import UsageError

FORMATS = ("csv", "parquet", "ucdp")
PARQUET_SUFFIXES = (".parquet", ".pq")

DONBAS_EXAMPLE = "donbas_ucdp_2016_2021.csv"
# The Minsk II example: the two dyads of the Donbas war in the UCDP file.
DONBAS_DYADS = ("Government of Ukraine - DPR", "Government of Ukraine - LPR")


def example_path() -> Path:
    """The packaged Donbas example (UCDP GED, CC BY 4.0; see the file's header)."""
    return Path(str(resources.files("stress.calibration").joinpath("data").joinpath(DONBAS_EXAMPLE)))


@dataclass(frozen=True)
class Table:
    """A table as read, with what messages need to point at a row."""

    frame: pd.DataFrame
    source: str
    format: str
    lines: tuple[int, ...] | None  # file line on which each data row starts (CSV only)

    def row(self, index: int) -> str:
        """Where row ``index`` (0-based position in ``frame``) is, for a message."""
        if self.lines is not None:
            return f"line {self.lines[index]}"
        return f"row {index + 1}"

    def require(self, column: str, option: str) -> None:
        """A ``UsageError`` unless the table has ``column`` (named by ``option``)."""
        if column not in self.frame.columns:
            columns = [str(c) for c in self.frame.columns]
            hint = suggestion(column, columns)
            shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "")
            raise UsageError(f"{self.source}: {option} {column!r}: no such column{hint} (columns: {shown})")


def read_table(events: str | Path | pd.DataFrame, format: str | None = None) -> Table:
    """Read ``events`` (a path or a data frame); ``format`` None means by the file's
    suffix (Parquet or else CSV)."""
    if format is not None and format not in FORMATS:
        raise UsageError(f"format {format!r}: not a known format; use one of {', '.join(FORMATS)}")
    if isinstance(events, pd.DataFrame):
        return Table(events.reset_index(drop=True), "<data frame>", format or "csv", None)
    path = Path(events)
    source = str(events)
    if not path.exists():
        raise UsageError(f"{source}: no such file")
    if path.is_dir():
        raise UsageError(f"{source}: is a folder, expected an event file")
    parquet = format == "parquet" or (format in (None, "ucdp") and path.suffix.lower() in PARQUET_SUFFIXES)
    fmt = format or ("parquet" if parquet else "csv")
    if parquet:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise UsageError(f"{source}: cannot be read as Parquet ({exc})") from None
        return Table(frame.reset_index(drop=True), source, fmt, None)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not part of the first name
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{source}: cannot be read as UTF-8 text ({exc})") from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
        skipped += 1
    body = "".join(lines[skipped:])
    if not body.strip():
        raise UsageError(f"{source}: no header line and no rows")
    try:
        frame = pd.read_csv(io.StringIO(body))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UsageError(f"{source}: not a valid CSV file ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return Table(frame, source, fmt, _record_lines(body, skipped, len(frame)))


def _record_lines(body: str, offset: int, rows: int) -> tuple[int, ...] | None:
    """The file line on which each data record starts: quoted fields may span lines
    (UCDP's source texts do), so the row number alone does not give the line."""
    import csv

    reader = csv.reader(io.StringIO(body))
    starts = []
    previous = 0
    try:
        for record in reader:
            if record:  # pandas skips blank lines too
                starts.append(offset + previous + 1)
            previous = reader.line_num
    except csv.Error:
        return None
    data = starts[1:]  # the first record is the header
    return tuple(data) if len(data) == rows else None


def suggestion(wanted: str, known: list[str]) -> str:
    """'; did you mean X?' for the closest of ``known`` (case aside), or nothing."""
    import difflib

    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(wanted.lower(), list(lower), n=1, cutoff=0.6)
    return f"; did you mean {lower[close[0]]!r}?" if close else ""
