"""A discovery's output: the box (its limits against each input's full range, with
quasi-p-values and how often boxes from half the points agree), its coverage and
density, in the terminal, for papers and in plain words; the trade-off along PRIM's
peeling trajectory (or between CART's leaves), the limits, and the points of the two
most restricted inputs with the box drawn. See ``stress.kinds.Output``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import ResultTable, select_rows

COLUMNS = ("input", "restricted", "lower", "upper", "categories", "range_lower", "range_upper", "range_categories",
           "qp_lower", "qp_upper", "restricted_share")


def _box(view) -> dict[str, Any]:
    return view.data["box"]


def brief(view) -> None:
    """Text formats show every statistic by default."""
    return None


def title(view) -> str:
    return f"{view.scenario}: where {view.target} ({view.method.upper()} on {view.data['source_kind']} " \
           f"{view.manifest.get('source_id', '')})"


def _pct(p: float | None) -> str:
    return "-" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{100 * p:.0f}%"


def _limit_text(row) -> str:
    if row["categories"]:
        return f"{row['input']} in {{{', '.join(row['categories'].split('|'))}}}"
    return f"{number(row['lower'])} <= {row['input']} <= {number(row['upper'])}"


def reading(view) -> list[str]:
    box, cases = _box(view), view.data["cases"]
    method = view.method.upper()
    out = [f"Of {cases['used']:,} points of {view.data['source_kind']} {view.manifest.get('source_id', '')} "
           f"({view.data['n']:,} replications each), {cases['cases']:,} meet {view.target}."]
    restricted = view.restricted
    if len(restricted):
        limits = "; ".join(f"{_limit_text(r)} (full range {_range_text(r)}, quasi-p {_qp_text(r)})"
                           for r in restricted.to_dict(orient="records"))
        out.append(f"{method}'s box restricts {len(restricted)} of {len(view.box)} inputs: {limits}.")
    else:
        out.append(f"{method} found no restriction that concentrates the cases.")
    out.append(f"It holds {box['k']:,} of the {box['cases']:,} cases (coverage {_pct(box['coverage'])}, 95% interval "
               f"{_pct(box['coverage_ci_low'])} to {_pct(box['coverage_ci_high'])}) in {box['n']:,} points, of which "
               f"{_pct(box['density'])} are cases (density; 95% interval {_pct(box['density_ci_low'])} to "
               f"{_pct(box['density_ci_high'])}); elsewhere the cases are rarer.")
    stability = view.data["stability"]
    if stability["resamples"]:
        held = stability["held_out_density"]
        out.append(f"Found again on {stability['resamples']} random halves of the points, the box restricts the same "
                   f"inputs {_pct(stability['same_inputs'])} of the time; on the points it was not found on, its "
                   f"density averages {_pct(held['mean'])}.")
    return out + view.notes


def _range_text(row) -> str:
    if row["categories"]:
        return "{" + ", ".join(row["range_categories"].split("|")) + "}"
    return f"{number(row['range_lower'])} to {number(row['range_upper'])}"


def _qp_text(row) -> str:
    values = [q for q in (row["qp_lower"], row["qp_upper"]) if q == q]
    return "-" if not values else " / ".join(f"{q:.2g}" for q in values)


def headline(view) -> str:
    box = _box(view)
    return (f"{view.method}: {view.target} where {box['rule']}; coverage {box['coverage']:.2f}, "
            f"density {box['density']:.2f}")


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per input (``metrics`` chooses inputs): the box's limits, the full range,
    the quasi-p-values and the share of resampled boxes restricting the input."""
    frame = view.box[[c for c in COLUMNS if c in view.box.columns]].copy()
    frame = select_rows(frame, "input", "discovery", metrics)
    box = _box(view)
    caption = (f"{view.scenario}: {view.method.upper()} box of the points where {view.target}, over the inputs of "
               f"{view.data['source_kind']} {view.manifest.get('source_id', '')} ({view.data['cases']['used']:,} "
               f"points, {view.data['n']:,} replications each); coverage {box['coverage']:.3f} "
               f"[{box['coverage_ci_low']:.3f}, {box['coverage_ci_high']:.3f}], density {box['density']:.3f} "
               f"[{box['density_ci_low']:.3f}, {box['density_ci_high']:.3f}] (95% Wilson intervals over the points); "
               f"qp: quasi-p-values of each limit; restricted_share: of boxes found on random halves of the points.")
    return ResultTable(frame, (), caption, view.id)


def figures(view) -> dict[str, Any]:
    out = {"tradeoff": _tradeoff(view), "limits": _limits(view)}
    pair = _pair(view)
    if pair is not None:
        out["pairs"] = _scatter(view, *pair)
    return out


