"""An exploration's output: every statistic over the uncertainty in the terminal, for
papers and in plain words, and the distribution of each tier probability over the
sampled points. See ``stress.kinds.Output``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import Interval, ResultTable, select_rows
from stress.storage.reading import table_tiers

SPREAD = ("q05", "q25", "q50", "q75", "q95")


def brief(view) -> tuple[str, ...]:
    """The statistics text formats show by default: each tier's probability and the
    proportions of the last tier's race and of false escalation."""
    tiers = table_tiers(view.table.columns)
    names = set(view.statistics["statistic"])
    return (*(f"{t}_p" for t in tiers), "p_false_escalation",
            *(p for p in (f"p_{tiers[-1]}_objective_first",) if p in names))


def title(view) -> str:
    return f"{view.scenario}: {len(view.points):,} points over {len(view.keys)} uncertain inputs"


def _describe(view) -> str:
    inputs = view.data["inputs"]
    return ", ".join(i["key"] for i in inputs)


def reading(view) -> list[str]:
    s = view.statistics.set_index("statistic")
    out = [f"Over {len(view.points):,} points drawn ({view.data['design']}) from the distributions of "
           f"{_describe(view)}, each run {view.n:,} times on seed {view.seed} (the same replications at every point):"]
    for tier in table_tiers(view.table.columns):
        row = s.loc[f"{tier}_p"]
        noise = "" if math.isnan(row["noise_share"]) else f"; {100 * row['noise_share']:.0f}% of that spread is " \
                                                          "Monte Carlo noise"
        out.append(f"P({tier}) averages {_pct(row['mean'])} over the uncertainty (95% interval "
                   f"{_pct(row['ci_low'])} to {_pct(row['ci_high'])}); nine points in ten lie between "
                   f"{_pct(row['q05'])} and {_pct(row['q95'])}{noise}.")
    return out + view.notes


def _pct(p: float) -> str:
    return "-" if math.isnan(p) else f"{100 * p:.1f}%"


def headline(view) -> str:
    last = table_tiers(view.table.columns)[-1]
    row = view.statistics.set_index("statistic").loc[f"{last}_p"]
    return (f"{len(view.points)} points; P({last}) {row['mean']:.3f} [{row['ci_low']:.3f}, "
            f"{row['ci_high']:.3f}], 90% of points {row['q05']:.3f} to {row['q95']:.3f}")


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per statistic: its mean over the uncertainty with the 95% interval, the
    quantiles of its point-level values, and the share of their spread that is noise."""
    frame = view.statistics.copy()
    frame = select_rows(frame, "statistic", "exploration", metrics)
    caption = (f"{view.scenario}: each statistic averaged over {len(view.points):,} points drawn from the "
               f"uncertain inputs ({_describe(view)}), 95% intervals for both the points and the {view.n:,} "
               f"replications per point (seed {view.seed}, common random numbers); q05-q95: quantiles of the "
               f"point-level values; noise_share: the part of their spread that is Monte Carlo noise.")
    return ResultTable(frame, (Interval("mean", "ci_low", "ci_high"),), caption, view.id)


def figures(view) -> dict[str, Any]:
    from matplotlib.figure import Figure
    tiers = table_tiers(view.table.columns)
    columns = min(len(tiers), 4)
    rows = math.ceil(len(tiers) / columns)
    figure = Figure(figsize=(2.5 + 2.5 * columns, 0.6 + 2.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    s = view.statistics.set_index("statistic")
    for ax in axes[len(tiers):]:
        ax.set_visible(False)
    for ax, tier in zip(axes, tiers):
        values = view.table[f"{tier}_p"].to_numpy()
        ax.hist(values, bins=40, range=(0, 1), color="0.6")
        row = s.loc[f"{tier}_p"]
        ax.axvspan(row["ci_low"], row["ci_high"], color="tab:red", alpha=0.25, label="mean, 95% interval")
        ax.axvline(row["mean"], color="tab:red")
        ax.set_xlabel(f"P({tier}) at a point")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("points")
    # under the panels, where it covers no bar
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", fontsize="small", frameon=False)
    figure.suptitle(f"{view.scenario}: tier probabilities over {len(view.points):,} points of the uncertainty "
                    f"(N = {view.n:,}, seed {view.seed})", fontsize="medium")
    return {"distributions": figure}


def render(console: Console, view) -> None:
    table_ = Table(title=f"{title(view)}: each statistic over the uncertainty ({view.n:,} replications per point, "
                         f"seed {view.seed})", title_justify="left")
    for header in ("statistic", "mean", "95% CI", *("5%", "25%", "50%", "75%", "95%"), "noise"):
        table_.add_column(header, justify="left" if header == "statistic" else "right", no_wrap=True)
    for row in view.statistics.to_dict(orient="records"):
        ci = "-" if math.isnan(row["ci_low"]) else f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
        noise = "-" if math.isnan(row["noise_share"]) else f"{100 * row['noise_share']:.0f}%"
        table_.add_row(row["statistic"], number(row["mean"]), ci, *(number(row[q]) for q in SPREAD), noise)
    console.print(table_)
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)
