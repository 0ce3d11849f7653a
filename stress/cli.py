"""The ``stress`` command line: parse, call one library function, render."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Callable, List, Optional

import typer
from rich.console import Console

from stress import kinds


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Monte Carlo stress-testing of tiered responses to ceasefire violations.\n\n"
         "The commands that simulate (run, trace, sweep, compare, explore, sensitivity, robust, "
         "adversary, optimize, serve) take a scenario file (TOML); without one they use the packaged default, "
         "the tiered response plan. calibrate reads an event log. Results go to a folder under results/, "
         "which show, export, plot, report and discover read.",
)
# Piped or redirected output is not cut to 80 columns: tables stay one line per row.
class _Stdout(Console):
    def on_broken_pipe(self) -> None:
        # the reader stopped reading (stress ... | head -1): it has what it wanted, so
        # end quietly and successfully (rich's own choice is exit code 1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0)


# No markup and no emoji codes: the terminal shows names, keys, paths and values from
# the user and from files, and "[/]" or ":x:" in them must print as written.
out_console = _Stdout(markup=False, emoji=False) if sys.stdout.isatty() else \
    _Stdout(width=160, markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)

CONFIG_ARG = typer.Argument(None, help="Scenario file (TOML). Default: the packaged plan scenario.",
                            show_default=False)
SET_OPT = typer.Option(None, "--set", metavar="KEY=VALUE",
                       help="Override a config key, e.g. --set tier2.threshold=4 (repeatable).")
BUDGET_OPT = typer.Option(None, "--budget", metavar="HOURS", min=0.0,
                          help="Refuse a job estimated to need more CPU hours than this (default 4).")
MAX_POINTS_OPT = typer.Option(None, "--max-points", min=1,
                              help="Refuse a study of more points than this (default 100,000).")
SEED_OPT = typer.Option(0, "--seed", min=0, help="Root seed; the same seed gives the same numbers.")
def _cap_workers(workers: Optional[int]) -> Optional[int]:
    """--workers beyond what the machine can use is capped (the pool caps it), saying so."""
    if workers is not None:
        from stress.execution.pools import MAX_WORKERS_PER_CORE, default_workers, max_workers
        if workers > max_workers():
            err_console.print(f"note: --workers {workers}: using {max_workers()}, {MAX_WORKERS_PER_CORE} per core of "
                              f"the {default_workers()} this process may use (more would only wait for one another)",
                              highlight=False, soft_wrap=True)
    return workers


WORKERS_OPT = typer.Option(None, "--workers", min=1, callback=_cap_workers,
                           help="Worker processes (default: all cores; at most 2 per core).")
ENGINE_OPT = typer.Option("auto", "--engine",
                          help="fast (compiled), simpy (the reference model) or auto: fast, except for jobs the "
                               "SimPy engine finishes before the compiled one has loaded (the records are the same).")
# Shared by the commands over many points (sweep, compare, explore, sensitivity, robust) and the analyses.
SAMPLES_OPT = typer.Option(100, "--samples", min=2, help="Points drawn from the uncertain inputs.")
DESIGN_OPT = typer.Option("lhs", "--design", help="How points are drawn: mc, lhs (Latin hypercube) or sobol.")
POINT_RECORDS_OPT = typer.Option(False, "--records/--no-records",
                                 help="Write every replication's record (Parquet, with a point column).")
OUT_OPT = typer.Option(None, "--out", help="Write the result folder here instead of results/<id>/.")


def fail(message: str) -> None:
    from rich.text import Text
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def handles_errors(command: Callable) -> Callable:
    """Bad input (a ``UserError``) -> one clear message on stderr and exit code 2, never
    a traceback; anything else is a bug in stress and says so, traceback and all."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from stress.errors import UserError
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            fail(str(exc))
        except BrokenPipeError:
            raise  # the reader stopped reading (| head): main() ends quietly
        except OSError as exc:  # a folder that cannot be created or written, a full disk
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt as exc:
            partial = getattr(exc, "partial", None)
            if partial is not None:
                err_console.print(f"{_interrupted()}: what finished is kept in {partial}; continue it with "
                                  f"stress {command.__name__} --resume {partial}", highlight=False, soft_wrap=True)
            else:
                err_console.print(_interrupted(), highlight=False)
            raise typer.Exit(128 + _stopped_by[-1])
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception:
            import traceback
            traceback.print_exc()
            err_console.print("error: this is a bug in stress, not a problem with your input; please report it "
                              "with the traceback above", highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    return wrapper


def progress_bar(label: str, enabled: bool):
    """A rich progress bar on a terminal; nothing when stderr is not one."""
    from contextlib import nullcontext
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TextColumn("replications"),
                    TimeRemainingColumn(), console=err_console, transient=True)


