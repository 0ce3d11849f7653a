"""One self-contained HTML report of a result folder, to email and open offline.

It holds a plain-language reading of the headline numbers, the headline table, the
plots (PNG images inside the file as data: URIs), every number, the STRESS-DES
reporting checklist answered (``stress.output.stress_des``), the config and the
manifest. CSS is inline; there are no scripts and nothing is fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
import json
import math
from decimal import Decimal
from pathlib import Path

from stress.errors import UsageError
from stress import kinds
from stress.output import plots, stress_des, tables
from stress.storage import folders as store
from stress.storage.reading import CompareView, ResultView, RunView, SweepView, as_view
from stress.storage.reading import table_tiers

# Greys only: the plots are the only colour on the page (the browser test relies on it).
STYLE = """
body { font-family: system-ui, sans-serif; color: #222; max-width: 1150px; margin: 1.5em auto; padding: 0 1em;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #bbb; }
.meta { color: #555; font-size: 0.9em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0; font-variant-numeric: tabular-nums; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-style: italic; color: #444; padding-bottom: 0.4em; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left; white-space: nowrap; }
thead th { border-bottom: 2px solid #222; }
.number { text-align: right; }
img { display: block; max-width: 100%; height: auto; margin: 0.8em 0; }
pre { background: #f3f3f3; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
h3 { font-size: 1.02em; margin-top: 1.2em; }
h4 { font-size: 0.95em; margin: 0.9em 0 0.2em; }
#stress-des td { white-space: normal; }
#stress-des td:first-child { white-space: nowrap; }
"""


def report(result: str | Path | ResultView, out: str | Path | None = None, force: bool = False) -> Path:
    """Write the HTML report of a result folder to ``out`` (default: the folder's
    ``report.html``, replaced if there); returns its path. ``out`` may not be in a
    result folder, nor exist unless ``force``."""
    view = as_view(result)
    if out is not None and Path(out).is_dir():
        raise UsageError(f"--out {out}: is a folder; give the HTML file to write, e.g. {Path(out) / 'report.html'}")
    if out is not None:
        tables.check_out_file(Path(out), force, allowed=view.path / "report.html")
    path = Path(out) if out is not None else view.path / "report.html"
    store.atomic_write(path, report_html(view))
    return path


def report_html(view: ResultView) -> str:
    headline = tables.result_table(view, brief=True)
    everything = tables.result_table(view)
    parts = [f"<h1>{_e(title(view))}</h1>", f'<p class="meta">{_e(_meta(view))}</p>',
             "<h2>In plain words</h2>", *(f"<p>{_e(p)}</p>" for p in reading(view)),
             "<h2>Headline</h2>", html_table(headline, "headline"),
             "<h2>Plots</h2>", _plots(view)]
    if list(everything.frame.columns) != list(headline.frame.columns) or len(everything.frame) != len(headline.frame):
        parts += ["<h2>All numbers</h2>", html_table(everything, "all")]
    parts += _checklist(view)
    parts.append("<h2>Configuration</h2>")
    for name, text in view.configs.items():
        parts += [f"<p>{_e(name)}</p>", f"<pre>{_e(text)}</pre>"]
    parts += ["<h2>Manifest</h2>", f"<pre>{_e(json.dumps(view.manifest, indent=2))}</pre>"]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title(view))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def title(view: ResultView) -> str:
    return kinds.output(view.kind).title(view)


def _meta(view: ResultView) -> str:
    m = view.manifest
    version = m.get("versions", {}).get("stress", "?")
    return (f"Result {view.id}, created {m.get('created', '?')}, seed {view.seed}, engine {m.get('engine', '?')}; "
            f"stress {version}, commit {m.get('git_commit') or 'unknown'}.")


def html_table(table: tables.ResultTable, element_id: str) -> str:
    text = table.text_frame()
    numeric = [not tables.is_label(text[c]) for c in text.columns]

    def cells(tag: str, values) -> str:
        return "".join(f'<{tag}{" class=number" if right else ""}>{_e(str(v))}</{tag}>'
                       for v, right in zip(values, numeric))

    rows = "\n".join(f"<tr>{cells('td', r)}</tr>" for r in text.itertuples(index=False))
    return (f'<div class="scroll"><table id="{element_id}"><caption>{_e(table.caption)}</caption>\n'
            f"<thead><tr>{cells('th', text.columns)}</tr></thead>\n<tbody>\n{rows}\n</tbody></table></div>")


def _plots(view: ResultView) -> str:
    try:
        figures = plots.figures(view)
    except ValueError as exc:  # a sweep over more parameters than a plot shows
        return f"<p>{_e(str(exc))}</p>"
    images = []
    for name, figure in figures.items():
        data = base64.b64encode(plots.figure_bytes(figure, "png")).decode("ascii")
        images.append(f'<img id="plot-{name}" src="data:image/png;base64,{data}" alt="{html.escape(name)} plot">')
    return "\n".join(images)


def _checklist(view: ResultView) -> list[str]:
    """The STRESS-DES checklist, an item a heading with its answer."""
    parts = ['<section id="stress-des">', "<h2>STRESS-DES checklist</h2>",
             f"<p>The reporting checklist for discrete-event simulation studies ({_e(stress_des.REFERENCE)}), "
             "answered from this folder's manifest and scenario. What the folder cannot tell says "
             f"\"{stress_des.NOT_RECORDED}\": state it where you file the report.</p>"]
    for section, items in stress_des.checklist(view):
        parts.append(f"<h3>{_e(section)}</h3>")
        for item in items:
            parts.append(f'<h4 id="stress-des-{item.number or item.heading.lower()}">'
                         f"{_e(f'{item.number} {item.heading}'.strip())}</h4>")
            parts += [f"<p>{_e(p)}</p>" for p in item.paragraphs]
            if item.diagram is not None:
                parts.append(f"<pre>{_e(item.diagram)}</pre>")
            if item.table is not None:
                parts.append(html_table(item.table, f"stress-des-{item.number}"))
    return parts + ["</section>"]


def _e(text: str) -> str:
    """Text content escaped (quotes stay readable: the manifest is JSON)."""
    return html.escape(text, quote=False)


# The plain-language reading: the numbers of the headline table, in sentences.

def reading(view: ResultView) -> list[str]:
    """A few sentences on what the headline numbers say."""
    return kinds.output(view.kind).reading(view)


def tier_words(tier: str) -> str:
    return f"tier {tier}"


def percent(p: float, low: float, high: float, signed: bool = False) -> tuple[str, str]:
    """'58.3%' and '56.1% to 60.4%', rounded like the tables (by the interval's width)."""
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return f"{100 * p:g}%", "no interval"
    d = tables.decimals_for(100 * low, 100 * high)
    sign = "+" if signed else ""

    def pct(x: float) -> str:
        # rounded as a fraction first, so the percentage matches the tables digit for digit
        return f"{Decimal(f'{x:.{d + 2}f}').scaleb(2):{sign}.{d}f}%"

    return pct(p), f"{pct(low)} to {pct(high)}"


def read_run(view: RunView) -> list[str]:
    s = view.summary
    reached = []
    for t in s.tiers.itertuples():
        p, interval = percent(t.p_reached, t.ci_low, t.ci_high)
        reached.append(f"{tier_words(t.tier)} in {p} ({interval})")
    out = [f"In {s.n:,} simulated runs of {s.horizon_hours / 24:g} days (seed {s.seed}), escalation reached "
           f"{', '.join(reached[:-1])} and {reached[-1]}, each with its 95% interval."]
    top = s.tiers[s.tiers["n_reached"] > 0].tail(1)
    for t in top.itertuples():
        out.append(f"Among the {t.n_reached:,} runs that reached {tier_words(t.tier)}, half did so within "
                   f"{t.median_hours_to_reach / 24:.1f} days (10% within {t.p10_hours_to_reach / 24:.1f}, "
                   f"90% within {t.p90_hours_to_reach / 24:.1f} days).")
    false = s.metrics[s.metrics["metric"] == "p_false_escalation"]
    for m in false.itertuples():
        p, interval = percent(m.estimate, m.ci_low, m.ci_high)
        out.append(f"In {p} of runs ({interval}) a tier was reached on a false report.")
    return out


def read_sweep(view: SweepView) -> list[str]:
    table = view.table
    out = []
    for tier in table_tiers(table.columns):
        p = table[f"{tier}_p"]
        lo, hi = table.loc[p.idxmin()], table.loc[p.idxmax()]
        low_text = percent(lo[f"{tier}_p"], lo[f"{tier}_ci_low"], lo[f"{tier}_ci_high"])[0]
        high_text = percent(hi[f"{tier}_p"], hi[f"{tier}_ci_low"], hi[f"{tier}_ci_high"])[0]
        if p.min() == p.max():
            out.append(f"The probability of reaching {tier_words(tier)} is {low_text} at every point.")
        elif hi[f"{tier}_ci_low"] <= lo[f"{tier}_ci_high"]:
            out.append(f"The probability of reaching {tier_words(tier)} stays between {low_text} and {high_text}, "
                       "differences within the uncertainty of the estimates.")
        else:
            out.append(f"The probability of reaching {tier_words(tier)} ranges from {low_text} "
                       f"({_point(lo, view.keys)}) to {high_text} ({_point(hi, view.keys)}).")
    out.append(f"Each of the {len(table)} points ran {view.replications_text()} replications on seed {view.seed}: "
               "the points meet the same simulated breaches (common random numbers), so the differences between "
               "them come from the parameters rather than from different random draws.")
    return out


def _point(row, keys: list[str]) -> str:
    return ", ".join(f"{k} = {row[k]:g}" if isinstance(row[k], float) else f"{k} = {row[k]}" for k in keys)


def read_compare(view: CompareView) -> list[str]:
    reference = view.variants[0].name
    out = []
    for variant in view.variants[1:]:
        rows = view.table[view.table["variant"] == variant.name]
        changes = []
        for r in rows.itertuples():
            if math.isnan(r.diff):
                which = variant.name if math.isnan(r.p_reference) else reference
                changes.append(f"{tier_words(r.tier)} only in {which}'s plan")
                continue
            diff, interval = percent(r.diff, r.ci_low, r.ci_high, signed=True)
            verdict = ("a difference unlikely to be chance" if r.p_value < 0.05
                       else "not distinguishable from no change at the 5% level")
            changes.append(f"{tier_words(r.tier)} by {diff.removesuffix('%')} percentage points "
                           f"({interval.replace('%', '')}; Holm-adjusted p {_p(r.p_value)}): {verdict}")
        out.append(f"Compared with {reference}, {variant.name} changes the probability of reaching "
                   + "; ".join(changes) + ".")
    out.append(f"Every variant ran the same {view.n:,} replications on seed {view.seed} (common random numbers), "
               "so they are compared replication by replication, with 95% intervals for the differences.")
    return out


def _p(p: float) -> str:
    text = tables.p_value_text(p)
    return text.replace("<", "< ") if text.startswith("<") else f"= {text}"
