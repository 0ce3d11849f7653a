"""A robustness study's result folder read back: its points (``table.csv``, one row per
point and variant), the robustness table (``robust.csv``, one row per variant and
outcome), every regret (``regret.csv``) and the definition and notes (``robust.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, manifest_tiers, read_point_table, study_json, StudyData, _points, _read_csv, _read_text, _require

NUMBERS = ("mean", "mean_ci_low", "mean_ci_high", "worst10", "regret_mean", "regret_p90", "regret_max",
           "best_share")


@dataclass(frozen=True)
class RobustView(StudyData, BaseView):
    """A finished robustness study."""
    points: list[dict[str, Any]]
    table: pd.DataFrame          # one row per point and variant
    robustness: pd.DataFrame     # one row per variant and outcome
    regrets: pd.DataFrame        # one row per point, variant and outcome
    data: dict[str, Any]         # robust.json
    kind: ClassVar[str] = "robust"

    @property
    def variants(self) -> list[str]:
        return [v["name"] for v in self.data["variants"]]

    @property
    def outcomes(self) -> list[dict[str, str]]:
        return list(self.data["outcomes"])

    @property
    def samples(self) -> int:
        return int(self.data["samples"])

    @property
    def n(self) -> int:
        return int(self.data["n"])



def load_view(folder: Path, manifest: dict[str, Any]) -> RobustView:
    where = folder / folders.MANIFEST
    _require(manifest, where, ("seed", "robust", "points"))
    points = _points(manifest, where, "points and variants", valid=lambda p: isinstance(p, dict) and "variant" in p)
    data = study_json(folder, "robust.json", "a robustness study", ("n", "samples", "variants", "outcomes", "table", "notes"))
    table = read_point_table(folder / "table.csv", len(points), text=("variant",), complete=("point", "variant"),
                             tiers=manifest_tiers(manifest))
    robustness = _read_csv(folder / "robust.csv", text=("variant", "outcome", "direction"), numbers=NUMBERS,
                           complete=("variant", "outcome", "mean", "regret_mean", "undominated"))
    expected = len(data["variants"]) * len(data["outcomes"])
    if len(robustness) != expected:
        raise folders.ResultError(f"{folder / 'robust.csv'}: {len(robustness)} rows where {len(data['variants'])} "
                                  f"variants and {len(data['outcomes'])} outcomes give {expected} (truncated or damaged)")
    robustness["dominated_by"] = robustness["dominated_by"].astype(object).fillna("").astype(str)
    regrets = _read_csv(folder / "regret.csv", text=("variant", "outcome"), numbers=("point", "value", "regret"),
                        complete=("point", "variant", "outcome", "regret"))
    return RobustView(folder, manifest, {folders.CONFIG: _read_text(folder / folders.CONFIG)}, points, table,
                      robustness, regrets, data)
