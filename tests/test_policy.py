"""The response rules with hand-placed reports (the breach process switched off)."""

import math

import pytest

from stress.model import clock

from conftest import scripted

MINOR, MAJOR, OFFENSIVE = 0, 1, 2
SURE_TIER2 = ("tier2.decision_probability=1", "tier2.decision_delay_hours=0", "tier2.requires_lower_tier=false")


def test_tier1_warns_on_every_report_and_responds_within_the_deadline():
    reports = [(10.0 + 7 * k, MINOR, False, 5.0 + 7 * k) for k in range(20)]
    record, trace, _ = scripted(reports, "tier1.military_response_probability=1", "tier1.response_within_hours=24")
    assert record["tier1_times_reached"] == 20
    assert record["tier1_hours"] == 10.0
    assert record["tier1_responses"] == 20
    starts = [e.hours for e in trace if e.kind == "tier1" and e.what == "response starts"]
    ordered = [e.hours for e in trace if e.kind == "tier1" and e.what.startswith("response ordered")]
    verified = [10.0 + 7 * k for k in range(20)]
    assert all(v <= s <= v + 24.0 for v, s in zip(verified, sorted(starts)))
    assert len(ordered) == 20
    # latency is measured from the breach, not the report
    assert 5.0 <= record["tier1_latency_hours"] <= 5.0 + 24.0


def test_tier1_min_class_and_cooldown():
    reports = [(10.0, MINOR, False, 9.0), (20.0, MAJOR, False, 19.0), (25.0, MAJOR, False, 24.0),
               (40.0, MAJOR, False, 39.0)]
    record, _, _ = scripted(reports, "tier1.min_class=major", "tier1.cooldown_hours=10")
    assert record["tier1_hours"] == 20.0
    assert record["tier1_times_reached"] == 2  # the one at 25 h falls in the cooldown


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_tier2_fires_on_the_kth_report_inside_the_window_and_not_before(threshold):
    window_days = 7
    times = [100.0 + 30.0 * k for k in range(threshold)]  # all within 7 days
    record, _, _ = scripted([(t, MAJOR, False, t - 1) for t in times], *SURE_TIER2,
                            f"tier2.threshold={threshold}", f"tier2.window_days={window_days}")
    assert record["tier2_hours"] == times[-1]
    # one report fewer never reaches tier 2
    record, _, _ = scripted([(t, MAJOR, False, t - 1) for t in times[:-1]], *SURE_TIER2,
                            f"tier2.threshold={threshold}")
    assert math.isnan(record["tier2_hours"])


def test_tier2_window_is_trailing_and_half_open():
    # reports exactly one window apart do not count together: the window is (t - w, t]
    w = 7 * 24.0
    record, _, _ = scripted([(100.0, MAJOR, False, 99.0), (100.0 + w, MAJOR, False, 99.0 + w)],
                            *SURE_TIER2, "tier2.threshold=2", "tier2.window_days=7")
    assert math.isnan(record["tier2_hours"])
    record, _, _ = scripted([(100.0, MAJOR, False, 99.0), (100.0 + w - 1e-6, MAJOR, False, 99.0)],
                            *SURE_TIER2, "tier2.threshold=2", "tier2.window_days=7")
    assert record["tier2_hours"] == 100.0 + w - 1e-6


def test_tier2_counts_only_its_min_class_and_honours_requires_lower_tier():
    reports = [(10.0, MINOR, False, 9.0), (20.0, MINOR, False, 19.0), (30.0, MAJOR, False, 29.0),
               (40.0, MAJOR, False, 39.0)]
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2")
    assert record["tier2_hours"] == 40.0
    # tier 1 never fires (its min class is offensive), so a tier 2 that needs it waits
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2", "tier2.requires_lower_tier=true",
                            "tier1.min_class=offensive")
    assert math.isnan(record["tier2_hours"])


