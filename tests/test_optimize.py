"""stress optimize: levers, objectives and bad input; dominance, racing, the knee and the
hypervolume with its interval (its coverage against known fronts); two identical
candidates never dominate each other and a lever without effect does not split the
front; over the uncertainty a member beating another at every scenario is reported as
dominating it; the same front for 1 and 2 workers and after a resume; the command line
and the result folder."""

import json
import math

import numpy as np
import pytest

import stress
from conftest import check_workers_and_resume, run_cli
from stress.errors import UserError
from stress.optimization import front as fronts
from stress.optimization import racing
from stress.optimization.levers import Lever, parse_lever
from stress.optimization.objectives import Measures, objectives_of
from stress.statistics.resampling import ReplicationWeights, weighted_means, weights

LEVERS = ["tier2.threshold=1:6:int", "tier3.delay_hours=0:120:12"]
RATE = "breaches.baseline_per_day=uniform(0.05, 0.3)"


# --- levers and objectives ---------------------------------------------------------------

def test_levers_take_ranges_whole_numbers_steps_and_choices():
    threshold = parse_lever("tier2.threshold=1:6:int")
    assert threshold.count == 6 and [threshold.value(x) for x in (0, 2.4, 2.6, 5, 9)] == [1, 3, 4, 6, 6]
    delay = parse_lever("tier3.delay_hours=0:120:12")
    assert delay.count == 11 and delay.value(3) == 36 and delay.ends() == [0, 120]
    assert parse_lever("tier2.decision_probability=0.2:0.9").value(0.5) == 0.5
    assert parse_lever("tier2.decision_probability=0.2:0.9").value(1.5) == 0.9
    rule = parse_lever("tier3.min_class=major,offensive")
    assert rule.choices == ("major", "offensive") and rule.value(1) == "offensive"
    assert Lever.from_dict(delay.as_dict()) == delay


@pytest.mark.parametrize("arguments, words", [
    (dict(levers=["tier2.threshold"]), "expected KEY=LOW:HIGH"),
    (dict(levers=["tier2.threshold=5:1:int"]), "LOW must be below HIGH"),
    (dict(levers=["tier2.threshold=1:6"]), "takes whole numbers; write tier2.threshold=1:6:int"),
    (dict(levers=["tier2.threshold=0:6:int"]), "tier2.threshold"),
    (dict(levers=["tier3.delay_hours=0:120:0"]), "STEP must be a number above 0"),
    (dict(levers=["tier3.delay_hours=0:96:24", "tiers.tier3.response_delay_hours=0:48:24"]), "a lever twice"),
    (dict(levers=[]), "at least one lever"),
    (dict(minimize=["tier9_p"]), "'tier9_p' is not an outcome"),
    (dict(minimize=[]), "at least one objective"),
    (dict(minimize=["worst10.tier3_p"]), "needs --over-uncertainty"),
    (dict(constraints=["tier3_p < 0.5 or tier2_p > 0.1"]), "not 'or'"),
    (dict(constraints=["tier9_p < 0.5"]), "'tier9_p' is not an outcome"),
    (dict(max_replications=10_000), "--max-replications 10,000 is too small"),
    (dict(reference={"tier2_p": 1.0}), "a value for each objective"),
    (dict(max_n=100), "max_n must be a whole number >= n"),
    (dict(maximize=["satisficing"], over_uncertainty=True, uncertain=[RATE]), "give them"),
    (dict(max_replications=10 ** 12, n=10 ** 6), "would take about"),
])
def test_bad_optimisations_are_refused_before_anything_runs(arguments, words, tmp_path):
    given = dict(levers=LEVERS, minimize=["tier3_p"], max_replications=100_000, n=500, out=tmp_path / "never")
    with pytest.raises(UserError, match=words):
        stress.optimize(**(given | arguments))
    assert not (tmp_path / "never").exists() and not (tmp_path / "never.partial").exists()


