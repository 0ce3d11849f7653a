"""Where the search's replications go: racing on the paired bootstrap.

Every candidate starts with n replications. After each generation, each candidate's
place is judged from paired bootstrap draws of every candidate's objectives and
constraints (``stress.statistics.resampling``, on the replications they share):

- *out*: it misses the constraints in at least 95% of the draws, or one other candidate
  that meets them is better on every objective in at least 95% of the draws (strictly:
  a draw in which they tie on an objective is no evidence either way, and with rare
  outcomes and close levers ties are common). It gets no more replications.
- *undecided*: not out, and either another candidate dominates it in more than 5% of
  the draws (it is near the front, or dominated without clear evidence), or it meets
  the constraints in more than 5% and fewer than 95% of them (near a constraint).
- The undecided candidates, and every candidate that dominates one of them in more than
  5% of the draws (what decides their place), double their replications, up to
  ``max_n``: fewest replications first, then the most undecided (closest to 50%), then
  the oldest, as far as the replications allowed go.
- An objective on which two candidates are equal in every draw (no replication where one
  had the outcome and the other not) is set aside while judging them, once both have
  ``max_n`` replications: a lever without effect on it never separates them there;
  before, such a tie keeps the question open.

So the replications go to the candidates whose membership of the front or whose
feasibility is still in doubt, and to those they are compared with; clearly dominated
and clearly infeasible candidates stop where they are, and so do clearly placed ones.
Two candidates with the same results never dominate each other.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from stress.optimization.front import dominance, dominated_share

DECIDED = 0.05   # a share of draws below this (or above 1 - this) decides


class Standing(NamedTuple):
    """Every candidate's place, from the draws."""
    dominated: np.ndarray       # (C,) share of draws some feasible candidate dominates it
    by: np.ndarray              # (C, C) share of draws candidate d (row) dominates c (column) and is feasible
    feasible: np.ndarray        # (C,) share of draws it meets the constraints
    out: np.ndarray             # (C,) bool
    undecided: np.ndarray       # (C,) bool
    clear: np.ndarray           # (C, C) share of draws d is better than c on every objective (ties set aside)

    def dominator(self, c: int) -> int | None:
        """The candidate that most surely dominates ``c``, when one does in 95% of draws."""
        d = int(np.argmax(self.clear[:, c]))
        return d if self.clear[d, c] >= 1.0 - DECIDED else None


def standing(draws: np.ndarray, feasible: np.ndarray, eligible: np.ndarray | None = None,
             capped: np.ndarray | None = None) -> Standing:
    """``draws`` (C, B, K) oriented objectives, ``feasible`` (C, B) bool; candidates not
    ``eligible`` dominate nothing and are out; ``capped`` (C,): those at ``max_n``."""
    count = draws.shape[0]
    eligible = np.ones(count, dtype=bool) if eligible is None else eligible
    capped = np.zeros(count, dtype=bool) if capped is None else capped
    counts = feasible & eligible[:, None]      # what may dominate, draw by draw
    by = dominance(draws, counts)
    beaten = dominated_share(draws, counts)
    clear = np.zeros((count, count))
    for c in range(count):
        tied = np.all(draws == draws[c][None, :, :], axis=1)                 # (C, K): equal in every draw
        better = np.all((draws < draws[c][None, :, :]) | tied[:, None, :], axis=2) & counts   # (C, B)
        settled = capped & capped[c] & ~tied.all(axis=1)     # ties set aside only once both are capped
        clear[:, c] = np.where(settled | ~tied.any(axis=1), better.mean(axis=1), 0.0)
        clear[c, c] = 0.0
    share = feasible.mean(axis=1)
    out = (share <= DECIDED) | (clear.max(axis=0) >= 1.0 - DECIDED) | ~eligible
    near_front = beaten > DECIDED
    near_constraint = (share > DECIDED) & (share < 1.0 - DECIDED)
    return Standing(beaten, by, share, out, ~out & (near_front | near_constraint), clear)


def to_grow(place: Standing, n: Sequence[int], max_n: int) -> list[int]:
    """The candidates that double their replications, in the order they get them."""
    n = np.asarray(n)
    undecided = np.flatnonzero(place.undecided)
    grow = set(undecided.tolist())
    for c in undecided:
        grow |= set(np.flatnonzero(place.by[:, c] > DECIDED).tolist())
    grow = [c for c in grow if n[c] < max_n and not place.out[c]]
    doubt = np.minimum(np.abs(place.dominated - 0.5), np.abs(place.feasible - 0.5))
    return sorted(grow, key=lambda c: (int(n[c]), float(doubt[c]), c))
