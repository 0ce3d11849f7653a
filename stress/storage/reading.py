"""Reading finished result folders back: one typed view per kind, every file checked.

Export, show, plot and report all start from ``load_result``, so a folder written by
another version of stress, cut off mid-write or edited by hand is refused in one
place, with a message naming the file and what is wrong. Numbers are taken from the
folder as written; nothing is recomputed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterable, NamedTuple, Union

import pandas as pd
from pydantic import ValidationError

from stress import kinds
from stress.config.sweep import SweepSpec
from stress.statistics.summary import RunSummary, tier_name
from stress.storage import folders as store

TIER_FIELDS = ("tier", "p_reached", "ci_low", "ci_high", "median_hours_to_reach", "p10_hours_to_reach",
               "p90_hours_to_reach", "n_reached")
METRIC_FIELDS = ("estimate", "ci_low", "ci_high", "n")
COMPARISON_TEXT = ("variant", "reference")
COMPARISON_NUMBERS = ("p_reference", "p_variant", "diff", "ci_low", "ci_high", "p_value", "p_value_raw",
                      "median_hours_diff", "discordant_pairs", "narrower_than_independent")


@dataclass(frozen=True)
class BaseView:
    """What every result view has: its folder, manifest and scenario files."""
    path: Path
    manifest: dict[str, Any]
    configs: dict[str, str]      # file name in the folder -> scenario TOML

    @property
    def id(self) -> str:
        return self.manifest.get("id", self.path.name)

    @property
    def scenario(self) -> str:
        return self.manifest.get("scenario", "")

    @property
    def seed(self) -> int:
        return self.manifest["seed"]


class StudyData:
    """What every study's view reads from its own JSON file (``self.data``)."""
    data: dict[str, Any]

    @property
    def notes(self) -> list[str]:
        return list(self.data.get("notes") or [])


def study_json(folder: Path, name: str, what: str, keys: Iterable[str]) -> dict[str, Any]:
    """A study's own JSON file, an object with ``keys``; ``what`` says which kind of
    study it should be (for the message when it is not)."""
    path = folder / name
    data = store.read_json(path)
    if not isinstance(data, dict):
        raise store.ResultError(f"{path}: not {what}")
    _require(data, path, keys)
    return data


@dataclass(frozen=True)
class RunView(BaseView):
    """A finished run: its summary, with the curves over time."""
    summary: RunSummary
    kind: ClassVar[str] = "run"

    @property
    def n(self) -> int:
        return self.summary.n


@dataclass(frozen=True)
class SweepView(BaseView):
    """A finished sweep: its points and its table (one row per point). Has the
    attributes ``render.sweep_table`` reads from a ``SweepResult``."""
    points: list[dict[str, Any]]
    spec: SweepSpec
    table: pd.DataFrame
    kind: ClassVar[str] = "sweep"

    @property
    def keys(self) -> list[str]:
        return list(self.points[0])

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def replications_text(self) -> str:
        """Replications per point: one number, or a range when --precision added some."""
        n = self.table["n"]
        return f"{n.iloc[0]:,}" if n.nunique() == 1 else f"{n.min():,} to {n.max():,}"


class VariantInfo(NamedTuple):
    name: str
    overrides: list[str]
    source: str


@dataclass(frozen=True)
class CompareView(BaseView):
    """A finished comparison: the paired differences and every variant's summary.
    Has the attributes ``render.compare_table`` reads from a ``CompareResult``."""
    variants: list[VariantInfo]
    n: int
    table: pd.DataFrame
    summaries: dict[str, RunSummary]
    kind: ClassVar[str] = "compare"


ResultView = Union[RunView, SweepView, CompareView]


def load_result(folder: str | Path) -> ResultView:
    """The finished result in ``folder``, every file it needs checked."""
    folder = Path(folder)
    manifest = store.load_manifest(folder)
    kind = manifest["kind"]
    if kind not in kinds.REGISTRY:
        raise store.ResultError(f"{folder / store.MANIFEST}: unknown kind {kind!r}; "
                                f"this version reads {', '.join(kinds.NAMES)}")
    if incomplete(folder, manifest):
        raise store.ResultError(f"{folder}: an incomplete {kind} (status {manifest.get('status')!r}); "
                                f"{finish_hint(kind, folder)}")
    view = kinds.reader(kind)(folder, manifest)
    # after the structural checks, which say more precisely what is wrong with a file
    store.verify(folder, manifest)
    return view


def as_view(result: str | Path | ResultView) -> ResultView:
    """A view as given, or the one ``load_result`` reads from a folder."""
    return result if isinstance(result, BaseView) else load_result(result)


def finish_hint(kind: str, folder: Path) -> str:
    """What to do with an incomplete folder of ``kind``."""
    if kind in kinds.RESUMABLE:
        return f"finish it with: stress {kind} --resume {folder}"
    return f"it cannot be resumed: run stress {kinds.REGISTRY[kind].made_by} again"


def incomplete(folder: Path, manifest: dict[str, Any]) -> bool:
    return folder.name.endswith(store.PARTIAL) or manifest.get("status") != "complete"


