"""Result folders of every kind, small and quick, for the export, plot and report tests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

import stress

SCENARIO = "border-pilot"   # not the default name: titles and captions must name the scenario
SEED = 3
N = 1000


def make_results(base: Path) -> dict[str, Path]:
    """A run, a sweep over one parameter, a sweep over two, and a comparison of three
    variants (one named with an underscore, which LaTeX must escape)."""
    name = [f"scenario.name={SCENARIO}"]
    folders = {kind: base / kind for kind in ("run", "sweep", "sweep2", "compare")}
    stress.run(n=N, seed=SEED, overrides=name, out=folders["run"], save_records=False)
    stress.sweep(grid={"tier2.threshold": [2, 3, 5]}, n=N, seed=SEED, overrides=name, out=folders["sweep"])
    stress.sweep(grid={"tier2.threshold": [2, 4], "tier3.delay_hours": [24, 72]}, n=N, seed=SEED, overrides=name,
                 out=folders["sweep2"])
    stress.compare(variants=["strict: tier2.threshold=2", "lenient: tier2.threshold=5",
                             "quick_response: tier3.delay_hours=24"], n=N, seed=SEED, overrides=name,
                   out=folders["compare"])
    return folders


def summary_json(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def csv_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)
