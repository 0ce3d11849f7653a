"""``stress explore``: the scenario over everything considered plausible.

S points are drawn from the declared distributions of the uncertain inputs (Monte
Carlo, Latin hypercube or Sobol'), each runs N replications on the same root seed
(common random numbers), and every tier probability and metric is reported averaged
over the uncertainty, with an interval for both the sampling of the points and the
replications (``stress.statistics.uncertainty``), the spread of its point-level values,
and how much of that spread is Monte Carlo noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stress.config.loading import Scenario
from stress.config.uncertain import ExploreSpec, check_inputs, dimensions, sample, unit_design
from stress.jobs.pipeline import Outcome, job_layout
from stress.jobs.points import PointsJob, PointTable, check_point_count
from stress.statistics.blocks import ReplicationBlocks
from stress.statistics.summary import json_safe
from stress.statistics.uncertainty import (SPREAD_QUANTILES, OverUncertainty, crossed_blocks, crossed_design,
                                           independent_points)
from stress.storage import folders

# Fewer points than this: the normal approximation of the interval is rough.
FEW_POINTS = 30
# A point-level spread that is more noise than this: the replications hide the inputs' effect.
NOISY = 0.5


def spec_of(inputs: list, design: str, samples: int, n: int, seed: int, max_points: int | None = None) -> ExploreSpec:
    return ExploreSpec(inputs=[i.as_dict() for i in inputs], design=design, samples=samples, n=n, seed=seed,
                       max_points=max_points)


class ExploreJob(PointsJob):
    kind = "explore"
    replication_sums = True

    def __init__(self, scenario: Scenario, spec: ExploreSpec, *, engine: str, records: bool = False) -> None:
        check_point_count(spec.samples, spec.max_points, "exploration")
        inputs = spec.uncertain()
        check_inputs(inputs, scenario)
        values = sample(inputs, unit_design(spec.design, spec.samples, dimensions(inputs), spec.seed))
        super().__init__(scenario, values, n=spec.n, seed=spec.seed, engine=engine, records=records,
                         what="sampled point")
        self.spec = spec
        # the means that are not counts in every replication get their interval from blocks
        outputs = job_layout(self.points).outputs
        self.blocks = ReplicationBlocks(len(values), spec.n, outputs, means=len(outputs.means))

    def manifest(self) -> dict[str, Any]:
        return {"explore": self.spec.model_dump(), **super().manifest()}

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "ExploreJob":
        return cls(cls.base_of(partial), ExploreSpec.model_validate(manifest["explore"]), engine=manifest["engine"],
                   records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> "ExploreResult":
        statistics, notes = over_uncertainty(outcome, self.spec.n, self.blocks)
        result = ExploreResult(**vars(self.point_table(outcome)), spec=self.spec, statistics=statistics, notes=notes)
        if folder is not None:
            self.write_table(folder, result, outcome)
            folders.write_csv(folder / "explore.csv", result.statistics_frame())
            folders.write_json(folder / "explore.json", result.to_dict())
        return result


def over_uncertainty(outcome: Outcome, n: int, blocks: ReplicationBlocks | None = None
                     ) -> tuple[dict[str, OverUncertainty], list[str]]:
    """Every tier probability and metric over the uncertainty, and notes on how far to
    trust them."""
    t = outcome.totals
    o = outcome.layout.outputs
    points = len(t.n)
    replication_means = t.replication_sums[:n] / points   # (N, K): each replication over the points
    out: dict[str, OverUncertainty] = {}
    for k, tier in enumerate(o.tiers):
        p = t.reached[:, k] / t.n
        out[f"{tier}_p"] = crossed_design(p, replication_means[:, k], float(t.reached[:, k].sum()), n,
                                          bounds=(0.0, 1.0))
    for j, name in enumerate(o.proportions):
        column = len(o.tiers) + j
        out[name] = crossed_design(t.flags[:, j] / t.n, replication_means[:, column], float(t.flags[:, j].sum()), n,
                                   bounds=(0.0, 1.0))
    for m, (name, source) in enumerate(zip(o.means, o.mean_columns)):
        means = t.sums[:, m] / np.maximum(t.counts[:, m], 1)
        means = np.where(t.counts[:, m] > 0, means, np.nan)
        if source in o.whole_columns and np.all(t.counts[:, m] == t.n):
            column = len(o.outcomes) + o.whole_columns.index(source)
            out[name] = crossed_design(means, replication_means[:, column], float(t.sums_sq[:, m].sum()), n)
        elif blocks is not None and m < blocks.sums.shape[2]:
            # not a whole number, or undefined in some replications: the crossed design of blocks
            out[name] = crossed_blocks(blocks.sums[:, :, m], blocks.defined[:, :, m], blocks.n)
        else:  # the points' spread alone
            with np.errstate(invalid="ignore", divide="ignore"):
                variance = (t.sums_sq[:, m] - t.counts[:, m] * means ** 2) / (t.counts[:, m] - 1) / t.counts[:, m]
            out[name] = independent_points(means[np.isfinite(means)], variance[np.isfinite(variance)])
    notes = []
    if points < FEW_POINTS:
        notes.append(f"Only {points} points: the intervals over the uncertainty rest on a normal approximation "
                     f"that needs more; use --samples {FEW_POINTS} or more.")
    for tier in o.tiers:
        s = out[f"{tier}_p"]
        if s.noise_share == s.noise_share and s.noise_share > NOISY and s.between_sd > 0:
            notes.append(f"{100 * s.noise_share:.0f}% of the spread of P({tier}) across the points is Monte Carlo "
                         f"noise, not the inputs: its quantiles mostly show the noise of {n:,} replications; "
                         f"raise -n to see the inputs' effect.")
    if any(s.method == "points" for s in out.values()):
        kept = [k for k, s in out.items() if s.method == "points"]
        notes.append(f"{', '.join(kept)}: not a count in every replication, so their intervals treat the points as "
                     f"independent (they share replications, which this ignores).")
    return out, notes


@dataclass(frozen=True)
class ExploreResult(PointTable):
    """A finished exploration: the point table, and every statistic over the uncertainty."""
    spec: ExploreSpec | None = None
    statistics: dict[str, OverUncertainty] | None = None
    notes: list[str] | None = None

    def statistics_frame(self):
        """One row per statistic: mean over the uncertainty with its interval, the
        quantiles of the point-level values, their spread and its noise share."""
        import pandas as pd
        rows = []
        for name, s in self.statistics.items():
            row = {"statistic": name, "mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high,
                   "std_error": s.std_error}
            row |= {f"q{round(100 * q):02d}": v for q, v in zip(SPREAD_QUANTILES, s.quantiles)}
            row |= {"between_sd": s.between_sd, "noise_share": s.noise_share, "interval": s.method}
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the definition, every statistic, and the notes."""
        return json_safe({
            "kind": "explore", "scenario": self.scenario, "seed": self.seed, "n": self.spec.n,
            "samples": self.spec.samples, "design": self.spec.design, "inputs": self.spec.inputs,
            "statistics": {name: {"mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high, "std_error": s.std_error,
                                  "quantiles": dict(zip((f"q{round(100 * q):02d}" for q in SPREAD_QUANTILES),
                                                        s.quantiles)),
                                  "between_sd": s.between_sd, "noise_share": s.noise_share, "interval": s.method}
                           for name, s in self.statistics.items()},
            "notes": self.notes})
