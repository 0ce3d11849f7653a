"""The violator's behaviour as numbers both engines read, and its small decisions.

A scenario's ``[adversary]`` (``stress.config.adversary``) compiles to a vector of
numbers (``floats``, ``ints``), a row per tier and a row per class; each replication's
violator is one behaviour, drawn with the strategy's weights from the adversary's own
stream (component 4 of the replication), which also gives its beliefs about the
thresholds and its planning errors. So the breaches, the monitors' luck and the
responses' draws stay common across behaviours, and a blind plan draws nothing from it.

What each behaviour does when its breach clock runs out (the engines call the
functions below, and keep their own windows):
- threshold: for each tier it games, its *believed* count (or severity sum) in that
  tier's window, of its own breaches weighted by the detection and attribution it
  believes, plus this breach must stay below its believed threshold less the margin;
  otherwise the breach is made one of a lower class that passes ('downgrade'), or held
  until the window lets it pass ('defer'; dropped if it never can).
- timing: an attack of a class that a racing tier answers goes ahead only if, by its
  own estimate, it reaches its objective before that tier's response would start;
  otherwise it is one class lower ('downgrade') or held ``postpone_hours``.
- learning: every decision of a watched tier, taken or declined, updates its Beta
  posterior of that tier's will; its baseline rate mu is scaled to
  1 + boldness (1 - the mean of the posterior means) times its own (``clock.embolden``:
  a belief, which the responses' relaxation toward m = 1 leaves alone).
- monitoring: its class mix is shifted toward the class the monitors detect least.
"""

from __future__ import annotations

import numpy as np

from stress.model.jit import jitable
from stress.model.records import VIOLATOR
from stress.model.rules import out_of_window
from stress.model.variates import INF

BLIND, THRESHOLD, LEARNING, TIMING, MONITORING = range(5)
BEHAVIOUR_NAMES = ("blind", "threshold", "learning", "timing", "monitoring")

# floats: the strategy's cumulative weights (one per behaviour), then the behaviours'
# parameters; ints: switches and the record's columns (-1: none)
(W_BLIND, W_THRESHOLD, W_LEARNING, W_TIMING, W_MONITORING, MARGIN, KNOWLEDGE_ERROR, PRIOR_A, PRIOR_B, BOLDNESS,
 PLANNING_ERROR, POSTPONE_HOURS, BELIEVED_DELAY, OBJECTIVE_VALUE) = range(14)
N_FLOATS = 14
(ACTIVE, DEFER, POSTPONE, C_PAYOFF, C_HELD, C_DOWNGRADED, C_DROPPED, C_BEHAVIOUR) = range(8)
N_INTS = 8
# per tier: whether it is gamed, watched, raced against; what reaching it costs
GAMED, WATCHED, TIMED, COST = range(4)
N_TIER = 4
# per class: the weight the violator believes a breach of it has in a count (its
# believed chance of being verified), and its value to it if unanswered
BELIEVED_WEIGHT, UNANSWERED = range(2)
N_CLASS = 2

def _by_name(value, names: list[str], default: float) -> list[float]:
    """A number for every name from one number or a table by name."""
    if value is None:
        return [default] * len(names)
    if isinstance(value, dict):
        return [float(value.get(n, default)) for n in names]
    return [float(value)] * len(names)


