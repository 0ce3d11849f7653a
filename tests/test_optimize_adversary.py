"""stress optimize --adversary: every candidate meets each named violator on the same
replications, and each objective and constraint is its value under the violator worst
for it: exactly the number a plain run against that violator gives on the same seed
and replications; inside every bootstrap draw, not only in the estimates; the same
search when one violator is worst everywhere as against it alone; the same front for
1 and 2 workers and after a resume; unknown behaviours refused."""

import numpy as np
import pytest

import stress
from conftest import check_workers_and_resume, run_cli
from stress.config.adversary import BEHAVIOURS
from stress.errors import UserError
from stress.optimization.objectives import Measures, objectives_of
from stress.statistics.resampling import ReplicationWeights, weighted_means

LEVERS = ["tier2.threshold=2:5:int", "tier3.delay_hours=0:96:24"]
PAYOFF = ["adversary.payoff.unanswered=1", "adversary.payoff.objective=20"]
RATE = "breaches.baseline_per_day=uniform(0.05, 0.3)"


# --- the worst of the behaviours, in the estimates and in every draw ----------------------

def test_the_worst_behaviour_is_taken_inside_each_bootstrap_draw():
    # two violators with the outcome in the same number of replications, not the same ones:
    # which one is worse changes from draw to draw, and each draw's objective is the worse of
    # its own (a tie in the estimates: about half the draws favour each)
    rng = np.random.default_rng(7)
    data = np.zeros((400, 2, 1))                                    # (n, scenario x behaviour, statistic)
    data[:, 0, 0] = rng.random(400) < 0.3
    data[:, 1, 0] = rng.permutation(data[:, 0, 0])
    boot = weighted_means(data, ReplicationWeights(1, 2, 500).of(0, 400))   # (B, 2, 1)
    for direction, pick in (("minimize", np.maximum), ("maximize", np.minimum)):
        objectives = objectives_of(["tier3_p"] if direction == "minimize" else [],
                                   ["tier3_p"] if direction == "maximize" else [], over_uncertainty=False)
        measures = Measures(objectives, None, None, ["tier3_p"], False, behaviours=2)
        drawn = measures.objectives_of(boot)[:, 0]
        assert np.array_equal(drawn, pick(boot[:, 0, 0], boot[:, 1, 0]))
        # the behaviour worst by the estimates (the first of the tied) is not the worst in
        # every draw: its values in the draws would understate the worst case
        chosen = int(measures.worst_behaviour(data.mean(axis=0), objectives[0])[0])
        assert chosen == 0 and 0.35 < np.mean(drawn != boot[:, chosen, 0]) < 0.6
    # the constraint "tier3_p < 0.3" holds in a draw only if it holds against both violators
    from stress.discovery.expressions import parse
    measures = Measures(objectives_of(["tier3_p"], [], False), parse("tier3_p < 0.3", commas=True), None,
                        ["tier3_p"], False, behaviours=2)
    assert np.array_equal(measures.feasible(boot), (boot[:, 0, 0] < 0.3) & (boot[:, 1, 0] < 0.3))


def test_over_the_uncertainty_the_worst_behaviour_is_taken_at_each_scenario_before_the_measure():
    from stress.discovery.expressions import parse
    # 10 scenarios x 2 behaviours: behaviour 1 is worse at the even scenarios only
    means = np.zeros((20, 1))
    means[0::2, 0] = np.linspace(0.1, 0.5, 10)                       # behaviour 0 at each scenario
    means[1::2, 0] = np.linspace(0.1, 0.5, 10) + np.tile([0.2, -0.2], 5)
    worst = np.maximum(means[0::2, 0], means[1::2, 0])
    objectives = objectives_of(["tier3_p", "worst10.tier3_p"], ["satisficing"], over_uncertainty=True)
    measures = Measures(objectives, None, parse("tier3_p < 0.4", commas=True), ["tier3_p"], True, behaviours=2)
    mean, worst10, satisficing = measures.objectives_of(means)
    assert mean == pytest.approx(worst.mean()) and worst10 == pytest.approx(worst.max())
    assert satisficing == pytest.approx(np.mean(worst < 0.4))     # met against both violators
    assert list(measures.worst_behaviour(means, objectives[0])) == [1, 0] * 5


# --- whole optimisations ------------------------------------------------------------------

def _run(levers: dict, behaviour: str, n: int, seed: int):
    overrides = [f"{k}={v}" for k, v in levers.items()] + [f"adversary.strategy={behaviour}"]
    summary = stress.run(overrides=overrides, n=n, seed=seed, engine="fast", workers=1).summary
    values = dict(zip(summary.metrics["metric"], summary.metrics["estimate"]))
    values |= {f"{t}_p": p for t, p in zip(summary.tiers["tier"], summary.tiers["p_reached"])}
    return values


