"""``stress adversary``: each version of the plan against each kind of violator, and the
violator's best response to it.

Every variant of the plan (``"strict: tier2.threshold=2"``; none: the scenario as it
is) runs against every behaviour (``stress.model.adversary``) on the same replications:
a group per variant, so the pipeline pairs a variant's behaviours replication by
replication (the breaches, the monitors' luck and the responses' draws are common;
only what the violator does differs). Per variant: an outcome (the violator's payoff by
default) under each behaviour with its interval and its paired difference from the
blind violator, and which behaviour is worst for the plan. A search over one of a
behaviour's parameters (``--search adversary.threshold.margin=0:3``) runs a grid of it
on the same replications and reports the violator's best response: the value that
does the plan most harm, the values within noise of it, and the maximum's interval
(the largest of several noisy estimates is biased up, which the note says).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stress.config.adversary import BEHAVIOURS
from stress.config.loading import Scenario, parse_assignment
from stress.errors import UsageError
from stress.jobs.compare import parse_variant
from stress.jobs.pipeline import Job, Outcome, job_layout, point_of
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.jobs.robust import outcome_names
from stress.statistics import paired
from stress.statistics.summary import json_safe
from stress.storage import folders

# A search's grid, unless told.
SEARCH_POINTS = 7


class SearchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(description="A parameter of one behaviour: adversary.<behaviour>.<parameter>.")
    low: float
    high: float
    points: int = Field(SEARCH_POINTS, ge=2, le=101)

    @property
    def behaviour(self) -> str:
        return self.key.split(".")[1]

    def values(self) -> list[float]:
        return [float(v) for v in np.linspace(self.low, self.high, self.points)]


class AdversarySpec(BaseModel):
    """An adversary study: the variants, the behaviours, the outcome and the search."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    variants: list[dict[str, Any]] = Field(description="Per variant: name and its KEY=VALUE assignments.")
    behaviours: list[str]
    outcome: str
    worst: Literal["max", "min"] = "max"
    search: SearchSpec | None = None
    n: int = Field(1000, ge=2)
    seed: int = Field(0, ge=0)


def spec_of(scenario: Scenario, variant_texts: list[str], behaviours: list[str] | None, outcome: str | None,
            worst: str, search: str | None, search_points: int | None, n: int, seed: int) -> AdversarySpec:
    """The study's definition from the command line's options, checked."""
    variants = []
    for text in variant_texts:
        name, assignments = parse_variant(text)
        variants.append({"name": name, "assignments": assignments})
    if not variants:
        variants = [{"name": "plan", "assignments": []}]
    names = [v["name"] for v in variants]
    if len(set(names)) != len(names):
        raise UsageError(f"variant names must differ: {', '.join(names)}")
    behaviours = list(behaviours or BEHAVIOURS)
    unknown = [b for b in behaviours if b not in BEHAVIOURS]
    if unknown or len(set(behaviours)) != len(behaviours):
        raise UsageError(f"--behaviour {', '.join(unknown) or 'given twice'}: the behaviours are "
                         f"{', '.join(BEHAVIOURS)}, each once")
    if "blind" not in behaviours:
        behaviours.insert(0, "blind")  # every behaviour is compared with the blind violator
    adversary = scenario.config.adversary
    if outcome is None:
        if adversary is None or adversary.payoff is None:
            raise UsageError("name the outcome to judge the plan by (--outcome NAME: a tier probability such as "
                             "tier2_p, or a metric such as p_false_escalation), or give the scenario an "
                             "[adversary.payoff] table, whose mean_violator_payoff is the default")
        outcome = "mean_violator_payoff"
    if worst not in ("max", "min"):
        raise UsageError(f"--worst {worst!r}: 'max' (the plan is worse the higher the outcome) or 'min'")
    parsed = None
    if search is not None:
        key, sep, bounds = search.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) != 3 or parts[0] != "adversary" or parts[1] not in BEHAVIOURS[1:]:
            raise UsageError(f"--search {search!r}: expected adversary.BEHAVIOUR.PARAMETER=LOW:HIGH, for example "
                             f"adversary.threshold.margin=0:3")
        try:
            low, high = (float(x) for x in bounds.split(":"))
        except ValueError:
            raise UsageError(f"--search {search!r}: expected LOW:HIGH with numbers") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise UsageError(f"--search {search!r}: LOW must be below HIGH, both finite")
        parsed = SearchSpec(key=key.strip(), low=low, high=high, points=search_points or SEARCH_POINTS)
    return AdversarySpec(variants=variants, behaviours=behaviours, outcome=outcome, worst=worst, search=parsed, n=n,
                         seed=seed)