def _figure(width: float, height: float):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _tradeoff(view):
    steps, box = view.steps, _box(view)
    figure = _figure(7.5, 5)
    ax = figure.add_subplot()
    prim = view.method == "prim"
    dropped = _dropped(steps)
    if prim:
        path = steps[dropped == ""]
        ax.plot(path["coverage"], path["density"], color="0.7", linewidth=1, zorder=1)
    from matplotlib.colors import BoundaryNorm
    most = int(steps["res_dim"].max())
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), 256)
    points = ax.scatter(steps["coverage"], steps["density"], c=steps["res_dim"], cmap="viridis", norm=norm, s=28,
                        zorder=2)
    figure.colorbar(points, ax=ax, label="inputs restricted", ticks=range(most + 1))
    chosen = steps.loc[box["step"]]
    label = "box reported" + (f" (limits on {dropped[box['step']]} dropped)" if dropped[box["step"]] else "")
    ax.scatter([chosen["coverage"]], [chosen["density"]], s=160, facecolors="none", edgecolors="tab:red",
               linewidths=2, zorder=3, label=label)
    ax.axhline(view.data["threshold"], color="tab:red", linestyle="--", linewidth=1, label="density threshold")
    ax.set(xlabel="coverage (share of the cases inside)", ylabel="density (share of the points inside that are cases)",
           xlim=(0, 1.02), ylim=(0, 1.02))
    what = "peeling trajectory" if prim else "leaves of the tree"
    ax.set_title(f"{view.scenario}: {view.target}\n{view.method.upper()}'s {what}: coverage against density",
                 fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return figure


def _dropped(steps):
    """Per step, the restrictions dropped to reach it ('' for the method's own steps)."""
    if "dropped" not in steps.columns:
        return pd.Series([""] * len(steps), index=steps.index)
    return steps["dropped"].astype(object).fillna("").astype(str)


def _limits(view):
    restricted = view.restricted.to_dict(orient="records")
    rows = restricted or view.box.to_dict(orient="records")[:1]
    figure = _figure(8, 1.6 + 0.55 * len(rows))
    ax = figure.add_subplot()
    for position, row in enumerate(rows[::-1]):
        ax.barh(position, 1.0, color="0.88", height=0.5)
        if row["categories"]:
            values = row["range_categories"].split("|")
            kept = set(row["categories"].split("|")) if row["restricted"] else set(values)
            width = 1.0 / len(values)
            for j, value in enumerate(values):
                if value in kept:
                    ax.barh(position, width * 0.95, left=j * width, color="tab:red", alpha=0.6, height=0.5)
                ax.text((j + 0.5) * width, position, value, ha="center", va="center", fontsize="small")
        else:
            low, high = row["range_lower"], row["range_upper"]
            scale = (high - low) or 1.0
            left, right = (row["lower"] - low) / scale, (row["upper"] - low) / scale
            ax.barh(position, right - left, left=left, color="tab:red", alpha=0.6, height=0.5)
            # outward from the box, so that the two never overlap, with room beyond the range (xlim)
            ax.text(left, position + 0.32, number(row["lower"]) + " ", ha="right", fontsize="small")
            ax.text(right, position + 0.32, " " + number(row["upper"]), ha="left", fontsize="small")
            ax.text(0, position - 0.42, number(low), ha="left", fontsize="x-small", color="0.4")
            ax.text(1, position - 0.42, number(high), ha="right", fontsize="x-small", color="0.4")
            for median in (row.get("lower_median"), row.get("upper_median")):
                if median is not None and median == median:
                    ax.plot([(median - low) / scale] * 2, [position - 0.25, position + 0.25], color="black",
                            linewidth=1)
    labels = [f"{r['input']}\nqp {_qp_text(r)}, {_pct(r['restricted_share'])} of halves" for r in rows[::-1]]
    ax.set_yticks(range(len(rows)), labels, fontsize="small")
    ax.set_xlim(-0.16, 1.16)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xticks([])
    ax.set_xlabel("grey: the input's range over the points; red: the box; black ticks: median limits of the boxes\n"
                  "found on random halves of the points", fontsize="small")
    ax.set_title(f"{view.scenario}: the box where {view.target}" + ("" if restricted else " (no input restricted)"),
                 fontsize="medium")
    return figure


def _pair(view) -> tuple[str, str] | None:
    """The two most restricted inputs (by the share of the range cut), or the most
    restricted one and the input resampled boxes restrict most often otherwise."""
    restricted = view.restricted.sort_values("cut", ascending=False)
    names = list(restricted["input"])
    if not names:
        return None
    if len(names) == 1:
        others = view.box[~view.box["restricted"]].sort_values("restricted_share", ascending=False)
        if not len(others):
            return None
        names.append(others["input"].iloc[0])
    return names[0], names[1]


def _axis(values, row):
    """Positions on an axis: numbers as they are, categories as slots with jitter."""
    if row["categories"] or row["range_categories"]:
        labels = row["range_categories"].split("|")
        index = np.array([labels.index(str(v)) if str(v) in labels else -1 for v in values], dtype=float)
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, len(index))
        return index + jitter, labels
    return np.asarray(values, dtype=float), None


