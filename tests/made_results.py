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


UNCERTAIN = ["tier2.decision_probability=uniform(0.2, 0.9)", "tier3.response_delay_hours=triangular(24, 72, 168)"]


def make_studies(base: Path) -> dict[str, Path]:
    """A folder of each kind beyond run, sweep and compare, as small as each allows: an
    exploration, a sensitivity study, a discovery on the exploration, a robustness study,
    an adversary study, an optimisation and a calibration (Poisson, one year of the
    packaged example)."""
    from stress.calibration import example_path
    name = [f"scenario.name={SCENARIO}"]
    folders = {kind: base / kind for kind in ("explore", "sensitivity", "discover", "robust", "adversary",
                                              "optimize", "calibration")}
    explored = stress.explore(uncertain=UNCERTAIN, samples=20, n=200, seed=SEED, overrides=name, out=folders["explore"])
    stress.sensitivity(uncertain=UNCERTAIN, base_samples=4, n=100, seed=SEED, overrides=name,
                       out=folders["sensitivity"])
    # a target that splits the points: their median of P(tier2)
    median = float(explored.to_frame()["tier2_p"].median())
    stress.discover(folders["explore"], f"tier2_p > {median}", seed=SEED, out=folders["discover"])
    stress.robust(uncertain=UNCERTAIN, variants=["strict: tier2.threshold=2", "lenient: tier2.threshold=5"],
                  minimize=["tier3_p"], samples=5, n=100, seed=SEED, overrides=name, out=folders["robust"])
    stress.adversary(Path(__file__).parents[1] / "configs" / "adversary.toml", behaviours=["threshold"], n=200,
                     seed=SEED, out=folders["adversary"])
    stress.optimize(levers=["tier2.threshold=2:4:int"], minimize=["p_false_escalation"], maximize=["tier2_p"],
                    max_replications=6000, n=200, population=4, seed=SEED, overrides=name, out=folders["optimize"])
    stress.calibrate(example_path(), format="ucdp", model="poisson", start="2016-01-01", end="2016-12-31",
                     where=["dyad_name=Government of Ukraine - DPR,Government of Ukraine - LPR"], seed=SEED,
                     out=folders["calibration"])
    return folders
