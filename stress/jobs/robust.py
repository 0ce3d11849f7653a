"""``stress robust``: which version of the rules holds up best across everything that
cannot be ruled out?

Each rule-set variant (``"strict: tier2.threshold=2, tier2.window_days=7"``) runs at
the same S points drawn from the uncertain inputs (as ``stress explore`` draws them)
and on the same replications: the points are (uncertainty point s) x (variant v),
grouped per s, so the pipeline pairs the variants of a point replication by
replication (common random numbers in both). For each outcome the user names with
its direction, ``stress.discovery.regret`` reports each variant's mean, worst-10%
mean, regret and share of points meeting the user's criteria, and marks the variants
no other beats at every point.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stress.config.keys import canonical
from stress.config.loading import Scenario, parse_assignment
from stress.config.uncertain import check_inputs, dimensions, sample, unit_design
from stress.discovery import regret
from stress.discovery.cases import interval_columns, is_proportion
from stress.discovery.expressions import UNCLEAR, check_names, parse
from stress.errors import UsageError
from stress.jobs.compare import parse_variant
from stress.jobs.explore import ExploreSpec
from stress.jobs.pipeline import Job, Outcome, job_layout, point_of
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.statistics.summary import json_safe
from stress.statistics.intervals import z_value
from stress.statistics.tally import Outputs
from stress.storage import folders

DIRECTIONS = ("minimize", "maximize")
# Fewer points than this: the intervals over the points rest on a rough normal approximation.
FEW_POINTS = 30
# Variants within noise of each other at more than this share of the points: say so.
NOISY = 0.5


class RobustSpec(BaseModel):
    """A robustness study: the uncertainty (as an exploration's), the variants, the
    outcomes with their directions and the criteria."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    uncertainty: ExploreSpec
    variants: list[dict[str, Any]] = Field(description="Per variant: name and its KEY=VALUE assignments.")
    outcomes: list[dict[str, str]] = Field(description="Per outcome: name and direction (minimize or maximize).")
    satisfice: str | None = None


def spec_of(uncertainty: ExploreSpec, variant_texts: list[str], minimize: list[str], maximize: list[str],
            satisfice: str | None) -> RobustSpec:
    variants = []
    for text in variant_texts:
        name, assignments = parse_variant(text)
        variants.append({"name": name, "assignments": assignments})
    names = [v["name"] for v in variants]
    if len(variants) < 2:
        raise UsageError("a robustness study needs at least two variants (--variant twice or more)")
    if len(set(names)) != len(names):
        raise UsageError(f"variant names must differ: {', '.join(names)}")
    outcomes = [{"name": n, "direction": "minimize"} for n in minimize] + \
               [{"name": n, "direction": "maximize"} for n in maximize]
    if not outcomes:
        raise UsageError("name at least one outcome with its direction: --minimize NAME or --maximize NAME "
                         "(a tier probability such as tier2_p, or a metric such as p_false_escalation)")
    repeated = sorted({o["name"] for o in outcomes if sum(p["name"] == o["name"] for p in outcomes) > 1})
    if repeated:
        raise UsageError(f"outcome(s) named twice: {', '.join(repeated)}")
    return RobustSpec(uncertainty=uncertainty, variants=variants, outcomes=outcomes, satisfice=satisfice)


def outcome_names(outputs: Outputs) -> list[str]:
    """What --minimize, --maximize and --satisfice can name: each tier probability and metric."""
    return [f"{t}_p" for t in outputs.tiers] + list(outputs.metric_names)


class RobustJob(PointsJob):
    kind = "robust"

    def __init__(self, scenario: Scenario, spec: RobustSpec, *, engine: str, records: bool = False) -> None:
        u = spec.uncertainty
        check_point_count(u.samples * len(spec.variants), u.max_points, "robustness study")
        inputs = u.uncertain()
        check_inputs(inputs, scenario)
        sampled = sample(inputs, unit_design(u.design, u.samples, dimensions(inputs), u.seed))
        variants = [(v["name"], [parse_assignment(a) for a in v["assignments"]]) for v in spec.variants]
        uncertain_key = {canonical(k): k for k in sampled[0]}
        points, labels = [], []
        for s, values in enumerate(sampled):
            for name, assignments in variants:
                # a lever that is also uncertain (under either of its spellings) is held at the variant's value
                held = {uncertain_key[canonical(k)]: x for k, x in assignments if canonical(k) in uncertain_key}
                label = {"point": s, "variant": name, **values, **held}
                where = f"variant {name!r} at sampled point {s} ({', '.join(f'{k}={x}' for k, x in values.items())})"
                config = scenario.with_values([*values.items(), *assignments], where)
                points.append(point_of(config, label, like=points[0] if points else None))
                labels.append(label)
        width = len(variants)
        # PointsJob's table, inputs and records serve as they are; its points are built here
        Job.__init__(self, points, scenario=scenario.config.scenario.name, n=u.n, seed=u.seed, engine=engine,
                     groups=[tuple(range(s * width, (s + 1) * width)) for s in range(len(sampled))], records=records)
        self.base = scenario
        self.values = labels
        self.spec = spec
        self.outputs = job_layout(points).outputs
        allowed = outcome_names(self.outputs)
        for outcome in spec.outcomes:
            if outcome["name"] not in allowed:
                raise UsageError(f"--{outcome['direction']} {outcome['name']}: not an outcome; the outcomes are: "
                                 f"{', '.join(allowed)}")
        if spec.satisfice is not None:
            check_names(parse(spec.satisfice, "--satisfice", commas=True), "--satisfice", spec.satisfice, allowed,
                        "the outcomes are")
        self.fixed = sorted({uncertain_key[canonical(k)] for _, assignments in variants for k, _ in assignments
                             if canonical(k) in uncertain_key})

    def manifest(self) -> dict[str, Any]:
        return {"robust": self.spec.model_dump(), **super().manifest()}

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "RobustJob":
        return cls(cls.base_of(partial), RobustSpec.model_validate(manifest["robust"]), engine=manifest["engine"],
                   records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "RobustResult":
        table = self.point_table(outcome)
        names = [v["name"] for v in self.spec.variants]
        measures = self.measures(table, outcome)
        criteria = self.criteria(table)
        robustness = regret.robustness_table(measures, names, criteria, self.seed)
        regrets = regret.regret_frame(measures, names)
        notes = self.notes(measures, names, criteria)
        result = RobustResult(**vars(table), spec=self.spec, robustness=robustness, regrets=regrets, notes=notes)
        if folder is not None:
            self.write_table(folder, result, outcome)
            folders.write_csv(folder / "robust.csv", robustness)
            folders.write_csv(folder / "regret.csv", regrets)
            folders.write_json(folder / "robust.json", result.to_dict())
        return result

    def _grid(self, frame, column: str) -> np.ndarray:
        """A column of the point table as (S, V): points by variants."""
        return frame[column].to_numpy(dtype=np.float64).reshape(-1, len(self.spec.variants))

    def measures(self, table: PointTable, outcome: Outcome) -> list[regret.Measure]:
        frame = table.to_frame()
        columns = set(frame.columns)
        out = []
        for item in self.spec.outcomes:
            name, direction = item["name"], item["direction"]
            values = self._grid(frame, name)
            if is_proportion(name, columns):
                low, high = regret.paired_proportions(self._cells(outcome, self._outcome_index(name)))
            else:  # a mean: the table's 95% Student-t half-width as its standard error's scale
                lo, hi = (self._grid(frame, c) for c in interval_columns(name, columns))
                low, high = regret.independent_means(values, np.nan_to_num((hi - lo) / (2 * z_value(0.95))))
            out.append(regret.Measure(name, direction, values, *regret.oriented(low, high, direction)))
        return out

    def _outcome_index(self, name: str) -> int:
        """The column of a yes/no outcome (``<tier>_p`` or a proportion) in the
        pipeline's paired counts."""
        if name.endswith("_p") and name[:-2] in self.outputs.tiers:
            return self.outputs.outcomes.index(name[:-2])
        return self.outputs.outcomes.index(name)

    def _cells(self, outcome: Outcome, index: int) -> np.ndarray:
        """(S, V, V, 4): per point, the replications' agreement on one yes/no outcome for
        each ordered pair of variants (both, first only, second only, neither)."""
        width = len(self.spec.variants)
        points = len(self.groups)
        cells = np.zeros((points, width, width, 4), dtype=np.int64)
        for s in range(points):
            for v in range(width):
                for w in range(v + 1, width):
                    c = outcome.totals.pairs[(s * width + v, s * width + w)][index]
                    cells[s, v, w] = c
                    cells[s, w, v] = c[[0, 2, 1, 3]]
        return cells

    def criteria(self, table: PointTable) -> regret.Criteria | None:
        if self.spec.satisfice is None:
            return None
        expression = parse(self.spec.satisfice, "--satisfice", commas=True)
        frame = table.to_frame()
        estimates, low, high = {}, {}, {}
        for name in expression.names():
            estimates[name] = self._grid(frame, name)
            low[name], high[name] = (self._grid(frame, c) for c in interval_columns(name, set(frame.columns)))
        return regret.Criteria(expression.text(), expression.holds(estimates),
                               expression.classes(low, high) == UNCLEAR)

    def notes(self, measures: list[regret.Measure], names: list[str], criteria: regret.Criteria | None) -> list[str]:
        out = []
        points = len(self.groups)
        if points < FEW_POINTS:
            out.append(f"Only {points} points: the intervals over the points (means, mean regret, satisficing share) "
                       f"rest on a normal approximation that needs more; use --samples {FEW_POINTS} or more.")
        out.append("Intervals of means over the points (mean, mean regret) treat the points as independent draws "
                   "from the uncertainty: a Latin hypercube spreads them more evenly, so they are conservative there; "
                   "the replications the points share are not accounted for.")
        for m in measures:
            low, _high = m.regret_interval()
            tied = float(np.mean(np.all(low == 0, axis=1)))
            if tied > NOISY:
                out.append(f"{m.name}: at {100 * tied:.0f}% of the points no variant is clearly worse than the best "
                           f"(every regret's paired interval reaches 0): the regrets there could be noise, and since "
                           f"the best variant at a point is picked by the same estimates, noise makes regret look "
                           f"larger than it is; raise -n to separate the variants.")
            if not m.name.startswith("p_") and m.name[:-2] not in self.outputs.tiers:
                out.append(f"{m.name}: a mean, so its paired intervals treat the variants' means as independent "
                           f"(common random numbers make them narrower than shown).")
        worse = np.concatenate([m.worse() for m in measures], axis=0)
        worse_low = np.concatenate([m.worse_low for m in measures], axis=0)
        for v, dominators in enumerate(regret.dominated_by(measures, names)):
            for other in dominators:
                if not np.any(worse_low[:, v, names.index(other)] > 0):
                    out.append(f"{names[v]} is beaten by {other} at every point, but nowhere by more than the "
                               f"noise: the dominance could be chance.")
        if not np.any(worse != 0):
            out.append("Every variant gives the same estimates at every point: their rules make no difference here.")
        if criteria is not None and criteria.unclear.any():
            out.append(f"{int(criteria.unclear.sum())} of the {criteria.met.size} (point, variant) pairs are within "
                       f"noise of a threshold of the criteria ({criteria.text}): whether they meet it could be noise.")
        if self.fixed:
            out.append(f"{', '.join(self.fixed)}: uncertain, but set by some variants: those variants hold it at their "
                       f"value at every point while the others draw it from its distribution.")
        return out


@dataclass(frozen=True)
class RobustResult(PointTable):
    """A finished robustness study: the point table (one row per point and variant),
    the robustness table (one row per variant and outcome) and every regret."""
    spec: RobustSpec | None = None
    robustness: Any = None        # pd.DataFrame
    regrets: Any = None           # pd.DataFrame
    notes: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the definition, the regret table and the notes."""
        u = self.spec.uncertainty
        undominated = list(dict.fromkeys(self.robustness.loc[self.robustness["undominated"], "variant"]))
        return json_safe({
            "kind": "robust", "scenario": self.scenario, "seed": self.seed, "n": u.n, "samples": u.samples,
            "design": u.design, "inputs": u.inputs, "variants": self.spec.variants, "outcomes": self.spec.outcomes,
            "satisfice": self.spec.satisfice, "undominated": undominated,
            "table": self.robustness.to_dict(orient="records"), "notes": self.notes})
