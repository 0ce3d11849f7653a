"""Plots of a result folder (PNG and SVG): the shape of the results at a glance.

A run: the cumulative probability of each tier over time with its band. A sweep over
one parameter: each tier's probability against it with interval bars; over two: a
heatmap per tier. A comparison: a forest plot of the paired differences.

matplotlib is imported inside the functions, so the command line starts fast, and
figures are ``Figure`` objects rendered by Agg: no pyplot state, no display needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from stress.errors import UsageError
from stress.storage import folders as store
from stress.storage.figures import figure_bytes
from stress.storage.reading import CompareView, ResultView, RunView, SweepView, as_view, table_tiers
from stress import kinds

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
# Tiers take these colours in plan order (blue, orange, red for the first form's three).
COLOURS = ("tab:blue", "tab:orange", "tab:red", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
UNITS = (("_hours", "hours"), ("_days", "days"), ("_per_day", "per day"))
PROBABILITY = "probability of reaching at least the tier"


def axis_label(key: str) -> str:
    """A config key with its unit, e.g. 'tier2.window_days (days)'."""
    for suffix, unit in UNITS:
        if key.endswith(suffix):
            return f"{key} ({unit})"
    return key


def tier_colour(position: int) -> str:
    return COLOURS[position % len(COLOURS)]


def figures(result: ResultView) -> dict[str, "Figure"]:
    """The plots of a result, by file name (without suffix)."""
    import matplotlib
    # names and values from the user are text, never mathtext (a scenario named "a $\frac{$"
    # ended the plot in a ParseSyntaxException, and "$x$" was set in italics)
    with matplotlib.rc_context({"text.parse_math": False}):
        return _figures(result)


def _figures(result: ResultView) -> dict[str, "Figure"]:
    return kinds.output(result.kind).figures(result)


def plot(result: str | Path | ResultView, out: str | Path | None = None,
         formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the plots of a result folder as PNG and SVG files into ``out`` (default:
    the folder's ``plots/``); returns their paths."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(f"plot formats must be among {', '.join(FORMATS)}, got {', '.join(unknown) or 'none'}")
    view = as_view(result)
    if out is not None:
        store.refuse_inside_result(Path(out), allowed=view.path / "plots")
    folder = Path(out) if out is not None else view.path / "plots"
    written = []
    for name, figure in figures(view).items():
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            store.atomic_write(path, figure_bytes(figure, fmt))
            written.append(path)
    return written


def _figure(width: float, height: float) -> "Figure":
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def run_curves(view: RunView) -> "Figure":
    s = view.summary
    fig = _figure(8, 5)
    ax = fig.add_subplot()
    for position, (tier, curve) in enumerate(s.curves.groupby("tier", sort=False)):
        days = curve["hours"] / 24.0
        ax.plot(days, curve["p_reached"], color=tier_colour(position), label=tier)
        ax.fill_between(days, curve["ci_low"], curve["ci_high"], color=tier_colour(position), alpha=0.25,
                        linewidth=0)
    ax.set(xlabel="days since the start", ylabel=f"{PROBABILITY} by then", ylim=(0, 1.02), xlim=(0, s.horizon_hours / 24))
    ax.set_title(f"{s.scenario}: probability of having reached each tier over time\n"
                 f"{s.n:,} replications, seed {s.seed}; bands: pointwise 95% intervals")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)  # inside, it covered the tier-1 curve
    return fig


def _legend_below(fig: "Figure", ax) -> None:
    """The legend in one row under the plot, where it covers no data."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numbers stay on a numeric axis; anything else gets one slot per value, in order of appearance."""
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float), None
    labels = list(dict.fromkeys(values.astype(str)))
    return np.array([labels.index(v) for v in values.astype(str)], dtype=float), labels


