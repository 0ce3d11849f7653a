"""Result tables for papers and scripts: a run's summary, a sweep's table or a
comparison, in six formats.

Data formats (csv, parquet, json, xlsx) keep every number at full precision, an
estimate and its interval bounds in separate columns. Text formats (markdown, latex)
merge them into one readable cell, ``0.412 [0.398, 0.426]``, rounded by the rule in
``decimals_for``, and carry a caption naming the scenario, N and the seed.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd

from stress.errors import UsageError
from stress import kinds
from stress.output import render
from stress.storage import folders as store
from stress.storage.reading import CompareView, ResultView, RunView, SweepView, as_view, table_tiers
from stress.statistics.summary import json_row

FORMATS = ("csv", "parquet", "json", "markdown", "latex", "xlsx")
TEXT_FORMATS = ("markdown", "latex")
BINARY_FORMATS = ("parquet", "xlsx")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".json": "json", ".md": "markdown", ".tex": "latex",
            ".xlsx": "xlsx"}
COMPARISON_STATISTICS = ("p_reference", "p_variant", "diff", "p_value", "p_value_raw", "median_hours_diff",
                         "discordant_pairs", "narrower_than_independent")
# Text formats go into papers: without --metrics they show these headline statistics
# (a sweep's full table has some seventy columns); --metrics all shows every one.
BRIEF_COMPARISON = ("p_reference", "p_variant", "diff", "p_value", "median_hours_diff")


def headline_statistics(kind: str, tiers: Sequence[str]) -> tuple[str, ...]:
    """The headline statistics of a run, sweep or comparison whose plan has ``tiers``."""
    if kind == "run":
        return (*(f"{t}_p" for t in tiers), *(f"{t}_median_hours" for t in tiers), "p_false_escalation")
    if kind == "sweep":
        return tuple(f"{t}_p" for t in tiers)
    return BRIEF_COMPARISON


class Interval(NamedTuple):
    """Three columns shown as one cell in text: ``estimate [low, high]``."""
    estimate: str
    low: str
    high: str
    signed: bool = False     # differences show their sign: +0.004 [+0.000, +0.009]


@dataclass(frozen=True)
class ResultTable:
    """The table of a result folder, ready to be written in any format."""
    frame: pd.DataFrame              # full precision
    intervals: tuple[Interval, ...]  # column triples merged in the text form
    caption: str
    label: str                       # the result's id, for LaTeX's \\label
    p_values: tuple[str, ...] = ()   # columns shown as papers show p-values

    def text_frame(self) -> pd.DataFrame:
        """Every cell as a paper shows it: intervals merged and rounded by their width."""
        merged = {i.estimate: i for i in self.intervals}
        hidden = {c for i in self.intervals for c in (i.low, i.high)}
        out = {}
        for column in self.frame.columns:
            if column in hidden:
                continue
            values = self.frame[column]
            if column in merged:
                i = merged[column]
                out[f"{column} [95% CI]"] = [interval_text(e, lo, hi, i.signed) for e, lo, hi in
                                             zip(values, self.frame[i.low], self.frame[i.high])]
            elif column in self.p_values:
                out[column] = [p_value_text(v) for v in values]
            else:
                out[column] = [_cell(v) for v in values]
        return pd.DataFrame(out)


def decimals_for(low: float, high: float) -> int:
    """Decimals to show an estimate and its interval with: one past the decimal place
    of the first significant digit of the interval's width (width 0.028: 3 decimals,
    ``0.412 [0.398, 0.426]``; width 0.79: 2 decimals), at least 0 and at most 8."""
    return min(max(0, 1 - math.floor(math.log10(high - low))), 8)


def interval_text(estimate: float, low: float, high: float, signed: bool = False) -> str:
    """``0.412 [0.398, 0.426]``, rounded by ``decimals_for``."""
    if math.isnan(estimate):
        return "-"
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        return render.number(estimate)  # no interval (or a degenerate one) to round by
    sign = "+" if signed else ""
    d = decimals_for(low, high)
    return f"{estimate:{sign}.{d}f} [{low:{sign}.{d}f}, {high:{sign}.{d}f}]"


def p_value_text(p: float) -> str:
    """Two significant digits, and "<0.001" below that, as papers report them."""
    return "-" if math.isnan(p) else "<0.001" if p < 0.001 else f"{p:.2g}"


def _cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_, str)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return render.number(float(value))


def result_table(result: ResultView, metrics: Sequence[str] | None = None, *, brief: bool = False) -> ResultTable:
    """The table of a run (one row per statistic), a sweep (one row per point) or a
    comparison (one row per variant and tier). ``metrics`` chooses the statistics,
    in the order given (``["all"]``: every one); without it, all of them, or with
    ``brief`` the headline ones."""
    module = kinds.output(result.kind)
    if metrics is None and brief:
        metrics = module.brief(result)
    return module.table(result, metrics)


def select_rows(frame: pd.DataFrame, column: str, kind: str, metrics: Sequence[str] | None) -> pd.DataFrame:
    """The rows whose ``column`` names a statistic asked for, in the order asked; all if none."""
    chosen = _chosen(kind, list(frame[column]), metrics)
    return frame if chosen is None else frame.set_index(column).loc[chosen].reset_index()


def _chosen(kind: str, allowed: Sequence[str], metrics: Sequence[str] | None) -> list[str] | None:
    """The statistics asked for, in order; None for all of them, in the folder's own order."""
    if metrics is None or list(metrics) == ["all"]:
        return None
    unknown = [m for m in metrics if m not in allowed]
    if unknown or not metrics:
        raise UsageError(f"unknown metric(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"{store.a_kind(kind)} has: {', '.join(allowed)}")
    return list(dict.fromkeys(metrics))


def run_table(view: RunView, metrics: Sequence[str] | None) -> ResultTable:
    s = view.summary
    rows = [{"metric": f"{t.tier}_p", "estimate": t.p_reached, "ci_low": t.ci_low, "ci_high": t.ci_high,
             "n": s.n} for t in s.tiers.itertuples()]
    for t in s.tiers.itertuples():  # times are over the replications that reached the tier
        for name, value in (("median", t.median_hours_to_reach), ("p10", t.p10_hours_to_reach),
                            ("p90", t.p90_hours_to_reach)):
            rows.append({"metric": f"{t.tier}_{name}_hours", "estimate": value, "ci_low": math.nan,
                         "ci_high": math.nan, "n": t.n_reached})
    rows += [{"metric": m.metric, "estimate": m.estimate, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n}
             for m in s.metrics.itertuples()]
    frame = pd.DataFrame(rows)
    frame = select_rows(frame, "metric", "run", metrics)
    caption = (f"{s.scenario}: probability of reaching at least each tier within {s.horizon_hours / 24:g} days "
               f"(<tier>_p), hours to reach it over the n replications that did (median, 10th and 90th percentile), "
               f"and other metrics per replication; "
               f"N = {s.n:,} replications, seed {s.seed}; 95% intervals in brackets.")
    return ResultTable(frame, (Interval("estimate", "ci_low", "ci_high"),), caption, view.id)


def sweep_table(view: SweepView, metrics: Sequence[str] | None) -> ResultTable:
    table = view.table
    groups: dict[str, list[str]] = {}
    intervals = []
    tiers = table_tiers(table.columns)
    for t in tiers:
        groups[f"{t}_p"] = [f"{t}_p", f"{t}_ci_low", f"{t}_ci_high"]
        intervals.append(Interval(*groups[f"{t}_p"]))
    for t in tiers:
        groups[f"{t}_median_hours"] = [f"{t}_median_hours"]
    for column in table.columns:  # a metric is a column with its interval columns
        if f"{column}_ci_low" in table.columns and f"{column}_ci_high" in table.columns:
            groups[column] = [column, f"{column}_ci_low", f"{column}_ci_high"]
            intervals.append(Interval(*groups[column]))
    chosen = _chosen("sweep", list(groups), metrics)
    columns = (list(table.columns) if chosen is None
               else [*view.keys, "n", *(c for name in chosen for c in groups[name])])
    caption = (f"{view.scenario}: sweep over {', '.join(view.keys)}, probability of reaching at least each tier "
               f"(<tier>_p) and other metrics per replication; N = {view.replications_text()} replications per point, seed {view.seed}, "
               f"the same at every point (common random numbers); 95% intervals in brackets.")
    kept = tuple(i for i in intervals if i.estimate in columns)
    return ResultTable(table[columns].copy(), kept, caption, view.id)


def compare_table(view: CompareView, metrics: Sequence[str] | None) -> ResultTable:
    chosen = _chosen("comparison", COMPARISON_STATISTICS, metrics)
    columns = list(view.table.columns) if chosen is None else ["variant", "reference", "tier"]
    for name in chosen or ():
        columns += ["diff", "ci_low", "ci_high"] if name == "diff" else [name]
    caption = (f"{view.scenario}: paired differences (variant minus reference '{view.variants[0].name}') in the "
               f"probability of reaching at least each tier, Newcombe 95% intervals in brackets, exact McNemar "
               f"p-values (Holm-adjusted); N = {view.n:,} replications per variant, seed {view.seed} "
               f"(common random numbers).")
    return ResultTable(view.table[columns].copy(), (Interval("diff", "ci_low", "ci_high", signed=True),),
                       caption, view.id, p_values=("p_value", "p_value_raw"))


def format_for(format: str | None, out: str | Path | None) -> str:
    """The format asked for, else the one ``out``'s suffix names, else markdown."""
    if format is not None:
        if format not in FORMATS:
            raise UsageError(f"--format {format!r}: must be one of {', '.join(FORMATS)}")
        return format
    if out is None:
        return "markdown"
    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"--out {out}: cannot tell the format from {suffix or 'no suffix'!r}; "
                         f"give --format ({', '.join(FORMATS)})")
    return SUFFIXES[suffix]


