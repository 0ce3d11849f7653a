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

from stress.config.adversary import behaviours_named
from stress.config.keys import canonical
from stress.config.loading import Scenario, parse_assignment
from stress.config.uncertain import check_inputs, dimensions, sample, unit_design
from stress.discovery import regret
from stress.discovery.cases import interval_columns
from stress.discovery.expressions import UNCLEAR, check_names, parse
from stress.errors import UsageError
from stress.jobs.compare import parse_variant
from stress.config.uncertain import ExploreSpec
from stress.jobs.pipeline import Job, Outcome, job_layout, point_of
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.statistics import paired
from stress.statistics.blocks import ReplicationBlocks
from stress.statistics.summary import json_safe
from stress.statistics.tally import Outputs
from stress.statistics.uncertainty import block_cells
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
    adversary: list[str] | None = Field(
        None, description="Kinds of violator every variant meets at every point; each outcome is judged under the "
                          "worst of them for that variant and point.")


def spec_of(uncertainty: ExploreSpec, variant_texts: list[str], minimize: list[str], maximize: list[str],
            satisfice: str | None, adversary: list[str] | None = None) -> RobustSpec:
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
    if adversary is not None:
        adversary = behaviours_named(adversary)
    return RobustSpec(uncertainty=uncertainty, variants=variants, outcomes=outcomes, satisfice=satisfice,
                      adversary=adversary)


def outcome_names(outputs: Outputs) -> list[str]:
    """What --minimize, --maximize and --satisfice can name: each tier probability and metric."""
    return [f"{t}_p" for t in outputs.tiers] + list(outputs.metric_names)


