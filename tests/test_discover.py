"""stress discover: PRIM and CART find a box planted in a synthetic exploration; the
points' noise is counted; targets are parsed (never evaluated) and bad ones refused
with exit code 2; a real exploration's discovery works with show, export, plot,
report and results."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import stress
from conftest import run_cli
from stress.discovery.cases import classify
from stress.discovery.expressions import parse
from stress.statistics.intervals import wilson_intervals
from stress.storage import folders

# The planted box: cases of interest where 0.4 <= u1 <= 0.8 and 0.1 <= u2 <= 0.5.
BOX = {"u1": (0.4, 0.8), "u2": (0.1, 0.5)}
INPUTS = ("u1", "u2", "u3", "u4", "u5")
POINTS = 300
N = 400
NOISE = 0.04      # share of the points outside the box that are cases anyway
# PRIM peels 5% of the box's points a step: near the final box of about 60 points, 3
# points, 0.025 of an input's range along a side (120 points per unit in the other
# input's slab); greedy peeling under the noise may go up to three steps too far. CART's
# leaves hold at least 15 points (5%), so a split may fall a few points inside the box.
# Over seeds 5 to 16 both methods' limits were within 0.078 of the planted ones.
TOLERANCE = 0.08


def _synthetic_explore(folder, seed: int):
    """An explore result folder whose tier3_p is about 0.6 inside BOX and 0.05 outside
    it, except for a few noise points outside that are about 0.5; each estimated from
    N binomial replications with its Wilson interval."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((POINTS, len(INPUTS))), columns=list(INPUTS))
    inside = np.logical_and.reduce([(x[k] >= lo) & (x[k] <= hi) for k, (lo, hi) in BOX.items()])
    noise = ~inside & (rng.random(POINTS) < NOISE)
    p = np.where(inside, 0.6, np.where(noise, 0.5, 0.05))
    hits = rng.binomial(N, p)
    table = x.copy()
    table["n"] = N
    for tier, scale in ((1, 1.0), (2, 1.0), (3, None)):
        successes = hits if scale is None else np.full(POINTS, N)
        estimate, low, high = wilson_intervals(successes, N)
        table[f"tier{tier}_p"], table[f"tier{tier}_ci_low"], table[f"tier{tier}_ci_high"] = estimate, low, high
    points = x.to_dict(orient="records")
    partial = folders.new_folder(folder, "explore", "synthetic")
    inputs = [{"key": k, "dist": "uniform", "low": 0.0, "high": 1.0} for k in INPUTS]
    folders.start(partial, "explore", "synthetic", "fast", seed=seed, n=N,
                  explore={"inputs": inputs, "design": "mc", "samples": POINTS, "n": N, "seed": seed}, points=points)
    folders.atomic_write(partial / "table.csv", table.to_csv(index=False))
    folders.atomic_write(partial / "explore.csv", pd.DataFrame(
        [{"statistic": "tier3_p", "mean": p.mean(), "ci_low": 0.0, "ci_high": 1.0, "interval": "crossed"}]).to_csv(
        index=False))
    folders.write_json(partial / "explore.json", {"n": N, "samples": POINTS, "inputs": inputs, "statistics": {},
                                                  "notes": []})
    folders.atomic_write(partial / folders.CONFIG, '[scenario]\nname = "synthetic"\n')
    return folders.complete(partial, time.perf_counter())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return _synthetic_explore(tmp_path_factory.mktemp("synthetic") / "explore", seed=5)


def _check_box(result):
    limits = {limit.input: limit for limit in result.box.limits}
    for name, (low, high) in BOX.items():
        assert limits[name].restricted, (name, result.box.text())
        assert abs(limits[name].lower - low) <= TOLERANCE, (name, limits[name])
        assert abs(limits[name].upper - high) <= TOLERANCE, (name, limits[name])
    assert {limit.input for limit in result.box.restricted} == set(BOX), result.box.text()
    assert result.stats["density"] >= 0.9 and result.met and result.stats["coverage"] >= 0.6


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_prim_recovers_the_planted_box_and_leaves_the_other_inputs_free(tmp_path, synthetic, seed):
    folder = synthetic if seed == 5 else _synthetic_explore(tmp_path / "explore", seed)
    result = stress.discover(folder, "tier3_p > 0.3", threshold=0.9, resamples=0 if seed != 5 else 3)
    _check_box(result)
    if seed == 5:  # the planted restrictions reproduce on random halves of the points
        shares = result.stability.inputs.set_index("input")["restricted_share"]
        assert shares["u1"] >= 2 / 3 and shares["u2"] >= 2 / 3
        assert result.stability.summary["resamples"] == 3


@pytest.mark.parametrize("seed", [5, 7])
def test_cart_recovers_the_planted_box(tmp_path, synthetic, seed):
    folder = synthetic if seed == 5 else _synthetic_explore(tmp_path / "explore", seed)
    result = stress.discover(folder, "tier3_p > 0.3", method="cart", threshold=0.9, resamples=0)
    _check_box(result)
    assert result.method == "cart" and len(result.steps) >= 3   # the tree's leaves


