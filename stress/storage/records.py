"""``records.parquet``: one typed row per replication, written from NumPy to Arrow.

The engines' float64 record matrices are converted column by column to the types of
their ``stress.model.records.Layout`` and written in large row groups; pandas is not
involved. A column that some points' plans lack (a job of several plans) is null there.
"""

from __future__ import annotations

from pathlib import Path
import numpy as np

from stress.model.records import Layout

ROW_GROUP = 131_072


def _arrow(values: np.ndarray, dtype: str):
    """A float64 record column as an Arrow array of ``dtype``, NaN written as null (a
    time: did not happen, as pandas writes it; a count or flag: not in that point's
    plan), without a copy for floats. (``pa.array`` would import pandas, half a second
    of start-up, to check for pandas types.)"""
    import pyarrow as pa
    missing = np.isnan(values)
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    if dtype != "float64" and validity is not None:
        values = np.where(missing, 0.0, values)
    column = np.ascontiguousarray(values.astype(dtype, copy=False))
    if column.dtype == np.bool_:
        bits = np.packbits(column, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(column), [validity, pa.py_buffer(bits)])
    return pa.Array.from_buffers(pa.from_numpy_dtype(column.dtype), len(column), [validity, pa.py_buffer(column)])


class RecordsWriter:
    """Appends record matrices (rows in replication order) to one Parquet file."""

    def __init__(self, path: Path, layout: Layout, with_point: bool = False) -> None:
        import pyarrow as pa
        self.path = path
        self.names = list(layout.names)
        self.dtypes = list(layout.dtypes)
        self.with_point = with_point
        fields = [pa.field(n, pa.from_numpy_dtype(np.dtype(d))) for n, d in zip(self.names, self.dtypes)]
        self.schema = pa.schema(([pa.field("point", pa.int32())] if with_point else []) + fields)
        self._writer = None
        self._pending: list[tuple[np.ndarray, int]] = []
        self._rows = 0

    def write(self, values: np.ndarray, point: int = 0) -> None:
        self._pending.append((values, point))
        self._rows += len(values)
        if self._rows >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa
        values = np.concatenate([v for v, _ in self._pending])
        columns = [_arrow(values[:, j], d) for j, d in enumerate(self.dtypes)]
        if self.with_point:
            points = np.concatenate([np.full(len(v), p, dtype=np.float64) for v, p in self._pending])
            columns.insert(0, _arrow(points, "int32"))
        if self._writer is None:
            self._writer = self._open()
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self.schema), row_group_size=ROW_GROUP)
        self._pending, self._rows = [], 0

    def close(self) -> None:
        self._flush()
        if self._writer is None:  # no rows: still a valid, empty file
            self._writer = self._open()
        self._writer.close()

    def _open(self):
        # Dictionary encoding only for the whole-number and yes/no columns: it shrinks
        # them, while on the float columns it only cost time (written in half the time,
        # and the file 15% smaller than with Parquet's default of every column).
        import pyarrow as pa
        import pyarrow.parquet as pq
        whole = [f.name for f in self.schema if not pa.types.is_floating(f.type)]
        return pq.ParquetWriter(self.path, self.schema, use_dictionary=whole)
