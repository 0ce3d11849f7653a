"""A discovery's result folder: written by ``stress discover``, read back by show,
export, plot, report and results.

Files: ``discover.json`` (what ``--json`` prints: the box, the classes' noise, the
stability, the notes), ``box.csv`` (one row per input: limits, full range,
quasi-p-values, how often resampled boxes restrict it), ``trajectory.csv`` (PRIM's
peeling trajectory or CART's leaves), ``points.csv`` (every point: inputs, the target's
outputs with intervals, its class, whether it is in the box) and the analysed
folder's ``config.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from stress.storage import folders
from stress.storage.reading import BaseView, study_json, StudyData, _read_csv, _read_text, _require

BOX_NUMBERS = ("lower", "upper", "range_lower", "range_upper", "cut", "qp_lower", "qp_upper", "restricted_share")
STEP_NUMBERS = ("coverage", "density", "mass", "res_dim", "n", "k")


def write(result: Any, partial: Path, config_text: str | None) -> None:
    """Everything of a discovery (a ``stress.discovery.analysis.DiscoverResult``) into its
    ``.partial`` folder."""
    folders.write_json(partial / "discover.json", result.to_dict())
    folders.write_csv(partial / "box.csv", result.box_frame())
    folders.write_csv(partial / "trajectory.csv", result.steps.rename_axis("step").reset_index())
    folders.write_csv(partial / "points.csv", result.points)
    if config_text is not None:
        folders.atomic_write(partial / folders.CONFIG, config_text)


@dataclass(frozen=True)
class DiscoverView(StudyData, BaseView):
    """A finished discovery."""
    data: dict[str, Any]           # discover.json
    box: pd.DataFrame              # one row per input
    steps: pd.DataFrame            # trajectory or leaves
    points: pd.DataFrame           # one row per point of the analysed result
    kind: ClassVar[str] = "discover"


    @property
    def method(self) -> str:
        return str(self.data["method"])

    @property
    def target(self) -> str:
        return str(self.data["target"])

    @property
    def restricted(self) -> pd.DataFrame:
        return self.box[self.box["restricted"]]

    @property
    def inputs(self) -> list[str]:
        return list(self.box["input"])


def load_view(folder: Path, manifest: dict[str, Any]) -> DiscoverView:
    _require(manifest, folder / folders.MANIFEST, ("seed", "source", "target", "method"))
    data = study_json(folder, "discover.json", "a discovery", ("method", "target", "box", "cases", "stability", "notes"))
    _require(data["box"], folder / "discover.json", ("coverage", "density", "restricted", "step"))
    box = _read_csv(folder / "box.csv", text=("input",), numbers=BOX_NUMBERS[2:5],
                    complete=("input", "restricted"))
    if box["restricted"].dtype != bool:
        raise folders.ResultError(f"{folder / 'box.csv'}: column restricted is not true/false (damaged)")
    for column in ("categories", "range_categories"):  # empty for numeric inputs: read as NaN
        box[column] = box[column].astype(object).fillna("").astype(str)
    steps = _read_csv(folder / "trajectory.csv", numbers=("step", *STEP_NUMBERS), complete=("step", *STEP_NUMBERS))
    points = _read_csv(folder / "points.csv", text=list(box["input"]), complete=("case", "used", "in_box"))
    configs = {folders.CONFIG: _read_text(folder / folders.CONFIG)} if (folder / folders.CONFIG).is_file() else {}
    return DiscoverView(folder, manifest, configs, data, box, steps.set_index("step"), points)
