"""The scenario file's schema: what each key means, its unit and what is allowed.

Validation happens here, once, when a scenario is loaded; the model trusts the values
it receives. The README's config reference is generated from these descriptions
(``stress config-reference``) and a test keeps it in step.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stress.config.adversary import Adversary
from stress.config.base import FieldProblem, NonNegative, Positive, Probability, Section, TierName

__all__ = ["Adversary", "BreachClass", "Breaches", "Config", "Feedback", "FieldProblem", "Monitoring", "NonNegative",
           "Positive", "Probability", "Scenario", "Section", "Tier", "TierName", "MAX_TIERS", "MAX_COUNT"]


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


# A plan has at most this many tiers (tables and plots stay readable; the compiled
# engine's work per report grows with it).
MAX_TIERS = 8
# Counts and thresholds are bounded so that every number fits the engines' integers
# and floats exactly.
MAX_COUNT = 1_000_000

# Per trigger kind: the keys it needs, and those it may take (any other trigger key is
# an error: it would be ignored).
TRIGGER_KEYS = {
    "report": {"needs": ("min_class",), "may": ()},
    "count": {"needs": ("min_class", "threshold", "window_days"), "may": ("reset_after_quiet_days",)},
    "severity": {"needs": ("severity_threshold", "window_days"), "may": ("min_class", "reset_after_quiet_days")},
}
# A key <tier>.<field> is short for tiers.<tier>.<field>, so a tier may not be named
# like a table of the scenario file.
RESERVED_NAMES = ("scenario", "breaches", "monitoring", "feedback", "tiers", "sweep", "uncertain", "adversary")
_TRIGGER_FIELDS = ("min_class", "threshold", "severity_threshold", "window_days", "reset_after_quiet_days")


class Tier(Section):
    """One rung of the plan: what triggers it, what must come first, the decision, when
    its response starts and what it does. Which keys each trigger takes is said in the
    README's config reference."""

    name: TierName = Field(description="Identifier of the tier (letters, digits, underscore); names its columns, e.g. <name>_p.")
    description: str = Field("", description="One line on what the tier is.")
    present: bool = Field(
        True, description="false: the plan without this tier (it never triggers; a later tier 'after' it waits for "
                          "the tier it comes after instead; its columns stay, never reached, and P(at least it) counts the tiers after it; its draws are still made, "
                          "so plans with and without it stay paired). A lever for stress optimize: --lever tiers.NAME.present=false,true.")
    trigger: Literal["report", "count", "severity"] = Field(
        description="'report': one verified report of at least min_class; 'count': threshold such reports within "
                    "window_days; 'severity': their summed class severity within window_days reaches severity_threshold.")
    min_class: str | None = Field(
        None, description="Least severe class that counts (report and count: required; severity: default the first class).")
    threshold: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="With trigger = 'count': the number of reports in the window that triggers.")
    severity_threshold: Annotated[float, Field(gt=0.0, le=1e12)] | None = Field(
        None, description="With trigger = 'severity': the severity sum in the window that triggers.")
    window_days: Positive | None = Field(
        None, description="With trigger = 'count' or 'severity': length of the trailing window (days).")
    reset_after_quiet_days: Positive | None = Field(
        None, description="With a window: forget its reports after this long without a counted one (days; omit: never).")
    after: TierName | None = Field(
        None, description="An earlier tier that must have been reached before this one triggers (omit: none).")
    repeats: bool = Field(
        False, description="Whether the tier acts again on later triggers after it was reached (a warning per report); "
                           "otherwise it is reached at most once.")
    cooldown_hours: NonNegative = Field(
        0.0, description="After a decision (taken or declined) or a cancelled response, no new trigger for this long (hours).")
    decision_probability: Probability | None = Field(
        None, description="Probability that a triggered decision is taken (political will; omit: always, drawing nothing).")
    decision_delay_hours: NonNegative | None = Field(
        None, description="Time from trigger to decision (hours); omit: decided at the trigger. With it (0 included) the "
                          "decision is an event of its own, which other tiers see as pending meanwhile.")
    response_probability: Probability | None = Field(
        None, description="Probability that a decision brings the response (a military response with the warning; "
                          "omit: always).")
    response_from: Literal["breach", "report", "decision"] = Field(
        "decision", description="What the response delay counts from: the breach, its verified report, or the decision; "
                                "never before the decision.")
    response_delay_hours: NonNegative = Field(0.0, description="The response starts this long after response_from (hours).")
    response_within_hours: NonNegative | None = Field(
        None, description="If set, the start falls uniformly within this many hours after the delay (a deadline).")
    arrival_delay_hours: NonNegative | None = Field(
        None, description="A force: it arrives this long after the response starts (hours), and its effect begins then "
                          "(omit: not a force; the effect begins at the start).")
    reached_at: Literal["decision", "start"] = Field(
        "decision", description="When the tier counts as reached: at its decision, or when its response starts.")
    rate_factor: NonNegative = Field(
        1.0, description="Multiplies the violator's baseline rate when the response takes effect (< 1 deters, > 1 provokes).")
    partner_probability: Probability | None = Field(
        None, description="Probability that a partner (the backstop power) joins the response when it starts.")
    stand_down_per_day: NonNegative | None = Field(
        None, description="The race: rate at which the violator stands down after the decision, cancelling the response "
                          "before it starts (per day).")
    objective_median_hours: Positive | None = Field(
        None, description="The race: median time for the triggering attack to reach its objective (hours, lognormal; "
                          "omit: never).")
    objective_spread: NonNegative = Field(0.0, description="Standard deviation of the log of that time.")

    @model_validator(mode="after")
    def _trigger_complete(self) -> "Tier":
        keys = TRIGGER_KEYS[self.trigger]
        for key in keys["needs"]:
            if getattr(self, key) is None:
                raise FieldProblem(f"tiers.{self.name}.{key}", None, f"required with trigger = {self.trigger!r}")
        for key in _TRIGGER_FIELDS:
            if key not in keys["needs"] + keys["may"] and getattr(self, key) is not None:
                raise FieldProblem(f"tiers.{self.name}.{key}", getattr(self, key),
                                   f"not used with trigger = {self.trigger!r}; remove it")
        return self


