"""Scenario discovery on a finished exploration or sweep: under which combinations of
the inputs do the points meet a target (``tier2_p > 0.3``)?

The points' classes come from their estimates (``cases``); PRIM or CART finds boxes
in the input space where the cases concentrate; one box is chosen (the most coverage
at the density asked for); its limits carry quasi-p-values, its coverage and density
Wilson intervals over the points, and it is checked on random halves of the points
(``stability``). Nothing is simulated: the folder's table is all it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stress.discovery import cases as case_module
from stress.discovery.boxes import Box, Search, pick
from stress.discovery.expressions import check_names, parse
from stress.discovery.stability import Stability, resample
from stress.errors import UsageError
from stress.statistics.intervals import wilson_interval
from stress.statistics.summary import json_safe
from stress.storage.folders import a_kind

METHODS = ("prim", "cart")
SOURCE_KINDS = ("explore", "sweep")
# Below these, a box rests on too few points to be trusted.
FEW_CASES = 20
FEW_POINTS = 50
# Resampled boxes restricting an input less often than this: its limit may be chance.
UNSTABLE = 0.5
# What the names of other kinds of result mean, for the message when a target uses one.
OTHER_NAMES = {
    **{name: "a statistic of a comparison (stress compare), not an output of each point"
       for name in ("diff", "p_reference", "p_variant", "p_value", "p_value_raw", "median_hours_diff",
                    "discordant_pairs", "narrower_than_independent")},
    **{name: "a statistic of a robustness study (stress robust), not an output of each point"
       for name in ("regret", "regret_mean", "regret_p90", "regret_max", "worst10", "satisfice_share",
                    "best_share", "undominated")},
    **{name: "an index of a sensitivity study (stress sensitivity), not an output of each point"
       for name in ("S1", "ST", "mu", "mu_star", "sigma", "S1_denoised", "ST_denoised")},
    **{name: "a statistic over the uncertainty (stress explore's summary), not an output of each point"
       for name in ("mean", "std_error", "between_sd", "noise_share", "q05", "q25", "q50", "q75", "q95")},
    **{name: "a number of the breach-process fit (stress calibrate), not an output of each point"
       for name in ("baseline_per_day", "self_excitation", "decay_hours", "branching_ratio", "log_likelihood",
                    "aic")},
}


@dataclass(frozen=True)
class DiscoverResult:
    """A finished discovery: the points' classes, the method's candidate boxes, the box
    chosen, its stability, and notes on how far to trust it."""
    source: str                    # the folder analysed
    source_kind: str
    source_id: str
    scenario: str
    n: int                         # replications per point of the source
    method: str
    target: str
    threshold: float
    confidence: float | None
    seed: int
    inputs: list[str]
    cases: dict[str, Any]          # Cases.summary()
    steps: pd.DataFrame            # the trajectory (PRIM) or the leaves (CART)
    chosen: int                    # the row of ``steps`` reported
    met: bool                      # whether it reaches the threshold
    box: Box
    stats: dict[str, Any]          # the chosen box's n, k, coverage, density, mass with intervals
    stability: Stability
    points: pd.DataFrame           # per point: inputs, the target's outputs, class, used, in the box
    notes: list[str] = field(default_factory=list)
    path: Path | None = None

    def box_frame(self) -> pd.DataFrame:
        """One row per input: its limits in the box against its full range, the
        quasi-p-values, and how often boxes from half the points restrict it."""
        stable = self.stability.inputs.set_index("input")
        rows = []
        for limit in self.box.limits:
            rows.append({"input": limit.input, "restricted": limit.restricted, "lower": limit.lower,
                         "upper": limit.upper, "categories": _joined(limit.categories) if limit.categorical else "",
                         "range_lower": limit.range_lower, "range_upper": limit.range_upper,
                         "range_categories": _joined(limit.range_categories) if limit.categorical else "",
                         "cut": limit.cut, "qp_lower": limit.qp_lower, "qp_upper": limit.qp_upper,
                         "restricted_share": stable.loc[limit.input, "restricted_share"],
                         "lower_median": stable.loc[limit.input, "lower_median"],
                         "upper_median": stable.loc[limit.input, "upper_median"]})
        frame = pd.DataFrame(rows)
        # restricted inputs first, the most restricting first
        frame["_order"] = np.where(frame["restricted"], -frame["cut"], 1.0)
        return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the box (restricted inputs with limits and quasi-p-values,
        coverage, density), the trajectory, the stability, the classes' noise and notes."""
        restricted = []
        for row in self.box_frame().to_dict(orient="records"):
            if not row["restricted"]:
                continue
            item = {"input": row["input"], "stable_share": row["restricted_share"]}
            if row["categories"]:
                item |= {"categories": row["categories"].split("|"), "all_categories": row["range_categories"].split("|"),
                         "qp": row["qp_lower"]}
            else:
                item |= {"lower": row["lower"], "upper": row["upper"], "range": [row["range_lower"], row["range_upper"]],
                         "qp_lower": row["qp_lower"], "qp_upper": row["qp_upper"]}
            restricted.append(item)
        return json_safe({
            "kind": "discover", "source": self.source, "source_kind": self.source_kind, "scenario": self.scenario,
            "method": self.method, "target": self.target, "threshold": self.threshold,
            "confidence": self.confidence, "seed": self.seed, "n": self.n, "cases": self.cases,
            "box": {"rule": self.box.text(), "restricted": restricted, **self.stats, "step": self.chosen,
                    "meets_threshold": self.met},
            "unrestricted": [limit.input for limit in self.box.limits if not limit.restricted],
            "stability": self.stability.summary,
            "trajectory": self.steps.to_dict(orient="records"),
            "notes": self.notes})


