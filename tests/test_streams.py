"""The compiled re-implementation of SeedSequence + PCG64 against NumPy's, word for
word, and the shared transforms of uniforms."""

import math

import numba
import numpy as np
import pytest
from scipy import stats as sps

from stress.model import rules, streams


@numba.njit
def _draws(words, replication, component, n):
    state = np.zeros(4, np.uint64)
    streams.seed_pcg64(streams.seed_prefix(words), replication, component, state)
    out = np.empty(n)
    for i in range(n):
        out[i] = streams.next_double(state)
    return out


@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 2**32, 2**64 + 12345, 2**127 + 3])
@pytest.mark.parametrize("replication", [0, 1, 999_999, 2**32 + 5])
def test_compiled_streams_equal_numpy(seed, replication):
    for component in range(streams.N_STREAMS):
        expected = streams.generators(seed, replication)[component].random(200)
        assert np.array_equal(_draws(streams.seed_words(seed), replication, component, 200), expected)


def test_seeding_leaves_no_overflow_warnings_in_plain_python():
    # the SimPy engine never calls these, but tools may: wrap-around is intended
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draws(streams.seed_words(3), 1, 2, 3)


def test_streams_of_a_replication_are_distinct():
    draws = [g.random(5) for g in streams.generators(7, 3)]
    assert len({tuple(d) for d in draws}) == streams.N_STREAMS


def test_negative_seed_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        streams.seed_words(-1)


def test_normal_quantile_matches_scipy_to_double_precision():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 20001), [1e-300, 1e-50, 0.02425, 0.5, 1 - 0.02425, 1 - 1e-16]])
    ours = np.array([rules.normal_quantile(x) for x in p])
    reference = sps.norm.ppf(p)
    assert np.max(np.abs(ours - reference) / np.maximum(1.0, np.abs(reference))) < 1e-14
    assert rules.normal_quantile(0.0) == -math.inf and rules.normal_quantile(1.0) == math.inf


def test_lognormal_median_and_categorical():
    assert rules.lognormal(0.5, 12.0, 0.75) == pytest.approx(12.0, rel=1e-15)
    assert rules.lognormal(0.3, 12.0, 0.0) == 12.0
    assert rules.lognormal(0.0, math.inf, 1.0) == math.inf
    cumulative = np.array([0.75, 0.97, 1.0])
    assert [rules.categorical(u, cumulative) for u in (0.0, 0.7499, 0.75, 0.969, 0.97, 0.9999)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("m0", [0.0, 0.2, 1.0, 3.0, 10.0])
@pytest.mark.parametrize("decay", [0.0, 1e-3, 0.5])
def test_baseline_wait_inverts_baseline_mass(m0, decay):
    for mass in (1e-8, 0.3, 2.0, 25.0):
        tau = rules.baseline_wait(mass, 0.01, m0, decay)
        if m0 == 0.0 and decay == 0.0:
            assert tau == math.inf
            continue
        assert rules.baseline_mass(tau, 0.01, m0, decay) == pytest.approx(mass, rel=1e-10)


def test_excitation_wait_inverts_mass_and_dies_out():
    beta, excitation = 0.05, 0.02
    total = excitation / beta
    for mass in (1e-6, 0.1, 0.39):
        assert rules.excitation_mass(rules.excitation_wait(mass, excitation, beta), excitation, beta) == pytest.approx(mass)
    assert rules.excitation_wait(total, excitation, beta) == math.inf
    assert rules.excitation_wait(0.5, 0.0, beta) == math.inf


def test_baseline_wait_survives_a_vanishing_multiplier():
    # found by the engine-equivalence property test: a rate factor of 5e-324 makes
    # mu * m0 underflow to 0, which once divided by zero
    assert rules.baseline_wait(1.0, 0.01, 5e-324, 0.0) == math.inf
    relaxing = rules.baseline_wait(1.0, 0.01, 5e-324, 1e-3)
    assert relaxing == pytest.approx(rules.baseline_wait(1.0, 0.01, 0.0, 1e-3))
    assert rules.baseline_mass(relaxing, 0.01, 0.0, 1e-3) == pytest.approx(1.0, rel=1e-10)
