"""What one replication reports: the fields of its record.

Both engines write records as rows of a float64 matrix with these columns (counts and
flags are exact in a double), one matrix per chunk of replications; ``to_frame``
gives them their proper types. Times are hours since the ceasefire began; NaN means
'did not happen within the horizon'.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Field(NamedTuple):
    name: str
    dtype: str
    description: str


FIELDS: tuple[Field, ...] = (
    Field("replication", "int64", "Replication index i (its streams are seeded from (seed, i))."),
    Field("highest_tier", "int8", "Highest tier reached within the horizon (0: none)."),
    Field("tier1_hours", "float64", "Time tier 1 was first reached: the first warning."),
    Field("tier2_hours", "float64", "Time tier 2 was first reached: the deployment decision."),
    Field("tier3_hours", "float64", "Time tier 3 was first reached: the coordinated response initiated."),
    Field("forces_arrived_hours", "float64", "Time the tier-2 forces arrived."),
    Field("breaches", "int32", "Breaches of all classes."),
    Field("detected", "int32", "Breaches detected by the monitors."),
    Field("reports", "int32", "Verified, attributed reports of real breaches."),
    Field("false_reports", "int32", "Verified false reports."),
    Field("warnings", "int32", "Tier-1 diplomatic warnings."),
    Field("military_responses", "int32", "Tier-1 military responses started."),
    Field("tier2_declined", "int32", "Tier-2 decisions declined."),
    Field("tier3_declined", "int32", "Tier-3 decisions declined."),
    Field("tier2_deployed", "bool", "Tier-2 deployment decided."),
    Field("tier3_initiated", "bool", "Tier-3 coordinated response initiated."),
    Field("backstop_joined", "bool", "The backstop power joined the tier-3 response."),
    Field("tier3_stood_down", "bool", "A decided tier-3 response was cancelled by the violator standing down."),
    Field("tier3_objective_first", "bool", "An attack reached its objective while the tier-3 response was pending."),
    Field("tier2_on_false_report", "bool", "Tier 2 was reached only because false reports were counted."),
    Field("tier3_on_false_report", "bool", "Tier 3 was reached only because of false reports."),
    Field("false_escalation", "bool", "Tier 2 or 3 was reached on a false report."),
    Field("mean_response_latency_hours", "float64", "Mean time from breach to tier-1 military response (real breaches)."),
    Field("tier3_latency_hours", "float64", "Time from the triggering incident to the tier-3 response."),
    Field("final_multiplier", "float64", "The violator's rate multiplier m(t) at the horizon."),
)
COLUMN = {f.name: i for i, f in enumerate(FIELDS)}
N_FIXED = len(FIELDS)
TIER_COLUMNS = (COLUMN["tier1_hours"], COLUMN["tier2_hours"], COLUMN["tier3_hours"])


def column_names(class_names: list[str]) -> list[str]:
    """All record columns: the fixed fields, then one breach count per class."""
    return [f.name for f in FIELDS] + [f"breaches_{name}" for name in class_names]


def empty(n: int, n_classes: int) -> np.ndarray:
    return np.zeros((n, N_FIXED + n_classes), dtype=np.float64)


def to_frame(values: np.ndarray, class_names: list[str]):
    """Records matrix -> typed data frame, one row per replication."""
    import pandas as pd  # only here: a run that keeps no records never loads pandas
    columns = column_names(class_names)
    frame = pd.DataFrame(values, columns=columns)
    dtypes = {f.name: f.dtype for f in FIELDS} | {f"breaches_{n}": "int32" for n in class_names}
    return frame.astype(dtypes)
