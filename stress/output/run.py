"""A run's output (``stress.kinds.Output``): the probability of reaching each tier
with its curves over time, and the metrics."""

from __future__ import annotations

from typing import Any, Sequence

from stress.output import plots, reports, tables
from stress.output import render as terminal


def title(view) -> str:
    return f"{view.scenario}: run of {view.n:,} replications"


def reading(view) -> list[str]:
    return reports.read_run(view)


def headline(view) -> str:
    probabilities = ", ".join(f"{p:.3f}" for p in view.summary.tiers["p_reached"])
    return f"P({', '.join(view.summary.tier_names)}) = {probabilities}"


def brief(view) -> Sequence[str]:
    return tables.headline_statistics("run", list(view.summary.tier_names))


def table(view, metrics: Sequence[str] | None) -> tables.ResultTable:
    return tables.run_table(view, metrics)


def figures(view) -> dict[str, Any]:
    return {"curves": plots.run_curves(view)}


def render(console, view) -> None:
    terminal.run_summary(console, view.summary)
