"""Comparisons of rule variants on common random numbers."""

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

import stress
from stress.statistics import intervals as stats
from stress.jobs.compare import parse_variant

from conftest import ROOT, run_cli


def test_two_identical_variants_differ_by_exactly_zero(tmp_path):
    done = run_cli("compare", "--variant", "a: tier2.threshold=3", "--variant", "b: tier2.threshold=3",
                   "-n", "3000", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["name"] == "b" and [t["tier"] for t in row["tiers"]] == ["tier1", "tier2", "tier3"]
    for tier in row["tiers"]:
        assert tier["diff"] == 0.0 and tier["p_value"] == 1.0
        assert tier["ci_low"] <= 0.0 <= tier["ci_high"]
        assert set(tier) >= {"tier", "diff", "ci_low", "ci_high", "p_value"}


def test_must_show_compare_and_its_folder(tmp_path):
    done = run_cli("compare", "--variant", "strict: tier2.threshold=2",
                   "--variant", "lenient: tier2.threshold=5, tier2.window_days=14", "-n", "4000", "--out", "c",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lenient" in done.stdout and "diff [95% CI]" in done.stdout
    folder = tmp_path / "c"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [v["name"] for v in manifest["variants"]] == ["strict", "lenient"]
    assert manifest["variants"][1]["overrides"] == ["tier2.threshold=5", "tier2.window_days=14"]
    (row,) = json.loads((folder / "comparison.json").read_text())
    tier2 = row["tiers"][1]
    # a stricter threshold reaches tier 2 far more often: the lenient one is below it
    assert tier2["diff"] < 0 and tier2["ci_high"] < 0 and tier2["p_value"] < 1e-6
    assert tier2["narrower_than_independent"] > 1
    assert set(json.loads((folder / "summaries.json").read_text())) == {"strict", "lenient"}
    assert (folder / "variants" / "1-lenient.toml").exists() and (folder / "comparison.csv").exists()


def test_variants_from_scenario_files(tmp_path):
    base = ROOT / "configs" / "ceasefire.toml"
    other = tmp_path / "faster.toml"
    other.write_text(base.read_text().replace("delay_hours = 72 ", "delay_hours = 24 "))
    result = stress.compare([base, other], n=2000, seed=4)
    assert [v.name for v in result.variants] == ["ceasefire", "faster"]
    tier3 = result.table[result.table["tier"] == "tier3"].iloc[0]
    assert tier3["diff"] > 0  # starting the response sooner leaves less time to stand down


def test_a_three_tier_plan_against_a_four_tier_one_is_paired_tier_by_tier():
    three, four = ROOT / "configs" / "ceasefire.toml", ROOT / "configs" / "four-tier.toml"
    result = stress.compare([three, four], n=4000, seed=6)
    table = result.table.set_index("tier")
    assert list(table.index) == ["tier1", "sanctions", "tier2", "tier3"]  # in one order that keeps both plans'
    sanctions = table.loc["sanctions"]   # only the four-tier plan has it: its probability, no difference
    assert math.isnan(sanctions["p_reference"]) and 0 < sanctions["p_variant"] < 1
    assert math.isnan(sanctions["diff"]) and math.isnan(sanctions["p_value"])
    for tier in ("tier1", "tier2", "tier3"):
        row = table.loc[tier]
        assert row["diff"] == pytest.approx(row["p_variant"] - row["p_reference"], abs=1e-12)
        assert row["ci_low"] <= row["diff"] <= row["ci_high"]
    # the same replications (common random numbers): the tiers they share are compared pair by
    # pair, more tightly than two independent runs would be
    assert table.loc["tier2", "narrower_than_independent"] > 1 and table.loc["tier3", "narrower_than_independent"] > 1
    assert table.loc["tier2", "diff"] < 0 and table.loc["tier2", "p_value"] < 1e-6  # forces wait for sanctions


def test_one_and_two_workers_give_the_same_comparison():
    variants = ["a: tier3.delay_hours=72", "b: tier3.delay_hours=48"]
    one = stress.compare(variants=variants, n=3000, seed=2, workers=1).table
    two = stress.compare(variants=variants, n=3000, seed=2, workers=2).table
    assert one.equals(two)


@pytest.mark.parametrize("args,message", [
    (["--variant", "nameless tier2.threshold=2", "--variant", "b: tier2.threshold=3"], "expected 'NAME: KEY=VALUE"),
    (["--variant", "a: tier2.treshold=2", "--variant", "b: tier2.threshold=3"], "variant 'a'"),
    (["--variant", "a: tier2.threshold=2"], "at least two variants"),
    (["--variant", "a: tier2.threshold=2", "--variant", "a: tier2.threshold=3"], "variant names must differ"),
    (["--variant", "a: tier2.threshold=2", "--variant", "b: scenario.horizon_days=30"], "share the horizon"),
])
def test_bad_variants(tmp_path, args, message):
    done = run_cli("compare", *args, "-n", "100", cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_parse_variant_splits_on_keys_only():
    assert parse_variant("x: tier1.min_class=major, tier2.window_days = 7") == (
        "x", ["tier1.min_class=major", "tier2.window_days = 7"])


def test_exact_mcnemar_matches_the_binomial_test():
    for b, c in [(0, 0), (3, 0), (10, 4), (40, 61), (500, 520)]:
        expected = 1.0 if b + c == 0 else sps.binomtest(b, b + c, 0.5).pvalue
        assert stats.mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


def test_holm_adjustment():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5]) == [0.5]


def test_paired_interval_basics():
    d = stats.paired_difference(40, 10, 25, 25)  # p1 = 0.5, p2 = 0.65
    assert d.diff == pytest.approx(0.15) and d.ci_low < 0.15 < d.ci_high
    # positive correlation between the pairs makes the paired interval narrower
    assert d.ci_high - d.ci_low < d.independent_width
    # with the pairs uncorrelated (phi = 0) it is the independent-samples interval
    u = stats.paired_difference(25, 25, 25, 25)
    assert u.ci_high - u.ci_low == pytest.approx(u.independent_width)


@pytest.mark.parametrize("p_both,p_first,p_second", [(0.30, 0.10, 0.05), (0.05, 0.02, 0.06), (0.60, 0.15, 0.15)])
def test_paired_interval_coverage(p_both, p_first, p_second):
    # Newcombe's method 10 keeps close to its nominal 95%: over 4,000 simulated tables
    # of 200 pairs, the coverage lies within 4 simulation SE of 0.95, plus the one
    # percentage point by which the method itself may deviate (Newcombe 1998, table II).
    rng = np.random.default_rng(20260203)
    cells = rng.multinomial(200, [p_both, p_first, p_second, 1 - p_both - p_first - p_second], size=4000)
    truth = p_second - p_first
    intervals = [stats.paired_difference(*row) for row in cells]
    covered = np.mean([d.ci_low <= truth <= d.ci_high for d in intervals])
    se = math.sqrt(0.95 * 0.05 / len(cells))
    assert abs(covered - 0.95) <= 4 * se + 0.01