def sweep_lines(view: SweepView) -> "Figure":
    (key,) = view.keys
    table = view.table.sort_values(key, kind="stable")
    x, labels = _positions(table[key])
    fig = _figure(8, 5)
    ax = fig.add_subplot()
    for position, tier in enumerate(table_tiers(table.columns)):
        p, low, high = (table[f"{tier}_{c}"].to_numpy() for c in ("p", "ci_low", "ci_high"))
        ax.errorbar(x, p, yerr=[p - low, high - p], color=tier_colour(position), marker="o", capsize=4,
                    label=tier)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    elif len(np.unique(x)) <= 12:  # a grid's few values are the ticks: no 2.5 for a threshold
        ax.set_xticks(np.unique(x), [_tick(v) for v in np.unique(x)])
    ax.set(xlabel=axis_label(key), ylabel=PROBABILITY, ylim=(0, 1.02))
    ax.set_title(f"{view.scenario}: probability of reaching each tier against {key}\n"
                 f"{view.replications_text()} replications per point, seed {view.seed}; bars: 95% intervals")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax)
    return fig


def sweep_heatmaps(view: SweepView) -> "Figure":
    x_key, y_key = view.keys[1], view.keys[0]  # the first key varies slowest: rows
    table = view.table
    tiers = table_tiers(table.columns)
    columns = min(len(tiers), 4)
    rows = -(-len(tiers) // columns)
    fig = _figure(1 + 4.5 * columns, 0.8 + 4.2 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(tiers):]:
        ax.set_visible(False)
    axes = axes[:len(tiers)]
    image = None
    for ax, tier in zip(axes, tiers):
        column = f"{tier}_p"
        x, x_labels = _positions(table[x_key])
        y, y_labels = _positions(table[y_key])
        xs, ys = np.unique(x), np.unique(y)
        if len(xs) * len(ys) == len(table) == len(set(zip(x, y))):  # a full grid: one cell per point
            grid = np.full((len(ys), len(xs)), np.nan)
            grid[np.searchsorted(ys, y), np.searchsorted(xs, x)] = table[column]
            image = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
            ax.set_xticks(range(len(xs)), x_labels or [_tick(v) for v in xs])
            ax.set_yticks(range(len(ys)), y_labels or [_tick(v) for v in ys])
            if grid.size <= 100:
                for (row, col), p in np.ndenumerate(grid):
                    ax.text(col, row, f"{p:.2f}", ha="center", va="center", fontsize=9,
                            color="black" if p > 0.6 else "white")
        else:  # a design's scattered points
            image = ax.scatter(x, y, c=table[column], vmin=0, vmax=1, cmap="viridis", s=40)
            if x_labels is not None:
                ax.set_xticks(range(len(x_labels)), x_labels)
            if y_labels is not None:
                ax.set_yticks(range(len(y_labels)), y_labels)
        ax.set(xlabel=axis_label(x_key), ylabel=axis_label(y_key), title=tier)
    fig.colorbar(image, ax=list(axes), label=PROBABILITY)
    fig.suptitle(f"{view.scenario}: probability of reaching each tier over {y_key} and {x_key}\n"
                 f"{view.replications_text()} replications per point, seed {view.seed}")
    return fig


def compare_forest(view: CompareView) -> "Figure":
    table = view.table
    fig = _figure(8, 2.0 + 0.3 * len(table))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]  # first row at the top
    for position, tier in enumerate(dict.fromkeys(table["tier"])):
        rows = (table["tier"] == tier).to_numpy()
        d, low, high = (table.loc[rows, c].to_numpy() for c in ("diff", "ci_low", "ci_high"))
        ax.errorbar(d, y[rows], xerr=[d - low, high - d], fmt="o", color=tier_colour(position), capsize=4)
    ax.axvline(0, color="black", linewidth=0.8)
    # a tier only one of the two plans has has no difference: its row stays empty
    ax.set_yticks(y, [f"{r.variant}, {r.tier}" + (" (not in both plans)" if r.diff != r.diff else "")
                      for r in table.itertuples()])
    ax.set(xlabel=f"difference in {PROBABILITY} (variant - {view.variants[0].name}; 95% interval)",
           ylim=(-0.7, len(table) - 0.3))
    ax.set_title(f"{view.scenario}: paired differences against '{view.variants[0].name}'\n"
                 f"{view.n:,} replications per variant, seed {view.seed} (common random numbers)")
    ax.grid(axis="x", alpha=0.3)  # no legend: the row labels name the tiers
    return fig


def _tick(value: float) -> str:
    return f"{value:g}"
