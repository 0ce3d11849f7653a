"""PRIM (Friedman & Fisher 1999), as EMA Workbench implements it for scenario discovery.

EMA Workbench's ``Prim`` peels (and then pastes) a box from the full data: every step
removes the sliver of points, along one input, whose removal raises the density most
per point removed, until the box holds ``mass_min`` of the points. Its peeling
trajectory, the box limits of every step and their quasi-p-values are taken from it
as they are. Its ``threshold`` both marks the cases (y >= threshold) and is the density
its last box must reach, else it drops the trajectory: it is passed just above 0, so
the cases are the points with y = 1 and the trajectory is always kept
(``boxes.choose`` picks the box with the user's density threshold instead).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from stress.discovery.boxes import Search, full_box, with_limits

PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
CASE = 1e-9


def _prim_class():
    # EMA Workbench announces optional extras it does not find (ipyparallel, altair) on import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis.prim import Prim
    return Prim


def search(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05, peel_alpha: float = PEEL_ALPHA,
           paste_alpha: float = PASTE_ALPHA) -> Search:
    """PRIM's trajectory over the inputs ``x`` for the cases ``y`` (bool)."""
    Prim = _prim_class()
    frame = x.reset_index(drop=True).copy()
    for name in frame.columns:  # EMA Workbench takes text columns as categories, numbers as float or int
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name]):
            frame[name] = frame[name].astype(object)
        elif pd.api.types.is_integer_dtype(frame[name]):
            # its pasting writes a midpoint (4.5) into an integer column, which pandas 3 refuses
            frame[name] = frame[name].astype(np.float64)
    full = full_box(frame)
    with warnings.catch_warnings():
        # pandas' notices of what its next version changes, about EMA Workbench's own code
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        prim = Prim(frame, np.asarray(y, dtype=int), threshold=CASE, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                    mass_min=mass_min)
        found = prim.find_box()
    steps = found.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n", "k"]].reset_index(drop=True)
    steps = steps.astype({"res_dim": int, "n": int, "k": int})
    boxes = []
    for lims, qp in zip(found.box_lims, found.qp):
        bounds = {name: (set(lims[name][0]) if full.limits[j].categorical else (lims[name][0], lims[name][1]))
                  for j, name in enumerate(frame.columns)}
        boxes.append(with_limits(full, bounds, {k: tuple(_qp(v) for v in sides) for k, sides in qp.items()}))
    return Search("prim", steps, boxes)


def _qp(value: float) -> float:
    """EMA Workbench marks an unrestricted side with -1."""
    return math.nan if value is None or value < 0 else float(value)
