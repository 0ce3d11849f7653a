"""The violator's mind: what a violator that reads the plan does with each breach its
clock brings (``stress.model.adversary`` says what each behaviour is; the decisions'
arithmetic is there, shared with the compiled engine).

It knows the public plan, its own breaches and the decisions it has seen; it keeps its
own trailing window of breaches for each tier it games, weighted by the chance it
believes each has of being verified.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from stress.model import adversary as a, plan, streams
from stress.model.adversary import BLIND, LEARNING, MONITORING, THRESHOLD, TIMING
from stress.model.rules import at_least, out_of_window
from stress.model.variates import categorical, lognormal

if TYPE_CHECKING:
    from stress.engines.simpy.replication import Replication


class Violator:
    """One replication's violator (a blind one decides nothing)."""

    def __init__(self, rep: "Replication") -> None:
        p = rep.params
        self.rep = rep
        self.p = p
        self.active = bool(p.adversary_ints[a.ACTIVE])
        self.behaviour = BLIND
        self.multiplier = 1.0  # its boldness (a learning violator's)
        self.cumulative = p.class_cumulative.tolist()  # Python floats compare faster than numpy's
        if not self.active:
            return
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            rep.seed, spawn_key=(rep.index, streams.ADVERSARY))))
        self.draw = generator.random
        f, tiers = p.adversary_floats, p.adversary_tiers
        self.behaviour = categorical(self.draw(), f[a.W_BLIND:a.W_MONITORING + 1].tolist())
        # its belief of each tier's threshold, drawn for every tier
        self.believed = [a.believed_threshold(float(threshold), float(f[a.KNOWLEDGE_ERROR]), self.draw())
                         for threshold in p.tier_floats[:, plan.THRESHOLD]]
        self.windows = [deque() for _ in self.believed]
        self.decided = [0] * len(self.believed)
        self.declined = [0] * len(self.believed)
        self.gamed = [bool(g) for g in tiers[:, a.GAMED]]
        self.watched = [bool(w) for w in tiers[:, a.WATCHED]]
        self.timed = [bool(x) for x in tiers[:, a.TIMED]]
        if self.behaviour == MONITORING:
            self.cumulative = p.adversary_cumulative.tolist()
        column = p.adversary_ints[a.C_BEHAVIOUR]
        if column >= 0:
            rep.set(column, self.behaviour)

    def start(self) -> None:
        """A learning violator's boldness from its prior, before its first breach."""
        if self.behaviour == LEARNING:
            self._learn(0.0)

    # --- a breach its clock brings ------------------------------------------------
    def decide(self, t: float, cls: int, u_objective: float) -> tuple[bool, int, float]:
        """(whether it makes the breach now, of what class, else until when it holds it
        back: INF, never)."""
        if self.behaviour == THRESHOLD:
            return self._threshold(t, cls)
        if self.behaviour == TIMING:
            return self._timing(t, cls, u_objective)
        return True, cls, math.nan

    def _weight(self, j: int, cls: int) -> float:
        """A breach's believed weight in tier ``j``'s window."""
        weight = float(self.p.adversary_classes[cls, a.BELIEVED_WEIGHT])
        if self.p.tier_ints[j, plan.TRIGGER] == plan.SEVERITY:
            weight *= float(self.p.severity[cls])
        return weight

    def _limit(self, j: int) -> float:
        return self.believed[j] - float(self.p.adversary_floats[a.MARGIN])

    def _blocking(self, t: float, cls: int) -> list[int]:
        """The gamed tiers a breach of ``cls`` at ``t`` would, by its belief, trigger."""
        p = self.p
        blocked = []
        for j, gamed in enumerate(self.gamed):
            if not gamed or not at_least(cls, int(p.tier_ints[j, plan.MIN_CLASS])):
                continue
            if p.tier_ints[j, plan.TRIGGER] == plan.REPORT:
                blocked.append(j)  # any breach of its class triggers it
                continue
            window = self.windows[j]
            length = float(p.tier_floats[j, plan.WINDOW_HOURS])
            while window and out_of_window(window[0][0], t, length):
                window.popleft()
            total = 0.0
            for entry in window:  # one at a time, in window order, as the compiled engine adds
                total += entry[1]
            if total + self._weight(j, cls) >= self._limit(j):
                blocked.append(j)
        return blocked

    def _threshold(self, t: float, cls: int) -> tuple[bool, int, float]:
        blocked = self._blocking(t, cls)
        if not blocked:
            return True, cls, math.nan
        if not self.p.adversary_ints[a.DEFER]:  # the highest class that passes
            for lower in range(cls - 1, -1, -1):
                if not self._blocking(t, lower):
                    return True, lower, math.nan
        until = -math.inf
        for j in blocked:
            if self.p.tier_ints[j, plan.TRIGGER] == plan.REPORT:
                return False, cls, math.inf  # a window never opens for a report trigger
            until = max(until, a.release_time(self.windows[j], float(self.p.tier_floats[j, plan.WINDOW_HOURS]),
                                              self._weight(j, cls), self._limit(j)))
        return False, cls, until

    def _timing(self, t: float, cls: int, u_objective: float) -> tuple[bool, int, float]:
        p, f = self.p, self.p.adversary_floats
        losing = -1
        for j, timed in enumerate(self.timed):
            ints, floats = p.tier_ints[j], p.tier_floats[j]
            if not timed or not at_least(cls, int(ints[plan.MIN_CLASS])) or self.rep.policy.states[j].done:
                continue
            start = a.response_estimate(t, float(f[a.BELIEVED_DELAY]), int(ints[plan.RESPONSE_FROM]),
                                        bool(ints[plan.DECISION_EVENT]), float(floats[plan.DECISION_DELAY]),
                                        float(floats[plan.RESPONSE_DELAY]), float(floats[plan.WITHIN]))
            needs = lognormal(u_objective, float(floats[plan.OBJECTIVE_MEDIAN]), float(floats[plan.OBJECTIVE_SPREAD]))
            believed = lognormal(self.draw(), needs, float(f[a.PLANNING_ERROR]))
            if not t + believed < start:
                lowest = int(ints[plan.MIN_CLASS])
                losing = lowest if losing < 0 else min(losing, lowest)
        if losing < 0:
            return True, cls, math.nan
        if not self.p.adversary_ints[a.POSTPONE] and losing > 0:
            return True, losing - 1, math.nan
        return False, cls, t + float(f[a.POSTPONE_HOURS])

    def made(self, t: float, cls: int) -> None:
        """A breach was made: it enters the windows of the tiers it games."""
        if self.behaviour != THRESHOLD:
            return
        p = self.p
        for j, gamed in enumerate(self.gamed):
            if gamed and p.tier_ints[j, plan.TRIGGER] != plan.REPORT and \
                    at_least(cls, int(p.tier_ints[j, plan.MIN_CLASS])):
                self.windows[j].append((t, self._weight(j, cls), False))

    # --- what it sees of the plan ---------------------------------------------------
    def saw_decision(self, t: float, j: int, taken: bool) -> None:
        """A watched tier's decision, taken or declined, updates its belief of the will."""
        if self.behaviour != LEARNING or not self.watched[j]:
            return
        if taken:
            self.decided[j] += 1
        else:
            self.declined[j] += 1
        self._learn(t)

    def _learn(self, t: float) -> None:
        f = self.p.adversary_floats
        prior_a, prior_b = float(f[a.PRIOR_A]), float(f[a.PRIOR_B])
        total, count = 0.0, 0
        for j, watched in enumerate(self.watched):  # added in tier order, as the compiled engine adds
            if watched:
                total += a.posterior_mean(prior_a, prior_b, self.decided[j], self.declined[j])
                count += 1
        will = total / count if count else a.posterior_mean(prior_a, prior_b, 0, 0)
        multiplier = a.boldness_factor(float(f[a.BOLDNESS]), will)
        factor = multiplier / self.multiplier
        self.multiplier = multiplier
        self.rep.embolden(t, factor, interrupt=t > 0.0)
