"""Uncertain inputs: config keys given a distribution instead of a value.

In a scenario file, an ``[uncertain]`` table names any key that ``--set`` takes::

    [uncertain]
    "tier2.decision_probability" = { dist = "uniform", low = 0.2, high = 0.9 }
    "tier2.decision_delay_hours" = { dist = "triangular", low = 24, mode = 72, high = 120 }
    "tier1.min_class" = { dist = "choice", values = ["minor", "major"], weights = [0.7, 0.3] }

and on the command line ``--uncertain "tier2.decision_delay_hours=triangular(24, 72, 120)"``.
Each distribution maps a uniform u in [0, 1) to a value by its quantile function, so
any design (Monte Carlo, Latin hypercube, Sobol') samples it. A distribution is
checked against the key it sets: its whole support must be allowed (so a sampled
point can never be refused halfway through a study).
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any, Iterable, Literal, NamedTuple, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stress.errors import UsageError

# distribution -> (required parameters, optional parameters)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "loguniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "beta": (("a", "b"), ("low", "high")),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("median", "sd_log"), ("low", "high")),
    "integer": (("low", "high"), ()),
    "choice": (("values",), ("weights",)),
}


class Distribution(NamedTuple):
    """A named distribution with its parameters (validated by ``distribution``)."""
    dist: str
    params: dict[str, Any]

    @property
    def discrete(self) -> bool:
        return self.dist in ("integer", "choice")

    def support(self) -> tuple[Any, Any]:
        """The smallest and largest value it can give (choice: None, see values)."""
        p = self.params
        if self.dist in ("uniform", "loguniform", "triangular", "integer"):
            return p["low"], p["high"]
        if self.dist == "beta":
            return p.get("low", 0.0), p.get("high", 1.0)
        if self.dist == "normal":
            return p.get("low", -math.inf), p.get("high", math.inf)
        if self.dist == "lognormal":
            return p.get("low", 0.0), p.get("high", math.inf)
        return None, None

    def quantiles(self, u: np.ndarray) -> list[Any]:
        """Values at the uniforms ``u`` (in [0, 1)): the inverse distribution function."""
        p, u = self.params, np.asarray(u, dtype=np.float64)
        if self.dist == "uniform":
            return (p["low"] + u * (p["high"] - p["low"])).tolist()
        if self.dist == "loguniform":
            return np.exp(math.log(p["low"]) + u * (math.log(p["high"]) - math.log(p["low"]))).tolist()
        if self.dist == "integer":
            return np.minimum(p["low"] + np.floor(u * (p["high"] - p["low"] + 1)), p["high"]).astype(int).tolist()
        if self.dist == "choice":
            weights = np.asarray(p.get("weights") or [1.0] * len(p["values"]), dtype=np.float64)
            edges = np.cumsum(weights / weights.sum())
            index = np.minimum(np.searchsorted(edges, u, side="right"), len(p["values"]) - 1)
            return [p["values"][i] for i in index]
        from scipy import stats
        if self.dist == "triangular":
            width = p["high"] - p["low"]
            return stats.triang.ppf(u, (p["mode"] - p["low"]) / width, loc=p["low"], scale=width).tolist()
        low, high = self.support()
        frozen = {"beta": lambda: stats.beta(p["a"], p["b"], loc=low, scale=high - low),
                  "normal": lambda: stats.norm(p["mean"], p["sd"]),
                  "lognormal": lambda: stats.lognorm(p["sd_log"], scale=p["median"])}[self.dist]()
        if self.dist == "beta":
            return frozen.ppf(u).tolist()
        # truncated to [low, high]: map u into the untruncated CDF's interval
        lo_cdf, hi_cdf = frozen.cdf(low), frozen.cdf(high)
        return np.clip(frozen.ppf(lo_cdf + u * (hi_cdf - lo_cdf)), low, high).tolist()

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in self.params.items())
        return f"{self.dist}({args})"


class UncertainInput(NamedTuple):
    key: str
    distribution: Distribution

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    dimensions = 1

    def values(self, unit: np.ndarray) -> list[tuple[Any, ...]]:
        """Its values at the uniforms in the columns of ``unit``."""
        return [(v,) for v in self.distribution.quantiles(unit[:, 0])]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "dist": self.distribution.dist, **self.distribution.params}


# The breach process's keys a calibration result sets, jointly.
CALIBRATED_KEYS = ("breaches.baseline_per_day", "breaches.self_excitation", "breaches.decay_hours")


class CalibratedInput(NamedTuple):
    """The breach process's parameters sampled jointly from a calibration's uncertainty:
    multivariate normal on its working scale (log baseline per day, branching ratio,
    log beta per day) with the fit's covariance, the branching ratio kept in [0, 0.99]."""
    source: str
    estimate: tuple[float, float, float]
    covariance: tuple[tuple[float, ...], ...]

    key = "calibration"
    keys = CALIBRATED_KEYS
    dimensions = 3

    def values(self, unit: np.ndarray) -> list[tuple[Any, ...]]:
        from scipy.special import ndtri
        z = ndtri(np.clip(unit[:, :3], 1e-12, 1 - 1e-12))
        working = np.asarray(self.estimate) + z @ np.linalg.cholesky(np.asarray(self.covariance)).T
        baseline, branching, decay = np.exp(working[:, 0]), np.clip(working[:, 1], 0.0, 0.99), 24.0 / np.exp(
            working[:, 2])
        return list(zip(baseline.tolist(), branching.tolist(), decay.tolist()))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "dist": "calibration", "source": self.source, "estimate": list(self.estimate),
                "covariance": [list(row) for row in self.covariance]}