def _updater(bar, label: str):
    """progress(done, planned[, points_done, points]) for the bar (None without one)."""
    if bar is None:
        return None
    task = bar.add_task(label, total=1)

    def update(done: int, planned: int, points_done: int | None = None, points: int | None = None) -> None:
        description = label if points is None or points <= 1 else f"{label} points {points_done}/{points}"
        bar.update(task, completed=done, total=planned, description=description)
    return update


def _status(interactive: bool):
    """Shows a slow step (the first compile) on a terminal."""
    from contextlib import nullcontext
    return (lambda message: err_console.status(message)) if interactive else (lambda message: nullcontext())


def _job(ctx: typer.Context, kind: str, resume: Optional[Path], workers: Optional[int], scheduler: Optional[str],
         start: Callable[..., object], label: str | None = None):
    """A job on the pipeline, with a progress bar: continued from its ``--resume`` folder
    (options that would change it refused), or begun by ``start(progress=, status=)``."""
    import stress
    interactive = err_console.is_terminal
    if resume is not None:
        _refuse_changes_on_resume(ctx)
    with progress_bar("", interactive) as bar:
        live = dict(progress=_updater(bar, "resuming" if resume is not None else label or kind),
                    status=_status(interactive))  # the bar and the slow steps' messages
        if resume is not None:
            return stress.resume(resume, kind=kind, workers=workers, scheduler=scheduler, **live)
        return start(**live)


RESUME_OPTIONS = ("resume", "workers", "scheduler", "as_json", "ctx")


def _refuse_changes_on_resume(ctx) -> None:
    """--resume continues the job as it was started: an option that would change it is
    refused, naming it, rather than silently ignored."""
    from stress.errors import UsageError
    given, kept = [], []
    for param in ctx.command.params:
        if param.name in RESUME_OPTIONS and param.opts and param.name != "resume":
            kept.append(param.opts[0])
        if param.name in RESUME_OPTIONS:
            continue
        source = ctx.get_parameter_source(param.name)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            given.append(param.opts[0] if param.opts else param.name)
    if given:
        raise UsageError(f"--resume continues the job exactly as it was started, so it takes no "
                         f"{', '.join(given)} (with --resume: {', '.join(kept[:-1])} and {kept[-1]} only)")


def _finished(result, as_json: bool, render_table: Callable, json_text: Callable) -> None:
    """The result on stdout (a table, or JSON and nothing else), where it went on stderr."""
    if as_json:
        typer.echo(json_text(result))
    else:
        render_table(out_console, result)
    for note in getattr(result, "notes", None) or []:
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True)
    err_console.print(f"results: {result.path}", highlight=False)


@app.command()
@handles_errors
def run(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    n: int = typer.Option(10_000, "-n", "--replications", min=1, help="Number of replications."),
    seed: int = SEED_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = typer.Option(None, "--out", help="Write the result folder here instead of results/<run-id>/."),
    records: bool = typer.Option(True, "--records/--no-records", help="Write per-replication records (Parquet)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted run from its .partial folder."),
    budget: Optional[float] = BUDGET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout, nothing else."),
) -> None:
    """Run N replications of a scenario and report escalation statistics."""
    import stress
    cfg = stress.as_config(config, set_ or []) if resume is None else None
    result = _job(ctx, "run", resume, workers, None, lambda **live: stress.run(
        cfg, n=n, seed=seed, engine=engine, workers=workers, out=out, results_dir=None if out else
        Path("results"), save_records=records, budget=budget, **live), cfg and cfg.scenario.name)
    from stress.output import render
    _finished(result, as_json, lambda console, r: render.run_summary(console, r.summary),
              lambda r: r.summary.to_json(indent=2))