def test_measures_over_the_uncertainty_are_the_mean_the_worst_tenth_and_the_share_satisficing():
    from stress.discovery.expressions import parse
    objectives = objectives_of(["tier3_p", "worst10.tier3_p"], ["satisficing"], over_uncertainty=True)
    measures = Measures(objectives, None, parse("tier3_p < 0.475", commas=True), ["tier3_p"], True)
    scenario_means = np.linspace(0.05, 1.0, 20)[None, :, None]          # 20 scenarios, one statistic
    mean, worst, share = measures.objectives_of(scenario_means)[0]
    assert mean == pytest.approx(0.525) and worst == pytest.approx((1.0 + 0.95) / 2)
    assert share == pytest.approx(9 / 20)   # 0.05 .. 0.45 meet the criteria
    assert list(measures.oriented(np.array([1.0, 2.0, 3.0]))) == [1.0, 2.0, -3.0]


# --- dominance, racing, knee, hypervolume -------------------------------------------------

def test_two_identical_members_never_dominate_each_other():
    rng = np.random.default_rng(0)
    draws = rng.random((1, 500, 2)).repeat(2, axis=0)                   # two members, the same draws
    assert np.all(fronts.dominance(draws) == 0) and np.all(fronts.dominated_share(draws) == 0)
    assert list(fronts.nondominated(draws[:, 0, :])) == [True, True]
    place = racing.standing(draws, np.ones((2, 500), dtype=bool))
    assert not place.out.any() and place.dominator(0) is None and place.dominator(1) is None


def test_racing_gives_replications_where_a_place_is_in_doubt():
    draws = np.zeros((4, 400, 2))                 # best: (0, 0) in every draw
    draws[1] = [-1.0, 1.0]                        # near: a trade-off with best, but unclear on the constraints
    draws[2] = [-0.5, 0.5]                        # worse: a trade-off in 70% of the draws ...
    draws[2, :120] = [0.5, 0.5]                   # ... dominated by best in the other 30%
    draws[3] = [5.0, 5.0]                         # lost: dominated by best in every draw
    feasible = np.ones((4, 400), dtype=bool)
    feasible[1, :150] = False                     # near meets the constraints in 62% of the draws
    place = racing.standing(draws, feasible)
    assert list(place.out) == [False, False, False, True] and place.dominator(3) == 0
    assert list(place.undecided) == [False, True, True, False]
    assert place.by[0, 2] == pytest.approx(0.3) and place.feasible[1] == pytest.approx(0.625)
    # the undecided, then what decides them (best, which dominates worse in 30% of the draws);
    # fewest replications first, then the most in doubt
    assert racing.to_grow(place, [4000, 1000, 1000, 1000], max_n=8000) == [1, 2, 0]
    assert racing.to_grow(place, [8000, 1000, 1000, 1000], max_n=8000) == [1, 2]   # best is at its cap


def test_a_tie_no_replication_breaks_leaves_a_candidate_undecided_until_both_are_capped():
    # the same value of the first objective in every draw (a rare outcome neither had in a
    # different replication), the second better for candidate 0 in every draw
    draws = np.zeros((2, 300, 2))
    draws[1, :, 1] = 0.5
    feasible = np.ones((2, 300), dtype=bool)
    place = racing.standing(draws, feasible)
    assert place.by[0, 1] == 1.0 and not place.out[1] and place.undecided[1] and place.dominator(1) is None
    assert racing.to_grow(place, [1000, 1000], max_n=8000) == [0, 1]
    capped = racing.standing(draws, feasible, capped=np.array([True, True]))
    assert capped.out[1] and capped.dominator(1) == 0


def test_the_knee_is_the_member_farthest_below_the_line_through_the_extremes():
    front = np.array([[0.0, 1.0], [0.1, 0.3], [0.5, 0.1], [1.0, 0.0]])
    assert fronts.knee(front) == 1
    assert fronts.knee(front[[0, 3]]) == 0                                  # a straight front: the first


def test_the_hypervolume_is_the_volume_the_front_does_better_than():
    reference = np.array([1.0, 1.0])
    points = np.array([[0.2, 0.6], [0.5, 0.3], [0.9, 0.9], [1.2, 0.1]])  # the last is outside the reference
    assert fronts.hypervolume(points, reference) == pytest.approx(0.8 * 0.4 + 0.5 * 0.3)
    assert fronts.hypervolume(points[[2]], reference) == pytest.approx(0.01)


