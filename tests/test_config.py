"""Loading, overriding and validating scenarios; every message names where and why."""

import tomllib

import pytest

from stress.config.loading import ConfigError, default_config_text, load_config, parse_assignment
from stress.config.schema import Config
from stress.config.toml import dumps

from conftest import ROOT


def test_shipped_config_is_the_packaged_default():
    assert (ROOT / "configs" / "ceasefire.toml").read_text() == default_config_text()


def test_every_number_in_the_default_says_it_is_an_assumption_or_from_the_plan():
    for line in default_config_text().splitlines():
        code, _, comment = line.partition("#")
        value = code.split("=", 1)[1].strip() if "=" in code else ""
        if value and value[0] not in "\"'" and any(ch.isdigit() for ch in value):  # a number, not a name
            assert "assumption" in comment or "plan" in comment, line


def test_all_shipped_configs_load():
    for path in sorted((ROOT / "configs").glob("*.toml")):
        assert isinstance(load_config(path), Config)


def test_resolved_config_round_trips_through_toml(default_config):
    again = Config.model_validate(tomllib.loads(dumps(default_config)))
    assert again == default_config


def test_lists_of_names_round_trip_through_toml():
    # a violator's list of tiers sits in an inline table of the resolved config.toml
    cfg = load_config(ROOT / "configs" / "adversary.toml", ['adversary.threshold.tiers=["tier2"]',
                                                            'adversary.learning.tiers=["tier2", "tier3"]'])
    again = Config.model_validate(tomllib.loads(dumps(cfg)))
    assert again == cfg and again.adversary.learning.tiers == ["tier2", "tier3"]


def test_overrides_reach_nested_and_named_items():
    cfg = load_config(None, ["tier2.threshold=5", "breaches.classes.major.severity=4",
                             "monitoring.detection_probability.minor=0.25", "tier3.min_class=major"])
    assert cfg.tier("tier2").threshold == 5
    assert cfg.breaches.classes[1].severity == 4
    assert cfg.monitoring.detection_probability["minor"] == 0.25
    assert cfg.tier("tier3").min_class == "major"


def test_bare_words_are_strings_and_toml_values_are_typed():
    assert parse_assignment("tier1.min_class=major") == ("tier1.min_class", "major")
    assert parse_assignment("tier2.requires_lower_tier=false") == ("tier2.requires_lower_tier", False)
    assert parse_assignment("tier2.window_days = 7.5") == ("tier2.window_days", 7.5)


# The default plan is in today's form: the first form's keys set its tiers' keys, and a
# message names the key set (after --set, the key as given).
BAD_OVERRIDES = [
    ("tier2.treshold=3", "tiers.tier2.treshold: unknown key; did you mean 'threshold'?"),
    ("tier2.threshold=0", "tiers.tier2.threshold = 0: must be >= 1"),
    ("tier2.threshold=2.5", "tiers.tier2.threshold = 2.5: must be a whole number"),
    ("tier2.threshold=100000000000000000000", "tiers.tier2.threshold = 100000000000000000000: must be <= 1000000"),
    ("tier1.rate_factor=\"high\"", "tiers.tier1.rate_factor = 'high': must be a number"),
    ("tier1.military_response_probability=1.5", "tiers.tier1.response_probability = 1.5: must be <= 1"),
    ("monitoring.attribution_probability=-0.1", "monitoring.attribution_probability = -0.1: must be >= 0"),
    ("breaches.baseline_per_day=-1", "breaches.baseline_per_day = -1: must be >= 0"),
    ("tier3.delay_hours=-5", "tiers.tier3.response_delay_hours = -5: must be >= 0"),
    ("breaches.self_excitation=1.0", "breaches.self_excitation = 1.0: must be < 1"),
    ("breaches.self_excitation=1.7", "breaches.self_excitation = 1.7: must be < 1"),
    ("tier1.min_class=huge", "tiers.tier1.min_class = 'huge': no breach class named 'huge'; classes are: minor, major, offensive"),
    ("monitoring.delay_median_hours=nan", "monitoring.delay_median_hours = nan: must be a finite number"),
    ("scenario.horizon_days=inf", "scenario.horizon_days = inf: must be a finite number"),
    ("tier2.requires_lower_tier=1", "tier2.requires_lower_tier = 1: must be true or false"),
    ("tier3.trigger=sometimes", "tiers.tier3.trigger = 'sometimes': must be one of 'report', 'count' or 'severity'"),
    ("tiers.tier2.after=tier3", "tiers.tier2.after = 'tier3': must name an earlier tier; earlier tiers are: tier1"),
    ("tiers.tier1.threshold=3", "tiers.tier1.threshold = 3: not used with trigger = 'report'; remove it"),
    ("tiers.tier2.name=tier1", "tiers = ['tier1', 'tier1', 'tier3']: tier names must be unique; repeated: tier1"),
    ("tiers.tier2.name=breaches", "tiers = ['tier1', 'breaches', 'tier3']: a tier named 'breaches' names a table"),
    ("breaches.classes.major.probability=0.5", "breaches.classes = [0.75, 0.5, 0.03]: class probabilities must sum to 1"),
]


@pytest.mark.parametrize("override,message", BAD_OVERRIDES)
def test_bad_values_are_named_with_key_value_and_rule(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(None, [override])
    text = str(info.value)
    assert message in text
    assert f"--set {override.split('=')[0]}" in text
    assert "<default ceasefire.toml>" in text


def test_problems_in_a_file_name_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(default_config_text().replace("threshold = 3", "threshold = -3"))
    with pytest.raises(ConfigError, match=rf"{path}: tiers.tier2.threshold = -3: must be >= 1"):
        load_config(path)
    first_form = tmp_path / "first-form.toml"  # the first form's messages are as they were
    first_form.write_text((ROOT / "tests" / "data" / "ceasefire-first-form.toml").read_text()
                          .replace("threshold = 3", "threshold = -3"))
    with pytest.raises(ConfigError, match=rf"{first_form}: tier2.threshold = -3: must be >= 1"):
        load_config(first_form)


def test_missing_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: no such file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text("[tier1\nmin_class = 'minor'")
    with pytest.raises(ConfigError, match=r"broken.toml: not valid TOML"):
        load_config(broken)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match=r"binary.toml: cannot be read"):
        load_config(binary)


def test_missing_required_key_and_section(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text(default_config_text().replace('min_class = "major"                # assumption: what counts as a violation here\n', ""))
    with pytest.raises(ConfigError, match="tiers.tier2.min_class: required with trigger = 'count'"):
        load_config(path)


def test_severity_trigger_needs_its_keys():
    with pytest.raises(ConfigError, match="tiers.tier3.severity_threshold: required with trigger = 'severity'"):
        load_config(None, ["tier3.trigger=severity"])
    cfg = load_config(None, ["tier3.trigger=severity", "tier3.severity_threshold=12", "tier3.severity_window_days=3"])
    assert cfg.tier("tier3").trigger == "severity" and cfg.tier("tier3").window_days == 3


def test_malformed_set_assignment():
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(None, ["tier2.threshold"])
    with pytest.raises(ConfigError, match="is a value, not a table"):
        load_config(None, ["tier2.threshold.x=1"])