def load_run(folder: Path, manifest: dict[str, Any]) -> RunView:
    _require(manifest, folder / store.MANIFEST, ("seed",))
    curves = _read_csv(folder / "curves.csv", text=("tier",), numbers=("hours", "p_reached", "ci_low", "ci_high"),
                       complete=("tier", "hours", "p_reached", "ci_low", "ci_high"))
    curves["tier"] = _tier_names(curves["tier"], folder / "curves.csv")
    summary = _summary(store.read_json(folder / "summary.json"), folder / "summary.json",
                       {c: curves[c].to_numpy() for c in curves.columns})
    per_tier = curves.groupby("tier", sort=False).size()
    if list(per_tier.index) != list(summary.tier_names) or per_tier.nunique() != 1:
        raise store.ResultError(f"{folder / 'curves.csv'}: truncated or damaged "
                                f"(rows per tier: {per_tier.to_dict()})")
    return RunView(folder, manifest, {store.CONFIG: _read_text(folder / store.CONFIG)}, summary)


def _tier_names(column: pd.Series, where: Path) -> pd.Series:
    """A table's tier column as names (format 1 numbered the first form's tiers)."""
    try:
        return column.map(lambda v: tier_name(v.item() if hasattr(v, "item") else v))
    except ValueError:
        raise store.ResultError(f"{where}: the tier column is damaged") from None


def manifest_tiers(manifest: dict[str, Any]) -> list[str] | None:
    """The tiers a finished job's manifest names (format 1: the first form's three;
    None where a result has none, such as one a test made by hand)."""
    if manifest.get("format_version") == 1:
        return [tier_name(k) for k in (1, 2, 3)]
    tiers = manifest.get("tiers")
    return [str(t) for t in tiers] if isinstance(tiers, list) else None


def read_point_table(path: Path, rows: int, *, text: Iterable[str] = (), complete: Iterable[str] = (),
                     tiers: list[str] | None = None) -> pd.DataFrame:
    """A job's point table (``table.csv``): one row per point, ``n`` and every tier's
    columns (<tier>_p, _ci_low, _ci_high, _median_hours; ``tiers``: those the manifest
    names, else those the table has) holding numbers."""
    table = _read_csv(path, text=text, numbers=["n"], complete=[*complete, "n"])
    tiers = tiers or table_tiers(table.columns)
    if not tiers:
        raise store.ResultError(f"{path}: no tier columns (<tier>_p, ...); truncated or damaged")
    needed = [f"{t}_{s}" for t in tiers for s in ("p", "ci_low", "ci_high")]
    _read_columns(table, path, needed + [f"{t}_median_hours" for t in tiers if f"{t}_median_hours" in table.columns])
    if len(table) != rows:
        raise store.ResultError(f"{path}: {len(table)} rows for {rows} points (truncated or damaged)")
    return table


def table_tiers(columns: Iterable[str]) -> list[str]:
    """The tiers of a point table: the names X with columns X_p, X_ci_low and X_ci_high
    (a metric's interval is <metric>_ci_low), in table order."""
    columns = list(columns)
    present = set(columns)
    return [c[:-2] for c in columns if c.endswith("_p") and f"{c[:-2]}_ci_low" in present
            and f"{c[:-2]}_ci_high" in present]


def load_sweep(folder: Path, manifest: dict[str, Any]) -> SweepView:
    where = folder / store.MANIFEST
    _require(manifest, where, ("seed", "sweep", "points"))
    points = _points(manifest, where, "swept values")
    try:
        spec = SweepSpec.model_validate(manifest["sweep"])
    except ValidationError as exc:
        raise store.ResultError(f"{where}: 'sweep' is not a sweep definition ({exc.errors()[0]['msg']})") from None
    keys = list(points[0])
    table = read_point_table(folder / "table.csv", len(points), text=keys, complete=keys,
                             tiers=manifest_tiers(manifest))
    return SweepView(folder, manifest, {store.CONFIG: _read_text(folder / store.CONFIG)}, points, spec, table)


def load_compare(folder: Path, manifest: dict[str, Any]) -> CompareView:
    where = folder / store.MANIFEST
    _require(manifest, where, ("seed", "n", "variants"))
    try:
        variants = [VariantInfo(v["name"], list(v.get("overrides", [])), v.get("source", ""))
                    for v in manifest["variants"]]
    except (TypeError, KeyError):
        raise store.ResultError(f"{where}: 'variants' is not a list of named variants") from None
    if len(variants) < 2:
        raise store.ResultError(f"{where}: a comparison needs at least two variants")
    table = _read_csv(folder / "comparison.csv", text=(*COMPARISON_TEXT, "tier"), numbers=COMPARISON_NUMBERS,
                      complete=("variant", "tier"))
    table["tier"] = _tier_names(table["tier"], folder / "comparison.csv")
    path = folder / "summaries.json"
    data = store.read_json(path)
    names = [v.name for v in variants]
    if not isinstance(data, dict) or list(data) != names:
        raise store.ResultError(f"{path}: expected the summaries of {', '.join(names)}")
    summaries = {name: _summary(data[name], path, {}) for name in names}
    for variant in names[1:]:  # a row per tier of either plan, each once
        tiers = list(table.loc[table["variant"] == variant, "tier"])
        expected = set(summaries[names[0]].tier_names) | set(summaries[variant].tier_names)
        if sorted(tiers) != sorted(expected):
            raise store.ResultError(f"{folder / 'comparison.csv'}: the rows of variant {variant} are not one per tier "
                                    f"(truncated or damaged)")
    configs = {f"variants/{i}-{name}.toml": _read_text(folder / "variants" / f"{i}-{name}.toml")
               for i, name in enumerate(names)}
    return CompareView(folder, manifest, configs, variants, int(manifest["n"]), table, summaries)