def _hypervolume_coverage(truth: np.ndarray, n: int, repetitions: int, seed: int, draws: int = 200):
    """Coverage of the hypervolume interval of members whose objectives are the chance of
    yes/no outcomes ``truth`` (M, K): replications shared by the members (common random
    numbers: 90% of each outcome's uniforms are the same for every member)."""
    reference = truth.max(axis=0) + 0.01
    target = fronts.hypervolume(truth, reference)
    rng = np.random.default_rng(seed)
    covered, estimates, halves = 0, [], []
    for _ in range(repetitions):
        shared = rng.random((n, 1, truth.shape[1]))
        own = rng.random((n,) + truth.shape)
        uniforms = np.where(rng.random((n,) + truth.shape) < 0.9, shared, own)
        values = (uniforms < truth[None]).astype(np.float64)                 # (N, M, K)
        boot = weighted_means(values, weights(rng, draws, n))                 # (B, M, K)
        found = fronts.hypervolume_interval(values.mean(axis=0), boot.transpose(1, 0, 2), reference)
        covered += found.ci_low <= target <= found.ci_high
        estimates.append(found.estimate)
        halves.append((found.ci_high - found.ci_low) / 2)
    return covered / repetitions, np.std(estimates), np.mean(halves)


# a front like the seed plan's (attack first against false escalation), and one of near ties
KNOWN_FRONT = np.array([[0.009, 0.082], [0.0092, 0.062], [0.0095, 0.041], [0.01, 0.0316], [0.03, 0.028],
                        [0.1, 0.024], [0.2, 0.02]])
NEAR_TIES = np.array([[0.10, 0.30], [0.11, 0.29], [0.105, 0.295], [0.3, 0.1], [0.31, 0.095]])


def test_the_hypervolume_interval_covers_the_known_hypervolume_of_near_ties():
    # 95% intervals over 100 seeds: coverage at least 0.95 within 3 standard errors (the
    # interval is conservative by construction), yet not wider than about twice the
    # estimate's own spread calls for (bootstrap intervals covered 88-94% here)
    repetitions = 100
    coverage, spread, half = _hypervolume_coverage(NEAR_TIES, n=2000, repetitions=repetitions, seed=7)
    assert coverage >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / repetitions), coverage
    assert 1.2 < half / (1.96 * spread) < 3.0, (half, spread)


@pytest.mark.slow
@pytest.mark.parametrize("truth, n", [(KNOWN_FRONT, 500), (KNOWN_FRONT, 5000), (NEAR_TIES, 500), (NEAR_TIES, 5000)],
                         ids=["seed-plan-like-500", "seed-plan-like-5000", "near-ties-500", "near-ties-5000"])
def test_the_hypervolume_interval_covers_the_known_hypervolume_over_many_seeds(truth, n):
    repetitions = 1000
    coverage, spread, half = _hypervolume_coverage(truth, n=n, repetitions=repetitions, seed=11)
    assert coverage >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / repetitions), coverage
    assert 1.2 < half / (1.96 * spread) < 3.0, (half, spread)


def test_replication_weights_are_the_same_for_any_range_that_holds_them():
    w = ReplicationWeights(3, 0x11, 50)
    whole = w.of(0, 2500)
    assert np.array_equal(w.of(900, 700), whole[:, 900:1600])
    assert np.array_equal(ReplicationWeights(3, 0x11, 50).of(1990, 20), whole[:, 1990:2010])
    assert whole.mean() == pytest.approx(1.0, abs=4 / math.sqrt(whole.size))


def test_a_member_beating_another_at_every_scenario_is_reported_dominating_it():
    from stress.optimization.analysis import analyse
    objectives = objectives_of(["tier3_p"], ["tier2_p"], over_uncertainty=True)
    measures = Measures(objectives, None, None, ["tier3_p", "tier2_p"], True)
    rng = np.random.default_rng(4)
    u = rng.random((2000, 6, 2))                                       # 6 scenarios, 2 statistics
    level = np.linspace(0.2, 0.7, 6)[None, :]
    a = np.stack([u[..., 0] < level, u[..., 1] < level + 0.2], axis=2).astype(float)         # less tier 3, more tier 2
    b = np.stack([u[..., 0] < level + 0.05, u[..., 1] < level + 0.15], axis=2).astype(float)  # worse at every scenario
    c = np.stack([u[..., 0] < level - 0.1, u[..., 1] < level], axis=2).astype(float)          # a trade-off with a
    found = analyse([a, b, c], measures, ReplicationWeights(0, 1, 300), 0, np.array([1.0, 0.0]))
    assert list(found.on_front) == [True, False, True]
    assert found.dominated_by[1] == [0] and found.beaten_everywhere_by[1] == [0]
    assert found.dominated_share[1] > 0.95 and found.dominated_share[0] < 0.05
    assert found.beaten_everywhere_by[0] == [] and found.beaten_everywhere_by[2] == []


