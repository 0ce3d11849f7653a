"""``stress optimize``: which values of the plan's numbers give the best trade-offs?

The levers (config keys with ranges) span the candidates; pymoo's NSGA-II
(``stress.optimization.search``) proposes them a generation at a time. Every candidate
runs on the same replication seeds (common random numbers; with ``--over-uncertainty``,
at the same shared set of scenarios, drawn as ``stress explore`` draws them), as a
stage of this job on the one pipeline: each stage is decided only from the completed
stages before it, so workers, clusters and resumes give the same search.

With ``adversary`` (kinds of violator), every candidate meets each of them at every
scenario, on the same replications (``adversary.strategy`` set per point; the behaviours
draw from their own stream, so the luck stays common), and each objective and
constraint is judged under the behaviour worst for it
(``stress.optimization.objectives.Measures``): the search, racing and the final front
all see the worst of them, and a replication counts once per behaviour in the budget.

Replications: each new candidate gets n; after each generation, racing
(``stress.optimization.racing``) doubles those whose place on the front or whose
feasibility is still in doubt, and the candidates that decide it, up to ``max_n``
(racing spends at most what exploring has). The search stops when a generation would
overrun its share of the budget (1 - FINAL_SHARE), after ``generations``, or when
STALL generations in a row bring nothing new; the rest of its share goes to racing.
Then the candidates still in contention that the racing draws put on the front more
often than not run again on fresh replications (the same for all, never used by the
search, so the selection's luck does not flatter the winners), sharing what is left of
the budget, and ``stress.optimization.analysis`` reports the front from those.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stress.config.keys import canonical
from stress.config.loading import ConfigError, Scenario, read_raw, validate
from stress.config.toml import dumps as config_to_toml
from stress.config.uncertain import check_inputs, dimensions, sample, unit_design
from stress.discovery.expressions import parse
from stress.errors import UsageError
from stress.jobs.pipeline import Evaluate, Job, JobCannotContinue, Outcome, Point, job_layout, point_of
from stress.model import cost
from stress.optimization import racing
from stress.optimization.analysis import analyse
from stress.optimization.levers import check_levers
from stress.optimization.objectives import (Measures, check_names, comparisons, constraints_of, objectives_of,
                                            statistics_needed)
from stress.optimization.search import Search
from stress.optimization.spec import OptimizeSpec
from stress.statistics.resampling import ReplicationWeights, means, weighted_means
from stress.statistics.tally import FINGERPRINT, outputs_of, statistic_names
from stress.storage import folders

# The share of the budget kept for the final re-evaluation (the search may leave more).
FINAL_SHARE = 0.3
# Generations in a row without a new candidate end the search (a discrete space explored).
STALL = 3
# Bootstrap draws: racing decisions, and the final front's probabilities and intervals.
RACING_DRAWS = 200
FINAL_DRAWS = 1000
# At most this many candidates are re-evaluated at the end (the least likely dominated).
FINAL_MEMBERS = 40
# SeedSequence spawn keys of the bootstrap weights (apart from the replications' streams).
RACING_KEY = 0x0BA1
FINAL_KEY = 0x0BA2
# A share of draws this far from 0 and 1 leaves a question open (as racing.DECIDED).
OPEN = racing.DECIDED


@dataclass
class Candidate:
    """One set of lever values the search proposed, and its values replication by replication."""
    id: int
    values: tuple                    # the levers' values
    generation: int
    data: np.ndarray                 # (n, S * A, J) per replication, scenario (by behaviour) and statistic
    prefix: str = ""                 # digest of its first n records' fingerprints
    same_as: int | None = None       # an older candidate with the same values on every replication both ran
    out: str | None = None           # why the search stopped giving it replications
    dominator: int | None = None
    dominated: float = math.nan      # share of racing draws some feasible candidate dominates it
    feasible: float = math.nan       # share of racing draws it meets the constraints
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.data)


class _Stage(Job):
    """Some candidates' points, each running its own range of the common replications."""
    kind = "optimize"

    def __init__(self, points: list[Point], starts: list[int], counts: list[int], *, seed: int, engine: str,
                 kept: tuple[int, ...]) -> None:
        super().__init__(points, scenario="", n=0, seed=seed, engine=engine, records=True)
        self.starts, self.counts, self.kept = starts, counts, kept

    def start(self, group: int) -> int:
        return self.starts[group]

    def target(self, group: int, done: int, totals) -> int:
        return self.counts[group] if done == 0 else done

    def replications(self) -> int:
        return sum(self.counts)


