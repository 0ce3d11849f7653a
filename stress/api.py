"""The library behind the command line: everything ``stress`` does, from Python.

    >>> import stress
    >>> result = stress.run(n=2000, seed=1)
    >>> result.summary.tiers[["tier", "p_reached", "ci_low", "ci_high"]]

Each function checks its arguments, builds a job of its kind and runs it on the one
pipeline (``stress.jobs.pipeline``); the command line calls these and renders what
they return.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from stress.config.loading import load_config, load_scenario, scenario_of
from stress.config.schema import Config
from stress.engines import ENGINES
from stress.errors import UsageError
from stress.jobs.pipeline import Progress, Status, execute
from stress.jobs.pipeline import resume as resume_job

Progress2 = Callable[[int, int], None]   # replications done, planned


def as_config(config: Config | str | Path | None, overrides: Iterable[str] = ()) -> Config:
    """A ``Config`` from a config object, a scenario file, or None (the default)."""
    if isinstance(config, Config):
        return scenario_of(config, overrides).config
    return load_config(config, overrides)


def check_run_arguments(n: int, seed: int, engine: str, workers: int | None) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise UsageError(f"n must be a whole number >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"seed must be a whole number >= 0, got {seed!r}")
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise UsageError(f"workers must be a whole number >= 1, got {workers!r}")


def _replications_only(progress: Progress2 | None) -> Progress | None:
    return None if progress is None else (lambda done, total, _points_done, _points: progress(done, total))


def run(config: Config | str | Path | None = None, *, n: int = 10_000, seed: int = 0,
        engine: str = "auto", workers: int | None = None, scheduler: str | None = None,
        overrides: Iterable[str] = (), out: str | Path | None = None, results_dir: str | Path | None = None,
        keep_records: bool = False, save_records: bool = True, progress: Progress2 | None = None,
        status: Status | None = None, budget: float | None = None):
    """Run ``n`` replications of a scenario and summarise them (a ``RunResult``).

    ``out`` writes the result folder there; ``results_dir`` writes it under a fresh
    run id inside that folder; with neither, nothing is written. ``keep_records``
    returns the per-replication records as a data frame (memory grows with n);
    ``save_records`` writes them to ``records.parquet`` in the result folder."""
    from stress.jobs.run import RunJob
    cfg = as_config(config, overrides)
    check_run_arguments(n, seed, engine, workers)
    job = RunJob(cfg, n=int(n), seed=int(seed), engine=engine, records=bool(save_records))
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   keep_records=keep_records, progress=_replications_only(progress), status=status, budget=budget)


def resume(folder: str | Path, *, kind: str | None = None, workers: int | None = None,
           scheduler: str | None = None, keep_records: bool = False, progress: Progress | None = None,
           status: Status | None = None):
    """Continue an interrupted job (a run, sweep or comparison; ``kind`` insists on
    one) from its ``.partial`` folder; the result is the one an uninterrupted job would
    have given. ``progress(done, planned, points_done, points)``."""
    return resume_job(folder, kind=kind, workers=workers, scheduler=scheduler, keep_records=keep_records,
                      progress=progress, status=status)


def trace(config: Config | str | Path | None = None, *, seed: int = 0, replication: int = 0,
          overrides: Iterable[str] = ()):
    """The event timeline of one replication (SimPy engine) and its record. A
    replication expected to have more than ``cost.TRACE_BREACHES`` breaches is refused."""
    from stress.engines.simpy.replication import TraceEvent, simulate
    from stress.model import cost, records
    from stress.model.params import compile_params
    cfg = as_config(config, overrides)
    check_run_arguments(1, seed, "simpy", None)
    if isinstance(replication, bool) or not isinstance(replication, int) or replication < 0:
        raise UsageError(f"replication must be a whole number >= 0, got {replication!r}")
    names = [c.name for c in cfg.breaches.classes]
    events: list[TraceEvent] = []
    row = simulate(cost.check_trace(compile_params(cfg)), names, seed, replication, events,
                   [t.name for t in cfg.tiers])
    return events, records.layout(cfg).to_frame(row[None, :]).iloc[0]


def sweep(config: str | Path | None = None, *, grid: Mapping[str, Sequence[Any]] | Iterable[str] = (),
          design: str | None = None, samples: int | None = None,
          ranges: Mapping[str, tuple[float, float]] | Iterable[str] = (), n: int | None = None,
          seed: int | None = None, precision: float | None = None, max_n: int | None = None,
          overrides: Iterable[str] = (), engine: str = "auto", workers: int | None = None,
          scheduler: str | None = None, out: str | Path | None = None, results_dir: str | Path | None = None,
          records: bool = False, progress: Progress | None = None, status: Status | None = None,
          budget: float | None = None, max_points: int | None = None):
    """Run a parameter sweep (a ``SweepResult``): every point of a grid
    (``{"tier2.threshold": [2, 3, 4]}`` or ``["tier2.threshold=2,3,4"]``) and/or an
    LHS/Sobol design over ``ranges``, all on the same root seed. A ``[sweep]`` table in
    the scenario file supplies defaults. ``progress(done, planned, points_done, points)``."""
    from stress.config.loading import file_table
    from stress.jobs.sweep import SweepJob, spec_from_options
    spec = spec_from_options(file_table(config, "sweep"), grid, design, samples, ranges, n, seed, precision, max_n,
                             max_points, source=str(config))
    check_run_arguments(spec.n, spec.seed, engine, workers)
    job = SweepJob(load_scenario(config, overrides), spec, engine=engine, records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def explore(config: str | Path | None = None, *, samples: int = 100, n: int = 1000, design: str = "lhs",
            seed: int = 0, uncertain: Iterable[str] = (), overrides: Iterable[str] = (), engine: str = "auto",
            workers: int | None = None, scheduler: str | None = None, out: str | Path | None = None,
            results_dir: str | Path | None = None, records: bool = False, progress: Progress | None = None,
            status: Status | None = None, budget: float | None = None, max_points: int | None = None):
    """Run the scenario over its uncertain inputs (an ``ExploreResult``): ``samples``
    points drawn from the distributions of the file's ``[uncertain]`` table and of
    ``uncertain`` (``["tier2.decision_delay_hours=triangular(24, 72, 120)"]``), by ``design``
    (mc, lhs or sobol), ``n`` replications each on the same root seed. Reports every
    tier probability and metric averaged over the uncertainty with its interval, the
    spread over the points and how much of it is Monte Carlo noise."""
    from stress.jobs.explore import ExploreJob, spec_of
    scenario, inputs = _uncertain_study(config, overrides, uncertain, samples, n, design, seed, engine, workers)
    job = ExploreJob(scenario, spec_of(inputs, design, samples, n, seed, max_points), engine=engine,
                     records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def sensitivity(config: str | Path | None = None, *, method: str = "sobol", base_samples: int = 256, n: int = 1000,
                seed: int = 0, uncertain: Iterable[str] = (), overrides: Iterable[str] = (), engine: str = "auto",
                workers: int | None = None, scheduler: str | None = None, out: str | Path | None = None,
                results_dir: str | Path | None = None, records: bool = False, progress: Progress | None = None,
                status: Status | None = None, budget: float | None = None, max_points: int | None = None):
    """Global sensitivity of each tier probability and key metric to the uncertain
    inputs (a ``SensitivityResult``), by SALib: ``method`` sobol (``base_samples`` B give
    B (D + 2) points; first-order and total indices) or morris (B trajectories; mu*,
    sigma); ``n`` replications per point on the same root seed."""
    from stress.config.loading import file_table
    from stress.config.uncertain import inputs_from
    from stress.jobs.sensitivity import SensitivityJob, spec_of
    check_run_arguments(n, seed, engine, workers)
    if method not in ("sobol", "morris"):
        raise UsageError(f"method must be sobol or morris, got {method!r}")
    if isinstance(base_samples, bool) or not isinstance(base_samples, int) or base_samples < 2:
        raise UsageError(f"base_samples must be a whole number >= 2, got {base_samples!r}")
    if n < 2:
        raise UsageError(f"n must be at least 2 to estimate the noise, got {n}")
    scenario = load_scenario(config, overrides)
    inputs = inputs_from(file_table(config, "uncertain"), uncertain, scenario.source)
    job = SensitivityJob(scenario, spec_of(inputs, method, base_samples, n, seed, max_points), engine=engine,
                         records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def compare(configs: Sequence[str | Path | Config] = (), *, variants: Iterable[str] = (), n: int = 10_000,
            seed: int = 0, overrides: Iterable[str] = (), engine: str = "auto", workers: int | None = None,
            scheduler: str | None = None, out: str | Path | None = None, results_dir: str | Path | None = None,
            records: bool = False, progress: Progress2 | None = None, status: Status | None = None,
            budget: float | None = None):
    """Compare rule variants on common random numbers (a ``CompareResult``):
    ``variants=["strict: tier2.threshold=2", "lenient: tier2.threshold=5"]`` over one
    scenario, or several scenario files or configs."""
    from stress.jobs.compare import CompareJob, build_variants
    check_run_arguments(n, seed, engine, workers)
    built = build_variants(list(configs), variants, overrides)
    job = CompareJob(built, n=int(n), seed=int(seed), engine=engine, records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=_replications_only(progress), status=status, budget=budget)


def calibrate(events, *, out: str | Path | None = None, results_dir: str | Path | None = None, **options: Any):
    """Fit the breach process to an event log (``stress.calibration.calibrate``: the
    options are its keyword arguments) and, with ``out`` or ``results_dir``, write a
    result folder of kind ``calibration`` whose ``scenario.toml`` runs with
    ``stress run``. Returns the ``CalibrationResult`` (its ``path`` set when written)."""
    import dataclasses
    from stress.calibration import calibrate as fit
    from stress.storage import calibration as calibration_folder
    from stress.storage import folders
    result = fit(events, **options)
    if out is None and results_dir is None:
        return result
    began = time.perf_counter()
    partial = folders.new_folder(Path(out) if out is not None else None, "calibration", "breaches",
                                 Path(results_dir) if results_dir is not None else Path("results"))
    source = result.data.selection.source
    folders.start(partial, "calibration", "breaches", "breach clock", seed=int(options.get("seed", 0)),
                  events=str(source), options={k: _plain_option(v) for k, v in options.items()})
    calibration_folder.write(result, partial)
    return dataclasses.replace(result, path=folders.complete(partial, began))


def _plain_option(value: Any) -> Any:
    """An option as the manifest records it (JSON: text for anything else)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain_option(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_option(v) for k, v in value.items()}
    return str(value)


