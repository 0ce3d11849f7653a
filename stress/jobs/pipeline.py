"""The one job pipeline: points -> chunks of replications -> tallies -> tables.

Every kind of job (a run, a sweep, a comparison, ...) is a list of *points* (validated
scenarios) in *groups* (points that run the same replications and are compared
replication by replication; usually one point each). The pipeline cuts each group's
replications into chunks of ``CHUNK``, packs consecutive chunks into tasks, runs them
in a pool, checkpoints each finished task, and adds the tallies up point by point in
the order of the replications. A kind says only how it makes its points, how many
replications a group needs (fixed, or more until a precision is met), and what it
reports; ``Job`` is that interface.

The numbers do not depend on the number of workers, the pool, or an interruption:
replication i of a point has seeds that depend only on (root seed, i), chunk
boundaries are fixed, and each point's tallies are added in chunk order.
"""

from __future__ import annotations

import math
import shutil
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, ContextManager, Iterator, NamedTuple

import numpy as np

from stress import engines, kinds
from stress.model import cost
from stress.config.schema import Config
from stress.errors import UserError
from stress.execution.pools import (Interrupted, capped_workers, check_scheduler, default_workers, interrupts_held,
                                    make_pool, running)
from stress.execution.tasks import Item, Task, TaskResult, run_tasks
from stress.model import records as record_layout
from stress.model.params import Params, compile_params, share_values
from stress.statistics.blocks import ReplicationBlocks
from stress.statistics.points import MetricTable, PointTotals, TierTable, metric_table, tier_table
from stress.statistics.tally import Outputs, UnitTallies, bin_count_for, bin_width_for, concat_tallies, outputs_of
from stress.storage import checkpoints
from stress.storage.folders import CHECKPOINTS
from stress.storage import folders
from stress.storage.locks import FolderLock

CHUNK = 1000
# Replications per task: the compiled engine runs 1,000 in about 5 ms, so it gets them
# in tens of chunks (fewer round trips, less for the parent to do); a task also holds
# at most TASK_UNITS (point, chunk) units, which bounds its size for one-replication
# points. Results are kept per unit, so packing changes no number.
TASK_REPLICATIONS = {"fast": 20_000, "simpy": 1_000}
TASK_UNITS = 512
# Unless told, jobs this small run in this process: they finish before a pool starts.
SMALL_FAST_JOB = 50_000

Progress = Callable[[int, int, int, int], None]   # replications done, planned, points done, points
Status = Callable[[str], ContextManager]          # shows a message while a slow step runs
# evaluate(stage, name=None, before=0, total=None): run a job's points (or a stage's, whose
# checkpoints go to folder ``name``, and whose replications are counted after ``before`` of
# ``total``) and return their Outcome
Evaluate = Callable[..., "Outcome"]


class Point(NamedTuple):
    """One scenario of a job, compiled (a job of 10,000 points keeps these, not the
    configs), what distinguishes it (swept values, a variant's name), and the columns of
    its records (its plan's)."""
    params: Params
    label: dict[str, Any]
    layout: record_layout.Layout


def point_of(config: Config, label: dict[str, Any] | None = None, like: Point | None = None) -> Point:
    """The point of ``config``; its values equal to those of point ``like`` (one of the
    same job) are shared with it (``share_values``), and so is its layout."""
    layout = record_layout.layout(config)
    if like is not None and layout == like.layout:
        layout = like.layout
    return Point(share_values(compile_params(config, layout), like.params if like is not None else None),
                 label or {}, layout)


class JobLayout(NamedTuple):
    """The columns of a job's records and statistics: its plans' together (one plan's,
    usually), and for each point, where its own columns go and which statistics its
    plan has."""
    records: record_layout.Layout
    outputs: Outputs
    scatter: list[np.ndarray | None]     # per point: record_layout.scatter_columns (None: the same layout)
    tier_present: np.ndarray             # (points, tiers)
    metric_present: np.ndarray           # (points, metrics)


