"""A robustness study's output: per variant and outcome the mean, worst-10% mean, regret
and satisficing share with their intervals, and which variants no other beats at
every point, in the terminal, for papers and in plain words; the distribution of each
variant's regret over the points, and the trade-off between the outcomes. See
``stress.kinds.Output``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import Interval, ResultTable, _chosen

BRIEF = ("mean", "worst10", "regret_mean", "regret_max", "satisfice_share", "undominated")


def brief(view) -> tuple[str, ...]:
    return BRIEF
WITH_INTERVALS = ("mean", "worst10", "regret_mean", "regret_p90", "regret_max", "satisfice_share")
STATISTICS = ("mean", "worst10", "regret_mean", "regret_p90", "regret_max", "regret_max_point", "best_share",
              "regret_clear_share", "satisfice_share", "satisfice_unclear", "undominated", "dominated_by")
COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive",
           "tab:cyan", "tab:gray")
MARKERS = ("o", "s", "^", "D")  # the next ten variants get the next marker


def title(view) -> str:
    return (f"{view.scenario}: {len(view.variants)} rule-set variants across {view.samples:,} points of the "
            f"uncertainty")


def _interval(row, name: str) -> tuple[float, float]:
    return row[f"{name}_ci_low"], row[f"{name}_ci_high"]


def _best(view, outcome: str):
    rows = view.robustness[view.robustness["outcome"] == outcome]
    return rows.sort_values(["regret_mean", "regret_max"], kind="stable").iloc[0]


def reading(view) -> list[str]:
    r = view.robustness
    out = [f"{', '.join(view.variants)} each ran at the same {view.samples:,} points drawn from the uncertain inputs, "
           f"{view.n:,} replications per point on seed {view.seed} (the same points and replications for every "
           f"variant). Regret is how much worse a variant does than the best variant at the same point."]
    for item in view.outcomes:
        best = _best(view, item["outcome"] if "outcome" in item else item["name"])
        name = item["name"]
        rows = r[r["outcome"] == name]
        worst = rows.sort_values("regret_mean", ascending=False, kind="stable").iloc[0]
        out.append(f"To {item['direction']} {name}, {best['variant']} has the least regret on average "
                   f"({number(best['regret_mean'])}, 95% interval {number(best['regret_mean_ci_low'])} to "
                   f"{number(best['regret_mean_ci_high'])}; at most {number(best['regret_max'])}), and is the best "
                   f"variant at {100 * best['best_share']:.0f}% of the points; {worst['variant']} has the most "
                   f"({number(worst['regret_mean'])} on average, {number(worst['regret_max'])} at worst).")
    first = r.drop_duplicates("variant")
    if view.data.get("satisfice"):
        best = first.sort_values("satisfice_share", ascending=False, kind="stable").iloc[0]
        out.append(f"{best['variant']} meets the criteria ({view.data['satisfice']}) at the most points: "
                   f"{100 * best['satisfice_share']:.0f}% (95% interval {100 * best['satisfice_share_ci_low']:.0f}% to "
                   f"{100 * best['satisfice_share_ci_high']:.0f}%).")
    undominated = list(first.loc[first["undominated"].astype(bool), "variant"])
    dominated = first[~first["undominated"].astype(bool)]
    text = f"No other variant beats {', '.join(undominated)} at every point on every outcome named"
    if len(dominated):
        text += "; " + "; ".join(f"{row.variant} is beaten everywhere by {row.dominated_by}"
                                 for row in dominated.itertuples())
    return out + [text + "."] + view.notes


def headline(view) -> str:
    first = view.robustness.drop_duplicates("variant")
    undominated = list(first.loc[first["undominated"].astype(bool), "variant"])
    parts = []
    for item in view.outcomes:
        best = _best(view, item["name"])
        parts.append(f"{item['name']}: {best['variant']} (regret {best['regret_mean']:.3g})")
    return (f"{len(view.variants)} variants x {view.samples} points; least mean regret: " + "; ".join(parts)
            + f"; undominated: {', '.join(undominated) or 'none'}")


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per variant and outcome; ``metrics`` chooses the statistics."""
    chosen = _chosen("robustness study", STATISTICS, metrics) or list(STATISTICS)
    frame = view.robustness
    columns = ["variant", "outcome", "direction"]
    for name in chosen:
        columns += [name, f"{name}_ci_low", f"{name}_ci_high"] if name in WITH_INTERVALS else [name]
    if view.data.get("satisfice") is None:
        columns = [c for c in columns if not c.startswith("satisfice")]
    intervals = tuple(Interval(name, f"{name}_ci_low", f"{name}_ci_high") for name in WITH_INTERVALS
                      if name in columns)
    caption = (f"{view.scenario}: {len(view.variants)} rule-set variants at the same {view.samples:,} points of the "
               f"uncertainty, {view.n:,} replications each (seed {view.seed}, common random numbers); regret: how much "
               f"worse than the best variant at the same point (mean with a t-interval over the points; 90th "
               f"percentile and maximum with the paired interval at their point); worst10: the mean of the worst 10% "
               f"of points (bootstrap interval)"
               + (f"; satisfice_share: points meeting {view.data['satisfice']} (Wilson interval)"
                  if view.data.get("satisfice") else "")
               + "; undominated: no other variant is at least as good at every point on every outcome.")
    return ResultTable(frame[columns].copy(), intervals, caption, view.id)


