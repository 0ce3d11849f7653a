"""Random streams: one root seed, one stream per (replication, component).

Replication ``i``'s component ``k`` draws from
``Generator(PCG64(SeedSequence(root_seed, spawn_key=(i, k))))``. The SimPy engine
builds exactly that NumPy generator; the compiled engine re-implements SeedSequence
and PCG64 in ``numba``-compatible code below, so it can seed millions of streams
without leaving compiled code. Tests check the two agree word for word.

Every draw in the model is a uniform double in [0, 1) (``Generator.random``); other
distributions are transforms of it (``stress.model.rules``), so both engines need
only this one primitive.
"""

from __future__ import annotations

import numpy as np
from stress.model.jit import jitable

# Component streams of one replication, in spawn-key order. The adversary's is seeded
# only for a violator that reads the plan.
BREACHES, DETECTION, FALSE_REPORTS, RESPONSES, ADVERSARY = 0, 1, 2, 3, 4
N_STREAMS = 5
STREAM_NAMES = ("breaches", "detection", "false_reports", "responses", "adversary")


def generators(root_seed: int, replication: int, count: int = ADVERSARY) -> list[np.random.Generator]:
    """The NumPy generators of one replication's first ``count`` components, indexed by
    the constants above."""
    return [
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication, k))))
        for k in range(count)
    ]


def seed_words(root_seed: int) -> np.ndarray:
    """The root seed as the little-endian uint32 words SeedSequence mixes in."""
    if root_seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {root_seed}")
    words = []
    while True:
        words.append(root_seed & 0xFFFFFFFF)
        root_seed >>= 32
        if root_seed == 0:
            break
    return np.array(words, dtype=np.uint64)


# --- SeedSequence (numpy/random/bit_generator.pyx), 32-bit words held in uint64 ---
_M32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_XSHIFT = np.uint64(16)
_POOL = 4


@jitable
def _hash(value, hash_const, mult):
    """One hashing step of SeedSequence: ``value`` hashed with the running multiplier,
    and the next multiplier (``_MULT_A`` when mixing entropy in, ``_MULT_B`` when
    generating the state)."""
    value = (value ^ hash_const) & _M32
    hash_const = (hash_const * mult) & _M32
    value = (value * hash_const) & _M32
    return value ^ (value >> _XSHIFT), hash_const


@jitable
def _hashmix(value, hash_const):
    # hash_const is a one-element array: the running multiplier, updated in place
    hashed, hash_const[0] = _hash(value, hash_const[0], _MULT_A)
    return hashed


@jitable
def _mix(x, y):
    result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
    return result ^ (result >> _XSHIFT)


@jitable
def _mix_in(pool, hash_const, word):
    """Mix one more entropy word into the pool (the tail loop of mix_entropy)."""
    for i_dst in range(_POOL):
        pool[i_dst] = _mix(pool[i_dst], _hashmix(word, hash_const))


@jitable
def seed_prefix(root_words):
    """SeedSequence's pool after mixing in the root seed: the part of seeding that
    is the same for every (replication, component). Returns [pool0..pool3, hash_const]."""
    out = np.zeros(_POOL + 1, dtype=np.uint64)
    pool = out[:_POOL]
    hash_const = out[_POOL:]
    hash_const[0] = _INIT_A
    # The root words come first, padded to the pool size because a spawn key follows.
    for i in range(_POOL):
        pool[i] = _hashmix(root_words[i] if i < len(root_words) else np.uint64(0), hash_const)
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                pool[i_dst] = _mix(pool[i_dst], _hashmix(pool[i_src], hash_const))
    for i_src in range(_POOL, len(root_words)):
        _mix_in(pool, hash_const, root_words[i_src])
    return out


@jitable
def seed_pcg64(prefix, replication, component, state):
    """Fill ``state`` (4 x uint64: state hi, lo, inc hi, lo) as
    ``PCG64(SeedSequence(root, spawn_key=(replication, component)))`` would, given
    ``seed_prefix(root words)``. Scalars only: it runs four times per replication."""
    p0, p1, p2, p3, hc = prefix[0], prefix[1], prefix[2], prefix[3], prefix[4]
    # spawn-key integers enter as their uint32 words (0 is one word)
    for value in (np.uint64(replication), np.uint64(component)):
        while True:
            word = value & _M32
            h, hc = _hash(word, hc, _MULT_A)
            p0 = _mix(p0, h)
            h, hc = _hash(word, hc, _MULT_A)
            p1 = _mix(p1, h)
            h, hc = _hash(word, hc, _MULT_A)
            p2 = _mix(p2, h)
            h, hc = _hash(word, hc, _MULT_A)
            p3 = _mix(p3, h)
            value = value >> np.uint64(32)
            if value == 0:
                break
    # generate_state(4, uint64): eight 32-bit words from the pool in turn, paired
    # little-endian into seed (hi, lo) and increment (hi, lo)
    hc = _INIT_B
    w0, hc = _hash(p0, hc, _MULT_B)
    w1, hc = _hash(p1, hc, _MULT_B)
    w2, hc = _hash(p2, hc, _MULT_B)
    w3, hc = _hash(p3, hc, _MULT_B)
    w4, hc = _hash(p0, hc, _MULT_B)
    w5, hc = _hash(p1, hc, _MULT_B)
    w6, hc = _hash(p2, hc, _MULT_B)
    w7, hc = _hash(p3, hc, _MULT_B)
    shift = np.uint64(32)
    seed_hi, seed_lo = w0 | (w1 << shift), w2 | (w3 << shift)
    inc_hi, inc_lo = w4 | (w5 << shift), w6 | (w7 << shift)

    # pcg_setseq_128_srandom_r: inc = seq << 1 | 1; step; state += seed; step
    state[2] = (inc_hi << np.uint64(1)) | (inc_lo >> np.uint64(63))
    state[3] = (inc_lo << np.uint64(1)) | np.uint64(1)
    state[0] = np.uint64(0)
    state[1] = np.uint64(0)
    _step(state)
    lo = state[1] + seed_lo
    state[0] = state[0] + seed_hi + (np.uint64(1) if lo < seed_lo else np.uint64(0))
    state[1] = lo
    _step(state)


# --- PCG64 (XSL-RR 128/64), 128-bit arithmetic on uint64 halves ---
_MULT_HI = np.uint64(2549297995355413924)
_MULT_LO = np.uint64(4865540595714422341)


@jitable
def _mulhi64(a, b):
    a_lo = a & _M32
    a_hi = a >> np.uint64(32)
    b_lo = b & _M32
    b_hi = b >> np.uint64(32)
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    p3 = a_hi * b_hi
    carry = ((p0 >> np.uint64(32)) + (p1 & _M32) + (p2 & _M32)) >> np.uint64(32)
    return p3 + (p1 >> np.uint64(32)) + (p2 >> np.uint64(32)) + carry


@jitable
def _step(state):
    s_hi = state[0]
    s_lo = state[1]
    hi = _mulhi64(s_lo, _MULT_LO) + s_hi * _MULT_LO + s_lo * _MULT_HI
    lo = s_lo * _MULT_LO
    new_lo = lo + state[3]
    state[0] = hi + state[2] + (np.uint64(1) if new_lo < lo else np.uint64(0))
    state[1] = new_lo


@jitable
def next_uint64(state):
    _step(state)
    hi = state[0]
    x = hi ^ state[1]
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@jitable
def next_double(state):
    """``Generator.random()``: the top 53 bits of the next word, scaled to [0, 1)."""
    return np.float64(next_uint64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
