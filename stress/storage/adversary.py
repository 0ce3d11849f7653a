"""An adversary study's result folder read back: its points (``table.csv``, one row per
variant and behaviour or searched value), the behaviours' table (``adversary.csv``),
the search's (``search.csv``, if it searched) and the definition and notes
(``adversary.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, manifest_tiers, read_point_table, study_json, StudyData, _points, _read_csv, _read_text, _require

NUMBERS = ("estimate", "ci_low", "ci_high", "diff_from_blind", "diff_ci_low", "diff_ci_high")
SEARCH_NUMBERS = ("value", "estimate", "ci_low", "ci_high", "diff_from_best", "diff_ci_low", "diff_ci_high")


@dataclass(frozen=True)
class AdversaryView(StudyData, BaseView):
    """A finished adversary study."""
    points: list[dict[str, Any]]
    table: pd.DataFrame              # one row per variant and behaviour (or searched value)
    behaviours: pd.DataFrame         # one row per variant and behaviour
    search: pd.DataFrame | None      # one row per variant and searched value
    data: dict[str, Any]             # adversary.json
    kind: ClassVar[str] = "adversary"

    @property
    def variants(self) -> list[str]:
        return [v["name"] for v in self.data["variants"]]

    @property
    def outcome(self) -> str:
        return str(self.data["outcome"])

    @property
    def n(self) -> int:
        return int(self.data["n"])



def load_view(folder: Path, manifest: dict[str, Any]) -> AdversaryView:
    where = folder / folders.MANIFEST
    _require(manifest, where, ("seed", "adversary", "points"))
    points = _points(manifest, where, "variants and behaviours",
                     valid=lambda p: isinstance(p, dict) and "variant" in p and "behaviour" in p)
    data = study_json(folder, "adversary.json", "an adversary study", ("n", "variants", "behaviours", "outcome", "worst", "table", "notes"))
    table = read_point_table(folder / "table.csv", len(points), text=("variant", "behaviour"),
                             complete=("variant", "behaviour"), tiers=manifest_tiers(manifest))
    behaviours = _read_csv(folder / "adversary.csv", text=("variant", "behaviour", "description", "outcome"),
                           numbers=NUMBERS, complete=("variant", "behaviour", "estimate", "worst"))
    expected = len(data["variants"]) * len(data["behaviours"])
    if len(behaviours) != expected:
        raise folders.ResultError(f"{folder / 'adversary.csv'}: {len(behaviours)} rows where {len(data['variants'])} "
                                  f"variants and {len(data['behaviours'])} behaviours give {expected} "
                                  f"(truncated or damaged)")
    search = None
    if data.get("search") is not None:
        search = _read_csv(folder / "search.csv", text=("variant", "key", "outcome"), numbers=SEARCH_NUMBERS,
                           complete=("variant", "value", "estimate", "best"))
    return AdversaryView(folder, manifest, {folders.CONFIG: _read_text(folder / folders.CONFIG)}, points, table,
                         behaviours, search, data)
