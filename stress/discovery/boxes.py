"""Boxes in the input space: limits on some inputs, and how well they capture the cases.

A box restricts a numeric input to ``[lower, upper]`` and a categorical one to a set
of its values. Of the points in a box, its *density* is the share that are cases of
interest; of all cases, its *coverage* is the share inside it; its *mass* is the share
of all points inside it. PRIM and CART both give a list of candidate boxes (``Search``);
``choose`` picks the one reported.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd


class Limit(NamedTuple):
    """One input's limits in a box, against its full range in the data."""
    input: str
    categorical: bool
    lower: float                   # numeric inputs (NaN for categorical ones)
    upper: float
    categories: tuple[Any, ...]    # categorical inputs: the values kept
    range_lower: float
    range_upper: float
    range_categories: tuple[Any, ...]
    qp_lower: float = math.nan     # quasi-p-value of each restricted side (NaN: not restricted)
    qp_upper: float = math.nan

    @property
    def restricted(self) -> bool:
        if self.categorical:
            return set(self.categories) != set(self.range_categories)
        return self.lower > self.range_lower or self.upper < self.range_upper

    @property
    def qp(self) -> float:
        """The box's quasi-p-value for this input (the larger of its sides')."""
        sides = [q for q in (self.qp_lower, self.qp_upper) if q == q]
        return max(sides) if sides else math.nan

    @property
    def cut(self) -> float:
        """The share of the input's range the box leaves out (of its values, for a
        categorical input): how much the box restricts it."""
        if self.categorical:
            return 1.0 - len(self.categories) / max(len(self.range_categories), 1)
        width = self.range_upper - self.range_lower
        return 1.0 - (self.upper - self.lower) / width if width > 0 else 0.0

    def text(self) -> str:
        if self.categorical:
            return f"{self.input} in {{{', '.join(map(str, self.categories))}}}"
        parts = []
        if self.lower > self.range_lower:
            parts.append(f"{self.lower:.4g} <= ")
        parts.append(self.input)
        if self.upper < self.range_upper:
            parts.append(f" <= {self.upper:.4g}")
        return "".join(parts)


class Box(NamedTuple):
    limits: tuple[Limit, ...]      # every input, in the order of the data's columns

    @property
    def restricted(self) -> list[Limit]:
        return [limit for limit in self.limits if limit.restricted]

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        """Which rows of ``x`` lie in the box."""
        keep = np.ones(len(x), dtype=bool)
        for limit in self.restricted:
            column = x[limit.input]
            if limit.categorical:
                keep &= column.isin(list(limit.categories)).to_numpy()
            else:
                values = column.to_numpy(dtype=np.float64)
                keep &= (values >= limit.lower) & (values <= limit.upper)
        return keep

    def text(self) -> str:
        return " and ".join(limit.text() for limit in self.restricted) or "(no restriction)"


def full_box(x: pd.DataFrame) -> Box:
    """The box of all the data."""
    limits = []
    for name in x.columns:
        column = x[name]
        if is_categorical(column):
            values = tuple(sorted(column.unique(), key=str))
            limits.append(Limit(name, True, math.nan, math.nan, values, math.nan, math.nan, values))
        else:
            low, high = float(column.min()), float(column.max())
            limits.append(Limit(name, False, low, high, (), low, high, ()))
    return Box(tuple(limits))