def figures(view) -> dict[str, Any]:
    return {"regret": _regret(view), "tradeoffs": _tradeoffs(view)}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _regret(view):
    outcomes = view.outcomes
    boxes = len(view.variants) * len(outcomes)
    # side by side while they fit in 15 inches; else one above the other (12 variants x 3
    # outcomes side by side made a figure 42 inches wide)
    if boxes <= 12:
        figure = _figure(max(6.0, 1.1 * boxes + 2), 4.8)
        axes = figure.subplots(1, len(outcomes), squeeze=False)[0]
    else:
        figure = _figure(min(12.0, max(6.0, 0.75 * len(view.variants) + 2.5)), 1.2 + 3.0 * len(outcomes))
        axes = figure.subplots(len(outcomes), 1, squeeze=False)[:, 0]
    for ax, item in zip(axes, outcomes):
        name = item["name"]
        data = [view.regrets[(view.regrets["outcome"] == name) & (view.regrets["variant"] == v)]["regret"].to_numpy()
                for v in view.variants]
        ax.boxplot(data, tick_labels=view.variants, whis=(5, 95), showfliers=True,
                   flierprops={"markersize": 3, "markerfacecolor": "0.5", "markeredgecolor": "0.5"})
        rows = view.robustness[view.robustness["outcome"] == name].set_index("variant").loc[view.variants]
        positions = np.arange(1, len(view.variants) + 1)
        mean = rows["regret_mean"].to_numpy()
        ax.errorbar(positions + 0.3, mean, yerr=[mean - rows["regret_mean_ci_low"], rows["regret_mean_ci_high"] - mean],
                    fmt="D", color="tab:red", markersize=4, capsize=3, label="mean, 95% interval")
        ax.set_title(f"{name} ({item['direction']})", fontsize="small")
        ax.tick_params(axis="x", labelrotation=30, labelsize="small")
        ax.grid(axis="y", alpha=0.3)
    figure.supylabel("regret: how much worse than the best variant at the point", fontsize="small")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", fontsize="small")
    figure.suptitle(f"{view.scenario}: regret over {view.samples:,} points of the uncertainty (boxes: quartiles, "
                    f"whiskers 5-95%; N = {view.n:,}, seed {view.seed})", fontsize="medium")
    return figure


