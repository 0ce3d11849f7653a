"""A run: N replications of one scenario, summarised (``stress run``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stress.config.loading import read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.jobs.pipeline import Job, Outcome, point_of, write_records
from stress.statistics.summary import CURVE_FIELDS, METRIC_FIELDS, TIER_FIELDS, RunSummary, point_summary
from stress.storage import folders


@dataclass(frozen=True)
class RunResult:
    """A finished run: its summary, and where it was written (if it was)."""
    summary: RunSummary
    config: Config
    path: Path | None = None
    records: Any = None       # a data frame of the records, when asked for

    def to_frame(self):
        return self.summary.to_frame()


class RunJob(Job):
    kind = "run"

    def __init__(self, config: Config, *, n: int, seed: int, engine: str, records: bool = True) -> None:
        super().__init__([point_of(config)], scenario=config.scenario.name, n=n, seed=seed, engine=engine,
                         records=records)
        self.config = config

    def curve_points(self) -> set[int]:
        return {0}

    def write_inputs(self, partial: Path) -> None:
        folders.atomic_write(partial / folders.CONFIG, config_to_toml(self.config))

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "RunJob":
        raw, source = read_raw(partial / folders.CONFIG)
        return cls(validate(raw, source), n=manifest["n"], seed=manifest["seed"], engine=manifest["engine"],
                   records=manifest["records"])

    def finish(self, outcome: Outcome, folder: Path | None) -> RunResult:
        config = self.config
        summary = point_summary(0, outcome.tiers, outcome.metrics, n=int(outcome.totals.n[0]), seed=self.seed,
                                engine=self.engine, scenario=config.scenario.name, horizon=config.scenario.horizon_days * 24.0,
                                curve=outcome.totals.curves.get(0))
        frame = outcome.records.frame(0) if outcome.records.keep_in_memory else None
        if folder is not None:
            if self.records:
                write_records(folder, outcome)
            write_summary(folder, summary)
        return RunResult(summary, config, None, frame)


def write_summary(folder: Path, summary: RunSummary) -> None:
    """``summary.json`` and the three CSV tables of a run."""
    folders.atomic_write(folder / "summary.json", summary.to_json(indent=2) + "\n")
    folders.atomic_write(folder / "tiers.csv", folders.csv_text(TIER_FIELDS, summary.tier_rows))
    folders.atomic_write(folder / "metrics.csv", folders.csv_text(METRIC_FIELDS, summary.metric_rows))
    columns = summary.curve_columns
    rows = [dict(zip(CURVE_FIELDS, values)) for values in zip(*(columns[f].tolist() for f in CURVE_FIELDS))]
    folders.atomic_write(folder / "curves.csv", folders.csv_text(CURVE_FIELDS, rows))
