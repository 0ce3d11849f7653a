"""An optimisation's definition, as the manifest keeps it to resume the job."""

from __future__ import annotations

from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stress.config.adversary import behaviours_named
from stress.errors import UsageError
from stress.config.uncertain import ExploreSpec
from stress.optimization.levers import Lever, parse_lever
from stress.optimization.objectives import constraints_of, objectives_of

# Without --max-n, a candidate may get up to this many times its first replications.
MAX_N_FACTOR = 16


class OptimizeSpec(BaseModel):
    """The levers, objectives and constraints, the budget and how the search spends it."""
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    levers: list[dict[str, Any]] = Field(description="Per lever: key and low, high (and step) or choices.")
    objectives: list[dict[str, str]] = Field(description="Per objective: name and direction.")
    constraints: list[str] = Field(default_factory=list, description="Conditions every member must meet.")
    satisfice: str | None = Field(None, description="Criteria at a scenario, for the satisficing share.")
    max_replications: int = Field(ge=1, description="The search's whole budget of replications.")
    n: int = Field(1000, ge=2, description="Replications each new candidate starts with.")
    max_n: int = Field(ge=2, description="Most replications a candidate gets during the search.")
    population: int = Field(20, ge=4, description="Candidates per generation of NSGA-II.")
    generations: int = Field(100, ge=1, description="Most generations.")
    seed: int = Field(0, ge=0)
    reference: dict[str, float] | None = Field(None, description="The hypervolume's reference point, by objective.")
    uncertainty: ExploreSpec | None = Field(None, description="With --over-uncertainty: the scenarios' draw.")
    adversary: list[str] | None = Field(
        None, description="Kinds of violator every candidate meets; each objective and constraint is judged under "
                          "the worst of them for it.")

    @model_validator(mode="after")
    def _consistent(self) -> "OptimizeSpec":
        if self.max_n < self.n:
            raise ValueError(f"max_n = {self.max_n} is below n = {self.n}: a candidate never runs fewer than n")
        return self

    def lever_list(self) -> list[Lever]:
        return [Lever.from_dict(d) for d in self.levers]


def spec_of(levers: Sequence[str], minimize: Sequence[str], maximize: Sequence[str], constraints: Sequence[str],
            satisfice: str | None, max_replications: int, n: int, max_n: int | None, population: int,
            generations: int, seed: int, reference: str | dict[str, float] | None,
            uncertainty: ExploreSpec | None, adversary: Sequence[str] | None = None) -> OptimizeSpec:
    """The definition from the command line's texts (checked; names are checked against
    the plan's outcomes by the job)."""
    for name, value, low in (("max_replications", max_replications, 1), ("n", n, 2), ("population", population, 4),
                             ("generations", generations, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(f"{name} must be a whole number >= {low}, got {value!r}")
    if max_n is not None and (isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < n):
        raise UsageError(f"max_n must be a whole number >= n ({n}), got {max_n!r}")
    parsed = [parse_lever(text) for text in levers]
    over = uncertainty is not None
    objectives = objectives_of(list(minimize), list(maximize), over)
    constraints_of(list(constraints))   # checked here, kept as the user wrote them
    if satisfice is not None:
        from stress.discovery.expressions import parse
        parse(satisfice, "--satisfice", commas=True)
    return OptimizeSpec(levers=[lever.as_dict() for lever in parsed],
                        objectives=[{"name": o.name, "direction": o.direction} for o in objectives],
                        constraints=list(constraints), satisfice=satisfice, max_replications=max_replications, n=n,
                        max_n=max_n if max_n is not None else MAX_N_FACTOR * n, population=population,
                        generations=generations, seed=seed, reference=_reference(reference, objectives),
                        uncertainty=uncertainty,
                        adversary=behaviours_named(list(adversary)) if adversary is not None else None)


def _reference(reference: str | dict[str, float] | None, objectives) -> dict[str, float] | None:
    """``"p_x=0.3, p_y=0.1"`` or a mapping: a value for every objective."""
    if reference is None:
        return None
    if isinstance(reference, str):
        pairs = {}
        for part in reference.split(","):
            name, sep, value = part.partition("=")
            try:
                pairs[name.strip()] = float(value)
            except ValueError:
                raise UsageError(f"--reference {reference!r}: expected NAME=NUMBER, ... for every objective") from None
            if not sep:
                raise UsageError(f"--reference {reference!r}: expected NAME=NUMBER, ... for every objective")
        reference = pairs
    names = [o.name for o in objectives]
    if sorted(reference) != sorted(names):
        raise UsageError(f"--reference gives {', '.join(sorted(reference)) or 'nothing'}; it needs a value for each "
                         f"objective: {', '.join(names)}")
    return {name: float(reference[name]) for name in names}
