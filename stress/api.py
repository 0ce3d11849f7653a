"""The library behind the command line: everything ``stress`` does, from Python.

    >>> import stress
    >>> result = stress.run(n=2000, seed=1)
    >>> result.summary.tiers[["tier", "p_reached", "ci_low", "ci_high"]]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from stress.storage import folders as store
from stress.config.loading import load_config, read_raw, validate
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.engines import ENGINES
from stress.model import records
from stress.model.params import compile_params
from stress.execution.ordered import ordered_results
from stress.execution.pools import CHUNK, chunk_tasks, default_workers, make_pool, running
from stress.statistics.summary import Accumulator, RunSummary, summarize

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunResult:
    """A finished run: its summary, and where it was written (if it was)."""
    summary: RunSummary
    config: Config
    path: Path | None = None
    records: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.summary.to_frame()


def as_config(config: Config | str | Path | None, overrides: Iterable[str] = ()) -> Config:
    """A ``Config`` from a config object, a scenario file, or None (the default)."""
    overrides = list(overrides)
    if isinstance(config, Config):
        if not overrides:
            return config
        from stress.config.loading import apply_overrides, parse_assignment
        assignments = [parse_assignment(o) for o in overrides]
        return validate(apply_overrides(config.model_dump(exclude_none=True), assignments),
                        "<config>", [k for k, _ in assignments])
    return load_config(config, overrides)


def check_run_arguments(n: int, seed: int, engine: str, workers: int | None) -> None:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")


def run(config: Config | str | Path | None = None, *, n: int = 10_000, seed: int = 0,
        engine: str = "fast", workers: int | None = None, overrides: Iterable[str] = (),
        out: str | Path | None = None, results_dir: str | Path | None = None,
        keep_records: bool = False, save_records: bool = True,
        progress: Progress | None = None) -> RunResult:
    """Run ``n`` replications of a scenario and summarise them.

    ``out`` writes the result folder there; ``results_dir`` writes it under a fresh
    run id inside that folder; with neither, nothing is written. ``keep_records``
    returns the per-replication records as a data frame (memory grows with n);
    ``save_records`` writes them to ``records.parquet`` in the result folder."""
    cfg = as_config(config, overrides)
    check_run_arguments(n, seed, engine, workers)
    partial = None
    if out is not None or results_dir is not None:
        partial = store.new_folder(Path(out) if out is not None else None, "run", cfg.scenario.name,
                                   Path(results_dir) if results_dir is not None else Path("results"))
        store.atomic_write(partial / store.CONFIG, config_to_toml(cfg))
        store.start(partial, "run", cfg.scenario.name, engine, n=int(n), seed=int(seed),
                    workers=workers or default_workers(), chunk_size=CHUNK, records=bool(save_records))
    return _complete(cfg, partial, n, seed, engine, workers, keep_records, save_records, progress)


def resume(folder: str | Path, *, workers: int | None = None, progress: Progress | None = None,
           keep_records: bool = False) -> RunResult:
    """Continue an interrupted run from its ``.partial`` folder; the result is the one
    an uninterrupted run would have given."""
    partial = Path(folder)
    manifest = store.open_partial(partial, "run")
    raw, source = read_raw(partial / store.CONFIG)
    cfg = validate(raw, source)
    return _complete(cfg, partial, manifest["n"], manifest["seed"], manifest["engine"], workers,
                     keep_records, manifest["records"], progress)


def _complete(cfg: Config, partial: Path | None, n: int, seed: int, engine: str, workers: int | None,
              keep_records: bool, save_records: bool, progress: Progress | None) -> RunResult:
    began = time.perf_counter()
    params = compile_params(cfg)
    names = [c.name for c in cfg.breaches.classes]
    want_values = keep_records or (partial is not None and save_records)
    tasks = chunk_tasks(0, engine, params, names, seed, n, want_values)
    acc = Accumulator(params.horizon, len(names))
    kept: list[np.ndarray] = []
    writer = None
    try:
        with running(make_pool(workers, None, engine, len(tasks)), partial) as pool:
            done = 0
            for result in ordered_results(tasks, partial, pool):
                acc.add(result.tally)
                if result.values is not None:
                    if keep_records:
                        kept.append(result.values)
                    if partial is not None and save_records:
                        writer = _write_records(writer, partial, result.values, names)
                done += result.tally.n
                if progress is not None:
                    progress(done, n)
    finally:
        if writer is not None:
            writer.close()
    summary = summarize(acc, names, seed, engine, cfg.scenario.name)
    frame = records.to_frame(np.concatenate(kept), names) if keep_records else None
    if partial is None:
        return RunResult(summary, cfg, None, frame)
    if writer is not None:
        (partial / ".records.parquet").replace(partial / "records.parquet")
    _write_summary(partial, summary)
    return RunResult(summary, cfg, store.complete(partial, began), frame)


def _write_records(writer, partial: Path, values: np.ndarray, names: list[str]):
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pandas(records.to_frame(values, names), preserve_index=False)
    if writer is None:
        writer = pq.ParquetWriter(partial / ".records.parquet", table.schema)
    writer.write_table(table)
    return writer


def _write_summary(folder: Path, summary: RunSummary) -> None:
    store.atomic_write(folder / "summary.json", summary.to_json(indent=2) + "\n")
    store.atomic_write(folder / "tiers.csv", summary.tiers.to_csv(index=False))
    store.atomic_write(folder / "metrics.csv", summary.metrics.to_csv(index=False))
    store.atomic_write(folder / "curves.csv", summary.curves.to_csv(index=False))


def trace(config: Config | str | Path | None = None, *, seed: int = 0, replication: int = 0,
          overrides: Iterable[str] = ()):
    """The event timeline of one replication (SimPy engine) and its record."""
    from stress.engines.simpy.replication import TraceEvent, simulate
    cfg = as_config(config, overrides)
    check_run_arguments(1, seed, "simpy", None)
    if not isinstance(replication, int) or replication < 0:
        raise ValueError(f"replication must be a whole number >= 0, got {replication!r}")
    names = [c.name for c in cfg.breaches.classes]
    events: list[TraceEvent] = []
    row = simulate(compile_params(cfg), names, seed, replication, events)
    return events, records.to_frame(row[None, :], names).iloc[0]


def sweep(config: str | Path | None = None, *, grid: Mapping[str, Sequence[Any]] | Iterable[str] = (),
          design: str | None = None, samples: int | None = None,
          ranges: Mapping[str, tuple[float, float]] | Iterable[str] = (), n: int | None = None,
          seed: int | None = None, precision: float | None = None, max_n: int | None = None,
          overrides: Iterable[str] = (), engine: str = "fast", workers: int | None = None,
          scheduler: str | None = None, out: str | Path | None = None, results_dir: str | Path | None = None,
          progress=None):
    """Run a parameter sweep: every point of a grid (``{"tier2.threshold": [2, 3, 4]}`` or
    ``["tier2.threshold=2,3,4"]``) and/or an LHS/Sobol design over ``ranges``, all on the
    same root seed. A ``[sweep]`` table in the scenario file supplies defaults."""
    from stress.jobs.sweep import file_sweep_spec, run_sweep, spec_from_options
    grid_texts = [f"{k}={','.join(_toml_literal(v) for v in vals)}" for k, vals in grid.items()] \
        if isinstance(grid, Mapping) else list(grid)
    range_texts = [f"{k}={lo}:{hi}" for k, (lo, hi) in ranges.items()] if isinstance(ranges, Mapping) else list(ranges)
    spec = spec_from_options(file_sweep_spec(config), grid_texts, design, samples, range_texts, n, seed,
                             precision, max_n)
    check_run_arguments(spec.n, spec.seed, engine, workers)
    return run_sweep(config, spec, overrides=overrides, engine=engine, workers=workers, scheduler=scheduler,
                     out=Path(out) if out is not None else None,
                     results_dir=Path(results_dir) if results_dir is not None else None, progress=progress)


def _toml_literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def compare(configs: Sequence[str | Path] = (), *, variants: Iterable[str] = (), n: int = 10_000, seed: int = 0,
            overrides: Iterable[str] = (), engine: str = "fast", workers: int | None = None,
            scheduler: str | None = None, out: str | Path | None = None, results_dir: str | Path | None = None,
            progress=None):
    """Compare rule variants on common random numbers: ``variants=["strict: tier2.threshold=2",
    "lenient: tier2.threshold=5"]`` over one scenario, or several scenario files."""
    from stress.jobs.compare import build_variants, run_compare
    check_run_arguments(n, seed, engine, workers)
    built = build_variants(list(configs), variants, overrides)
    return run_compare(built, n=n, seed=seed, engine=engine, workers=workers, scheduler=scheduler,
                       out=Path(out) if out is not None else None,
                       results_dir=Path(results_dir) if results_dir is not None else None, progress=progress)
