"""Rendering results for the terminal (rich tables). No computation here."""

from __future__ import annotations

import math

import numpy as np
from rich.console import Console
from rich.table import Table

def days(hours: float) -> str:
    return "-" if hours is None or math.isnan(hours) else f"{hours / 24.0:.1f}"


def probability(p: float, low: float, high: float) -> tuple[str, str]:
    if math.isnan(p):
        return "-", "-"
    return f"{p:.3f}", f"[{low:.3f}, {high:.3f}]"


def number(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}" if abs(x) < 1e5 else f"{x:.3e}"


def run_summary(console: Console, summary) -> None:
    title = (f"{summary.scenario}: probability of reaching at least each tier within "
             f"{summary.horizon_hours / 24:g} days\n{summary.n:,} replications, seed {summary.seed}, "
             f"engine {summary.engine}")
    table = Table(title=title, title_justify="left")
    table.add_column("tier reached", no_wrap=True)
    for header in ("p reached", "95% CI", "median days", "10-90% days"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in summary.tier_rows:
        p, ci = probability(row["p_reached"], row["ci_low"], row["ci_high"])
        table.add_row(str(row["tier"]), p, ci, days(row["median_hours_to_reach"]),
                      f"{days(row['p10_hours_to_reach'])} - {days(row['p90_hours_to_reach'])}")
    console.print(table)
    metrics = Table(title="Other metrics (per replication)", title_justify="left")
    metrics.add_column("metric", no_wrap=True)
    for header in ("estimate", "95% CI", "n"):
        metrics.add_column(header, justify="right", no_wrap=True)
    for row in summary.metric_rows:
        ci = "-" if math.isnan(row["ci_low"]) else f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
        metrics.add_row(row["metric"], number(row["estimate"]), ci, f"{row['n']:,}")
    console.print(metrics)


def trace(console: Console, events, record) -> None:
    table = Table(title=f"Replication {int(record['replication'])}: timeline", title_justify="left")
    table.add_column("hours", justify="right")
    table.add_column("day", justify="right")
    table.add_column("component")
    table.add_column("event")
    for event in events:
        table.add_row(f"{event.hours:.2f}", f"{event.hours / 24:.1f}", event.kind, event.what)
    console.print(table)
    outcome = Table(title="Record", title_justify="left")
    outcome.add_column("field")
    outcome.add_column("value", justify="right")
    for key, value in record.items():
        outcome.add_row(key, number(float(value)) if not isinstance(value, (bool, np.bool_)) else str(bool(value)))
    console.print(outcome)


def _interval(p: float, low: float, high: float) -> str:
    if p is None or math.isnan(p):
        return "-"
    return f"{p:.3f} [{low:.3f}, {high:.3f}]"


# A terminal shows at most this many rows of a sweep's table; the files hold them all.
SHOWN_ROWS = 40


def sweep_table(console: Console, result) -> None:
    from stress.storage.reading import table_tiers
    frame = result.to_frame()
    tiers = table_tiers(frame.columns)
    keys = list(result.points[0]) if result.points else []
    table = Table(title=f"Sweep over {', '.join(keys)}: probability of reaching at least each tier "
                        f"(seed {result.seed}, common random numbers)", title_justify="left")
    for key in keys:
        table.add_column(key, justify="right", overflow="fold")
    table.add_column("n", justify="right", min_width=5)
    for tier in tiers:
        table.add_column(f"{tier} [95% CI]", justify="right", min_width=14)
    rows = frame.to_dict(orient="records") if len(frame) <= SHOWN_ROWS else \
        frame.head(SHOWN_ROWS // 2).to_dict(orient="records") + [None] + frame.tail(SHOWN_ROWS // 2).to_dict(orient="records")
    for row in rows:
        if row is None:
            table.add_row(*(["..."] * (len(keys) + 1 + len(tiers))))
            continue
        cells = [number(row[k]) if isinstance(row[k], float) else str(row[k]) for k in keys]
        cells.append(f"{row['n']:,}")
        cells += [_interval(row[f"{t}_p"], row[f"{t}_ci_low"], row[f"{t}_ci_high"]) for t in tiers]
        table.add_row(*cells)
    console.print(table)
    if len(frame) > SHOWN_ROWS:
        console.print(f"{len(frame) - SHOWN_ROWS:,} of {len(frame):,} points not shown: every point is in "
                      f"table.csv (or stress export)", highlight=False)


def compare_table(console: Console, result) -> None:
    table = Table(title=f"Paired differences against '{result.variants[0].name}' "
                        f"({result.n:,} replications each, seed {result.seed}, common random numbers)",
                  title_justify="left")
    table.add_column("variant", overflow="fold", min_width=7)
    table.add_column("tier", justify="right", min_width=4)
    table.add_column("p ref -> variant", justify="right", min_width=11)
    table.add_column("diff [95% CI]", justify="right", min_width=16)
    for header in ("p Holm", "median days diff", "CI narrower"):
        table.add_column(header, justify="right", min_width=5)
    for row in result.table.to_dict(orient="records"):
        narrower = row["narrower_than_independent"]
        p_value = "-" if math.isnan(row["p_value"]) else f"{row['p_value']:.2g}" if row["p_value"] > 0 else "<1e-300"
        diff = "-" if math.isnan(row["diff"]) else f"{row['diff']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"
        table.add_row(row["variant"], str(row["tier"]), f"{_p(row['p_reference'])} -> {_p(row['p_variant'])}",
                      diff, p_value, days(row["median_hours_diff"]),
                      "-" if math.isinf(narrower) or math.isnan(narrower) else f"{narrower:.1f}x")
    console.print(table)


def _p(p: float) -> str:
    """A probability, or '-' where the plan has no such tier."""
    return "-" if math.isnan(p) else f"{p:.3f}"


def stored_result(console: Console, view) -> None:
    """A result folder's table, as the command that wrote it printed it."""
    from stress import kinds
    kinds.output(view.kind).render(console, view)


# Besides the id, the results table needs this many columns to be readable.
RESULT_COLUMNS = 90


def result_list(console: Console, entries, folder) -> None:
    widest = max((len(e.id) for e in entries), default=2)
    if console.width < widest + RESULT_COLUMNS:
        # too narrow for a table that keeps every id on one line (a wrapped id cannot be
        # copied): one result after another, its id on a line of its own
        console.print(f"Results in {folder}", highlight=False)
        for e in entries:
            console.print(f"\n{e.id}", highlight=False, soft_wrap=True)
            console.print(f"  {e.kind}, {e.status}, {e.scenario}, N {'-' if e.n is None else f'{e.n:,}'}, "
                          f"{e.created[:16].replace('T', ' ')}", highlight=False)
            console.print(f"  {e.headline}", highlight=False)
        return
    table = Table(title=f"Results in {folder}", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=widest)
    for header in ("kind", "status", "scenario"):
        table.add_column(header, overflow="fold")
    table.add_column("N", justify="right")
    table.add_column("created", no_wrap=True)
    table.add_column("headline", overflow="fold")
    for e in entries:
        table.add_row(e.id, e.kind, e.status, e.scenario, "-" if e.n is None else f"{e.n:,}",
                      e.created[:16].replace("T", " "), e.headline)
    console.print(table)
