"""The STRESS-DES checklist answered for a result folder, for its report.

STRESS-DES (Monks, Currie, Onggo, Robinson, Kunc & Taylor 2018, "Strengthening the
reporting of empirical simulation studies: Introducing the STRESS guidelines", Journal
of Simulation 13(1), 55-67) lists what a report of a discrete-event simulation study
states so that others can understand and repeat it. Each item is answered from what
the folder records (its manifest and scenario), what its kind of study did
(``stress.output.designs``) and what stress itself does. What stress cannot know (where
an assumed value comes from, a validation the analyst did) is said to be not recorded,
for the analyst to state.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from stress.config.schema import Config
from stress.errors import UserError
from stress.output import model_logic, scenario_inputs
from stress.output.designs import Design, design
from stress.output.tables import ResultTable

REFERENCE = ("Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2018). Strengthening the reporting "
             "of empirical simulation studies: Introducing the STRESS guidelines. Journal of Simulation 13(1), "
             "55-67. doi:10.1080/17477778.2018.1442155")
# The checklist's sections and items, numbered and named as STRESS-DES version 1.0 has them.
CHECKLIST = (
    ("Objectives", (("1.1", "Purpose of the model"), ("1.2", "Model outputs"), ("1.3", "Experimentation aims"))),
    ("Logic", (("2.1", "Base model overview diagram"), ("2.2", "Base model logic"), ("2.3", "Scenario logic"),
               ("2.4", "Algorithms"), ("2.5.1", "Components - entities"), ("2.5.2", "Components - activities"),
               ("2.5.3", "Components - resources"), ("2.5.4", "Components - queues"),
               ("2.5.5", "Components - entry/exit points"))),
    ("Data", (("3.1", "Data sources"), ("3.2", "Pre-processing"), ("3.3", "Input parameters"),
              ("3.4", "Assumptions"))),
    ("Experimentation", (("4.1", "Initialisation"), ("4.2", "Run length"), ("4.3", "Estimation approach"))),
    ("Implementation", (("5.1", "Software or programming language"), ("5.2", "Random sampling"),
                        ("5.3", "Model execution"), ("5.4", "System specification"))),
    ("Code access", (("6.1", "Computer model sharing statement"),)),
)
# Not STRESS-DES items (unnumbered), but what a reader of a simulation study asks next.
CHECKS = ("Verification and validation", (("", "Verification"), ("", "Validation")))
NOT_RECORDED = "not recorded"
ENGINES = {
    "fast": "the compiled engine (stress/engines/fast/): each replication one numba-compiled next-event loop, "
            "an event queue with one handler per kind of event over a named state",
    "simpy": "the SimPy engine (stress/engines/simpy/): SimPy's process interaction, one process per component "
             "(breaches, monitoring, the plan's tiers)",
}


@dataclass(frozen=True)
class Item:
    number: str                         # "" for verification and validation
    heading: str
    paragraphs: tuple[str, ...]
    table: ResultTable | None = None    # 3.3: the scenario's inputs
    diagram: str | None = None          # 2.1: the model as a text diagram


@dataclass(frozen=True)
class Study:
    """What the answers are made from."""
    view: Any
    manifest: dict[str, Any]
    design: Design
    config: Config | None       # the study's scenario (a comparison's reference)
    config_name: str            # its file in the folder
    problem: str                # why there is no config, if there is none

    @classmethod
    def of(cls, view) -> "Study":
        config, name, problem = None, "", "the folder holds no scenario"
        for name, text in view.configs.items():
            try:
                config, problem = scenario_inputs.read_config(text, name), ""
            except UserError as exc:
                problem = f"{name} cannot be read by this version of stress ({exc})"
            break
        return cls(view, view.manifest, design(view, config), config, name, problem)


def checklist(view) -> list[tuple[str, list[Item]]]:
    """The checklist's sections, each item answered for ``view``, then verification and
    validation."""
    study = Study.of(view)
    return [(section, [Item(n, heading, *_answer(study, n or heading)) for n, heading in items])
            for section, items in (*CHECKLIST, CHECKS)]


def _answer(study: Study, item: str) -> tuple:
    """An item's paragraphs, and its table and diagram where it has them."""
    answer = ANSWERS[item](study) if item in ANSWERS else [model_logic.COMPONENTS[item]]
    paragraphs, table, diagram = answer if isinstance(answer, tuple) else (answer, None, None)
    return tuple(paragraphs), table, diagram


def _state(what: str, why: str = "") -> str:
    """What the folder cannot tell, for the analyst to state."""
    return f"{what}: {NOT_RECORDED}{f' ({why})' if why else ''}; state it."


