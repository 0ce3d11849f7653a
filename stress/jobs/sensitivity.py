"""``stress sensitivity``: which uncertain inputs drive escalation (global sensitivity).

The design and the estimators are SALib's: Saltelli's sampling with Sobol' first-order
and total indices (``--method sobol``, B base samples give B (D + 2) points) or Morris
screening (``--method morris``, B trajectories of D + 1 points), in the unit hypercube,
mapped to each input's distribution by its quantile function. Each point runs N
replications on the same root seed, so two points that differ in an input without
effect meet exactly the same replications and give exactly the same outcome: such an
input gets a total index of exactly 0. The Monte Carlo noise of the other points is
estimated (binomial variance at each point) and reported as a share of the output's
variance; the Sobol' indices are also given with that noise taken out of the
denominator (``*_denoised``, clipped to [0, 1]), since noise inflates the variance they
divide by. The
noise is the points-by-replications interaction of the crossed design
(``stress.statistics.uncertainty``). The error that the points share moves the
indices too (a replication's luck favours some inputs' effects): the replications
run in blocks, and the intervals include the indices' spread over resamples of the
blocks (``stress.statistics.sensitivity``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stress.config.loading import Scenario
from stress.config.uncertain import check_inputs, input_from_dict, sample
from stress.jobs.pipeline import Outcome, job_layout
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.statistics.blocks import ReplicationBlocks
from stress.statistics.sensitivity import morris_with_replications, no_variance, sobol_with_replications
from stress.statistics.summary import json_safe
from stress.statistics.tally import Outputs
from stress.statistics.uncertainty import crossed_design
from stress.storage import folders
# Noise above this share of an output's variance: N is too small for its indices.
NOISY = 0.1
# Total-index intervals wider than this (half-width): B is too small to rank the inputs.
WIDE = 0.1
# SeedSequence spawn key of the design's and the bootstrap's random numbers.
DESIGN_KEY = 0x5E45


class SensitivitySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    inputs: list[dict[str, Any]] = Field(description="Per input: key, dist and its parameters.")
    method: Literal["sobol", "morris"] = "sobol"
    base_samples: int = Field(256, ge=2, description="Sobol: base samples B; Morris: trajectories.")
    n: int = Field(1000, ge=2)
    seed: int = Field(0, ge=0)
    levels: int = Field(4, ge=2, description="Morris: grid levels.")
    max_points: int | None = Field(None, ge=1)

    def uncertain(self) -> list:
        return [input_from_dict(d, f"input {d['key']}") for d in self.inputs]


def spec_of(inputs: list, method: str, base_samples: int, n: int, seed: int,
            max_points: int | None = None) -> SensitivitySpec:
    return SensitivitySpec(inputs=[i.as_dict() for i in inputs], method=method, base_samples=base_samples, n=n,
                           seed=seed, max_points=max_points)


def _problem(inputs: list) -> dict[str, Any]:
    """SALib's problem in the unit hypercube; a joint input (a calibration's breach
    process, 3 columns) is one group, so it gets one index."""
    names, groups = [], []
    for item in inputs:
        for d in range(item.dimensions):
            names.append(item.key if item.dimensions == 1 else f"{item.key}[{d}]")
            groups.append(item.key)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if len(set(groups)) < len(groups):
        problem["groups"] = groups
    return problem


def _rng(seed: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DESIGN_KEY, purpose)))


def unit_points(spec: SensitivitySpec) -> np.ndarray:
    """SALib's design in the unit hypercube (rows in the order its analysis expects)."""
    problem = _problem(spec.uncertain())
    if spec.method == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, spec.base_samples, calc_second_order=False, seed=_rng(spec.seed, 0))
    from SALib.sample import morris
    return morris.sample(problem, spec.base_samples, num_levels=spec.levels, seed=_rng(spec.seed, 0))


