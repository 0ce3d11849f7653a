"""stress sensitivity: Sobol' indices against the exact ones of a closed-form tier-3
probability, a dummy input at exactly 0, Morris screening's ranking, and the notes."""

import json
import math

import numpy as np
import pytest
from scipy import integrate

import stress
from analytic import DETECTION, HORIZON_DAYS, OFFENSIVE, RATE, uniform_option, write_scenario

from conftest import run_cli

# An input that cannot move tier 3 here (no feedback, tier 3 does not wait for tier 1).
DUMMY = "tier1.cooldown_hours=uniform(0, 48)"


def exact_indices() -> dict[str, tuple[float, float]]:
    """(first-order, total) Sobol' indices of f(rate, d) = 1 - exp(-q T rate d) with rate
    and d independent uniforms, by numerical integration."""
    (_, a1, b1), (_, a2, b2) = RATE, DETECTION
    c = OFFENSIVE * HORIZON_DAYS
    w1, w2 = 1.0 / (b1 - a1), 1.0 / (b2 - a2)

    def f(x, d):
        return -math.expm1(-c * x * d)

    mean = integrate.dblquad(lambda d, x: f(x, d) * w1 * w2, a1, b1, a2, b2)[0]
    second = integrate.dblquad(lambda d, x: f(x, d) ** 2 * w1 * w2, a1, b1, a2, b2)[0]
    variance = second - mean ** 2

    def conditional_variance(given_rate: bool) -> float:
        (lo, hi, w), (lo2, hi2, w2_) = ((a1, b1, w1), (a2, b2, w2)) if given_rate else ((a2, b2, w2), (a1, b1, w1))

        def conditional_mean(v):
            return integrate.quad(lambda u: (f(v, u) if given_rate else f(u, v)) * w2_, lo2, hi2)[0]
        return integrate.quad(lambda v: conditional_mean(v) ** 2 * w, lo, hi)[0] - mean ** 2

    v_rate, v_detection = conditional_variance(True), conditional_variance(False)
    return {RATE[0]: (v_rate / variance, 1 - v_detection / variance),
            DETECTION[0]: (v_detection / variance, 1 - v_rate / variance)}


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    path = write_scenario(tmp_path_factory.mktemp("sobol"))
    return stress.sensitivity(path, method="sobol", base_samples=256, n=400, seed=4, engine="fast", workers=1,
                              uncertain=[uniform_option(RATE), uniform_option(DETECTION), DUMMY])


def _rows(result, output):
    return {r["input"]: r for r in result.indices if r["output"] == output}


def test_sobol_indices_match_the_exact_ones_within_their_intervals(sobol):
    rows = _rows(sobol, "tier3_p")
    for key, (first, total) in exact_indices().items():
        # the bootstrap half-widths are 1.96 standard errors: twice them is about 4
        assert abs(rows[key]["S1"] - first) <= 2 * rows[key]["S1_conf"], (key, rows[key], first)
        assert abs(rows[key]["ST"] - total) <= 2 * rows[key]["ST_conf"], (key, rows[key], total)


def test_an_input_without_effect_has_a_total_index_of_exactly_zero(sobol):
    # common random numbers: changing the dummy leaves every replication's tier 3 as it was
    assert _rows(sobol, "tier3_p")["tier1.cooldown_hours"]["ST"] == 0.0
    assert sobol.noise["tier3_p"]["noise_share"] < 0.1


def test_morris_ranks_the_inputs_and_the_json_says_so(tmp_path):
    path = write_scenario(tmp_path)
    done = run_cli("sensitivity", str(path), "--method", "morris", "--base-samples", "20", "-n", "300",
                   "--uncertain", uniform_option(RATE), "--uncertain", uniform_option(DETECTION), "--uncertain", DUMMY,
                   "--json", "--out", "m", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    ranked = [r["input"] for r in data["outputs"]["tier3_p"]["inputs"]]
    assert ranked[-1] == "tier1.cooldown_hours"
    assert data["outputs"]["tier3_p"]["inputs"][-1]["mu_star"] == 0.0
    shown = run_cli("show", str(tmp_path / "m"), cwd=tmp_path)
    assert shown.returncode == 0 and "mu*" in shown.stdout


def test_too_few_base_samples_and_replications_are_said(tmp_path):
    path = write_scenario(tmp_path)
    result = stress.sensitivity(path, base_samples=8, n=20, seed=1, engine="fast", workers=1,
                                uncertain=[uniform_option(RATE), uniform_option(DETECTION)])
    notes = " ".join(result.notes)
    assert "raise --base-samples" in notes and "raise -n" in notes