def _tradeoffs(view):
    outcomes = view.outcomes
    r = view.robustness
    if len(outcomes) == 2:
        return _scatter(view, outcomes[0], outcomes[1])
    height = 4.8 + 0.15 * max(0, len(view.variants) - 8)
    figure = _figure(max(6.0, 2.2 * len(outcomes) + 2), height)
    ax = figure.add_subplot()
    names = [o["name"] for o in outcomes]
    means = np.array([[r[(r["variant"] == v) & (r["outcome"] == o)]["mean"].iloc[0] for o in names]
                      for v in view.variants])
    # each axis from the best variant (0) to the worst (1), so lower is better on every axis
    scaled = np.zeros_like(means)
    for j, item in enumerate(outcomes):
        column = means[:, j]
        best, worst = (column.min(), column.max()) if item["direction"] == "minimize" else (column.max(), column.min())
        scaled[:, j] = (column - best) / (worst - best) if worst != best else 0.0
    x = np.arange(len(names))
    for v, variant in enumerate(view.variants):
        undominated = bool(r[r["variant"] == variant]["undominated"].iloc[0])
        ax.plot(x, scaled[v], marker=MARKERS[v // len(COLOURS) % len(MARKERS)], color=COLOURS[v % len(COLOURS)],
                linewidth=2.2 if undominated else 1, linestyle="-" if undominated else "--",
                label=variant + ("" if undominated else " (dominated)"))
    # each axis's values in a column beside it, at least a line apart (next to their
    # points they overlapped), each joined to its point
    rows = -(-len(view.variants) // 4)  # of the legend
    gap = 1.16 * 0.16 / (height - 1.6 - 0.22 * rows)  # a line of x-small text, in data units
    for j in range(len(names)):
        for v, at in zip(range(len(view.variants)), _spread(scaled[:, j], gap)):
            ax.annotate(number(means[v, j]), (x[j], scaled[v, j]), xytext=(x[j] + 0.08, at), textcoords="data",
                        va="center", fontsize="x-small", color=COLOURS[v % len(COLOURS)],
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                        arrowprops={"arrowstyle": "-", "color": COLOURS[v % len(COLOURS)], "linewidth": 0.5,
                                    "shrinkA": 0, "shrinkB": 2})
    ax.set_xticks(x, [f"{o['name']}\n({o['direction']})" for o in outcomes], fontsize="small")
    ax.set_xlim(-0.25, len(names) - 0.5)
    ax.set_ylabel("mean over the points: 0 = best variant, 1 = worst")
    ax.set_ylim(-0.08, 1.08)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=min(4, len(view.variants)),
              frameon=False)
    ax.set_title(f"{view.scenario}: the variants' mean outcomes over the uncertainty (values annotated)",
                 fontsize="medium")
    return figure


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Heights for labels of ``values``, in their order and at least ``gap`` apart,
    each as near its value as that allows."""
    order = np.argsort(values, kind="stable")
    placed = np.asarray(values, dtype=np.float64)[order].copy()
    for i in range(1, len(placed)):  # up from the lowest
        placed[i] = max(placed[i], placed[i - 1] + gap)
    # then down from the top, so that a crowd at the top ends no higher than its highest value
    top = max(float(np.max(values)), placed[0] + gap * (len(placed) - 1))
    placed[-1] = min(placed[-1], top)
    for i in range(len(placed) - 2, -1, -1):
        placed[i] = min(placed[i], placed[i + 1] - gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _scatter(view, first: dict, second: dict):
    figure = _figure(7, 5.5)
    ax = figure.add_subplot()
    r = view.robustness.set_index(["variant", "outcome"])
    for v, variant in enumerate(view.variants):
        a, b = r.loc[(variant, first["name"])], r.loc[(variant, second["name"])]
        undominated = bool(a["undominated"])
        ax.errorbar([a["mean"]], [b["mean"]], xerr=[[a["mean"] - a["mean_ci_low"]], [a["mean_ci_high"] - a["mean"]]],
                    yerr=[[b["mean"] - b["mean_ci_low"]], [b["mean_ci_high"] - b["mean"]]], fmt="o" if undominated
                    else "x", color=COLOURS[v % len(COLOURS)], capsize=3, markersize=8,
                    label=variant + ("" if undominated else " (dominated)"))
    ax.set(xlabel=f"{first['name']}, mean over the points ({first['direction']})",
           ylabel=f"{second['name']}, mean over the points ({second['direction']})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(f"{view.scenario}: trade-off between {first['name']} and {second['name']}\n"
                 f"{view.samples:,} points x {view.n:,} replications; bars: 95% intervals over the points",
                 fontsize="medium")
    return figure


def _short(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def _ci(row, name: str) -> str:
    low, high = _interval(row, name)
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return _short(row[name])
    return f"{_short(row[name])} [{_short(low)}, {_short(high)}]"


def render(console: Console, view) -> None:
    satisfice = view.data.get("satisfice")
    console.print(f"{title(view)}: {view.n:,} replications per point, seed {view.seed}, the same points and "
                  f"replications for every variant. Regret: how much worse than the best variant at the same point.",
                  highlight=False, soft_wrap=True)
    for item in view.outcomes:
        table_ = Table(title=f"{item['name']} ({item['direction']})", title_justify="left")
        headers = ["variant", "mean [95% CI]", "worst 10%", "regret mean [95% CI]", "p90", "max [95% CI]", "best at"]
        if satisfice:
            headers.append("meets criteria")
        headers.append("undominated")
        for header in headers:
            table_.add_column(header, justify="left" if header in ("variant", "undominated") else "right",
                              no_wrap=header != "undominated")
        rows = view.robustness[view.robustness["outcome"] == item["name"]]
        for row in rows.to_dict(orient="records"):
            cells = [row["variant"], _ci(row, "mean"), _short(row["worst10"]), _ci(row, "regret_mean"),
                     _short(row["regret_p90"]), _ci(row, "regret_max"), f"{100 * row['best_share']:.0f}%"]
            if satisfice:
                cells.append(f"{100 * row['satisfice_share']:.0f}% [{100 * row['satisfice_share_ci_low']:.0f}, "
                             f"{100 * row['satisfice_share_ci_high']:.0f}]")
            cells.append("yes" if row["undominated"] else f"no: {row['dominated_by']}")
            table_.add_row(*cells)
        console.print(table_)
    if satisfice:
        console.print(f"criteria: {satisfice}", highlight=False)
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)
