"""stress sensitivity: Sobol' indices against the exact ones of a closed-form tier-3
probability, a dummy input at exactly 0, Morris screening's ranking, and the notes."""

import json
import math

import numpy as np
import pytest
from scipy import integrate

import stress
from analytic import DETECTION, HORIZON_DAYS, OFFENSIVE, RATE, uniform_option, write_scenario

from conftest import check_workers_and_resume, run_cli

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


def test_an_output_with_no_variance_to_apportion_gets_no_indices(tmp_path):
    # P(tier 1) about 0.9998 at every point: its variance over the design (about 1e-6)
    # comes from a few replications that miss at many points, and the indices of such an
    # output were noise (ST up to 1.7; 2.3 +- 12 at seed 2 here)
    from test_sensitivity_coverage import write_scenario
    result = stress.sensitivity(write_scenario(tmp_path), base_samples=64, n=1000, seed=3, engine="fast", workers=1,
                                uncertain=["breaches.baseline_per_day=uniform(0.15, 0.3)",
                                           "monitoring.detection_probability=uniform(0.5, 1)",
                                           "monitoring.attribution_probability=uniform(0.5, 1)"])
    assert not [r for r in result.indices if r["output"] == "tier1_p"]
    note = next(n for n in result.notes if n.startswith("tier1_p"))
    assert "no variance to apportion" in note and "comes from a few replications" in note


def test_blocks_add_up_to_the_points_counts(tmp_path):
    # the replications' blocks are the pipeline's units: together they are every point's tallies
    from stress.config.loading import load_scenario
    from stress.config.uncertain import inputs_from
    from stress.jobs.pipeline import execute
    from stress.jobs.sensitivity import SensitivityJob, spec_of
    path = write_scenario(tmp_path)
    inputs = inputs_from(None, [uniform_option(RATE), uniform_option(DETECTION)], str(path))
    job = SensitivityJob(load_scenario(path, []), spec_of(inputs, "sobol", 8, 250, 3), engine="fast")
    result = execute(job, workers=1)
    assert job.blocks.size == 13 and job.blocks.blocks == 20
    assert np.array_equal(job.blocks.n.sum(axis=1), result.n)
    assert np.array_equal(job.blocks.counts[:, :, :job.blocks.tiers].sum(axis=1), result.tiers.n_reached)


def _sensitivity(tmp_path, name, workers, progress=None):
    return stress.sensitivity("configs/uncertainty.toml", base_samples=16, n=200, seed=9, workers=workers,
                              engine="fast", out=tmp_path / name, progress=progress)


def test_the_same_indices_and_intervals_for_one_and_two_workers_and_after_a_resume(tmp_path):
    # the intervals read every point's counts block by block: the blocks must add up the
    # same whichever worker ran them, and from the checkpoints after a resume
    check_workers_and_resume(_sensitivity, tmp_path, ("table.csv", "sensitivity.csv", "sensitivity.json"))


def test_a_folder_cut_into_other_chunks_is_not_resumed(tmp_path):
    # an interrupted study of a version that cut its replications otherwise: its
    # checkpoints hold other ranges than this version plans, so it must start again
    import json
    from stress.storage.folders import ResultError

    def stop(done, planned, points_done, points):
        if done >= 500:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        stress.sensitivity("configs/uncertainty.toml", base_samples=8, n=100, seed=1, workers=1, engine="fast",
                           out=tmp_path / "s", progress=stop)
    manifest = tmp_path / "s.partial" / "manifest.json"
    data = json.loads(manifest.read_text())
    assert data["chunk_size"] == 5
    manifest.write_text(json.dumps({**data, "chunk_size": 1000}))
    with pytest.raises(ResultError, match="start it again"):
        stress.resume(tmp_path / "s.partial")