@app.command()
@handles_errors
def trace(
    config: Optional[Path] = CONFIG_ARG,
    seed: int = SEED_OPT,
    replication: int = typer.Option(0, "--replication", "-r", min=0, help="Replication index within the run."),
    set_: Optional[List[str]] = SET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the timeline and record as JSON."),
) -> None:
    """Print the event timeline of one replication, to audit why a tier was reached.

    It is replication I of `stress run` with the same seed: same record, either engine."""
    import stress
    events, record = stress.trace(config, seed=seed, replication=replication,
                                  overrides=set_ or [])
    from stress.output import render
    from stress.statistics.summary import json_row
    if as_json:
        typer.echo(json.dumps({"events": [e._asdict() for e in events],
                               "record": json_row(record.to_dict())}, indent=2))
        return
    render.trace(out_console, events, record)


SCHEDULER_OPT = typer.Option(
    None, "--scheduler", metavar="ADDRESS",
    help="Run on a Dask cluster: tcp://HOST:PORT, or 'local' for a LocalCluster with a dashboard "
         '(needs pip install ".[cluster]"). Results are identical to a local run.')


@app.command()
@handles_errors
def sweep(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    grid: Optional[List[str]] = typer.Option(None, "--grid", metavar="KEY=VALUES",
                                             help="An axis: KEY=v1,v2,... or KEY=low:high:step (repeatable)."),
    design: Optional[str] = typer.Option(None, "--design", help="Sample --range keys with 'lhs' or 'sobol'."),
    samples: Optional[int] = typer.Option(None, "--samples", min=1, help="Points drawn by --design."),
    range_: Optional[List[str]] = typer.Option(None, "--range", metavar="KEY=LOW:HIGH",
                                               help="A range for --design (repeatable)."),
    n: Optional[int] = typer.Option(None, "-n", "--replications", min=1, help="Replications per point (default 2000)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Root seed, the same at every point (default 0)."),
    precision: Optional[float] = typer.Option(None, "--precision",
                                              help="Add replications until every tier probability's 95% half-width is at most this."),
    max_n: Optional[int] = typer.Option(None, "--max-n", min=1, help="At most this many replications per point with --precision."),
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = typer.Option(None, "--out", help="Write the result folder here instead of results/<sweep-id>/."),
    records: bool = POINT_RECORDS_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted sweep from its .partial folder."),
    budget: Optional[float] = BUDGET_OPT,
    max_points: Optional[int] = MAX_POINTS_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the table as a JSON list of rows on stdout."),
) -> None:
    """Run N replications at every point of a parameter grid or design (common random numbers).

    A [sweep] table in the scenario file (grid, design, samples, ranges, n, seed,
    precision, max_n) is used as the default definition."""
    import stress
    result = _job(ctx, "sweep", resume, workers, scheduler, lambda **live: stress.sweep(
        config, grid=grid or [], design=design, samples=samples, ranges=range_ or [], n=n, seed=seed,
        precision=precision, max_n=max_n, overrides=set_ or [], engine=engine, workers=workers,
        scheduler=scheduler, out=out, results_dir=None if out else Path("results"), records=records,
        budget=budget, max_points=max_points, **live))
    from stress.output import render
    _finished(result, as_json, render.sweep_table, lambda r: r.json_text().rstrip("\n"))


@app.command()
@handles_errors
def compare(
    ctx: typer.Context,
    configs: Optional[List[Path]] = typer.Argument(None, metavar="CONFIG", show_default=False,
                                                   help="Scenario file(s): one base for --variant, or one per variant."),
    variant: Optional[List[str]] = typer.Option(None, "--variant", metavar='"NAME: KEY=VALUE, ..."',
                                                help="A variant of the base scenario (repeatable; the first is the reference)."),
    n: int = typer.Option(10_000, "-n", "--replications", min=1, help="Replications per variant."),
    seed: int = SEED_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    records: bool = POINT_RECORDS_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted comparison from its .partial folder."),
    budget: Optional[float] = BUDGET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON on stdout."),
) -> None:
    """Compare rule variants on common random numbers: paired differences, McNemar tests."""
    import stress
    result = _job(ctx, "compare", resume, workers, scheduler, lambda **live: stress.compare(
        list(configs or []), variants=variant or [], n=n, seed=seed, overrides=set_ or [], engine=engine,
        workers=workers, scheduler=scheduler, out=out, results_dir=None if out else Path("results"),
        records=records, budget=budget, **live))
    from stress.output import render
    _finished(result, as_json, render.compare_table, lambda r: json.dumps(r.to_dicts(), indent=2))


