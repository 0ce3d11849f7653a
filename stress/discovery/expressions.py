"""Conditions on a point's outputs: ``tier2_p > 0.3``, ``p_false_escalation <= 0.05 or
tier2_p >= 0.9``, ``tier2_p < 0.5, p_false_escalation < 0.02``.

A tiny parser, never ``eval``: comparisons ``NAME OP NUMBER`` (OP one of < <= > >=)
joined by ``and`` and ``or`` (``and`` binds tighter), with parentheses; where commas
are allowed (``--satisfice``) a comma means ``and``. A condition is evaluated on
point estimates (true or false at each point) or, with each estimate's interval, in
three values: yes when the whole interval satisfies it, no when none of it does,
unclear otherwise (Kleene's logic joins them: ``and`` is the least, ``or`` the most).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Union

import numpy as np

from stress.errors import UsageError

OPERATORS = ("<=", ">=", "<", ">")
# Parentheses deeper than this are refused: the parser and the evaluation recurse per level
# (1,000 levels was a RecursionError), and no condition a person writes needs more.
MAX_DEPTH = 50
# Three-valued classes, ordered so that "and" is the minimum and "or" the maximum.
NO, UNCLEAR, YES = 0, 1, 2

_TOKEN = re.compile(r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))"
                    r"|(?P<op><=|>=|<|>|==|=|!=)|(?P<name>[A-Za-z_][\w.]*)|(?P<punct>[(),]))")


@dataclass(frozen=True)
class Comparison:
    name: str
    op: str
    value: float

    def names(self) -> list[str]:
        return [self.name]

    def text(self) -> str:
        return f"{self.name} {self.op} {self.value:g}"

    def holds(self, estimates: Mapping[str, np.ndarray]) -> np.ndarray:
        x = np.asarray(estimates[self.name], dtype=np.float64)
        return {"<": x < self.value, "<=": x <= self.value, ">": x > self.value, ">=": x >= self.value}[self.op]

    def classes(self, low: Mapping[str, np.ndarray], high: Mapping[str, np.ndarray]) -> np.ndarray:
        lo, hi = np.asarray(low[self.name], dtype=np.float64), np.asarray(high[self.name], dtype=np.float64)
        t = self.value
        yes, no = {"<": (hi < t, lo >= t), "<=": (hi <= t, lo > t),
                   ">": (lo > t, hi <= t), ">=": (lo >= t, hi < t)}[self.op]
        return np.where(yes, YES, np.where(no, NO, UNCLEAR)).astype(np.int8)

    def chance(self, estimates: Mapping[str, np.ndarray], errors: Mapping[str, np.ndarray]) -> np.ndarray:
        """The probability that the true value satisfies the comparison, for an estimate
        with a normal error of standard deviation ``errors`` (0: the estimate decides)."""
        from scipy.special import ndtr
        x = np.asarray(estimates[self.name], dtype=np.float64)
        se = np.asarray(errors[self.name], dtype=np.float64)
        above = self.op in (">", ">=")
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, (x - self.value) / se, np.where(x == self.value, 0.0, np.sign(x - self.value) * np.inf))
        return ndtr(z if above else -z)


@dataclass(frozen=True)
class Junction:
    kind: str                      # "and" or "or"
    parts: tuple["Expression", ...]

    def names(self) -> list[str]:
        return list(dict.fromkeys(n for p in self.parts for n in p.names()))

    def text(self) -> str:
        return f" {self.kind} ".join(f"({p.text()})" if isinstance(p, Junction) else p.text() for p in self.parts)

    def holds(self, estimates: Mapping[str, np.ndarray]) -> np.ndarray:
        join = np.logical_and if self.kind == "and" else np.logical_or
        out = self.parts[0].holds(estimates)
        for part in self.parts[1:]:
            out = join(out, part.holds(estimates))
        return out

    def classes(self, low: Mapping[str, np.ndarray], high: Mapping[str, np.ndarray]) -> np.ndarray:
        join = np.minimum if self.kind == "and" else np.maximum
        out = self.parts[0].classes(low, high)
        for part in self.parts[1:]:
            out = join(out, part.classes(low, high))
        return out

    def chance(self, estimates: Mapping[str, np.ndarray], errors: Mapping[str, np.ndarray]) -> np.ndarray:
        """As ``Comparison.chance``, the parts' errors taken as independent."""
        chances = [p.chance(estimates, errors) for p in self.parts]
        if self.kind == "and":
            return np.prod(chances, axis=0)
        return 1.0 - np.prod([1.0 - c for c in chances], axis=0)


