"""An adversary study's output: per variant, the outcome under each behaviour with its
paired difference from the blind violator and the worst behaviour, the violator's best
response when it searched, in the terminal, for papers and in plain words (each plan's
weakest point); the outcome by behaviour, and the search's curve. See
``stress.kinds.Output``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import Interval, ResultTable, _chosen, interval_text

STATISTICS = ("estimate", "diff_from_blind", "worst", "within_noise_of_worst")


def brief(view) -> tuple[str, ...]:
    return ("estimate", "diff_from_blind", "worst")


def title(view) -> str:
    return (f"{view.scenario}: {len(view.variants)} variant(s) of the plan against {len(view.data['behaviours'])} "
            f"kinds of violator")


def _value(name: str, x: float, low: float | None = None, high: float | None = None) -> str:
    """A value of the outcome, as a percentage for a probability, with its interval."""
    probability = name.startswith("p_") or name.endswith("_p")
    if low is None or math.isnan(low):
        return f"{100 * x:.1f}%" if probability else number(x)
    if probability:
        return f"{100 * x:.1f}% [{100 * low:.1f}%, {100 * high:.1f}%]"
    return interval_text(x, low, high)


def _difference(name: str, d: float, low: float, high: float) -> str:
    """A paired difference of the outcome with its interval: percentage points for a
    probability."""
    if name.startswith("p_") or name.endswith("_p"):
        return f"{100 * d:+.1f} pp [{100 * low:+.1f}, {100 * high:+.1f}]"
    return interval_text(d, low, high, signed=True)


def sentences(behaviours, search, data: dict[str, Any]) -> list[str]:
    """Each variant's weakest point in plain words."""
    out = []
    name = data["outcome"]
    for variant in dict.fromkeys(behaviours["variant"]):
        rows = behaviours[behaviours["variant"] == variant]
        blind = rows[rows["behaviour"] == "blind"].iloc[0]
        worst = rows[rows["worst"].astype(bool)].iloc[0]
        if worst["behaviour"] == "blind":
            out.append(f"{variant}: no behaviour does worse for the plan than the blind violator "
                       f"({name} {_value(name, blind['estimate'], blind['ci_low'], blind['ci_high'])}).")
        else:
            out.append(f"{variant}: against {worst['description']}, {name} is "
                       f"{_value(name, worst['estimate'], worst['ci_low'], worst['ci_high'])} instead of "
                       f"{_value(name, blind['estimate'], blind['ci_low'], blind['ci_high'])} against a blind one "
                       f"(paired difference {_difference(name, worst['diff_from_blind'], worst['diff_ci_low'], worst['diff_ci_high'])}).")
        if search is not None and len(search):
            found = search[(search["variant"] == variant)]
            best = found[found["best"].astype(bool)].iloc[0]
            near = [v for v in found[found["within_noise_of_best"].astype(bool)]["value"] if v != best["value"]]
            tolerance = (f"within noise of it: {', '.join(f'{v:g}' for v in near)}" if near
                         else "no other value is within noise of it")
            out.append(f"{variant}: the violator's best response sets {best['key']} = {best['value']:g} "
                       f"({tolerance}), where {name} is "
                       f"{_value(name, best['estimate'], best['ci_low'], best['ci_high'])}.")
    return out


def reading(view) -> list[str]:
    return ([f"Every variant ran against each kind of violator on the same {view.n:,} replications (seed "
             f"{view.seed}): the same breaches, monitors' luck and responses' draws, so each behaviour is compared "
             f"with the blind violator replication by replication."]
            + sentences(view.behaviours, view.search, view.data) + view.notes)


