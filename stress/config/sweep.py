"""The ``[sweep]`` table of a scenario file (or the sweep's command-line options, as
``stress.jobs.sweep`` reads them): which points a sweep runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SweepSpec(BaseModel):
    """A sweep definition: the ``[sweep]`` table of a scenario file, or CLI options."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    grid: dict[str, list[Any]] = Field(default_factory=dict,
                                       description="Axis key -> values; the points are their Cartesian product.")
    design: Literal["grid", "lhs", "sobol"] = Field("grid", description="How ranges are sampled.")
    samples: int | None = Field(None, ge=1, description="Points drawn from the ranges (lhs, sobol).")
    ranges: dict[str, tuple[float, float]] = Field(default_factory=dict, description="Key -> (low, high).")
    n: int = Field(2000, ge=1, description="Replications per point.")
    seed: int = Field(0, ge=0, description="Root seed, the same for every point.")
    precision: float | None = Field(None, gt=0, lt=1, description="Target 95% half-width of every tier probability.")
    max_n: int | None = Field(None, ge=1, description="Most replications per point when a precision is set.")
    max_points: int | None = Field(None, ge=1, description="Most points (default: jobs.points.MAX_POINTS).")

    @model_validator(mode="after")
    def _consistent(self) -> "SweepSpec":
        if self.design == "grid" and self.ranges:
            raise ValueError("ranges need design = 'lhs' or 'sobol'")
        if self.design != "grid" and (not self.ranges or self.samples is None):
            raise ValueError(f"design = '{self.design}' needs ranges and samples")
        for key, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"range {key} = {low}:{high}: low must be below high")
        for key, values in self.grid.items():
            if not values:
                raise ValueError(f"grid {key} has no values")
        if not self.grid and not self.ranges:
            raise ValueError("a sweep needs at least one --grid axis or --range")
        if self.max_n is not None and self.precision is not None and self.max_n < self.n:
            raise ValueError(f"max_n = {self.max_n} is below n = {self.n}: a point never runs fewer than n")
        return self