def test_noise_straddling_points_and_confidence():
    # three points: clearly above 0.3, clearly below, and one whose interval straddles it
    table = pd.DataFrame({"n": [1000] * 3, "tier3_p": [0.6, 0.1, 0.31]})
    table["tier3_ci_low"], table["tier3_ci_high"] = wilson_intervals(np.round(table["tier3_p"] * 1000), 1000)[1:]
    expression = parse("tier3_p > 0.3")
    cases = classify(table, expression, "tier3_p > 0.3")
    assert list(cases.estimated) == [True, False, True] and cases.used.all()
    assert cases.straddling == 1
    # P(the true value is at most 0.3) for the straddling point: Phi(-0.01 / se)
    se = np.sqrt(0.31 * 0.69 / 1000)
    from scipy.stats import norm
    assert cases.expected_misclassified == pytest.approx(norm.cdf(-0.01 / se), abs=1e-6)
    confident = classify(table, expression, "tier3_p > 0.3", confidence=0.95)
    assert list(confident.used) == [True, True, False]
    # with a lower confidence the interval narrows and the point is classified
    assert classify(table, expression, "tier3_p > 0.3", confidence=0.5).used.all()


def test_targets_are_parsed_not_evaluated():
    values = {"a": np.array([0.1, 0.5, 0.9]), "b": np.array([1.0, 0.0, 1.0])}
    assert list(parse("a > 0.3 and b >= 1").holds(values)) == [False, False, True]
    assert list(parse("a < 0.3 or b < 0.5").holds(values)) == [True, True, False]
    assert list(parse("(a < 0.3 or a > 0.8) and b > 0.5").holds(values)) == [True, False, True]
    assert list(parse("a < 0.6, b > 0.5", "--satisfice", commas=True).holds(values)) == [True, False, False]
    assert parse("a>=1e-3").value == 0.001
    for bad, words in (("tier3_p >> 0.3", "expected a number"), ("tier3_p = 0.3", "not a comparison"),
                       ("tier3_p > 0.3 and", "missing at the end"), ("tier3_p > 0.3, a < 1", "only in --satisfice"),
                       ("__import__('os').system('true') > 0", "cannot read"), ("", "empty"),
                       ("(tier3_p > 0.3", "')' missing"),
                       # 1,000 levels was a RecursionError
                       ("(" * 1000 + "a > 1" + ")" * 1000, "parentheses nested more than 50 deep (at character 51)")):
        with pytest.raises(ValueError, match=re.escape(words)):
            parse(bad)
    assert parse("(" * 50 + "a > 0.3" + ")" * 50).holds(values).tolist() == [False, True, True]


def test_bad_targets_exit_2_with_a_clear_message(synthetic, tmp_path):
    cases = (("tier3_p >> 0.3", "expected a number after '>'"),
             ("tier9_p > 0.3", "unknown name 'tier9_p'; the outputs of each point of this explore are: "
                               "tier1_p, tier2_p, tier3_p"),
             ("regret_mean > 0.1", "'regret_mean' is a statistic of a robustness study"),
             ("u1 > 0.5", "'u1' is an input of this explore"))
    # the four commands are independent: run at once, they take the time of about two
    # (each is mostly the interpreter's start-up); from an empty folder, so that
    # `python -m` imports the installed stress, not the checkout's copy (see test_robust)
    with ThreadPoolExecutor(len(cases)) as pool:
        runs = list(pool.map(lambda case: run_cli("discover", str(synthetic), "--target", case[0], cwd=tmp_path),
                             cases))
    for (target, words), completed in zip(cases, runs):
        assert completed.returncode == 2, completed.stderr
        assert words in " ".join(completed.stderr.split()), completed.stderr
        assert "Traceback" not in completed.stderr


def test_a_discovery_of_a_real_exploration_reads_back_everywhere(tmp_path):
    explored = stress.explore("configs/uncertainty.toml", samples=40, n=200, seed=4, workers=1, engine="fast",
                              out=tmp_path / "explore")
    found = stress.discover(explored.path, "p_tier3_objective_first > 0.1", threshold=0.9, resamples=2,
                            out=tmp_path / "discover")
    data = json.loads((found.path / "discover.json").read_text())
    assert data["box"]["coverage"] == pytest.approx(found.stats["coverage"])
    assert data["cases"]["points"] == 40 and data["cases"]["straddling_95"] >= 0
    view = stress.load_result(found.path)
    assert view.kind == "discover" and list(view.box["input"]) == [limit.input for limit in
                                                                   sorted(found.box.limits, key=lambda l: (
                                                                       not l.restricted, -l.cut if l.restricted else 0))]
    assert "tier3.response_delay_hours" in stress.export(found.path, "markdown")
    assert sorted(p.name for p in stress.plot(found.path)) == sorted(
        f"{name}.{fmt}" for name in ("tradeoff", "limits", "pairs") for fmt in ("png", "svg")) or \
        not found.box.restricted
    assert stress.report(found.path).is_file()
    (entry,) = [e for e in stress.results(tmp_path) if e.kind == "discover"]
    assert entry.status == "complete" and "coverage" in entry.headline


def test_prim_takes_a_whole_number_input():
    # an integer input (tier2.threshold = integer(2, 5)) ended in pandas' TypeError
    # "Invalid value '4.5' for dtype 'int64'" from EMA Workbench's pasting
    from stress.discovery.prim import search
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"k": rng.integers(2, 10, 400), "u": rng.random(400)})
    found = search(x, ((x["k"] >= 4) & (x["k"] <= 6) & (x["u"] < 0.5)).to_numpy())
    lower, upper = found.boxes[-1].limits[0].lower, found.boxes[-1].limits[0].upper
    assert 3 <= lower <= 4 and 6 <= upper <= 7
