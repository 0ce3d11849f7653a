"""A figure as the bytes of its file: what ``stress plot``, a report and a calibration's
folder store."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure_bytes(figure: "Figure", fmt: str) -> bytes:
    """The figure as PNG or SVG bytes. SVG keeps its text as text, so it stays
    searchable and editable, and carries no date, so the same result gives the same file.
    A figure stored as files (a calibration's) gives its file."""
    stored = getattr(figure, fmt, None)
    if isinstance(stored, bytes):
        return stored
    import matplotlib
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "stress"}):
        if fmt == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()