def _scatter(view, first: str, second: str):
    from matplotlib.patches import Rectangle
    points = view.points[view.points["used"].astype(bool)]
    rows = view.box.set_index("input")
    figure = _figure(7, 6)
    ax = figure.add_subplot()
    x, x_labels = _axis(points[first], rows.loc[first].to_dict())
    y, y_labels = _axis(points[second], rows.loc[second].to_dict())
    case = points["case"].astype(bool).to_numpy()
    unclear = (points["clear_95"] == "unclear").to_numpy()
    ax.scatter(x[~case], y[~case], s=14, color="0.6", label="not a case")
    ax.scatter(x[case], y[case], s=18, color="tab:red", label="case of interest")
    if unclear.any():
        ax.scatter(x[unclear], y[unclear], s=60, facecolors="none", edgecolors="black", linewidths=0.6,
                   label="class could be noise (95% interval straddles)")
    bounds = [_span(rows.loc[name].to_dict()) for name in (first, second)]
    ax.add_patch(Rectangle((bounds[0][0], bounds[1][0]), bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0],
                           fill=False, edgecolor="tab:red", linewidth=2, label="box"))
    for labels, setter in ((x_labels, ax.set_xticks), (y_labels, ax.set_yticks)):
        if labels is not None:
            setter(range(len(labels)), labels)
    ax.set(xlabel=first, ylabel=second)
    ax.set_title(f"{view.scenario}: points where {view.target}\nover the two inputs the box restricts most",
                 fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return figure


def _span(row) -> tuple[float, float]:
    if row["range_categories"]:
        labels = row["range_categories"].split("|")
        kept = [labels.index(v) for v in (row["categories"] or row["range_categories"]).split("|") if v in labels]
        return min(kept) - 0.4, max(kept) + 0.4
    return row["lower"], row["upper"]


def render(console: Console, view) -> None:
    box, cases = _box(view), view.data["cases"]
    console.print(f"{title(view)}\n{cases['cases']:,} of {cases['used']:,} points are cases of interest; box: "
                  f"{box['rule']}", highlight=False, soft_wrap=True)
    table_ = Table(title=f"The box: coverage {box['coverage']:.3f} [{box['coverage_ci_low']:.3f}, "
                         f"{box['coverage_ci_high']:.3f}], density {box['density']:.3f} "
                         f"[{box['density_ci_low']:.3f}, {box['density_ci_high']:.3f}], mass {box['mass']:.3f}, "
                         f"{box['n']:,} points", title_justify="left")
    for header in ("input", "box", "full range", "quasi-p", "restricted in halves"):
        table_.add_column(header, justify="left" if header in ("input", "box") else "right", no_wrap=True)
    for row in view.box.to_dict(orient="records"):
        if not row["restricted"]:
            limits = "(not restricted)"
        elif row["categories"]:
            limits = "{" + ", ".join(row["categories"].split("|")) + "}"
        else:
            limits = f"{number(row['lower'])} to {number(row['upper'])}"
        table_.add_row(row["input"], limits, _range_text(row), _qp_text(row), _pct(row["restricted_share"]))
    console.print(table_)
    steps = Table(title=f"{'Peeling trajectory' if view.method == 'prim' else 'Leaves'} "
                        f"({len(view.steps)} boxes; * the one reported)", title_justify="left")
    for header in ("box", "coverage", "density", "mass", "inputs restricted"):
        steps.add_column(header, justify="right", no_wrap=True)
    dropped = _dropped(view.steps)
    for i in _shown_steps(view.steps, box["step"]):
        row = view.steps.loc[i]
        restricted = str(int(row["res_dim"])) + (f" (dropped {dropped[i]})" if dropped[i] else "")
        steps.add_row(f"{i}{'*' if i == box['step'] else ''}", f"{row['coverage']:.3f}", f"{row['density']:.3f}",
                      f"{row['mass']:.3f}", restricted)
    console.print(steps)
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)


def _shown_steps(steps, chosen: int, most: int = 16) -> list[int]:
    """At most ``most`` rows of a long trajectory, evenly spread, with the chosen one."""
    index = list(steps.index)
    if len(index) <= most:
        return index
    picks = {index[round(j * (len(index) - 1) / (most - 1))] for j in range(most)} | {chosen}
    return sorted(picks)