Expression = Union[Comparison, Junction]


def parse(text: str, option: str = "--target", commas: bool = False) -> Expression:
    """The expression in ``text``; ``option`` names it in messages, ``commas`` lets a
    comma mean ``and``. Names are not checked here (``check_names`` does)."""
    tokens = _tokens(text, option)
    parser = _Parser(tokens, text, option, commas)
    expression = parser.disjunction()
    if parser.position < len(tokens):
        left = tokens[parser.position][1]
        parser.fail("a comma joins conditions only in --satisfice; use 'and'" if left == "," else f"unexpected {left!r}")
    return expression


def _tokens(text: str, option: str) -> list[tuple[str, str, int]]:
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"{option}: empty; expected NAME OP NUMBER, for example 'tier2_p > 0.3'")
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            where = len(text) - len(text[position:].lstrip())
            raise UsageError(f"{option} {text!r}: cannot read {text[where:where + 10]!r} (at character {where + 1}); "
                             f"expected NAME OP NUMBER joined by 'and' / 'or', for example 'tier2_p > 0.3'")
        group = match.lastgroup
        value = match.group(group)
        kind = value if group == "name" and value in ("and", "or") else group
        tokens.append((kind, value, match.start(group)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens: or-terms of and-terms of comparisons."""

    def __init__(self, tokens: list[tuple[str, str, int]], text: str, option: str, commas: bool) -> None:
        self.tokens, self.text, self.option, self.commas = tokens, text, option, commas
        self.position = 0
        self.depth = 0

    def fail(self, problem: str) -> None:
        at = self.tokens[self.position][2] + 1 if self.position < len(self.tokens) else len(self.text) + 1
        raise UsageError(f"{self.option} {self.text!r}: {problem} (at character {at}); expected NAME OP NUMBER "
                         f"(OP one of {', '.join(OPERATORS)}) joined by 'and' / 'or'"
                         + (" or commas" if self.commas else "") + ", for example 'tier2_p > 0.3'")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str, what: str) -> str:
        token = self.peek()
        if token is None:
            self.fail(f"{what} missing at the end")
        if token[0] != kind:
            self.fail(f"expected {what}, found {token[1]!r}")
        self.position += 1
        return token[1]

    def disjunction(self) -> Expression:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token[0] == "or":
            self.position += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def conjunction(self) -> Expression:
        parts = [self.atom()]
        while (token := self.peek()) is not None and (token[0] == "and" or (token[1] == "," and self.commas)):
            self.position += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def atom(self) -> Expression:
        token = self.peek()
        if token is not None and token[1] == "(":
            if self.depth == MAX_DEPTH:
                self.fail(f"parentheses nested more than {MAX_DEPTH} deep")
            self.position += 1
            self.depth += 1
            inner = self.disjunction()
            self.depth -= 1
            if (closing := self.peek()) is None or closing[1] != ")":
                self.fail("')' missing")
            self.position += 1
            return inner
        name = self.take("name", "an output name")
        op_token = self.peek()
        if op_token is not None and op_token[0] == "op" and op_token[1] not in OPERATORS:
            self.fail(f"{op_token[1]!r} is not a comparison here: estimates are never exactly equal to a number, "
                      f"use one of {', '.join(OPERATORS)}")
        op = self.take("op", f"a comparison after {name!r}")
        value = float(self.take("number", f"a number after {op!r}"))
        return Comparison(name, op, value)


def check_names(expression: Expression, option: str, text: str, allowed: Iterable[str], what: str,
                elsewhere: Mapping[str, str] = {}) -> None:
    """Every name is one of ``allowed`` (``what`` describes them in the message);
    ``elsewhere`` maps names that mean something else here (an input, a statistic of
    another kind of result) to what they are."""
    allowed = list(allowed)
    for name in expression.names():
        if name in allowed:
            continue
        if name in elsewhere:
            raise UsageError(f"{option} {text!r}: {name!r} is {elsewhere[name]}; {what}: {', '.join(allowed)}")
        raise UsageError(f"{option} {text!r}: unknown name {name!r}; {what}: {', '.join(allowed)}")
