"""Uncertain inputs: config keys given a distribution instead of a value.

In a scenario file, an ``[uncertain]`` table names any key that ``--set`` takes::

    [uncertain]
    "tier2.decision_probability" = { dist = "uniform", low = 0.2, high = 0.9 }
    "tier3.delay_hours" = { dist = "triangular", low = 24, mode = 72, high = 120 }
    "tier1.min_class" = { dist = "choice", values = ["minor", "major"], weights = [0.7, 0.3] }

and on the command line ``--uncertain "tier3.delay_hours=triangular(24, 72, 120)"``.
Each distribution maps a uniform u in [0, 1) to a value by its quantile function, so
any design (Monte Carlo, Latin hypercube, Sobol') samples it. A distribution is
checked against the key it sets: its whole support must be allowed (so a sampled
point can never be refused halfway through a study).
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

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


def parse_option(text: str) -> UncertainInput:
    """``'tier3.delay_hours=triangular(24, 72, 120)'`` (positional in the order of
    ``DISTRIBUTIONS``, or ``name=value``; ``choice(minor, major)`` lists its values).
    Values are read as TOML values (bare words as text); nothing is evaluated."""
    match = _CALL.match(text)
    if match is None:
        raise UsageError(f"--uncertain {text!r}: expected KEY=DIST(ARGS), for example "
                         f"tier3.delay_hours=triangular(24, 72, 120)")
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


def parse_table(table: Any, source: str) -> list[UncertainInput]:
    """The ``[uncertain]`` table of a scenario file."""
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [uncertain] must be a table of KEY = {{ dist = ..., ... }}")
    return [UncertainInput(key, distribution(spec, f"{source}: [uncertain] {key}")) for key, spec in table.items()]


def check_inputs(inputs: Sequence[UncertainInput], scenario) -> None:
    """Every key is settable and every value a distribution can give is allowed there:
    its support's ends (or every choice) are validated like ``--set`` values, and an
    unbounded distribution on a bounded key is refused. ``scenario``: a
    ``config.loading.Scenario``."""
    from stress.config.loading import ConfigError
    keys = [i.key for i in inputs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise UsageError(f"uncertain input(s) given twice: {', '.join(repeated)}")
    if not inputs:
        raise UsageError("no uncertain inputs: declare them in an [uncertain] table or with --uncertain KEY=DIST(ARGS)")
    for item in inputs:
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


def sample(inputs: Sequence[UncertainInput], unit: np.ndarray) -> list[dict[str, Any]]:
    """Points ``{key: value}`` from a design in the unit hypercube (one column per input)."""
    columns = [item.distribution.quantiles(unit[:, j]) for j, item in enumerate(inputs)]
    return [dict(zip((i.key for i in inputs), row)) for row in zip(*columns)]


def unit_design(design: str, samples: int, dimensions: int, seed: int) -> np.ndarray:
    """``samples`` points in [0, 1)^dimensions: mc (independent uniforms), lhs (Latin
    hypercube) or sobol (scrambled Sobol'), all from ``seed``."""
    if design == "mc":
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(DESIGN_KEY,)))).random(
            (samples, dimensions))
    import warnings
    from scipy.stats import qmc
    sampler = (qmc.LatinHypercube(d=dimensions, seed=seed) if design == "lhs"
               else qmc.Sobol(d=dimensions, scramble=True, seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol' prefers powers of two; any count is valid
        return sampler.random(samples)


# Spawn key of the stream the Monte Carlo design draws from: apart from every
# replication's streams, which use (replication, component).
DESIGN_KEY = 0xD351


def inputs_from(table: Any, options: Iterable[str], source: str) -> list[UncertainInput]:
    """The file's [uncertain] table, extended and overridden by --uncertain options."""
    inputs = {i.key: i for i in (parse_table(table, source) if table is not None else [])}
    for text in options:
        item = parse_option(text)
        inputs[item.key] = item
    return list(inputs.values())