def _joined(values) -> str:
    return "|".join(map(str, values))


def discover(view, target: str, *, method: str = "prim", threshold: float = 0.8, confidence: float | None = None,
             resamples: int = 10, seed: int = 0, mass_min: float = 0.05) -> DiscoverResult:
    """Find the box of ``view``'s inputs (a finished explore or sweep) where ``target``
    holds (see the module's description)."""
    _check_arguments(view, method, threshold, confidence, resamples, seed, mass_min)
    table = view.table
    inputs = list(view.points[0])
    expression = parse(target, "--target")
    where = {name: f"an input of this {view.kind} (the boxes are drawn over the inputs; the target is made of "
                   f"outputs)" for name in inputs}
    check_names(expression, "--target", target, case_module.output_names(table),
                f"the outputs of each point of this {view.kind} are", {**OTHER_NAMES, **where})
    cases = case_module.classify(table, expression, target, confidence)
    y = cases.y
    if not y.any() or y.all():
        values = "; ".join(f"{name} ranges from {table[name].min():.4g} to {table[name].max():.4g}"
                           for name in expression.names())
        raise UsageError(f"--target {target!r}: {'no' if not y.any() else 'every'} point used is a case of interest "
                         f"({int(cases.used.sum())} points used; {values}); there is no box to find: change the "
                         f"target" + (" or lower --confidence" if confidence is not None else ""))
    x = table.loc[cases.used, inputs].reset_index(drop=True)
    search = _searcher(method, mass_min, seed)
    picked = pick(search(x, y), x, y, threshold)
    box, found, chosen, met = picked.box, picked.search, picked.step, picked.met
    stats = _box_stats(found, chosen, int(y.sum()))
    stability = resample(x, y, box, search, threshold, resamples, seed)
    in_box = np.zeros(len(table), dtype=bool)
    in_box[np.flatnonzero(cases.used)] = box.inside(x)
    points = table[inputs + [c for name in expression.names()
                             for c in (name, *case_module.interval_columns(name, set(table.columns)))]].copy()
    points["case"] = cases.estimated
    points["clear_95"] = np.asarray(["no", "unclear", "yes"])[cases.clear]
    points["used"] = cases.used
    points["in_box"] = in_box
    result = DiscoverResult(str(view.path), view.kind, view.id, view.scenario, int(table["n"].min()), method, target,
                            float(threshold), confidence, int(seed), inputs, cases.summary(), found.steps, chosen, met,
                            box, stats, stability, points)
    return _with_notes(result, cases, picked.dropped)


def _check_arguments(view, method, threshold, confidence, resamples, seed, mass_min) -> None:
    if view.kind not in SOURCE_KINDS:
        raise UsageError(f"{view.path}: {a_kind(view.kind)} result; discover reads the points of an explore or "
                         f"a sweep (stress explore, stress sweep)")
    if method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):
        raise UsageError(f"--threshold is the density a box must reach, above 0 and at most 1; got {threshold!r}")
    case_module.check_confidence(confidence)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise UsageError(f"--resamples must be a whole number >= 0, got {resamples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}")
    if not (isinstance(mass_min, (int, float)) and 0 < mass_min < 0.5):
        raise UsageError(f"--mass-min is the smallest share of the points a box holds, above 0 and below 0.5; "
                         f"got {mass_min!r}")