class OptimizeJob(Job):
    kind = "optimize"
    final_members = FINAL_MEMBERS

    def __init__(self, scenario: Scenario, spec: OptimizeSpec, *, engine: str) -> None:
        self.base, self.spec = scenario, spec
        self.levers = spec.lever_list()
        check_levers(self.levers, scenario)
        over = spec.uncertainty is not None
        if over:
            u = spec.uncertainty
            inputs = u.uncertain()
            check_inputs(inputs, scenario)
            self.scenarios = sample(inputs, unit_design(u.design, u.samples, dimensions(inputs), u.seed))
        else:
            self.scenarios = [{}]
        # the kinds of violator each candidate meets (None: the scenario's own)
        self.behaviours: list[str | None] = list(spec.adversary) if spec.adversary else [None]
        if spec.adversary and any(canonical(lever.key) == canonical("adversary.strategy") for lever in self.levers):
            raise UsageError("--lever adversary.strategy: with --adversary every candidate meets each behaviour "
                             "named there; the violator's behaviour is not also a lever")
        self.objectives = objectives_of([o["name"] for o in spec.objectives if o["direction"] == "minimize"],
                                        [o["name"] for o in spec.objectives if o["direction"] == "maximize"], over)
        # in the order given (objectives_of groups them by direction)
        order = {o["name"]: i for i, o in enumerate(spec.objectives)}
        self.objectives.sort(key=lambda o: order[o.name])
        self.constraints = constraints_of(spec.constraints)
        self.satisfice = parse(spec.satisfice, "--satisfice", commas=True) if spec.satisfice else None
        base = point_of(scenario.config)
        allowed = statistic_names(outputs_of(base.layout))
        check_names(self.objectives, self.constraints, self.satisfice, allowed, over)
        self.statistics = statistics_needed(self.objectives, self.constraints, self.satisfice, over)
        self.measures = Measures(self.objectives, self.constraints, self.satisfice, self.statistics, over,
                                 len(self.behaviours))
        first = spec.population * spec.n * self._width()
        if first > (1.0 - FINAL_SHARE) * spec.max_replications:
            need = math.ceil(first / (1.0 - FINAL_SHARE))
            raise UsageError(f"--max-replications {spec.max_replications:,} is too small: the first generation alone "
                             f"needs {spec.population} candidates x {spec.n:,} replications"
                             + (f" x {len(self.scenarios)} scenarios" if over else "")
                             + (f" x {len(self.behaviours)} behaviours" if spec.adversary else "")
                             + f" = {first:,}, and {FINAL_SHARE:.0%} of the budget is kept for re-evaluating the "
                               f"front; give at least {need:,}, or lower --population or -n")
        self.weights = ReplicationWeights(spec.seed, RACING_KEY, RACING_DRAWS)
        self.points_cache: dict[tuple[int, int], Point] = {}
        super().__init__([self._costliest(base)], scenario=scenario.config.scenario.name, n=spec.max_replications,
                         seed=spec.seed, engine=engine)

    def _width(self) -> int:
        """Points per candidate: each scenario against each behaviour."""
        return len(self.scenarios) * len(self.behaviours)

    # --- what the pipeline asks of a job ------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        return {"optimize": self.spec.model_dump()}

    def write_inputs(self, partial: Path) -> None:
        folders.atomic_write(partial / folders.CONFIG, config_to_toml(self.base.config))

    @classmethod
    def reopen(cls, partial: Path, manifest: dict[str, Any]) -> "OptimizeJob":
        raw, source = read_raw(partial / folders.CONFIG)
        return cls(Scenario(raw, source, validate(raw, source)), OptimizeSpec.model_validate(manifest["optimize"]),
                   engine=manifest["engine"])

    def _costliest(self, base: Point) -> Point:
        """The point the CPU budget is estimated on: the most expensive of the base, each
        lever at its ends, each scenario and each behaviour (the budget then covers every
        candidate)."""
        configs = [self._configure(dict(self.scenarios[s]), {}) for s in range(len(self.scenarios))]
        configs += [self._configure({}, {}, b) for b in self.behaviours if b is not None]
        for lever in self.levers:
            for value in lever.ends():
                configs.append(self._configure({}, {lever.key: value}))
        points = [point_of(c) for c in configs] + [base]
        return max(points, key=lambda p: cost.expected_breaches(p.params) + p.params.false_rate * p.params.horizon)

    def _configure(self, scenario: dict[str, Any], levers: dict[str, Any], behaviour: str | None = None,
                   where: str = "") -> Any:
        held = {canonical(k) for k in levers}
        violator = [("adversary.strategy", behaviour)] if behaviour is not None else []
        values = [(k, v) for k, v in scenario.items() if canonical(k) not in held] + violator + list(levers.items())
        return self.base.with_values(values, where)

    # --- the search ----------------------------------------------------------------------

    def run(self, evaluate: Evaluate) -> Outcome:
        spec, width = self.spec, self._width()
        self.evaluate, self.spent, self.stages = evaluate, 0, 0
        self.candidates: list[Candidate] = []
        self.index: dict[tuple, int] = {}
        self.history: list[dict[str, Any]] = []
        search = Search(self.levers, len(self.objectives), len(comparisons(self.constraints)), spec.population,
                        spec.seed)
        allowed = int((1.0 - FINAL_SHARE) * spec.max_replications)
        explored = raced = 0
        stalled = generation = 0
        self.stop = "generations"
        while generation < spec.generations:
            asked = search.ask()
            if asked is None:
                self.stop = "exhausted"
                break
            ids = [self._candidate(x, generation) for x in asked]
            new = list(dict.fromkeys(c for c in ids if self.candidates[c].n == 0))
            if self.spent + len(new) * spec.n * width > allowed:
                self.stop = "budget"
                break
            if new:
                for c, block in self._run([(c, 0, spec.n) for c in new]).items():
                    self.candidates[c].data = block
                self._same(new)
                explored += len(new) * spec.n * width
            raced += self._race(min(explored - raced, allowed - self.spent))
            pop = [self.index[self._key(x)] for x in search.population()]
            search.tell(*self._told(ids), self._told(pop))
            active = [c for c in self.candidates if c.out is None and c.same_as is None]
            self.history.append({"generation": generation, "new": len(new), "candidates": len(self.candidates),
                                 "replications": self.spent, "in_contention": len(active),
                                 "undecided": sum(OPEN < c.dominated < 1 - OPEN or OPEN < c.feasible < 1 - OPEN
                                                  for c in active)})
            generation += 1
            stalled = 0 if new else stalled + 1
            if stalled >= STALL:
                self.stop = "converged"
                break
        self.generations = generation
        self._race(allowed - self.spent)   # the search's share left over goes to racing
        self.search_replications = self.spent
        return self._final()

    def _key(self, position: np.ndarray) -> tuple:
        return tuple(lever.value(x) for lever, x in zip(self.levers, position))

    def _candidate(self, position: np.ndarray, generation: int) -> int:
        """The candidate at a position of the search (an old one if its values were seen)."""
        key = self._key(position)
        if key not in self.index:
            self.index[key] = len(self.candidates)
            self.candidates.append(Candidate(len(self.candidates), key, generation,
                                             np.zeros((0, self._width(), len(self.statistics)))))
        return self.index[key]

    def _point(self, c: int, k: int) -> Point:
        """Candidate ``c``'s point ``k``: scenario k // A against behaviour k % A."""
        point = self.points_cache.get((c, k))
        if point is None:
            s, b = divmod(k, len(self.behaviours))
            behaviour = self.behaviours[b]
            levers = dict(zip((lever.key for lever in self.levers), self.candidates[c].values))
            where = f"candidate {c} ({', '.join(f'{key}={v}' for key, v in levers.items())})" + (
                f" against a {behaviour} violator" if behaviour is not None else "") + (
                f" at scenario {s} ({', '.join(f'{key}={v}' for key, v in self.scenarios[s].items())})"
                if self.spec.uncertainty is not None else "")
            try:
                config = self._configure(dict(self.scenarios[s]), levers, behaviour, where)
            except ConfigError as exc:
                raise JobCannotContinue(f"{exc} (the levers' ends were valid alone and together, but not this "
                                        f"combination: narrow the levers)") from None
            first = next(iter(self.points_cache.values()), None)
            label = {"candidate": c, "scenario": s, **({"behaviour": behaviour} if behaviour is not None else {})}
            point = self.points_cache[(c, k)] = point_of(config, label, like=first)
        return point

    def _run(self, items: list[tuple[int, int, int]], name: str | None = None) -> dict[int, np.ndarray]:
        """Run (candidate, first replication, count) items as one stage; each candidate's
        values (count, S * A, J)."""
        width = self._width()
        points, starts, counts = [], [], []
        for c, first, count in items:
            for k in range(width):
                points.append(self._point(c, k))
                starts.append(first)
                counts.append(count)
        names = statistic_names(job_layout(points).outputs)
        missing = [n for n in self.statistics if n not in names]
        if missing:
            raise JobCannotContinue(f"{', '.join(missing)}: not an outcome of every candidate's plan")
        # each replication's statistics, then its record's fingerprint (for _same)
        stage = _Stage(points, starts, counts, seed=self.seed, engine=self.engine,
                       kept=tuple(names.index(n) for n in self.statistics) + (FINGERPRINT,))
        name = name or f"s{self.stages:05d}"
        self.stages += 1
        self.outcome = self.evaluate(stage, name, self.spent, self.spec.max_replications)
        self.spent += stage.replications()
        out = {}
        for i, (c, first, _count) in enumerate(items):
            blocks = [np.concatenate(list(self.outcome.records.blocks(i * width + s))) for s in range(width)]
            values = np.stack(blocks, axis=1)
            if first == 0:
                self.candidates[c].prefix = hashlib.sha256(np.ascontiguousarray(values[:, :, -1]).tobytes()).hexdigest()
            out[c] = values[:, :, :-1]
        return out

    def _same(self, new: list[int]) -> None:
        """A new candidate whose first n records are exactly an older one's (every column:
        a lever without any effect there, not merely none on the objectives) is that
        candidate's alias: it gets no replications of its own and is reported with it."""
        digests = {c.prefix: c.id for c in self.candidates if c.prefix and c.same_as is None and c.id not in new}
        for c in new:
            candidate = self.candidates[c]
            older = digests.get(candidate.prefix)
            if older is not None and np.array_equal(self.candidates[older].data[:self.spec.n], candidate.data,
                                                    equal_nan=True):
                candidate.same_as, candidate.out = older, f"the same records as candidate {older}"
            else:
                digests[candidate.prefix] = c

    def _draws(self, c: Candidate) -> tuple[np.ndarray, np.ndarray]:
        """(B, K) oriented objectives and (B,) feasibility in the racing draws."""
        if c.cache.get("n") != c.n:
            boot = weighted_means(c.data, self.weights.of(0, c.n))
            c.cache.update(n=c.n, draws=self.measures.oriented(self.measures.objectives_of(boot)),
                           feasible=self.measures.feasible(boot))
        return c.cache["draws"], c.cache["feasible"]

    def _race(self, allowance: int) -> int:
        """Racing rounds (see stress.optimization.racing) within ``allowance`` replications."""
        used, width = 0, self._width()
        while True:
            active = [c for c in self.candidates if c.out is None and c.same_as is None and c.n]
            if not active:
                return used
            draws = [self._draws(c) for c in active]
            place = racing.standing(np.stack([d[0] for d in draws]), np.stack([d[1] for d in draws]),
                                    capped=np.array([c.n >= self.spec.max_n for c in active]))
            for i, c in enumerate(active):
                c.dominated, c.feasible = float(place.dominated[i]), float(place.feasible[i])
                if place.out[i]:
                    for k in range(width):   # it runs no more: its compiled points can go
                        self.points_cache.pop((c.id, k), None)
                    d = place.dominator(i)
                    if d is not None:
                        c.dominator = active[d].id
                        c.out = f"dominated by candidate {c.dominator} in {place.clear[d, i]:.0%} of the draws"
                    else:
                        c.out = f"meets the constraints in {place.feasible[i]:.0%} of the draws"
            plan, cost_ = [], 0
            for i in racing.to_grow(place, [c.n for c in active], self.spec.max_n):
                c = active[i]
                more = min(2 * c.n, self.spec.max_n) - c.n
                if used + cost_ + more * width > allowance:
                    break
                plan.append((c.id, c.n, more))
                cost_ += more * width
            if not plan:
                return used
            for c, block in self._run(plan).items():
                self.candidates[c].data = np.concatenate([self.candidates[c].data, block])
            used += cost_

    def _estimates(self, c: Candidate) -> tuple[np.ndarray, np.ndarray]:
        """(K,) oriented objectives and (C,) constraint violations of the estimates."""
        if c.cache.get("estimated") != c.n:
            scenario_means = means(c.data)
            c.cache.update(estimated=c.n, values=self.measures.objectives_of(scenario_means),
                           violations=self.measures.violations(scenario_means))
        return self.measures.oriented(c.cache["values"]), c.cache["violations"]

    def _told(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self._estimates(self.candidates[c]) for c in ids]
        width = len(comparisons(self.constraints))
        return (np.array([p[0] for p in pairs]).reshape(len(ids), len(self.objectives)),
                np.array([p[1] for p in pairs]).reshape(len(ids), width))

    # --- the final front -----------------------------------------------------------------

    def _final(self) -> Outcome:
        """The candidates in contention, on fresh replications (after every replication the
        search could use), as many as what is left of the budget gives each."""
        spec, width = self.spec, self._width()
        eligible = [c for c in self.candidates if c.same_as is None and c.n]
        contenders = [c for c in eligible if c.out is None]
        self.no_contender = not contenders
        if not contenders:   # nothing clearly meets the constraints: the least infeasible
            contenders = sorted(eligible, key=lambda c: (-c.feasible, c.dominated, c.id))[:spec.population]
        ranked = sorted(contenders, key=lambda c: (c.dominated if c.dominated == c.dominated else 0.0, c.id))
        # the front as the search saw it: those more likely on it than not (the others are
        # in the candidates' table with their shares)
        likely = [c for c in ranked if not c.dominated >= 0.5] or ranked[:max(1, len(ranked) // 2)]
        self.unlikely = len(ranked) - len(likely)
        ranked = likely
        self.capped = max(0, len(ranked) - self.final_members)
        members = sorted(ranked[:self.final_members], key=lambda c: c.id)
        left = spec.max_replications - self.spent
        n = left // (len(members) * width)
        if n < spec.n:   # keep the members the budget gives n each
            members = sorted(ranked[:max(1, left // (spec.n * width))], key=lambda c: c.id)
            self.capped = len(ranked) - len(members)
            n = left // (len(members) * width)
        self.final_n = int(n // 100 * 100 if n >= 1000 else n)
        self.members = [c.id for c in members]
        self.final_data = self._run([(c.id, spec.max_n, self.final_n) for c in members], name="final")
        # members that agree on every objective and constraint in every fresh replication
        # (a lever without effect on them) are one point of the front: the later ones are
        # listed with the first, so they do not split the front
        self.merged: dict[int, list[int]] = {}
        kept: list[int] = []
        for m in self.members:
            twin = next((k for k in kept if np.array_equal(self.final_data[k], self.final_data[m], equal_nan=True)),
                        None)
            if twin is None:
                kept.append(m)
            else:
                self.merged.setdefault(twin, []).append(m)
        self.members = kept
        return self.outcome

    def _reference(self) -> np.ndarray:
        """The hypervolume's reference point (each objective in its own direction): the
        one given, or the worst estimate among every candidate evaluated and every member,
        moved out by a tenth of their range (so the front's extreme members count), but
        not beyond 0 or 1 for a probability."""
        if self.spec.reference is not None:
            return np.array([self.spec.reference[o.name] for o in self.objectives])
        oriented = [self._estimates(c)[0] for c in self.candidates if c.n and c.same_as is None]
        oriented += [self.measures.oriented(self.measures.objectives_of(means(self.final_data[m])))
                     for m in self.members]
        values = np.array(oriented)
        values = np.where(np.isfinite(values), values, np.nan)
        worst, best = np.nanmax(values, axis=0), np.nanmin(values, axis=0)
        span = np.where(worst > best, worst - best, np.maximum(np.abs(worst), 1e-12))
        reference = self.measures.oriented(worst + 0.1 * span)
        # ... but not beyond what a probability (or a share of scenarios) can be
        chance = np.array([o.statistic is None or not o.statistic.startswith("mean_") for o in self.objectives])
        return np.where(chance, np.clip(reference, 0.0, 1.0), reference)

    def finish(self, outcome: Outcome, folder: Path | None):
        from stress.optimization.report import result_of
        weights = ReplicationWeights(self.seed, FINAL_KEY, FINAL_DRAWS)
        analysis = analyse([self.final_data[m] for m in self.members], self.measures, weights, self.spec.max_n,
                           self._reference())
        result = result_of(self, analysis)   # an OptimizeResult
        if folder is not None:
            folders.write_csv(folder / "front.csv", result.front)
            folders.write_csv(folder / "candidates.csv", result.candidates)
            folders.write_csv(folder / "pairs.csv", result.pairs)
            folders.write_csv(folder / "history.csv", result.history)
            if self.spec.uncertainty is not None:
                folders.write_csv(folder / "scenarios.csv", result.scenarios)
            folders.write_json(folder / "optimize.json", result.to_dict())
        return result