def calibrated_input(source: str, where: str) -> CalibratedInput:
    """The joint input of a calibration result folder (``stress calibrate --out``)."""
    from pathlib import Path
    import json
    path = Path(source)
    path = path / "calibration.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        working = data["hawkes_working"]
        estimate, covariance = working["estimate"], working["covariance"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{where}: calibration = {source!r}: not a calibration result with a Hawkes fit "
                         f"(a folder written by stress calibrate)") from None
    values = np.array(covariance, dtype=np.float64) if covariance is not None else np.full((3, 3), np.nan)
    if estimate is None or any(v is None for v in estimate) or values.shape != (3, 3) or not np.all(np.isfinite(values)):
        raise UsageError(f"{where}: calibration = {source!r}: the fit's covariance is not defined (a parameter at "
                         f"its bound, such as no self-excitation); declare distributions for "
                         f"{', '.join(CALIBRATED_KEYS)} instead")
    try:
        np.linalg.cholesky(values)
    except np.linalg.LinAlgError:
        raise UsageError(f"{where}: calibration = {source!r}: the fit's covariance is not positive definite") from None
    return CalibratedInput(str(source), tuple(float(v) for v in estimate), tuple(tuple(row) for row in values.tolist()))


def input_from_dict(data: dict[str, Any], where: str) -> "UncertainInput | CalibratedInput":
    """An input as ``as_dict`` wrote it (a study's manifest)."""
    if data.get("dist") == "calibration":
        return CalibratedInput(data["source"], tuple(data["estimate"]), tuple(tuple(r) for r in data["covariance"]))
    return UncertainInput(data["key"], distribution({k: v for k, v in data.items() if k != "key"}, where))


def distribution(spec: Any, where: str) -> Distribution:
    """A validated distribution from its table (``{ dist = "uniform", low = 0, high = 1 }``);
    ``where`` names it in messages."""
    if not isinstance(spec, dict) or "dist" not in spec:
        raise UsageError(f"{where}: expected a table with dist = one of {', '.join(DISTRIBUTIONS)}, got {spec!r}")
    name = spec["dist"]
    if name not in DISTRIBUTIONS:
        raise UsageError(f"{where}: dist = {name!r}: must be one of {', '.join(DISTRIBUTIONS)}")
    required, optional = DISTRIBUTIONS[name]
    params = {k: v for k, v in spec.items() if k != "dist"}
    unknown = [k for k in params if k not in required + optional]
    missing = [k for k in required if k not in params]
    if unknown or missing:
        allowed = ", ".join(list(required) + [f"{k} (optional)" for k in optional])
        problem = f"unknown parameter(s) {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"
        raise UsageError(f"{where}: {name}: {problem}; it takes {allowed}")
    _check_parameters(name, params, where)
    return Distribution(name, params)


