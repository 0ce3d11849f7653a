"""How stable a box is: the method run again on random halves of the points.

Each resample draws half the points without replacement (as EMA Workbench's
``PrimBox.resample``, but from a seeded generator so the answer repeats), finds its box
by the same rule (``boxes.pick``), and checks it on the other half. An input the full box restricts
but few resampled boxes do may be restricted by chance; a box whose density on the
points it was not found on falls well short of its own overfits them.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from stress.discovery.boxes import Box, Search, pick, stats_of

# SeedSequence spawn key of the resampling's random numbers.
RESAMPLE_KEY = 0xB0C5


class Stability(NamedTuple):
    inputs: pd.DataFrame     # per input: restricted_share, median limits over the boxes restricting it
    summary: dict            # resamples, held-out coverage and density (mean, 10% and 90% quantiles), agreement


def resample(x: pd.DataFrame, y: np.ndarray, chosen: Box, search: Callable[[pd.DataFrame, np.ndarray], Search],
             threshold: float, resamples: int, seed: int) -> Stability:
    x = x.reset_index(drop=True)
    y = np.asarray(y, dtype=bool)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(RESAMPLE_KEY,)))
    names = list(x.columns)
    restricted = {name: 0 for name in names}
    lowers = {name: [] for name in names}
    uppers = {name: [] for name in names}
    held_coverage, held_density, same = [], [], 0
    done = 0
    chosen_set = {limit.input for limit in chosen.restricted}
    for _ in range(resamples):
        half = np.zeros(len(x), dtype=bool)
        half[rng.choice(len(x), size=len(x) // 2, replace=False)] = True
        if not y[half].any() or y[half].all():
            continue  # no box to find in this half
        box = pick(search(x[half], y[half]), x[half], y[half], threshold).box
        done += 1
        for limit in box.restricted:
            restricted[limit.input] += 1
            if not limit.categorical:
                lowers[limit.input].append(limit.lower)
                uppers[limit.input].append(limit.upper)
        same += {limit.input for limit in box.restricted} == chosen_set
        out = stats_of(box, x[~half], y[~half])
        held_coverage.append(out.coverage)
        held_density.append(out.density)
    rows = []
    for name in names:
        rows.append({"input": name, "restricted_share": restricted[name] / done if done else np.nan,
                     "lower_median": float(np.median(lowers[name])) if lowers[name] else np.nan,
                     "upper_median": float(np.median(uppers[name])) if uppers[name] else np.nan})
    return Stability(pd.DataFrame(rows), {
        "resamples": done, "fraction": 0.5, "same_inputs": same / done if done else None,
        "held_out_coverage": _spread(held_coverage), "held_out_density": _spread(held_density)})


def _spread(values: list[float]) -> dict:
    finite = np.asarray([v for v in values if v == v], dtype=np.float64)
    if not len(finite):
        return {"mean": None, "q10": None, "q90": None}
    return {"mean": float(finite.mean()), "q10": float(np.quantile(finite, 0.1)),
            "q90": float(np.quantile(finite, 0.9))}