def _points(manifest: dict[str, Any], where: Path, what: str, valid=lambda p: isinstance(p, dict) and p) -> list:
    """The manifest's 'points' (a non-empty list whose every entry is ``valid``)."""
    points = manifest["points"]
    if not isinstance(points, list) or not points or not all(valid(p) for p in points):
        raise store.ResultError(f"{where}: 'points' is not a list of {what}")
    return points


def _require(data: dict[str, Any], where: Path, fields: Iterable[str]) -> None:
    missing = [f for f in fields if f not in data]
    if missing:
        raise store.ResultError(f"{where}: missing {', '.join(missing)}")


def _summary(data: Any, where: Path, curves: dict[str, Any]) -> RunSummary:
    """A run summary (the ``--json`` form), its numbers as floats (JSON null -> NaN)."""
    if not isinstance(data, dict):
        raise store.ResultError(f"{where}: not a run summary")
    _require(data, where, ("n", "seed", "engine", "horizon_hours", "tiers", "metrics"))
    tiers, metrics = data["tiers"], data["metrics"]
    if (not isinstance(tiers, list) or not tiers or not all(isinstance(t, dict) and "tier" in t for t in tiers)
            or not isinstance(metrics, dict) or not all(isinstance(m, dict) for m in metrics.values())):
        raise store.ResultError(f"{where}: 'tiers' or 'metrics' damaged")
    for row in tiers:
        _require(row, where, TIER_FIELDS)
    for row in metrics.values():
        _require(row, where, METRIC_FIELDS)
    try:
        summary = RunSummary.from_dict(data, curves)
    except (TypeError, ValueError):
        raise store.ResultError(f"{where}: a number is not a number") from None
    if len(set(summary.tier_names)) != len(summary.tier_names):
        raise store.ResultError(f"{where}: 'tiers' damaged (a tier named twice)")
    for row in summary.tier_rows:
        _check_interval(where, f"{row['tier']}", row["p_reached"], row["ci_low"], row["ci_high"], True)
    for row in summary.metric_rows:
        _check_interval(where, row["metric"], row["estimate"], row["ci_low"], row["ci_high"],
                        row["metric"].startswith("p_"))
    return summary


def _check_interval(where: Path, what: str, estimate: float, low: float, high: float, probability: bool) -> None:
    """An estimate inside its interval, and a probability's inside [0, 1] (NaN: none)."""
    values = [v for v in (estimate, low, high) if not math.isnan(v)]
    ordered = all(math.isnan(v) for v in (low, high)) or (low <= estimate <= high)
    outside = probability and not all(0.0 <= v <= 1.0 for v in values)
    if not ordered or outside:
        # say which rule it breaks: a value in [0, 1] may still lie outside its interval
        rule = "a probability must lie in [0, 1]" if outside else "an estimate must lie inside its interval"
        raise store.ResultError(f"{where}: {what}: estimate {estimate:g} with interval [{low:g}, {high:g}] is "
                                f"inconsistent ({rule}); the file was edited or damaged")


def _read_csv(path: Path, *, text: Iterable[str] = (), numbers: Iterable[str] = (),
              complete: Iterable[str] = ()) -> pd.DataFrame:
    """A CSV table with the columns a reader needs. ``complete`` columns may hold no
    empty cell: a file cut off mid-row leaves some."""
    numbers = list(numbers)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise store.ResultError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise store.ResultError(f"{path}: unreadable or truncated ({exc})") from None
    missing = [c for c in [*text, *numbers] if c not in frame.columns]
    if missing:
        raise store.ResultError(f"{path}: missing column(s) {', '.join(missing)}")
    _read_columns(frame, path, numbers, complete)
    return frame


def _read_columns(frame: pd.DataFrame, path: Path, numbers: Iterable[str], complete: Iterable[str] = ()) -> None:
    """The ``numbers`` columns hold numbers, the ``complete`` ones no empty cell."""
    missing = [c for c in numbers if c not in frame.columns]
    if missing:
        raise store.ResultError(f"{path}: missing column(s) {', '.join(missing)}")
    not_numbers = [c for c in numbers if not pd.api.types.is_numeric_dtype(frame[c])]
    empty = [c for c in complete if frame[c].isna().any()]
    if not_numbers or empty:
        raise store.ResultError(f"{path}: truncated or damaged (column(s) {', '.join(not_numbers + empty)} "
                                "hold empty cells or text where numbers belong)")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise store.ResultError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise store.ResultError(f"{path}: unreadable ({exc})") from None


