"""A sensitivity study's result folder read back: its design points (``table.csv``),
the indices (``sensitivity.csv``) and the noise and notes (``sensitivity.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, manifest_tiers, read_point_table, study_json, StudyData, _points, _read_csv, _read_text, _require


@dataclass(frozen=True)
class SensitivityView(StudyData, BaseView):
    """A finished sensitivity study."""
    points: list[dict[str, Any]]
    table: pd.DataFrame          # one row per design point
    indices: pd.DataFrame        # one row per output and input
    data: dict[str, Any]         # sensitivity.json
    kind: ClassVar[str] = "sensitivity"

    @property
    def method(self) -> str:
        return str(self.data["method"])



def load_view(folder: Path, manifest: dict[str, Any]) -> SensitivityView:
    where = folder / folders.MANIFEST
    _require(manifest, where, ("seed", "sensitivity", "points"))
    points = _points(manifest, where, "design points", valid=lambda p: True)
    table = read_point_table(folder / "table.csv", len(points), tiers=manifest_tiers(manifest))
    data = study_json(folder, "sensitivity.json", "a sensitivity study", ("method", "base_samples", "n", "inputs", "outputs", "notes"))
    key = "ST" if data["method"] == "sobol" else "mu_star"
    indices = _read_csv(folder / "sensitivity.csv", text=("output", "input"), numbers=(key,),
                        complete=("output", "input", key))
    return SensitivityView(folder, manifest, {folders.CONFIG: _read_text(folder / folders.CONFIG)}, points, table,
                           indices, data)
