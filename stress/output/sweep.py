"""A sweep's output (``stress.kinds.Output``): each tier's probability at every point."""

from __future__ import annotations

from typing import Any, Sequence

from stress.errors import UsageError
from stress.output import plots, reports, tables
from stress.output import render as terminal
from stress.storage.reading import table_tiers


def title(view) -> str:
    return f"{view.scenario}: sweep over {', '.join(view.keys)}"


def reading(view) -> list[str]:
    return reports.read_sweep(view)


def headline(view) -> str:
    last = table_tiers(view.table.columns)[-1]
    top = view.table[f"{last}_p"]
    return f"{len(view.points)} points over {', '.join(view.keys)}; P({last}) {top.min():.3f} to {top.max():.3f}"


def brief(view) -> Sequence[str]:
    return tables.headline_statistics("sweep", table_tiers(view.table.columns))


def table(view, metrics: Sequence[str] | None) -> tables.ResultTable:
    return tables.sweep_table(view, metrics)


def figures(view) -> dict[str, Any]:
    if len(view.keys) == 1:
        return {"sweep": plots.sweep_lines(view)}
    if len(view.keys) == 2:
        return {"heatmaps": plots.sweep_heatmaps(view)}
    raise UsageError(f"{view.path}: plots show sweeps over one or two parameters; this one varies "
                     f"{len(view.keys)} ({', '.join(view.keys)}); export its table instead")


def render(console, view) -> None:
    terminal.sweep_table(console, view)
