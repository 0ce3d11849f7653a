"""A scenario whose tier-3 probability has a closed form in two inputs, for checking
studies over uncertain inputs against exact numbers.

Poisson breaches (no self-excitation), every breach of a class detected with one
probability d, reported the moment it happens, no false reports, no feedback, and a
tier-3 response that starts at the first detected offensive: P(tier 3 within T days)
= 1 - exp(-mu q d T), mu the baseline rate per day and q the offensive share (0.03).
"""

from __future__ import annotations

import math
from pathlib import Path

from stress.config.toml import dumps

from conftest import make_config

OVERRIDES = ("breaches.self_excitation=0", "monitoring.delay_median_hours=0", "monitoring.delay_spread=0",
             "monitoring.attribution_probability=1", "monitoring.false_reports_per_day=0",
             "tier1.rate_factor=1", "tier2.rate_factor=1", "tier3.rate_factor=1", "tier3.min_class=offensive",
             "tier3.decision_probability=1", "tier3.delay_hours=0", "tier3.stand_down_per_day=0",
             "tier3.requires_lower_tier=false", "monitoring.detection_probability=0.9")
OFFENSIVE = 0.03
HORIZON_DAYS = 180.0
# The two inputs: the baseline rate (per day) and the detection probability.
RATE = ("breaches.baseline_per_day", 0.05, 0.5)
DETECTION = ("monitoring.detection_probability", 0.2, 1.0)


def write_scenario(folder: Path) -> Path:
    path = folder / "analytic.toml"
    path.write_text(dumps(make_config(*OVERRIDES)), encoding="utf-8")
    return path


def tier3_probability(rate_per_day: float, detection: float) -> float:
    return -math.expm1(-rate_per_day * OFFENSIVE * detection * HORIZON_DAYS)


def uniform_option(spec: tuple[str, float, float]) -> str:
    key, low, high = spec
    return f"{key}=uniform({low}, {high})"
