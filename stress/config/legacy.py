"""The plan's first form: three fixed tables ``[tier1]``, ``[tier2]``, ``[tier3]``.

Scenario files, result folders and scripts written before plans became lists keep
working: a file in this form is validated here, with the messages it always had, and
translated into three tiers named ``tier1``, ``tier2`` and ``tier3`` that behave
exactly as before (the same draws, events and records; ``tests/test_legacy_records.py``
holds them to hashes taken before the change). Its keys (``tier2.threshold``) stay
aliases of the new ones (``tiers.tier2.threshold``) on any plan with a tier so named.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from stress.config.schema import (Breaches, Feedback, FieldProblem, Monitoring, NonNegative, Positive, Probability,
                                  Scenario, Section, MAX_COUNT, monitoring_references)

TABLES = ("tier1", "tier2", "tier3")


class Tier1(Section):
    min_class: str = Field(description="Least severe class whose verified report triggers a warning.")
    military_response_probability: Probability = Field(
        description="Probability that a warning comes with a military response.")
    response_within_hours: NonNegative = Field(
        24.0, description="Deadline for the military response after verification (hours); its start is uniform within it.")
    cooldown_hours: NonNegative = Field(0.0, description="After a warning, further reports get no warning for this long (hours).")
    rate_factor: NonNegative = Field(
        1.0, description="Multiplies the violator's baseline rate when a military response starts (< 1 deters, > 1 provokes).")


class Tier2(Section):
    min_class: str = Field(description="Least severe class that counts toward 'continued violations'.")
    threshold: Annotated[int, Field(ge=1, le=MAX_COUNT)] = Field(
        description="Number of counted reports inside the window that triggers a decision.")
    window_days: Positive = Field(description="Length of the trailing counting window (days).")
    decision_probability: Probability = Field(description="Probability that a triggered deployment decision is taken (political will).")
    decision_delay_hours: NonNegative = Field(0.0, description="Time from trigger to decision (hours); tier 2 is reached at the decision.")
    deployment_delay_hours: NonNegative = Field(0.0, description="Time from decision to the forces' arrival (hours).")
    requires_lower_tier: bool = Field(False, description="Only trigger once tier 1 has been reached.")
    reset_after_quiet_days: Positive | None = Field(
        None, description="Forget counted reports after this long without a counted report (days; omit: never).")
    cooldown_hours: NonNegative = Field(0.0, description="After a declined decision, no new trigger for this long (hours).")
    rate_factor: NonNegative = Field(1.0, description="Multiplies the violator's baseline rate when the forces arrive.")


class Tier3(Section):
    trigger: Literal["class", "severity"] = Field(
        "class", description="'class': one report of at least min_class; 'severity': summed severity in a window reaches a threshold.")
    min_class: str | None = Field(None, description="With trigger = 'class': the least severe class that triggers.")
    severity_threshold: Annotated[float, Field(gt=0.0, le=1e12)] | None = Field(
        None, description="With trigger = 'severity': the severity sum that triggers.")
    severity_window_days: Positive | None = Field(None, description="With trigger = 'severity': the trailing window (days).")
    decision_probability: Probability = Field(1.0, description="Probability that the coordinated response is decided on a trigger.")
    delay_hours: NonNegative = Field(72.0, description="The response is initiated this long after the breach (hours), never before its report.")
    delay_from: Literal["breach", "report"] = Field("breach", description="What the delay counts from.")
    backstop_probability: Probability = Field(0.0, description="Probability that the backstop power joins an initiated response.")
    stand_down_per_day: NonNegative = Field(
        0.0, description="Rate at which the violator stands down after the decision, cancelling the pending response (per day).")
    objective_median_hours: Positive | None = Field(
        None, description="Median time for the triggering attack to reach its objective (hours, lognormal; omit: never).")
    objective_spread: NonNegative = Field(0.0, description="Standard deviation of the log of that time.")
    requires_lower_tier: bool = Field(False, description="Only trigger once tier 2 has been reached.")
    cooldown_hours: NonNegative = Field(0.0, description="After a declined or cancelled response, no new trigger for this long (hours).")
    rate_factor: NonNegative = Field(1.0, description="Multiplies the violator's baseline rate when the response is initiated.")

    @model_validator(mode="after")
    def _trigger_complete(self) -> "Tier3":
        if self.trigger == "class" and self.min_class is None:
            raise FieldProblem("tier3.min_class", None, "required when tier3.trigger = 'class'")
        if self.trigger == "severity":
            for key in ("severity_threshold", "severity_window_days"):
                if getattr(self, key) is None:
                    raise FieldProblem(f"tier3.{key}", None, "required when tier3.trigger = 'severity'")
        return self


class LegacyConfig(Section):
    """A scenario whose plan is the three tables of the first form."""

    scenario: Scenario = Field(default_factory=Scenario)
    breaches: Breaches
    monitoring: Monitoring
    feedback: Feedback = Field(default_factory=Feedback)
    tier1: Tier1
    tier2: Tier2
    tier3: Tier3

    @model_validator(mode="after")
    def _class_names_exist(self) -> "LegacyConfig":
        names = [c.name for c in self.breaches.classes]
        monitoring_references(self.monitoring, names)
        refs = [("tier1.min_class", self.tier1.min_class), ("tier2.min_class", self.tier2.min_class)]
        if self.tier3.min_class is not None:
            refs.append(("tier3.min_class", self.tier3.min_class))
        for key, name in refs:
            if name not in names:
                raise FieldProblem(key, name, f"no breach class named {name!r}; classes are: {', '.join(names)}")
        return self


def is_legacy(raw: dict[str, Any]) -> bool:
    return any(table in raw for table in TABLES)


def translate(old: LegacyConfig) -> dict[str, Any]:
    """The raw scenario in today's form: the three tables become tiers ``tier1`` to
    ``tier3``. Every key that draws a number per report in the first form (tier 1's
    response and its time; tier 2's decision; tier 3's decision, backstop and
    stand-down) is set, so the tiers draw exactly what they drew."""
    t1, t2, t3 = old.tier1, old.tier2, old.tier3
    tier1 = {"name": "tier1", "description": "a diplomatic warning, and maybe a military response within a deadline",
             "trigger": "report", "min_class": t1.min_class, "repeats": True, "cooldown_hours": t1.cooldown_hours,
             "response_probability": t1.military_response_probability, "response_from": "report",
             "response_within_hours": t1.response_within_hours, "rate_factor": t1.rate_factor}
    tier2 = {"name": "tier2", "description": "continued violations: a multinational force is deployed",
             "trigger": "count", "min_class": t2.min_class, "threshold": t2.threshold, "window_days": t2.window_days,
             "reset_after_quiet_days": t2.reset_after_quiet_days, "after": "tier1" if t2.requires_lower_tier else None,
             "cooldown_hours": t2.cooldown_hours, "decision_probability": t2.decision_probability,
             "decision_delay_hours": t2.decision_delay_hours, "arrival_delay_hours": t2.deployment_delay_hours,
             "rate_factor": t2.rate_factor}
    tier3 = {"name": "tier3", "description": "a more extensive attack: a coordinated response",
             "after": "tier2" if t3.requires_lower_tier else None, "cooldown_hours": t3.cooldown_hours,
             "decision_probability": t3.decision_probability, "response_from": t3.delay_from,
             "response_delay_hours": t3.delay_hours, "reached_at": "start", "rate_factor": t3.rate_factor,
             "partner_probability": t3.backstop_probability, "stand_down_per_day": t3.stand_down_per_day,
             "objective_median_hours": t3.objective_median_hours, "objective_spread": t3.objective_spread}
    if t3.trigger == "class":
        tier3 |= {"trigger": "report", "min_class": t3.min_class}
    else:  # the first form summed the severity of every class
        tier3 |= {"trigger": "severity", "severity_threshold": t3.severity_threshold,
                  "window_days": t3.severity_window_days}
    raw = old.model_dump(exclude_none=True, exclude=set(TABLES))
    raw["tiers"] = [{k: v for k, v in t.items() if v is not None} for t in (tier1, tier2, tier3)]
    return raw


# Keys of the first form that have another name in a tier.
RENAMED = {
    "tier1": {"military_response_probability": "response_probability"},
    "tier2": {"deployment_delay_hours": "arrival_delay_hours"},
    "tier3": {"severity_window_days": "window_days", "delay_hours": "response_delay_hours",
              "delay_from": "response_from", "backstop_probability": "partner_probability"},
}
WINDOW_KEYS = ("severity_threshold", "window_days", "reset_after_quiet_days")


def key_table() -> list[tuple[str, str, str]]:
    """Every key of the first form, the key of today's form it sets, and a note where
    its value changed meaning (for the config reference)."""
    notes = {"requires_lower_tier": " (true: the tier before)", "trigger": ' ("class" is "report")'}
    return [(f"{table}.{name}", canonical(f"{table}.{name}"), notes.get(name, ""))
            for table, model in zip(TABLES, (Tier1, Tier2, Tier3)) for name in model.model_fields]


def is_alias(key: str) -> bool:
    return key.split(".", 1)[0] in TABLES


def canonical(key: str) -> str:
    """The key of today's form that a first-form key sets (``tier3.delay_hours`` ->
    ``tiers.tier3.response_delay_hours``); other keys as they are."""
    table, _, field = key.partition(".")
    if table not in TABLES or not field:
        return key
    if field == "requires_lower_tier":
        field = "after"
    return f"tiers.{table}.{RENAMED[table].get(field, field)}"


def alias(key: str, value: Any, tiers: list[Any]) -> list[tuple[str, Any]]:
    """The assignments of today's form that a first-form assignment makes on a plan
    whose tiers are ``tiers`` (raw tables): a renamed key, and for the keys whose values
    changed meaning, the values they mean now (``requires_lower_tier = true``: after the
    tier before; ``tier3.trigger = "class"``: a report trigger, without the window)."""
    table, _, field = key.partition(".")
    target = canonical(key)
    prefix = target.rsplit(".", 1)[0]
    if field == "requires_lower_tier":
        if not isinstance(value, bool):
            raise FieldProblem(key, value, "must be true or false")
        names = [t.get("name") for t in tiers if isinstance(t, dict)]
        earlier = names[names.index(table) - 1] if table in names and names.index(table) > 0 else None
        return [(target, earlier if value else None)]
    if table == "tier3" and field == "trigger":
        if value == "class":
            return [(target, "report"), *((f"{prefix}.{k}", None) for k in WINDOW_KEYS)]
        if value == "severity":  # the first form's severity summed every class
            return [(target, "severity"), (f"{prefix}.min_class", None)]
    return [(target, value)]