def test_tier2_decision_delay_deployment_and_quiet_reset():
    reports = [(10.0, MAJOR, False, 9.0), (20.0, MAJOR, False, 19.0)]
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2", "tier2.decision_delay_hours=48",
                            "tier2.deployment_delay_hours=100")
    assert record["tier2_hours"] == 68.0
    assert record["tier2_arrived_hours"] == 168.0
    # with a quiet reset of 5 hours the first report is forgotten before the second
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2", "tier2.reset_after_quiet_days=0.2")
    assert math.isnan(record["tier2_hours"])


def test_declined_tier2_asks_again_after_the_cooldown():
    reports = [(10.0 * k, MAJOR, False, 10.0 * k - 1) for k in range(1, 30)]
    record, trace, _ = scripted(reports, "tier2.decision_probability=0", "tier2.decision_delay_hours=0",
                                "tier2.requires_lower_tier=false", "tier2.threshold=2",
                                "tier2.cooldown_hours=45")
    asks = [e.hours for e in trace if e.kind == "tier2" and e.what == "decision declined"]
    assert asks[0] == 20.0
    assert all(b - a >= 45.0 for a, b in zip(asks, asks[1:]))
    assert record["tier2_declined"] == len(asks) and math.isnan(record["tier2_hours"])


def test_tier3_starts_exactly_delay_after_the_breach_or_at_the_report_if_later():
    common = ("tier3.decision_probability=1", "tier3.stand_down_per_day=0", "tier3.backstop_probability=1")
    record, _, _ = scripted([(30.0, OFFENSIVE, False, 20.0)], *common, "tier3.delay_hours=72")
    assert record["tier3_hours"] == 92.0
    assert record["tier3_latency_hours"] == 72.0
    assert record["tier3_partner_joined"] and not math.isnan(record["tier3_hours"]) and record["highest_tier"] == 3
    record, _, _ = scripted([(120.0, OFFENSIVE, False, 20.0)], *common, "tier3.delay_hours=72")
    assert record["tier3_hours"] == 120.0
    record, _, _ = scripted([(30.0, OFFENSIVE, False, 20.0)], *common, "tier3.delay_hours=72", "tier3.delay_from=report")
    assert record["tier3_hours"] == 102.0
    record, _, _ = scripted([(30.0, MAJOR, False, 20.0)], *common)
    assert math.isnan(record["tier3_hours"])


def test_tier3_stand_down_cancels_and_objective_is_recorded():
    common = ("tier3.decision_probability=1", "tier3.delay_hours=72")
    # a stand-down rate so high it always comes first
    record, _, _ = scripted([(30.0, OFFENSIVE, False, 20.0)], *common, "tier3.stand_down_per_day=1e6",
                            "tier3.objective_median_hours=1000")
    assert record["tier3_stood_down"] and math.isnan(record["tier3_hours"])
    # an attack that reaches its objective 10 h after it began, long before the response
    fixed = ("tier3.stand_down_per_day=0", "tier3.objective_spread=0")
    record, trace, _ = scripted([(30.0, OFFENSIVE, False, 20.0)], *common, *fixed, "tier3.objective_median_hours=10")
    assert record["tier3_objective_first"] and record["tier3_hours"] == 92.0
    assert any("objective at 30.00 h" in e.what for e in trace)
    record, _, _ = scripted([(30.0, OFFENSIVE, False, 20.0)], *common, *fixed, "tier3.objective_median_hours=500")
    assert not record["tier3_objective_first"]
    # the draw sets the time through the lognormal quantile: u = 0.5 is the median
    record, trace, _ = scripted([(30.0, OFFENSIVE, False, 20.0, 0.5)], *common, "tier3.stand_down_per_day=0",
                                "tier3.objective_median_hours=40", "tier3.objective_spread=1")
    assert any("objective at 60.00 h" in e.what for e in trace)
    # a false report has no attack behind it, so nothing reaches an objective
    record, _, _ = scripted([(30.0, OFFENSIVE, True, 20.0, -1.0)], *common, *fixed, "tier3.objective_median_hours=1")
    assert not record["tier3_objective_first"] and not math.isnan(record["tier3_hours"])