def test_each_objective_is_its_value_under_the_violator_worst_for_it():
    # max_n = n: every candidate of the search has exactly its first n replications, as a
    # plain run of n on the same seed has; the members' fresh ones are a run's later ones
    behaviours = ["blind", "timing", "monitoring"]
    objectives = {"p_tier3_objective_first": "minimize", "tier2_p": "maximize"}
    result = stress.optimize(levers=LEVERS, minimize=["p_tier3_objective_first"], maximize=["tier2_p"],
                             constraints=["p_false_escalation < 0.09"], adversary=behaviours, max_replications=90_000,
                             n=300, max_n=300, population=8, seed=3, engine="fast", workers=1)
    keys = [lever.split("=")[0] for lever in LEVERS]
    worst_seen = set()
    for row in result.candidates[result.candidates["n"] > 0].to_dict(orient="records"):
        assert row["n"] == 300
        values = [_run({k: row[k] for k in keys}, b, 300, 3) for b in behaviours]
        for name, direction in objectives.items():
            each = [v[name] for v in values]
            worst = max(each) if direction == "minimize" else min(each)
            assert row[name] == worst, (row, name, each)                      # exactly: the same replications
            assert row[f"{name}_worst"] == behaviours[each.index(worst)]
            worst_seen.add(row[f"{name}_worst"])
    assert len(worst_seen) >= 2            # the worst violator differs between objectives or candidates
    start, fresh = 300, result.data["final_n"]
    for row in result.front.to_dict(orient="records"):
        levers = {k: row[k] for k in keys}
        # the fresh replications start at max_n: a run of max_n + final_n less one of max_n
        counts = {b: {name: round(_run(levers, b, start + fresh, 3)[name] * (start + fresh))
                      - round(_run(levers, b, start, 3)[name] * start)
                      for name in [*objectives, "p_false_escalation"]} for b in behaviours}
        for name, direction in objectives.items():
            each = [counts[b][name] / fresh for b in behaviours]
            worst = max(each) if direction == "minimize" else min(each)
            assert row[name] == worst and row[f"{name}_worst"] == behaviours[each.index(worst)]
            assert row[f"{name}_ci_low"] <= worst <= row[f"{name}_ci_high"]
        # a constraint is met only if it is met against every violator
        assert row["constraints_met"] == all(counts[b]["p_false_escalation"] / fresh < 0.09 for b in behaviours)
    assert any("worst for it" in note and "timing" in note for note in result.notes)


def test_over_the_uncertainty_each_scenario_is_judged_under_its_worst_violator():
    behaviours = ["blind", "timing"]
    result = stress.optimize(levers=["tier3.delay_hours=24:96:24"], minimize=["worst10.p_tier3_objective_first"],
                             maximize=["tier2_p", "satisficing"], satisfice="p_false_escalation < 0.08",
                             over_uncertainty=True, samples=4, uncertain=[RATE], adversary=behaviours,
                             max_replications=60_000, n=300, max_n=300, population=4, seed=1, engine="fast", workers=1)
    scenarios = result.scenarios.to_dict(orient="records")
    for row in result.candidates.to_dict(orient="records"):
        # (scenario, behaviour) values of a plain run of the same replications
        runs = [[_run({"tier3.delay_hours": row["tier3.delay_hours"],
                       "breaches.baseline_per_day": repr(s["breaches.baseline_per_day"])}, b, 300, 1)
                 for b in behaviours] for s in scenarios]
        first = np.array([[r["p_tier3_objective_first"] for r in at] for at in runs])
        tier2 = np.array([[r["tier2_p"] for r in at] for at in runs])
        met = np.array([[r["p_false_escalation"] < 0.08 for r in at] for at in runs])
        assert row["worst10.p_tier3_objective_first"] == first.max(axis=1).max()    # the worst 1 of 4 scenarios
        assert row["tier2_p"] == np.mean(tier2.min(axis=1))
        assert row["satisficing"] == np.mean(met.all(axis=1))
        worst = np.argmin(tier2, axis=1)
        assert row["tier2_p_worst"] == behaviours[np.bincount(worst, minlength=2).argmax()]
        assert row["tier2_p_worst_share"] == np.bincount(worst, minlength=2).max() / len(scenarios)


