"""An optimisation's result folder read back: the final members (``front.csv``, one row
each, the front's marked), every candidate the search evaluated (``candidates.csv``),
the paired differences between members (``pairs.csv``), the search's history
(``history.csv``), the scenarios over the uncertainty (``scenarios.csv``) and the
definition, hypervolume, knee and notes (``optimize.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, study_json, StudyData, _read_csv, _read_text, _require


@dataclass(frozen=True)
class OptimizeView(StudyData, BaseView):
    """A finished optimisation."""
    front: pd.DataFrame          # one row per member of the final re-evaluation
    candidates: pd.DataFrame     # one row per candidate evaluated
    pairs: pd.DataFrame          # one row per two members and objective
    history: pd.DataFrame        # one row per generation
    scenarios: pd.DataFrame | None
    data: dict[str, Any]         # optimize.json
    kind: ClassVar[str] = "optimize"

    @property
    def objectives(self) -> list[dict[str, str]]:
        return list(self.data["objectives"])

    @property
    def lever_keys(self) -> list[str]:
        return [lever["key"] for lever in self.data["levers"]]

    @property
    def n(self) -> int:
        return int(self.data["final_n"])


    def front_members(self) -> pd.DataFrame:
        return self.front[self.front["on_front"]].reset_index(drop=True)


def _ids(column: pd.Series) -> pd.Series:
    """A column of candidate ids as text ("3", "3, 7" or ""): CSV reads a lone id as a number."""
    return column.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                      else str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) else str(v))


def load_view(folder: Path, manifest: dict[str, Any]) -> OptimizeView:
    _require(manifest, folder / folders.MANIFEST, ("seed", "optimize"))
    data = study_json(folder, "optimize.json", "an optimisation", ("levers", "objectives", "members", "front", "final_n", "hypervolume",
                                              "knee", "replications", "notes"))
    names = [o["name"] for o in data["objectives"]]
    keys = [lever["key"] for lever in data["levers"]]
    numbers = [f"{n}{s}" for n in names for s in ("", "_ci_low", "_ci_high")]
    # against several violators: the one worst for each objective (none for satisficing)
    worst = [f"{n}_worst" for n in names] if data.get("adversary") else []
    front = _read_csv(folder / "front.csv", text=worst, numbers=["member", "n", "p_dominated", *numbers],
                      complete=["member", *keys, *numbers, "on_front", "p_dominated"])
    if len(front) != len(data["members"]):
        raise folders.ResultError(f"{folder / 'front.csv'}: {len(front)} rows for {len(data['members'])} members "
                                  f"(truncated or damaged)")
    for name in names:
        estimate, low, high = (front[f"{name}{s}"].to_numpy(dtype=np.float64) for s in ("", "_ci_low", "_ci_high"))
        known = np.isfinite(estimate) & np.isfinite(low) & np.isfinite(high)
        if np.any(known & ((estimate < low - 1e-12) | (estimate > high + 1e-12))):
            raise folders.ResultError(f"{folder / 'front.csv'}: an estimate of {name} lies outside its interval "
                                      f"(damaged)")
    for column in ("dominated_by", "beaten_everywhere_by", "same_as"):
        if column in front.columns:
            front[column] = _ids(front[column])
    for column in worst:
        front[column] = front[column].fillna("").astype(str)
    front["on_front"] = front["on_front"].astype(bool)
    candidates = _read_csv(folder / "candidates.csv", numbers=["candidate", "generation", "n"],
                           complete=["candidate", "generation", "n", *keys])
    for column in ("dominated_by", "beaten_everywhere_by", "same_as"):
        if column in candidates.columns:
            candidates[column] = _ids(candidates[column])
    # one member has no pairs: a header alone, whose columns pandas cannot know are numbers
    paired = len(data["members"]) > 1
    pairs = _read_csv(folder / "pairs.csv", text=("objective",),
                      numbers=("a", "b", "diff", "ci_low", "ci_high") if paired else (),
                      complete=("a", "b", "objective", "diff"))
    history = _read_csv(folder / "history.csv", numbers=("generation", "new", "replications"),
                        complete=("generation", "new", "replications"))
    scenarios = None
    if data.get("over_uncertainty"):
        scenarios = _read_csv(folder / "scenarios.csv", numbers=("scenario",), complete=("scenario",))
    hv = data["hypervolume"]
    if not (hv["ci_low"] <= hv["estimate"] <= hv["ci_high"]):
        raise folders.ResultError(f"{folder / 'optimize.json'}: the hypervolume lies outside its interval (damaged)")
    return OptimizeView(folder, manifest, {folders.CONFIG: _read_text(folder / folders.CONFIG)}, front, candidates,
                        pairs, history, scenarios, data)
