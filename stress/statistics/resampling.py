"""The Poisson bootstrap over replications, for points that share their replications.

Under common random numbers replication i of every point meets the same luck, so the
unit to resample is the replication index, the same for every point: each draw gives
replication i a weight w_i ~ Poisson(1) (Hanley, J. A. & MacGibbon, B. (2006).
Creating non-parametric bootstrap samples using Poisson frequencies. Computer Methods
and Programs in Biomedicine 83(1), 57-62), and every point's statistic is recomputed
with those weights. A point that ran only the first n replications uses the first n
weights, so points that ran different numbers of replications stay paired on the
replications they share. Pure functions: no I/O, no state.
"""

from __future__ import annotations

import numpy as np

# Weights are drawn per chunk of this many replications, each chunk from its own seed, so
# any range of replications has the same weights whoever asks (and nothing holds them all).
CHUNK = 1000


def weights(rng: np.random.Generator, draws: int, n: int) -> np.ndarray:
    """(draws, n) Poisson(1) weights of replications 0 .. n - 1."""
    return rng.poisson(1.0, size=(draws, n)).astype(np.float64)


class ReplicationWeights:
    """Poisson(1) weights of any range of replications in ``draws`` bootstrap draws, the
    same for every point: chunk c of replications draws them from
    ``SeedSequence(seed, spawn_key=(key, c))``. Chunks are kept once made (one byte a
    weight)."""

    def __init__(self, seed: int, key: int, draws: int) -> None:
        self.seed, self.key, self.draws = seed, key, draws
        self.chunks: dict[int, np.ndarray] = {}

    def _chunk(self, c: int) -> np.ndarray:
        if c not in self.chunks:
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(self.key, c))))
            self.chunks[c] = np.minimum(rng.poisson(1.0, size=(self.draws, CHUNK)), 255).astype(np.uint8)
        return self.chunks[c]

    def of(self, start: int, count: int, draws: slice = slice(None)) -> np.ndarray:
        """(draws, count) the weights of replications ``start .. start + count - 1`` (in
        the draws ``draws``: a block at a time keeps memory small)."""
        first, last = start // CHUNK, (start + count - 1) // CHUNK
        block = np.concatenate([self._chunk(c)[draws] for c in range(first, last + 1)], axis=1) if count else \
            np.zeros((len(range(self.draws)[draws]), 0), dtype=np.uint8)
        offset = start - first * CHUNK
        return block[:, offset:offset + count].astype(np.float64)


def means(values: np.ndarray) -> np.ndarray:
    """The mean over the first axis of the values that are defined (NaN: the replication
    has no value, as the tables leave it out); NaN where none is."""
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def weighted_means(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(draws, ...) ``means`` of ``values`` (n, ...) under each row of weights ``w``
    (draws, >= n; the first n are used)."""
    n = values.shape[0]
    flat = values.reshape(n, -1)
    finite = np.isfinite(flat)
    w = w[:, :n]
    total = w @ np.where(finite, flat, 0.0)
    count = w @ finite.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, total / np.maximum(count, 1e-300), np.nan)
    return out.reshape((w.shape[0],) + values.shape[1:])
