"""The ``[adversary]`` table: a violator that reads the plan and games it.

``blind`` (the default, and a scenario without the table) is the breach process that
does not know the plan. The other behaviours read only what a violator could know: the
public plan, its own breaches, and the decisions it has seen taken or declined; what it
believes about the monitors (their detection, their delay) and the thresholds can be
wrong. ``strategy`` names one behaviour, or a table of several with weights: each
replication's violator is then one of them, drawn with those weights. What the
behaviours do is in ``stress.model.adversary``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Sequence

from pydantic import Field, model_validator

from stress.config.base import FieldProblem, NonNegative, Positive, Probability, Section, TierName
from stress.errors import UsageError

BEHAVIOURS = ("blind", "threshold", "learning", "timing", "monitoring")
Behaviour = Literal["blind", "threshold", "learning", "timing", "monitoring"]
# What --adversary takes for every behaviour at once.
ALL = ("worst", "all")


def behaviours_named(names: Sequence[str], option: str = "--adversary") -> list[str]:
    """The behaviours ``names`` ask for, each once, in the order given; 'worst' (or
    'all') stands for every one of them."""
    if any(name in ALL for name in names):
        return list(BEHAVIOURS)
    unknown = [name for name in names if name not in BEHAVIOURS]
    if unknown or not names:
        raise UsageError(f"{option} {', '.join(map(repr, unknown)) or '(none)'}: the kinds of violator are "
                         f"{', '.join(BEHAVIOURS)}, or 'worst' for all of them")
    return list(dict.fromkeys(names))


class ThresholdGame(Section):
    margin: NonNegative = Field(
        0.0, description="Keeps its believed count (or severity sum) in each window at least this far below the "
                         "trigger (reports, or severity).")
    knowledge_error: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="How far off its belief of each threshold may be: the believed threshold is the true one "
                         "times 1 + e U, U uniform on (-1, 1), drawn per replication and tier.")
    action: Literal["defer", "downgrade"] = Field(
        "defer", description="A breach that would reach a trigger is held until the window lets it pass ('defer'), "
                             "or made one of a class that does not count ('downgrade'; deferred if none is lower).")
    tiers: list[TierName] | None = Field(
        None, description="The tiers it games (omit: every count and severity tier); a report tier listed here is "
                          "avoided by downgrading below its class (salami tactics).")
    believed_detection: float | dict[str, Probability] | None = Field(
        None, description="The detection probability it believes, one number or a table by class (omit: the "
                          "monitors' true ones).")
    believed_attribution: Probability | None = Field(
        None, description="The attribution probability it believes (omit: the true one).")

    @model_validator(mode="after")
    def _detection_in_range(self) -> "ThresholdGame":
        p = self.believed_detection
        if isinstance(p, float) and not 0.0 <= p <= 1.0:
            raise FieldProblem("adversary.threshold.believed_detection", p, "must lie in [0, 1]")
        return self


class Learning(Section):
    prior_a: Positive = Field(1.0, description="Beta prior of each tier's decision probability: a (decisions).")
    prior_b: Positive = Field(1.0, description="Beta prior: b (declines).")
    boldness: NonNegative = Field(
        1.0, description="Its breach rate is multiplied by 1 + boldness (1 - the mean of its posterior means).")
    tiers: list[TierName] | None = Field(
        None, description="The tiers whose decisions it watches (omit: every tier with a decision_probability).")


class Timing(Section):
    planning_error: NonNegative = Field(
        0.0, description="Log-sd of its estimate of the time its attack needs to reach the objective (0: exact).")
    action: Literal["downgrade", "postpone"] = Field(
        "downgrade", description="An attack it expects to lose the race is made one class lower ('downgrade'), or "
                                 "held and reconsidered later ('postpone').")
    postpone_hours: Positive = Field(24.0, description="How long a postponed attack waits before it is reconsidered.")
    believed_delay_hours: NonNegative | None = Field(
        None, description="The verification delay it expects (omit: the monitors' median).")


class MonitoringShift(Section):
    strength: Probability = Field(
        0.5, description="Shifts its class mix toward the class the monitors detect least: (1 - s) p + s on that class.")


class Payoff(Section):
    unanswered: float | dict[str, NonNegative] = Field(
        0.0, description="Value to the violator of each breach that goes unanswered (never verified, or no tier "
                         "triggered on its report): one number or a table by class.")
    objective: NonNegative = Field(0.0, description="Value of each objective its attacks reach before the response.")
    tier_cost: float | dict[str, NonNegative] = Field(
        0.0, json_schema_extra={"type_name": "number or table by tier"}, description="Cost to it of each time a tier is reached: one number or a table by tier name.")

    @model_validator(mode="after")
    def _non_negative(self) -> "Payoff":
        for key in ("unanswered", "tier_cost"):
            value = getattr(self, key)
            if isinstance(value, float) and value < 0.0:
                raise FieldProblem(f"adversary.payoff.{key}", value, "must be >= 0")
        return self


class Adversary(Section):
    strategy: Behaviour | dict[Behaviour, NonNegative] = Field(
        "blind", json_schema_extra={"type_name": "text or table of weights"}, description="The violator's behaviour ('blind', 'threshold', 'learning', 'timing', 'monitoring'), or "
                             "a table of several with weights (each replication's violator is one of them).")
    threshold: ThresholdGame = Field(
        default_factory=ThresholdGame,
        description="The 'threshold' violator: it keeps what it believes the monitors report below each trigger.")
    learning: Learning = Field(
        default_factory=Learning,
        description="The 'learning' violator: it learns the will to respond from the decisions it sees taken or "
                    "declined, and breaches more often the less it believes in it.")
    timing: Timing = Field(
        default_factory=Timing,
        description="The 'timing' violator: it makes an attack only when it expects the objective before the "
                    "response.")
    monitoring: MonitoringShift = Field(
        default_factory=MonitoringShift,
        description="The 'monitoring' violator: it favours the class the monitors detect least.")
    payoff: Payoff | None = Field(None, description="What the violator gains and loses (omit: no payoff recorded).")

    @model_validator(mode="after")
    def _weights(self) -> "Adversary":
        if isinstance(self.strategy, dict) and not sum(self.strategy.values()) > 0:
            raise FieldProblem("adversary.strategy", dict(self.strategy), "the weights must not all be 0")
        return self

    def weights(self) -> dict[str, float]:
        """Each behaviour's share of the replications."""
        if isinstance(self.strategy, str):
            return {self.strategy: 1.0}
        total = sum(self.strategy.values())
        return {name: w / total for name, w in self.strategy.items() if w > 0}
