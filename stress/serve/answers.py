"""A what-if answer: the changed scenario against the loaded one, as the page shows it.

Both run the same replications (``stress.compare``, common random numbers), so the
difference of each tier and each yes/no metric is paired, with Newcombe's interval.
The answer is plain JSON: numbers at full precision (undefined ones null), so that the
page shows exactly what ``stress.run`` gives for the same config, N and seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stress.config.schema import Config
from stress.errors import BudgetExceeded, UserError
from stress.statistics.summary import RunSummary, json_value
from stress.statistics.tally import TIERS

TIER_NAMES = {1: "warning", 2: "deployment", 3: "coordinated response"}
# The metrics the page shows first, and the words for them.
KEY_METRICS = {
    "p_false_escalation": "false escalation",
    "p_tier3_stood_down": "tier 3 stood down",
    "p_tier3_objective_first": "objective reached first",
}
OTHER_METRICS = {
    "p_tier2_on_false_report": "tier 2 on a false report",
    "p_tier3_on_false_report": "tier 3 on a false report",
    "p_backstop_joined": "backstop joined",
}


def what_if(reference: Config, variant: Config, *, n: int, seed: int, progress=None) -> dict[str, Any]:
    """Run both on the same replications (one process, fast engine) and answer."""
    import stress
    try:
        result = stress.compare([reference, variant], n=n, seed=seed, workers=1, engine="fast", progress=progress)
    except BudgetExceeded as exc:      # the page has no --budget: the remedy is a smaller question
        raise UserError(f"{exc.cost}. Ask for fewer replications, or change the values that set the "
                        f"breach count") from None
    return answer(result.summaries[0], result.summaries[1], result.outcome_differences(1).to_dict(orient="records"),
                  n=n, seed=seed)


def answer(reference: RunSummary, variant: RunSummary, differences: list[dict[str, Any]], *, n: int,
           seed: int) -> dict[str, Any]:
    diffs = {row["outcome"]: _interval(row, "diff") for row in differences}
    ref_metrics = {r["metric"]: r for r in reference.metric_rows}
    var_metrics = {r["metric"]: r for r in variant.metric_rows}
    tiers = [{"tier": k, "name": TIER_NAMES[k], "reference": _tier(ref), "variant": _tier(var),
              "diff": diffs[f"tier{k}"]}
             for k, ref, var in zip(TIERS, reference.tier_rows, variant.tier_rows)]
    metrics = [{"metric": name, "label": label, "key": name in KEY_METRICS,
                "reference": _interval(ref_metrics[name], "estimate"),
                "variant": _interval(var_metrics[name], "estimate"), "diff": diffs[name]}
               for name, label in {**KEY_METRICS, **OTHER_METRICS}.items()]
    return {"n": n, "seed": seed, "horizon_days": variant.horizon_hours / 24.0, "tiers": tiers, "metrics": metrics,
            "curves": {"reference": _curves(reference), "variant": _curves(variant)}}


def _tier(row: dict[str, Any]) -> dict[str, Any]:
    return {"p": json_value(row["p_reached"]), "ci_low": json_value(row["ci_low"]),
            "ci_high": json_value(row["ci_high"]), "median_hours": json_value(row["median_hours_to_reach"]),
            "n_reached": int(row["n_reached"])}


def _interval(row: dict[str, Any], estimate: str) -> dict[str, Any]:
    return {"p": json_value(row[estimate]), "ci_low": json_value(row["ci_low"]), "ci_high": json_value(row["ci_high"])}


def _curves(summary: RunSummary) -> dict[str, Any]:
    """Per tier: days, and the cumulative probability with its pointwise interval."""
    columns = summary.curve_columns
    out = {}
    for k in TIERS:
        rows = columns["tier"] == k
        out[str(k)] = {"days": _numbers(columns["hours"][rows] / 24.0),
                       **{name: _numbers(columns[column][rows])
                          for name, column in (("p", "p_reached"), ("ci_low", "ci_low"), ("ci_high", "ci_high"))}}
    return out


def _numbers(values: np.ndarray) -> list[float | None]:
    """Floats for JSON (NaN and infinities: None), quickly."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    return values.tolist() if finite.all() else [v if ok else None for v, ok in zip(values.tolist(), finite)]