def export(result: str | Path | ResultView, format: str | None = None, *, out: str | Path | None = None,
           metrics: Sequence[str] | None = None, force: bool = False) -> str | Path:
    """Export the table of a result folder (or of a view from ``load_result``).

    ``format`` is csv, parquet, json, markdown, latex or xlsx (default: from ``out``'s
    suffix, else markdown). With ``out`` the file is written and its path returned;
    without it the text is returned (parquet and xlsx need ``out``). ``metrics``
    chooses the statistics (unknown names raise a ValueError listing the allowed ones)."""
    if out is not None and Path(out).is_dir():
        check_out_file(Path(out), force)
    fmt = format_for(format, out)
    if out is None and fmt in BINARY_FORMATS:
        raise UsageError(f"--format {fmt} writes a binary file: give --out FILE")
    if out is not None:
        check_out_file(Path(out), force)
    view = as_view(result)
    table = result_table(view, metrics, brief=fmt in TEXT_FORMATS)
    data = WRITERS[fmt](table, view)
    if out is None:
        return data
    store.atomic_write(Path(out), data)
    return Path(out)


def check_out_file(out: Path, force: bool, allowed: Path | None = None) -> None:
    """--out names a file to write: not a folder, not in a result folder (but the
    command's own ``allowed`` file), and not one that exists unless --force."""
    store.refuse_inside_result(out, allowed)
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; give the file to write, e.g. {out / ('table' + (out.suffix or '.csv'))}")
    if out.exists() and not force:
        raise UsageError(f"--out {out}: exists; choose another name, or add --force to overwrite it")