class AdversaryJob(PointsJob):
    kind = "adversary"

    def __init__(self, scenario: Scenario, spec: AdversarySpec, *, engine: str, records: bool = False) -> None:
        columns = (len(spec.behaviours) + (spec.search.points if spec.search else 0)) * len(spec.variants)
        check_point_count(columns, None, "adversary study")
        points, labels, groups = [], [], []
        for variant in spec.variants:
            assignments = [parse_assignment(a) for a in variant["assignments"]]
            first = len(points)
            cases = [(b, {"adversary.strategy": b}, None) for b in spec.behaviours]
            if spec.search is not None:
                cases += [("search", {"adversary.strategy": spec.search.behaviour, spec.search.key: x}, x)
                          for x in spec.search.values()]
            for behaviour, values, x in cases:
                where = f"variant {variant['name']!r} against a {behaviour} violator" + \
                        (f" ({spec.search.key} = {x:g})" if behaviour == "search" else "")
                config = scenario.with_values([*assignments, *values.items()], where)
                label = {"variant": variant["name"], "behaviour": behaviour, "value": x}
                points.append(point_of(config, label, like=points[0] if points else None))
                labels.append(label)
            groups.append(tuple(range(first, len(points))))
        Job.__init__(self, points, scenario=scenario.config.scenario.name, n=spec.n, seed=spec.seed, engine=engine,
                     groups=groups, records=records)
        self.base = scenario
        self.values = labels
        self.spec = spec
        allowed = outcome_names(job_layout(points).outputs)
        if spec.outcome not in allowed:
            raise UsageError(f"--outcome {spec.outcome}: not an outcome; the outcomes are: {', '.join(allowed)}")
        self.configs = {v["name"]: scenario.with_values([parse_assignment(a) for a in v["assignments"]])
                        for v in spec.variants}

    def manifest(self) -> dict[str, Any]:
        return {"adversary": self.spec.model_dump(), **super().manifest()}

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "AdversaryJob":
        return cls(cls.base_of(partial), AdversarySpec.model_validate(manifest["adversary"]),
                   engine=manifest["engine"], records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "AdversaryResult":
        table = self.point_table(outcome)
        behaviours, search, notes = analyse(self, table, outcome)
        result = AdversaryResult(**vars(table), spec=self.spec, behaviours=behaviours, search=search, notes=notes)
        if folder is not None:
            self.write_table(folder, result, outcome)
            folders.write_csv(folder / "adversary.csv", behaviours)
            if search is not None:
                folders.write_csv(folder / "search.csv", search)
            folders.write_json(folder / "adversary.json", result.to_dict())
        return result


def _estimate(frame, tiers, point: int, name: str) -> tuple[float, float, float]:
    row = frame.iloc[point]
    base = name[:-2] if name.endswith("_p") and name[:-2] in tiers else name
    return float(row[name]), float(row[f"{base}_ci_low"]), float(row[f"{base}_ci_high"])


def describe(behaviour: str, config) -> str:
    """A behaviour in words, with the parameters it has in ``config``."""
    a = config.adversary
    if behaviour == "blind" or a is None:
        return "a blind violator"
    if behaviour == "threshold":
        t = a.threshold
        return (f"a threshold-aware violator (margin {t.margin:g}, knowledge error {t.knowledge_error:g}, "
                f"{'deferring' if t.action == 'defer' else 'downgrading'})")
    if behaviour == "learning":
        return f"a learning violator (boldness {a.learning.boldness:g})"
    if behaviour == "timing":
        return f"a violator that times its attacks (planning error {a.timing.planning_error:g})"
    return f"a violator that shifts toward what the monitors see least (strength {a.monitoring.strength:g})"


def analyse(job: AdversaryJob, table: PointTable, outcome: Outcome):
    """Per variant and behaviour: the outcome, its paired difference from the blind
    violator, whether it is the worst for the plan (or within noise of it); per variant
    and searched value: the outcome and its paired difference from the violator's best
    response; notes."""
    import pandas as pd
    spec, name = job.spec, job.spec.outcome
    sign = 1.0 if spec.worst == "max" else -1.0
    frame = table.to_frame()
    rows, search_rows, notes = [], [], []
    for group, variant in zip(job.groups, spec.variants):
        members = list(group)
        config = job.configs[variant["name"]]
        behaviour_points = [p for p in members if job.values[p]["behaviour"] != "search"]
        blind = next(p for p in behaviour_points if job.values[p]["behaviour"] == "blind")
        estimates = {p: _estimate(frame, table.tiers.names, p, name) for p in members}
        worst = max(behaviour_points, key=lambda p: sign * estimates[p][0])
        close = []
        for p in behaviour_points:
            behaviour = job.values[p]["behaviour"]
            d = paired.difference(outcome.totals, blind, p, name)
            versus = paired.difference(outcome.totals, worst, p, name)
            near = p == worst or versus.ci_low <= 0.0 <= versus.ci_high
            if near and p != worst:
                close.append(behaviour)
            rows.append({"variant": variant["name"], "behaviour": behaviour,
                         "description": describe(behaviour, config), "outcome": name,
                         "estimate": estimates[p][0], "ci_low": estimates[p][1], "ci_high": estimates[p][2],
                         "diff_from_blind": d.estimate, "diff_ci_low": d.ci_low, "diff_ci_high": d.ci_high,
                         "worst": p == worst, "within_noise_of_worst": near})
        if close:
            notes.append(f"{variant['name']}: the worst behaviour, {job.values[worst]['behaviour']}, is within noise "
                         f"of {', '.join(close)}: which is worst could be chance; raise -n to tell them apart.")
        searched = [p for p in members if job.values[p]["behaviour"] == "search"]
        if searched:
            best = max(searched, key=lambda p: sign * estimates[p][0])
            within = []
            for p in searched:
                d = paired.difference(outcome.totals, best, p, name)
                near = p == best or d.ci_low <= 0.0 <= d.ci_high
                if near:
                    within.append(job.values[p]["value"])
                search_rows.append({"variant": variant["name"], "key": spec.search.key,
                                    "value": job.values[p]["value"], "outcome": name, "estimate": estimates[p][0],
                                    "ci_low": estimates[p][1], "ci_high": estimates[p][2],
                                    "diff_from_best": d.estimate, "diff_ci_low": d.ci_low, "diff_ci_high": d.ci_high,
                                    "best": p == best, "within_noise_of_best": near})
            values = [job.values[p]["value"] for p in searched]
            if job.values[best]["value"] in (min(values), max(values)):
                notes.append(f"{variant['name']}: the best response lies at the edge of the range searched "
                             f"({spec.search.key} = {job.values[best]['value']:g}); a wider range may hold a "
                             f"better one.")
            direction = "high" if sign > 0 else "low"
            notes.append(f"{variant['name']}: the best of {len(searched)} noisy estimates of {name} is biased "
                         f"{'up' if sign > 0 else 'down'} (the search picks it for being {direction}); quote its "
                         f"interval and the values within noise of it ({', '.join(f'{v:g}' for v in within)}), "
                         f"not the estimate alone.")
    return pd.DataFrame(rows), (pd.DataFrame(search_rows) if search_rows else None), notes


@dataclass(frozen=True)
class AdversaryResult(PointTable):
    """A finished adversary study: the point table (one row per variant and behaviour
    or searched value), the behaviours' table, the search's table and the notes."""
    spec: AdversarySpec | None = None
    behaviours: Any = None       # pd.DataFrame
    search: Any = None           # pd.DataFrame or None
    notes: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the definition, the behaviours and the search, the notes."""
        return json_safe({
            "kind": "adversary", "scenario": self.scenario, "seed": self.seed, "n": self.spec.n,
            "variants": self.spec.variants, "behaviours": self.spec.behaviours, "outcome": self.spec.outcome,
            "worst": self.spec.worst, "search": self.spec.search.model_dump() if self.spec.search else None,
            "table": self.behaviours.to_dict(orient="records"),
            "search_table": self.search.to_dict(orient="records") if self.search is not None else None,
            "notes": self.notes})