def job_layout(points: list[Point]) -> JobLayout:
    """The layout of a job's points; plans that order the same tiers differently are
    refused (a UserError), as 'at least' a tier would mean different things in them."""
    distinct = list({id(p.layout): p.layout for p in points}.values())
    try:
        union = record_layout.union(distinct)
    except record_layout.OrderConflict as exc:
        raise UserError(str(exc)) from None
    outputs = outputs_of(union)
    own = {id(l): outputs_of(l) for l in distinct}
    scatter, tiers, metrics = {}, {}, {}
    for l in distinct:
        mine = own[id(l)]
        scatter[id(l)] = None if l == union else record_layout.scatter_columns(l, union)
        tiers[id(l)] = np.isin(outputs.tiers, mine.tiers)
        metrics[id(l)] = np.isin(outputs.metric_names, mine.metric_names)
    return JobLayout(union, outputs, [scatter[id(p.layout)] for p in points],
                     np.array([tiers[id(p.layout)] for p in points]).reshape(len(points), len(outputs.tiers)),
                     np.array([metrics[id(p.layout)] for p in points]).reshape(len(points), len(outputs.metric_names)))


class Job:
    """A kind of job. Subclasses set ``kind``, the points, groups and replications, and
    say what the finished job reports (``finish``) and how to reopen an interrupted one
    from its folder (``reopen``)."""
    kind: ClassVar[str]
    # whether workers also sum each replication's whole-number statistics over the points
    # (for intervals over points that share their replications: stress.statistics.uncertainty)
    replication_sums: ClassVar[bool] = False
    # with records: only these statistics of each replication come back (indexes into
    # tally.statistic_names), not its whole record; None: the records
    kept: tuple[int, ...] | None = None
    # per point and block of replications, the yes/no outcomes (stress.statistics.blocks):
    # the job's chunks are then its blocks
    blocks: ReplicationBlocks | None = None

    @property
    def chunk(self) -> int:
        """Replications per unit of work."""
        return self.blocks.size if self.blocks is not None else CHUNK

    def __init__(self, points: list[Point], *, scenario: str, n: int, seed: int, engine: str,
                 groups: list[tuple[int, ...]] | None = None, records: bool = False) -> None:
        self.points = points
        self.scenario = scenario
        self.groups = groups if groups is not None else [(i,) for i in range(len(points))]
        self.n = n
        self.seed = seed
        self.engine = engine
        self.records = records

    def start(self, group: int) -> int:
        """The first replication of group ``group``: a job may run a later range of the same
        seeds (fresh replications, common to its points)."""
        return 0

    def replications(self) -> int:
        """The replications the job expects to run, all points together (where it runs
        follows from it)."""
        return self.n * sum(len(g) for g in self.groups)

    def run(self, evaluate: Evaluate) -> "Outcome":
        """The job's work: by default its own points, once. A job that decides what to run
        from what it has seen (an optimisation) calls ``evaluate(stage, name)`` once per
        stage instead: ``stage`` a job of points, ``name`` the folder of its checkpoints.
        Each stage must be decided only from the outcomes of the stages before it, so a
        resume, which evaluates the same stages again from their checkpoints, takes the
        same decisions."""
        return evaluate(self)

    def target(self, group: int, done: int, totals: PointTotals) -> int:
        """Replications group ``group`` needs, now that ``done`` are in (more than
        ``done`` asks for more; by default every group runs ``n``)."""
        return self.n if done == 0 else done

    def curve_points(self) -> set[int]:
        """Points whose cumulative curves over time are reported."""
        return set()

    def manifest(self) -> dict[str, Any]:
        """What the manifest records beyond the common fields, to reopen the job."""
        return {}

    def write_inputs(self, partial: Path) -> None:
        """Write the scenario files the job needs to be reopened."""

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "Job":
        raise NotImplementedError

    def finish(self, outcome: "Outcome", folder: Path | None) -> Any:
        """Write the job's tables into ``folder`` (if any) and return its result."""
        raise NotImplementedError


@dataclass
class Outcome:
    """What the pipeline hands a finished job: per point, the totals and the tables."""
    job: Job
    totals: PointTotals
    tiers: TierTable
    metrics: MetricTable
    records: "RecordsSource"
    layout: JobLayout
    folder: Path | None = None