class Config(Section):
    """A whole scenario: the assumptions (breaches, monitoring, feedback) and the rules
    under test (the plan's tiers, in order of escalation)."""

    scenario: Scenario = Field(default_factory=Scenario)
    breaches: Breaches
    monitoring: Monitoring
    feedback: Feedback = Field(default_factory=Feedback)
    tiers: list[Tier] = Field(
        min_length=1, max_length=MAX_TIERS,
        description=f"The plan: 1 to {MAX_TIERS} tiers in order of escalation ('at least tier X' means X or a later one).")
    adversary: Adversary | None = Field(
        None, description="A violator that reads the plan (omit: the blind breach process).")

    def tier(self, name: str) -> Tier:
        """The tier called ``name``."""
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(f"no tier named {name!r}; tiers are: {', '.join(t.name for t in self.tiers)}")

    @model_validator(mode="after")
    def _references_exist(self) -> "Config":
        names = [c.name for c in self.breaches.classes]
        monitoring_references(self.monitoring, names)
        tier_names = [t.name for t in self.tiers]
        taken = [n for n in tier_names if n in RESERVED_NAMES]
        if taken:
            raise FieldProblem("tiers", tier_names, f"a tier named {taken[0]!r} names a table of the scenario; name it "
                               f"otherwise (not {', '.join(RESERVED_NAMES)})")
        repeated = sorted({n for n in tier_names if tier_names.count(n) > 1})
        if repeated:
            raise FieldProblem("tiers", tier_names, f"tier names must be unique; repeated: {', '.join(repeated)}")
        for i, tier in enumerate(self.tiers):
            if tier.min_class is not None and tier.min_class not in names:
                raise FieldProblem(f"tiers.{tier.name}.min_class", tier.min_class,
                                   f"no breach class named {tier.min_class!r}; classes are: {', '.join(names)}")
            if tier.after is not None and tier.after not in tier_names[:i]:
                raise FieldProblem(f"tiers.{tier.name}.after", tier.after,
                                   "must name an earlier tier; earlier tiers are: " + (", ".join(tier_names[:i]) or "none"))
        if self.adversary is not None:
            adversary_references(self.adversary, names, tier_names)
        columns = [f"{t.name}_{suffix}" for t in self.tiers for suffix in record_suffixes(t)]
        columns += [f"breaches_{n}" for n in names]
        clashes = sorted({c for c in columns if columns.count(c) > 1})
        if clashes:
            raise FieldProblem("tiers", tier_names, f"tier or class names make two record columns named "
                               f"{', '.join(clashes)}; rename the tier (its columns are <name>_hours, "
                               f"<name>_latency_hours, ...)")
        return self


