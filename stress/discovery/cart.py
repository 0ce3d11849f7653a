"""CART (Breiman et al. 1984) by scikit-learn: a classification tree whose leaves are
boxes. Categorical inputs enter as one indicator per value; each leaf's path of splits
gives its limits. Every leaf holds at least ``mass_min`` of the points, as PRIM's
last box does, so the two methods find boxes of comparable size.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from stress.discovery.boxes import Box, Search, full_box, is_categorical, quasi_p, stats_of, with_limits

SEPARATOR = "\x1f"   # between an input's name and a value in an indicator column's name


def search(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05, seed: int = 0) -> Search:
    """The tree's leaves as boxes, densest first, each with its quasi-p-values. ``seed``
    breaks ties between equally good splits (scikit-learn draws the order of inputs)."""
    from sklearn.tree import DecisionTreeClassifier
    x = x.reset_index(drop=True)
    categorical = [name for name in x.columns if is_categorical(x[name])]
    design = pd.get_dummies(x.astype({name: object for name in categorical}), columns=categorical,
                            prefix_sep=SEPARATOR, dtype=float)
    tree = DecisionTreeClassifier(min_samples_leaf=max(1, math.ceil(mass_min * len(x))), random_state=seed)
    tree.fit(design.to_numpy(dtype=np.float64), np.asarray(y, dtype=int))
    full = full_box(x)
    boxes = [quasi_p(_leaf_box(full, path, list(design.columns)), x, y) for path in _leaf_paths(tree.tree_)]
    rows = []
    for box in boxes:
        s = stats_of(box, x, y)
        rows.append({"coverage": s.coverage, "density": s.density, "mass": s.mass, "res_dim": len(box.restricted),
                     "n": s.n, "k": s.k})
    steps = pd.DataFrame(rows)
    order = steps.sort_values(["density", "coverage"], ascending=False, kind="stable").index
    return Search("cart", steps.loc[order].reset_index(drop=True), [boxes[i] for i in order])


def _leaf_paths(tree) -> list[list[tuple[int, float, bool]]]:
    """Every leaf's splits from the root: (feature, threshold, went left: x <= threshold)."""
    paths, stack = [], [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            paths.append(path)
            continue
        feature, threshold = int(tree.feature[node]), float(tree.threshold[node])
        stack.append((right, path + [(feature, threshold, False)]))
        stack.append((left, path + [(feature, threshold, True)]))
    return paths[::-1]


def _leaf_box(full: Box, path: list[tuple[int, float, bool]], columns: list[str]) -> Box:
    bounds: dict[str, object] = {}
    limits = {limit.input: limit for limit in full.limits}
    for feature, threshold, went_left in path:
        column = columns[feature]
        if column in limits and not limits[column].categorical:
            lower, upper = bounds.get(column, (limits[column].range_lower, limits[column].range_upper))
            # the tree splits halfway between data values, so no point lies on a threshold
            bounds[column] = (lower, min(upper, threshold)) if went_left else (max(lower, threshold), upper)
        else:
            name, _, value = column.partition(SEPARATOR)
            kept = bounds.get(name, set(limits[name].range_categories))
            match = {v for v in kept if str(v) == value}
            bounds[name] = (kept - match) if went_left else (kept & match)
    return with_limits(full, bounds)