def _scenario(study: Study) -> str:
    c = study.config
    if c is None:
        return f"The scenario: not in this report ({study.problem})."
    return f"The scenario is {c.scenario.name!r} ({study.config_name} in the result folder)" + (
        f": {c.scenario.description}." if c.scenario.description else ".")


# 1. Objectives

def _purpose(study: Study) -> list[str]:
    return ["stress simulates how a tiered response plan for ceasefire violations (warnings, deployments, a "
            "coordinated response) plays out against a violator's breaches and a monitoring mission that detects, "
            "verifies and sometimes mis-reports them, to put numbers on the plan's open choices: how likely each "
            "tier is to be reached, how fast, and how often by mistake.",
            _scenario(study), study.design.purpose, _state("The background and objectives of this study")]


def _outputs(study: Study) -> list[str]:
    return [*study.design.outputs, "The columns of the record and the statistics named after them are defined in "
            "stress's README (\"The record\", \"Statistics\")."]


def _aims(study: Study) -> list[str]:
    experiments = study.view.kind not in ("run", "calibration")
    return [*study.design.aims, *([_state("The rationale for these choices")] if experiments else [])]


# 2. Logic

def _diagram(study: Study) -> list[str] | tuple:
    if study.config is None:
        return [f"The model's diagram: not in this report ({study.problem})."]
    return (["The model as a flow of events (stress's README, \"The model\", describes it in words):"], None,
            model_logic.diagram(study.config))


def _logic(study: Study) -> list[str]:
    out = [study.design.model] if study.design.model else []
    if study.config is None:
        return out + [f"The scenario's logic: not in this report ({study.problem})."]
    return out + model_logic.logic(study.config)


def _scenario_logic(study: Study) -> list[str]:
    out = list(study.design.scenarios)
    configs = list(study.view.configs.items())
    if study.view.kind == "compare" and study.config is not None:
        for name, text in configs[1:]:
            try:
                other = scenario_inputs.read_config(text, name)
            except UserError as exc:
                out.append(f"{name}: cannot be read by this version of stress ({exc}).")
                continue
            changes = scenario_inputs.differences(study.config, other)
            listed = "; ".join(f"{k} {a} -> {b}" for k, a, b in changes) or "nothing (the same scenario)"
            out.append(f"{name} differs from {study.config_name} in: {listed}.")
    return out


def _reads_plan(study: Study) -> bool:
    return study.config is not None and study.config.adversary is not None


def _algorithms(study: Study) -> list[str]:
    return model_logic.algorithms(_reads_plan(study)) + study.design.algorithms


def _entities(study: Study) -> list[str]:
    return [model_logic.entities(_reads_plan(study))]


# 3. Data

def _sources(study: Study) -> list[str]:
    if study.design.data and study.view.kind == "calibration":
        return list(study.design.data)
    return ["The folder records the inputs' values (3.3), not where they come from. Every number of the scenarios "
            "stress ships is an illustrative assumption, and says so in its file; a value fitted by stress "
            "calibrate comes with its data in the calibration's folder.", *study.design.data,
            _state("The source of each value of this study (sample sizes, date ranges, references)")]


def _preprocessing(study: Study) -> list[str]:
    if study.design.preprocessing:
        return list(study.design.preprocessing)
    return ["None by stress: the values are used as the scenario gives them.",
            _state("Any pre-processing of the data behind them")]


def _parameters(study: Study) -> tuple:
    c = study.config
    if c is None:
        return [f"The scenario's inputs: not in this report ({study.problem}).", *study.design.varied]
    from stress.config.loading import load_config
    ours, packaged = scenario_inputs.inputs(c), scenario_inputs.inputs(load_config(None))
    rows = [{"key": key, "value": scenario_inputs.shown(i.value),
             "packaged plan": ("" if key in packaged and packaged[key].value == i.value
                               else scenario_inputs.shown(packaged[key].value) if key in packaged else "not in it"),
             "meaning": i.meaning} for key, i in ours.items()]
    changed = sum(1 for r in rows if r["packaged plan"])
    table = ResultTable(pd.DataFrame(rows, columns=["key", "value", "packaged plan", "meaning"]), (),
                        f"{c.scenario.name}: every key its scenario sets ({len(rows)}; {changed} differ from the "
                        "packaged plan of this version of stress)", study.view.id)
    return (["Base case: every key the scenario sets, with its value and meaning (keys it omits are not used; "
             "stress's config reference lists them). 'packaged plan' gives the value of the scenario stress ships "
             "where this one differs (empty: the same; 'not in it': a key the packaged plan does not set).",
             *study.design.varied,
             "Stochastic inputs are the parameters of the model's distributions above (2.2, 2.4). The one "
             "time-dependent input is the violator's multiplier m(t), moved by the responses; inputs are not "
             "correlated except through the model.",
             _state("Why each distribution was chosen over others")], table, None)