def _check_parameters(name: str, p: dict[str, Any], where: str) -> None:
    def fail(rule: str) -> None:
        raise UsageError(f"{where}: {name}({', '.join(f'{k}={v}' for k, v in p.items())}): {rule}")

    if name == "choice":
        values = p["values"]
        if not isinstance(values, list) or not values:
            fail("values must be a non-empty list")
        weights = p.get("weights")
        if weights is not None and (not isinstance(weights, list) or len(weights) != len(values)
                                    or not all(_number(w) and w >= 0 for w in weights) or sum(weights) <= 0):
            fail("weights must be as many non-negative numbers as values, not all 0")
        return
    numbers = {k: v for k, v in p.items()}
    if not all(_number(v) and math.isfinite(v) for v in numbers.values()):
        fail("parameters must be finite numbers")
    low, high = p.get("low"), p.get("high")
    if low is not None and high is not None and not low < high:
        fail("low must be below high")
    if name == "integer" and not all(float(v).is_integer() for v in (low, high)):
        fail("low and high must be whole numbers")
    if name == "loguniform" and low <= 0:
        fail("low must be > 0")
    if name == "triangular" and not low <= p["mode"] <= high:
        fail("mode must lie between low and high")
    if name == "beta" and not (p["a"] > 0 and p["b"] > 0):
        fail("a and b must be > 0")
    if name in ("normal", "lognormal") and p[{"normal": "sd", "lognormal": "sd_log"}[name]] <= 0:
        fail("the spread must be > 0")
    if name == "lognormal" and (p["median"] <= 0 or (low is not None and low < 0)):
        fail("median must be > 0 and low >= 0")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_CALL = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([a-z]+)\s*\((.*)\)\s*$", re.S)


def parse_option(text: str) -> "UncertainInput | CalibratedInput":
    """``'tier2.decision_delay_hours=triangular(24, 72, 120)'`` (positional in the order of
    ``DISTRIBUTIONS``, or ``name=value``; ``choice(minor, major)`` lists its values).
    Values are read as TOML values (bare words as text); nothing is evaluated."""
    key, sep, value = text.partition("=")
    if sep and key.strip() == "calibration":
        return calibrated_input(value.strip(), "--uncertain calibration")
    match = _CALL.match(text)
    if match is None:
        raise UsageError(f"--uncertain {text!r}: expected KEY=DIST(ARGS), for example "
                         f"tier2.decision_delay_hours=triangular(24, 72, 120)")
    key, name, body = match.groups()
    if name not in DISTRIBUTIONS:
        raise UsageError(f"--uncertain {text!r}: {name!r} is not a distribution; use one of "
                         f"{', '.join(DISTRIBUTIONS)}")
    args = [a.strip() for a in _split(body) if a.strip()]
    required, optional = DISTRIBUTIONS[name]
    spec: dict[str, Any] = {"dist": name}
    if name == "choice":
        values = [a for a in args if not re.match(r"^weights\s*=", a)]
        weights = [a for a in args if re.match(r"^weights\s*=", a)]
        spec["values"] = [_value(a) for a in values]
        if weights:
            spec["weights"] = _value(weights[0].split("=", 1)[1])
    else:
        positional = 0
        for arg in args:
            if "=" in arg:
                name_, value = (part.strip() for part in arg.split("=", 1))
                spec[name_] = _value(value)
            else:
                names = required + optional
                if positional >= len(names):
                    raise UsageError(f"--uncertain {text!r}: too many arguments; {name} takes {', '.join(names)}")
                spec[names[positional]] = _value(arg)
                positional += 1
    return UncertainInput(key, distribution(spec, f"--uncertain {key}"))


def _split(body: str) -> list[str]:
    """Split on the commas that are not inside brackets (``weights=[0.7, 0.3]``)."""
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def _value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def parse_table(table: Any, source: str) -> list:
    """The ``[uncertain]`` table of a scenario file (``calibration = "FOLDER"`` samples the
    breach process from a calibration's uncertainty)."""
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [uncertain] must be a table of KEY = {{ dist = ..., ... }}")
    out = []
    for key, spec in table.items():
        if key == "calibration":
            if not isinstance(spec, str):
                raise UsageError(f"{source}: [uncertain] calibration must be the path of a calibration result")
            out.append(calibrated_input(spec, f"{source}: [uncertain]"))
        else:
            out.append(UncertainInput(key, distribution(spec, f"{source}: [uncertain] {key}")))
    return out