def execute(job: Job, *, out: str | Path | None = None, results_dir: str | Path | None = None,
            workers: int | None = None, scheduler: str | None = None, keep_records: bool = False,
            progress: Progress | None = None, status: Status | None = None, budget: float | None = None) -> Any:
    """Run a job and return what its kind reports. ``out`` writes the result folder
    there, ``results_dir`` under a fresh id inside it; with neither nothing is written.
    A job expected to take more than ``budget`` hours of CPU (default
    ``cost.DEFAULT_BUDGET_HOURS``) is refused before it starts."""
    check_scheduler(scheduler)
    params = [p.params for p in job.points]
    job.engine = engines.choose(job.engine, params, job.n * max(len(g) for g in job.groups))
    cost.check_budget(params, job.n, job.engine, budget, job.kind)
    partial = None
    if out is not None or results_dir is not None:
        try:
            # a Ctrl-C waits until the folder can be resumed (or is gone again, below)
            with interrupts_held():
                partial = folders.new_folder(Path(out) if out is not None else None, job.kind, job.scenario,
                                             Path(results_dir) if results_dir is not None else Path("results"))
                job.write_inputs(partial)
                folders.start(partial, job.kind, job.scenario, job.engine, n=job.n, seed=job.seed,
                              records=job.records, workers=capped_workers(workers) or default_workers(),
                              chunk_size=job.chunk, **job.manifest())
        except BaseException:  # Ctrl-C or a write error before the job could be resumed: leave nothing
            if partial is not None:
                shutil.rmtree(partial, ignore_errors=True)
            raise
    try:
        return _complete(job, partial, workers, scheduler, keep_records, progress, status)
    except (cost.RunawayReplication, JobCannotContinue):
        # a replication stopped at its cap (or a job that met bad input only while running)
        # would stop again on resume, so the folder this call made is taken away rather
        # than left half-written
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
        raise


def resume(folder: str | Path, *, kind: str | None = None, workers: int | None = None, scheduler: str | None = None,
           keep_records: bool = False, progress: Progress | None = None, status: Status | None = None) -> Any:
    """Continue an interrupted job from its ``.partial`` folder: the result is the one an
    uninterrupted job would have given."""
    partial = Path(folder)
    manifest = folders.open_partial(partial, kind)
    if manifest["kind"] not in kinds.RESUMABLE:
        raise folders.ResultError(f"{partial}: a {manifest['kind']!r} job, which this version cannot resume")
    check_scheduler(scheduler)
    try:
        job = kinds.job_class(manifest["kind"]).reopen(partial, manifest)
    except (KeyError, TypeError) as exc:
        raise folders.ResultError(f"{partial / folders.MANIFEST}: damaged ({exc!r} missing or wrong)") from None
    if manifest.get("chunk_size", job.chunk) != job.chunk:
        # its checkpoints are units of other replication ranges than this version plans
        raise folders.ResultError(f"{partial}: cut into chunks of {manifest['chunk_size']} replications, where this "
                                  f"version cuts a {manifest['kind']} into {job.chunk}; start it again")
    return _complete(job, partial, workers, scheduler, keep_records, progress, status)


def _complete(job: Job, partial: Path | None, workers: int | None, scheduler: str | None,
              keep_records: bool, progress: Progress | None, status: Status | None) -> Any:
    if partial is None:
        return _run_job(job, None, workers, scheduler, keep_records, progress, status, None)
    try:
        return _complete_folder(job, partial, workers, scheduler, keep_records, progress, status)
    except KeyboardInterrupt as exc:
        # a Ctrl-C before the pool runs (while the engine loads) names the folder too
        if isinstance(exc, Interrupted) or not partial.is_dir():
            raise
        raise Interrupted(partial) from None


def _complete_folder(job: Job, partial: Path, workers: int | None, scheduler: str | None,
                     keep_records: bool, progress: Progress | None, status: Status | None) -> Any:
    with FolderLock(partial) as lock:
        try:
            return _run_job(job, partial, workers, scheduler, keep_records, progress, status, lock)
        except OSError as exc:  # a full disk, a folder that became read-only
            if isinstance(exc, BrokenPipeError):
                raise
            where = exc.filename or partial
            raise JobStopped(f"{where}: {exc.strerror or exc}; what finished is kept in {partial} "
                             f"({_size(partial)}); free some space (or fix the folder) and continue with: "
                             f"stress {job.kind} --resume {partial}") from None


class JobStopped(UserError):
    """The job could not go on (its folder could not be written); it can be resumed."""


class JobCannotContinue(UserError):
    """Bad input that shows only while a job runs (a point an optimisation chose whose
    config is invalid): a resume would stop again, so the job's folder is removed."""


