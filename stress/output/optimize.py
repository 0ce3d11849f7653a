"""An optimisation's output: per member of the final re-evaluation its levers, each
objective with its interval, whether it is on the front and the paired probability that
another member dominates it, its constraints and the knee, with the front's hypervolume;
in the terminal, for papers and in plain words; the front with its error bars (every
two objectives), and the members' levers and objectives on parallel axes. See
``stress.kinds.Output``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

from stress.output.render import number
from stress.output.tables import Interval, ResultTable, _chosen

MARKS = ("on_front", "p_dominated", "constraints_met", "constraints_share", "knee", "dominated_by",
         "beaten_everywhere_by", "same_as", "n")


def _objectives(view) -> list[str]:
    return [o["name"] for o in view.objectives]


def _worst_columns(view) -> list[str]:
    """Against several violators: which was worst for each objective (and over the
    uncertainty, at what share of the scenarios)."""
    return [c for name in _objectives(view) for c in (f"{name}_worst", f"{name}_worst_share")
            if c in view.front.columns]


def _statistics(view) -> list[str]:
    return [*_objectives(view), *_worst_columns(view), *(m for m in MARKS if m in view.front.columns)]


def brief(view) -> tuple[str, ...]:
    return (*_objectives(view), *_worst_columns(view),
            *(m for m in ("on_front", "p_dominated", "constraints_met", "knee") if m in view.front.columns))


def _violators(view) -> str:
    """' against the worst of the blind, timing violators' (nothing without an adversary)."""
    behaviours = view.data.get("adversary")
    return f" against the worst of the {', '.join(behaviours)} violators" if behaviours else ""


def title(view) -> str:
    objectives = ", ".join(f"{o['direction']} {o['name']}" for o in view.objectives)
    return f"{view.scenario}: optimising {', '.join(view.lever_keys)} ({objectives}){_violators(view)}"


def _worst(row, name: str) -> str:
    """The violator worst for objective ``name`` in a member's row ('timing', over the
    uncertainty 'timing at 80%' of the scenarios), or '' (none, or no adversary)."""
    behaviour = row.get(f"{name}_worst")
    if not isinstance(behaviour, str) or not behaviour:
        return ""
    share = row.get(f"{name}_worst_share")
    return behaviour if share is None or share != share else f"{behaviour} at {share:.0%}"


def _levers(view, row) -> str:
    return ", ".join(f"{k}={_value(row[k])}" for k in view.lever_keys)


def _value(x: Any) -> str:
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return number(x) if isinstance(x, (float, np.floating)) else str(x)


def _with_interval(row, name: str) -> str:
    """``0.201 [0.191, 0.213]``, rounded by the interval's width (as exports round)."""
    from stress.output.tables import interval_text
    return interval_text(float(row[name]), float(row[f"{name}_ci_low"]), float(row[f"{name}_ci_high"]))


def reading(view) -> list[str]:
    data, front = view.data, view.front_members()
    hv = data["hypervolume"]
    knee = view.front[view.front["member"] == data["knee"]["member"]].iloc[0]
    out = [view.notes[0] if view.notes else "",
           f"{len(front)} of the {len(view.front)} re-evaluated candidates are on the front: no other member that "
           f"meets the constraints does at least as well on every objective and better on one.",
           f"The knee, where giving up a little of one objective buys the most of the others, is candidate "
           f"{int(knee['member'])} ({_levers(view, knee)}): "
           + "; ".join(f"{name} {_with_interval(knee, name)}"
                       + (f" (against the {_worst(knee, name)} violator)" if _worst(knee, name) else "")
                       for name in _objectives(view))
           + f" (the knee of {data['knee']['share']:.0%} of the bootstrap draws).",
           f"The front's hypervolume is {number(hv['estimate'])} (95% interval {number(hv['ci_low'])} to "
           f"{number(hv['ci_high'])}) against the reference "
           + ", ".join(f"{k} = {number(v)}" for k, v in hv["reference"].items()) + "."]
    return [s for s in out if s] + view.notes[1:]


def headline(view) -> str:
    hv = view.data["hypervolume"]
    knee = view.front[view.front["member"] == view.data["knee"]["member"]].iloc[0]
    behaviours = view.data.get("adversary")
    return (f"front of {len(view.front_members())} over {', '.join(view.lever_keys)}"
            + (f" (worst of {len(behaviours)} violators)" if behaviours else "") + f"; knee {_levers(view, knee)}; "
            f"hypervolume {hv['estimate']:.3g} [{hv['ci_low']:.3g}, {hv['ci_high']:.3g}]")


