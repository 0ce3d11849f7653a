"""One replication of the SimPy model: the readable reference engine.

``simulate`` wires the four components into one ``simpy.Environment`` and returns
the replication's record; it is a pure function of (params, root seed, index).
Component 4, the feedback on the breach rate, is ``take_effect``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np
import simpy

from stress.model import adversary, clock, plan, records, streams
from stress.model.cost import SAME_INSTANT_CAP, runaway
from stress.engines.simpy.adversary import Violator
from stress.engines.simpy.breaches import violator
from stress.engines.simpy.monitoring import false_reporter, observe
from stress.model.params import Params
from stress.model.rules import false_escalation, highest_tier
from stress.engines.simpy.policy import Policy
from stress.model.variates import exponential


class TraceEvent(NamedTuple):
    hours: float
    kind: str
    what: str


class Replication:
    """The shared state of one replication: its SimPy environment, its four random
    streams, the breach clock, the policy, and the record being filled in."""

    def __init__(self, params: Params, class_names: list[str], seed: int, index: int,
                 trace: list[TraceEvent] | None = None, tier_names: list[str] | None = None) -> None:
        self.params = params
        self.class_names = class_names
        self.tier_names = tier_names
        self.seed = seed
        self.index = index
        self.last_breach, self.same_instant = -1.0, 0  # runaway guard (model.cost)
        self.env = simpy.Environment()
        self.trace = trace
        gens = streams.generators(seed, index)
        self.draw_breach = gens[streams.BREACHES].random
        self.draw_detection = gens[streams.DETECTION].random
        self.draw_false = gens[streams.FALSE_REPORTS].random
        self.draw_responses = gens[streams.RESPONSES].random
        self.row = np.zeros(params.width)
        self.row[records.COLUMN["replication"]] = index
        for column in (plan.C_HOURS, plan.C_ARRIVED, plan.C_LATENCY):
            self.row[params.tier_ints[params.tier_ints[:, column] >= 0, column]] = math.nan
        self.clock = clock.new_state()
        clock.start(self.clock, exponential(self.draw_breach()), exponential(self.draw_breach()), params.clock)
        self.policy = Policy(self)
        self.mind = Violator(self)
        self.mind.start()
        self.violator = self.env.process(violator(self.env, self))
        self.env.process(false_reporter(self.env, self))

    def run(self) -> np.ndarray:
        p = self.params
        self.env.run(until=p.horizon)
        row, col = self.row, records.COLUMN
        self.policy.finish()
        row[col["highest_tier"]] = highest_tier(row, p.tier_ints)
        row[col["false_escalation"]] = false_escalation(row, p.tier_ints)
        row[col["final_multiplier"]] = clock.multiplier(self.clock, p.horizon, p.clock)
        return row

    # --- what the components call ------------------------------------------------
    def clock_ran_out(self, t: float, source: int, breach_class: int, u_objective: float, fresh: float) -> None:
        """The violator's clock of ``source`` ran out at ``t`` with a breach of
        ``breach_class``: the monitors' three draws for it are made now, whatever the
        violator does with it, and it makes the breach or holds it back."""
        draw = self.draw_detection
        detection = (draw(), draw(), draw())
        made, made_class, until = self.mind.decide(t, breach_class, u_objective)
        if made:
            clock.breach(self.clock, t, source, fresh, self.params.clock)
            self.on_breach(t, made_class, u_objective, detection, downgraded=made_class != breach_class)
        else:
            clock.skip(self.clock, t, source, fresh, self.params.clock)
            self._hold(t, breach_class, u_objective, detection, until, first=True)

    def _hold(self, t, breach_class, u_objective, detection, until, first) -> None:
        if first:
            self.add(self.params.adversary_ints[adversary.C_HELD], 1)
        self.log(t, "violator", f"holds back a {self.class_names[breach_class]} breach"
                 + (f" until {until:.2f} h" if until < self.params.horizon else " for good"))
        if until < self.params.horizon:
            self.schedule(until, self._held_breach, breach_class, u_objective, detection)
        else:
            self.add(self.params.adversary_ints[adversary.C_DROPPED], 1)

    def _held_breach(self, t, breach_class, u_objective, detection) -> None:
        made, made_class, until = self.mind.decide(t, breach_class, u_objective)
        if not made:
            self._hold(t, breach_class, u_objective, detection, until, first=False)
            return
        clock.excite(self.clock, t, self.params.clock)
        self.on_breach(t, made_class, u_objective, detection, downgraded=made_class != breach_class)
        self.violator.interrupt()  # the excitation changed: the violator plans again

    def on_breach(self, t: float, breach_class: int, u_objective: float, detection, downgraded: bool = False) -> None:
        self.count("breaches")
        self.same_instant = self.same_instant + 1 if t == self.last_breach else 0
        self.last_breach = t
        if self.row[records.COLUMN["breaches"]] > self.params.max_breaches or self.same_instant > SAME_INSTANT_CAP:
            raise runaway(self.params, self.index, self.seed)
        p = self.params
        self.row[p.class_start + breach_class] += 1
        if downgraded:
            self.add(p.adversary_ints[adversary.C_DOWNGRADED], 1)
        self.payoff(p.adversary_classes[breach_class, adversary.UNANSWERED])
        self.mind.made(t, breach_class)
        observe(self, t, breach_class, u_objective, detection)

    def schedule(self, t: float, action: Callable[..., None], *args: Any) -> None:
        """Run ``action(t, *args)`` at time ``t`` if that is within the horizon.

        The exact ``t`` is passed on (``env.now`` may differ from it in the last bit)."""
        if t < self.params.horizon:
            # max(): a zero delay from an event whose clock reading was rounded up
            self.env.timeout(max(t - self.env.now, 0.0)).callbacks.append(lambda _: action(t, *args))

    def take_effect(self, t: float, factor: float, interrupt: bool = True) -> None:
        """Feedback: a response (or the violator's own boldness) multiplies the
        violator's baseline rate by ``factor``; the violator plans again (``interrupt``:
        it has started)."""
        if factor == 1.0:
            return
        p = self.params
        clock.scale(self.clock, t, factor, p.clock)
        self.log(t, "feedback", f"breach rate multiplier now {self.clock[clock.M_REF]:.3f}")
        if interrupt:
            self.violator.interrupt()

    def embolden(self, t: float, factor: float, interrupt: bool = True) -> None:
        """The violator's learned boldness multiplies its baseline rate by ``factor``."""
        if factor == 1.0:
            return
        clock.embolden(self.clock, t, factor, self.params.clock)
        self.log(t, "violator", f"bolder: its baseline rate multiplied by {factor:.3f}")
        if interrupt:
            self.violator.interrupt()

    def payoff(self, amount: float) -> None:
        """The violator gains ``amount`` (loses, if negative), where its payoff is recorded."""
        column = self.params.adversary_ints[adversary.C_PAYOFF]
        if column >= 0:
            self.row[column] += amount

    def reach(self, column: int, t: float) -> None:
        """A time column of the record keeps the first time it was set."""
        if math.isnan(self.row[column]):
            self.row[column] = t

    def count(self, field: str) -> None:
        self.row[records.COLUMN[field]] += 1

    def add(self, column: int, amount: int) -> None:
        if column >= 0:  # a column the record may not have
            self.row[column] += amount

    def set(self, column: int, value: float) -> None:
        self.row[column] = value

    def log(self, t: float, kind: str, what: str) -> None:
        if self.trace is not None:
            self.trace.append(TraceEvent(t, kind, what))


def simulate(params: Params, class_names: list[str], seed: int, index: int,
             trace: list[TraceEvent] | None = None, tier_names: list[str] | None = None) -> np.ndarray:
    """The record of replication ``index`` under root ``seed`` (a row of its plan's
    ``records.layout``)."""
    return Replication(params, class_names, seed, index, trace, tier_names).run()