def _size(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return f"{total / 2 ** 20:.1f} MiB"


def _run_job(job: Job, partial: Path | None, workers: int | None, scheduler: str | None, keep_records: bool,
             progress: Progress | None, status: Status | None, lock: FolderLock | None) -> Any:
    began = time.perf_counter()
    params = [p.params for p in job.points]
    engines.prepare(job.engine, params, status)
    planned = job.replications()
    small = (planned <= SMALL_FAST_JOB if job.engine == "fast"
             else simpy_seconds_of(params, planned // max(len(params), 1)) <= engines.AUTO_SIMPY_SECONDS)
    with running(make_pool(workers, scheduler, small, job.engine), partial) as pool:
        def evaluate(stage: Job, name: str | None = None, before: int = 0, total: int | None = None) -> Outcome:
            # a stage's checkpoints go to a folder of their own inside the checkpoints
            # folder, which completing the job removes with the rest
            where = partial if partial is None or name is None else partial / CHECKPOINTS / name
            report = progress if progress is None or name is None else _across_stages(progress, before, total)
            return _evaluate(stage, where, pool, keep_records, report)
        outcome = job.run(evaluate)
    result = job.finish(outcome, partial)
    if partial is not None:
        lock.release()  # the folder is about to take its final name
        final = folders.complete(partial, began, n_per_point=outcome.totals.n.tolist(),
                                 point_seconds=np.round(outcome.totals.seconds, 4).tolist(),
                                 tiers=list(outcome.layout.outputs.tiers))
        result = _with_path(result, final)
    return result


def _across_stages(progress: Progress, before: int, total: int | None) -> Progress:
    """A stage's progress as the whole job's: its replications counted after ``before`` of
    ``total`` (the stage's points are not the job's, so points are not counted)."""
    def report(done: int, planned: int, _points_done: int, _points: int) -> None:
        progress(before + done, max(total or 0, before + planned), 0, 1)
    return report


def _evaluate(job: Job, partial: Path | None, pool: Any, keep_records: bool, progress: Progress | None) -> Outcome:
    """Run the job's points in ``pool`` (what ``partial``'s checkpoints hold is read back,
    not run again) and add them up."""
    params = [p.params for p in job.points]
    horizons = [p.horizon for p in params]
    layout = job_layout(job.points)
    totals = PointTotals([bin_width_for(h) for h in horizons], [bin_count_for(h) for h in horizons], layout.outputs,
                         layout.tier_present, layout.metric_present)
    saved = checkpoints.load_all(partial) if partial is not None else []
    for s in saved:
        totals.add_replication_sums(s.result.replication_blocks, s.result.replication_sums)
    source = RecordsSource(partial, saved, keep=keep_records, wanted=job.records, layout=layout.records)
    # workers send records back when the folder keeps them or the caller wants them
    run = _Scheduler(job, params, layout, totals, saved, records=job.records or keep_records)
    curve_points = job.curve_points()
    sequence = checkpoints.next_sequence(partial) if partial is not None else 0
    for result, fresh in run.results(pool):
        if fresh and partial is not None:
            path = checkpoints.save(partial, sequence, result)
            source.saved(path, result)
            sequence += 1
        elif fresh:
            source.keep(result)
        totals.add(result.units[:, 0], result.tallies, result.seconds)
        if job.blocks is not None:
            job.blocks.add(result.units, result.tallies)
        if fresh:  # saved ones were added when read (integer sums: the order does not matter)
            totals.add_replication_sums(result.replication_blocks, result.replication_sums)
        totals.add_pairs(result.pairs[:, :2], result.cells, result.pair_means)
        finished = [point for group in run.folded(result) for point in job.groups[group]]
        if finished:
            totals.finish(finished, {p: horizons[p] for p in finished if p in curve_points})
        if progress is not None:
            progress(*run.progress())
    return Outcome(job, totals, tier_table(totals), metric_table(totals), source, layout, partial)


def simpy_seconds_of(params: list[Params], replications: int) -> float:
    from stress.model.cost import simpy_seconds
    return sum(simpy_seconds(p, replications) for p in params)


def _with_path(result: Any, path: Path) -> Any:
    import dataclasses
    return dataclasses.replace(result, path=path)


class _Scheduler:
    """Plans the items of every group (lazily: a group may ask for more once its
    replications are in), packs them into tasks, and yields the results in plan
    order, taking a unit from a checkpoint instead of running it where one exists."""

    def __init__(self, job: Job, params: list[Params], layout: JobLayout, totals: PointTotals,
                 saved: list[checkpoints.Saved], records: bool) -> None:
        self.job = job
        self.records = records
        self.params = params
        self.layout = layout
        self.totals = totals
        self.group_of = {p: g for g, members in enumerate(job.groups) for p in members}
        # replications planned per group; a group's items are made when it is reached
        self.planned = [job.target(g, 0, totals) for g in range(len(job.groups))]
        self.folded_reps = [0] * len(job.groups)   # ... and added up
        self.finished_points = 0
        self.pending: deque[Iterator[Item]] = deque()  # items planned again or put back: before the next group
        self.next_group = 0
        self.saved_results = saved
        self.saved = {(point, start): (i, u) for i, s in enumerate(saved)
                      for u, (point, start, _count) in enumerate(s.result.units.tolist())}

    def progress(self) -> tuple[int, int, int, int]:
        done = sum(f * len(g) for f, g in zip(self.folded_reps, self.job.groups))
        return done, self.replications(), self.finished_points, len(self.job.points)

    def _items(self, group: int, start: int, end: int) -> Iterator[Item]:
        """Items of the group's replications ``start .. end - 1``, counted from its first."""
        self.planned[group] = end
        offset, chunk = self.job.start(group), self.job.chunk
        return (Item(group, offset + first, min(chunk, end - first)) for first in range(start, end, chunk))

    def replications(self) -> int:
        """Replications planned so far, over every point."""
        return sum(p * len(g) for p, g in zip(self.planned, self.job.groups))

    def _next_item(self) -> Item | None:
        while True:
            while self.pending:
                item = next(self.pending[0], None)
                if item is not None:
                    return item
                self.pending.popleft()
            if self.next_group == len(self.job.groups):
                return None
            group = self.next_group
            self.next_group += 1
            self.pending.append(self._items(group, 0, self.planned[group]))

    def results(self, pool: Any) -> Iterator[tuple[TaskResult, bool]]:
        """(result, fresh) in plan order; fresh results were just computed."""
        window: deque = deque()   # ("saved", TaskResult) or ("live", future), in plan order
        live = 0
        size = self._task_size(pool.slots)
        while True:
            while live < 2 * pool.slots:
                entries = self._fill(size)
                if not entries:
                    break
                for kind, payload in entries:
                    if kind == "task":
                        window.append(("live", pool.submit(run_tasks, [payload])))
                        live += 1
                    else:
                        window.append((kind, payload))
            if not window:
                return
            kind, payload = window.popleft()
            if kind == "live":
                live -= 1
                yield payload.result()[0], True
            else:
                yield payload, False

    def _task_size(self, slots: int) -> int:
        total = self.replications()
        limit = TASK_REPLICATIONS.get(self.job.engine, CHUNK)
        # enough tasks to keep every slot busy (four each) when the job is small
        chunk = self.job.chunk
        return max(chunk, min(limit, math.ceil(total / (4 * slots) / chunk) * chunk))

    def _fill(self, size: int) -> list[tuple[str, Any]]:
        """The next entries of the plan: saved items as they are, then at most one task
        of fresh items (stops at a saved item, to keep the order)."""
        entries: list[tuple[str, Any]] = []
        groups, starts, counts, points, scatter = [], [], [], {}, {}
        replications = 0
        while replications < size and len(groups) < TASK_UNITS:
            item = self._next_item()
            if item is None:
                break
            members = self.job.groups[item.group]
            found = [self.saved.get((p, item.start)) for p in members]
            if all(f is not None for f in found):
                if groups:  # close the task first: results come back in plan order
                    self.pending.appendleft(iter([item]))
                    break
                entries.append(("saved", _select(self.saved_results, found, item, members)))
                continue
            groups.append(members)
            starts.append(item.start)
            counts.append(item.count)
            for p in members:
                points[p] = self.params[p]
                scatter[p] = self.layout.scatter[p]
            replications += item.count * len(members)
        if groups:
            entries.append(("task", Task(self.job.engine, self.job.seed, tuple(groups), tuple(starts),
                                         tuple(counts), points, self.layout.outputs, scatter, self.records,
                                         self.job.replication_sums, self.job.kept)))
        return entries

    def folded(self, result: TaskResult) -> list[int]:
        """Note a result as added up; return the groups it completed (a group that
        needs more replications is planned again instead)."""
        added: dict[int, int] = {}
        for point, _start, count in result.units.tolist():
            group = self.group_of[point]
            if self.job.groups[group][0] == point:
                added[group] = added.get(group, 0) + count
        done = []
        for group, count in added.items():
            self.folded_reps[group] += count
            if self.folded_reps[group] < self.planned[group]:
                continue
            want = self.job.target(group, self.folded_reps[group], self.totals)
            if want > self.planned[group]:
                self.pending.appendleft(self._items(group, self.planned[group], want))
            else:
                done.append(group)
                self.finished_points += len(self.job.groups[group])
        return done


def _select(saved: list[checkpoints.Saved], found: list[tuple[int, int]], item: Item,
            members: tuple[int, ...]) -> TaskResult:
    """One item's units, taken from the checkpoints that hold them."""
    parts = [_units_of(saved[s].result, [u]) for s, u in found]
    result = _concat(parts)
    if len(members) > 1:
        source = saved[found[0][0]].result
        keep = np.isin(source.pairs[:, 0], members) & (source.pairs[:, 2] == item.start)
        result = result._replace(pairs=source.pairs[keep], cells=source.cells[keep],
                                 pair_means=source.pair_means[keep] if source.pair_means is not None else None)
    return result


def _units_of(result: TaskResult, units: list[int]) -> TaskResult:
    t = result.tallies
    index = np.asarray(units)
    reach = np.isin(t.reach_unit, index)
    remap = np.zeros(len(t.n), dtype=np.int32)
    remap[index] = np.arange(len(index), dtype=np.int32)
    tallies = UnitTallies(t.n[index], t.flags[index], t.sums[index], t.sums_sq[index], t.counts[index],
                          remap[t.reach_unit[reach]], t.reach_tier[reach], t.reach_bin[reach], t.reach_count[reach])
    return TaskResult(result.units[index], tallies, result.seconds[index], result.pairs[:0], result.cells[:0], None)


def _concat(parts: list[TaskResult]) -> TaskResult:
    if len(parts) == 1:
        return parts[0]
    return TaskResult(np.concatenate([p.units for p in parts]), concat_tallies([p.tallies for p in parts]),
                      np.concatenate([p.seconds for p in parts]), parts[0].pairs, parts[0].cells, None)


def write_records(folder: Path, outcome: Outcome) -> None:
    """``records.parquet``: every point's records in replication order, with a
    ``point`` column when the job has several points."""
    from stress.storage.records import RecordsWriter
    n_points = len(outcome.job.points)
    writer = RecordsWriter(folder / ".records.parquet", outcome.layout.records, with_point=n_points > 1)
    for point in range(n_points):
        for block in outcome.records.blocks(point):
            writer.write(block, point)
    writer.close()
    (folder / ".records.parquet").replace(folder / "records.parquet")


class RecordsSource:
    """Where each unit's records are: in a checkpoint file, or kept in memory (when
    the job writes no folder, or the caller wants them back)."""

    def __init__(self, partial: Path | None, saved: list[checkpoints.Saved], keep: bool, wanted: bool,
                 layout: record_layout.Layout) -> None:
        self.partial = partial
        self.layout = layout
        self.keep_in_memory = keep or (wanted and partial is None)
        self.files: dict[tuple[int, int], tuple[Path, int, int]] = {}
        self.memory: dict[tuple[int, int], np.ndarray] = {}
        for s in saved:
            if s.has_records:
                self._index(s.path, s.result)

    def _index(self, path: Path, result: TaskResult) -> None:
        row = 0
        for point, start, count in result.units.tolist():
            self.files[(point, start)] = (path, row, count)
            row += count

    def saved(self, path: Path, result: TaskResult) -> None:
        if result.records is not None:
            self._index(path, result)
            if self.keep_in_memory:
                self.keep(result)

    def keep(self, result: TaskResult) -> None:
        if result.records is None:
            return
        row = 0
        for point, start, count in result.units.tolist():
            self.memory[(point, start)] = result.records[row:row + count]
            row += count

    def frame(self, point: int):
        """The point's records as a typed data frame (memory grows with N), in the job's
        layout (its plans' columns together)."""
        blocks = list(self.blocks(point))
        values = np.concatenate(blocks) if blocks else self.layout.empty(0)
        return self.layout.to_frame(values)

    def blocks(self, point: int) -> Iterator[np.ndarray]:
        """The point's records matrices, in replication order."""
        keys = sorted(k for k in set(self.memory) | set(self.files) if k[0] == point)
        cached_path, cached = None, None
        for key in keys:
            if key in self.memory:
                yield self.memory[key]
                continue
            path, row, count = self.files[key]
            if path != cached_path:
                cached_path, cached = path, checkpoints.load_records(path)
            yield cached[row:row + count]
