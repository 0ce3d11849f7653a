"""The one family of errors that mean "the user's input is wrong".

The command line catches ``UserError`` and prints its message (exit code 2); any
other exception is a bug in stress and is reported as one, with its traceback.
``UserError`` derives from ``ValueError`` so Python callers can catch bad
arguments the usual way.
"""

from __future__ import annotations


class UserError(ValueError):
    """A problem with the user's input; the CLI prints its message and exits 2."""


class UsageError(UserError):
    """A bad argument or option value (not a config file or a result folder)."""


class BudgetExceeded(UserError):
    """A job expected to need more CPU than allowed; ``cost`` says how much and why,
    so a caller without a --budget option (the what-if server) can word the remedy."""

    def __init__(self, cost: str, remedy: str) -> None:
        super().__init__(f"{cost}. {remedy}")
        self.cost = cost
