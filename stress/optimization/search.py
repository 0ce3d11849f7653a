"""The evolutionary search: pymoo's NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002, IEEE
Transactions on Evolutionary Computation 6(2)) through its ask/tell interface.

pymoo draws every random number of its operators from one ``numpy.random.Generator``
made from the seed it is given; that seed comes from a ``SeedSequence`` of the root
seed, so the search is the same every time and uses no global state. The search asks
for a generation of lever positions, the job evaluates them on the pipeline and tells
the search every candidate's current estimates (the estimates of candidates already
told change as racing adds replications: the population is told them again before the
next survival).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from stress.optimization.levers import Lever

# SeedSequence spawn key of the search's random numbers: apart from every replication's
# streams (replication, component) and the sampling designs.
SEARCH_KEY = 0x0EA2
# What the search is told for an objective that cannot be estimated (no replication had
# the outcome): worse than any probability or plausible mean, yet finite, which the
# crowding distance needs.
UNKNOWN = 1e9


# Draws the first generation may take to find distinct candidates (a small discrete
# space may have fewer than a population).
DRAWS = 100


def _operators(levers: Sequence[Lever]):
    """pymoo's operators for the levers: discrete positions are rounded after sampling,
    crossover and mutation (a repair), so candidates are the levers' own values; the
    first generation is drawn uniformly, a duplicate drawn again (rounding makes them in
    a small discrete space), so it holds as many distinct candidates as it can."""
    from pymoo.core.repair import Repair
    from pymoo.core.sampling import Sampling

    discrete = np.array([not lever.continuous for lever in levers])

    def snap(X, problem):
        X = np.asarray(X, dtype=np.float64).copy()
        X[:, discrete] = np.round(X[:, discrete])
        return np.clip(X, problem.xl, problem.xu)

    class Snap(Repair):
        def _do(self, problem, X, **kwargs):
            return snap(X, problem)

    class Distinct(Sampling):
        def _do(self, problem, n_samples, random_state=None, **kwargs):
            found: dict[tuple, np.ndarray] = {}
            for _ in range(DRAWS):
                missing = n_samples - len(found)
                if missing == 0:
                    break
                X = snap(problem.xl + random_state.random((missing, problem.n_var)) * (problem.xu - problem.xl),
                         problem)
                for x in X:
                    found.setdefault(tuple(x.tolist()), x)
            return np.array(list(found.values()))

    return Snap(), Distinct()


class Search:
    """NSGA-II over the levers' positions, objectives to minimise, constraints <= 0."""

    def __init__(self, levers: Sequence[Lever], objectives: int, constraints: int, population: int,
                 seed: int) -> None:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        bounds = np.array([lever.bounds() for lever in levers], dtype=np.float64)
        self.problem = Problem(n_var=len(levers), n_obj=objectives, n_ieq_constr=constraints,
                               xl=bounds[:, 0], xu=bounds[:, 1])
        repair, sampling = _operators(levers)
        self.algorithm = NSGA2(pop_size=population, sampling=sampling, crossover=SBX(prob=0.9, eta=15),
                               mutation=PM(eta=20), repair=repair, eliminate_duplicates=True)
        state = np.random.SeedSequence(seed, spawn_key=(SEARCH_KEY,)).generate_state(1)[0]
        self.algorithm.setup(self.problem, termination=("n_gen", 2 ** 31), seed=int(state), verbose=False)
        self.asked = None

    def ask(self) -> np.ndarray | None:
        """The next generation's lever positions (None: the search can make no new one)."""
        asked = self.algorithm.ask()
        if asked is None or len(asked) == 0:
            return None
        self.asked = asked
        return np.asarray(asked.get("X"), dtype=np.float64)

    def population(self) -> np.ndarray:
        """The lever positions of the current population (empty before the first tell)."""
        pop = self.algorithm.pop
        return np.zeros((0, self.problem.n_var)) if pop is None or len(pop) == 0 else np.asarray(pop.get("X"))

    def tell(self, objectives: np.ndarray, violations: np.ndarray, current: tuple[np.ndarray, np.ndarray]) -> None:
        """Tell the asked generation its objectives (to minimise) and constraint
        violations (<= 0: met), and the current population its estimates now."""
        pop = self.algorithm.pop
        if pop is not None and len(pop):
            _set(pop, *current)
        _set(self.asked, objectives, violations)
        self.algorithm.tell(infills=self.asked)
        self.asked = None


def _set(pop, objectives: np.ndarray, violations: np.ndarray) -> None:
    # a value that cannot be estimated (an outcome no replication had) ranks last
    pop.set("F", np.where(np.isfinite(objectives), objectives, UNKNOWN))
    if violations.shape[1]:
        pop.set("G", violations)
    for individual in pop:
        individual.CV = None      # pymoo caches it from G: computed afresh
        individual.evaluated.update(("F", "G", "H"))