def _assumptions(study: Study) -> list[str]:
    return [model_logic.ASSUMPTIONS,
            _state("Which values of this study are assumptions rather than data (those differing from the packaged "
                   "plan are marked in 3.3)")]


# 4. Experimentation

def _initialisation(study: Study) -> list[str]:
    if study.design.initialisation:
        return list(study.design.initialisation)
    reads = _reads_plan(study)
    return ["A terminating system: each replication is the ceasefire's first days, from its start (t = 0) to the "
            "horizon (4.2), the stopping condition. There is no warm-up: every replication starts at t = 0 with no "
            "past breach, m(t) = 1, empty counting windows, no tier reached and nothing pending; this initial state "
            "is deterministic" + ("; the violator's behaviour and beliefs are drawn at t = 0 from its own stream."
                                  if reads else ".")]


def _run_length(study: Study) -> list[str]:
    c = study.config
    if study.design.run_length:
        return list(study.design.run_length)
    if c is None:
        return [f"The horizon: not in this report ({study.problem})."]
    days = c.scenario.horizon_days
    varied = any("scenario.horizon_days" in t for t in study.design.varied + study.design.aims)
    return [f"{days:g} days ({days * 24:,.0f} hours) of simulated time per replication" + (
        " in the base scenario; the study varies it (3.3)" if varied else "") + ". The clock is in hours; rates "
        "in the scenario are per day."]


def _estimation(study: Study) -> list[str]:
    if study.view.kind in ("discover", "calibration"):
        return list(study.design.estimation)
    return ["Stochasticity is handled by independent replications (not batch means): " + study.design.estimation[0],
            *study.design.estimation[1:]]


# 5. Implementation

def _software(study: Study) -> list[str]:
    m = study.manifest
    versions = m.get("versions") or {}
    listed = ", ".join(f"{name} {version}" for name, version in versions.items()) or "not recorded"
    system = m.get("system") or {}
    return [f"Python, with {listed} (the versions the manifest records).",
            f"Operating system: {system['platform']}." if system.get("platform")
            else _state("Operating system and version", "the stress that wrote this folder did not record it"),
            f"Engine: {m.get('engine', 'not recorded')}"
            + (f", {ENGINES[m['engine']]}." if m.get("engine") in ENGINES else ".")]


def _engine(engine: Any) -> str:
    return ENGINES.get(str(engine), str(engine or "not recorded"))


def _sampling(study: Study) -> list[str]:
    from stress.model.streams import STREAM_NAMES
    m = study.manifest
    streams = ", ".join(f"{name} ({k})" for k, name in enumerate(STREAM_NAMES))
    out = []
    if study.view.kind not in ("discover", "calibration"):
        out.append(f"numpy's Generator over PCG64. Replication i's component k draws from its own stream, "
                   f"Generator(PCG64(SeedSequence({m['seed']}, spawn_key=(i, k)))), root seed {m['seed']}; the "
                   f"components are {streams}, the last only for a violator that reads the plan. The compiled "
                   "engine re-implements SeedSequence and PCG64, tested equal to numpy's word for word. Every point "
                   "or variant of a study uses the same root seed, so replication i meets the same draws in each "
                   "(common random numbers), whatever the number of workers.")
    return out + study.design.sampling


def _execution(study: Study) -> list[str]:
    m = study.manifest
    kind, chunk = study.view.kind, m.get("chunk_size")
    if kind == "discover":
        return [f"Nothing is simulated: the analysed result's replications ran on {_engine(m.get('engine'))}.",
                "The analysis runs in one process."]
    if kind == "calibration":
        return ["The fit's simulations run in one process on the breach clock both engines share "
                "(stress/model/clock.py)."]
    return [f"Next-event time advance on {_engine(m.get('engine'))}. Both engines run the same model with the same "
            "streams, draws, rules and order of simultaneous events (one fixed order); stress's tests check that "
            "they give identical records. No entity competes for a resource, so there are no priority rules.",
            f"Parallel: the replications are cut into chunks{f' of {chunk:,}' if isinstance(chunk, int) else ''} "
            f"whose seeds depend only on (seed, replication), run on up to {m.get('workers', '?')} worker processes "
            "(a small job in the calling process; on a Dask cluster with --scheduler, which the manifest does not "
            "record) and added up in order, so the numbers do not depend on the workers or on an interruption and "
            "--resume."]


