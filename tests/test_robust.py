"""stress robust: identical variants have no regret and identical rows; a dominated
variant is not marked undominated; every point is the run of its variant there, and
its regret interval is the comparison's paired interval; the same tables for any
workers and after a resume; the command line's JSON and the folder's outputs."""

import json
import math

import pandas as pd
import pytest

import stress
from conftest import check_workers_and_resume, run_cli
from stress.errors import UserError

RATE = "breaches.baseline_per_day=uniform(0.05, 0.3)"
COMMON = dict(samples=6, n=300, seed=2, uncertain=[RATE], engine="fast")


def test_two_identical_variants_have_no_regret_and_the_same_rows():
    result = stress.robust(variants=["one: tier2.threshold=3", "two: tier2.threshold=3"],
                           minimize=["tier3_p", "p_false_escalation", "mean_breaches"], maximize=["tier2_p"],
                           satisfice="tier3_p < 0.5, p_false_escalation < 0.1", workers=1, **COMMON)
    table = result.robustness
    for column in ("regret_mean", "regret_p90", "regret_max", "regret_mean_ci_low", "regret_mean_ci_high"):
        assert (table[column] == 0).all(), column
    assert (result.regrets["regret"] == 0).all() and (table["best_share"] == 1).all()
    one = table[table["variant"] == "one"].drop(columns="variant").reset_index(drop=True)
    two = table[table["variant"] == "two"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(one, two)
    assert table["undominated"].all() and (table["dominated_by"] == "").all()
    assert result.to_dict()["undominated"] == ["one", "two"]


def test_a_dominated_variant_is_not_marked_undominated():
    # with no political will for tier 3 it is never reached: that variant does at least as
    # well on tier3_p at every point as any other, and better wherever tier 3 happens
    result = stress.robust(variants=["never: tier3.decision_probability=0", "base:",
                                     "always: tier3.decision_probability=1"], minimize=["tier3_p"], workers=1,
                           **COMMON)
    rows = result.robustness.set_index("variant")
    assert rows.loc["never", "undominated"] and rows.loc["never", "regret_max"] == 0
    for name in ("base", "always"):
        assert not rows.loc[name, "undominated"], rows
        assert "never" in rows.loc[name, "dominated_by"].split(", ")
        assert rows.loc[name, "regret_max_ci_low"] > 0   # clearly worse somewhere, not by noise
    assert result.to_dict()["undominated"] == ["never"]


def test_each_point_is_the_run_of_its_variant_and_regret_intervals_are_paired(tmp_path):
    variants = ["slow: tier3.delay_hours=96", "quick: tier3.delay_hours=24"]
    result = stress.robust(variants=variants, minimize=["p_tier3_objective_first"], samples=3, n=400, seed=5,
                           uncertain=[RATE], engine="fast", workers=1)
    frame = result.to_frame()
    for s in range(3):
        rate = float(frame.loc[frame["point"] == s, "breaches.baseline_per_day"].iloc[0])
        overrides = [f"breaches.baseline_per_day={rate!r}"]
        compared = stress.compare(variants=variants, n=400, seed=5, overrides=overrides, engine="fast", workers=1)
        for v, name in enumerate(("slow", "quick")):
            row = frame[(frame["point"] == s) & (frame["variant"] == name)].iloc[0]
            run = compared.summaries[v]
            assert [row[f"{t}_p"] for t in run.tier_names] == list(run.tiers["p_reached"])
        # regret of the slow response against the quick one: the comparison's paired difference
        difference = compared.outcome_differences(1).set_index("outcome").loc["p_tier3_objective_first"]
        regrets = result.regrets[(result.regrets["point"] == s) & (result.regrets["variant"] == "slow")].iloc[0]
        assert regrets["regret"] == pytest.approx(max(-difference["diff"], 0.0), abs=1e-15)
        assert regrets["regret_ci_low"] == pytest.approx(max(-difference["ci_high"], 0.0), abs=1e-12)
        assert regrets["regret_ci_high"] == pytest.approx(max(-difference["ci_low"], 0.0), abs=1e-12)


def _study(tmp_path, name, workers, progress=None):
    return stress.robust(variants=["a: tier2.threshold=2", "b: tier2.threshold=4", "c: tier3.delay_hours=24"],
                         minimize=["p_false_escalation"], maximize=["tier2_p"], satisfice="p_false_escalation < 0.1",
                         samples=8, n=250, seed=3, uncertain=[RATE], engine="fast", workers=workers,
                         out=tmp_path / name, progress=progress)


def test_the_same_tables_for_one_and_two_workers_and_after_a_resume(tmp_path):
    check_workers_and_resume(_study, tmp_path, ("table.csv", "robust.csv", "regret.csv", "robust.json"))


def test_the_command_line_prints_the_regret_table_and_the_folder_reads_back(tmp_path):
    # run from an empty folder, not the checkout: `python -m` there would import the
    # checkout's copy of stress, which under a non-editable install (as in CI) is not the
    # one this process imports, and compile its engine afresh (~20 s)
    completed = run_cli("robust", "--variant", "strict: tier2.threshold=2", "--variant", "base:",
                        "--variant", "quick: tier3.delay_hours=24", "--minimize", "tier3_p", "--maximize", "tier2_p",
                        "--satisfice", "tier3_p < 0.6", "--samples", "5", "-n", "200", "--uncertain", RATE,
                        "--engine", "fast", "--workers", "1", "--out", str(tmp_path / "robust"), "--json",
                        cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert [v["name"] for v in data["variants"]] == ["strict", "base", "quick"]
    assert len(data["table"]) == 6 and {"regret_mean", "regret_p90", "regret_max", "worst10", "satisfice_share",
                                        "undominated"} <= set(data["table"][0])
    assert all(row["regret_mean"] >= 0 and not math.isnan(row["mean"]) for row in data["table"])
    folder = tmp_path / "robust"
    view = stress.load_result(folder)
    assert view.kind == "robust" and len(view.table) == 15
    assert "regret_mean [95% CI]" in stress.export(folder, "markdown")
    assert sorted(p.name for p in stress.plot(folder)) == ["regret.png", "regret.svg", "tradeoffs.png",
                                                          "tradeoffs.svg"]
    assert stress.report(folder).is_file()
    (entry,) = stress.results(tmp_path)
    assert entry.kind == "robust" and entry.status == "complete" and "undominated" in entry.headline


@pytest.mark.parametrize("arguments, words", [
    (dict(variants=["a: tier2.threshold=2"], minimize=["tier3_p"]), "at least two variants"),
    (dict(variants=["a: tier2.threshold=2", "b:"], minimize=[]), "name at least one outcome"),
    (dict(variants=["a: tier2.threshold=2", "b:"], minimize=["tier9_p"]), "--minimize tier9_p: not an outcome"),
    (dict(variants=["a: tier2.threshold=2", "b:"], minimize=["tier3_p"], satisfice="tier3_p < 0.1, diff > 0"),
     "unknown name 'diff'"),
    (dict(variants=["a: tier2.threshold=2", "b:"], minimize=["tier3_p"], satisfice="tier3_p <"), "a number after"),
    (dict(variants=["a: tier2.threshold=0", "b:"], minimize=["tier3_p"]), "tier2.threshold"),
])
def test_bad_studies_are_refused_before_anything_runs(arguments, words):
    with pytest.raises(UserError, match=words):
        stress.robust(samples=3, n=10, uncertain=[RATE], **arguments)