class RobustJob(PointsJob):
    kind = "robust"

    def __init__(self, scenario: Scenario, spec: RobustSpec, *, engine: str, records: bool = False) -> None:
        u = spec.uncertainty
        behaviours = spec.adversary or [None]
        check_point_count(u.samples * len(spec.variants) * len(behaviours), u.max_points, "robustness study")
        inputs = u.uncertain()
        check_inputs(inputs, scenario)
        sampled = sample(inputs, unit_design(u.design, u.samples, dimensions(inputs), u.seed))
        variants = [(v["name"], [parse_assignment(a) for a in v["assignments"]]) for v in spec.variants]
        uncertain_key = {canonical(k): k for k in sampled[0]}
        points, labels = [], []
        for s, values in enumerate(sampled):
            for behaviour in behaviours:
                violator = [("adversary.strategy", behaviour)] if behaviour is not None else []
                for name, assignments in variants:
                    # a lever that is also uncertain (under either of its spellings) is held at the variant's value
                    held = {uncertain_key[canonical(k)]: x for k, x in assignments if canonical(k) in uncertain_key}
                    label = {"point": s, "variant": name, **({"behaviour": behaviour} if behaviour else {}),
                             **values, **held}
                    where = (f"variant {name!r}{f' against a {behaviour} violator' if behaviour else ''} at sampled "
                             f"point {s} ({', '.join(f'{k}={x}' for k, x in values.items())})")
                    config = scenario.with_values([*values.items(), *violator, *assignments], where)
                    points.append(point_of(config, label, like=points[0] if points else None))
                    labels.append(label)
        width = len(variants) * len(behaviours)
        # PointsJob's table, inputs and records serve as they are; its points are built here
        Job.__init__(self, points, scenario=scenario.config.scenario.name, n=u.n, seed=u.seed, engine=engine,
                     groups=[tuple(range(s * width, (s + 1) * width)) for s in range(len(sampled))], records=records)
        self.base = scenario
        self.values = labels
        self.spec = spec
        self.outputs = job_layout(points).outputs
        # the points share their replications: blocks of them let the intervals over the
        # points see that (stress.discovery.regret)
        self.blocks = ReplicationBlocks(len(points), u.n, self.outputs, means=len(self.outputs.means))
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
        """A column of the point table as (S, B, V): points by behaviours (one without an
        adversary) by variants."""
        return frame[column].to_numpy(dtype=np.float64).reshape(len(self.groups), -1, len(self.spec.variants))

    def _point(self, s: int, b: int, v: int) -> int:
        behaviours, variants = len(self.spec.adversary or [None]), len(self.spec.variants)
        return (s * behaviours + b) * variants + v

    def worst(self, values: np.ndarray, direction: str) -> np.ndarray:
        """(S, V): the behaviour worst for each variant at each point (0 without an adversary)."""
        return np.argmax(values, axis=1) if direction == "minimize" else np.argmin(values, axis=1)

    def measures(self, table: PointTable, outcome: Outcome) -> list[regret.Measure]:
        """Each outcome at each point and variant, under the worst behaviour for it, with
        the paired intervals of how much worse each variant does than each other (the
        points of a sampled point share their replications: Newcombe's for a probability,
        Student t of the replications' differences for a mean)."""
        frame = table.to_frame()
        out = []
        for item in self.spec.outcomes:
            name, direction = item["name"], item["direction"]
            grid = self._grid(frame, name)
            chosen = self.worst(grid, direction)
            samples, variants = chosen.shape
            values = np.take_along_axis(grid, chosen[:, None, :], axis=1)[:, 0, :]
            cells = self._cells(name)
            cells = np.take_along_axis(cells, chosen[:, None, :, None], axis=1)[:, 0]
            low = np.zeros((samples, variants, variants))
            high = np.zeros((samples, variants, variants))
            for s in range(samples):
                for v in range(variants):
                    for w in range(variants):
                        if v != w:   # x_v - x_w
                            d = paired.difference(outcome.totals, self._point(s, chosen[s, w], w),
                                                  self._point(s, chosen[s, v], v), name)
                            low[s, v, w], high[s, v, w] = d.ci_low, d.ci_high
            out.append(regret.Measure(name, direction, values, *regret.oriented(low, high, direction), cells=cells,
                                      probability=name not in self.outputs.means, replications=self.spec.uncertainty.n))
        return out

    def _cells(self, name: str) -> np.ndarray:
        """(S, behaviours, V, blocks): an outcome's points x blocks table (uncertainty.block_cells)."""
        b = self.blocks
        if name in self.outputs.means:
            m = self.outputs.means.index(name)
            sums, counts = b.sums[:, :, m], b.defined[:, :, m]
        else:
            sums, counts = b.outcome(name), b.n
        _means, cells = block_cells(sums, counts, b.n)
        return cells.reshape(len(self.groups), -1, len(self.spec.variants), b.blocks)

    def criteria(self, table: PointTable) -> regret.Criteria | None:
        if self.spec.satisfice is None:
            return None
        expression = parse(self.spec.satisfice, "--satisfice", commas=True)
        frame = table.to_frame()
        estimates, low, high = {}, {}, {}
        for name in expression.names():
            estimates[name] = self._grid(frame, name)
            low[name], high[name] = (self._grid(frame, c) for c in interval_columns(name, set(frame.columns)))
        # a variant meets the criteria at a point if it meets them against every behaviour
        held = expression.holds(estimates).all(axis=1)
        unclear = (expression.classes(low, high) == UNCLEAR).any(axis=1)
        return regret.Criteria(expression.text(), held, unclear)

    def notes(self, measures: list[regret.Measure], names: list[str], criteria: regret.Criteria | None) -> list[str]:
        out = []
        points = len(self.groups)
        if points < FEW_POINTS:
            out.append(f"Only {points} points: the intervals over the points (means, mean regret, satisficing share) "
                       f"rest on a normal approximation that needs more; use --samples {FEW_POINTS} or more.")
        picked = "The best variant (for regret) and the worst behaviour at a point are" if self.spec.adversary \
            else "The best variant at a point (for regret) is"
        out.append("Intervals over the points (mean, mean regret, worst 10%) take in the sampling of the points and "
                   "the luck of the replications they share (blocks of replications), as if the points were "
                   "independent draws from the uncertainty: a Latin hypercube spreads them more evenly, so they are "
                   f"conservative there. {picked} taken as picked, not as a noisy pick.")
        for m in measures:
            low, _high = m.regret_interval()
            tied = float(np.mean(np.all(low == 0, axis=1)))
            if tied > NOISY:
                out.append(f"{m.name}: at {100 * tied:.0f}% of the points no variant is clearly worse than the best "
                           f"(every regret's paired interval reaches 0): the regrets there could be noise, and since "
                           f"the best variant at a point is picked by the same estimates, noise makes regret look "
                           f"larger than it is; raise -n to separate the variants.")

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
        if self.spec.adversary:
            out.append(f"Each outcome is judged, for each variant at each point, under the worst of "
                       f"{', '.join(self.spec.adversary)} violators for it; the worst is picked by the same estimates, "
                       f"so noise makes the plan look a little worse than it is.")
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