RESULT_ARG = typer.Argument(..., help="A result folder written by any stress command "
                                      f"({', '.join(k.made_by for k in kinds.REGISTRY.values())}).",
                            show_default=False)


@app.command()
@handles_errors
def export(
    result: Path = RESULT_ARG,
    format_: Optional[str] = typer.Option(None, "--format", "-f",
                                          help="csv, parquet, json, markdown, latex or xlsx "
                                               "(default: from --out's suffix, else markdown)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write this file (needed for parquet and xlsx) "
                                                           "instead of printing."),
    metrics: Optional[str] = typer.Option(None, "--metrics", metavar="NAME,...",
                                          help="Only these statistics, in this order ('all': every one; "
                                               "markdown and latex show the headline ones by default)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --out file if it exists."),
) -> None:
    """Export the table of a result (any kind), for papers and scripts."""
    from stress.output import tables
    names = [m.strip() for m in metrics.split(",") if m.strip()] if metrics is not None else None
    written = tables.export(result, format_, out=out, metrics=names, force=force)
    typer.echo(written if out is not None else written.rstrip("\n"))


@app.command()
@handles_errors
def results(
    folder: Path = typer.Option(Path("results"), "--dir", help="The folder holding result folders."),
) -> None:
    """List the result folders: id, kind, status, scenario, N, date and headline numbers."""
    from stress.output import listing, render
    render.result_list(out_console, listing.results(folder), folder)


@app.command()
@handles_errors
def show(result: Path = RESULT_ARG) -> None:
    """Print a result's table again, from its folder, without recomputing."""
    from stress.storage import reading as folders
    from stress.output import render
    render.stored_result(out_console, folders.load_result(result))


@app.command()
@handles_errors
def plot(
    result: Path = RESULT_ARG,
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the PNG and SVG files "
                                                           "(default: RESULT_DIR/plots/)."),
) -> None:
    """Plot a result: tier curves of a run, a sweep's tiers against its parameters, a comparison's differences,
    and the figures of every other kind."""
    from stress.output import plots
    for path in plots.plot(result, out=out):
        typer.echo(path)


@app.command()
@handles_errors
def report(
    result: Path = RESULT_ARG,
    out: Optional[Path] = typer.Option(None, "--out", help="The HTML file to write (default: RESULT_DIR/report.html)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the --out file if it exists."),
) -> None:
    """Write one self-contained HTML report (tables, plots, a plain reading, the STRESS-DES checklist answered,
    config, manifest)."""
    from stress.output import reports
    typer.echo(reports.report(result, out=out, force=force))


UNCERTAIN_OPT = typer.Option(None, "--uncertain", metavar="KEY=DIST(ARGS)",
                             help="An uncertain input, e.g. tier3.delay_hours=triangular(24, 72, 120) or "
                                  "tier1.min_class=choice(minor, major) (repeatable; adds to the file's [uncertain]).")


def _study_result(result, as_json: bool, json_text: Callable) -> None:
    """Print a finished study (read back from its folder) or its JSON; where it went on stderr."""
    if as_json:
        typer.echo(json_text(result))
    else:
        from stress.output import render
        from stress.storage.reading import load_result
        render.stored_result(out_console, load_result(result.path))
    err_console.print(f"results: {result.path}", highlight=False)