class SensitivityJob(PointsJob):
    kind = "sensitivity"
    replication_sums = True

    def __init__(self, scenario: Scenario, spec: SensitivitySpec, *, engine: str, records: bool = False) -> None:
        inputs = spec.uncertain()
        groups = len(inputs)
        check_point_count(spec.base_samples * (groups + 2 if spec.method == "sobol" else groups + 1), spec.max_points,
                          "sensitivity study")
        check_inputs(inputs, scenario)
        unit = unit_points(spec)
        # Morris' grid reaches u = 1 exactly; quantile functions take [0, 1)
        values = sample(inputs, np.minimum(unit, np.nextafter(1.0, 0.0)))
        super().__init__(scenario, values, n=spec.n, seed=spec.seed, engine=engine, records=records,
                         what="design point")
        self.spec = spec
        self.unit = unit
        # for the replications' part of the intervals
        self.blocks = ReplicationBlocks(len(values), spec.n, job_layout(self.points).outputs)

    def manifest(self) -> dict[str, Any]:
        return {"sensitivity": self.spec.model_dump(), **super().manifest()}

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "SensitivityJob":
        return cls(cls.base_of(partial), SensitivitySpec.model_validate(manifest["sensitivity"]),
                   engine=manifest["engine"], records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "SensitivityResult":
        indices, noise, notes = analyse(self.spec, self.unit, outcome, self.blocks)
        result = SensitivityResult(**vars(self.point_table(outcome)), spec=self.spec, indices=indices, noise=noise,
                                   notes=notes)
        if folder is not None:
            self.write_table(folder, result, outcome)
            folders.write_csv(folder / "sensitivity.csv", result.indices_frame())
            folders.write_json(folder / "sensitivity.json", result.to_dict())
        return result


def analysed(outputs: Outputs) -> list[str]:
    """The outputs analysed: each tier probability and the yes/no metrics (not each
    tier's reached-on-false-reports flag: p_false_escalation stands for them)."""
    return [f"{t}_p" for t in outputs.tiers] + [p for p in outputs.proportions if not p.endswith("_on_false_report")]


def output_values(outcome: Outcome, n: int) -> dict[str, tuple[np.ndarray, float]]:
    """Each analysed output at each point (the estimate from its N replications), with
    the share of its spread over the points that is Monte Carlo noise."""
    t = outcome.totals
    o = outcome.layout.outputs
    wanted = analysed(o)
    replication_means = t.replication_sums[:n] / len(t.n)
    out = {}
    for column, outcome_name in enumerate(o.outcomes):
        name = f"{outcome_name}_p" if column < len(o.tiers) else outcome_name
        if name in wanted:
            hits = t.reached[:, column] if column < len(o.tiers) else t.flags[:, column - len(o.tiers)]
            noise = crossed_design(hits / t.n, replication_means[:, column], float(hits.sum()), n).noise_share
            out[name] = (hits / t.n, noise)
    return out


def analyse(spec: SensitivitySpec, unit: np.ndarray, outcome: Outcome, blocks: ReplicationBlocks
            ) -> tuple[list[dict[str, Any]], dict[str, dict[str, float]], list[str]]:
    """SALib's indices of every output with intervals for the design and the
    replications (``stress.statistics.sensitivity``), the noise in each, and notes on
    what the intervals can and cannot tell apart."""
    inputs = spec.uncertain()
    problem = _problem(inputs)
    rows, noise, notes = [], {}, []
    for purpose, (name, (y, share)) in enumerate(output_values(outcome, spec.n).items(), start=1):
        variance = float(np.var(y, ddof=1))
        noise[name] = {"variance": variance, "noise_share": share}
        seed = int(_rng(spec.seed, purpose).integers(1, 2 ** 31))  # SALib ignores a seed of 0
        hits = blocks.outcome(name)
        why = no_variance(y, hits, blocks.n, share, seed)
        if why is not None:
            notes.append(f"{name}: no variance to apportion: {why}; so it has no indices.")
            continue
        if spec.method == "sobol":
            si = sobol_with_replications(problem, y, hits, blocks.n, seed)
            # taking the noise out of the variance is only a correction while it is small
            scale = 1.0 / (1.0 - share) if share == share and share < 0.5 else math.nan
            for j, item in enumerate(inputs):
                rows.append({"output": name, "input": item.key, "S1": si["S1"][j], "S1_conf": si["S1_conf"][j],
                             "ST": si["ST"][j], "ST_conf": si["ST_conf"][j], "S1_denoised": _index(si["S1"][j] * scale),
                             "ST_denoised": _index(si["ST"][j] * scale)})
        else:
            si = morris_with_replications(problem, unit, y, hits, blocks.n, spec.levels, seed)
            for j, item in enumerate(inputs):
                rows.append({"output": name, "input": item.key, "mu": si["mu"][j], "mu_star": si["mu_star"][j],
                             "mu_star_conf": si["mu_star_conf"][j], "sigma": si["sigma"][j]})
        if share == share and share > NOISY:
            notes.append(f"{name}: Monte Carlo noise is {100 * share:.0f}% of its variance over the design; N = "
                         f"{spec.n:,} replications per point is too few to tell small effects from noise (raise -n).")
    notes += _separation_notes(spec, rows)
    return rows, noise, notes


def _index(value: float) -> float:
    """A denoised index within [0, 1], where an index lies: dividing by the smaller,
    noise-free variance can carry an estimate that noise put near 1 past it."""
    return min(max(value, 0.0), 1.0) if value == value else value


def _separation_notes(spec: SensitivitySpec, rows: list[dict[str, Any]]) -> list[str]:
    """Where the intervals are too wide to rank the inputs."""
    key, conf = ("ST", "ST_conf") if spec.method == "sobol" else ("mu_star", "mu_star_conf")
    notes = []
    for output in dict.fromkeys(r["output"] for r in rows):
        ranked = sorted((r for r in rows if r["output"] == output), key=lambda r: -r[key])
        tied = [(a["input"], b["input"]) for a, b in zip(ranked, ranked[1:])
                if a[key] - a[conf] <= b[key] + b[conf] and a[key] > 0.05 * ranked[0][key]]
        wide = spec.method == "sobol" and max(r[conf] for r in ranked) > WIDE
        if tied or wide:
            what = f"the intervals of {tied[0][0]} and {tied[0][1]} overlap" if tied else "the intervals are wide"
            notes.append(f"{output}: {what}, so B = {spec.base_samples} base samples cannot rank those inputs; "
                         f"raise --base-samples (the intervals shrink as 1/sqrt(B)).")
    return notes


@dataclass(frozen=True)
class SensitivityResult(PointTable):
    """A finished sensitivity study: the point table, the indices, the noise."""
    spec: SensitivitySpec | None = None
    indices: list[dict[str, Any]] | None = None
    noise: dict[str, dict[str, float]] | None = None
    notes: list[str] | None = None

    def indices_frame(self):
        """One row per output and input: the indices with their 95% bootstrap
        half-widths (Sobol: S1, ST, and both without the noise; Morris: mu, mu*, sigma)."""
        import pandas as pd
        frame = pd.DataFrame(self.indices)
        if len(frame):
            frame["noise_share"] = [self.noise[o]["noise_share"] for o in frame["output"]]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the definition, per output its inputs ranked, and the notes."""
        key = "ST" if self.spec.method == "sobol" else "mu_star"
        outputs = {}
        for output, noise in self.noise.items():
            ranked = sorted((r for r in self.indices if r["output"] == output), key=lambda r: -r[key])
            outputs[output] = {**noise, "inputs": [{k: v for k, v in r.items() if k != "output"} for r in ranked]}
        return json_safe({"kind": "sensitivity", "scenario": self.scenario, "seed": self.seed,
                          "method": self.spec.method, "base_samples": self.spec.base_samples, "n": self.spec.n,
                          "points": len(self.points), "inputs": self.spec.inputs, "outputs": outputs,
                          "notes": self.notes})
