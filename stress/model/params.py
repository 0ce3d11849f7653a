"""The validated config turned into the flat numbers both engines run on.

Units change here, once: rates become per hour, durations hours, class names indices.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from stress.config.schema import Config
from stress.model import clock
from stress.model.cost import breach_cap, expected_count

NEVER = math.inf


class Params(NamedTuple):
    horizon: float
    # breaches: the clock's constants (stress.model.clock.constants)
    clock: tuple
    class_cumulative: np.ndarray
    severity: np.ndarray
    # monitoring
    detection: np.ndarray
    delay_median: float
    delay_spread: float
    attribution: float
    false_rate: float
    false_class_cumulative: np.ndarray
    # tier 1
    t1_min_class: int
    t1_response_p: float
    t1_within: float
    t1_cooldown: float
    t1_factor: float
    # tier 2
    t2_min_class: int
    t2_threshold: int
    t2_window: float
    t2_decision_p: float
    t2_decision_delay: float
    t2_deployment_delay: float
    t2_requires_lower: bool
    t2_quiet_reset: float
    t2_cooldown: float
    t2_factor: float
    # tier 3
    t3_by_severity: bool
    t3_min_class: int
    t3_severity_threshold: float
    t3_window: float
    t3_decision_p: float
    t3_delay: float
    t3_from_incident: bool
    t3_backstop_p: float
    t3_stand_down_rate: float
    t3_objective_median: float
    t3_objective_spread: float
    t3_requires_lower: bool
    t3_cooldown: float
    t3_factor: float
    # a replication with more breaches than this is a runaway and is stopped (cost.py)
    max_breaches: float

    @property
    def n_classes(self) -> int:
        return len(self.class_cumulative)


def _cumulative(probabilities: list[float]) -> np.ndarray:
    cumulative = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    cumulative[-1] = 1.0  # probabilities sum to 1 within 1e-9; make the last bin close exactly
    return cumulative


def compile_params(config: Config) -> Params:
    names = [c.name for c in config.breaches.classes]
    index = {name: i for i, name in enumerate(names)}
    b, mon, fb, t1, t2, t3 = (config.breaches, config.monitoring, config.feedback,
                              config.tier1, config.tier2, config.tier3)
    detection = mon.detection_probability
    detection_by_class = [detection[n] for n in names] if isinstance(detection, dict) else [detection] * len(names)
    false_classes = mon.false_report_classes
    false_probabilities = ([false_classes.get(n, 0.0) for n in names] if false_classes is not None
                           else [c.probability for c in b.classes])
    mu, alpha, beta = b.baseline_per_day / 24.0, b.self_excitation, 1.0 / b.decay_hours
    horizon = config.scenario.horizon_days * 24.0
    return Params(
        horizon=horizon,
        clock=clock.constants(
            mu=mu,
            alpha=alpha,
            beta=beta,
            relax_rate=0.0 if fb.half_life_days is None else math.log(2.0) / (fb.half_life_days * 24.0),
            max_multiplier=fb.max_multiplier),
        class_cumulative=_cumulative([c.probability for c in b.classes]),
        severity=np.array([c.severity for c in b.classes], dtype=np.float64),
        detection=np.array(detection_by_class, dtype=np.float64),
        delay_median=mon.delay_median_hours,
        delay_spread=mon.delay_spread,
        attribution=mon.attribution_probability,
        false_rate=mon.false_reports_per_day / 24.0,
        false_class_cumulative=_cumulative(false_probabilities),
        t1_min_class=index[t1.min_class],
        t1_response_p=t1.military_response_probability,
        t1_within=t1.response_within_hours,
        t1_cooldown=t1.cooldown_hours,
        t1_factor=t1.rate_factor,
        t2_min_class=index[t2.min_class],
        t2_threshold=t2.threshold,
        t2_window=t2.window_days * 24.0,
        t2_decision_p=t2.decision_probability,
        t2_decision_delay=t2.decision_delay_hours,
        t2_deployment_delay=t2.deployment_delay_hours,
        t2_requires_lower=t2.requires_lower_tier,
        t2_quiet_reset=NEVER if t2.reset_after_quiet_days is None else t2.reset_after_quiet_days * 24.0,
        t2_cooldown=t2.cooldown_hours,
        t2_factor=t2.rate_factor,
        t3_by_severity=t3.trigger == "severity",
        t3_min_class=index[t3.min_class] if t3.min_class is not None else len(names),
        t3_severity_threshold=t3.severity_threshold or 0.0,
        t3_window=(t3.severity_window_days or 0.0) * 24.0,
        t3_decision_p=t3.decision_probability,
        t3_delay=t3.delay_hours,
        t3_from_incident=t3.delay_from == "breach",
        t3_backstop_p=t3.backstop_probability,
        t3_stand_down_rate=t3.stand_down_per_day / 24.0,
        t3_objective_median=NEVER if t3.objective_median_hours is None else t3.objective_median_hours,
        t3_objective_spread=t3.objective_spread,
        t3_requires_lower=t3.requires_lower_tier,
        t3_cooldown=t3.cooldown_hours,
        t3_factor=t3.rate_factor,
        max_breaches=breach_cap(expected_count(mu, alpha, beta, horizon)),
    )


def share_values(params: Params, like: Params | None) -> Params:
    """``params`` with each value that equals ``like``'s bit for bit replaced by
    ``like``'s object: the points of a study of 10,000 points that differ in a few keys
    share one copy of the rest, in memory and in each task sent to a worker."""
    if like is None:
        return params
    return Params(*(b if _same(a, b) else a for a, b in zip(params, like)))


def _same(a, b) -> bool:
    """Equal bit for bit (0.0 and -0.0, 1 and 1.0 and True, arrays of another dtype all differ)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if type(a) is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and (type(a) is not float or math.copysign(1.0, a) == math.copysign(1.0, b))
