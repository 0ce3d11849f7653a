"""An optimisation's tables and notes, from the job's search and the front's analysis."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stress.optimization.analysis import FrontAnalysis, everywhere_values, worst_behaviours
from stress.statistics.summary import json_safe

# The search as it ended: a stress.jobs.optimize.OptimizeJob (named in words only: the job
# is a layer above and imports this module)
Search = Any

OPEN = 0.05            # a share of draws this far from 0 and 1 leaves a question open
KNEE_AGREEMENT = 0.8   # below this share of draws agreeing on the knee, say so
FEW_EVENTS = 20        # a probability resting on fewer replications with (or without) the outcome
FEW_SCENARIOS = 30     # fewer scenarios: the measures over them are rough

STOPS = {"budget": "its share of the replications was spent",
         "generations": "it reached the number of generations asked for",
         "converged": "three generations in a row brought no candidate it had not evaluated (the levers' values "
                      "are explored)",
         "exhausted": "NSGA-II could make no candidate it had not made"}


@dataclass(frozen=True)
class OptimizeResult:
    """A finished optimisation: the final members (``front``, one row each, the front's
    marked), every candidate the search evaluated, the paired differences between
    members, the search's history and the definition, hypervolume, knee and notes
    (``data``, what ``--json`` prints)."""
    front: Any            # pd.DataFrame
    candidates: Any
    pairs: Any
    history: Any
    scenarios: Any
    data: dict[str, Any]
    analysis: FrontAnalysis | None = None
    path: Path | None = None

    @property
    def notes(self) -> list[str]:
        return list(self.data["notes"])

    @property
    def hypervolume(self) -> dict[str, Any]:
        return dict(self.data["hypervolume"])

    def front_members(self):
        """The rows of the members on the front."""
        return self.front[self.front["on_front"]].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        return json_safe(self.data)


def _ids(members: list[int], ids: list[int]) -> str:
    return ", ".join(str(ids[m]) for m in members)


def result_of(job: Search, analysis: FrontAnalysis) -> "OptimizeResult":
    keys = [lever.key for lever in job.levers]
    members = job.members
    by_id = {c.id: c for c in job.candidates}
    aliases: dict[int, list[int]] = {m: list(twins) for m, twins in job.merged.items()}
    for c in job.candidates:
        if c.same_as is not None:
            aliases.setdefault(c.same_as, []).append(c.id)
    over = job.spec.uncertainty is not None
    has_constraints = job.constraints is not None
    rows = []
    for m, c in enumerate(members):
        row: dict[str, Any] = {"member": c, **dict(zip(keys, by_id[c].values)), "n": job.final_n}
        for k, o in enumerate(job.objectives):
            row[o.name] = analysis.estimates[m, k]
            row[f"{o.name}_ci_low"] = analysis.low[m, k]
            row[f"{o.name}_ci_high"] = analysis.high[m, k]
        if job.spec.adversary:
            row |= _worst_columns(job, analysis.worst[m])
        row |= {"on_front": bool(analysis.on_front[m]), "p_dominated": analysis.dominated_share[m],
                "dominated_by": _ids(analysis.dominated_by[m], members)}
        if over:
            row["beaten_everywhere_by"] = _ids(analysis.beaten_everywhere_by[m], members)
        if has_constraints:
            row |= {"constraints_met": bool(analysis.feasible[m]), "constraints_share": analysis.feasible_share[m]}
        row |= {"knee": c == members[analysis.knee],
                "same_as": "; ".join(f"{a} ({', '.join(f'{k}={v}' for k, v in zip(keys, by_id[a].values))})"
                                     for a in aliases.get(c, []))}
        rows.append(row)
    front = pd.DataFrame(rows)
    candidates = _candidates(job, keys, set(members))
    pairs = pd.DataFrame([{"a": members[p["a"]], "b": members[p["b"]], **{k: p[k] for k in
                                                                          ("objective", "diff", "ci_low", "ci_high")}}
                          for p in analysis.pairs], columns=["a", "b", "objective", "diff", "ci_low", "ci_high"])
    history = pd.DataFrame(job.history, columns=["generation", "new", "candidates", "replications", "in_contention",
                                                 "undecided"])
    scenarios = pd.DataFrame([{"scenario": s, **values} for s, values in enumerate(job.scenarios)]) if over else None
    knee = members[analysis.knee]
    hv = analysis.hypervolume
    data = {
        "kind": "optimize", "scenario": job.scenario, "seed": job.seed, "engine": job.engine,
        "levers": [lever.as_dict() | {"text": lever.text()} for lever in job.levers],
        "objectives": job.spec.objectives, "constraints": job.spec.constraints, "satisfice": job.spec.satisfice,
        "adversary": job.spec.adversary,
        "over_uncertainty": over, "samples": len(job.scenarios) if over else None,
        "design": job.spec.uncertainty.design if over else None,
        "inputs": job.spec.uncertainty.inputs if over else None,
        "n": job.spec.n, "max_n": job.spec.max_n, "population": job.spec.population,
        "generations": job.generations, "stop": job.stop, "candidates": len(job.candidates),
        "replications": {"max": job.spec.max_replications, "search": job.search_replications,
                         "final": job.spent - job.search_replications, "used": job.spent},
        "final_n": job.final_n, "members": members, "merged": {str(k): v for k, v in job.merged.items()},
        "front": [c for m, c in enumerate(members) if analysis.on_front[m]],
        "hypervolume": {"estimate": hv.estimate, "ci_low": hv.ci_low, "ci_high": hv.ci_high,
                        "std_error": hv.std_error, "multiplier": hv.multiplier,
                        "reference": {o.name: float(v) for o, v in zip(job.objectives, analysis.reference)}},
        "knee": {"member": knee, "share": analysis.knee_share, "levers": dict(zip(keys, by_id[knee].values))},
        "notes": _notes(job, analysis, front, aliases),
    }
    return OptimizeResult(front, candidates, pairs, history, scenarios, data, analysis)


def _worst_columns(job: Search, worst: np.ndarray) -> dict[str, Any]:
    """Per objective, the behaviour worst for it (``worst`` (K, S): each scenario's);
    over the uncertainty, the one worst at most scenarios and the share of them where it
    is. Satisficing, which must hold against every behaviour, has none."""
    row: dict[str, Any] = {}
    over = job.spec.uncertainty is not None
    for o, at in zip(job.objectives, worst):
        counts = np.bincount(at[at >= 0], minlength=len(job.behaviours))
        most = int(np.argmax(counts))
        row[f"{o.name}_worst"] = job.behaviours[most] if counts.any() else ""
        if over:
            row[f"{o.name}_worst_share"] = counts[most] / len(at) if counts.any() else math.nan
    return row


def _candidates(job: Search, keys: list[str], members: set[int]) -> pd.DataFrame:
    over = job.spec.uncertainty is not None
    evaluated = [c for c in job.candidates if c.n]
    scenario_means = np.stack([_means(c) for c in evaluated]) if evaluated else None
    beaten: dict[int, str] = {}
    if over and evaluated:
        # by the search's estimates: who does at least as well at every scenario on every
        # objective, and better at one (the candidates that are themselves, by records, excepted)
        from stress.optimization.front import dominates
        values = everywhere_values(scenario_means, job.measures)
        for i, c in enumerate(evaluated):
            better = dominates(values, values[i]) & np.array([d.same_as is None for d in evaluated])
            beaten[c.id] = ", ".join(str(evaluated[j].id) for j in np.flatnonzero(better))
    objectives = {c.id: job.measures.objectives_of(m) for c, m in zip(evaluated, scenario_means)} if evaluated else {}
    worst = dict(zip((c.id for c in evaluated), worst_behaviours(scenario_means, job.measures))) if evaluated else {}
    rows = []
    for c in job.candidates:
        row: dict[str, Any] = {"candidate": c.id, "generation": c.generation, **dict(zip(keys, c.values)), "n": c.n}
        values = objectives.get(c.id, np.full(len(job.objectives), np.nan))
        row |= {o.name: float(v) for o, v in zip(job.objectives, values)}
        if job.spec.adversary:
            row |= _worst_columns(job, worst[c.id]) if c.id in worst else {}
        row |= {"p_dominated": c.dominated, "p_feasible": c.feasible, "final": c.id in members,
                "status": "re-evaluated" if c.id in members else _status(job, c),
                "dominated_by": "" if c.dominator is None else str(c.dominator),
                "same_as": "" if c.same_as is None else str(c.same_as)}
        if over:
            row["beaten_everywhere_by"] = beaten.get(c.id, "")
        rows.append(row)
    return pd.DataFrame(rows)


def _status(job: Search, c) -> str:
    twin = next((m for m, twins in job.merged.items() if c.id in twins), None)
    if twin is not None:
        return f"re-evaluated: the same objectives as candidate {twin} in every fresh replication"
    return c.out or "not re-evaluated: dominated in most draws, or the budget"


def _means(c) -> np.ndarray:
    from stress.statistics.resampling import means
    return means(c.data)


def _notes(job: Search, analysis: FrontAnalysis, front: pd.DataFrame, aliases: dict) -> list[str]:
    members = job.members
    notes = [f"The search evaluated {len(job.candidates)} candidates in {job.generations} generations and stopped "
             f"because {STOPS[job.stop]}; {job.search_replications:,} replications went to the search and "
             f"{job.spent - job.search_replications:,} to re-evaluating its {len(members)} remaining candidates on "
             f"{job.final_n:,} fresh replications each" + (" per scenario" if job.spec.uncertainty else "")
             + (" against each violator" if job.spec.adversary else "")
             + ", the same for all (the numbers below are theirs)."]
    if job.no_contender:
        notes.append("No candidate met the constraints clearly during the search: the members are the ones that "
                     "came closest; check the constraints.")
    if job.unlikely:
        notes.append(f"{job.unlikely} more candidates were still in contention at the end of the search, but "
                     f"dominated in most of its draws: they are not re-evaluated (the candidates table has them).")
    if job.capped:
        notes.append(f"{job.capped} more candidates were still in contention but left out of the re-evaluation "
                     f"(the budget gives each member at least -n replications, and there are at most "
                     f"{job.final_members} members; the least likely dominated were kept): raise "
                     f"--max-replications to re-evaluate more.")
    doubtful = [c for m, c in enumerate(members) if OPEN < analysis.dominated_share[m] < 1 - OPEN]
    if doubtful:
        notes.append(f"Candidates {', '.join(map(str, doubtful))}: another member dominates them in between "
                     f"{OPEN:.0%} and {1 - OPEN:.0%} of the paired draws, so whether they are on the front could be "
                     f"noise; a larger --max-replications separates them.")
    if job.constraints is not None:
        unclear = [c for m, c in enumerate(members) if OPEN < analysis.feasible_share[m] < 1 - OPEN]
        if unclear:
            notes.append(f"Candidates {', '.join(map(str, unclear))}: they meet the constraints in between "
                         f"{OPEN:.0%} and {1 - OPEN:.0%} of the draws; whether they do could be noise.")
        if not analysis.feasible.any():
            notes.append("No member meets the constraints by its estimates: the front is of the members that "
                         "come closest.")
    if analysis.knee_share < KNEE_AGREEMENT:
        notes.append(f"The knee is candidate {members[analysis.knee]} in only {analysis.knee_share:.0%} of the "
                     f"draws: the members near it are within noise of each other there.")
    few = _few_events(job, analysis)
    if few:
        notes.append(f"{few}: a probability of the front seen in fewer than {FEW_EVENTS} replications (or missed in "
                     f"fewer): its interval and the front's hypervolume interval there rest on few events; a larger "
                     f"--max-replications widens the base.")
    if aliases:
        count = sum(len(a) for a in aliases.values())
        notes.append(f"{count} candidates gave exactly the results of another on every replication both ran (their "
                     f"records, or in the re-evaluation their objectives and constraints: a lever without effect "
                     f"there): they are listed with it (same_as), not as members of their own, so they do not split "
                     f"the front.")
    if job.spec.adversary:
        notes.append(_adversary_note(job, front))
    if job.spec.uncertainty is not None:
        notes.append(f"Over the uncertainty, every measure is over the same {len(job.scenarios)} scenarios (drawn as "
                     f"stress explore draws them) and its interval covers the replications' noise at them; another "
                     f"draw of the scenarios would move the measures too.")
        if len(job.scenarios) < FEW_SCENARIOS:
            notes.append(f"Only {len(job.scenarios)} scenarios: a worst 10% is then the worst "
                         f"{max(1, int(np.ceil(0.1 * len(job.scenarios))))}; use --samples {FEW_SCENARIOS} or more.")
    return notes


def _adversary_note(job: Search, front: pd.DataFrame) -> str:
    """Which violators every candidate met, how the worst of them judges it, and which
    was worst for the front's members."""
    over = job.spec.uncertainty is not None
    on = front[front["on_front"]]
    counts = []
    for o in job.objectives:
        column = on[f"{o.name}_worst"] if len(on) else pd.Series([], dtype=object)
        tally = column[column != ""].value_counts()
        if len(tally):
            counts.append(f"{o.name}: " + ", ".join(f"{b} ({k})" for b, k in tally.items()))
    return (f"Every candidate met each of the {', '.join(job.behaviours)} violators on the same replications; each "
            f"objective and constraint is its value under the violator worst for it"
            + (" at each scenario, before the measure over the scenarios" if over else "")
            + " (a constraint is met only if it is met against all of them), in the estimates and inside every "
              "bootstrap draw. The worst is picked by the same estimates, so noise makes a candidate look a little "
              "worse than it is."
            + (f" The violator worst for each objective {'at most scenarios ' if over else ''}among the "
               f"{len(on)} members on the front (how many): " + "; ".join(counts) + "." if counts else ""))


def _few_events(job: Search, analysis: FrontAnalysis) -> str:
    """The front's objectives that are probabilities seen in few replications, and whose."""
    out = []
    for k, o in enumerate(job.objectives):
        if o.measure != "value" or o.statistic is None or o.statistic.startswith("mean_"):
            continue
        whose = [job.members[m] for m in np.flatnonzero(analysis.on_front)
                 if min(analysis.estimates[m, k], 1.0 - analysis.estimates[m, k]) * job.final_n < FEW_EVENTS]
        if whose:
            out.append(f"{o.name} (candidates {', '.join(map(str, whose))})")
    return "; ".join(out)