# --- whole optimisations --------------------------------------------------------------------

def test_a_front_member_beating_another_at_every_scenario_is_reported_dominating_it():
    # the same threshold with a slower tier-3 response: its attack reaches the objective first more
    # often, the response comes later and tier 2 (less deterred violator, fewer deployments) less often
    result = stress.optimize(levers=["tier3.delay_hours=24:120:96", "tier2.threshold=2:5:3"],
                             minimize=["p_tier3_objective_first", "mean_tier3_latency_hours"], maximize=["tier2_p"],
                             over_uncertainty=True, samples=5, uncertain=[RATE], max_replications=60_000, n=400,
                             population=4, seed=1, engine="fast", workers=1)
    front = result.front_members()
    assert set(front["tier3.delay_hours"]) == {24} and len(front)
    table = result.candidates.set_index(["tier3.delay_hours", "tier2.threshold"])
    for threshold in (2, 5):
        quick, slow = table.loc[(24, threshold)], table.loc[(120, threshold)]
        assert str(quick["candidate"]) in slow["beaten_everywhere_by"].split(", ")
        assert slow["status"].startswith("dominated by candidate") and slow["p_dominated"] > 0.95
    for member in front["member"]:   # each front member dominates its slow twin at every scenario
        threshold = table.reset_index().set_index("candidate").loc[member, "tier2.threshold"]
        assert str(member) in table.loc[(120, threshold), "beaten_everywhere_by"].split(", ")
    assert any("the same 5 scenarios" in note for note in result.notes)


def test_a_lever_without_effect_does_not_split_the_front():
    # the deterrence cap binds only for a provocation spiral, which this plan (every rate factor
    # below 1) never starts: candidates that differ in it alone have the same records
    result = stress.optimize(levers=["tier2.threshold=2:5:int", "feedback.max_multiplier=1:10:int"],
                             minimize=["p_false_escalation"], maximize=["tier2_p"], max_replications=60_000, n=500,
                             population=8, seed=2, engine="fast", workers=1)
    candidates = result.candidates
    aliases = candidates[candidates["same_as"] != ""]
    assert len(aliases)
    for _, row in aliases.iterrows():
        original = candidates[candidates["candidate"] == int(row["same_as"])].iloc[0]
        assert row["tier2.threshold"] == original["tier2.threshold"]
        assert row["feedback.max_multiplier"] != original["feedback.max_multiplier"]
    members = result.front
    # one member per threshold at most, the others listed with it
    assert members["tier2.threshold"].is_unique
    assert (members["same_as"] != "").any()
    assert any("do not split the front" in note for note in result.notes)


def test_a_lever_without_effect_on_the_objectives_does_not_split_the_front():
    # whether the backstop joins changes only its own column of the records: the members that
    # differ in it alone agree on both objectives in every fresh replication, and are one
    result = stress.optimize(levers=["tier2.threshold=2:5:int", "tier3.backstop_probability=0.2:0.8:0.3"],
                             minimize=["p_false_escalation"], maximize=["tier2_p"], max_replications=60_000, n=500,
                             population=8, seed=2, engine="fast", workers=1)
    members = result.front
    assert members["tier2.threshold"].is_unique and (members["same_as"] != "").any()
    twins = result.candidates[result.candidates["status"].str.contains("the same objectives as candidate")]
    assert len(twins)
    for _, twin in twins.iterrows():
        first = int(twin["status"].rsplit("candidate ", 1)[1].split()[0])
        assert result.candidates.loc[result.candidates["candidate"] == first, "tier2.threshold"].item() == \
            twin["tier2.threshold"]