def test_a_violator_worst_everywhere_gives_the_search_against_it_alone():
    # the learning violator breaches more against every plan: the violator's payoff and the
    # coordinated response's chance are highest against it, for every candidate and in every
    # draw, so the search against it and the blind one is the search against it alone (with
    # twice the replications, as each candidate runs twice)
    kwargs = dict(levers=["tier2.threshold=1:6:int", "tier3.delay_hours=0:120:12"],
                  minimize=["mean_violator_payoff", "tier3_p"], n=300, population=8, seed=1, engine="fast",
                  workers=1)
    both = stress.optimize(overrides=PAYOFF, adversary=["blind", "learning"], max_replications=48_000, **kwargs)
    alone = stress.optimize(overrides=[*PAYOFF, "adversary.strategy=learning"], max_replications=24_000, **kwargs)
    assert (both.front["mean_violator_payoff_worst"] == "learning").all()
    assert (both.front["tier3_p_worst"] == "learning").all()
    assert len(both.front) > 2
    for table in ("front", "candidates", "pairs"):   # every column they share
        theirs = getattr(alone, table)
        assert getattr(both, table)[list(theirs.columns)].equals(theirs), table
    assert both.hypervolume == alone.hypervolume and both.data["knee"] == alone.data["knee"]
    assert both.history.drop(columns="replications").equals(alone.history.drop(columns="replications"))
    assert (both.history["replications"] == 2 * alone.history["replications"]).all()


def _optimisation(tmp_path, name, workers, progress=None):
    return stress.optimize(levers=LEVERS, minimize=["p_tier3_objective_first"], maximize=["p_tier3_stood_down"],
                           constraints=["p_false_escalation < 0.08"], adversary=["blind", "timing"],
                           max_replications=48_000, n=300, population=8, seed=3, engine="fast", workers=workers,
                           out=tmp_path / name, progress=progress)


def test_the_same_front_against_the_violators_for_one_and_two_workers_and_after_a_resume(tmp_path):
    check_workers_and_resume(_optimisation, tmp_path,
                             ("front.csv", "candidates.csv", "pairs.csv", "history.csv", "optimize.json"))


# --- input and output ---------------------------------------------------------------------

def test_unknown_violators_and_a_behaviour_lever_are_refused(tmp_path):
    given = dict(levers=LEVERS, minimize=["tier3_p"], max_replications=100_000, n=500, out=tmp_path / "never")
    with pytest.raises(UserError, match="the kinds of violator are blind, threshold, learning, timing, monitoring"):
        stress.optimize(**given, adversary=["sneaky"])
    with pytest.raises(UserError, match="not also a lever"):
        stress.optimize(**given | dict(levers=["adversary.strategy=blind,timing"]), adversary=["threshold"])
    with pytest.raises(UserError, match=r"mean_violator_payoff needs an \[adversary.payoff\] table"):
        stress.optimize(**given | dict(minimize=["mean_violator_payoff"]), adversary=["worst"])
    with pytest.raises(UserError, match="x 5 behaviours"):
        stress.optimize(**given | dict(max_replications=30_000), adversary=["worst"])
    assert not (tmp_path / "never").exists() and not (tmp_path / "never.partial").exists()
    done = run_cli("optimize", "--lever", LEVERS[0], "--minimize", "tier3_p", "--max-replications", "100000",
                   "--adversary", "timing", "--adversary", "sneaky", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--adversary 'sneaky'" in done.stderr and ", ".join(BEHAVIOURS) in done.stderr
    assert not (tmp_path / "results").exists()


def test_the_command_line_against_the_worst_violator_and_the_folder_show_the_behaviours(tmp_path):
    completed = run_cli("optimize", "--lever", "tier2.threshold=2:5:int", "--lever", "tier3.delay_hours=24:96:24",
                        "--minimize", "p_tier3_objective_first", "--maximize", "tier2_p", "--adversary", "worst",
                        "--max-replications", "80000", "-n", "300", "--population", "8", "--engine", "fast",
                        "--workers", "1", "--out", str(tmp_path / "opt"), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "against the worst of the blind, threshold, learning, timing, monitoring violators" in completed.stdout
    assert "worst violator" in completed.stdout
    folder = tmp_path / "opt"
    view = stress.load_result(folder)
    assert view.data["adversary"] == list(BEHAVIOURS)
    for name in ("p_tier3_objective_first", "tier2_p"):
        assert set(view.front[f"{name}_worst"]) <= set(BEHAVIOURS)
    exported = stress.export(folder, "markdown")
    assert "p_tier3_objective_first_worst" in exported and "violators" in exported
    assert sorted(p.name for p in stress.plot(folder)) == ["front.png", "front.svg", "levers.png", "levers.svg"]
    assert "against the worst of 5 violators" in (folder / "plots" / "front.svg").read_text()
    report = stress.report(folder).read_text()
    assert "violator worst for it" in report and "(against the" in report
    (entry,) = stress.results(tmp_path)
    assert "worst of 5 violators" in entry.headline