def is_categorical(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def with_limits(full: Box, bounds: dict[str, Any], qp: dict[str, tuple[float, float]] | None = None) -> Box:
    """``full`` narrowed to ``bounds`` (input -> (lower, upper) or a set of values)."""
    qp = qp or {}
    limits = []
    for limit in full.limits:
        if limit.input in bounds:
            bound = bounds[limit.input]
            if limit.categorical:
                kept = tuple(v for v in limit.range_categories if v in set(bound))
                limit = limit._replace(categories=kept)
            else:
                limit = limit._replace(lower=max(float(bound[0]), limit.range_lower),
                                       upper=min(float(bound[1]), limit.range_upper))
        sides = qp.get(limit.input, (math.nan, math.nan))
        limits.append(limit._replace(qp_lower=sides[0], qp_upper=sides[1]))
    return Box(tuple(limits))


class Stats(NamedTuple):
    n: int          # points in the box
    k: int          # cases of interest in it
    coverage: float
    density: float
    mass: float


def stats_of(box: Box, x: pd.DataFrame, y: np.ndarray) -> Stats:
    inside = box.inside(x)
    n, k, cases = int(inside.sum()), int(y[inside].sum()), int(y.sum())
    return Stats(n, k, k / cases if cases else math.nan, k / n if n else math.nan, n / len(y) if len(y) else math.nan)


def quasi_p(box: Box, x: pd.DataFrame, y: np.ndarray) -> Box:
    """Each restricted side's quasi-p-value (Bryant & Lempert 2010, as EMA Workbench
    computes it for PRIM): a one-sided binomial test of the box's density against the
    density of the box with that side's limit removed. "Quasi": the box was chosen on
    the same points, so it is a guide, not a test."""
    from scipy.stats import binomtest
    inside = box.inside(x)
    n, k = int(inside.sum()), int(y[inside].sum())
    limits = []
    for limit in box.limits:
        sides = []
        for side in ("lower", "upper"):
            if limit.categorical:
                dropped = limit._replace(categories=limit.range_categories) if side == "lower" else None
            elif getattr(limit, side) != getattr(limit, f"range_{side}"):
                dropped = limit._replace(**{side: getattr(limit, f"range_{side}")})
            else:
                dropped = None
            if dropped is None or not limit.restricted or n == 0:
                sides.append(math.nan)
                continue
            wider = Box(tuple(dropped if other.input == limit.input else other for other in box.limits))
            wide_in = wider.inside(x)
            p = float(y[wide_in].mean())
            sides.append(float(binomtest(k, n, p, alternative="greater").pvalue))
        limits.append(limit._replace(qp_lower=sides[0], qp_upper=sides[1]))
    return Box(tuple(limits))


class Search(NamedTuple):
    """A method's candidate boxes: PRIM's peeling and pasting trajectory, or CART's
    leaves. ``steps`` has one row per box: coverage, density, mass, res_dim, n, k."""
    method: str
    steps: pd.DataFrame
    boxes: list[Box]


# A restriction whose quasi-p-value is above this is dropped from the box reported.
DROP_LEVEL = 0.05


def choose(steps: pd.DataFrame, threshold: float) -> tuple[int, bool]:
    """The box reported: the one covering most cases among those at least ``threshold``
    dense (then the fewest restricted inputs, then the densest); if none is that dense,
    the densest. Returns its row and whether it met the threshold."""
    dense = steps[steps["density"] >= threshold - 1e-12]
    met = len(dense) > 0
    pool = dense if met else steps[steps["density"] == steps["density"].max()]
    ranked = pool.sort_values(["coverage", "res_dim", "density"], ascending=[False, True, False], kind="stable")
    return int(ranked.index[0]), met


class Pick(NamedTuple):
    """The box reported, and how it was reached."""
    box: Box
    step: int                  # its row in the (extended) steps
    met: bool                  # whether it reaches the density threshold
    dropped: list[tuple[str, float]]   # restrictions dropped, with their quasi-p-values
    search: Search             # the search, with the pruned box appended as a step if any was dropped


def pick(found: Search, x: pd.DataFrame, y: np.ndarray, threshold: float, level: float = DROP_LEVEL) -> Pick:
    """``choose``'s box without the restrictions that do not earn their place: the one with
    the largest quasi-p-value above ``level`` is dropped, again and again, as long as the
    box keeps the density asked for (Bryant & Lempert 2010 drop such limits by hand; EMA
    Workbench's ``drop_restriction``). A greedy method under noise peels an input now
    and then for a few points' sake; this undoes that. The pruned box joins the steps."""
    index, met = choose(found.steps, threshold)
    box = quasi_p(found.boxes[index], x, y)
    floor = threshold if met else stats_of(box, x, y).density
    dropped = []
    while True:
        loose = [limit for limit in box.restricted if limit.qp == limit.qp and limit.qp > level]
        if not loose:
            break
        worst = max(loose, key=lambda limit: limit.qp)
        full = limit_free(worst)
        wider = Box(tuple(full if limit.input == worst.input else limit for limit in box.limits))
        if stats_of(wider, x, y).density < floor - 1e-12:
            break
        dropped.append((worst.input, worst.qp))
        box = quasi_p(wider, x, y)
    if not dropped:
        return Pick(box, index, met, dropped, found)
    s = stats_of(box, x, y)
    row = {"coverage": s.coverage, "density": s.density, "mass": s.mass, "res_dim": len(box.restricted), "n": s.n,
           "k": s.k}
    steps = pd.concat([found.steps, pd.DataFrame([row])], ignore_index=True)
    steps["dropped"] = [""] * len(found.steps) + [", ".join(name for name, _ in dropped)]
    return Pick(box, len(steps) - 1, met, dropped, Search(found.method, steps, [*found.boxes, box]))


def limit_free(limit: Limit) -> Limit:
    """The limit widened to the input's full range."""
    return limit._replace(lower=limit.range_lower, upper=limit.range_upper, categories=limit.range_categories,
                          qp_lower=math.nan, qp_upper=math.nan)
