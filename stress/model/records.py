"""What one replication reports: the fields of its record, made from the plan.

Both engines write records as rows of a float64 matrix (counts and flags are exact in a
double), one matrix per chunk of replications; ``Layout.to_frame`` gives them their
proper types. The columns are the fixed ones (``FIXED``), the violator's when it reads the plan
(``VIOLATOR``), then each tier's own in plan
order (``<tier>_hours`` and those its keys call for, ``TIER_FIELDS``), then one breach
count per class. Times are hours since the ceasefire began; NaN means 'did not happen
within the horizon'.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from stress.config.schema import Config, record_suffixes


class Field(NamedTuple):
    name: str
    dtype: str
    description: str


FIXED: tuple[Field, ...] = (
    Field("replication", "int64", "Replication index i (its streams are seeded from (seed, i))."),
    Field("highest_tier", "int8", "Position in the plan (1 = first) of the highest tier reached within the horizon "
                                  "(0: none)."),
    Field("breaches", "int32", "Breaches of all classes."),
    Field("detected", "int32", "Breaches detected by the monitors."),
    Field("reports", "int32", "Verified, attributed reports of real breaches."),
    Field("false_reports", "int32", "Verified false reports."),
    Field("false_escalation", "bool", "A tier that is reached once was reached on false reports."),
    Field("final_multiplier", "float64", "The violator's rate multiplier m(t) at the horizon."),
)
COLUMN = {f.name: i for i, f in enumerate(FIXED)}
N_FIXED = len(FIXED)


class TierField(NamedTuple):
    dtype: str
    description: str


# A tier's columns, <name>_<suffix>, in this order, each where the tier's keys call for
# it (``stress.config.schema.record_suffixes``).
TIER_FIELDS: dict[str, TierField] = {
    "hours": TierField("float64", "Time the tier was first reached."),
    "arrived_hours": TierField("float64", "Time its force first arrived."),
    "times_reached": TierField("int32", "Times the tier was reached (it repeats)."),
    "responses": TierField("int32", "Its responses started within the horizon (it repeats)."),
    "declined": TierField("int32", "Its decisions declined."),
    "partner_joined": TierField("bool", "The partner (backstop) joined its response."),
    "stood_down": TierField("bool", "A decided response was cancelled by the violator standing down."),
    "objective_first": TierField("bool", "An attack reached its objective while the response was pending."),
    "on_false_report": TierField("bool", "The tier was reached only because false reports were counted."),
    "latency_hours": TierField("float64", "Time from the incident to its response's start (a tier that repeats: "
                                          "the mean over its responses to real breaches)."),
}


class Layout(NamedTuple):
    """The record columns of one plan (or of a job's plans together: ``union``)."""
    names: tuple[str, ...]
    dtypes: tuple[str, ...]
    tiers: tuple[str, ...]                 # tier names, in order of escalation
    n_classes: int

    @property
    def width(self) -> int:
        return len(self.names)

    @property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    @property
    def class_start(self) -> int:
        return self.width - self.n_classes

    def tier_column(self, tier: str, suffix: str) -> int:
        """The column <tier>_<suffix>, -1 if the tier has none."""
        return self.index.get(f"{tier}_{suffix}", -1)

    def empty(self, n: int) -> np.ndarray:
        return np.zeros((n, self.width), dtype=np.float64)

    def to_frame(self, values: np.ndarray):
        """Records matrix -> typed data frame, one row per replication. Columns a point's
        plan does not have (a job of several plans) stay NaN as float64."""
        import pandas as pd  # only here: a run that keeps no records never loads pandas
        frame = pd.DataFrame(values, columns=list(self.names))
        whole = {name: dtype for name, dtype in zip(self.names, self.dtypes)
                 if dtype == "float64" or not np.isnan(values[:, self.index[name]]).any()}
        return frame.astype(whole)


# The violator's columns, when it reads the plan (``stress.model.adversary``).
VIOLATOR = (("violator_payoff", "float64", "The violator's payoff: unanswered breaches and objectives reached, less "
                                           "the cost of the tiers reached."),
            ("breaches_held", "int32", "Breaches the violator held back at least once (deferred or postponed)."),
            ("breaches_downgraded", "int32", "Breaches the violator made of a lower class than it drew."),
            ("breaches_dropped", "int32", "Breaches it held back and never made within the horizon."),
            ("violator_behaviour", "int8", "The replication's behaviour (0 blind, 1 threshold, 2 learning, 3 timing, "
                                           "4 monitoring)."))


def violator_columns(config: Config) -> tuple[tuple[str, str, str], ...]:
    """The record's columns of the scenario's adversary (none without one)."""
    a = config.adversary
    if a is None:
        return ()
    weights = a.weights()
    keep = {"violator_payoff": a.payoff is not None,
            "breaches_held": "threshold" in weights or "timing" in weights,
            "breaches_downgraded": "threshold" in weights or "timing" in weights,
            "breaches_dropped": "threshold" in weights or "timing" in weights,
            "violator_behaviour": len(weights) > 1}
    return tuple(c for c in VIOLATOR if keep[c[0]])


def layout(config: Config) -> Layout:
    names = [f.name for f in FIXED]
    dtypes = [f.dtype for f in FIXED]
    for name, dtype, _ in violator_columns(config):  # the violator's, when it reads the plan
        names.append(name)
        dtypes.append(dtype)
    for tier in config.tiers:
        for suffix in record_suffixes(tier):
            names.append(f"{tier.name}_{suffix}")
            dtypes.append(TIER_FIELDS[suffix].dtype)
    classes = [c.name for c in config.breaches.classes]
    names += [f"breaches_{c}" for c in classes]
    dtypes += ["int32"] * len(classes)
    return Layout(tuple(names), tuple(dtypes), tuple(t.name for t in config.tiers), len(classes))


def describe(name: str, layout_: Layout) -> str:
    """What a record column holds."""
    fixed = {f.name: f.description for f in FIXED} | {n: d for n, _, d in VIOLATOR}
    if name in fixed:
        return fixed[name]
    if name.startswith("breaches_") and layout_.index[name] >= layout_.class_start:
        return f"Breaches of class {name[len('breaches_'):]}."
    for tier in layout_.tiers:
        for suffix, field in TIER_FIELDS.items():
            if name == f"{tier}_{suffix}":
                return f"{tier}: {field.description}"
    return ""


def union(layouts: Sequence[Layout]) -> Layout:
    """One layout holding every column of ``layouts`` (the plans of one job): columns by
    name in order of first appearance, classes by position (the most of any plan), and
    the tiers in one order that agrees with every plan's (``merged_order``)."""
    if all(l == layouts[0] for l in layouts[1:]):
        return layouts[0]
    names: dict[str, str] = {}
    for l in layouts:
        for name, dtype in zip(l.names[:l.class_start], l.dtypes[:l.class_start]):
            names.setdefault(name, dtype)
    widest = max(layouts, key=lambda l: l.n_classes)
    class_names = widest.names[widest.class_start:]
    return Layout(tuple(names) + class_names, tuple(names.values()) + ("int32",) * len(class_names),
                  merged_order([l.tiers for l in layouts]), widest.n_classes)


class OrderConflict(ValueError):
    """Two plans of one job put the same tiers in opposite orders."""


def merged_order(orders: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """Every tier name of ``orders`` in one order that keeps each plan's order, so that
    'at least tier X' means the same in the union as in each plan (earliest plan first
    where they leave it open)."""
    names = list(dict.fromkeys(n for order in orders for n in order))
    after: dict[str, set[str]] = {n: set() for n in names}
    for order in orders:
        for i, name in enumerate(order):
            after[name].update(order[:i])
    merged: list[str] = []
    while names:
        ready = next((n for n in names if after[n] <= set(merged)), None)
        if ready is None:
            raise OrderConflict(f"the plans order tiers {', '.join(names)} differently, so 'at least' one of them would "
                                f"mean different things; give the tiers of the plans one order (or other names)")
        merged.append(ready)
        names.remove(ready)
    return tuple(merged)


def scatter_columns(point: Layout, job: Layout) -> np.ndarray:
    """For each of ``point``'s columns, its column in the job's layout ``job``."""
    index = job.index
    out = [index[name] for name in point.names[:point.class_start]]
    out += [job.class_start + k for k in range(point.n_classes)]
    return np.array(out, dtype=np.int64)


def to_job(values: np.ndarray, columns: np.ndarray | None, width: int) -> np.ndarray:
    """A point's records in a job's layout (``scatter_columns``; None: the same layout),
    NaN where the point's plan has no such column."""
    if columns is None:
        return values
    out = np.full((len(values), width), np.nan)
    out[:, columns] = values
    return out