def _searcher(method: str, mass_min: float, seed: int):
    if method == "prim":
        from stress.discovery import prim
        return lambda x, y: prim.search(x, y, mass_min=mass_min)
    from stress.discovery import cart
    return lambda x, y: cart.search(x, y, mass_min=mass_min, seed=seed)


def _box_stats(found: Search, chosen: int, cases: int) -> dict[str, Any]:
    """The chosen box's numbers, with Wilson intervals over the points for its coverage
    (cases inside of all cases) and density (cases inside of points inside); they
    treat the points as a random sample and ignore that the box was chosen on them."""
    row = found.steps.loc[chosen]
    n, k = int(row["n"]), int(row["k"])
    coverage = wilson_interval(k, cases)
    density = wilson_interval(k, n)
    return {"n": n, "k": k, "cases": cases, "coverage": coverage.estimate, "coverage_ci_low": coverage.ci_low,
            "coverage_ci_high": coverage.ci_high, "density": density.estimate, "density_ci_low": density.ci_low,
            "density_ci_high": density.ci_high, "mass": float(row["mass"]), "res_dim": int(row["res_dim"])}


def _with_notes(result: DiscoverResult, cases, dropped: list[tuple[str, float]]) -> DiscoverResult:
    notes = []
    if dropped:
        notes.append(f"Dropped from {result.method.upper()}'s box: the limit(s) on "
                     + ", ".join(f"{name} (quasi-p-value {qp:.2g})" for name, qp in dropped)
                     + ": the box is as dense without them (the last row of the trajectory).")
    summary = result.cases
    if not result.met:
        notes.append(f"No box reaches density {result.threshold:g}: the densest one "
                     f"({result.stats['density']:.2f}) is shown; lower --threshold to trade density for coverage.")
    if summary["undefined"]:
        notes.append(f"{summary['undefined']} points are left out: an output of the target is undefined there "
                     f"(no replication had the event it is measured on).")
    if result.confidence is not None:
        dropped = summary["points"] - summary["undefined"] - summary["used"]
        notes.append(f"{dropped} points whose {100 * result.confidence:g}% intervals straddle the threshold are left "
                     f"out; {summary['used']} points are classified.")
    if summary["straddling_95"]:
        hint = "" if result.confidence is not None else " (--confidence 0.95 leaves them out)"
        notes.append(f"{summary['straddling_95']} of {summary['points']} points have 95% intervals that straddle the "
                     f"threshold: their class could be noise{hint}; about {summary['expected_misclassified']:.1f} "
                     f"points are expected to be misclassified by noise alone. More replications per point "
                     f"(-n) would sharpen them.")
    if summary["cases"] < FEW_CASES or summary["used"] < FEW_POINTS:
        notes.append(f"Only {summary['cases']} cases of interest among {summary['used']} points: the box rests on "
                     f"few points and could be chance; use more points (--samples).")
    for limit in result.box.restricted:
        if limit.qp == limit.qp and limit.qp > 0.05:
            notes.append(f"The limit on {limit.input} has a quasi-p-value of {limit.qp:.2g}: the box is hardly "
                         f"denser with it than without it.")
    stable = result.stability
    if stable.summary["resamples"]:
        shares = stable.inputs.set_index("input")["restricted_share"]
        for limit in result.box.restricted:
            if shares[limit.input] < UNSTABLE:
                notes.append(f"Only {100 * shares[limit.input]:.0f}% of the boxes found on half the points restrict "
                             f"{limit.input}: that limit may be chance.")
        held = stable.summary["held_out_density"]["mean"]
        if held is not None and held < result.stats["density"] - 0.2:
            notes.append(f"On the points they were not found on, boxes from half the points have density "
                         f"{held:.2f} on average, against {result.stats['density']:.2f} here: the box fits its own "
                         f"points better than new ones.")
    return _replace(result, notes=notes)


def _replace(result: DiscoverResult, **changes) -> DiscoverResult:
    import dataclasses
    return dataclasses.replace(result, **changes)