def to_csv(table: ResultTable, view: ResultView) -> str:
    return table.frame.to_csv(index=False)


def to_parquet(table: ResultTable, view: ResultView) -> bytes:
    buffer = io.BytesIO()
    table.frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def to_json(table: ResultTable, view: ResultView) -> str:
    # JSON has no NaN or infinity: both become null
    rows = table.frame.replace([np.inf, -np.inf], np.nan).to_dict(orient="records")
    return json.dumps({"id": view.id, "kind": view.kind, "scenario": view.scenario, "seed": view.seed,
                       "caption": table.caption, "rows": [json_row(r) for r in rows]},
                      indent=2, allow_nan=False) + "\n"


def to_xlsx(table: ResultTable, view: ResultView) -> bytes:
    about = pd.DataFrame({"field": ["caption", "id", "kind", "scenario", "seed", "created"],
                          "value": [table.caption, view.id, view.kind, view.scenario, str(view.seed),
                                    str(view.manifest.get("created", ""))]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.frame.to_excel(writer, sheet_name="table", index=False)
        about.to_excel(writer, sheet_name="about", index=False)
    return buffer.getvalue()


def to_markdown(table: ResultTable, view: ResultView) -> str:
    text = table.text_frame()

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = [":---" if is_label(text[c]) else "---:" for c in text.columns]
    lines = [f"*{table.caption}*", "", row(list(text.columns)), row(align)]
    lines += [row(list(r)) for r in text.itertuples(index=False)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  # the default font encoding prints these three as other glyphs in text
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def _latex_number(text: str) -> str:
    """A minus sign, not a hyphen, in front of negative numbers."""
    return re.sub(r"(?<![\w.])-(?=\d)", "$-$", latex_escape(text))


def to_latex(table: ResultTable, view: ResultView) -> str:
    text = table.text_frame()
    labels = [is_label(text[c]) for c in text.columns]
    label = re.sub(r"[^A-Za-z0-9:-]+", "-", table.label)
    lines = [r"% needs \usepackage{booktabs}",
             r"\begin{table}[htbp]", r"  \centering",
             rf"  \caption{{{latex_escape(table.caption)}}}", rf"  \label{{tab:{label}}}",
             rf"  \begin{{tabular}}{{{''.join('l' if left else 'r' for left in labels)}}}",
             r"    \toprule",
             "    " + " & ".join(latex_escape(c) for c in text.columns) + r" \\",
             r"    \midrule"]
    for cells in text.itertuples(index=False):
        lines.append("    " + " & ".join(latex_escape(c) if left else _latex_number(c)
                                         for c, left in zip(cells, labels)) + r" \\")
    lines += [r"    \bottomrule", r"  \end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def is_label(cells: pd.Series) -> bool:
    """Names (left-aligned), not numbers (right-aligned)."""
    return not all(re.fullmatch(r"[-+]?[\d.,e+\-]+( \[.*\])?|-|inf|<0\.001", c) for c in cells)


WRITERS = {"csv": to_csv, "parquet": to_parquet, "json": to_json, "markdown": to_markdown, "latex": to_latex,
           "xlsx": to_xlsx}
