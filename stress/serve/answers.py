"""A what-if answer: the changed scenario against the loaded one, as the page shows it.

Both run the same replications (``stress.compare``, common random numbers), so the
difference of each tier and each yes/no metric is paired, with Newcombe's interval.
The plans may differ: tiers are matched by name, in one order that keeps both plans'
(``merged_order``), and a tier or metric only one plan has is null in the other and
has no difference. The answer is plain JSON: numbers at full precision (undefined ones
null), so that the page shows exactly what ``stress.run`` gives for the same config, N
and seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stress.config.schema import Config
from stress.errors import BudgetExceeded, UserError
from stress.model.records import merged_order
from stress.statistics.summary import RunSummary, json_value

# The metrics the page shows first: false escalation, and how each tier's race ended.
KEY_SUFFIXES = ("_stood_down", "_objective_first")


def metric_label(name: str, tiers: tuple[str, ...] = ()) -> str:
    """Words for a proportion, a tier's name as it is: ``p_no_fly_stood_down`` ->
    'no_fly stood down'."""
    body = name.removeprefix("p_")
    for tier in sorted(tiers, key=len, reverse=True):
        if body.startswith(tier + "_"):
            return f"{tier} {body[len(tier) + 1:].replace('_', ' ')}"
    return body.replace("_", " ")


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
    ref_tiers = {r["tier"]: r for r in reference.tier_rows}
    var_tiers = {r["tier"]: r for r in variant.tier_rows}
    names = merged_order([reference.tier_names, variant.tier_names])
    # a tier one plan lacks has no probability there, and no paired difference
    tiers = [{"tier": name, "reference": _tier(ref_tiers.get(name)), "variant": _tier(var_tiers.get(name)),
              "diff": diffs[name] if name in ref_tiers and name in var_tiers else None}
             for name in names]
    proportions = [m for m in dict.fromkeys([*ref_metrics, *var_metrics]) if m.startswith("p_")]
    key = [m for m in proportions if m == "p_false_escalation" or m.endswith(KEY_SUFFIXES)]
    metrics = [{"metric": name, "label": metric_label(name, names), "key": name in key,
                "reference": _interval(ref_metrics.get(name), "estimate"),
                "variant": _interval(var_metrics.get(name), "estimate"),
                "diff": diffs[name] if name in ref_metrics and name in var_metrics else None}
               for name in [*key, *(m for m in proportions if m not in key)]]
    return {"n": n, "seed": seed, "horizon_days": variant.horizon_hours / 24.0, "tiers": tiers, "metrics": metrics,
            "curves": {"reference": _curves(reference), "variant": _curves(variant)},
            "plans": {"reference": list(reference.tier_names), "variant": list(variant.tier_names)}}


def _tier(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"p": json_value(row["p_reached"]), "ci_low": json_value(row["ci_low"]),
            "ci_high": json_value(row["ci_high"]), "median_hours": json_value(row["median_hours_to_reach"]),
            "n_reached": int(row["n_reached"])}


def _interval(row: dict[str, Any] | None, estimate: str) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"p": json_value(row[estimate]), "ci_low": json_value(row["ci_low"]), "ci_high": json_value(row["ci_high"])}


def _curves(summary: RunSummary) -> dict[str, Any]:
    """Per tier (by name): days, and the cumulative probability with its pointwise interval."""
    columns = summary.curve_columns
    out = {}
    for tier in summary.tier_names:
        rows = columns["tier"] == tier
        out[tier] = {"days": _numbers(columns["hours"][rows] / 24.0),
                     **{key: _numbers(columns[column][rows])
                        for key, column in (("p", "p_reached"), ("ci_low", "ci_low"), ("ci_high", "ci_high"))}}
    return out


def _numbers(values: np.ndarray) -> list[float | None]:
    """Floats for JSON (NaN and infinities: None), quickly."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    return values.tolist() if finite.all() else [v if ok else None for v, ok in zip(values.tolist(), finite)]