@app.command()
@handles_errors
def explore(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    samples: int = SAMPLES_OPT,
    n: int = typer.Option(1000, "-n", "--replications", min=2, help="Replications per point."),
    design: str = DESIGN_OPT,
    seed: int = SEED_OPT,
    uncertain: Optional[List[str]] = UNCERTAIN_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    records: bool = POINT_RECORDS_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted exploration."),
    budget: Optional[float] = BUDGET_OPT,
    max_points: Optional[int] = MAX_POINTS_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print every statistic over the uncertainty as JSON."),
) -> None:
    """Run the scenario over its uncertain inputs: each tier probability and metric averaged
    over everything considered plausible, with its spread and its Monte Carlo noise."""
    import stress
    result = _job(ctx, "explore", resume, workers, scheduler, lambda **live: stress.explore(
        config, samples=samples, n=n, design=design, seed=seed, uncertain=uncertain or [], overrides=set_ or [],
        engine=engine, workers=workers, scheduler=scheduler, out=out, results_dir=None if out else
        Path("results"), records=records, budget=budget, max_points=max_points, **live))
    _study_result(result, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def sensitivity(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    method: str = typer.Option("sobol", "--method", help="sobol (first-order and total indices) or morris "
                                                         "(screening: mu*, sigma)."),
    base_samples: int = typer.Option(256, "--base-samples", min=2,
                                     help="Sobol: base samples B (B x (inputs + 2) points); Morris: trajectories."),
    n: int = typer.Option(1000, "-n", "--replications", min=2, help="Replications per point."),
    seed: int = SEED_OPT,
    uncertain: Optional[List[str]] = UNCERTAIN_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    records: bool = POINT_RECORDS_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted sensitivity study."),
    budget: Optional[float] = BUDGET_OPT,
    max_points: Optional[int] = MAX_POINTS_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the ranked inputs of every output as JSON."),
) -> None:
    """Global sensitivity: which uncertain inputs drive each tier probability and key metric
    (SALib's Sobol' indices or Morris screening, with the Monte Carlo noise accounted for)."""
    import stress
    result = _job(ctx, "sensitivity", resume, workers, scheduler, lambda **live: stress.sensitivity(
        config, method=method, base_samples=base_samples, n=n, seed=seed, uncertain=uncertain or [],
        overrides=set_ or [], engine=engine, workers=workers, scheduler=scheduler, out=out, results_dir=None if
        out else Path("results"), records=records, budget=budget, max_points=max_points, **live))
    _study_result(result, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def discover(
    result: Path = typer.Argument(..., help="A finished explore or sweep result folder.", show_default=False),
    target: str = typer.Option(..., "--target", metavar="EXPR",
                               help="The cases of interest per point, from its outputs: NAME OP NUMBER (OP: < <= > "
                                    ">=) joined by and / or, e.g. \"p_tier3_objective_first > 0.1\"."),
    method: str = typer.Option("prim", "--method", help="prim (EMA Workbench) or cart (scikit-learn)."),
    threshold: float = typer.Option(0.8, "--threshold",
                                    help="The density the box must reach (share of its points that are cases); "
                                         "the box covering most cases at that density is reported."),
    confidence: Optional[float] = typer.Option(None, "--confidence",
                                               help="Classify a point only when its interval at this confidence is "
                                                    "clear of the threshold (e.g. 0.95); others are left out."),
    resamples: int = typer.Option(10, "--resamples", min=0, help="Random halves of the points to test the box on."),
    mass_min: float = typer.Option(0.05, "--mass-min", help="The smallest share of the points a box may hold."),
    seed: int = SEED_OPT,
    out: Optional[Path] = OUT_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the box, its trajectory and stability as JSON."),
) -> None:
    """Scenario discovery: under which combinations of the inputs do the points of an explore
    or sweep meet a target? PRIM's (or CART's) box, with the points' Monte Carlo noise."""
    import stress
    with _status(err_console.is_terminal)("Finding the box (the first time also loads EMA Workbench)"):
        found = stress.discover(result, target, method=method, threshold=threshold, confidence=confidence,
                                resamples=resamples, seed=seed, mass_min=mass_min, out=out,
                                results_dir=None if out else Path("results"))
    _study_result(found, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def robust(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    variant: Optional[List[str]] = typer.Option(None, "--variant", metavar="'NAME: KEY=VALUE, ...'",
                                                help="A rule-set variant (repeatable, at least two)."),
    minimize: Optional[List[str]] = typer.Option(None, "--minimize", metavar="NAME",
                                                 help="An outcome to minimise: a tier probability (tier3_p) or a "
                                                      "metric (p_false_escalation) (repeatable)."),
    maximize: Optional[List[str]] = typer.Option(None, "--maximize", metavar="NAME",
                                                 help="An outcome to maximise (repeatable)."),
    satisfice: Optional[str] = typer.Option(None, "--satisfice", metavar="CRITERIA",
                                            help="What a variant must meet at a point, e.g. "
                                                 "\"p_tier3_objective_first < 0.05, p_false_escalation < 0.02\"."),
    samples: int = SAMPLES_OPT,
    n: int = typer.Option(1000, "-n", "--replications", min=2, help="Replications per point and variant."),
    design: str = DESIGN_OPT,
    seed: int = SEED_OPT,
    uncertain: Optional[List[str]] = UNCERTAIN_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    records: bool = POINT_RECORDS_OPT,
    adversary: Optional[List[str]] = typer.Option(None, "--adversary", metavar="BEHAVIOUR",
                                                  help="A kind of violator every variant meets (repeatable; 'worst': "
                                                       "all of them); each outcome is judged under the worst."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted robustness study."),
    budget: Optional[float] = BUDGET_OPT,
    max_points: Optional[int] = MAX_POINTS_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the regret table as JSON."),
) -> None:
    """Robustness of rule-set variants across the uncertainty: mean, worst 10%, regret against
    the best variant at each point and the share of points meeting your criteria, on the same
    points and replications for every variant."""
    import stress
    result = _job(ctx, "robust", resume, workers, scheduler, lambda **live: stress.robust(
        config, variants=variant or [], minimize=minimize or [], maximize=maximize or [], satisfice=satisfice,
        samples=samples, n=n, design=design, seed=seed, uncertain=uncertain or [], overrides=set_ or [],
        engine=engine, workers=workers, scheduler=scheduler, out=out, results_dir=None if out else
        Path("results"), records=records, budget=budget, max_points=max_points, adversary=adversary or None,
        **live))
    _study_result(result, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def adversary(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    variant: Optional[List[str]] = typer.Option(None, "--variant", metavar="'NAME: KEY=VALUE, ...'",
                                                help="A variant of the plan (repeatable; none: the scenario as it is)."),
    behaviour: Optional[List[str]] = typer.Option(None, "--behaviour", metavar="NAME",
                                                  help="A kind of violator: blind, threshold, learning, timing or "
                                                       "monitoring (repeatable; default: all; blind always runs)."),
    outcome: Optional[str] = typer.Option(None, "--outcome", metavar="NAME",
                                          help="What judges the plan: a tier probability or a metric (default: "
                                               "mean_violator_payoff, from the scenario's [adversary.payoff])."),
    worst: str = typer.Option("max", "--worst", help="max: the plan does worse the higher the outcome; min: the "
                                                     "lower."),
    search: Optional[str] = typer.Option(None, "--search", metavar="adversary.BEHAVIOUR.PARAMETER=LOW:HIGH",
                                         help="The violator's best response over a grid of one of its parameters."),
    search_points: Optional[int] = typer.Option(None, "--search-points", min=2, max=101,
                                                help="Values in the search's grid (default 7)."),
    n: int = typer.Option(10_000, "-n", "--replications", min=2, help="Replications per variant and behaviour."),
    seed: int = SEED_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    records: bool = POINT_RECORDS_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted adversary study."),
    budget: Optional[float] = BUDGET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the behaviours' table as JSON."),
) -> None:
    """The plan against violators that read it: each variant against each kind of violator on
    the same replications, the worst for the plan, and (--search) the violator's best response."""
    import stress
    result = _job(ctx, "adversary", resume, workers, scheduler, lambda **live: stress.adversary(
        config, variants=variant or [], behaviours=behaviour or None, outcome=outcome, worst=worst,
        search=search, search_points=search_points, n=n, seed=seed, overrides=set_ or [], engine=engine,
        workers=workers, scheduler=scheduler, out=out, results_dir=None if out else Path("results"),
        records=records, budget=budget, **live))
    _study_result(result, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def optimize(
    ctx: typer.Context,
    config: Optional[Path] = CONFIG_ARG,
    lever: Optional[List[str]] = typer.Option(None, "--lever", metavar="KEY=LOW:HIGH[:int]",
                                              help="A key to search (any key --set takes): KEY=LOW:HIGH, "
                                                   "KEY=LOW:HIGH:int (whole numbers), KEY=LOW:HIGH:STEP or "
                                                   "KEY=V1,V2,... (repeatable)."),
    minimize: Optional[List[str]] = typer.Option(None, "--minimize", metavar="NAME",
                                                 help="An outcome to minimise: a tier probability (tier3_p) or a "
                                                      "metric (p_false_escalation); with --over-uncertainty its mean, "
                                                      "worst10.NAME or satisficing (repeatable)."),
    maximize: Optional[List[str]] = typer.Option(None, "--maximize", metavar="NAME",
                                                 help="An outcome to maximise (repeatable)."),
    constraint: Optional[List[str]] = typer.Option(None, "--constraint", metavar="EXPR",
                                                   help='What every member must meet, e.g. "p_false_escalation < '
                                                        '0.05" (repeatable; conditions joined by and).'),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=1, metavar="R",
                                                   help="Required: the whole search's replications, the final "
                                                        "re-evaluation included (--budget still caps its CPU hours)."),
    n: int = typer.Option(1000, "-n", "--replications", min=2,
                          help="Replications each new candidate starts with (per scenario)."),
    max_n: Optional[int] = typer.Option(None, "--max-n", min=2,
                                        help="Most replications racing gives a candidate during the search "
                                             "(default 16 x -n)."),
    population: int = typer.Option(20, "--population", min=4, help="Candidates per generation (NSGA-II)."),
    generations: int = typer.Option(100, "--generations", min=1, help="Most generations."),
    reference: Optional[str] = typer.Option(None, "--reference", metavar="NAME=VALUE, ...",
                                            help="The hypervolume's reference point, a value for each objective "
                                                 "(default: the worst estimate among the candidates, moved out by "
                                                 "a tenth of their range, within 0 and 1 for a probability)."),
    over_uncertainty: bool = typer.Option(False, "--over-uncertainty",
                                          help="Objectives are robustness measures over one shared set of scenarios "
                                               "drawn from the uncertain inputs, as stress explore draws them."),
    samples: int = typer.Option(50, "--samples", min=2, help="Scenarios drawn, with --over-uncertainty."),
    design: str = DESIGN_OPT,
    uncertain: Optional[List[str]] = UNCERTAIN_OPT,
    satisfice: Optional[str] = typer.Option(None, "--satisfice", metavar="CRITERIA",
                                            help="What a candidate must meet at a scenario, for the objective "
                                                 "satisficing (the share of scenarios where it does)."),
    adversary: Optional[List[str]] = typer.Option(None, "--adversary", metavar="BEHAVIOUR",
                                                  help="A kind of violator every candidate meets (blind, threshold, "
                                                       "learning, timing, monitoring; repeatable; 'worst': all five); "
                                                       "each objective and constraint is judged under the worst."),
    seed: int = SEED_OPT,
    set_: Optional[List[str]] = SET_OPT,
    workers: Optional[int] = WORKERS_OPT,
    scheduler: Optional[str] = SCHEDULER_OPT,
    engine: str = ENGINE_OPT,
    out: Optional[Path] = OUT_OPT,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue an interrupted optimisation."),
    budget: Optional[float] = BUDGET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the front, its hypervolume and knee as JSON."),
) -> None:
    """Search the plan's numbers for the best trade-offs: NSGA-II (pymoo) over the levers, every
    candidate on the same replications, more replications where they decide something, and the
    front re-evaluated on fresh replications with paired probabilities, its hypervolume and knee."""
    import stress
    if resume is None and max_replications is None:
        from stress.errors import UsageError
        raise UsageError("--max-replications R is required: the replications the whole search may use (the "
                         "final re-evaluation of its front included), e.g. --max-replications 300000")
    result = _job(ctx, "optimize", resume, workers, scheduler, lambda **live: stress.optimize(
        config, levers=lever or [], minimize=minimize or [], maximize=maximize or [], constraints=constraint or
        [], max_replications=max_replications, n=n, max_n=max_n, population=population, generations=generations,
        seed=seed, reference=reference, over_uncertainty=over_uncertainty, samples=samples, design=design,
        uncertain=uncertain or [], satisfice=satisfice, overrides=set_ or [], engine=engine, workers=workers,
        scheduler=scheduler, out=out, results_dir=None if out else Path("results"), budget=budget,
        adversary=adversary or None, **live))
    _study_result(result, as_json, lambda r: json.dumps(r.to_dict(), indent=2))


@app.command()
@handles_errors
def calibrate(
    events: Path = typer.Argument(..., help="Event log (one row per event) or counts per period: CSV or Parquet.",
                                  show_default=False),
    format_: Optional[str] = typer.Option(None, "--format", help="csv, parquet or ucdp (UCDP GED's columns; "
                                                                 "default: from the suffix)."),
    time_column: Optional[str] = typer.Option(None, "--time-column", help="The date or timestamp column."),
    where: Optional[List[str]] = typer.Option(None, "--where", metavar="COL=V1,V2",
                                              help="Keep rows whose COL is one of the values (repeatable)."),
    start: Optional[str] = typer.Option(None, "--from", metavar="DATE", help="First day of the fitting period."),
    end: Optional[str] = typer.Option(None, "--to", metavar="DATE", help="Last day of the fitting period."),
    classes: Optional[str] = typer.Option(None, "--classes", metavar="COL:name=lo-hi,...",
                                          help="Breach classes from a severity column, e.g. best:minor=0-1,major=2-9,"
                                               "offensive=10-"),
    model: str = typer.Option("both", "--model", help="poisson, hawkes or both."),
    test_start: Optional[str] = typer.Option(None, "--test-from", metavar="DATE",
                                             help="First day of the out-of-sample test period."),
    test_end: Optional[str] = typer.Option(None, "--test-to", metavar="DATE", help="Last day of the test period."),
    count_column: Optional[str] = typer.Option(None, "--count-column",
                                               help="The data are counts per day, week or month in this column."),
    base: Optional[Path] = typer.Option(None, "--base", help="Scenario whose [breaches] the fit replaces "
                                                             "(default: the packaged plan)."),
    seed: int = SEED_OPT,
    out: Optional[Path] = OUT_OPT,
    budget: Optional[float] = BUDGET_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the fits, tests and checks as JSON on stdout."),
) -> None:
    """Fit the breach process to real event data, test the fit, validate it out of sample,
    and write a calibrated scenario (scenario.toml in the result folder)."""
    import stress
    interactive = err_console.is_terminal
    with _status(interactive)("Fitting (the first time also compiles the likelihood)"):
        result = stress.calibrate(events, format=format_, time_column=time_column, where=where or None, start=start,
                                  end=end, classes=classes, model=model, test_start=test_start, test_end=test_end,
                                  base=base, seed=seed, count_column=count_column, out=out, budget=budget,
                                  results_dir=None if out else Path("results"))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from stress.output import render
    from stress.storage.reading import load_result
    render.stored_result(out_console, load_result(result.path))
    err_console.print(f"results: {result.path}\nrun the calibrated scenario: stress run {result.path / 'scenario.toml'}",
                      highlight=False)


@app.command("default-config")
@handles_errors
def default_config() -> None:
    """Print the packaged default scenario (a starting point for your own)."""
    from stress.config.loading import default_config_text
    sys.stdout.write(default_config_text())


@app.command()
@handles_errors
def serve(
    config: Optional[Path] = CONFIG_ARG,
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: a free one)."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to listen on. Anything but a loopback address lets other machines "
                                  "reach the page, and prints a warning."),
    results_dir: Path = typer.Option(Path("results"), "--results",
                                     help="Where runs in full go, and the folders the results view lists."),
    n: Optional[int] = typer.Option(None, "-n", "--replications", min=1,
                                    help="Replications per answer (default: as many as answer within about "
                                         "0.2 s on this machine)."),
    seed: int = SEED_OPT,
) -> None:
    """Serve the what-if page: change any key and see what it does, against the scenario (needs ".[serve]")."""
    from stress.serve import serve as serve_page
    serve_page(config, host=host, port=port, results=results_dir, n=n, seed=seed,
               announce=typer.echo, note=lambda message: err_console.print(message, highlight=False, soft_wrap=True))


# SIGTERM and SIGHUP (a kill, a closed terminal) stop a job as Ctrl-C does: what finished
# is kept and named with the command that resumes it; the exit code is 128 + the signal's.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_stopped_by = [int(signal.SIGINT)]


def _stop(number: int, frame) -> None:
    _stopped_by.append(number)
    raise KeyboardInterrupt


def _interrupted() -> str:
    number = _stopped_by[-1]
    return "interrupted" if number == signal.SIGINT else f"interrupted ({signal.Signals(number).name})"


def main() -> None:
    for number in STOP_SIGNALS[1:]:
        signal.signal(number, _stop)
    try:
        app()
    except BrokenPipeError:
        # stdout's reader went away (stress ... | head -1): what it wanted it got; end
        # quietly rather than print a traceback at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        # Ctrl-C outside a command's own handling (while loading, or a second one while it
        # reports the first): an interrupted command still exits 130, not by the signal
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        err_console.print(_interrupted(), highlight=False)
        sys.exit(128 + _stopped_by[-1])
    finally:
        # the command has ended (its exit code is set): a Ctrl-C now must not turn its
        # success into a death by signal while the interpreter shuts down
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)


if __name__ == "__main__":
    main()