def discover(result: str | Path, target: str, *, method: str = "prim", threshold: float = 0.8,
             confidence: float | None = None, resamples: int = 10, seed: int = 0, mass_min: float = 0.05,
             out: str | Path | None = None, results_dir: str | Path | None = None):
    """Scenario discovery on a finished explore or sweep folder (a ``DiscoverResult``):
    the points where ``target`` holds (``"tier2_p > 0.3"``; NAME OP NUMBER joined by
    and / or) and the box of the inputs where they concentrate, by ``method`` prim (EMA
    Workbench) or cart (scikit-learn); the box reported is the one covering most cases
    at a density of at least ``threshold``. ``confidence`` classifies only the points
    whose interval is clear of the threshold; ``resamples`` random halves of the points
    test the box's stability. ``out`` or ``results_dir`` writes a result folder of kind
    ``discover``. Nothing is simulated."""
    import dataclasses
    from stress.discovery.analysis import discover as find_box
    from stress.storage import discover as discover_folder
    from stress.storage import folders
    from stress.storage.reading import as_view
    began = time.perf_counter()
    view = as_view(result)
    found = find_box(view, target, method=method, threshold=threshold, confidence=confidence, resamples=resamples,
                     seed=seed, mass_min=mass_min)
    if out is None and results_dir is None:
        return found
    partial = folders.new_folder(Path(out) if out is not None else None, "discover", view.scenario,
                                 Path(results_dir) if results_dir is not None else Path("results"))
    folders.start(partial, "discover", view.scenario, str(view.manifest.get("engine", "")), seed=seed, n=found.n,
                  source=str(view.path), source_id=view.id, source_kind=view.kind, target=target, method=method,
                  threshold=threshold, confidence=confidence, resamples=resamples, mass_min=mass_min)
    discover_folder.write(found, partial, view.configs.get(folders.CONFIG))
    return dataclasses.replace(found, path=folders.complete(partial, began))


