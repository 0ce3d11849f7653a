"""Violators that read the plan (stress.model.adversary): each behaviour does what it
says, against closed forms and against the blind violator on the same replications."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import stress
from stress.engines import simulate_chunk
from stress.model import adversary, records
from stress.model.params import compile_params

from conftest import make_config

Z_MAX = 4.0


def run(*overrides, n: int, seed: int, base=None):
    config = make_config(*overrides, base=base)
    values = simulate_chunk("fast", compile_params(config), seed, 0, n)
    return values, records.layout(config).index


# --- blind ---------------------------------------------------------------------------

def test_a_blind_adversary_table_changes_no_record():
    plain, index = run(n=2000, seed=3)
    blind, blind_index = run("adversary.strategy=blind", "adversary.payoff.unanswered=1", n=2000, seed=3)
    for name, column in index.items():
        assert np.array_equal(plain[:, column], blind[:, blind_index[name]], equal_nan=True), name
    assert "violator_payoff" in blind_index


# --- threshold -----------------------------------------------------------------------
# Perfect, instant monitoring, no false reports, no feedback, and one count tier (3
# reports of any class within 7 days): a violator that knows the threshold exactly
# never lets it trigger; one whose belief can be off triggers it, more often the more.

PERFECT = ("monitoring.detection_probability=1", "monitoring.attribution_probability=1",
           "monitoring.delay_median_hours=0", "monitoring.delay_spread=0", "monitoring.false_reports_per_day=0",
           "breaches.baseline_per_day=0.6")


def count_plan() -> dict:
    from stress.config.loading import read_raw
    raw = {k: v for k, v in read_raw(None)[0].items() if k != "tiers"}
    return raw | {"tiers": [{"name": "continued", "trigger": "count", "min_class": "minor", "threshold": 3,
                             "window_days": 7, "decision_probability": 1.0}]}


def count_trigger_rate(error: float, n: int, seed: int) -> tuple[float, float]:
    values, index = run(*PERFECT, "adversary.strategy=threshold", f"adversary.threshold.knowledge_error={error}",
                        "adversary.threshold.margin=1", n=n, seed=seed, base=count_plan())
    hits = ~np.isnan(values[:, index["continued_hours"]])
    p = hits.mean()
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def test_a_violator_that_knows_the_threshold_never_reaches_it():
    values, index = run(*PERFECT, "adversary.strategy=threshold", n=100_000, seed=11, base=count_plan())
    assert np.isnan(values[:, index["continued_hours"]]).all()
    assert values[:, index["breaches_held"]].sum() > 10_000  # it did hold breaches back
    blind, blind_index = run(*PERFECT, n=20_000, seed=11, base=count_plan())
    assert (~np.isnan(blind[:, blind_index["continued_hours"]])).mean() > 0.9  # a blind one reaches it


def test_the_trigger_rate_rises_with_the_error_of_the_violators_belief():
    # a cautious violator (a margin of 1 report) whose belief of the threshold (3) is off
    # by a factor 1 + e U: it reaches the trigger only when it believes the threshold
    # above 4, which happens more often the larger e (counts are whole: a symmetric error
    # without a margin crosses in half the replications whatever e)
    rates = [count_trigger_rate(e, 20_000, 12) for e in (0.4, 0.6, 0.9)]
    for (low, low_se), (high, high_se) in zip(rates, rates[1:]):
        assert high - low > Z_MAX * math.hypot(low_se, high_se), rates
    assert rates[0][0] > 0


def test_downgrading_keeps_the_breaches_below_the_counted_class():
    # a tier that counts major and worse: the violator that downgrades makes its breaches
    # minor instead of holding them back
    plan = count_plan()
    plan["tiers"][0]["min_class"] = "major"
    values, index = run(*PERFECT, "adversary.strategy=threshold", "adversary.threshold.action=downgrade", n=20_000,
                        seed=13, base=plan)
    assert np.isnan(values[:, index["continued_hours"]]).all()
    assert values[:, index["breaches_downgraded"]].sum() > 0 and values[:, index["breaches_held"]].sum() == 0


# --- learning ------------------------------------------------------------------------

def test_the_posterior_mean_is_the_conjugate_update():
    for a, b, d, k in ((1.0, 1.0, 0, 0), (2.0, 3.0, 4, 1), (0.5, 0.5, 0, 7), (3.0, 1.0, 10, 10)):
        assert adversary.posterior_mean(a, b, d, k) == (a + d) / (a + b + d + k)


def test_a_plan_that_declines_invites_more_breaches_as_the_violator_learns():
    # a tier that decides on every report with probability 0.1: the learning violator
    # sees mostly declines, believes the will weak, and breaches more as time goes on
    base = count_plan()
    base["tiers"] = [{"name": "warning", "trigger": "report", "min_class": "minor", "decision_probability": 0.1,
                      "repeats": True}]
    overrides = ("breaches.self_excitation=0", "breaches.baseline_per_day=0.3", "adversary.strategy=learning",
                 "adversary.learning.boldness=2", "adversary.learning.prior_a=2", "adversary.learning.prior_b=2")
    result = stress.run(make_config(*overrides, base=base), n=4000, seed=5, engine="fast", workers=1,
                        keep_records=True)
    config = make_config(*overrides, base=base)
    first, second = [], []
    for i in range(200):  # the breach times, from the traces
        events, _ = stress.trace(config, seed=5, replication=i)
        times = np.array([e.hours for e in events if e.kind == "breach"])
        half = config.scenario.horizon_days * 12.0
        first.append((times < half).sum())
        second.append((times >= half).sum())
    first, second = np.array(first), np.array(second)
    difference = second - first
    assert difference.mean() > Z_MAX * difference.std(ddof=1) / math.sqrt(len(difference))
    blind = stress.run(make_config(*overrides[:2], base=base), n=4000, seed=5, engine="fast", workers=1)
    rows = {r["metric"]: r for r in result.summary.metric_rows}
    blind_rows = {r["metric"]: r for r in blind.summary.metric_rows}
    assert rows["mean_breaches"]["ci_low"] > blind_rows["mean_breaches"]["ci_high"]


# --- timing --------------------------------------------------------------------------
# One tier answers an offensive report with a coordinated response `delay` hours after
# the breach, reported at once; the attack needs a lognormal time (median 96 h) to reach
# its objective. The timing violator launches only the attacks that win the race.

def race_plan(delay: float) -> dict:
    base = count_plan()
    base["tiers"] = [{"name": "coordinated", "trigger": "report", "min_class": "offensive",
                      "decision_probability": 1.0, "response_from": "breach", "response_delay_hours": delay,
                      "reached_at": "start", "objective_median_hours": 96.0, "objective_spread": 0.6}]
    return base


def objective_first(delay: float, strategy: str, n: int, seed: int) -> tuple[float, float]:
    values, index = run(*PERFECT, "breaches.baseline_per_day=0.3", f"adversary.strategy={strategy}", n=n, seed=seed,
                        base=race_plan(delay))
    hits = values[:, index["coordinated_objective_first"]] == 1.0
    p = hits.mean()
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def test_timing_wins_more_races_against_a_slow_response():
    (blind, blind_se), (timing, timing_se) = (objective_first(72.0, s, 20_000, 21) for s in ("blind", "timing"))
    assert timing - blind > Z_MAX * math.hypot(blind_se, timing_se), (blind, timing)


def test_timing_changes_nothing_against_an_immediate_response():
    # the response starts at the breach: no attack can win, blind or not
    assert objective_first(0.0, "blind", 20_000, 22)[0] == objective_first(0.0, "timing", 20_000, 22)[0] == 0.0


# --- monitoring ------------------------------------------------------------------------

def test_the_monitoring_violator_shifts_its_mix_toward_the_least_detected_class():
    mix = adversary.monitoring_mix(np.array([0.75, 0.22, 0.03]), np.array([0.5, 0.85, 0.99]), 0.5)
    np.testing.assert_allclose(mix, [0.875, 0.11, 0.015])
    values, index = run("adversary.strategy=monitoring", "adversary.monitoring.strength=0.5", n=20_000, seed=31)
    share = values[:, index["breaches_minor"]].sum() / values[:, index["breaches"]].sum()
    se = math.sqrt(0.875 * 0.125 / values[:, index["breaches"]].sum())
    assert abs(share - 0.875) < Z_MAX * se * 3  # breaches of one replication share its feedback: wider


# --- payoff ----------------------------------------------------------------------------

def test_the_payoff_adds_unanswered_breaches_and_objectives_less_tier_costs():
    # no tier can trigger (class 'none' ...): every breach is unanswered
    values, index = run("adversary.strategy=blind", "adversary.payoff.unanswered.minor=1",
                        "adversary.payoff.unanswered.major=2", "adversary.payoff.unanswered.offensive=5",
                        "monitoring.detection_probability=0", n=2000, seed=41)
    expected = (values[:, index["breaches_minor"]] + 2 * values[:, index["breaches_major"]]
                + 5 * values[:, index["breaches_offensive"]])
    np.testing.assert_allclose(values[:, index["violator_payoff"]], expected)
    summary = stress.run(make_config("adversary.strategy=blind", "adversary.payoff.tier_cost.tier1=1"), n=2000, seed=41,
                         engine="fast", workers=1).summary
    row = next(r for r in summary.metric_rows if r["metric"] == "mean_violator_payoff")
    times = next(r for r in summary.metric_rows if r["metric"] == "mean_tier1_times_reached")
    assert row["estimate"] == pytest.approx(-times["estimate"]) and row["ci_low"] < row["estimate"] < row["ci_high"]


# --- the best response ---------------------------------------------------------------
# A violator that shifts its mix toward minor breaches (the least detected) by strength
# s, against one costly count tier (6 verified reports of any class within 10 days)
# over 30 days: its payoff, the value of its unanswered breaches less 50 if the tier is
# reached, is analytic in s. Verified reports are a Poisson process of rate
# mu sum_c p_c(s) d_c, so P(reached) is the scan statistic over exactly 3 windows (Naus's
# Q3, exact there); the report that reaches it is answered, of class c with probability
# p_c(s) d_c / sum p d. The search must find the maximum within the tolerance it reports.

SEARCH_BASE = ("breaches.self_excitation=0", "breaches.baseline_per_day=0.5", "scenario.horizon_days=30",
               "monitoring.detection_probability.minor=0.2", "monitoring.detection_probability.major=0.9",
               "monitoring.detection_probability.offensive=0.99", "monitoring.attribution_probability=1",
               "monitoring.delay_median_hours=0", "monitoring.delay_spread=0", "monitoring.false_reports_per_day=0",
               "adversary.payoff.unanswered.minor=1", "adversary.payoff.unanswered.major=2",
               "adversary.payoff.unanswered.offensive=4", "adversary.payoff.tier_cost=50")
VALUES = np.array([1.0, 2.0, 4.0])
DETECTION = np.array([0.2, 0.9, 0.99])
MIX = np.array([0.75, 0.22, 0.03])


def scan_plan() -> dict:
    base = count_plan()
    base["tiers"] = [{"name": "continued", "trigger": "count", "min_class": "minor", "threshold": 6,
                      "window_days": 10, "decision_probability": 1.0}]
    return base


def analytic_payoff(s: float) -> float:
    from test_theory import naus_q2_q3
    mix = adversary.monitoring_mix(MIX, DETECTION, s)
    verified = mix * DETECTION
    _, q3 = naus_q2_q3(6, 0.5 * verified.sum() * 10.0)
    triggered = 1.0 - q3
    return 0.5 * 30.0 * float((mix * VALUES).sum()) - triggered * (50.0 + float((VALUES * verified).sum() / verified.sum()))


def best_response(seed: int, n: int):
    from stress.jobs.adversary import AdversaryJob, spec_of
    from stress.config.loading import scenario_of
    from stress.jobs.pipeline import execute
    scenario = scenario_of(make_config(*SEARCH_BASE, base=scan_plan()))
    spec = spec_of(scenario, [], ["blind"], None, "max", "adversary.monitoring.strength=0:1", 11, n, seed)
    return execute(AdversaryJob(scenario, spec, engine="fast"), workers=1)


def test_the_best_response_search_finds_the_analytic_optimum_within_its_tolerance():
    from scipy.optimize import minimize_scalar
    optimum = minimize_scalar(lambda s: -analytic_payoff(s), bounds=(0.0, 1.0), method="bounded").x
    assert 0.2 < optimum < 0.8  # an interior maximum: the case tests something
    result = best_response(seed=51, n=40_000)
    rows = result.search
    near = rows[rows["within_noise_of_best"]]["value"]
    assert near.min() <= optimum <= near.max(), (optimum, list(near))
    assert near.max() - near.min() <= 0.6  # the tolerance says something
    best = rows[rows["best"]].iloc[0]
    se = (best["ci_high"] - best["ci_low"]) / (2 * 1.96)
    assert abs(best["estimate"] - analytic_payoff(best["value"])) < Z_MAX * se
    for row in rows.itertuples():  # every grid point against the closed form
        se = (row.ci_high - row.ci_low) / (2 * 1.96)
        assert abs(row.estimate - analytic_payoff(row.value)) < Z_MAX * se, row


# --- the study: stress adversary and robust --adversary --------------------------------

def _study(tmp_path, name, workers, progress=None):
    return stress.adversary(overrides=["adversary.payoff.unanswered=1", "adversary.payoff.objective=20"],
                            behaviours=["timing"], variants=["a: tier2.threshold=3", "b: tier2.threshold=2"],
                            search="adversary.timing.planning_error=0:1", search_points=3, n=1500, seed=2,
                            engine="fast", workers=workers, out=tmp_path / name, progress=progress)


def test_the_same_tables_for_one_and_two_workers_and_after_a_resume(tmp_path):
    from conftest import check_workers_and_resume
    check_workers_and_resume(_study, tmp_path, ("table.csv", "adversary.csv", "search.csv", "adversary.json"))


def test_an_adversary_study_on_the_command_line_reads_back(tmp_path):
    from conftest import run_cli
    args = ("adversary", "--set", "adversary.payoff.unanswered=1", "--set", "adversary.payoff.objective=20",
            "--set", "adversary.payoff.tier_cost.tier2=5", "--behaviour", "threshold", "--behaviour", "monitoring",
            "--variant", "plan: tier2.threshold=3", "--variant", "strict: tier2.threshold=2", "-n", "3000",
            "--seed", "4", "--search", "adversary.monitoring.strength=0:1", "--search-points", "3")
    done = run_cli(*args, "--out", "study", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "worst" in done.stdout and "best response" in done.stdout
    data = json.loads(run_cli(*args, "--out", "again", "--json", cwd=tmp_path).stdout)
    assert [r["behaviour"] for r in data["table"]] == ["blind", "threshold", "monitoring"] * 2
    view = stress.load_result(tmp_path / "study")
    assert view.kind == "adversary" and set(view.behaviours["behaviour"]) == {"blind", "threshold", "monitoring"}
    blind = view.behaviours[view.behaviours["behaviour"] == "blind"]
    assert (blind["diff_from_blind"] == 0).all()
    assert "mean_violator_payoff" in stress.export(tmp_path / "study", "markdown")
    assert {p.name for p in stress.plot(tmp_path / "study")} >= {"behaviours.png", "search.png"}
    assert stress.report(tmp_path / "study").is_file()
    (entry,) = [e for e in stress.results(tmp_path) if e.id == "study"]
    assert entry.kind == "adversary" and entry.status == "complete" and "worst" in entry.headline


def test_robust_judges_each_outcome_under_the_worst_violator():
    variants = ["plan: tier2.threshold=3", "strict: tier2.threshold=2"]
    kwargs = dict(variants=variants, minimize=["p_tier3_objective_first"], samples=4, n=400, seed=3,
                  uncertain=["tier2.decision_probability=uniform(0.2, 0.9)"], engine="fast", workers=1)
    worst = stress.robust(adversary=["blind", "timing"], **kwargs)
    frame = worst.to_frame()
    for (point, variant), rows in frame.groupby(["point", "variant"]):
        value = rows["p_tier3_objective_first"].max()  # the worst for the plan: the highest
        regret_value = worst.regrets[(worst.regrets["point"] == point) & (worst.regrets["variant"] == variant)
                                     & (worst.regrets["outcome"] == "p_tier3_objective_first")]["value"].iloc[0]
        assert regret_value == value
    assert set(frame["behaviour"]) == {"blind", "timing"}