def compile_adversary(config, index: dict[str, int]):
    """(floats, ints, per-tier rows, per-class rows, the class mix of the monitoring
    behaviour); ``index``: the record's columns by name."""
    floats = np.zeros(N_FLOATS)
    ints = np.full(N_INTS, -1, dtype=np.int64)
    classes = config.breaches.classes
    names = [c.name for c in classes]
    tiers = np.zeros((len(config.tiers), N_TIER))
    per_class = np.zeros((len(classes), N_CLASS))
    probabilities = np.array([c.probability for c in classes])
    shifted = probabilities
    a = config.adversary
    ints[ACTIVE] = a is not None
    ints[DEFER] = ints[POSTPONE] = 0
    if a is not None:
        weights = a.weights()
        floats[W_BLIND:W_MONITORING + 1] = np.cumsum([weights.get(b, 0.0) for b in BEHAVIOUR_NAMES])
        floats[W_MONITORING] = 1.0  # close the last bin exactly
        t, learn, timing = a.threshold, a.learning, a.timing
        floats[MARGIN], floats[KNOWLEDGE_ERROR] = t.margin, t.knowledge_error
        floats[PRIOR_A], floats[PRIOR_B], floats[BOLDNESS] = learn.prior_a, learn.prior_b, learn.boldness
        floats[PLANNING_ERROR], floats[POSTPONE_HOURS] = timing.planning_error, timing.postpone_hours
        floats[BELIEVED_DELAY] = (config.monitoring.delay_median_hours if timing.believed_delay_hours is None
                                  else timing.believed_delay_hours)
        floats[OBJECTIVE_VALUE] = a.payoff.objective if a.payoff is not None else 0.0
        ints[DEFER], ints[POSTPONE] = t.action == "defer", timing.action == "postpone"
        for j, tier in enumerate(config.tiers):
            if not tier.present:   # not in the plan the violator reads
                continue
            race = tier.trigger == "report" and tier.objective_median_hours is not None
            tiers[j, GAMED] = (tier.name in t.tiers) if t.tiers is not None else tier.trigger != "report"
            tiers[j, WATCHED] = (tier.name in learn.tiers) if learn.tiers is not None else \
                tier.decision_probability is not None
            tiers[j, TIMED] = race
        tiers[:, COST] = _by_name(a.payoff and a.payoff.tier_cost, [tier.name for tier in config.tiers], 0.0)
        detection = t.believed_detection if t.believed_detection is not None else \
            config.monitoring.detection_probability
        attribution = (config.monitoring.attribution_probability if t.believed_attribution is None
                       else t.believed_attribution)
        per_class[:, BELIEVED_WEIGHT] = np.array(_by_name(detection, names, 0.0)) * attribution
        per_class[:, UNANSWERED] = _by_name(a.payoff and a.payoff.unanswered, names, 0.0)
        shifted = monitoring_mix(probabilities, np.array(_by_name(config.monitoring.detection_probability, names, 0.0)),
                                 a.monitoring.strength)
        for column, (name, _, _) in zip((C_PAYOFF, C_HELD, C_DOWNGRADED, C_DROPPED, C_BEHAVIOUR), VIOLATOR):
            ints[column] = index.get(name, -1)
    cumulative = np.cumsum(shifted)
    cumulative[-1] = 1.0
    return floats, ints, tiers, per_class, cumulative


def monitoring_mix(probabilities: np.ndarray, detection: np.ndarray, strength: float) -> np.ndarray:
    """(1 - s) p + s on the least-detected class (its share split by p among ties)."""
    least = detection == detection.min()
    target = np.where(least, probabilities, 0.0)
    target = target / target.sum() if target.sum() > 0 else least / least.sum()
    return (1.0 - strength) * probabilities + strength * target


# --- decisions both engines make alike ----------------------------------------------

@jitable
def believed_threshold(true: float, error: float, u: float) -> float:
    """The violator's belief of a threshold: off by a factor 1 + error (2u - 1)."""
    return true * (1.0 + error * (2.0 * u - 1.0))


@jitable
def leave_time(t_entry: float, length: float) -> float:
    """The first clock reading at which an entry of ``t_entry`` has left a window of
    ``length`` (``rules.out_of_window``, to the last bit)."""
    t = t_entry + length
    while not out_of_window(t_entry, t, length):
        t = np.nextafter(t, INF)
    return t


@jitable
def release_time(entries, length: float, weight: float, limit: float) -> float:
    """When a breach of believed ``weight`` may pass a window whose believed sum must
    stay below ``limit``: the time the oldest entries have left it so that what stays,
    plus the breach, is below the limit (INF: never; ``entries`` oldest first, as
    ``rules.window_sums`` reads them)."""
    total = 0.0
    for entry in entries:
        total += entry[1]
    for entry in entries:
        total -= entry[1]
        if total + weight < limit:
            return leave_time(entry[0], length)
    return INF


@jitable
def posterior_mean(a: float, b: float, decided: int, declined: int) -> float:
    """The Beta(a, b) prior's mean after ``decided`` decisions taken and ``declined``
    declined (the conjugate update)."""
    return (a + decided) / (a + b + decided + declined)


@jitable
def boldness_factor(boldness: float, mean_will: float) -> float:
    """The learning violator's rate multiplier for a believed will."""
    return 1.0 + boldness * (1.0 - mean_will)


@jitable
def response_estimate(t: float, believed_delay: float, response_from: int, decision_event: bool,
                      decision_delay: float, response_delay: float, within: float) -> float:
    """When the violator expects a racing tier's response to a breach at ``t`` to start:
    the delay after the breach, the report (its believed verification delay) or the
    decision, halfway through the deadline, never before the decision."""
    report = t + believed_delay
    decision = report + (decision_delay if decision_event else 0.0)
    base = t if response_from == 0 else report if response_from == 1 else decision
    return max(base + response_delay + 0.5 * within, decision)

