"""The compiled re-implementation of SeedSequence + PCG64 against NumPy's, word for
word, and the shared transforms of uniforms."""

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from stress.model import compensators, jit, streams, variates

jit.register_with_numba()  # compiled below as the fast engine compiles them


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
        expected = streams.generators(seed, replication, streams.N_STREAMS)[component].random(200)
        assert np.array_equal(_draws(streams.seed_words(seed), replication, component, 200), expected)


def test_seeding_leaves_no_overflow_warnings_in_plain_python():
    # the SimPy engine never calls these, but tools may: wrap-around is intended
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draws(streams.seed_words(3), 1, 2, 3)


def test_streams_of_a_replication_are_distinct():
    draws = [g.random(5) for g in streams.generators(7, 3, streams.N_STREAMS)]
    assert len({tuple(d) for d in draws}) == streams.N_STREAMS


def test_negative_seed_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        streams.seed_words(-1)


def test_normal_quantile_matches_scipy_to_double_precision():
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 20001), [1e-300, 1e-50, 0.02425, 0.5, 1 - 0.02425, 1 - 1e-16]])
    ours = np.array([variates.normal_quantile(x) for x in p])
    reference = sps.norm.ppf(p)
    assert np.max(np.abs(ours - reference) / np.maximum(1.0, np.abs(reference))) < 1e-14
    assert variates.normal_quantile(0.0) == -math.inf and variates.normal_quantile(1.0) == math.inf


def test_lognormal_median_and_categorical():
    assert variates.lognormal(0.5, 12.0, 0.75) == pytest.approx(12.0, rel=1e-15)
    assert variates.lognormal(0.3, 12.0, 0.0) == 12.0
    assert variates.lognormal(0.0, math.inf, 1.0) == math.inf
    cumulative = np.array([0.75, 0.97, 1.0])
    assert [variates.categorical(u, cumulative) for u in (0.0, 0.7499, 0.75, 0.969, 0.97, 0.9999)] == [0, 0, 1, 1, 2, 2]


def _wait(mass, mu, m0, decay):
    return compensators.baseline_wait(mass, mu, 1.0 / mu, m0, decay, 1.0 / decay if decay else math.inf)


def _relax(tau, mu, m0, decay):
    return compensators.relax(tau, mu, m0, decay, 1.0 / decay if decay else math.inf)


@pytest.mark.parametrize("m0", [0.0, 0.2, 0.9, 1.0, 1.1, 3.0, 10.0])
@pytest.mark.parametrize("decay", [0.0, 1e-3, 0.5])
def test_baseline_wait_inverts_the_baseline_mass(m0, decay):
    for mass in (1e-8, 0.3, 2.0, 25.0):
        tau, m_then = _wait(mass, 0.01, m0, decay)
        if m0 == 0.0 and decay == 0.0:
            assert tau == math.inf
            continue
        reached, m_exact = _relax(tau, 0.01, m0, decay)
        assert reached == pytest.approx(mass, rel=1e-12)
        # the multiplier at the due time, returned without an exp of its own
        assert m_then == pytest.approx(m_exact, rel=1e-15, abs=1e-300)


def test_relax_mass_is_the_integral_of_the_rate():
    from scipy.integrate import quad
    mu, m0, decay = 0.02, 3.0, 0.01
    for tau in (1e-4, 0.5, 40.0, 900.0):
        mass, m = _relax(tau, mu, m0, decay)
        exact, _ = quad(lambda s: mu * (1.0 + (m0 - 1.0) * math.exp(-decay * s)), 0.0, tau, epsabs=0, epsrel=1e-13)
        assert mass == pytest.approx(exact, rel=1e-12)
        assert m == pytest.approx(1.0 + (m0 - 1.0) * math.exp(-decay * tau), rel=1e-15)


def test_excitation_wait_inverts_mass_and_dies_out():
    beta, excitation = 0.05, 0.02
    total = excitation / beta
    for mass in (1e-6, 0.1, 0.39):
        tau = compensators.excitation_wait(mass, excitation, beta, 1.0 / beta)
        assert compensators.excitation_mass(tau, excitation, beta) == pytest.approx(mass, rel=1e-12)
    assert compensators.excitation_wait(total, excitation, beta, 1.0 / beta) == math.inf
    assert compensators.excitation_wait(0.5, 0.0, beta, 1.0 / beta) == math.inf


def test_baseline_wait_survives_a_vanishing_multiplier():
    # found by the engine-equivalence property test: a rate factor of 5e-324 makes
    # mu * m0 underflow to 0, which once divided by zero
    assert _wait(1.0, 0.01, 5e-324, 0.0)[0] == math.inf
    relaxing, _ = _wait(1.0, 0.01, 5e-324, 1e-3)
    assert relaxing == pytest.approx(_wait(1.0, 0.01, 0.0, 1e-3)[0])
    assert _relax(relaxing, 0.01, 0.0, 1e-3)[0] == pytest.approx(1.0, rel=1e-10)


def test_clock_without_baseline_rate_never_plans_a_baseline_breach():
    from stress.model import clock
    k = clock.constants(mu=0.0, alpha=0.5, beta=0.1, relax_rate=0.01, max_multiplier=10.0)
    state = clock.new_state()
    clock.start(state, 0.0, 0.3, k)  # a zero draw for the baseline must not make 0 * inf
    assert clock.next_breach_not_before(state) == math.inf
    assert clock.next_breach(state, k)[0] == math.inf


@given(t0=st.floats(0.0, 1e4), mass=st.floats(0.0, 50.0), m0=st.floats(0.0, 20.0),
       mu=st.one_of(st.just(0.0), st.floats(1e-6, 10.0)), relax=st.one_of(st.just(0.0), st.floats(1e-6, 1.0)))
@settings(max_examples=2000, deadline=None, derandomize=True)
def test_baseline_bound_never_passes_the_due_time(t0, mass, m0, mu, relax):
    # the compiled engine skips working out the due time while this bound lies beyond
    # the next other event; a bound past the due time would reorder events
    from stress.model import clock
    k = clock.constants(mu=mu, alpha=0.5, beta=0.1, relax_rate=relax, max_multiplier=20.0)
    state = clock.new_state()
    state[clock.BASE_REF], state[clock.BASE_LEFT], state[clock.M_REF] = t0, mass, m0
    clock._replan_baseline(state, k)
    soonest = state[clock.BASE_SOON]
    assert soonest <= clock._baseline_due(state, k)