def table(view, metrics: Sequence[str] | None) -> ResultTable:
    """One row per member of the final re-evaluation; ``metrics`` chooses the statistics."""
    chosen = _chosen("optimisation", _statistics(view), metrics) or _statistics(view)
    objectives = set(_objectives(view))
    columns = ["member", *view.lever_keys]
    for name in chosen:
        columns += [name, f"{name}_ci_low", f"{name}_ci_high"] if name in objectives else [name]
    intervals = tuple(Interval(name, f"{name}_ci_low", f"{name}_ci_high") for name in chosen if name in objectives)
    d = view.data
    caption = (f"{view.scenario}: the candidates stress optimize left in contention, re-evaluated on the same "
               f"{d['final_n']:,} fresh replications each (seed {view.seed}, common random numbers"
               + (f", at the same {d['samples']} scenarios" if d.get("over_uncertainty") else "")
               + ")" + (f"{_violators(view)}: each objective and constraint under the violator worst for it "
                        f"(NAME_worst)" if d.get("adversary") else "")
               + "; each objective with its 95% interval; on_front: no other member meeting the constraints "
                 "dominates it; p_dominated: the share of paired bootstrap draws in which one does"
               + ("; constraints_share: the share of draws in which it meets the constraints"
                  if d.get("constraints") else "")
               + f"; knee: the member farthest below the plane through the front's extremes. Hypervolume "
                 f"{d['hypervolume']['estimate']:.4g} [{d['hypervolume']['ci_low']:.4g}, "
                 f"{d['hypervolume']['ci_high']:.4g}].")
    return ResultTable(view.front[columns].copy(), intervals, caption, view.id)


# --- plots ------------------------------------------------------------------------------

def figures(view) -> dict[str, Any]:
    return {"front": _front(view), "levers": _parallel(view)}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout="constrained")


def _front(view):
    """Every two objectives: all candidates the search evaluated (grey), the members with
    their 95% intervals (the front's filled), the knee marked."""
    names = _objectives(view)
    pairs = list(itertools.combinations(range(len(names)), 2)) or [(0, 0)]
    figure = _figure(max(6.5, 5.2 * min(len(pairs), 3)), 5.2 * math.ceil(len(pairs) / 3))
    axes = np.atleast_1d(figure.subplots(math.ceil(len(pairs) / 3), min(len(pairs), 3), squeeze=False)).ravel()
    members, everyone = view.front, view.candidates
    knee = view.data["knee"]["member"]
    for ax, (i, j) in zip(axes, pairs):
        x, y = names[i], names[j]
        if x in everyone.columns and y in everyone.columns:
            ax.scatter(everyone[x], everyone[y], s=8, color="0.75", label="candidates (search estimates)", zorder=1)
        for on, style in ((False, dict(fmt="o", mfc="white", color="tab:gray")),
                          (True, dict(fmt="o", color="tab:blue"))):
            rows = members[members["on_front"] == on]
            if not len(rows):
                continue
            ax.errorbar(rows[x], rows[y], xerr=[rows[x] - rows[f"{x}_ci_low"], rows[f"{x}_ci_high"] - rows[x]],
                        yerr=[rows[y] - rows[f"{y}_ci_low"], rows[f"{y}_ci_high"] - rows[y]], capsize=2,
                        markersize=5, zorder=3, label="front (95% intervals)" if on else "re-evaluated, dominated",
                        **style)
        row = members[members["member"] == knee].iloc[0]
        ax.scatter([row[x]], [row[y]], s=160, facecolors="none", edgecolors="tab:red", linewidths=2, zorder=4,
                   label=f"knee: candidate {knee}")
        direction = {o["name"]: o["direction"] for o in view.objectives}
        ax.set(xlabel=f"{x} ({direction[x]})", ylabel=f"{y} ({direction[y]})")
        for row in members[members["on_front"]].to_dict(orient="records"):   # the violators worst for it
            label = " / ".join(dict.fromkeys(w for w in (_worst(row, x), _worst(row, y)) if w))
            if label:
                ax.annotate(label, (row[x], row[y]), xytext=(4, 4), textcoords="offset points", fontsize="xx-small",
                            color="0.3")
        ax.grid(alpha=0.3)
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    axes[0].legend(fontsize="x-small")
    behaviours = view.data.get("adversary")
    figure.suptitle(f"{view.scenario}: the front of {', '.join(view.lever_keys)} ({view.n:,} fresh replications per "
                    f"member, seed {view.seed})"
                    + (f"\neach objective against the worst of {len(behaviours)} violators (labels: the worst "
                       f"for each)" if behaviours else ""), fontsize="medium")
    return figure


