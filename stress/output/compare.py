"""A comparison's output (``stress.kinds.Output``): each variant's paired differences
from the first in the probability of reaching each tier."""

from __future__ import annotations

import math
from typing import Any, Sequence

from stress.output import plots, reports, tables
from stress.output import render as terminal


def title(view) -> str:
    return f"{view.scenario}: comparison of {', '.join(v.name for v in view.variants)}"


def reading(view) -> list[str]:
    return reports.read_compare(view)


def headline(view) -> str:
    reference = view.variants[0].name
    parts = []
    for variant in view.variants[1:]:
        rows = view.table.loc[view.table["variant"] == variant.name]
        parts.append(f"{variant.name} - {reference}: "
                     + ", ".join(f"{t} {_signed(d)}" for t, d in zip(rows["tier"], rows["diff"])))
    return "diff in P(tier): " + "; ".join(parts)


def _signed(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:+.3f}"


def brief(view) -> Sequence[str]:
    return tables.headline_statistics("compare", list(dict.fromkeys(view.table["tier"])))


def table(view, metrics: Sequence[str] | None) -> tables.ResultTable:
    return tables.compare_table(view, metrics)


def figures(view) -> dict[str, Any]:
    return {"forest": plots.compare_forest(view)}


def render(console, view) -> None:
    terminal.compare_table(console, view)
