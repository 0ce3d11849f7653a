"""A sensitivity study's output: the inputs ranked for each output with their
intervals, in the terminal, for papers and in plain words; Sobol' first and total
indices as bars, or Morris' mu* against sigma. See ``stress.kinds.Output``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.storage.reading import table_tiers
from stress.output.tables import Interval, ResultTable, _chosen



def _key(view) -> tuple[str, str]:
    return ("ST", "ST_conf") if view.method == "sobol" else ("mu_star", "mu_star_conf")


def brief(view) -> None:
    """Text formats show every statistic by default."""
    return None


def title(view) -> str:
    what = "Sobol' indices" if view.method == "sobol" else "Morris screening"
    return f"{view.scenario}: {what} of {len(view.data['inputs'])} uncertain inputs ({len(view.points):,} points)"


def _ranked(view, output: str):
    key, _ = _key(view)
    return view.indices[view.indices["output"] == output].sort_values(key, ascending=False)


def reading(view) -> list[str]:
    key, conf = _key(view)
    name = "total index" if view.method == "sobol" else "mu*"
    out = [f"{len(view.points):,} design points ({view.method}, {view.data['base_samples']} "
           f"{'base samples' if view.method == 'sobol' else 'trajectories'}), {view.data['n']:,} replications each "
           f"on seed {view.seed} (common random numbers)."]
    for output, info in view.data["outputs"].items():
        ranked = _ranked(view, output)
        if not len(ranked):
            continue
        top = ", ".join(f"{r.input} ({name} {getattr(r, key):.2f} +- {getattr(r, conf):.2f})"
                        for r in ranked.head(3).itertuples())
        noise = info.get("noise_share")
        noise_text = "" if noise is None or (isinstance(noise, float) and math.isnan(noise)) else \
            f" Monte Carlo noise is {100 * noise:.1f}% of its variance."
        out.append(f"{output} depends most on {top}.{noise_text}")
    return out + view.notes


def headline(view) -> str:
    key, _ = _key(view)
    parts = []
    last = table_tiers(view.table.columns)[-1]  # the plan's highest tier, and false escalation
    for output in (f"{last}_p", "p_false_escalation"):
        ranked = _ranked(view, output)
        if len(ranked):
            parts.append(f"{output}: {ranked.iloc[0]['input']} first")
    return f"{view.method}, {len(view.points)} points; " + "; ".join(parts)


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per output and input; ``metrics`` chooses outputs."""
    frame = view.indices.copy()
    chosen = _chosen("sensitivity study", list(dict.fromkeys(frame["output"])), metrics)
    if chosen is not None:
        frame = frame[frame["output"].isin(chosen)]
    key, conf = _key(view)
    frame = frame.sort_values(["output", key], ascending=[True, False], kind="stable").reset_index(drop=True)
    intervals = []
    for index in (("S1", "ST") if view.method == "sobol" else ("mu_star",)):
        frame[f"{index}_low"] = frame[index] - frame[f"{index}_conf"]
        frame[f"{index}_high"] = frame[index] + frame[f"{index}_conf"]
        intervals.append(Interval(index, f"{index}_low", f"{index}_high"))
    order = ["output", "input", *(c for i in intervals for c in (i.estimate, i.low, i.high))]
    frame = frame[order + [c for c in frame.columns if c not in order and not c.endswith("_conf")]]
    caption = (f"{view.scenario}: global sensitivity ({view.method}) of each output to {len(view.data['inputs'])} "
               f"uncertain inputs; {len(view.points):,} design points x {view.data['n']:,} replications (seed "
               f"{view.seed}, common random numbers); 95% bootstrap intervals in brackets"
               + ("; *_denoised: with the Monte Carlo noise taken out of the variance." if view.method == "sobol"
                  else "."))
    return ResultTable(frame, tuple(intervals), caption, view.id)


def figures(view) -> dict[str, Any]:
    from matplotlib.figure import Figure
    outputs = [o for o in view.data["outputs"] if len(_ranked(view, o))]
    inputs = [i["key"] for i in view.data["inputs"]]
    positions = range(len(inputs))
    # at most three panels a row, each as tall as its inputs need: six panels in a row
    # clipped and overlapped their titles, and 12 inputs made an 18-inch figure
    columns = min(3, len(outputs))
    rows = -(-len(outputs) // columns)
    figure = Figure(figsize=(11, 0.9 + rows * (0.9 + 0.28 * len(inputs))), layout="constrained")
    grid = figure.subplots(rows, columns, sharey=True, squeeze=False)
    for ax in grid.flat[len(outputs):]:
        ax.set_axis_off()
    axes = list(grid.flat[:len(outputs)])
    for ax, output in zip(axes, outputs):
        rows = view.indices[view.indices["output"] == output].set_index("input").loc[inputs]
        if view.method == "sobol":
            ax.barh([p + 0.2 for p in positions], rows["S1"], 0.4, xerr=rows["S1_conf"], color="tab:blue",
                    label="first order")
            ax.barh([p - 0.2 for p in positions], rows["ST"], 0.4, xerr=rows["ST_conf"], color="tab:orange",
                    label="total")
            ax.set_xlim(left=min(0.0, float((rows["S1"] - rows["S1_conf"]).min())))
        else:
            ax.errorbar(rows["mu_star"], list(positions), xerr=rows["mu_star_conf"], fmt="o", color="tab:blue",
                        label="mu*")
            ax.plot(rows["sigma"], list(positions), "x", color="tab:red", label="sigma")
        ax.set_title(output, fontsize="small")
        ax.set_xlabel("Sobol' index" if view.method == "sobol" else "elementary effects", fontsize="small")
        ax.tick_params(labelsize="small")
    axes[0].set_yticks(list(positions), inputs)
    axes[0].invert_yaxis()
    # one legend, outside the panels (inside one it covered bars)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize="small")
    figure.suptitle(title(view), fontsize="medium")
    return {"indices": figure}


def render(console: Console, view) -> None:
    key, conf = _key(view)
    for output, info in view.data["outputs"].items():
        ranked = _ranked(view, output)
        if not len(ranked):
            continue
        noise = info.get("noise_share")
        noise_text = "-" if noise is None or (isinstance(noise, float) and math.isnan(noise)) else f"{100 * noise:.1f}%"
        table_ = Table(title=f"{output}: inputs ranked (noise {noise_text} of its variance)", title_justify="left")
        columns = (("input", "S1 [95%]", "ST [95%]", "ST denoised") if view.method == "sobol"
                   else ("input", "mu* [95%]", "sigma", "mu"))
        for c in columns:
            table_.add_column(c, justify="left" if c == "input" else "right", no_wrap=True)
        for r in ranked.to_dict(orient="records"):
            if view.method == "sobol":
                table_.add_row(r["input"], _pm(r["S1"], r["S1_conf"]), _pm(r["ST"], r["ST_conf"]),
                               number(r["ST_denoised"]))
            else:
                table_.add_row(r["input"], _pm(r["mu_star"], r["mu_star_conf"]), number(r["sigma"]), number(r["mu"]))
        console.print(table_)
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)


def _pm(value: float, half: float) -> str:
    return f"{value:.3f} [{value - half:.3f}, {value + half:.3f}]"
