"""Every kind of result, declared once: the job that computes it, the reader that loads
its folder, the output that shows it, and what its study did (for the report).

A kind names its parts as "module:attribute" text, imported only when a result of that
kind is made, read or shown, so the registry imports nothing and start-up stays quick.
Each part has a ``Protocol`` below; ``tests/test_kinds.py`` checks every kind's parts
against them. A new kind is one entry here and its modules: no generic code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class Kind:
    name: str                  # the manifest's "kind"
    reader: str                # "module:function" (folder, manifest) -> view
    output: str                # module of the output functions (``Output``)
    design: str                # "module:function" (view, config) -> what the study did (the report's STRESS-DES)
    job: str | None = None     # "module:Class" of its pipeline job (None: made by a step that simulates nothing)
    command: str | None = None  # the command that makes it, where it is not the kind's name

    @property
    def made_by(self) -> str:
        return self.command or self.name


REGISTRY: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("run", "stress.storage.reading:load_run", "stress.output.run", "stress.output.designs:run",
         "stress.jobs.run:RunJob"),
    Kind("sweep", "stress.storage.reading:load_sweep", "stress.output.sweep", "stress.output.designs:sweep",
         "stress.jobs.sweep:SweepJob"),
    Kind("compare", "stress.storage.reading:load_compare", "stress.output.compare", "stress.output.designs:compare",
         "stress.jobs.compare:CompareJob"),
    Kind("explore", "stress.storage.explore:load_view", "stress.output.explore", "stress.output.designs:explore",
         "stress.jobs.explore:ExploreJob"),
    Kind("sensitivity", "stress.storage.sensitivity:load_view", "stress.output.sensitivity",
         "stress.output.designs:sensitivity", "stress.jobs.sensitivity:SensitivityJob"),
    Kind("robust", "stress.storage.robust:load_view", "stress.output.robust", "stress.output.designs:robust",
         "stress.jobs.robust:RobustJob"),
    Kind("adversary", "stress.storage.adversary:load_view", "stress.output.adversary",
         "stress.output.designs:adversary", "stress.jobs.adversary:AdversaryJob"),
    Kind("optimize", "stress.storage.optimize:load_view", "stress.output.optimize", "stress.output.designs:optimize",
         "stress.jobs.optimize:OptimizeJob"),
    Kind("discover", "stress.storage.discover:load_view", "stress.output.discover", "stress.output.designs:discover"),
    Kind("calibration", "stress.storage.calibration:load_view", "stress.output.calibration",
         "stress.output.designs:calibration", command="calibrate"),
)}
NAMES = tuple(REGISTRY)
# the kinds a job on the pipeline makes, which --resume continues
RESUMABLE = tuple(name for name, kind in REGISTRY.items() if kind.job is not None)


@runtime_checkable
class Job(Protocol):
    """What the pipeline needs of a kind's job (``stress.jobs.pipeline.Job`` is the base)."""
    kind: ClassVar[str]

    def manifest(self) -> dict[str, Any]: ...

    def write_inputs(self, partial: Path) -> None: ...

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> Any: ...

    def finish(self, outcome: Any, folder: Path | None) -> Any: ...


@runtime_checkable
class Reader(Protocol):
    """Loads a finished folder of its kind as a view (its files checked)."""

    def __call__(self, folder: Path, manifest: dict[str, Any]) -> Any: ...


@runtime_checkable
class Output(Protocol):
    """How a kind's result is shown: in the terminal, as a table for papers, in words,
    as figures and on one line of ``stress results``."""

    def title(self, view: Any) -> str: ...

    def reading(self, view: Any) -> list[str]: ...

    def headline(self, view: Any) -> str: ...

    def brief(self, view: Any) -> Sequence[str]: ...

    def table(self, view: Any, metrics: Sequence[str] | None) -> Any: ...

    def figures(self, view: Any) -> dict[str, Any]: ...

    def render(self, console: Any, view: Any) -> None: ...


@runtime_checkable
class Design(Protocol):
    """What a study of the kind did, for the report's STRESS-DES answers
    (``stress.output.designs.Design``); ``config``: its scenario, None if unreadable."""

    def __call__(self, view: Any, config: Any) -> Any: ...


def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name) if name else import_module(module)


def job_class(kind: str) -> type:
    """The job class of a kind the pipeline makes."""
    job = REGISTRY[kind].job
    if job is None:
        raise KeyError(kind)
    return _load(job)


def reader(kind: str) -> Reader:
    return _load(REGISTRY[kind].reader)


def output(kind: str) -> Output:
    return _load(REGISTRY[kind].output)


def design(kind: str) -> Design:
    return _load(REGISTRY[kind].design)