def check_inputs(inputs: Sequence[UncertainInput], scenario) -> None:
    """Every key is settable and every value a distribution can give is allowed there:
    its support's ends (or every choice) are validated like ``--set`` values, and an
    unbounded distribution on a bounded key is refused. ``scenario``: a
    ``config.loading.Scenario``."""
    from stress.config.loading import ConfigError
    keys = [k for i in inputs for k in i.keys]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise UsageError(f"uncertain input(s) given twice: {', '.join(repeated)}")
    if not inputs:
        raise UsageError("no uncertain inputs: declare them in an [uncertain] table or with --uncertain KEY=DIST(ARGS)")
    for item in inputs:
        if isinstance(item, CalibratedInput):
            # its values are clipped into the allowed ranges; check one point (the estimate)
            scenario.with_values(zip(item.keys, item.values(np.full((1, 3), 0.5))[0]), f"uncertain calibration "
                                 f"{item.source}", via="[uncertain]")
            continue
        d = item.distribution
        label = f"uncertain {item.key} = {d.describe()}"
        if d.dist == "choice":
            candidates = list(d.params["values"])
        else:
            low, high = d.support()
            whole = _is_integer_key(item.key)
            if whole and not d.discrete:
                raise UsageError(f"{label}: {item.key} takes whole numbers; use dist = integer or choice")
            candidates = []
            for end, probe in ((low, -1e300), (high, 1e300)):
                if math.isinf(end):
                    try:
                        scenario.with_values([(item.key, probe)], via="[uncertain]")
                    except ConfigError:
                        raise UsageError(f"{label}: the distribution is unbounded but {item.key} is not; give "
                                         f"low and high within its allowed range") from None
                else:
                    candidates.append(int(end) if whole else float(end))
        for value in candidates:
            scenario.with_values([(item.key, value)], label, via="[uncertain]")


def _is_integer_key(key: str) -> bool:
    from stress.config.keys import field_type
    return field_type(key) is int


def dimensions(inputs: Sequence) -> int:
    """Columns of the unit design the inputs take (a calibration's joint input takes 3)."""
    return sum(i.dimensions for i in inputs)


def sample(inputs: Sequence, unit: np.ndarray) -> list[dict[str, Any]]:
    """Points ``{key: value}`` from a design in the unit hypercube (``dimensions``
    columns, each input taking its own)."""
    points: list[dict[str, Any]] = [{} for _ in range(len(unit))]
    column = 0
    for item in inputs:
        for point, values in zip(points, item.values(unit[:, column:column + item.dimensions])):
            point.update(zip(item.keys, values))
        column += item.dimensions
    return points


def unit_design(design: str, samples: int, dimensions: int, seed: int) -> np.ndarray:
    """``samples`` points in [0, 1)^dimensions: mc (independent uniforms), lhs (Latin
    hypercube: each dimension's [0, 1) cut into ``samples`` equal strata, one point in
    each, the strata of the dimensions paired at random) or sobol (scipy's scrambled
    Sobol'), all from ``seed``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(DESIGN_KEY,))))
    if design == "mc":
        return rng.random((samples, dimensions))
    if design == "lhs":
        # (scipy.stats.qmc.LatinHypercube does the same; importing scipy.stats costs a second)
        strata = rng.permuted(np.tile(np.arange(samples), (dimensions, 1)), axis=1).T
        return np.minimum((strata + rng.random((samples, dimensions))) / samples, np.nextafter(1.0, 0.0))
    import warnings
    from scipy.stats import qmc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol' prefers powers of two; any count is valid
        return qmc.Sobol(d=dimensions, scramble=True, seed=seed).random(samples)


# Spawn key of the stream the Monte Carlo design draws from: apart from every
# replication's streams, which use (replication, component).
DESIGN_KEY = 0xD351


def inputs_from(table: Any, options: Iterable[str], source: str) -> list[UncertainInput]:
    """The file's [uncertain] table, extended and overridden by --uncertain options."""
    inputs = {i.key: i for i in (parse_table(table, source) if table is not None else [])}  # key: one input
    from stress.config.keys import refuse_repeated
    items = [parse_option(text) for text in options]
    refuse_repeated([item.key for item in items], "--uncertain")
    for item in items:
        inputs[item.key] = item
    return list(inputs.values())


class ExploreSpec(BaseModel):
    """An exploration: the inputs' distributions, the design, and the replications."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    inputs: list[dict[str, Any]] = Field(description="Per input: key, dist and its parameters.")
    design: Literal["mc", "lhs", "sobol"] = "lhs"
    samples: int = Field(100, ge=2)
    n: int = Field(1000, ge=2)
    seed: int = Field(0, ge=0)
    max_points: int | None = Field(None, ge=1)

    def uncertain(self) -> list:
        return [input_from_dict(d, f"input {d['key']}") for d in self.inputs]
