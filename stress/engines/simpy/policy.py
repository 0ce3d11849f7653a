"""Component 3: the response policy, the rules under test.

Choices the model makes (the README's model section lists them):
- A tier is *reached* when tier 1's warning is issued, when tier 2's deployment is
  decided (arrival is recorded apart) and when tier 3's response is initiated.
- Every verified report draws six numbers from the response stream, used or not, so
  variants that differ only in their rules meet the same luck report by report.
- Tier 2 counts reports of at least ``min_class`` in the trailing window (t - w, t];
  false reports count too. While a decision is pending or after the deployment is
  decided, it does not trigger again; a declined decision blocks new triggers for
  the cooldown, after which the next counted report asks again if the count is
  still at the threshold.
- Tier 3 triggers on one report of at least ``min_class`` (or a severity sum over a
  window). A decided response is pending until it starts ``delay`` after the incident
  (never before its report). The violator may stand down first (clock from the
  report), which cancels it; the attack may reach its objective first, which is
  recorded. Tier 3 is initiated at most once; a decline or cancellation blocks new
  triggers for the cooldown.
- A tier reached *on a false report*: tier 2 if the real reports in the window were
  below the threshold, tier 3 if the trigger was false (or real severity fell short).

Every such decision is a function of ``stress.model.rules``, which the compiled engine
calls too; this module keeps the state the rules read.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from stress.model.rules import (at_least, may_trigger, out_of_window, quiet_reset, reaches, response_start,
                                rests_on_false, tier1_warns, tier3_outcome, tier3_times, window_sums)

if TYPE_CHECKING:
    from stress.engines.simpy.replication import Replication

# Meaning of the six response draws of a report.
U_MILITARY, U_RESPONSE_TIME, U_TIER2, U_TIER3, U_BACKSTOP, U_STAND_DOWN = range(6)
RESPONSE_DRAWS = 6


def _add_to_window(window: deque, t: float, weight: float, is_false: bool, length: float) -> None:
    """Append a report to a trailing window of (time, weight, is_false) and drop those
    that have left it."""
    window.append((t, weight, is_false))
    while out_of_window(window[0][0], t, length):
        window.popleft()


class Policy:
    def __init__(self, rep: "Replication") -> None:
        self.rep = rep
        self.p = rep.params
        self.tier1_open_at = 0.0
        # tier 2: counted reports as (time, weight 1, is_false), oldest first
        self.counted: deque[tuple[float, float, bool]] = deque()
        self.last_counted = -math.inf
        self.tier2_pending = False
        self.tier2_decided = False
        self.tier2_open_at = 0.0
        # tier 3: reports in the severity window as (time, severity, is_false)
        self.severe: deque[tuple[float, float, bool]] = deque()
        self.tier3_pending = False
        self.tier3_initiated = False
        self.tier3_open_at = 0.0

    def on_report(self, t: float, cls: int, is_false: bool, t_incident: float, u_objective: float) -> None:
        """A verified report at ``t`` of a class-``cls`` incident at ``t_incident``;
        ``u_objective`` is the attack's draw for the time to its objective."""
        rep = self.rep
        u = rep.draw_responses(RESPONSE_DRAWS).tolist()  # Python floats: faster here, same bits
        rep.count("false_reports" if is_false else "reports")
        rep.log(t, "report", f"{'FALSE ' if is_false else ''}{rep.class_names[cls]} report verified "
                f"(incident at {t_incident:.2f} h)")
        self._tier1(t, cls, is_false, t_incident, u)
        self._tier2(t, cls, is_false, u)
        self._tier3(t, cls, is_false, t_incident, u_objective, u)

    # --- tier 1: warning and military response --------------------------------
    def _tier1(self, t, cls, is_false, t_incident, u) -> None:
        rep, p = self.rep, self.p
        if not tier1_warns(cls, t, p.t1_min_class, self.tier1_open_at):
            return
        self.tier1_open_at = t + p.t1_cooldown
        rep.count("warnings")
        rep.reach(1, t)
        rep.log(t, "tier 1", "diplomatic warning")
        if u[U_MILITARY] < p.t1_response_p:
            start = response_start(t, u[U_RESPONSE_TIME], p.t1_within)
            rep.log(t, "tier 1", f"military response ordered, starts at {start:.2f} h")
            if start < p.horizon:
                # Counted when ordered: nothing can stop it starting within the run, and
                # the compiled engine schedules no event for a response that leaves the
                # breach rate alone (so both add the latencies in this order).
                rep.count("military_responses")
                if not is_false:
                    rep.add_latency(start - t_incident)
            rep.schedule(start, self._military_response_starts)

    def _military_response_starts(self, t) -> None:
        self.rep.log(t, "tier 1", "military response starts")
        self.rep.take_effect(t, self.p.t1_factor)

    # --- tier 2: continued violations -------------------------------------------
    def _tier2(self, t, cls, is_false, u) -> None:
        rep, p = self.rep, self.p
        if not at_least(cls, p.t2_min_class):
            return
        if quiet_reset(t, self.last_counted, p.t2_quiet_reset):
            self.counted.clear()
        self.last_counted = t
        _add_to_window(self.counted, t, 1.0, is_false, p.t2_window)
        if not may_trigger(t, self.tier2_decided, self.tier2_pending, self.tier2_open_at, p.t2_requires_lower,
                           rep.reached_at(1)):
            return
        count, real = window_sums(self.counted)
        if not reaches(count, p.t2_threshold):
            return
        on_false = rests_on_false(real, p.t2_threshold)
        self.tier2_pending = True
        rep.log(t, "tier 2", f"{len(self.counted)} reports in window: deployment decision due at "
                f"{t + p.t2_decision_delay:.2f} h")
        rep.schedule(t + p.t2_decision_delay, self._tier2_decision, u[U_TIER2] < p.t2_decision_p, on_false)

    def _tier2_decision(self, t, deploy, on_false) -> None:
        rep, p = self.rep, self.p
        self.tier2_pending = False
        if not deploy:
            self.tier2_open_at = t + p.t2_cooldown
            rep.count("tier2_declined")
            rep.log(t, "tier 2", "deployment declined")
            return
        self.tier2_decided = True
        rep.set("tier2_deployed", True)
        rep.set("tier2_on_false_report", on_false)
        rep.reach(2, t)
        rep.log(t, "tier 2", f"deployment decided{' (on false reports)' if on_false else ''}; "
                f"forces due at {t + p.t2_deployment_delay:.2f} h")
        rep.schedule(t + p.t2_deployment_delay, self._forces_arrive)

    def _forces_arrive(self, t) -> None:
        self.rep.set("forces_arrived_hours", t)
        self.rep.log(t, "tier 2", "multinational forces arrive")
        self.rep.take_effect(t, self.p.t2_factor)

    # --- tier 3: more extensive attack ------------------------------------------
    def _tier3(self, t, cls, is_false, t_incident, u_objective, u) -> None:
        rep, p = self.rep, self.p
        if p.t3_by_severity:
            _add_to_window(self.severe, t, p.severity[cls], is_false, p.t3_window)
        if not may_trigger(t, self.tier3_initiated, self.tier3_pending, self.tier3_open_at, p.t3_requires_lower,
                           rep.reached_at(2)):
            return
        if p.t3_by_severity:
            total, real = window_sums(self.severe)
            if not reaches(total, p.t3_severity_threshold):
                return
            on_false = rests_on_false(real, p.t3_severity_threshold)
        else:
            if not at_least(cls, p.t3_min_class):
                return
            on_false = is_false
        if not u[U_TIER3] < p.t3_decision_p:
            self.tier3_open_at = t + p.t3_cooldown
            rep.count("tier3_declined")
            rep.log(t, "tier 3", "coordinated response declined")
            return
        start, stand_down, objective = tier3_times(t, t_incident, p.t3_delay, p.t3_from_incident,
                                                   p.t3_stand_down_rate, u[U_STAND_DOWN], u_objective,
                                                   p.t3_objective_median, p.t3_objective_spread)
        stands_down, objective_first = tier3_outcome(start, stand_down, objective)
        self.tier3_pending = True
        rep.log(t, "tier 3", f"coordinated response decided{' (on a false report)' if on_false else ''}, "
                f"to start at {start:.2f} h")
        if stands_down:
            rep.schedule(stand_down, self._stand_down)
        else:
            rep.schedule(start, self._tier3_starts, u[U_BACKSTOP] < p.t3_backstop_p, on_false, t_incident)
        if objective_first:
            # An attack may have reached its objective before its report even came in.
            rep.schedule(max(objective, t), self._objective_reached, objective)

    def _tier3_starts(self, t, backstop, on_false, t_incident) -> None:
        rep = self.rep
        self.tier3_pending = False
        self.tier3_initiated = True
        rep.set("tier3_initiated", True)
        rep.set("backstop_joined", backstop)
        rep.set("tier3_on_false_report", on_false)
        rep.set("tier3_latency_hours", t - t_incident)
        rep.reach(3, t)
        rep.log(t, "tier 3", f"coordinated response initiated, backstop {'joins' if backstop else 'stays out'}")
        rep.take_effect(t, self.p.t3_factor)

    def _stand_down(self, t) -> None:
        self.tier3_pending = False
        self.tier3_open_at = t + self.p.t3_cooldown
        self.rep.set("tier3_stood_down", True)
        self.rep.log(t, "tier 3", "violator stands down: pending response cancelled")

    def _objective_reached(self, t, objective) -> None:
        self.rep.set("tier3_objective_first", True)
        self.rep.log(t, "tier 3", f"attack reached its objective at {objective:.2f} h, before the response started")