def _parallel(view):
    """Parallel coordinates: each member a line across its levers and objectives, each
    axis scaled from its lowest to its highest value among the members."""
    members = view.front
    axes_names = [*view.lever_keys, *_objectives(view)]
    figure = _figure(max(6.5, 1.6 * len(axes_names) + 2), 4.8)
    ax = figure.add_subplot()
    scaled = np.zeros((len(members), len(axes_names)))
    labels = []
    for j, name in enumerate(axes_names):
        column = members[name]
        numeric = np.issubdtype(column.dtype, np.number)
        values = column.to_numpy(dtype=np.float64) if numeric else \
            column.map({v: i for i, v in enumerate(dict.fromkeys(column))}).to_numpy(dtype=np.float64)
        low, high = np.nanmin(values), np.nanmax(values)
        scaled[:, j] = (values - low) / (high - low) if high > low else 0.5
        labels.append(f"{name}\n{_value(low) if numeric else ''} - {_value(high) if numeric else ''}")
    knee = view.data["knee"]["member"]
    x = np.arange(len(axes_names))
    for row, values in zip(members.itertuples(index=False), scaled):
        member = getattr(row, "member")
        on = bool(getattr(row, "on_front"))
        ax.plot(x, values, marker="o", markersize=3, linewidth=2.6 if member == knee else 1.2,
                color="tab:red" if member == knee else ("tab:blue" if on else "0.6"),
                linestyle="-" if on else "--", alpha=0.9, zorder=3 if member == knee else 2)
    for j in x:
        ax.axvline(j, color="0.3", linewidth=0.8, zorder=1)
    ax.set_xticks(x, labels, fontsize="x-small")
    ax.set_yticks([0, 1], ["lowest", "highest"])
    ax.set_xlim(-0.2, len(axes_names) - 0.8)
    behaviours = view.data.get("adversary")
    ax.set_title(f"{view.scenario}: levers and objectives of the re-evaluated members (blue: the front, grey "
                 f"dashed: dominated, red: the knee)"
                 + (f"\nobjectives against the worst of {len(behaviours)} violators" if behaviours else ""),
                 fontsize="medium")
    return figure


# --- terminal ---------------------------------------------------------------------------

def _place(row) -> str:
    """On the front, or why not: the members that dominate it, or the constraints it misses."""
    if row["on_front"]:
        return "yes"
    if not row.get("constraints_met", True):
        return "no: constraints"
    return f"no: by {row['dominated_by']}"


def render(console: Console, view) -> None:
    d = view.data
    console.print(f"{title(view)}: {d['candidates']} candidates in {d['generations']} generations, "
                  f"{d['replications']['used']:,} replications of {d['replications']['max']:,} (seed {view.seed}); "
                  f"the {len(view.front)} left in contention on {d['final_n']:,} fresh replications each"
                  + (f" at {d['samples']} scenarios" if d.get("over_uncertainty") else "")
                  + (" against each violator" if d.get("adversary") else "")
                  + " (95% intervals"
                  + ("; worst violator: the one worst for each objective, in their order" if d.get("adversary") else "")
                  + "; P(dominated): the share of paired bootstrap draws in which another member "
                    "dominates it" + ("; constraints: met by the estimate, and in what share of the draws"
                                      if "constraints_met" in view.front.columns else "") + "):",
                  highlight=False, soft_wrap=True)
    table_ = Table(title_justify="left")
    constraints = "constraints_met" in view.front.columns
    violators = bool(d.get("adversary"))
    headers = ["#", *view.lever_keys, *_objectives(view), *(["worst violator"] if violators else []), "front",
               "P(dominated)",
               *(["constraints"] if constraints else []), "knee"]
    for header in headers:
        table_.add_column(header, justify="left" if header in ("front", "knee", "worst violator") else "right")
    for row in view.front.to_dict(orient="records"):
        cells = [str(int(row["member"])), *(_value(row[k]) for k in view.lever_keys),
                 *(_with_interval(row, name) for name in _objectives(view))]
        if violators:
            cells.append(", ".join(_worst(row, name) or "-" for name in _objectives(view)))
        cells += [_place(row), f"{row['p_dominated']:.2f}"]
        if constraints:
            cells.append(f"{'met' if row['constraints_met'] else 'missed'} ({row['constraints_share']:.0%})")
        cells.append("knee" if row["knee"] else "")
        table_.add_row(*cells)
    console.print(table_)
    hv = d["hypervolume"]
    console.print(f"hypervolume {number(hv['estimate'])} [{number(hv['ci_low'])}, {number(hv['ci_high'])}] "
                  f"(reference {', '.join(f'{k} = {number(v)}' for k, v in hv['reference'].items())}); knee: "
                  f"candidate {d['knee']['member']} in {d['knee']['share']:.0%} of the draws", highlight=False,
                  soft_wrap=True)
    for note in view.notes:
        console.print(f"- {note}", highlight=False, soft_wrap=True)
