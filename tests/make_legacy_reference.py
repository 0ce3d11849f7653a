"""Reference records of the three-tier model as it stood before plans became data.

Run once, at the commit that adds it (before the change): for every shipped config on
both engines and for 150 seeded random legacy configs on the compiled engine, the
SHA-256 of each record column (NaN made canonical). tests/test_legacy_records.py holds
the code after the change to these hashes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

from stress.config.loading import load_config, validate
from stress.engines import simulate_chunk
from stress.model import records
from stress.model.params import compile_params

ROOT = Path(__file__).resolve().parents[1]


def column_hashes(values: np.ndarray, names: list[str]) -> dict[str, str]:
    canonical = np.where(np.isnan(values), np.nan, values)
    columns = records.column_names(names)
    return {c: hashlib.sha256(np.ascontiguousarray(canonical[:, j]).tobytes()).hexdigest()[:20]
            for j, c in enumerate(columns)}


def random_raw(rng: np.random.Generator) -> dict:
    """A legacy three-tier config exercising every option."""
    k = int(rng.integers(1, 5))
    names = [f"c{i}" for i in range(k)]
    weights = rng.uniform(0.05, 1.0, k)
    probabilities = [float(w / weights.sum()) for w in weights]
    probabilities[-1] = 1.0 - sum(probabilities[:-1])
    severities = sorted(float(rng.choice([0.1, 1.0, round(float(rng.uniform(0, 10)), 3)])) for _ in range(k))
    pick = lambda: str(rng.choice(names))  # noqa: E731
    p = lambda: float(rng.choice([0.0, 1.0, round(float(rng.uniform(0, 1)), 4)]))  # noqa: E731
    hours = lambda: float(rng.choice([0.0, round(float(rng.uniform(0, 200)), 3)]))  # noqa: E731
    factor = lambda: float(rng.choice([1.0, 0.0, round(float(rng.uniform(0, 2.5)), 4)]))  # noqa: E731
    detection = p() if rng.random() < 0.5 else {n: p() for n in names}
    tier3 = {"trigger": str(rng.choice(["class", "severity"])), "min_class": pick(),
             "severity_threshold": round(float(rng.uniform(0.1, 30)), 3),
             "severity_window_days": round(float(rng.uniform(0.1, 20)), 3),
             "decision_probability": p(), "delay_hours": hours(),
             "delay_from": str(rng.choice(["breach", "report"])), "backstop_probability": p(),
             "stand_down_per_day": float(rng.choice([0.0, round(float(rng.uniform(0, 5)), 3)])),
             "objective_spread": round(float(rng.uniform(0, 2)), 3),
             "requires_lower_tier": bool(rng.random() < 0.5), "cooldown_hours": hours(), "rate_factor": factor()}
    if rng.random() < 0.5:
        tier3["objective_median_hours"] = round(float(rng.uniform(0.5, 400)), 3)
    raw = {
        "scenario": {"name": "legacy", "horizon_days": round(float(rng.uniform(1, 120)), 3)},
        "breaches": {"baseline_per_day": float(rng.choice([0.0, round(float(rng.uniform(0, 1.5)), 4)])),
                     "self_excitation": float(rng.choice([0.0, round(float(rng.uniform(0, 0.8)), 4)])),
                     "decay_hours": round(float(rng.uniform(0.5, 200)), 3),
                     "classes": [{"name": n, "probability": q, "severity": s}
                                 for n, q, s in zip(names, probabilities, severities)]},
        "monitoring": {"detection_probability": detection, "delay_median_hours": hours(),
                       "delay_spread": float(rng.choice([0.0, round(float(rng.uniform(0, 2)), 3)])),
                       "attribution_probability": p(),
                       "false_reports_per_day": float(rng.choice([0.0, round(float(rng.uniform(0, 1)), 4)]))},
        "feedback": {"max_multiplier": round(float(rng.uniform(1, 20)), 3)},
        "tier1": {"min_class": pick(), "military_response_probability": p(), "response_within_hours": hours(),
                  "cooldown_hours": hours(), "rate_factor": factor()},
        "tier2": {"min_class": pick(), "threshold": int(rng.integers(1, 7)),
                  "window_days": round(float(rng.uniform(0.1, 30)), 3), "decision_probability": p(),
                  "decision_delay_hours": hours(), "deployment_delay_hours": hours(),
                  "requires_lower_tier": bool(rng.random() < 0.5), "cooldown_hours": hours(),
                  "rate_factor": factor()},
        "tier3": tier3,
    }
    if rng.random() < 0.5:
        raw["feedback"]["half_life_days"] = round(float(rng.uniform(0.05, 100)), 3)
    if rng.random() < 0.5:
        raw["tier2"]["reset_after_quiet_days"] = round(float(rng.uniform(0.05, 10)), 3)
    return raw


def main() -> None:
    out = {"shipped": [], "overridden": [], "random": []}
    for path in sorted((ROOT / "configs").glob("*.toml")):
        config = load_config(path)
        heavy = config.breaches.baseline_per_day > 1
        names = [c.name for c in config.breaches.classes]
        for engine, n in (("fast", 400 if heavy else 20_000), ("simpy", 30 if heavy else 1_000)):
            values = simulate_chunk(engine, compile_params(config), 2026, 0, n)
            out["shipped"].append({"config": path.name, "engine": engine, "seed": 2026, "n": n,
                                   "hashes": column_hashes(values, names)})
    overridden = [
        ("high-intensity.toml", ["tier3.trigger=severity", "tier3.severity_threshold=60", "tier3.severity_window_days=5",
                                 "tier1.rate_factor=0.995", "tier2.reset_after_quiet_days=1"], 20),
        ("ceasefire.toml", ["tier3.trigger=severity", "tier3.severity_threshold=1", "tier3.severity_window_days=60",
                            "tier3.decision_probability=1", "tier3.requires_lower_tier=false",
                            "monitoring.detection_probability=1", "breaches.baseline_per_day=0.5",
                            *(f"breaches.classes.{c}.severity=0.1" for c in ("minor", "major", "offensive"))], 300),
        ("ceasefire.toml", ["tier3.requires_lower_tier=true", "tier3.delay_from=report", "tier1.cooldown_hours=30",
                            "tier2.reset_after_quiet_days=3", "tier2.decision_delay_hours=0",
                            "tier2.deployment_delay_hours=0", "tier1.rate_factor=1.02", "tier3.cooldown_hours=0",
                            "monitoring.false_reports_per_day=0.2"], 2000),
    ]
    for name, overrides, n in overridden:
        config = load_config(ROOT / "configs" / name, overrides)
        names = [c.name for c in config.breaches.classes]
        for engine in ("fast", "simpy"):
            values = simulate_chunk(engine, compile_params(config), 11, 0, n)
            out["overridden"].append({"config": name, "overrides": overrides, "engine": engine, "seed": 11, "n": n,
                                      "hashes": column_hashes(values, names)})
    rng = np.random.default_rng(20261204)
    while len(out["random"]) < 150:
        raw = random_raw(rng)
        config = validate(raw, "<legacy>")
        params = compile_params(config)
        names = [c.name for c in config.breaches.classes]
        seed = int(rng.integers(0, 2**32))
        try:
            values = simulate_chunk("fast", params, seed, 0, 40)
        except Exception as exc:  # runaways are not references
            print("skipped:", exc.__class__.__name__, file=sys.stderr)
            continue
        out["random"].append({"raw": raw, "engine": "fast", "seed": seed, "n": 40,
                              "hashes": column_hashes(values, names)})
    (ROOT / "tests" / "data" / "legacy_records.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
