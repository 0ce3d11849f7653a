"""An exploration's result folder read back: its points (``table.csv``, as a sweep's),
every statistic over the uncertainty (``explore.csv``) and the notes (``explore.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, manifest_tiers, read_point_table, study_json, StudyData, _points, _read_csv, _read_text, _require

STATISTIC_COLUMNS = ("mean", "ci_low", "ci_high", "std_error", "q05", "q25", "q50", "q75", "q95", "between_sd",
                     "noise_share")


@dataclass(frozen=True)
class ExploreView(StudyData, BaseView):
    """A finished exploration."""
    points: list[dict[str, Any]]
    table: pd.DataFrame          # one row per point
    statistics: pd.DataFrame     # one row per statistic over the uncertainty
    data: dict[str, Any]         # explore.json
    kind: ClassVar[str] = "explore"

    @property
    def keys(self) -> list[str]:
        return list(self.points[0])


    @property
    def n(self) -> int:
        return int(self.data["n"])


def load_view(folder: Path, manifest: dict[str, Any]) -> ExploreView:
    where = folder / folders.MANIFEST
    _require(manifest, where, ("seed", "explore", "points"))
    points = _points(manifest, where, "sampled values")
    table = read_point_table(folder / "table.csv", len(points), text=list(points[0]),
                             tiers=manifest_tiers(manifest))
    statistics = _read_csv(folder / "explore.csv", text=("statistic", "interval"),
                           numbers=STATISTIC_COLUMNS[:3], complete=("statistic", "mean"))
    data = study_json(folder, "explore.json", "an exploration", ("n", "samples", "inputs", "statistics", "notes"))
    return ExploreView(folder, manifest, {folders.CONFIG: _read_text(folder / folders.CONFIG)}, points, table,
                       statistics, data)
