"""What a request may carry: the plan's tiers, config values by key, N and a seed,
checked at the boundary.

The tiers (kept, removed, added: ``plans``) make the scenario the values are set on;
values go through the same loading and schema as ``--set`` (``Scenario.with_values``),
so a bad value gets the command line's message; ``None`` omits a key the scenario may
leave out. Each message is pinned to the key it is about (the ``--set`` key it names,
else the key it is about, e.g. a missing key of a tier), for the page to show it next
to that control; a problem with the plan's structure is pinned to ``tiers``. N and
the horizon are capped, so that no request can keep the machine busy for long.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from stress.config.loading import ConfigError, Scenario, apply_overrides
from stress.config.schema import Config
from stress.config.toml import dumps as config_to_toml
from stress.errors import UserError
from stress.serve import plans

MAX_N = 100_000            # replications of one what-if answer (per variant)
MAX_FULL_N = 1_000_000     # replications of a run in full
MAX_HORIZON_DAYS = 730.0
MAX_SEED = 2**63 - 1
MAX_KEYS = 500
KEY = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


class InputError(UserError):
    """Bad request values; ``problems`` pairs each message with the key it is about
    (None: the request as a whole)."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("\n".join(message for _, message in problems))
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        return {"message": str(self), "errors": [{"key": key, "message": m} for key, m in self.problems]}


@dataclass(frozen=True)
class Settings:
    """A request's replications and seed."""
    n: int
    seed: int


def settings(n: Any, seed: Any, *, max_n: int = MAX_N) -> Settings:
    """N and the seed of a request, checked (whole numbers; N capped)."""
    problems: list[tuple[str | None, str]] = []
    if not whole(n) or not 1 <= n <= max_n:
        problems.append(("n", f"n = {_show(n)}: must be a whole number from 1 to {max_n:,} here "
                              "(stress run takes more)"))
    if not whole(seed) or not 0 <= seed <= MAX_SEED:
        problems.append(("seed", f"seed = {_show(seed)}: must be a whole number >= 0"))
    if problems:
        raise InputError(problems)
    return Settings(int(n), int(seed))


def planned(scenario: Scenario, tiers: Any) -> plans.Plan:
    """The plan ``tiers`` asks for (None: the loaded one; ``plans.plan``)."""
    try:
        return plans.plan(scenario, tiers)
    except plans.PlanError as exc:
        raise InputError([(plans.KEY, message) for message in exc.messages]) from None


def config(scenario: Scenario, values: Any, tiers: Any = None) -> Config:
    """The scenario with the plan ``tiers`` asks for (None: the loaded plan) and
    ``values`` (key -> value; None omits the key) set, validated by the schema and the
    page's caps. A problem raises ``InputError``."""
    if not isinstance(values, Mapping):
        raise InputError([(None, "values must be an object of config keys and values")])
    if len(values) > MAX_KEYS:
        raise InputError([(None, f"at most {MAX_KEYS} keys at once")])
    bad = [k for k in values if not isinstance(k, str) or not KEY.match(k)]
    if bad:
        raise InputError([(str(k), f"{k!r} is not a config key (dotted names such as tiers.tier2.threshold)")
                          for k in bad])
    omitted = [k for k, v in values.items() if v is None]
    assignments = [(k, v) for k, v in values.items() if v is not None]
    base = planned(scenario, tiers).scenario(scenario)
    if omitted:
        try:
            raw = _drop(apply_overrides(base.raw, [(k, OMIT) for k in omitted], base.source))
        except ConfigError as exc:
            raise InputError([(_key_of(line, scenario.source, list(values)), line)
                              for line in str(exc).splitlines()]) from None
        base = base._replace(raw=raw, overridden=(*base.overridden, *omitted))
    try:
        cfg = base.with_values(assignments) if assignments or omitted or base is not scenario else scenario.config
    except ConfigError as exc:
        raise InputError([(_key_of(line, scenario.source, list(values)), line) for line in str(exc).splitlines()]) \
            from None
    horizon = cfg.scenario.horizon_days
    if horizon > MAX_HORIZON_DAYS:
        raise InputError([("scenario.horizon_days", f"{scenario.source}, --set scenario.horizon_days: "
                           f"scenario.horizon_days = {_show(horizon)}: must be <= {MAX_HORIZON_DAYS:g} here "
                           "(stress run takes more)")])
    return cfg


def request(scenario: Scenario, changes: Any, n: Any, seed: Any, *, tiers: Any = None,
            max_n: int = MAX_N) -> tuple[Settings, Config]:
    """N, the seed and the changed config (plan and values) of a request, every problem
    of them in one ``InputError``."""
    problems: list[tuple[str | None, str]] = []
    checked: list[Any] = []
    for check in (lambda: settings(n, seed, max_n=max_n), lambda: config(scenario, changes, tiers)):
        try:
            checked.append(check())
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return checked[0], checked[1]


def check_scenario(scenario: Scenario) -> None:
    """The loaded scenario itself within the page's caps."""
    horizon = scenario.config.scenario.horizon_days
    if horizon > MAX_HORIZON_DAYS:
        raise ConfigError(f"{scenario.source}: scenario.horizon_days = {_show(horizon)}: stress serve simulates "
                          f"at most {MAX_HORIZON_DAYS:g} days (stress run takes more)")


def saved_toml(scenario: Scenario, values: Mapping[str, Any], cfg: Config, plan: plans.Plan | None = None) -> str:
    """The what-if scenario as a TOML file (the plan as [[tiers]]), with the changed
    tiers and keys named at the top."""
    changed = sorted(values)
    lines = [f"# What-if of {scenario.source}, saved by stress serve."]
    if plan is not None and plan.changed:
        lines.append(f"# Tiers: {plan.describe(cfg)}.")
    lines += ["# Changed: " + (", ".join(f"{k} = {_show(values[k]) if values[k] is not None else 'omitted'}"
                                        for k in changed) if changed else "nothing") + ".", ""]
    return "\n".join(lines) + config_to_toml(cfg)


def file_name(cfg: Config) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", cfg.scenario.name).strip("-.") or "scenario"
    return f"{name}-what-if.toml"


class _Omitted:
    """Marks a key to drop (``apply_overrides`` copies values; this one stays itself)."""

    def __deepcopy__(self, memo: dict) -> "_Omitted":
        return self


OMIT = _Omitted()


def _drop(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop(v) for k, v in node.items() if v is not OMIT}
    if isinstance(node, list):
        return [_drop(v) for v in node]
    return node


def _key_of(line: str, source: str, keys: list[str]) -> str | None:
    """The key a loading message is about: the changed key it names (``--set KEY``),
    else the key it is about (``tiers.x.threshold: required ...``, a key the change of
    another made wrong), else None (the scenario as a whole)."""
    changed = re.match(r"(?:" + re.escape(source) + r", )?--set ([^:\s]+):", line)
    if changed and changed.group(1) in keys:
        return changed.group(1)
    about = re.match(re.escape(source) + r"(?:, --set [^:\s]+)?: ([^:\s]+)(?: = |: )", line)
    return about.group(1) if about and KEY.match(about.group(1)) else None


def whole(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return f"{value:g}"
    return str(value)