def test_tier3_severity_trigger_sums_over_its_window():
    sev = ("tier3.trigger=severity", "tier3.severity_threshold=9", "tier3.severity_window_days=1",
           "tier3.decision_probability=1", "tier3.delay_hours=0", "tier3.stand_down_per_day=0")
    # major severity 3: three majors within a day reach 9
    reports = [(10.0, MAJOR, False, 9.0), (20.0, MAJOR, False, 19.0), (30.0, MAJOR, False, 29.0)]
    record, _, _ = scripted(reports, *sev)
    assert record["tier3_hours"] == 30.0
    spread = [(10.0, MAJOR, False, 9.0), (40.0, MAJOR, False, 39.0), (70.0, MAJOR, False, 69.0)]
    record, _, _ = scripted(spread, *sev)
    assert math.isnan(record["tier3_hours"])


def test_tier3_severity_sum_adds_the_window_one_report_at_a_time():
    # ten reports of severity 0.1 add up to 0.9999999999999999 one at a time, as the
    # compiled engine adds them, but to 1.0 with the compensated sum() that Python 3.12+
    # uses for Python floats, which would meet a threshold of 1 a report earlier
    sev = ("tier3.trigger=severity", "tier3.severity_threshold=1", "tier3.severity_window_days=10",
           "tier3.decision_probability=1", "tier3.delay_hours=0", "tier3.stand_down_per_day=0",
           "breaches.classes.minor.severity=0.1")
    times = [10.0 * k for k in range(1, 13)]
    record, _, _ = scripted([(t, MINOR, False, t - 1.0) for t in times], *sev)
    assert record["tier3_hours"] == times[10]

def test_false_reports_are_flagged_when_they_cause_escalation():
    reports = [(10.0, MAJOR, False, 9.0), (20.0, MAJOR, True, 19.0)]
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2")
    assert record["tier2_on_false_report"] and record["false_escalation"]
    reports = [(10.0, MAJOR, False, 9.0), (20.0, MAJOR, False, 19.0), (25.0, MAJOR, True, 24.0)]
    record, _, _ = scripted(reports, *SURE_TIER2, "tier2.threshold=2")
    assert not record["tier2_on_false_report"] and record["tier2_hours"] == 20.0
    record, _, _ = scripted([(30.0, OFFENSIVE, True, 20.0)], "tier3.decision_probability=1",
                            "tier3.stand_down_per_day=0")
    assert record["tier3_on_false_report"] and record["false_escalation"] and record["false_reports"] == 1


def test_tier3_requires_tier2_when_asked():
    reports = [(30.0, OFFENSIVE, False, 20.0)]
    record, _, _ = scripted(reports, "tier3.requires_lower_tier=true", "tier3.decision_probability=1")
    assert math.isnan(record["tier3_hours"])


def test_feedback_takes_effect_when_the_response_does():
    _, trace, rep = scripted([(10.0, MINOR, False, 9.0)], "tier1.military_response_probability=1",
                             "tier1.response_within_hours=24", "tier1.rate_factor=0.5", "feedback.half_life_days=1")
    start = next(e.hours for e in trace if e.kind == "tier1" and e.what == "response starts")
    change = next(e for e in trace if e.kind == "feedback")
    assert change.hours == start and "0.500" in change.what
    # then it relaxes toward 1 with the half-life
    assert clock.multiplier(rep.clock, start + 24.0, rep.params.clock) == pytest.approx(0.75)


def test_reached_tiers_are_nested_in_highest_tier():
    record, _, _ = scripted([(10.0, MINOR, False, 9.0)])
    assert record["highest_tier"] == 1
    record, _, _ = scripted([])
    assert record["highest_tier"] == 0 and math.isnan(record["tier1_hours"])
