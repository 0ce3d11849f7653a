"""The calibrated scenario: a base scenario with its breach process replaced by the
fit.

The base's text is kept as written (its comments included) except the ``[breaches]``
table and its ``[[breaches.classes]]``, which are replaced by the fitted values with
a comment that records the data, the filters, the period and the date of the fit.
The result is validated as any scenario is, so it runs as it stands.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from stress.errors import UsageError

if TYPE_CHECKING:
    from stress.calibration.bootstrap import BootstrapTest
    from stress.calibration.classes import ClassFit
    from stress.calibration.fit import Estimate, LikelihoodRatioTest, PoissonFit
    from stress.calibration.hawkes import HawkesFit
    from stress.calibration.result import DataSummary

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\s\"']+?)\s*\]\]?\s*(#.*)?$")
_COMMENT_COLUMN = 36
# The packaged example's data and its licence, named wherever numbers fitted to it are used.
UCDP_CITATION = "UCDP GED data, CC BY 4.0: Sundberg & Melander (2013), Davies, Pettersson & Öberg (2022)"


@dataclass(frozen=True)
class BreachClassValue:
    name: str
    probability: float
    severity: float
    comment: str
    severity_comment: str


@dataclass(frozen=True)
class BreachValues:
    """What goes into ``[breaches]``, each number with its comment."""

    baseline_per_day: float
    self_excitation: float
    decay_hours: float
    comments: tuple[str, str, str]
    classes: tuple[BreachClassValue, ...] | None  # None: keep the base's classes


def base_text(base: str | None) -> tuple[str, str]:
    """The base scenario's text and a name for it (None: the packaged default)."""
    from stress.config.loading import DEFAULT_SCENARIO, default_config_text

    if base is None:
        return default_config_text(), f"<default {DEFAULT_SCENARIO}>"
    path = Path(base)
    try:
        return path.read_text(encoding="utf-8"), str(base)
    except FileNotFoundError:
        raise UsageError(f"base {base}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"base {base}: cannot be read ({exc})") from None


def base_classes(text: str, source: str) -> list[dict]:
    """The base scenario's breach classes (raw TOML tables)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"base {source}: not valid TOML: {exc}") from None
    breaches = raw.get("breaches")
    if not isinstance(breaches, dict) or not isinstance(breaches.get("classes"), list):
        raise UsageError(f"base {source}: has no [breaches] table with [[breaches.classes]]")
    return breaches["classes"]


def calibrated_text(text: str, source: str, values: BreachValues, provenance: list[str]) -> str:
    """``text`` with its breaches replaced; validated (a ``UsageError`` says why the
    result would not load, e.g. fitted class names that the tiers do not use).

    Every ``[breaches]`` and ``[[breaches.*]]`` table goes, wherever it stands; the
    new block takes the place of the first. Comment lines right above a table header
    belong to that table."""
    lines = text.splitlines()
    blocks = _blocks(lines)
    if not any(name == "breaches" for name, _ in blocks):
        raise UsageError(f"base {source}: has no [breaches] table header to replace")
    if values.classes is None:
        body_classes = []
        for name, block in blocks:
            if name == "breaches.classes":
                body_classes += ["", *_trim(block)]
    else:
        body_classes = []
        for c in values.classes:
            body_classes += ["", "[[breaches.classes]]", _line("name", f'"{c.name}"', ""),
                             _line("probability", _number(c.probability, 6), c.comment),
                             _line("severity", _number(c.severity, 6), c.severity_comment)]
    new_block = ["[breaches]", *(f"# {p}" if p else "#" for p in provenance[1:]),
                 _line("baseline_per_day", _number(values.baseline_per_day, 4), values.comments[0]),
                 _line("self_excitation", _number(values.self_excitation, 4), values.comments[1]),
                 _line("decay_hours", _number(values.decay_hours, 4), values.comments[2]),
                 *body_classes, ""]
    out = [f"# [breaches] below is calibrated to data by stress calibrate ({provenance[0]}); the rest is",
           f"# the base scenario {source}.", ""]
    placed = False
    for name, block in blocks:
        if name is not None and _is_breaches(name):
            if not placed:
                out += new_block
                placed = True
            continue
        out += block
    result = "\n".join(out) + "\n"
    _validate(result, source)
    return result


def _blocks(lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """The text cut into (table name, lines) blocks; the lines before the first table
    have name None, and comment lines right above a header go with its table."""
    headers = [i for i, line in enumerate(lines) if _section(line) is not None]
    starts = []
    for i in headers:
        first = i
        while first > 0 and lines[first - 1].lstrip().startswith("#") and (not starts or first - 1 > starts[-1]):
            first -= 1
        starts.append(first)
    blocks: list[tuple[str | None, list[str]]] = [(None, lines[:starts[0]] if starts else lines)]
    for k, (first, header) in enumerate(zip(starts, headers)):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        blocks.append((_section(lines[header]), lines[first:stop]))
    return blocks


def _trim(block: list[str]) -> list[str]:
    """A table's lines without trailing blank lines."""
    while block and not block[-1].strip():
        block = block[:-1]
    return block


def _section(line: str) -> str | None:
    match = _HEADER.match(line)
    if match is None or line.lstrip().startswith("#"):
        return None
    return re.sub(r"\s+", "", match.group(1)).replace('"', "").replace("'", "")


def _is_breaches(name: str) -> bool:
    return name == "breaches" or name.startswith("breaches.")


def _number(value: float, digits: int) -> str:
    """A TOML float with ``digits`` significant digits."""
    text = f"{value:.{digits}g}"
    if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
        text += ".0"
    return text


def _line(key: str, value: str, comment: str) -> str:
    assignment = f"{key} = {value}"
    if not comment:
        return assignment
    return f"{assignment.ljust(_COMMENT_COLUMN - 1)} # {comment}"


def _validate(text: str, source: str) -> None:
    from stress.config.loading import ConfigError, validate

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - the block is written to be valid TOML
        raise UsageError(f"calibrated scenario from base {source}: not valid TOML: {exc}") from None
    raw.pop("sweep", None)
    try:
        validate(raw, f"calibrated scenario from base {source}")
    except ConfigError as exc:
        raise UsageError(f"{exc} (the fitted breach classes must fit the base scenario's tiers and monitoring; "
                         f"name the classes as the base does, or give a base that uses the fitted names)") from None


def scenario_for(base: "str | Path | None", chosen: str, poisson: "PoissonFit | None", hawkes: "HawkesFit | None",
                 classes: "ClassFit | None", summary: "DataSummary", lr: "LikelihoodRatioTest | None",
                 boot: "BootstrapTest | None", fitted_on: date) -> str:
    """The calibrated scenario's text: ``chosen`` ("poisson" or "hawkes") supplies the
    breach process, ``classes`` (if fitted) the class probabilities."""
    text, source = base_text(None if base is None else str(base))
    raw_classes = base_classes(text, source)
    base_decay = tomllib.loads(text)["breaches"].get("decay_hours", 24.0)
    if chosen == "hawkes":
        assert hawkes is not None
        b, n, d = hawkes.estimates
        # the schema needs self_excitation < 1: an estimate at the boundary is written just below it
        excitation = min(float(_number(hawkes.n, 4)), 0.9999)
        values = (hawkes.mu, excitation, hawkes.decay_hours)
        comments = (f"fitted: 95% CI {_range(b)}", f"fitted: 95% CI {_range(n)}", f"fitted: 95% CI {_range(d)}")
    else:
        assert poisson is not None
        values = (poisson.rate.estimate, 0.0, float(base_decay))
        comments = (f"fitted (Poisson): 95% CI {_range(poisson.rate)}",
                    "fitted: Poisson process, no self-excitation",
                    "from the base scenario: no effect while self_excitation = 0")
    fitted_classes = None
    if classes is not None:
        fitted_classes = _class_values(classes, raw_classes)
    values_ = BreachValues(values[0], values[1], values[2], comments, fitted_classes)
    return calibrated_text(text, source, values_, _provenance(summary, chosen, lr, boot, fitted_on, classes))


def _range(estimate: "Estimate") -> str:
    def show(v: float) -> str:
        return "inf" if v == float("inf") else f"{v:.3g}"
    return f"{show(estimate.ci_low)}-{show(estimate.ci_high)}"


def _class_values(classes: "ClassFit", raw_classes: list[dict]) -> tuple[BreachClassValue, ...]:
    """Rounded probabilities that still sum to 1 (the remainder goes to the largest
    class); severities from the base's classes of the same names, else the rank."""
    probabilities = [round(r.probability, 6) for r in classes.rows]
    largest = max(range(len(probabilities)), key=lambda i: probabilities[i])
    probabilities[largest] = round(1.0 - sum(p for i, p in enumerate(probabilities) if i != largest), 6)
    by_name = {c.get("name"): c for c in raw_classes}
    from_base = all(r.name in by_name for r in classes.rows)
    out = []
    for rank, (row, p) in enumerate(zip(classes.rows, probabilities), start=1):
        bounds = f"{classes.column} {row.low:g}-{'' if row.high == float('inf') else f'{row.high:g}'}"
        comment = (f"fitted: {row.events} of {classes.events} events with {bounds} "
                   f"(95% CI {row.ci_low:.3g}-{row.ci_high:.3g})")
        if from_base:
            severity, note = float(by_name[row.name].get("severity", 1.0)), "from the base scenario"
        else:
            severity, note = float(rank), "assumption: the class's rank (no base class of this name)"
        out.append(BreachClassValue(row.name, p, severity, comment, note))
    return tuple(out)


def _provenance(summary: "DataSummary", chosen: str, lr: "LikelihoodRatioTest | None", boot: "BootstrapTest | None",
                fitted_on: date, classes: "ClassFit | None") -> list[str]:
    s = summary.selection
    columns = f"time column {s.time_column}" + (f", count column {s.count_column}" if s.count_column else "")
    lines = [f"fitted on {fitted_on.isoformat()}",
             f"Calibrated by stress calibrate on {fitted_on.isoformat()}: the numbers below are fitted to data,",
             "not assumed; 95% intervals are profile likelihood (Hawkes) or exact (Poisson).",
             f"data: {_data_name(s.source)} (format {s.format}, {columns})",
             f"filters: {s.describe_filters()}",
             f"period: {summary.period.label} ({summary.period.days} days, {summary.events} events, "
             f"{summary.rate_per_day:.3f} per day)",
             f"model: {'Hawkes' if chosen == 'hawkes' else 'Poisson'} process, maximum likelihood"]
    if lr is not None:
        lines.append(f"likelihood-ratio test of no self-excitation: LR = {lr.statistic:.2f}, p = {lr.p_value:.2g} "
                     f"(50:50 chi-square mixture: anti-conservative)" + ("," if boot is not None else ""))
        if boot is not None:
            lines.append(f"  bootstrap p = {boot.p_value:.2g} ({boot.replicates} replicates)")
    if summary.form == "events" and summary.copies > 1:
        lines.append(f"ties: times known to the day, fitted as {summary.copies} jittered copies")
    if classes is not None:
        lines.append(f"classes: by {classes.column}, probabilities are observed shares ({classes.method} intervals)")
    else:
        lines.append("classes: kept from the base scenario (not fitted)")
    if s.format == "ucdp":
        lines.append(UCDP_CITATION)
    return lines


def _data_name(source: str) -> str:
    """The data file as the user named it; the packaged example by its place in the
    package rather than an installation path."""
    from stress.calibration.reading import DONBAS_EXAMPLE, example_path

    try:
        if Path(source).resolve() == example_path().resolve():
            return f"stress/calibration/data/{DONBAS_EXAMPLE}, packaged example"
    except OSError:
        pass
    return source
