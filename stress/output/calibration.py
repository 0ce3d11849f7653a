"""A calibration's output: its tables in the terminal and for papers, its figures, and
its reading in plain words (the notes the fit wrote). See ``stress.kinds.Output``."""

from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd
from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import Interval, ResultTable, select_rows



def brief(view) -> None:
    """Text formats show every statistic by default."""
    return None


def title(view) -> str:
    period = view.data["data"]["period"]
    return f"Calibration of the breach process: {view.data['data']['events']} events, {period['start']} to {period['end']}"


def reading(view) -> list[str]:
    return view.notes


def headline(view) -> str:
    rows = view.tables["parameters"]
    chosen = rows[rows["model"] == view.data["scenario_model"]]
    values = ", ".join(f"{r.parameter} {number(r.estimate)}" for r in chosen.itertuples())
    return f"{view.data['scenario_model']} fit: {values}"


def parameter_names(frame: pd.DataFrame) -> list[str]:
    return [f"{m}.{p.replace(' ', '_')}" for m, p in zip(frame["model"], frame["parameter"])]


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per fitted parameter: its config key, estimate, interval and method."""
    frame = view.tables["parameters"].copy()
    frame.insert(0, "name", parameter_names(frame))
    frame = select_rows(frame, "name", "calibration", metrics)
    data = view.data["data"]
    caption = (f"Breach process fitted to {data['events']} events, {data['period']['start']} to "
               f"{data['period']['end']}, by maximum likelihood; 95% intervals in brackets "
               f"(interval: how each was computed); the scenario uses the {view.data['scenario_model']} fit.")
    return ResultTable(frame, (Interval("estimate", "ci_low", "ci_high"),), caption, view.id)


def figures(view) -> dict[str, Any]:
    return dict(view.figures)


def render(console: Console, view) -> None:
    console.print(_frame_table(f"{title(view)}: fitted parameters (95% intervals)", view.tables["parameters"],
                               ["model", "parameter", "config_key", "estimate", "ci_low", "ci_high", "interval"]))
    console.print(_frame_table("Model comparison", view.tables["comparison"],
                               ["model", "parameters", "loglik", "aic", "delta_aic"]))
    lr = view.data.get("lr_test")
    if lr is not None:
        boot = view.data.get("bootstrap") or {}
        console.print(f"Likelihood-ratio test of n = 0: LR = {number(lr['statistic'])}, p = {number(lr['p_value'])} "
                      f"({lr['null_distribution']}: anti-conservative)"
                      + (f"; parametric bootstrap p = {number(boot['p_value'])}" if boot.get("p_value") is not None
                         else ""), highlight=False)
    console.print(_frame_table("Goodness of fit", view.tables["goodness"],
                               ["model", "check", "observed", "expected_low", "expected_high", "p_value"]))
    if len(view.tables["predictive"]):
        console.print(_frame_table("Out of sample", view.tables["predictive"],
                                   ["model", "test_period", "observed_total", "predicted_mean", "predicted_low",
                                    "predicted_high", "coverage_90", "coverage_90_expected"]))
    if len(view.tables["classes"]):
        console.print(_frame_table("Breach classes", view.tables["classes"],
                                   ["class", "low", "high", "events", "probability", "ci_low", "ci_high"]))
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)


def _frame_table(title_text: str, frame: pd.DataFrame, columns: list[str]) -> Table:
    table = Table(title=title_text, title_justify="left")
    present = [c for c in columns if c in frame.columns]
    for c in present:
        table.add_column(c, justify="left" if frame[c].dtype == object else "right", overflow="fold")
    for row in frame[present].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else number(value)
    return str(value)
