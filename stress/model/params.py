"""The validated config turned into the flat numbers both engines run on.

Units change here, once: rates become per hour, durations hours, class names indices.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from stress.config.schema import Config
from stress.model import clock, records
from stress.model.cost import breach_cap, expected_count
from stress.model.adversary import compile_adversary
from stress.model.plan import compile_plan, most_new_events


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
    # the plan, one row per tier (stress.model.plan), and the uniforms a report draws
    tier_ints: np.ndarray
    tier_floats: np.ndarray
    draws: int
    windows: int
    # the violator's behaviour (stress.model.adversary)
    adversary_floats: np.ndarray
    adversary_ints: np.ndarray
    adversary_tiers: np.ndarray
    adversary_classes: np.ndarray
    adversary_cumulative: np.ndarray
    # the record: its width and where the class counts start (stress.model.records)
    width: int
    class_start: int
    # the most events one handler schedules
    max_new_events: int
    # a replication with more breaches than this is a runaway and is stopped (cost.py)
    max_breaches: float

    @property
    def n_classes(self) -> int:
        return len(self.class_cumulative)

    @property
    def n_tiers(self) -> int:
        return len(self.tier_ints)


def _cumulative(probabilities: list[float]) -> np.ndarray:
    cumulative = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    cumulative[-1] = 1.0  # probabilities sum to 1 within 1e-9; make the last bin close exactly
    return cumulative


def compile_params(config: Config, record: records.Layout | None = None) -> Params:
    """The numbers both engines run ``config`` on (``record``: its records' layout, if
    already made)."""
    names = [c.name for c in config.breaches.classes]
    b, mon, fb = config.breaches, config.monitoring, config.feedback
    detection = mon.detection_probability
    detection_by_class = [detection[n] for n in names] if isinstance(detection, dict) else [detection] * len(names)
    false_classes = mon.false_report_classes
    false_probabilities = ([false_classes.get(n, 0.0) for n in names] if false_classes is not None
                           else [c.probability for c in b.classes])
    mu, alpha, beta = b.baseline_per_day / 24.0, b.self_excitation, 1.0 / b.decay_hours
    horizon = config.scenario.horizon_days * 24.0
    record = record or records.layout(config)
    tiers = compile_plan(config, record)
    adversary = compile_adversary(config, record.index)
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
        tier_ints=tiers.ints,
        tier_floats=tiers.floats,
        draws=tiers.draws,
        windows=tiers.windows,
        adversary_floats=adversary[0],
        adversary_ints=adversary[1],
        adversary_tiers=adversary[2],
        adversary_classes=adversary[3],
        adversary_cumulative=adversary[4],
        width=record.width,
        class_start=record.class_start,
        max_new_events=most_new_events(len(config.tiers)),
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
