"""Simulating a fitted breach process with the engines' own breach clock.

The kernels below run ``stress.model.clock`` (the exact random-time-change method
both engines use) on replication ``i``'s breach stream of root seed ``seed``
(``stress.model.streams``), drawing what the engines draw per breach: the class, the
objective time and the clock's fresh mass. So replication ``i`` here meets the same
breaches as replication ``i`` of a run with the same seed whose responses leave the
rate alone: the fit is checked against the very process a scenario will simulate.

Time inside the kernels is in hours, as in the engines; the functions take and give
days.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np
from numba import njit

from stress.model import clock, compensators, streams, variates
from stress.model.clock import EXC_DUE, EXC_LEFT, EXCITATION
from stress.model.compensators import excitation_wait
from stress.model.streams import BREACHES, next_double, seed_pcg64, seed_prefix, seed_words
from stress.model.variates import exponential
from stress.model import jit

jit.register_with_numba()  # the breach clock's functions, compiled into the kernels below

HOURS = 24.0


def _cache_dir() -> str:
    """numba keys its cache on this file alone, but the kernels compile in the clock
    and the streams: a folder per hash of all their sources keeps stale machine code
    from loading after an edit to any of them."""
    digest = hashlib.sha256(numba.__version__.encode())
    for module in (variates, compensators, streams, clock):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    base = os.environ.get("STRESS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "stress")
    return os.path.join(base, f"calibration-{digest.hexdigest()[:16]}")


_previous_cache_dir = numba.config.CACHE_DIR
numba.config.CACHE_DIR = _cache_dir()


@njit(cache=True)
def _prefix(root_words: np.ndarray) -> np.ndarray:
    """seed_prefix, compiled: in plain Python its uint64 arithmetic warns on the
    wrap-around it relies on."""
    return seed_prefix(root_words)


@njit(cache=True)
def _start(state: np.ndarray, rng: np.ndarray, k: tuple, excitation: float) -> None:
    """The clock at t = 0, as the engines start it, plus an excitation carried over
    from events before the period (per hour; 0 as in the engines)."""
    clock.start(state, exponential(next_double(rng)), exponential(next_double(rng)), k)
    if excitation > 0.0:
        state[EXCITATION] = excitation
        state[EXC_DUE] = excitation_wait(state[EXC_LEFT], excitation, k[clock.BETA], k[clock.INV_BETA])


@njit(cache=True)
def _next(state: np.ndarray, rng: np.ndarray, k: tuple) -> float:
    """The next breach's time (hours), advancing the clock past it."""
    t, fired = clock.next_breach(state, k)
    if t == math.inf:
        return t
    next_double(rng)  # the breach's class, as the engines draw it
    next_double(rng)  # its time to objective
    clock.breach(state, t, fired, exponential(next_double(rng)), k)
    return t


@njit(cache=True)
def _counts(k: tuple, prefix: np.ndarray, first: int, replications: int, edges: np.ndarray,
            excitation: float) -> np.ndarray:
    """Breaches per bin (``edges`` in hours, increasing, from 0) for each replication."""
    bins = edges.shape[0] - 1
    out = np.zeros((replications, bins), dtype=np.int64)
    rng = np.zeros(4, dtype=np.uint64)
    state = np.zeros(clock.SIZE)
    horizon = edges[bins]
    for r in range(replications):
        seed_pcg64(prefix, first + r, BREACHES, rng)
        _start(state, rng, k, excitation)
        b = 0
        while True:
            t = _next(state, rng, k)
            if not t < horizon:
                break
            while t >= edges[b + 1]:
                b += 1
            if t >= edges[0]:
                out[r, b] += 1
    return out


@njit(cache=True)
def _times(k: tuple, prefix: np.ndarray, replication: int, horizon: float, excitation: float) -> np.ndarray:
    """The breach times (hours) of one replication within [0, horizon)."""
    rng = np.zeros(4, dtype=np.uint64)
    state = np.zeros(clock.SIZE)
    seed_pcg64(prefix, replication, BREACHES, rng)
    _start(state, rng, k, excitation)
    out = np.empty(64)
    count = 0
    while True:
        t = _next(state, rng, k)
        if not t < horizon:
            break
        if count == out.shape[0]:
            grown = np.empty(2 * count)
            grown[:count] = out
            out = grown
        out[count] = t
        count += 1
    return out[:count].copy()


numba.config.CACHE_DIR = _previous_cache_dir


def _constants(mu: float, n: float, beta: float) -> tuple:
    """The clock's constants for baseline ``mu`` per day, branching ratio ``n`` and
    decay rate ``beta`` per day, with no policy feedback."""
    return clock.constants(mu / HOURS, n, beta / HOURS, 0.0, 1.0)


def simulate_times(mu: float, n: float, beta: float, days: float, seed: int, replication: int = 0,
                   excitation: float = 0.0) -> np.ndarray:
    """Breach times (days, sorted) of replication ``replication`` over [0, days):
    baseline ``mu`` per day, branching ratio ``n``, decay rate ``beta`` per day,
    ``excitation`` the self-excited intensity at 0 (per day) carried from before."""
    prefix = _prefix(seed_words(seed))
    hours = _times(_constants(mu, n, beta), prefix, replication, days * HOURS, excitation / HOURS)
    return hours / HOURS


def simulate_counts(mu: float, n: float, beta: float, edges_days: np.ndarray, seed: int, replications: int,
                    first: int = 0, excitation: float = 0.0) -> np.ndarray:
    """Breach counts per bin (``edges_days`` increasing, from 0) for replications
    ``first`` .. ``first + replications - 1``: an array (replications, bins)."""
    edges = np.ascontiguousarray(np.asarray(edges_days, dtype=np.float64) * HOURS)
    prefix = _prefix(seed_words(seed))
    return _counts(_constants(mu, n, beta), prefix, first, replications, edges, excitation / HOURS)
