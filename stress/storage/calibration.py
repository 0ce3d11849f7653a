"""A calibration's result folder: written by ``stress calibrate``, read back by show,
export, plot and report.

Files: ``calibration.json`` (every number, the notes), the tables as CSV
(``parameters``, ``comparison``, ``goodness``, ``classes``, ``predictive``,
``predictive_counts``, ``pit``), ``scenario.toml`` (the calibrated scenario, ready for
``stress run``) and ``plots/`` (drawn from the fit itself when it was made: the
figures need the fitted process and the events, which the tables do not hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, study_json, StudyData, _read_csv, _read_text, _require

if TYPE_CHECKING:
    from stress.calibration.result import CalibrationResult

TABLES = {"parameters": "to_frame", "comparison": "comparison_frame", "goodness": "goodness_frame",
          "classes": "classes_frame", "predictive": "predictive_frame",
          "predictive_counts": "count_distribution_frame", "pit": "pit_frame"}
FIGURES = ("qq", "intensity", "counts")
SCENARIO = "scenario.toml"


def write(result: "CalibrationResult", partial: Path) -> None:
    """Everything of a calibration into its ``.partial`` folder."""
    from stress.calibration.plots import figures
    from stress.storage.figures import figure_bytes
    folders.write_json(partial / "calibration.json", result.to_dict())
    for name, method in TABLES.items():
        folders.write_csv(partial / f"{name}.csv", getattr(result, method)())
    folders.atomic_write(partial / SCENARIO, result.scenario_toml())
    for name, figure in figures(result).items():
        for fmt in ("png", "svg"):
            folders.atomic_write(partial / "plots" / f"{name}.{fmt}", figure_bytes(figure, fmt))


@dataclass(frozen=True)
class StoredFigure:
    """A figure as the calibration drew it: its PNG and SVG files."""
    png: bytes
    svg: bytes


@dataclass(frozen=True)
class CalibrationView(StudyData, BaseView):
    """A finished calibration: its numbers, tables, notes and figures."""
    data: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, StoredFigure]
    kind: ClassVar[str] = "calibration"



def load_view(folder: Path, manifest: dict[str, Any]) -> CalibrationView:
    _require(manifest, folder / folders.MANIFEST, ("seed",))
    data = study_json(folder, "calibration.json", "a calibration", ("data", "parameters", "notes", "scenario_model"))
    tables = {"parameters": _read_csv(folder / "parameters.csv", text=("model", "parameter"),
                                      numbers=("estimate",), complete=("model", "parameter", "estimate"))}
    for name in TABLES:
        if name != "parameters":
            tables[name] = _read_optional_csv(folder / f"{name}.csv")
    figures = {}
    for name in FIGURES:
        paths = [folder / "plots" / f"{name}.{fmt}" for fmt in ("png", "svg")]
        if all(p.is_file() for p in paths):
            figures[name] = StoredFigure(paths[0].read_bytes(), paths[1].read_bytes())
    return CalibrationView(folder, manifest, {SCENARIO: _read_text(folder / SCENARIO)}, data, tables, figures)


def _read_optional_csv(path: Path) -> pd.DataFrame:
    """A table that may be empty (no test period, no classes)."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except FileNotFoundError:
        raise folders.ResultError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise folders.ResultError(f"{path}: unreadable or truncated ({exc})") from None
