"""What an optimisation minimises or maximises, and the constraints it must meet.

An objective names an outcome as ``stress robust`` does: a tier probability
(``tier2_p``) or a metric (``p_false_escalation``, ``mean_breaches``). Over the
uncertainty (``--over-uncertainty``) it is a robustness measure over the one shared set
of scenarios: ``NAME`` is its mean over them, ``worst10.NAME`` the mean of its worst
10% of them (the highest for an outcome to minimise, the lowest for one to maximise),
and ``satisficing`` the share of scenarios where the ``--satisfice`` criteria hold.
Constraints (``p_false_escalation < 0.02``) name the same things, joined by ``and``.

Every measure is a function of the per-scenario means of a few statistics (one value
per replication each: ``stress.statistics.tally.statistic_values``), so one function
gives the estimates and, applied to bootstrap means, their draws.

Against several kinds of violator (``--adversary``), each scenario is run once per
behaviour on the same replications, and the means' scenario axis holds them all
(scenario by scenario, the behaviours inside). Each objective and constraint takes, at
each scenario, its value under the behaviour worst for it (the highest for one to
minimise or an upper bound, the lowest otherwise) before any measure over the
scenarios; the criteria of ``--satisfice`` hold at a scenario only if they hold against
every behaviour. Applied to bootstrap means, the worst is taken inside each draw, so
the draws carry the uncertainty of which behaviour is worst.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

from stress.discovery.expressions import Comparison, Expression, Junction, parse
from stress.errors import UsageError

DIRECTIONS = ("minimize", "maximize")
MEASURES = ("mean", "worst10")
SATISFICING = "satisficing"
WORST_SHARE = 0.1
# Outcomes a plan reports only with more in its scenario: what to add.
NEEDS = {"mean_violator_payoff": "an [adversary.payoff] table in the scenario (the violator's gains and costs; "
                                 "e.g. --set adversary.payoff.unanswered=1)"}


class Objective(NamedTuple):
    name: str                 # as the user wrote it: p_x, worst10.p_x, satisficing
    direction: str            # minimize or maximize
    statistic: str | None     # the outcome measured (None: satisficing)
    measure: str              # value (one scenario), mean, worst10 or satisficing


def measure_of(name: str, over_uncertainty: bool, where: str) -> tuple[str | None, str]:
    """(statistic, measure) that ``name`` means."""
    if name == SATISFICING:
        if not over_uncertainty:
            raise UsageError(f"{where} {name}: the share of scenarios meeting --satisfice needs --over-uncertainty")
        return None, SATISFICING
    head, dot, rest = name.partition(".")
    if dot and head in MEASURES:
        if not over_uncertainty:
            raise UsageError(f"{where} {name}: a measure over the uncertainty ({head}.) needs --over-uncertainty")
        return rest, head
    return name, "mean" if over_uncertainty else "value"


def objectives_of(minimize: Sequence[str], maximize: Sequence[str], over_uncertainty: bool) -> list[Objective]:
    out = []
    for direction, names in (("minimize", minimize), ("maximize", maximize)):
        for name in names:
            statistic, measure = measure_of(name.strip(), over_uncertainty, f"--{direction}")
            out.append(Objective(name.strip(), direction, statistic, measure))
    if not out:
        raise UsageError("name at least one objective: --minimize NAME or --maximize NAME (a tier probability such "
                         "as tier2_p, or a metric such as p_false_escalation)")
    repeated = sorted({o.name for o in out if sum(p.name == o.name for p in out) > 1})
    if repeated:
        raise UsageError(f"objective(s) named twice: {', '.join(repeated)}")
    return out


def constraints_of(texts: Sequence[str]) -> Expression | None:
    """The constraints joined into one expression (``and`` only: an optimisation's
    constraints must all hold), or None."""
    parts = []
    for text in texts:
        expression = parse(text, "--constraint", commas=True)
        if _has_or(expression):
            raise UsageError(f"--constraint {text!r}: constraints must all hold; join them with 'and' (or give "
                             f"--constraint again), not 'or'")
        parts.extend(expression.parts if isinstance(expression, Junction) else (expression,))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))


def _has_or(expression: Expression) -> bool:
    return isinstance(expression, Junction) and (expression.kind == "or" or any(_has_or(p) for p in expression.parts))


def comparisons(expression: Expression | None) -> list[Comparison]:
    if expression is None:
        return []
    return list(expression.parts) if isinstance(expression, Junction) else [expression]


def check_names(objectives: Sequence[Objective], constraints: Expression | None, satisfice: Expression | None,
                allowed: Sequence[str], over_uncertainty: bool) -> None:
    """Every outcome named is one the plan reports; --satisfice goes with satisficing."""
    listed = ", ".join(allowed)

    def unknown(where: str, statistic: str) -> UsageError:
        need = f" ({statistic} needs {NEEDS[statistic]})" if statistic in NEEDS else ""
        return UsageError(f"{where}: {statistic!r} is not an outcome{need}; the outcomes are: {listed}")

    for o in objectives:
        if o.statistic is not None and o.statistic not in allowed:
            raise unknown(f"--{o.direction} {o.name}", o.statistic)
    for c in comparisons(constraints):
        statistic, _ = measure_of(c.name, over_uncertainty, "--constraint")
        if statistic is not None and statistic not in allowed:
            raise unknown(f"--constraint {c.text()!r}", statistic)
    uses = any(o.measure == SATISFICING for o in objectives) or any(c.name == SATISFICING
                                                                      for c in comparisons(constraints))
    if uses and satisfice is None:
        raise UsageError("satisficing is the share of scenarios meeting --satisfice CRITERIA: give them")
    if satisfice is not None:
        if not over_uncertainty:
            raise UsageError("--satisfice needs --over-uncertainty (it is a share of the scenarios)")
        for name in satisfice.names():
            if name not in allowed:
                raise UsageError(f"--satisfice: unknown name {name!r}; the outcomes are: {listed}")


def statistics_needed(objectives: Sequence[Objective], constraints: Expression | None,
                      satisfice: Expression | None, over_uncertainty: bool) -> list[str]:
    """The statistics whose per-replication values the measures need, in a fixed order."""
    names = [o.statistic for o in objectives if o.statistic is not None]
    names += [measure_of(c.name, over_uncertainty, "--constraint")[0] for c in comparisons(constraints)]
    names += satisfice.names() if satisfice is not None else []
    return list(dict.fromkeys(n for n in names if n is not None))


class Measures:
    """The objectives and constraints as functions of per-scenario means."""

    def __init__(self, objectives: Sequence[Objective], constraints: Expression | None,
                 satisfice: Expression | None, statistics: Sequence[str], over_uncertainty: bool,
                 behaviours: int = 1) -> None:
        self.objectives = list(objectives)
        self.constraints = constraints
        self.satisfice = satisfice
        self.column = {name: j for j, name in enumerate(statistics)}
        self.over_uncertainty = over_uncertainty
        self.behaviours = behaviours
        self.sign = np.array([1.0 if o.direction == "minimize" else -1.0 for o in self.objectives])

    def _by_behaviour(self, values: np.ndarray) -> np.ndarray:
        """(..., S, A) from (..., S * A): the scenarios' values, each behaviour apart."""
        return values.reshape(values.shape[:-1] + (-1, self.behaviours))

    def worst_of(self, values: np.ndarray, direction: str) -> np.ndarray:
        """(..., S) each scenario's value under the behaviour worst for it (``values``
        (..., S * A)); a behaviour without a value there (NaN) is passed over."""
        grouped = self._by_behaviour(values)
        return (np.fmax if direction == "minimize" else np.fmin).reduce(grouped, axis=-1)

    def worst_behaviour(self, means: np.ndarray, o: Objective) -> np.ndarray:
        """(..., S) which behaviour is worst for objective ``o`` at each scenario (the first
        of those tied; -1 where none has a value, and for satisficing, which must hold
        against all of them)."""
        if o.statistic is None:
            return np.full(means.shape[:-2] + (means.shape[-2] // self.behaviours,), -1)
        grouped = self._by_behaviour(means[..., self.column[o.statistic]])
        harm = grouped if o.direction == "minimize" else -grouped
        worst = np.argmax(np.where(np.isnan(harm), -np.inf, harm), axis=-1)
        return np.where(np.isnan(harm).all(axis=-1), -1, worst)

    def per_scenario(self, means: np.ndarray, o: Objective) -> np.ndarray:
        """(..., S) objective ``o``'s outcome at each scenario under the worst behaviour
        (satisficing: whether the criteria hold there, 1 or 0)."""
        if o.statistic is None:
            return self.met(means).astype(np.float64)
        return self.worst_of(means[..., self.column[o.statistic]], o.direction)

    def _measure(self, means: np.ndarray, statistic: str | None, measure: str, direction: str) -> np.ndarray:
        """(...) one measure of ``means`` (..., S * A, J): the per-scenario (and behaviour) means."""
        if measure == SATISFICING:
            return self.met(means).mean(axis=-1)
        values = self.worst_of(means[..., self.column[statistic]], direction)
        if measure == "value":
            return values[..., 0]
        if measure == "mean":
            return values.mean(axis=-1)
        count = max(1, math.ceil(WORST_SHARE * values.shape[-1]))
        ordered = np.sort(values, axis=-1)   # NaN (no value at a scenario) sorts last
        return (ordered[..., -count:] if direction == "minimize" else ordered[..., :count]).mean(axis=-1)

    def met(self, means: np.ndarray) -> np.ndarray:
        """(..., S) whether the --satisfice criteria hold at each scenario (against every behaviour)."""
        held = self.satisfice.holds({n: means[..., self.column[n]] for n in self.satisfice.names()})
        return self._by_behaviour(np.asarray(held, dtype=bool)).all(axis=-1)

    def objectives_of(self, means: np.ndarray) -> np.ndarray:
        """(..., K) every objective, in its own direction."""
        return np.stack([self._measure(means, o.statistic, o.measure, o.direction) for o in self.objectives],
                        axis=-1)

    def oriented(self, values: np.ndarray) -> np.ndarray:
        """Objectives all to be minimised (a maximised one negated)."""
        return values * self.sign

    def constraint_values(self, means: np.ndarray) -> dict[str, np.ndarray]:
        """The value of each thing the constraints name."""
        out = {}
        for c in comparisons(self.constraints):
            statistic, measure = measure_of(c.name, self.over_uncertainty, "--constraint")
            out[c.name] = self._measure(means, statistic, measure, "minimize" if c.op in ("<", "<=") else "maximize")
        return out

    def feasible(self, means: np.ndarray) -> np.ndarray:
        """(...) whether every constraint holds (True without constraints)."""
        if self.constraints is None:
            return np.ones(means.shape[:-2], dtype=bool)
        return np.asarray(self.constraints.holds(self.constraint_values(means)), dtype=bool)

    def violations(self, means: np.ndarray) -> np.ndarray:
        """(..., C) by how much each constraint is missed (<= 0: met), as the search
        ranks infeasible candidates (Deb's constrained domination)."""
        values = self.constraint_values(means)
        out = []
        for c in comparisons(self.constraints):
            x = values[c.name]
            gap = x - c.value if c.op in ("<", "<=") else c.value - x
            holds = c.holds({c.name: x})
            # a strict comparison missed exactly at its threshold is still missed
            out.append(np.where(holds, np.minimum(gap, 0.0), np.maximum(gap, 1e-12)))
        return np.stack(out, axis=-1) if out else np.zeros(means.shape[:-2] + (0,))