def headline(view) -> str:
    rows = view.behaviours[view.behaviours["worst"].astype(bool)]
    parts = [f"{r.variant}: worst {r.behaviour} ({_value(view.outcome, r.estimate)})" for r in rows.itertuples()]
    return f"{view.outcome}; " + "; ".join(parts)


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per variant and behaviour: the outcome with its interval, its paired
    difference from the blind violator, whether it is the worst."""
    chosen = _chosen("adversary study", list(STATISTICS), metrics)
    frame = view.behaviours
    columns = list(frame.columns) if chosen is None else ["variant", "behaviour"]
    for name in chosen or ():
        columns += {"estimate": ["estimate", "ci_low", "ci_high"],
                    "diff_from_blind": ["diff_from_blind", "diff_ci_low", "diff_ci_high"]}.get(name, [name])
    caption = (f"{view.scenario}: {view.outcome} against each kind of violator, {view.n:,} replications each on seed "
               f"{view.seed} (common random numbers); 95% intervals in brackets, differences from the blind violator "
               f"paired replication by replication.")
    intervals = (Interval("estimate", "ci_low", "ci_high"),
                 Interval("diff_from_blind", "diff_ci_low", "diff_ci_high", signed=True))
    return ResultTable(frame[columns].copy(), tuple(i for i in intervals if i.estimate in columns), caption, view.id)


def figures(view) -> dict[str, Any]:
    from matplotlib.figure import Figure
    out = {}
    rows = view.behaviours
    variants = list(dict.fromkeys(rows["variant"]))
    figure = Figure(figsize=(8, 1.6 + 0.4 * len(rows)), layout="constrained")
    ax = figure.add_subplot()
    labels = []
    for y, r in enumerate(rows.itertuples()):
        colour = f"C{variants.index(r.variant) % 10}"
        ax.errorbar(r.estimate, -y, xerr=[[r.estimate - r.ci_low], [r.ci_high - r.estimate]], fmt="o" if not r.worst
                    else "s", color=colour, capsize=4)
        labels.append(f"{r.variant}: {r.behaviour}" + (" (worst)" if r.worst else ""))
    ax.set_yticks([-y for y in range(len(rows))], labels)
    ax.set_xlabel(f"{view.outcome} (95% interval)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"{view.scenario}: {view.outcome} by kind of violator\n{view.n:,} replications each, seed {view.seed}")
    out["behaviours"] = figure
    if view.search is not None and len(view.search):
        figure = Figure(figsize=(8, 5), layout="constrained")
        ax = figure.add_subplot()
        for k, (variant, found) in enumerate(view.search.groupby("variant", sort=False)):
            ax.plot(found["value"], found["estimate"], marker="o", color=f"C{k % 10}", label=variant)
            ax.fill_between(found["value"], found["ci_low"], found["ci_high"], color=f"C{k % 10}", alpha=0.2)
            best = found[found["best"].astype(bool)].iloc[0]
            ax.axvline(best["value"], color=f"C{k % 10}", linestyle=":")
        ax.set(xlabel=view.search["key"].iloc[0], ylabel=f"{view.outcome} (95% band)")
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title(f"{view.scenario}: the violator's best response (dotted), {view.n:,} replications per value")
        out["search"] = figure
    return out


def render(console: Console, view) -> None:
    grid = Table(title=f"{title(view)}: {view.outcome} ({view.n:,} replications each, seed {view.seed})",
                 title_justify="left")
    for header in ("variant", "behaviour", "estimate [95% CI]", "vs blind [95% CI]", "worst"):
        grid.add_column(header, justify="left" if header in ("variant", "behaviour") else "right", no_wrap=True)
    for r in view.behaviours.itertuples():
        grid.add_row(r.variant, r.behaviour, _value(view.outcome, r.estimate, r.ci_low, r.ci_high),
                     "-" if r.behaviour == "blind" else
                     _difference(view.outcome, r.diff_from_blind, r.diff_ci_low, r.diff_ci_high),
                     "worst" if r.worst else ("within noise" if r.within_noise_of_worst else ""))
    console.print(grid)
    if view.search is not None and len(view.search):
        found = Table(title=f"The violator's best response over {view.search['key'].iloc[0]}", title_justify="left")
        for header in ("variant", "value", "estimate [95% CI]", "vs best [95% CI]", ""):
            found.add_column(header, justify="left" if header == "variant" else "right", no_wrap=True)
        for r in view.search.itertuples():
            found.add_row(r.variant, f"{r.value:g}", _value(view.outcome, r.estimate, r.ci_low, r.ci_high),
                          "-" if r.best else _difference(view.outcome, r.diff_from_best, r.diff_ci_low,
                                                         r.diff_ci_high),
                          "best" if r.best else ("within noise" if r.within_noise_of_best else ""))
        console.print(found)
    for line in sentences(view.behaviours, view.search, view.data) + view.notes:
        console.print(f"- {line}", highlight=False, soft_wrap=True)