def robust(config: str | Path | None = None, *, variants: Iterable[str], minimize: Iterable[str] = (),
           maximize: Iterable[str] = (), satisfice: str | None = None, samples: int = 100, n: int = 1000,
           design: str = "lhs", seed: int = 0, uncertain: Iterable[str] = (), overrides: Iterable[str] = (),
           engine: str = "auto", workers: int | None = None, scheduler: str | None = None,
           out: str | Path | None = None, results_dir: str | Path | None = None, records: bool = False,
           progress: Progress | None = None, status: Status | None = None, budget: float | None = None,
           max_points: int | None = None, adversary: Iterable[str] | None = None):
    """Compare rule-set variants across the uncertainty (a ``RobustResult``): each of
    ``variants`` (``["strict: tier2.threshold=2", "lenient: tier2.threshold=5"]``) runs at
    the same ``samples`` points of the uncertain inputs (as ``explore`` draws them) on the
    same ``n`` replications. For each outcome to ``minimize`` or ``maximize`` (a tier
    probability such as ``tier2_p`` or a metric), each variant's mean, worst-10% mean,
    regret against the best variant at each point (mean, 90th percentile, maximum) and
    share of points meeting ``satisfice`` (``"tier2_p < 0.5,
    p_false_escalation < 0.02"``), with the variants no other beats at every point.
    ``adversary`` (kinds of violator, or ``["worst"]`` for all) runs every variant against
    each at every point and judges each outcome under the worst of them."""
    from stress.jobs.explore import spec_of as uncertainty_of
    from stress.jobs.robust import RobustJob, spec_of
    scenario, inputs = _uncertain_study(config, overrides, uncertain, samples, n, design, seed, engine, workers)
    if isinstance(variants, str) or isinstance(minimize, str) or isinstance(maximize, str):
        raise UsageError("variants, minimize and maximize are lists (of texts and of outcome names)")
    spec = spec_of(uncertainty_of(inputs, design, samples, int(n), seed, max_points), list(variants),
                   list(minimize), list(maximize), satisfice, list(adversary) if adversary is not None else None)
    job = RobustJob(scenario, spec, engine=engine, records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def adversary(config: str | Path | None = None, *, variants: Iterable[str] = (), behaviours: Iterable[str] | None = None,
              outcome: str | None = None, worst: str = "max", search: str | None = None,
              search_points: int | None = None, n: int = 10_000, seed: int = 0, overrides: Iterable[str] = (),
              engine: str = "auto", workers: int | None = None, scheduler: str | None = None,
              out: str | Path | None = None, results_dir: str | Path | None = None, records: bool = False,
              progress: Progress | None = None, status: Status | None = None, budget: float | None = None):
    """Each variant of the plan (``["strict: tier2.threshold=2"]``; none: the scenario as
    it is) against each kind of violator (``behaviours``; default all of blind,
    threshold, learning, timing, monitoring) on the same ``n`` replications (an
    ``AdversaryResult``): per variant the ``outcome`` (default: the violator's payoff,
    from the scenario's ``[adversary.payoff]``) under each behaviour with its paired
    difference from the blind violator, and the worst behaviour for the plan (the
    highest outcome; ``worst="min"``: the lowest). ``search`` (``"adversary.threshold.margin=0:3"``)
    adds the violator's best response over a grid of one behaviour's parameter."""
    from stress.jobs.adversary import AdversaryJob, spec_of
    check_run_arguments(n, seed, engine, workers)
    if isinstance(variants, str) or isinstance(behaviours, str):
        raise UsageError("variants and behaviours are lists (of texts and of behaviour names)")
    scenario = load_scenario(config, overrides)
    spec = spec_of(scenario, list(variants), list(behaviours) if behaviours is not None else None, outcome, worst,
                   search, search_points, int(n), int(seed))
    job = AdversaryJob(scenario, spec, engine=engine, records=records)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def optimize(config: str | Path | None = None, *, levers: Iterable[str], minimize: Iterable[str] = (),
             maximize: Iterable[str] = (), constraints: Iterable[str] = (), max_replications: int = 200_000,
             n: int = 1000, max_n: int | None = None, population: int = 20, generations: int = 100, seed: int = 0,
             reference: str | Mapping[str, float] | None = None, over_uncertainty: bool = False,
             samples: int = 50, design: str = "lhs", uncertain: Iterable[str] = (), satisfice: str | None = None,
             overrides: Iterable[str] = (), engine: str = "auto", workers: int | None = None,
             scheduler: str | None = None, out: str | Path | None = None, results_dir: str | Path | None = None,
             progress: Progress | None = None, status: Status | None = None, budget: float | None = None,
             adversary: Iterable[str] | None = None):
    """Search the levers (``["tier2.threshold=1:6:int", "tier2.window_days=7:28:7"]``: any
    key ``--set`` takes, ``KEY=LOW:HIGH``, ``KEY=LOW:HIGH:int``, ``KEY=LOW:HIGH:STEP`` or
    ``KEY=V1,V2,...``) for the best trade-offs between the outcomes to ``minimize`` and
    ``maximize`` (tier probabilities and metrics; with ``over_uncertainty``, their mean,
    ``worst10.NAME`` or ``satisficing`` over ``samples`` scenarios drawn from the uncertain
    inputs), under ``constraints`` (``["p_false_escalation < 0.05"]``), with pymoo's
    NSGA-II on common random numbers, spending at most ``max_replications`` replications
    in all (an ``OptimizeResult``): each new candidate starts with ``n``, racing gives
    more (up to ``max_n``) to those whose place is in doubt, and the candidates left in
    contention are re-evaluated on fresh replications for the front, its hypervolume and
    its knee. ``adversary`` (kinds of violator, or ``["worst"]`` for all five) has every
    candidate meet each of them on the same replications, each objective and constraint
    judged under the worst of them for it (the violator's payoff,
    ``mean_violator_payoff``, can be an objective)."""
    from stress.config.loading import file_table
    from stress.config.uncertain import inputs_from
    from stress.jobs.explore import spec_of as uncertainty_of
    from stress.jobs.optimize import OptimizeJob
    from stress.optimization.spec import spec_of
    check_run_arguments(n, seed, engine, workers)
    for name, value in (("levers", levers), ("minimize", minimize), ("maximize", maximize),
                        ("constraints", constraints), ("uncertain", uncertain), ("adversary", adversary)):
        if isinstance(value, str):
            raise UsageError(f"{name} is a list of texts, got the text {value!r}")
    scenario = load_scenario(config, overrides)
    uncertainty = None
    if over_uncertainty:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
            raise UsageError(f"samples must be a whole number >= 2, got {samples!r}")
        if design not in ("mc", "lhs", "sobol"):
            raise UsageError(f"design must be one of mc, lhs, sobol, got {design!r}")
        inputs = inputs_from(file_table(config, "uncertain"), uncertain, scenario.source)
        uncertainty = uncertainty_of(inputs, design, samples, int(n), seed)
    elif list(uncertain):
        raise UsageError("uncertain inputs are used with over_uncertainty (--over-uncertainty)")
    spec = spec_of(list(levers), list(minimize), list(maximize), list(constraints), satisfice, max_replications,
                   int(n), max_n, population, generations, int(seed),
                   dict(reference) if isinstance(reference, Mapping) else reference, uncertainty,
                   list(adversary) if adversary is not None else None)
    job = OptimizeJob(scenario, spec, engine=engine)
    return execute(job, out=out, results_dir=results_dir, workers=workers, scheduler=scheduler,
                   progress=progress, status=status, budget=budget)


def _uncertain_study(config, overrides, uncertain, samples, n, design, seed, engine, workers):
    """The checks and inputs explore and robust share: the scenario and its uncertain inputs."""
    from stress.config.loading import file_table
    from stress.config.uncertain import inputs_from
    check_run_arguments(n, seed, engine, workers)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise UsageError(f"samples must be a whole number >= 2, got {samples!r}")
    if n < 2:
        raise UsageError(f"n must be at least 2 to separate noise from the inputs' effect, got {n}")
    if design not in ("mc", "lhs", "sobol"):
        raise UsageError(f"design must be one of mc, lhs, sobol, got {design!r}")
    scenario = load_scenario(config, overrides)
    return scenario, inputs_from(file_table(config, "uncertain"), uncertain, scenario.source)
