"""stress's model in words, for the report's STRESS-DES logic items (2.1 to 2.5): what
every replication of a scenario does, with that scenario's values. Each function reads
only the scenario (a ``Config``); what a study did with it is ``stress.output.designs``.
"""

from __future__ import annotations

from stress.config.schema import Config, Tier
from stress.output.scenario_inputs import shown


def diagram(config: Config) -> str:
    """The model as a flow of events, in text."""
    tiers = " -> ".join(t.name for t in config.tiers)
    return "\n".join([
        "breach process (Hawkes: m(t) mu + self-excitation) --breaches--> monitoring (detect, verify, attribute)",
        "false reports (Poisson) --------------------------------------------------+",
        "                                                                          v",
        f"verified reports --> {tiers}  (each: trigger, decision, response)",
        "                          |-- each response's rate_factor --> m(t), back to the breach process",
        "                          +-- at the horizon: the replication's record"])


def logic(c: Config) -> list[str]:
    """Each component with the scenario's values."""
    b, m = c.breaches, c.monitoring
    classes = ", ".join(f"{k.name} ({k.probability:g}, severity {k.severity:g})" for k in b.classes)
    relaxes = (f" and relaxes toward 1 with a half-life of {c.feedback.half_life_days:g} days."
               if c.feedback.half_life_days is not None else "; it does not relax.")
    violator = (f"it reads the plan (strategy {shown(c.adversary.strategy)}; README, \"Violators that read the "
                "plan\")." if c.adversary is not None else "blind (the breach process above does not know the plan).")
    return [f"Breaches: a Hawkes process, baseline {b.baseline_per_day:g} per day times the violator's multiplier "
            f"m(t), branching ratio {b.self_excitation:g}, excitation lifetime {b.decay_hours:g} h; each breach draws "
            f"its class ({classes}) and the time its attack would need to reach its objective.",
            f"Monitoring: each breach is detected with its class's probability, verified after a lognormal delay "
            f"(median {m.delay_median_hours:g} h, spread {m.delay_spread:g}) and attributed with probability "
            f"{m.attribution_probability:g}; false reports arrive at {m.false_reports_per_day:g} per day and are "
            "verified like real ones. Only verified, attributed reports drive the plan.",
            "The plan, in order of escalation: " + " ".join(tier_line(t) for t in c.tiers),
            "Feedback: when a tier's response takes effect, m(t) is multiplied by its rate_factor (capped at "
            f"{c.feedback.max_multiplier:g}){relaxes}",
            f"The violator: {violator}"]


def tier_line(t: Tier) -> str:
    """A tier's trigger and decision in one sentence (its other keys are in the inputs' table)."""
    if t.trigger == "report":
        trigger = f"one verified report of at least {t.min_class}"
    elif t.trigger == "count":
        trigger = f"{t.threshold} reports of at least {t.min_class} within {t.window_days:g} days"
    else:
        trigger = f"a severity sum of {t.severity_threshold:g} within {t.window_days:g} days"
    decision = (f"decided with probability {t.decision_probability:g}" if t.decision_probability is not None
                else "always decided")
    after = f", after {t.after}" if t.after else ""
    return (f"{t.name} ({t.description or 'no description'}): on {trigger}{after}, {decision}, reached at its "
            f"{t.reached_at}{' every time' if t.repeats else ''}.")


def algorithms(reads_plan: bool) -> list[str]:
    out = ["Breach arrivals are simulated exactly by random time change: the baseline and the self-excited part "
           "each run a unit-exponential clock against their compensator (stress/model/clock.py), without a time "
           "step. Classes, detection, attribution, decisions and partners are draws against their probabilities; "
           "verification delays and objective times are lognormal; a response's deadline is uniform; a stand-down "
           "is exponential. Count and severity triggers keep the reports of their trailing window."]
    if reads_plan:
        out.append("The violator's behaviours (threshold, learning, timing, monitoring) are the rules of README, "
                   "\"Violators that read the plan\".")
    return out


def entities(reads_plan: bool) -> str:
    return ("Breaches (time, class, severity, the time their attack needs to reach its objective; whether detected, "
            "when verified, whether attributed), false reports (time, class), and per tier its decisions and "
            "responses (taken or declined, start, a force's arrival, a partner joining, a stand-down, an objective "
            "reached first). The violator is one entity whose attribute is its rate multiplier m(t)"
            + (" and, reading the plan, its behaviour and beliefs." if reads_plan else "."))


# The components whose answer is the same for every scenario.
COMPONENTS = {
    "2.5.2": "Verification (breach to verified report, a lognormal delay), a tier's decision (after its decision "
             "delay), its response (starting a delay after the breach, the report or the decision), a force's "
             "arrival, and the race between the response's start, the violator's stand-down and the attack's "
             "objective. A report that triggers a tier enters its decision; a decision taken enters its response.",
    "2.5.3": "None constrain the model: monitors, decision-makers and forces have no capacity limit, so every "
             "report is verified and every decision taken independently of the others.",
    "2.5.4": "None: no entity waits for a resource, so there is no queuing discipline, reneging or balking. A tier "
             "does not trigger while its decision or its response's start is pending, within its cooldown, or "
             "before the tier it comes after was reached.",
    "2.5.5": "Breaches enter by the Hawkes process (random time change, not thinning) and false reports by a "
             "Poisson process; a breach that is not detected or not attributed leaves the model's view at once. "
             "Every replication ends at the horizon: events at or after it do not happen.",
}
ASSUMPTIONS = ("The model's own assumptions: only verified, attributed reports drive the plan, and false ones count "
               "like real ones; a tier is reached at its decision (or at its response's start, reached_at = "
               "\"start\"), and a declined decision may be asked again after the cooldown; responses act on the "
               "violator's baseline rate only, by one multiplier with one half-life; nothing is limited by capacity; "
               "events at or after the horizon do not happen.")