def _system(study: Study) -> list[str]:
    m = study.manifest
    seconds = m.get("point_seconds")
    cpu = (f"; the simulation used {sum(seconds):.3g} s of CPU summed over its point(s) ({len(seconds):,})"
           if isinstance(seconds, list) and seconds else "")
    elapsed = m.get("elapsed_seconds")
    run = (f"Run time: {elapsed:,.1f} s wall clock (the session that finished the job, if it was resumed){cpu}."
           if isinstance(elapsed, (int, float)) else _state("Run time"))
    system = m.get("system") or {}
    if system:
        machine = (f"Machine: {system.get('processor') or system.get('machine', '?')}, {system.get('cpus', '?')} "
                   f"cores, {system.get('platform', '?')}; {m.get('workers', 1)} worker(s).")
    else:
        machine = _state("The hardware", "the stress that wrote this folder did not record it")
    return [run, machine]


# 6. Code access

def _sharing(study: Study) -> list[str]:
    m = study.manifest
    version = (m.get("versions") or {}).get("stress", "?")
    commit = m.get("git_commit")
    out = [f"The model is stress {version}" + (f", commit {commit}." if commit else " (not run from a git checkout)."),
           _state("Where others can obtain this version (repository address or DOI, licence)")]
    files = ", ".join(study.view.configs) or "no scenario file"
    scenario = ("the calibrated scenario (scenario.toml)" if study.view.kind == "calibration"
                else f"the resolved scenario ({files}: every override applied, every default written)")
    out.append(f"The result folder {study.view.id} holds {scenario} and manifest.json, which records every option "
               "of the job; its files' SHA-256 are checked when it is read.")
    command = _command(m.get("command") or [])
    if command:
        out.append(f"The command that made it, as recorded: {command}")
    elif m.get("command"):
        out.append(f"It was made from Python ({Path(str(m['command'][0])).name}); the manifest records the call's "
                   "options.")
    if study.view.kind == "run" and study.config is not None:
        out.append(f"The same numbers again from the folder alone, run where it lies: stress run "
                   f"{study.view.id}/{study.config_name} -n {m['n']} --seed {m['seed']} --engine {m['engine']}")
    return out


def _command(argv: list[str]) -> str | None:
    """The recorded command line, as typed, when it was stress's."""
    if argv and (Path(argv[0]).name == "stress" or argv[0].endswith(("stress/__main__.py", "stress/cli.py"))):
        return shlex.join(["stress", *argv[1:]])
    return None


# Verification and validation

def _verified(study: Study) -> list[str]:
    version = (study.manifest.get("versions") or {}).get("stress", "?")
    return [f"stress's test suite (its tests/ folder, run by pytest) checks the code of stress {version}: the two "
            "engines give identical records for every shipped scenario and 1,500 generated ones; the compiled "
            "random streams equal numpy's word for word; the model agrees with closed forms within 4 standard "
            "errors (tier 3 under Poisson breaches, the Hawkes process's mean and variance, Naus's scan statistic "
            "for a count trigger, the monitors' thinning and delays); the paired intervals and the calibration's "
            "intervals cover at their nominal rate; every rule acts as stated on hand-placed reports; the numbers "
            "are the same for any number of workers and after an interruption. These verify the tool, not this "
            "study's scenario.", _state("Any further verification of this study")]


def _valid(study: Study) -> list[str]:
    if study.view.kind == "calibration":
        return ["This fit's goodness of fit and out-of-sample checks are the report's numbers and notes above.",
                _state("Validation of the rest of the scenario against the real system")]
    return [_state("Validation of the scenario against the real system (e.g. a breach process calibrated to event "
                   "data with stress calibrate, whose report shows its checks)")]


# The answers that depend on the study, by item (verification and validation by heading).
ANSWERS = {"1.1": _purpose, "1.2": _outputs, "1.3": _aims, "2.1": _diagram, "2.2": _logic, "2.3": _scenario_logic,
           "2.4": _algorithms, "2.5.1": _entities, "3.1": _sources, "3.2": _preprocessing, "3.3": _parameters,
           "3.4": _assumptions, "4.1": _initialisation, "4.2": _run_length, "4.3": _estimation, "5.1": _software,
           "5.2": _sampling, "5.3": _execution, "5.4": _system, "6.1": _sharing, "Verification": _verified,
           "Validation": _valid}
