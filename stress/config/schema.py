"""The scenario file's schema: what each key means, its unit and what is allowed.

Validation happens here, once, when a scenario is loaded; the model trusts the values
it receives. The README's config reference is generated from these descriptions
(``stress config-reference``) and a test keeps it in step.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class Section(BaseModel):
    # Unknown keys, NaN and infinities are rejected everywhere; strings are never
    # silently turned into numbers.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)


class Scenario(Section):
    name: str = Field("scenario", description="Short name shown in tables and reports.")
    description: str = Field("", description="One line on what the scenario represents.")
    horizon_days: Positive = Field(180.0, description="Simulated time after the ceasefire starts (days).")


class BreachClass(Section):
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = Field(
        description="Identifier of the class (letters, digits, underscore).")
    probability: Probability = Field(description="Probability that a breach is of this class.")
    severity: NonNegative = Field(1.0, description="Weight of one breach of this class in severity sums.")


class Breaches(Section):
    baseline_per_day: NonNegative = Field(description="Baseline breach rate mu (breaches per day) before feedback.")
    self_excitation: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.0, description="Hawkes branching ratio alpha: expected breaches directly triggered by one breach (< 1; 0 = Poisson).")
    decay_hours: Positive = Field(
        24.0, description="Mean lifetime 1/beta of one breach's excitation (hours).")
    classes: list[BreachClass] = Field(
        min_length=1,
        description="Breach classes in increasing order of severity; 'at least class X' means X or any class after it.")

    @model_validator(mode="after")
    def _classes_consistent(self) -> "Breaches":
        names = [c.name for c in self.classes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise FieldProblem("breaches.classes", names, f"class names must be unique; repeated: {', '.join(duplicates)}")
        total = sum(c.probability for c in self.classes)
        if abs(total - 1.0) > 1e-9:
            raise FieldProblem("breaches.classes", [c.probability for c in self.classes],
                            f"class probabilities must sum to 1, they sum to {total:.12g}")
        severities = [c.severity for c in self.classes]
        if severities != sorted(severities):
            raise FieldProblem("breaches.classes", severities,
                            "classes must be listed in increasing order of severity")
        return self


class Monitoring(Section):
    detection_probability: float | dict[str, Probability] = Field(
        description="Probability that a breach is detected: one number for all classes, or a table by class name.")
    delay_median_hours: NonNegative = Field(
        12.0, description="Median time from breach to verified report (hours; lognormal).")
    delay_spread: NonNegative = Field(
        0.0, description="Standard deviation of the log of the verification delay (0 = fixed delay).")
    attribution_probability: Probability = Field(
        1.0, description="Probability that a detected breach is attributed to the violator; only attributed reports count.")
    false_reports_per_day: NonNegative = Field(
        0.0, description="Rate of false reports (misattributed or staged incidents) that pass verification (per day).")
    false_report_classes: dict[str, Probability] | None = Field(
        None, description="Class probabilities of false reports by class name (default: the breach class probabilities).")

    @model_validator(mode="after")
    def _detection_in_range(self) -> "Monitoring":
        p = self.detection_probability
        if isinstance(p, float) and not 0.0 <= p <= 1.0:
            raise FieldProblem("monitoring.detection_probability", p, "must lie in [0, 1]")
        if self.false_report_classes is not None:
            total = sum(self.false_report_classes.values())
            if abs(total - 1.0) > 1e-9:
                raise FieldProblem("monitoring.false_report_classes", dict(self.false_report_classes),
                                f"probabilities must sum to 1, they sum to {total:.12g}")
        return self


class Feedback(Section):
    half_life_days: Positive | None = Field(
        None, description="Half-life with which the violator's rate multiplier returns toward 1 (days; omit: it stays).")
    max_multiplier: Annotated[float, Field(ge=1.0)] = Field(
        10.0, description="Upper limit of the multiplier, the violator's capacity (>= 1).")


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
    threshold: Annotated[int, Field(ge=1)] = Field(description="Number of counted reports inside the window that triggers a decision.")
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
    severity_threshold: Positive | None = Field(None, description="With trigger = 'severity': the severity sum that triggers.")
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


class Config(Section):
    """A whole scenario: the assumptions (breaches, monitoring, feedback) and the rules
    under test (the three tiers)."""

    scenario: Scenario = Field(default_factory=Scenario)
    breaches: Breaches
    monitoring: Monitoring
    feedback: Feedback = Field(default_factory=Feedback)
    tier1: Tier1
    tier2: Tier2
    tier3: Tier3

    @model_validator(mode="after")
    def _class_names_exist(self) -> "Config":
        names = [c.name for c in self.breaches.classes]
        refs: list[tuple[str, str]] = [
            ("tier1.min_class", self.tier1.min_class),
            ("tier2.min_class", self.tier2.min_class),
        ]
        if self.tier3.min_class is not None:
            refs.append(("tier3.min_class", self.tier3.min_class))
        if isinstance(self.monitoring.detection_probability, dict):
            refs += [(f"monitoring.detection_probability.{k}", k) for k in self.monitoring.detection_probability]
            missing = [n for n in names if n not in self.monitoring.detection_probability]
            if missing:
                raise FieldProblem("monitoring.detection_probability", None,
                                          f"has no entry for class {', '.join(missing)}; classes are: {', '.join(names)}")
        if self.monitoring.false_report_classes is not None:
            refs += [(f"monitoring.false_report_classes.{k}", k) for k in self.monitoring.false_report_classes]
        for key, name in refs:
            if name not in names:
                raise FieldProblem(key, name, f"no breach class named {name!r}; classes are: {', '.join(names)}")
        return self


class FieldProblem(ValueError):
    """A problem that a section's validator pins to one key path and value."""

    def __init__(self, key: str, value: object, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.value = value