def record_suffixes(tier: Tier) -> tuple[str, ...]:
    """What a tier's record holds, each column <name>_<suffix> where the tier's keys
    call for it (``stress.model.records`` gives each its type and meaning)."""
    race = tier.stand_down_per_day is not None or tier.objective_median_hours is not None
    present = (("hours", True), ("arrived_hours", tier.arrival_delay_hours is not None),
               ("times_reached", tier.repeats), ("responses", tier.repeats),
               ("declined", tier.decision_probability is not None),
               ("partner_joined", tier.partner_probability is not None),
               ("stood_down", race), ("objective_first", race), ("on_false_report", not tier.repeats),
               ("latency_hours", True))
    return tuple(suffix for suffix, on in present if on)


def adversary_references(adversary: Adversary, classes: list[str], tiers: list[str]) -> None:
    """The class and tier names the [adversary] table uses exist."""
    refs = [(f"adversary.{section}.tiers", name, tiers, "tier") for section in ("threshold", "learning")
            for name in (getattr(adversary, section).tiers or [])]
    for key, table, allowed, what in (("threshold.believed_detection", adversary.threshold.believed_detection,
                                       classes, "breach class"),
                                      ("payoff.unanswered", adversary.payoff and adversary.payoff.unanswered,
                                       classes, "breach class"),
                                      ("payoff.tier_cost", adversary.payoff and adversary.payoff.tier_cost,
                                       tiers, "tier")):
        if isinstance(table, dict):
            refs += [(f"adversary.{key}.{name}", name, allowed, what) for name in table]
    for key, name, allowed, what in refs:
        if name not in allowed:
            raise FieldProblem(key, name, f"no {what} named {name!r}; {what}s are: {', '.join(allowed)}")
    if isinstance(adversary.threshold.believed_detection, dict):
        missing = [c for c in classes if c not in adversary.threshold.believed_detection]
        if missing:
            raise FieldProblem("adversary.threshold.believed_detection", None,
                               f"has no entry for class {', '.join(missing)}; classes are: {', '.join(classes)}")


def monitoring_references(monitoring: Monitoring, names: list[str]) -> None:
    """The class names the monitoring section uses exist, and detection covers every class."""
    refs: list[tuple[str, str]] = []
    if isinstance(monitoring.detection_probability, dict):
        refs += [(f"monitoring.detection_probability.{k}", k) for k in monitoring.detection_probability]
        missing = [n for n in names if n not in monitoring.detection_probability]
        if missing:
            raise FieldProblem("monitoring.detection_probability", None,
                               f"has no entry for class {', '.join(missing)}; classes are: {', '.join(names)}")
    if monitoring.false_report_classes is not None:
        refs += [(f"monitoring.false_report_classes.{k}", k) for k in monitoring.false_report_classes]
    for key, name in refs:
        if name not in names:
            raise FieldProblem(key, name, f"no breach class named {name!r}; classes are: {', '.join(names)}")
