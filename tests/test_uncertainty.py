"""Uncertain inputs: distributions from a file's [uncertain] table or --uncertain,
checked against the keys they set, and sampled by their quantile functions."""

import math

import numpy as np
import pytest
from scipy import stats

from stress.config.loading import ConfigError, load_scenario
from stress.config.uncertain import check_inputs, distribution, inputs_from, parse_option, sample, unit_design
from stress.errors import UsageError

from conftest import run_cli


def test_options_parse_positionally_by_name_and_as_choices():
    item = parse_option("tier3.delay_hours=triangular(24, 72, 120)")
    assert item.key == "tier3.delay_hours" and item.distribution.params == {"low": 24, "mode": 72, "high": 120}
    assert parse_option("breaches.baseline_per_day = lognormal(median=0.2, sd_log=0.5, high=2)").distribution.params \
        == {"median": 0.2, "sd_log": 0.5, "high": 2}
    choice = parse_option("tier1.min_class=choice(minor, major, weights=[0.7, 0.3])").distribution
    assert choice.params == {"values": ["minor", "major"], "weights": [0.7, 0.3]}


@pytest.mark.parametrize("text,message", [
    ("tier3.delay_hours", "expected KEY=DIST(ARGS)"),
    ("tier3.delay_hours=gamma(1, 2)", "'gamma' is not a distribution"),
    ("tier3.delay_hours=triangular(24, 12, 120)", "mode must lie between low and high"),
    ("tier3.delay_hours=uniform(5, 1)", "low must be below high"),
    ("tier3.delay_hours=uniform(1, 2, 3)", "too many arguments"),
    ("tier3.delay_hours=uniform(low=1)", "missing high"),
    ("tier3.delay_hours=uniform(1, 2, scale=3)", "unknown parameter(s) scale"),
    ("tier1.min_class=choice(minor, weights=[1, 2])", "weights must be as many"),
    ("tier3.delay_hours=loguniform(0, 10)", "low must be > 0"),
])
def test_malformed_distributions_are_refused(text, message):
    with pytest.raises(UsageError) as caught:
        parse_option(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("text,message", [
    ("tier2.decision_probability=uniform(0.2, 1.5)", "must be <= 1"),
    ("tier2.decision_probability=normal(0.5, 0.1)", "the distribution is unbounded"),
    ("tier2.threshold=uniform(1, 5)", "takes whole numbers"),
    ("tier2.threshold=integer(0, 5)", "must be >= 1"),
    ("nosuch.key=uniform(0, 1)", "nosuch: unknown key"),
    ("tier1.min_class=choice(minor, huge)", "huge"),
])
def test_a_support_the_key_does_not_allow_is_refused(text, message):
    with pytest.raises((UsageError, ConfigError)) as caught:
        check_inputs([parse_option(text)], load_scenario(None))
    assert message in str(caught.value)


def test_file_table_and_options_combine_the_option_winning():
    table = {"tier3.delay_hours": {"dist": "uniform", "low": 24, "high": 96},
             "tier2.decision_probability": {"dist": "beta", "a": 2, "b": 2}}
    inputs = inputs_from(table, ["tier3.delay_hours=uniform(48, 72)"], "file.toml")
    assert {i.key: i.distribution.params for i in inputs} == {"tier3.delay_hours": {"low": 48, "high": 72},
                                                              "tier2.decision_probability": {"a": 2, "b": 2}}
    with pytest.raises(UsageError, match="file.toml: \\[uncertain\\] tier3.delay_hours: dist = 'nope'"):
        inputs_from({"tier3.delay_hours": {"dist": "nope"}}, [], "file.toml")


def test_quantiles_are_the_distributions():
    u = (np.arange(2000) + 0.5) / 2000   # evenly spread: sample moments are close to the true ones
    spec = {"uniform": ({"low": 2, "high": 6}, stats.uniform(2, 4)),
            "triangular": ({"low": 0, "mode": 1, "high": 4}, stats.triang(0.25, 0, 4)),
            "beta": ({"a": 2, "b": 5, "low": 1, "high": 3}, stats.beta(2, 5, loc=1, scale=2)),
            "loguniform": ({"low": 0.01, "high": 1}, stats.loguniform(0.01, 1))}
    for name, (params, reference) in spec.items():
        values = np.array(distribution({"dist": name, **params}, name).quantiles(u))
        assert values.mean() == pytest.approx(reference.mean(), rel=2e-3), name
    truncated = np.array(distribution({"dist": "normal", "mean": 0.5, "sd": 0.3, "low": 0.2, "high": 0.9},
                                      "n").quantiles(u))
    assert truncated.min() >= 0.2 and truncated.max() <= 0.9
    assert truncated.mean() == pytest.approx(stats.truncnorm(-1, 4 / 3, 0.5, 0.3).mean(), rel=2e-3)
    integers = distribution({"dist": "integer", "low": 2, "high": 5}, "i").quantiles(u)
    assert sorted(set(integers)) == [2, 3, 4, 5] and all(integers.count(k) == 500 for k in range(2, 6))
    choices = distribution({"dist": "choice", "values": ["a", "b"], "weights": [3, 1]}, "c").quantiles(u)
    assert choices.count("a") == 1500


@pytest.mark.parametrize("design", ["mc", "lhs", "sobol"])
def test_designs_are_seeded_and_fill_the_unit_cube(design):
    a, b = unit_design(design, 64, 3, seed=5), unit_design(design, 64, 3, seed=5)
    assert np.array_equal(a, b) and a.shape == (64, 3) and a.min() >= 0 and a.max() < 1
    assert not np.array_equal(a, unit_design(design, 64, 3, seed=6))
    # every column covers the unit interval: each quarter holds some points
    assert all(len(np.unique(np.floor(a[:, j] * 4))) == 4 for j in range(3))


def test_points_are_dicts_of_sampled_values():
    inputs = [parse_option("tier2.threshold=integer(2, 5)"), parse_option("tier1.min_class=choice(minor, major)")]
    points = sample(inputs, unit_design("lhs", 8, 2, seed=1))
    assert len(points) == 8 and all(set(p) == {"tier2.threshold", "tier1.min_class"} for p in points)
    assert all(isinstance(p["tier2.threshold"], int) and 2 <= p["tier2.threshold"] <= 5 for p in points)
    assert not math.isnan(sum(p["tier2.threshold"] for p in points))


@pytest.mark.parametrize("args,message", [
    (["explore", "-n", "100", "--samples", "10"], "no uncertain inputs"),
    (["explore", "-n", "100", "--samples", "10", "--uncertain", "tier2.decision_probability=uniform(0.5, 2)"],
     "must be <= 1"),
    (["sensitivity", "-n", "100", "--uncertain", "tier2.threshold=uniform(1, 4)"], "takes whole numbers"),
    (["explore", "-n", "100", "--uncertain", "tier3.delay_hours=triangular(1)"], "missing"),
    (["explore", "-n", "100", "--design", "grid", "--uncertain", "tier3.delay_hours=uniform(1, 2)"],
     "design must be one of"),
])
def test_bad_uncertain_input_on_the_command_line(tmp_path, args, message):
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_calibration_is_sampled_jointly_from_its_fits_uncertainty(tmp_path):
    import json
    estimate = [math.log(0.2), 0.4, math.log(0.5)]
    covariance = [[0.04, -0.005, 0.02], [-0.005, 0.0025, -0.004], [0.02, -0.004, 0.09]]
    (tmp_path / "calibration.json").write_text(json.dumps({"hawkes_working": {"estimate": estimate,
                                                                             "covariance": covariance}}))
    item = inputs_from({"calibration": str(tmp_path)}, [], "file.toml")[0]
    check_inputs([item], load_scenario(None))
    draws = 4000
    points = sample([item], unit_design("mc", draws, 3, seed=2))
    working = np.array([[math.log(p["breaches.baseline_per_day"]), p["breaches.self_excitation"],
                         math.log(24.0 / p["breaches.decay_hours"])] for p in points])
    sd = np.sqrt(np.diag(covariance))
    assert np.all(np.abs(working.mean(axis=0) - estimate) <= 4 * sd / math.sqrt(draws))
    # the correlations the fit found are kept (their standard error is about 1/sqrt(draws))
    wanted = np.array(covariance) / np.outer(sd, sd)
    assert np.all(np.abs(np.corrcoef(working.T) - wanted) <= 4 / math.sqrt(draws))
    (tmp_path / "calibration.json").write_text(json.dumps({"hawkes_working": {"estimate": estimate,
                                                                             "covariance": [[math.nan] * 3] * 3}}))
    with pytest.raises(UsageError, match="covariance is not defined"):
        inputs_from({"calibration": str(tmp_path)}, [], "file.toml")
