"""Which points are cases of interest, and which could be misclassified by noise.

Each point's outputs are Monte Carlo estimates from its N replications, so a point
whose estimate lies near a threshold may sit on the wrong side of it by chance. Its
class is taken from the estimate; its interval (95%, or ``confidence``) says whether
the class is clear (the whole interval on one side) or could be noise (the interval
straddles the threshold). With ``confidence`` only the clear points are classified
and the others are left out of the analysis.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from stress.discovery.expressions import UNCLEAR, Expression
from stress.statistics.intervals import wilson_intervals, z_value


def _tier_probability(name: str, columns) -> bool:
    """Whether ``name`` is a tier's probability (``<tier>_p``, its interval in
    ``<tier>_ci_low`` and ``<tier>_ci_high``) among a point table's ``columns``."""
    return name.endswith("_p") and f"{name[:-2]}_ci_low" in columns


def interval_columns(name: str, columns) -> tuple[str, str]:
    """The columns of a point table (with ``columns``) holding ``name``'s interval."""
    if _tier_probability(name, columns):
        return f"{name[:-2]}_ci_low", f"{name[:-2]}_ci_high"
    return f"{name}_ci_low", f"{name}_ci_high"


def is_proportion(name: str, columns) -> bool:
    """Whether an output of a point table is a probability (a tier's, or a yes/no metric)."""
    return _tier_probability(name, columns) or name.startswith("p_")


def output_names(table: pd.DataFrame) -> list[str]:
    """The outputs of a point table that have an estimate and an interval at each point."""
    columns = set(table.columns)
    names = [c for c in table.columns if all(i in columns for i in interval_columns(c, columns))]
    return [c for c in names if pd.api.types.is_numeric_dtype(table[c])]


class Outputs(NamedTuple):
    """The outputs an expression uses, at every point: estimates, standard errors and
    intervals at the requested confidence."""
    estimate: dict[str, np.ndarray]
    error: dict[str, np.ndarray]     # standard error (normal approximation)
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]


def outputs_at(table: pd.DataFrame, names: Sequence[str], confidence: float = 0.95) -> Outputs:
    """Each output's interval at ``confidence``: Wilson's from the estimate and n for a
    probability (as the table's own), else the table's 95% Student-t interval rescaled
    by the normal quantiles (its N is hundreds or more, where t and normal agree)."""
    n = table["n"].to_numpy(dtype=np.float64)
    columns = set(table.columns)
    estimate, error, low, high = {}, {}, {}, {}
    for name in names:
        x = table[name].to_numpy(dtype=np.float64)
        lo95, hi95 = (table[c].to_numpy(dtype=np.float64) for c in interval_columns(name, columns))
        estimate[name] = x
        if is_proportion(name, columns):
            error[name] = np.sqrt(np.clip(x * (1 - x), 0.0, None) / n)
            _, low[name], high[name] = wilson_intervals(np.round(x * n), n, confidence)
        else:
            se = (hi95 - lo95) / (2 * z_value(0.95))
            error[name] = np.nan_to_num(se, nan=0.0)
            half = z_value(confidence) * se
            low[name], high[name] = x - half, x + half
    return Outputs(estimate, error, low, high)


class Cases(NamedTuple):
    """The classes of every point under a target expression."""
    target: str
    estimated: np.ndarray        # (S,) bool: the expression holds for the estimates
    clear: np.ndarray            # (S,) int8: YES / NO / UNCLEAR at the 95% intervals
    chance: np.ndarray           # (S,) probability that the expression truly holds (normal errors)
    used: np.ndarray             # (S,) bool: classified (all points, or the clear ones at ``confidence``)
    confidence: float | None

    @property
    def y(self) -> np.ndarray:
        """The classes of the points used (True: a case of interest)."""
        return self.estimated[self.used]

    @property
    def straddling(self) -> int:
        """Points whose 95% intervals straddle the threshold: their class could be noise."""
        return int(np.sum((self.clear == UNCLEAR) & np.isfinite(self.chance)))

    @property
    def undefined(self) -> int:
        """Points where an output of the target is undefined (left out)."""
        return int(np.sum(~np.isfinite(self.chance)))

    @property
    def expected_misclassified(self) -> float:
        """How many points' estimated classes are expected to be wrong by noise alone."""
        wrong = np.where(self.estimated, 1.0 - self.chance, self.chance)
        return float(np.sum(wrong[self.used]))

    def summary(self) -> dict:
        return {"target": self.target, "points": int(len(self.estimated)), "used": int(self.used.sum()),
                "cases": int(self.y.sum()), "confidence": self.confidence, "straddling_95": self.straddling,
                "undefined": self.undefined,
                "expected_misclassified": self.expected_misclassified}


def classify(table: pd.DataFrame, expression: Expression, text: str, confidence: float | None = None) -> Cases:
    """The class of every point of ``table`` (one row per point with its outputs and
    their intervals); with ``confidence``, only the points whose class is clear at that
    confidence are used."""
    names = expression.names()
    at95 = outputs_at(table, names, 0.95)
    estimated = expression.holds(at95.estimate)
    clear = expression.classes(at95.low, at95.high)
    chance = expression.chance(at95.estimate, at95.error)
    # an output undefined at a point (a latency where the tier was never reached) leaves it out
    used = np.logical_and.reduce([np.isfinite(at95.estimate[name]) for name in names])
    if confidence is not None:
        chosen = outputs_at(table, names, confidence)
        # a clear class is the estimate's (every interval holds its estimate)
        used &= expression.classes(chosen.low, chosen.high) != UNCLEAR
    return Cases(text, estimated, clear, chance, used, confidence)


def check_confidence(confidence: float | None) -> None:
    from stress.errors import UsageError
    if confidence is not None and not (isinstance(confidence, (int, float)) and 0.5 <= confidence < 1
                                       and math.isfinite(confidence)):
        raise UsageError(f"--confidence must be at least 0.5 and below 1 (e.g. 0.95), got {confidence!r}")
