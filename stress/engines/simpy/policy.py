"""Component 3: the response policy, the rules under test: the plan's tiers, in order.

Choices the model makes (the README's model section lists them):
- A tier is *reached* at its decision or, with ``reached_at = "start"``, when its
  response starts; a tier that does not repeat is reached at most once, one that
  repeats (a warning per report) each time it decides.
- Every verified report draws the plan's uniforms from the response stream, used or
  not (``stress.model.plan``), so variants that set the same keys meet the same luck
  report by report.
- A tier triggers on a report of at least its class, or when the reports of at least
  its class in its trailing window (t - w, t] reach a count or a severity sum; false
  reports count too. It does not trigger while its decision or its response's start is
  pending, once it is done (reached, for a tier that does not repeat), within its
  cooldown after a decision or a cancellation, or before the tier it comes ``after``
  was reached.
- A decision is taken at the trigger, or after ``decision_delay_hours`` as an event of
  its own. A decided response starts its delay after the breach, the report or the
  decision (uniformly within a deadline, if one is set), never before the decision; a
  force arrives later. The violator may stand down first (clock from the decision),
  which cancels the response; the attack may reach its objective first, which is
  recorded.
- A tier is reached *on a false report* if the real reports alone would not have
  triggered it.

Every such decision is a function of ``stress.model.rules``, which the compiled engine
calls too; this module keeps the state the rules read.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

from stress.model import adversary, plan
from stress.model.plan import TierRule, tier_rules
from stress.model.rules import (at_least, may_trigger, out_of_window, quiet_reset, race_outcome, race_times, reaches,
                                response_start, rests_on_false, window_sums)

if TYPE_CHECKING:
    from stress.engines.simpy.replication import Replication


def _add_to_window(window: deque, t: float, weight: float, is_false: bool, length: float) -> None:
    """Append a report to a trailing window of (time, weight, is_false) and drop those
    that have left it."""
    window.append((t, weight, is_false))
    while out_of_window(window[0][0], t, length):
        window.popleft()


def p_unanswered(p, cls: int) -> float:
    """What a breach of ``cls`` that goes unanswered is worth to the violator."""
    return float(p.adversary_classes[cls, adversary.UNANSWERED])


class TierState:
    """What one tier remembers during a replication."""

    def __init__(self) -> None:
        self.open_at = 0.0            # no trigger before this (cooldown)
        self.pending = False          # a decision or a response's start is due
        self.done = False             # reached, for a tier that does not repeat
        self.window: deque[tuple[float, float, bool]] = deque()   # (time, weight, is_false), oldest first
        self.last_counted = -math.inf
        self.latency_sum = 0.0        # over its responses to real breaches (a tier that repeats)
        self.genuine_responses = 0


class Policy:
    def __init__(self, rep: "Replication") -> None:
        self.rep = rep
        self.p = rep.params
        self.tiers = tier_rules(self.p, rep.tier_names)
        self.states = [TierState() for _ in self.tiers]

    def on_report(self, t: float, cls: int, is_false: bool, t_incident: float, u_objective: float) -> None:
        """A verified report at ``t`` of a class-``cls`` incident at ``t_incident``;
        ``u_objective`` is the attack's draw for the time to its objective."""
        rep = self.rep
        u = rep.draw_responses(self.p.draws).tolist()  # Python floats: faster here, same bits
        rep.count("false_reports" if is_false else "reports")
        rep.log(t, "report", f"{'FALSE ' if is_false else ''}{rep.class_names[cls]} report verified "
                f"(incident at {t_incident:.2f} h)")
        answered = False
        for tier, state in zip(self.tiers, self.states):
            answered |= self._trigger(tier, state, t, cls, is_false, t_incident, u_objective, u)
        if answered and not is_false:  # a breach some tier answered is worth nothing to the violator
            rep.payoff(-p_unanswered(self.p, cls))

    def _trigger(self, tier: TierRule, s: TierState, t, cls, is_false, t_incident, u_objective, u) -> bool:
        """Offer the report to ``tier``; whether the tier triggered on it."""
        rep, p = self.rep, self.p
        if not at_least(cls, tier.min_class):
            return False
        if tier.trigger != plan.REPORT:
            if quiet_reset(t, s.last_counted, tier.quiet_hours):
                s.window.clear()
            s.last_counted = t
            weight = 1.0 if tier.trigger == plan.COUNT else p.severity[cls]
            _add_to_window(s.window, t, weight, is_false, tier.window_hours)
        after = rep.row[self.tiers[tier.after].c_hours] if tier.after >= 0 else math.nan
        if not may_trigger(t, s.done, s.pending, s.open_at, tier.after >= 0, after):
            return False
        if tier.trigger == plan.REPORT:
            on_false = is_false
        else:
            total, real = window_sums(s.window)
            if not reaches(total, tier.threshold):
                return False
            on_false = rests_on_false(real, tier.threshold)
        draws = tuple(u[k] if k >= 0 else 0.0 for k in (tier.u_decision, tier.u_response, tier.u_within,
                                                         tier.u_partner, tier.u_stand_down))
        decides = draws[0] < tier.decision_p
        if tier.decision_event:
            s.pending = True
            rep.log(t, tier.name, f"triggered{' (on false reports)' if on_false else ''}: decision due at "
                    f"{t + tier.decision_delay:.2f} h")
            rep.schedule(t + tier.decision_delay, self._decide, tier, decides, on_false, is_false, t, t_incident,
                         u_objective, draws)
        else:
            self._decide(t, tier, decides, on_false, is_false, t, t_incident, u_objective, draws)
        return True

    def _decide(self, t, tier: TierRule, decides, on_false, is_false, t_report, t_incident, u_objective,
                draws) -> None:
        rep, s = self.rep, self.states[tier.index]
        s.pending = False
        s.open_at = t + tier.cooldown
        rep.mind.saw_decision(t, tier.index, decides)
        if not decides:
            rep.add(tier.c_declined, 1)
            rep.log(t, tier.name, "decision declined")
            return
        rep.log(t, tier.name, f"decided{' (on false reports)' if on_false else ''}")
        if not tier.reached_at_start:
            self._reached(t, tier, s, on_false)
        _, u_response, u_within, u_partner, u_stand_down = draws
        if not u_response < tier.response_p:
            return
        base = t_incident if tier.response_from == plan.FROM_BREACH else \
            t_report if tier.response_from == plan.FROM_REPORT else t
        start = response_start(base, tier.response_delay, u_within, tier.within, t)
        partner = u_partner < tier.partner_p
        if tier.start_event:
            stand_down, objective = race_times(t, t_incident, tier.stand_down_rate, u_stand_down, u_objective,
                                               tier.objective_median, tier.objective_spread)
            stands_down, objective_first = race_outcome(start, stand_down, objective)
            s.pending = True
            rep.log(t, tier.name, f"response to start at {start:.2f} h")
            if stands_down:
                rep.schedule(stand_down, self._stand_down, tier)
            else:
                rep.schedule(start, self._start, tier, partner, on_false, is_false, t_incident)
            if objective_first:
                # An attack may have reached its objective before its report even came in.
                rep.schedule(max(objective, t), self._objective_reached, tier, objective)
            return
        # Nothing can cancel this response: it is counted when ordered (so both engines
        # add latencies in this order), and only what it does later is scheduled.
        rep.log(t, tier.name, f"response ordered, starts at {start:.2f} h")
        if start < self.p.horizon:
            self._responded(tier, s, start, partner, is_false, t_incident)
        if tier.force:
            rep.schedule(start + tier.arrival_delay, self._arrive, tier)
        elif tier.rate_factor != 1.0:
            rep.schedule(start, self._take_effect, tier)

    def _reached(self, t, tier: TierRule, s: TierState, on_false) -> None:
        rep = self.rep
        rep.reach(tier.c_hours, t)
        rep.payoff(-float(self.p.adversary_tiers[tier.index, adversary.COST]))
        if tier.repeats:
            rep.add(tier.c_times_reached, 1)
        else:
            s.done = True
            rep.set(tier.c_on_false, on_false)

    def _responded(self, tier: TierRule, s: TierState, start, partner, is_false, t_incident) -> None:
        """A response that starts at ``start``: its count, latency and partner."""
        rep = self.rep
        if tier.repeats:
            rep.add(tier.c_responses, 1)
            if not is_false:
                s.latency_sum += start - t_incident
                s.genuine_responses += 1
        else:
            rep.set(tier.c_latency, start - t_incident)
        if tier.c_partner >= 0 and partner:
            rep.set(tier.c_partner, True)

    def _start(self, t, tier: TierRule, partner, on_false, is_false, t_incident) -> None:
        rep, s = self.rep, self.states[tier.index]
        s.pending = False
        if tier.reached_at_start:
            self._reached(t, tier, s, on_false)
        self._responded(tier, s, t, partner, is_false, t_incident)
        rep.log(t, tier.name, "response starts" + (f", partner {'joins' if partner else 'stays out'}"
                                                   if tier.c_partner >= 0 else ""))
        if tier.force:
            rep.schedule(t + tier.arrival_delay, self._arrive, tier)
        else:
            rep.take_effect(t, tier.rate_factor)

    def _arrive(self, t, tier: TierRule) -> None:
        self.rep.reach(tier.c_arrived, t)
        self.rep.log(t, tier.name, "force arrives")
        self.rep.take_effect(t, tier.rate_factor)

    def _take_effect(self, t, tier: TierRule) -> None:
        self.rep.log(t, tier.name, "response starts")
        self.rep.take_effect(t, tier.rate_factor)

    def _stand_down(self, t, tier: TierRule) -> None:
        s = self.states[tier.index]
        s.pending = False
        s.open_at = t + tier.cooldown
        self.rep.set(tier.c_stood_down, True)
        self.rep.log(t, tier.name, "violator stands down: pending response cancelled")

    def _objective_reached(self, t, tier: TierRule, objective) -> None:
        self.rep.set(tier.c_objective, True)
        self.rep.payoff(float(self.p.adversary_floats[adversary.OBJECTIVE_VALUE]))
        self.rep.log(t, tier.name, f"attack reached its objective at {objective:.2f} h, before the response started")

    def finish(self) -> None:
        """The record's mean latencies of the tiers that repeat."""
        for tier, s in zip(self.tiers, self.states):
            if tier.repeats:
                self.rep.set(tier.c_latency, s.latency_sum / s.genuine_responses if s.genuine_responses else math.nan)