def _optimisation(tmp_path, name, workers, progress=None):
    return stress.optimize(levers=LEVERS, minimize=["p_tier3_objective_first"], maximize=["p_tier3_stood_down"],
                           constraints=["p_false_escalation < 0.06"], max_replications=24_000, n=300, population=8,
                           seed=3, engine="fast", workers=workers, out=tmp_path / name, progress=progress)


FILES = ("front.csv", "candidates.csv", "pairs.csv", "history.csv", "optimize.json")


def test_the_same_front_for_one_and_two_workers_and_after_a_resume(tmp_path):
    check_workers_and_resume(_optimisation, tmp_path, FILES)   # cut in the first generation


def test_the_same_front_after_an_interruption_late_in_the_search(tmp_path):
    one = _optimisation(tmp_path, "one", 1)
    assert len(one.history) >= 3

    def stop_late(done, planned, points_done, points):
        if done >= 15_000:   # after several generations and racing rounds: their decisions are replayed
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        _optimisation(tmp_path, "cut", 1, stop_late)
    resumed = stress.resume(tmp_path / "cut.partial", workers=2)
    for name in FILES:
        assert (resumed.path / name).read_text() == (one.path / name).read_text(), name


def test_the_command_line_prints_the_front_and_the_folder_reads_back(tmp_path):
    completed = run_cli("optimize", "--lever", "tier2.threshold=2:5:int", "--lever", "tier3.delay_hours=24:96:24",
                        "--minimize", "p_tier3_objective_first", "--minimize", "p_false_escalation",
                        "--constraint", "p_false_escalation < 0.07", "--max-replications", "30000", "-n", "500",
                        "--population", "8", "--engine", "fast", "--workers", "1", "--out", str(tmp_path / "opt"),
                        "--json", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert data["kind"] == "optimize" and data["replications"]["used"] <= 30_000
    hv = data["hypervolume"]
    assert hv["ci_low"] <= hv["estimate"] <= hv["ci_high"] and data["knee"]["member"] in data["front"]
    folder = tmp_path / "opt"
    view = stress.load_result(folder)
    assert view.kind == "optimize" and len(view.front) == len(data["members"])
    front = view.front_members()
    assert len(front) == len(data["front"]) and front["constraints_met"].all()
    assert "p_tier3_objective_first [95% CI]" in stress.export(folder, "markdown")
    assert sorted(p.name for p in stress.plot(folder)) == ["front.png", "front.svg", "levers.png", "levers.svg"]
    assert stress.report(folder).is_file()
    (entry,) = stress.results(tmp_path)
    assert entry.kind == "optimize" and entry.status == "complete" and "hypervolume" in entry.headline
    shown = run_cli("show", str(folder), cwd=tmp_path)
    assert shown.returncode == 0 and "hypervolume" in shown.stdout and "knee" in shown.stdout


def test_a_front_of_one_member_reads_back(tmp_path):
    # an attack reaches its objective first far more often with a slower response: one
    # member is left, and pairs.csv has no row (a header whose columns read as text)
    stress.optimize(levers=["tier3.delay_hours=0:120:60"], minimize=["p_tier3_objective_first"],
                    max_replications=20_000, n=500, population=4, seed=0, engine="fast", workers=1,
                    out=tmp_path / "one")
    view = stress.load_result(tmp_path / "one")
    assert len(view.front) == 1 and view.front["tier3.delay_hours"].item() == 0 and not len(view.pairs)


def test_the_command_line_refuses_bad_input_without_a_traceback(tmp_path):
    missing = run_cli("optimize", "--lever", "tier2.threshold=1:6:int", "--minimize", "tier3_p", cwd=tmp_path)
    assert missing.returncode == 2 and "--max-replications R is required" in missing.stderr
    bad = run_cli("optimize", "--lever", "tier2.threshold=1:6", "--minimize", "tier3_p", "--max-replications", "1e5",
                  cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lever = run_cli("optimize", "--lever", "tier2.threshold=1:6", "--minimize", "tier3_p", "--max-replications",
                    "100000", cwd=tmp_path)
    assert lever.returncode == 2 and "write tier2.threshold=1:6:int" in lever.stderr and "Traceback" not in lever.stderr
    assert not (tmp_path / "results").exists()
