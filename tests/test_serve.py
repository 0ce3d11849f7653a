"""The what-if server through its HTTP interface (Starlette's test client): the page and
its assets, the controls from the schema, answers equal to the library's, tiers added
and removed, bad values with the command line's messages, the caps, stale and slow
runs, result folders and path traversal, saving and running in full."""

from __future__ import annotations

import json
import math
import threading
import time
import tomllib

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient  # noqa: E402

import stress  # noqa: E402
from stress.config import reference  # noqa: E402
from stress.config.loading import load_config, load_scenario  # noqa: E402
from stress.config.schema import Config, Tier  # noqa: E402
from stress.model.plan import MAX_TIERS  # noqa: E402
from stress.serve import values  # noqa: E402
from stress.serve.app import create_app  # noqa: E402
from stress.serve.session import WhatIf  # noqa: E402

from conftest import ROOT, run_cli  # noqa: E402

N = 1000
SEED = 4
BASE = "http://127.0.0.1"
# A question that keeps the machine busy for many seconds if nothing stops it.
SLOW = {"scenario.horizon_days": 730}
SECRET = "not for the page"


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    stress.run(n=500, seed=1, out=folder / "a-run", save_records=False)
    (folder / "damaged").mkdir()
    (folder / "damaged" / "manifest.json").write_text("{ not json")
    # for the path traversal tests: a link to a folder outside, and a hidden folder
    outside = tmp_path_factory.mktemp("outside")
    (outside / "report.html").write_text(SECRET)
    (folder / "outside").symlink_to(outside, target_is_directory=True)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "report.html").write_text(SECRET)
    (folder.parent / "report.html").write_text(SECRET)
    return folder


@pytest.fixture(scope="module")
def session(results_dir):
    whatif = WhatIf(load_scenario(None), results_dir, n=N, seed=SEED)
    whatif.start()
    yield whatif
    whatif.close()


@pytest.fixture(scope="module")
def client(session):
    with TestClient(create_app(session), base_url=BASE) as test_client:
        yield test_client


_seq = iter(range(1, 10**9))


def ask(client, changes=None, *, tiers=None, n=N, seed=SEED, page="tests", seq=None):
    body = {"client": page, "seq": next(_seq) if seq is None else seq, "values": changes or {}, "n": n, "seed": seed}
    if tiers is not None:
        body["tiers"] = tiers
    return client.post("/api/what-if", json=body)


def expected(changes: dict, n: int = N, seed: int = SEED):
    scenario = load_scenario(None)
    variant = scenario.with_values(list(changes.items()))
    return stress.compare([scenario.config, variant], n=n, seed=seed, workers=1), variant


def assert_answer_is_the_comparison(answer: dict, reference: Config, variant: Config) -> None:
    """Every number of ``answer`` is ``stress.compare``'s for the two configs (and the
    variant's as ``stress.run`` gives it); a tier or proportion only one plan has is
    null in the other, with no difference."""
    comparison = stress.compare([reference, variant], n=N, seed=SEED, workers=1)
    ref, var = comparison.summaries
    run = stress.run(variant, n=N, seed=SEED, workers=1).summary
    assert run.tier_rows == var.tier_rows
    differences = comparison.outcome_differences(1).set_index("outcome")
    ref_tiers, var_tiers = ({r["tier"]: r for r in s.tier_rows} for s in (ref, var))
    names = [row["tier"] for row in answer["tiers"]]
    assert names == list(comparison.outcomes[:len(names)])          # the comparison's order of tiers
    assert set(names) == set(ref_tiers) | set(var_tiers)
    for row in answer["tiers"]:
        for side, tiers in (("reference", ref_tiers), ("variant", var_tiers)):
            t = tiers.get(row["tier"])
            assert row[side] == (None if t is None else {
                "p": t["p_reached"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
                "median_hours": t["median_hours_to_reach"], "n_reached": t["n_reached"]}), (row["tier"], side)
        if row["tier"] in ref_tiers and row["tier"] in var_tiers:
            d = differences.loc[row["tier"]]
            assert (row["diff"]["p"], row["diff"]["ci_low"], row["diff"]["ci_high"]) == (d["diff"], d["ci_low"],
                                                                                         d["ci_high"])
        else:
            assert row["diff"] is None
    ref_metrics, var_metrics = ({r["metric"]: r for r in s.metric_rows if r["metric"].startswith("p_")}
                                for s in (ref, var))
    assert {m["metric"] for m in answer["metrics"]} == set(ref_metrics) | set(var_metrics)
    for row in answer["metrics"]:
        for side, metrics in (("reference", ref_metrics), ("variant", var_metrics)):
            m = metrics.get(row["metric"])
            assert row[side] == (None if m is None else {"p": m["estimate"], "ci_low": m["ci_low"],
                                                         "ci_high": m["ci_high"]}), (row["metric"], side)
        both = row["metric"] in ref_metrics and row["metric"] in var_metrics
        assert row["diff"] == ({"p": differences.loc[row["metric"], "diff"],
                                "ci_low": differences.loc[row["metric"], "ci_low"],
                                "ci_high": differences.loc[row["metric"], "ci_high"]} if both else None)
    for side, summary in (("reference", ref), ("variant", var)):
        curves = summary.curves
        assert list(answer["curves"][side]) == list(summary.tier_names)
        for tier in summary.tier_names:
            mine = curves[curves["tier"] == tier]
            assert answer["curves"][side][tier]["p"] == mine["p_reached"].tolist()
            assert answer["curves"][side][tier]["days"] == (mine["hours"] / 24).tolist()
    assert answer["plans"] == {"reference": list(ref.tier_names), "variant": list(var.tier_names)}


def without_tier(config: Config, name: str) -> Config:
    raw = config.model_dump(exclude_none=True)
    return Config.model_validate({**raw, "tiers": [t for t in raw["tiers"] if t["name"] != name]})


FOUR_TIER = ROOT / "configs" / "four-tier.toml"
LOADED = ["tier1", "tier2", "tier3"]
WITH_SANCTIONS = ["tier1", {"name": "sanctions", "trigger": "count"}, "tier2", "tier3"]


def sanctions_changes() -> dict:
    """The values that make the default plan with an added count tier 'sanctions' the
    plan of configs/four-tier.toml (the keys the new tier starts with set as well)."""
    four = load_config(FOUR_TIER)
    changes = {f"tiers.sanctions.{key}": value for key, value in four.tier("sanctions").model_dump().items()
               if key not in ("name", "trigger")}
    changes["tiers.tier2.after"] = "sanctions"
    changes["scenario.name"] = four.scenario.name
    changes["scenario.description"] = four.scenario.description
    return changes


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


# --- the page -----------------------------------------------------------------

def test_page_and_assets_come_from_the_package_and_fetch_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert "http:" not in page.text and "https:" not in page.text and "<script>" not in page.text
    for asset in ("app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and len(response.text) > 1000, asset
        code = response.text.replace("/*! https://github.com/leeoniya/uPlot (v1.6.32) */", "")  # its banner
        assert "http://" not in code and "https://" not in code and "url(" not in code, asset
        assert "eval(" not in code and "new Function" not in code, asset
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


# Tables keyed by breach class, each a control per class.
BY_CLASS = ("detection_probability", "false_report_classes", "believed_detection")


def _schema_keys(prefix: str, model, classes: list[str], listed: dict) -> set[str]:
    """The dotted keys of a table, a nested table's keys under its name; ``listed``: the
    scenario's breach classes as dumped."""
    keys = set()
    for key, field in model.model_fields.items():
        inner = reference.section_model(field.annotation)
        if key == "classes":
            keys |= {f"breaches.classes.{c['name']}.{name}" for c in listed for name in c}
        elif key in BY_CLASS:
            keys |= {f"{prefix}.{key}.{name}" for name in classes}
        elif inner is not None:
            keys |= _schema_keys(f"{prefix}.{key}", inner, classes, listed)
        else:
            keys.add(f"{prefix}.{key}")
    return keys


def _field_and_value(config, key: str):
    """The schema field a control's key names and the scenario's value of it (a table
    the scenario omits: its defaults, which omitting it means)."""
    model, node, parts = type(config), config, key.split(".")
    while parts:
        part = parts.pop(0)
        field = model.model_fields[part]
        listed = part == "classes" or (part == "tiers" and model is Config)
        node = getattr(node, part)
        if listed:   # an item of a list, by its name
            name = parts.pop(0)
            node = next(item for item in node if item.name == name)
            model = type(node)
            continue
        inner = reference.section_model(field.annotation)
        if inner is None:
            return field, (node or {}).get(parts[0]) if parts else node
        model, node = inner, node if node is not None else inner()
    raise AssertionError(key)


def test_every_config_key_has_a_control_from_the_schema_with_the_scenario_value(client):
    info = client.get("/api/scenario").json()
    controls = {c["key"]: c for section in info["sections"] for c in section["controls"]}
    config = load_config(None)
    classes = [c.name for c in config.breaches.classes]
    keys = set()
    for section in Config.model_fields:
        if section == "tiers":   # every field of every tier, by the tier's name
            keys |= {f"tiers.{tier.name}.{field}" for tier in config.tiers for field in Tier.model_fields}
            continue
        model = reference.section_model(Config.model_fields[section].annotation)
        keys |= _schema_keys(section, model, classes, config.model_dump()["breaches"]["classes"])
    assert set(controls) == keys
    assert {"adversary.strategy", "adversary.threshold.margin", "adversary.payoff.objective"} <= keys
    # each with its schema description and the scenario's value
    for key, control in controls.items():
        field, value = _field_and_value(config, key)
        assert control["description"] == field.description, key
        assert control["value"] == value, key
    titles = [s["title"] for s in info["sections"]]
    assert titles[:3] == ["[scenario]", "[breaches]", "[[breaches.classes]] minor"]
    # one section per tier, titled by its name, in the plan's order
    assert titles[-3:] == ["[[tiers]] tier1", "[[tiers]] tier2", "[[tiers]] tier3"]
    assert [s["tier"] for s in info["sections"]][-4:] == [None, "tier1", "tier2", "tier3"]
    assert info["tiers"] == LOADED and info["max_tiers"] == MAX_TIERS
    assert info["triggers"]["count"]["needs"] == ["min_class", "threshold", "window_days"]
    kinds = {key: c["kind"] for key, c in controls.items()}
    probability = controls["tiers.tier2.decision_probability"]
    assert kinds["tiers.tier2.decision_probability"] == "slider" and probability["maximum"] == 1
    assert probability["optional"]          # omitted: decided always, drawing nothing
    assert kinds["tiers.tier2.threshold"] == "integer" and kinds["tiers.tier3.response_delay_hours"] == "number"
    assert kinds["tiers.tier2.repeats"] == "switch" and kinds["scenario.name"] == "text"
    assert kinds["tiers.tier2.name"] == "fixed" and kinds["tiers.tier2.description"] == "text"
    assert controls["tiers.tier3.trigger"]["options"] == ["report", "count", "severity"]
    assert controls["tiers.tier1.min_class"]["options"] == classes and controls["tiers.tier1.min_class"]["optional"]
    # after: an earlier tier of the plan, or omitted
    assert controls["tiers.tier1.after"]["options"] == [] and controls["tiers.tier1.after"]["optional"]
    assert controls["tiers.tier3.after"]["options"] == ["tier1", "tier2"]
    assert controls["tiers.tier2.after"]["value"] == "tier1"
    assert controls["tiers.tier2.window_days"]["optional"] and controls["feedback.half_life_days"]["optional"]
    assert controls["scenario.horizon_days"]["maximum"] == values.MAX_HORIZON_DAYS
    response_delay = controls["tiers.tier3.response_delay_hours"]
    assert response_delay["allowed"] == ">= 0" and response_delay["default"] == "0" and response_delay["value"] == 72
    assert info["n"] == N and info["seed"] == SEED and info["max_n"] == values.MAX_N


# --- answers ------------------------------------------------------------------

def test_an_answer_is_the_paired_comparison_and_its_variant_equals_stress_run(client):
    changes = {"tiers.tier3.response_delay_hours": 24, "tiers.tier2.threshold": 2}
    response = ask(client, changes)
    assert response.status_code == 200, response.text
    answer = response.json()
    _, variant = expected(changes)
    assert answer["n"] == N and answer["seed"] == SEED and answer["changes"] == changes
    assert_answer_is_the_comparison(answer, load_config(None), variant)
    assert [row["tier"] for row in answer["tiers"]] == LOADED
    metrics = {m["metric"]: m for m in answer["metrics"]}
    assert {"p_false_escalation", "p_tier3_stood_down", "p_tier3_objective_first"} <= {m for m in metrics
                                                                                         if metrics[m]["key"]}
    assert metrics["p_tier3_stood_down"]["label"] == "tier3 stood down"
    assert answer["tiers"][2]["diff"]["p"] > 0   # a quicker, lower bar escalates more
    # the first form's keys are aliases here too
    old = ask(client, {"tier3.delay_hours": 24, "tier2.threshold": 2}).json()
    assert old["tiers"] == answer["tiers"]


def test_a_violator_that_reads_the_plan_is_a_change_like_any_other(client):
    changes = {"adversary.strategy": "threshold", "adversary.threshold.margin": 1,
               "adversary.threshold.action": "downgrade"}
    response = ask(client, changes)
    assert response.status_code == 200, response.text
    answer = response.json()
    _, variant = expected(changes)
    assert_answer_is_the_comparison(answer, load_config(None), variant)
    # it keeps major breaches under tier 2's count: tier 2 is reached less often
    assert answer["tiers"][1]["diff"]["p"] < 0


def test_no_change_differs_by_exactly_zero(client):
    answer = ask(client).json()
    for row in answer["tiers"] + answer["metrics"]:
        assert row["diff"]["p"] == 0 and row["reference"] == row["variant"]


def test_an_omitted_key_is_left_out_of_the_scenario(client):
    changes = {"feedback.half_life_days": None, "tiers.tier3.objective_median_hours": None}
    answer = ask(client, changes).json()
    assert answer["changes"] == changes
    objective_first = {m["metric"]: m for m in answer["metrics"]}["p_tier3_objective_first"]
    assert objective_first["variant"]["p"] == 0 and objective_first["reference"]["p"] > 0


# --- tiers added and removed ------------------------------------------------------

def test_adding_a_tier_answers_as_stress_compare_of_the_two_plans(client):
    # the default plan with a sanctions tier added before tier2 and set as in
    # configs/four-tier.toml: exactly the comparison of the three- and four-tier configs
    changes = sanctions_changes()
    response = ask(client, changes, tiers=WITH_SANCTIONS)
    assert response.status_code == 200, response.text
    answer = response.json()
    four = load_config(FOUR_TIER)
    saved = client.post("/api/save", json={"tiers": WITH_SANCTIONS, "values": changes})
    assert tomllib.loads(saved.text) == tomllib.loads(values.config_to_toml(four))   # the very same config
    assert_answer_is_the_comparison(answer, load_config(None), four)
    rows = {row["tier"]: row for row in answer["tiers"]}
    assert list(rows) == ["tier1", "sanctions", "tier2", "tier3"]
    assert rows["sanctions"]["reference"] is None and rows["sanctions"]["diff"] is None
    assert rows["sanctions"]["variant"]["p"] > 0 and rows["tier2"]["diff"]["p"] < 0   # forces come after sanctions
    metrics = {m["metric"]: m for m in answer["metrics"]}
    assert metrics["p_sanctions_on_false_report"]["reference"] is None
    assert metrics["p_sanctions_on_false_report"]["label"] == "sanctions on false report"
    assert list(answer["curves"]["variant"]) == ["tier1", "sanctions", "tier2", "tier3"]
    assert list(answer["curves"]["reference"]) == LOADED


def test_removing_a_tier_answers_as_stress_compare_of_the_two_plans(client):
    response = ask(client, {"tiers.tier3.decision_probability": 0.8}, tiers=["tier1", "tier3"])
    assert response.status_code == 200, response.text
    answer = response.json()
    variant = without_tier(load_config(None, ["tiers.tier3.decision_probability=0.8"]), "tier2")
    assert_answer_is_the_comparison(answer, load_config(None), variant)
    rows = {row["tier"]: row for row in answer["tiers"]}
    assert list(rows) == LOADED
    assert rows["tier2"]["variant"] is None and rows["tier2"]["diff"] is None and rows["tier2"]["reference"]["p"] > 0
    metrics = {m["metric"]: m for m in answer["metrics"]}
    assert metrics["p_tier2_on_false_report"]["variant"] is None
    assert metrics["p_tier2_on_false_report"]["diff"] is None
    assert list(answer["curves"]["variant"]) == ["tier1", "tier3"]


def test_a_tier_added_under_the_name_of_a_removed_one_is_a_new_tier(client):
    tiers = ["tier1", "tier2", {"name": "tier3", "trigger": "count"}]
    answer = ask(client, {"tiers.tier3.min_class": "offensive"}, tiers=tiers).json()
    new = {"name": "tier3", "trigger": "count", "min_class": "offensive", "threshold": 3, "window_days": 14.0}
    raw = load_config(None).model_dump(exclude_none=True)
    variant = Config.model_validate({**raw, "tiers": [*raw["tiers"][:2], new]})
    assert_answer_is_the_comparison(answer, load_config(None), variant)


def test_the_plan_endpoint_gives_the_controls_of_the_new_plans_tiers(client):
    response = client.post("/api/plan", json={"tiers": ["tier1", {"name": "sanctions", "trigger": "severity"},
                                                        "tier3"]})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["tiers"] == [{"name": "tier1", "trigger": "report", "added": False},
                             {"name": "sanctions", "trigger": "severity", "added": True},
                             {"name": "tier3", "trigger": "report", "added": False}]
    assert plan["removed"] == ["tier2"]
    assert [(s["title"], s["tier"], s["added"]) for s in plan["sections"]] == [
        ("[[tiers]] tier1", "tier1", False), ("[[tiers]] sanctions", "sanctions", True),
        ("[[tiers]] tier3", "tier3", False)]
    controls = {c["key"]: c for section in plan["sections"] for c in section["controls"]}
    assert set(controls) == {f"tiers.{t}.{field}" for t in ("tier1", "sanctions", "tier3")
                             for field in Tier.model_fields}
    # an added tier starts with what its trigger needs, the rest at the schema's defaults
    added = Tier.model_validate({"name": "sanctions", "trigger": "severity", "severity_threshold": 30.0,
                                 "window_days": 14.0})
    for field in Tier.model_fields:
        assert controls[f"tiers.sanctions.{field}"]["value"] == getattr(added, field), field
    assert controls["tiers.tier3.after"]["options"] == ["tier1", "sanctions"]
    assert controls["tiers.tier3.decision_probability"]["value"] == 0.9    # a loaded tier: the scenario's values
    info = client.get("/api/scenario").json()
    assert info["triggers"]["severity"]["starts"] == {"severity_threshold": 30.0, "window_days": 14.0}


@pytest.mark.parametrize("tiers, words", [
    (["tier1", {"name": "no fly", "trigger": "report"}],
     "adding tier 'no fly': name = 'no fly': must be an identifier"),
    (["tier1", {"name": "x" * 41, "trigger": "report"}],
     "must be an identifier (letters, digits, underscore; at most 40)"),
    (["tier1", {"name": "scenario", "trigger": "report"}], "names a table of the scenario"),
    (["tier1", {"name": "x", "trigger": "class"}], "trigger = 'class': must be one of 'report', 'count', 'severity'"),
    (["tier1", {"name": "x", "trigger": "report", "after": "tier1"}],
     "each tier is a loaded tier's name or {name, trigger}"),
    (["tier1", {"name": "tier1", "trigger": "report"}], "tier names must be unique; repeated: tier1"),
    (["tier1", "tier4"], "no tier named 'tier4' in the scenario (its tiers are: tier1, tier2, tier3)"),
    (["tier2", "tier1"], "the plans order tiers"),
    ([{"name": "tier3", "trigger": "report"}, "tier1"], "the plans order tiers"),
    ([], "a plan has 1 to 8 tiers, this one 0"),
    (["tier1", "tier2", "tier3", *({"name": f"t{i}", "trigger": "report"} for i in range(6))],
     "a plan has 1 to 8 tiers, this one 9"),
    ("tier1", "must be a list of the plan's tiers in order"),
])
def test_a_plan_that_cannot_be_made_is_refused_at_tiers(client, tiers, words):
    for response in (ask(client, tiers=tiers), client.post("/api/plan", json={"tiers": tiers}),
                     client.post("/api/save", json={"tiers": tiers, "values": {}})):
        assert response.status_code == 400
        problems = response.json()["errors"]
        assert [p["key"] for p in problems] == ["tiers"] and words in problems[0]["message"], problems
        assert problems[0]["message"].startswith("<default ceasefire.toml>, ")


def test_a_bad_value_in_an_added_tier_is_refused_at_its_key_with_the_command_lines_message(client, tmp_path):
    tiers = ["tier1", {"name": "sanctions", "trigger": "count"}, "tier2", "tier3"]
    response = ask(client, {"tiers.sanctions.threshold": 0, "tiers.sanctions.rate_factor": -1}, tiers=tiers)
    assert response.status_code == 400
    problems = {p["key"]: p["message"] for p in response.json()["errors"]}
    # what --set says about the same keys of a file whose plan has that tier
    path = tmp_path / "with-sanctions.toml"
    path.write_text(client.post("/api/save", json={"tiers": tiers, "values": {}}).text)
    done = run_cli("run", str(path), "-n", "10", "--set", "tiers.sanctions.threshold=0",
                   "--set", "tiers.sanctions.rate_factor=-1", timeout=120)
    cli = [line.replace(str(path), "<default ceasefire.toml>")
           for line in done.stderr.strip().removeprefix("error: ").splitlines()]
    assert sorted(problems.values()) == sorted(cli) and len(cli) == 2
    assert problems["tiers.sanctions.threshold"] == ("<default ceasefire.toml>, --set tiers.sanctions.threshold: "
                                                     "tiers.sanctions.threshold = 0: must be >= 1")
    assert "must be >= 0" in problems["tiers.sanctions.rate_factor"]
    # a key its trigger needs, omitted: pinned to that key
    (problem,) = ask(client, {"tiers.sanctions.window_days": None}, tiers=tiers).json()["errors"]
    assert problem == {"key": "tiers.sanctions.window_days",
                       "message": "<default ceasefire.toml>, --set tiers.sanctions.window_days: "
                                  "tiers.sanctions.window_days: required with trigger = 'count'"}


def test_a_removed_tier_that_another_comes_after_is_explained_at_that_key(client):
    response = ask(client, tiers=["tier2", "tier3"])
    assert response.status_code == 400
    (problem,) = response.json()["errors"]
    message = ("<default ceasefire.toml>: tiers.tier2.after = 'tier1': must name an earlier tier; "
               "earlier tiers are: none")
    assert problem == {"key": "tiers.tier2.after", "message": message}
    # omitted there, the plan runs
    assert ask(client, {"tiers.tier2.after": None}, tiers=["tier2", "tier3"]).status_code == 200


def test_save_writes_a_changed_plan_as_tiers_validated(client, tmp_path):
    tiers = ["tier1", {"name": "sanctions", "trigger": "count"}, "tier2"]
    response = client.post("/api/save", json={"tiers": tiers, "values": {"tiers.sanctions.threshold": 5}})
    assert response.status_code == 200, response.text
    text = response.text
    assert "# Tiers: added sanctions (count); removed tier3." in text
    assert "# Changed: tiers.sanctions.threshold = 5." in text
    assert text.count("[[tiers]]") == 3 and "[tier1]" not in text
    path = tmp_path / "saved.toml"
    path.write_text(text)
    saved = load_config(path)
    assert [t.name for t in saved.tiers] == ["tier1", "sanctions", "tier2"]
    assert saved.tier("sanctions") == Tier.model_validate({"name": "sanctions", "trigger": "count", "threshold": 5,
                                                           "min_class": "minor", "window_days": 14.0})
    assert saved.tiers[0] == load_config(None).tiers[0]


def test_a_scenario_in_the_first_form_has_the_same_controls_and_plans(results_dir, tmp_path):
    # a file with [tier1], [tier2], [tier3]: its tiers are tier1 to tier3, keyed as any plan's
    first_form = ROOT / "tests" / "data" / "ceasefire-first-form.toml"
    whatif = WhatIf(load_scenario(first_form), results_dir, n=N, seed=SEED)   # not started: nothing runs here
    try:
        info = whatif.info()
        assert info["tiers"] == LOADED and [s["tier"] for s in info["sections"]][-3:] == LOADED
        tiers = ["tier1", {"name": "sanctions", "trigger": "count"}, "tier2"]
        assert [s["tier"] for s in whatif.plan(tiers)["sections"]] == ["tier1", "sanctions", "tier2"]
        name, text = whatif.save({"tiers.sanctions.threshold": 5, "tiers.tier2.threshold": 4}, tiers)
        assert "# Tiers: added sanctions (count); removed tier3." in text and "[tier1]" not in text
        path = tmp_path / name
        path.write_text(text)
        saved = load_config(path)
        loaded = load_config(first_form, ["tier2.threshold=4"])
        assert saved.tiers[0] == loaded.tiers[0] and saved.tier("tier2") == loaded.tier("tier2")
        assert saved.tier("sanctions").threshold == 5
        assert [t.name for t in saved.tiers] == ["tier1", "sanctions", "tier2"]
        with pytest.raises(values.InputError) as bad:
            whatif.save({"tiers.sanctions.threshold": 0}, tiers)
        message = f"{first_form}, --set tiers.sanctions.threshold: tiers.sanctions.threshold = 0: must be >= 1"
        assert bad.value.problems == [("tiers.sanctions.threshold", message)]
    finally:
        whatif.close()


# --- bad input ------------------------------------------------------------------

def test_bad_values_get_the_command_lines_messages_each_at_its_key(client):
    bad = {"tiers.tier2.threshold": 0, "tiers.tier3.response_delay_hours": "abc",
           "monitoring.detection_probability.minor": 1.5}
    done = run_cli("run", "-n", "10", *(f"--set={key}={value}" for key, value in bad.items()), timeout=120)
    assert done.returncode == 2
    cli_lines = done.stderr.strip().removeprefix("error: ").splitlines()
    response = ask(client, bad)
    assert response.status_code == 400
    problems = response.json()["errors"]
    assert sorted(p["message"] for p in problems) == sorted(cli_lines) and len(cli_lines) == 3
    assert {p["key"] for p in problems} == set(bad)
    by_key = {p["key"]: p["message"] for p in problems}
    assert by_key["tiers.tier2.threshold"] == ("<default ceasefire.toml>, --set tiers.tier2.threshold: "
                                               "tiers.tier2.threshold = 0: must be >= 1")
    # a problem the schema finds once every value has its type: the same message as well
    done = run_cli("run", "-n", "10", "--set", "tiers.tier1.min_class=nope", timeout=120)
    (problem,) = ask(client, {"tiers.tier1.min_class": "nope"}).json()["errors"]
    assert problem == {"key": "tiers.tier1.min_class", "message": done.stderr.strip().removeprefix("error: ")}
    assert "no breach class named 'nope'" in problem["message"]
    # a key of the first form is pinned to that key, with the message --set gives for it
    done = run_cli("run", "-n", "10", "--set", "tier2.threshold=0", timeout=120)
    (problem,) = ask(client, {"tier2.threshold": 0}).json()["errors"]
    assert problem == {"key": "tier2.threshold", "message": done.stderr.strip().removeprefix("error: ")}


@pytest.mark.parametrize("changes, key, words", [
    ({"breaches.classes.minor.probability": 0.5}, "breaches.classes.minor.probability", "must sum to 1"),
    ({"tiers.tier2.thresh": 4}, "tiers.tier2.thresh", "unknown key; did you mean 'threshold'?"),
    ({"tiers.tier2.threshold": None}, "tiers.tier2.threshold", "required with trigger = 'count'"),
    ({"tiers.tier2.threshold": 2.5}, "tiers.tier2.threshold", "must be a whole number"),
    ({"tiers.tier2.repeats": "yes"}, "tiers.tier2.repeats", "must be true or false"),
    ({"tiers.tier2.after": "tier3"}, "tiers.tier2.after", "must name an earlier tier; earlier tiers are: tier1"),
    ({"tiers.tier3.trigger": "count"}, "tiers.tier3.threshold", "required with trigger = 'count'"),
    ({"tiers.tier2.trigger": "report"}, "tiers.tier2.threshold", "not used with trigger = 'report'; remove it"),
    ({"tiers.nope.threshold": 3}, "tiers.nope.threshold", "no item 'nope' in tiers (items: tier1, tier2, tier3)"),
    ({"tiers.nope.threshold": None}, "tiers.nope.threshold", "no item 'nope' in tiers"),
    ({"scenario.horizon_days": 731}, "scenario.horizon_days", "must be <= 730 here"),
    ({"tier2/threshold": 4}, "tier2/threshold", "is not a config key"),
])
def test_a_bad_value_is_pinned_to_its_key(client, changes, key, words):
    response = ask(client, changes)
    assert response.status_code == 400
    (problem,) = response.json()["errors"]
    assert problem["key"] == key and words in problem["message"], problem


@pytest.mark.parametrize("n, seed, key", [(values.MAX_N + 1, 0, "n"), (0, 0, "n"), (1.5, 0, "n"), ("1000", 0, "n"),
                                          (True, 0, "n"), (1000, -1, "seed"), (1000, 2**64, "seed")])
def test_n_is_capped_and_n_and_seed_are_whole_numbers(client, n, seed, key):
    response = ask(client, n=n, seed=seed)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == key
    if key == "n":
        assert f"from 1 to {values.MAX_N:,}" in response.json()["message"]


def test_problems_with_n_and_with_values_are_reported_together(client):
    response = ask(client, {"tiers.tier2.threshold": 0}, n=0)
    assert response.status_code == 400
    assert [p["key"] for p in response.json()["errors"]] == ["n", "tiers.tier2.threshold"]


def test_requests_that_are_not_json_objects_or_too_large_or_for_another_host_are_refused(client):
    body = '{"client": "x", "seq": 1, "values": {"tiers.tier3.response_delay_hours": NaN}}'
    assert client.post("/api/what-if", content=body, headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/api/what-if", content="[]", headers={"content-type": "application/json"}).status_code == 400
    # a simple cross-site form post is not JSON: refused before anything runs
    assert client.post("/api/what-if", content="x=1", headers={"content-type": "text/plain"}).status_code == 415
    huge = json.dumps({"client": "x", "seq": 1, "values": {"scenario.description": "x" * 1_100_000}})
    assert client.post("/api/what-if", content=huge, headers={"content-type": "application/json"}).status_code == 413
    # nested deeper than the parser recurses (it was a RecursionError and a 500), or than a page sends
    for depth in (100_000, 500):
        deep = '{"values": ' + "[" * depth + "]" * depth + "}"
        refused = client.post("/api/what-if", content=deep, headers={"content-type": "application/json"})
        assert refused.status_code == 400 and "nested more than 20 levels" in refused.json()["message"]
    # DNS rebinding: a page elsewhere whose name now points here is not served
    assert client.get("/api/scenario", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/scenario", headers={"host": "localhost:8765"}).status_code == 200


def test_a_results_folder_that_is_a_file_is_refused_before_serving(tmp_path):
    from stress.errors import UserError
    from stress.serve import serve
    (tmp_path / "afile.txt").write_text("mine")
    # it was accepted, and "Run in full" failed with a 500
    def went_on(message: str) -> None:
        raise AssertionError(f"the server went on: {message}")
    with pytest.raises(UserError, match="--results .*afile.txt: a file, not a folder"):
        serve(results=tmp_path / "afile.txt", port=0, announce=went_on, note=went_on)


# --- stale and slow answers ------------------------------------------------------

def test_a_newer_question_stops_the_older_run_and_the_older_answer_is_never_given(client, session):
    # how long this machine takes now for a fiftieth of the slow question (its runs are
    # cut into tasks of a tenth of it: a stop takes effect after the current task)
    began = time.monotonic()
    assert ask(client, SLOW, n=values.MAX_N // 50).status_code == 200
    fiftieth = time.monotonic() - began
    slow = {}

    def ask_slowly():
        began = time.monotonic()
        slow["response"] = ask(client, SLOW, n=values.MAX_N, page="tab", seq=1)
        slow["ended"] = time.monotonic()
        slow["seconds"] = slow["ended"] - began

    thread = threading.Thread(target=ask_slowly)
    thread.start()
    wait_until(lambda: session.answers.running is not None, 60)
    asked = time.monotonic()
    newer = ask(client, {"tiers.tier3.response_delay_hours": 48}, page="tab", seq=2)
    thread.join(120)
    assert slow["response"].status_code == 409 and slow["response"].json()["stale"] is True
    # stopped, not finished: left alone it would run about 50 times as long as the fiftieth
    assert slow["ended"] - asked < 25 * fiftieth
    assert newer.status_code == 200, newer.text
    comparison, _ = expected({"tiers.tier3.response_delay_hours": 48})
    assert newer.json()["seq"] == 2
    assert [t["variant"]["p"] for t in newer.json()["tiers"]] == [r["p_reached"] for r in
                                                                  comparison.summaries[1].tier_rows]
    # an answer to a question older than one already asked is refused at once
    assert ask(client, page="tab", seq=1).status_code == 409
    assert ask(client, page="tab", seq=2).status_code == 409
    # other pages are not affected
    assert ask(client, page="other-tab", seq=1).status_code == 200


def test_a_newer_question_that_is_invalid_still_stops_the_older_run(client, session):
    slow = {}
    thread = threading.Thread(target=lambda: slow.update(r=ask(client, SLOW, n=values.MAX_N, page="tab2", seq=1)))
    thread.start()
    wait_until(lambda: session.answers.running is not None, 60)
    assert ask(client, {"tiers.tier2.threshold": 0}, page="tab2", seq=2).status_code == 400
    thread.join(120)
    assert slow["r"].status_code == 409


def test_a_run_past_its_deadline_is_stopped_and_the_server_answers_again_until_it_stops(results_dir):
    whatif = WhatIf(load_scenario(None), results_dir, n=N, seed=SEED, timeout=60.0)   # not started: it will be
    try:
        with TestClient(create_app(whatif), base_url=BASE) as client:
            # a question expected to need hours of CPU is refused before it runs, in the page's words
            # (the deadline counts the process's start too: generous here, on a loaded machine)
            began = time.monotonic()
            refused = ask(client, {"breaches.baseline_per_day": 2000.0, **SLOW}, n=values.MAX_N)
            assert refused.status_code == 400 and "hours of CPU" in refused.json()["message"]
            assert "fewer replications" in refused.json()["message"] and "--budget" not in refused.json()["message"]
            assert time.monotonic() - began < 10
            # a runaway scenario within the budget: one task of it runs for many seconds, so the process is killed
            whatif.timeout = 1.0
            began = time.monotonic()
            response = ask(client, {"breaches.baseline_per_day": 100.0, **SLOW}, n=values.MAX_N)
            assert response.status_code == 504 and "took longer than 1 s" in response.json()["message"]
            assert time.monotonic() - began < 10
            assert whatif.answers.running is None
            # the next question is answered (by a fresh process), with the right numbers
            whatif.timeout = 60.0
            answer = ask(client, {"tiers.tier3.response_delay_hours": 48})
            assert answer.status_code == 200, answer.text
            comparison, _ = expected({"tiers.tier3.response_delay_hours": 48})
            assert answer.json()["tiers"][2]["variant"]["p"] == comparison.summaries[1].tier_rows[2]["p_reached"]
            # stopping the server ends a question in flight at once
            slow = {}
            thread = threading.Thread(target=lambda: slow.update(r=ask(client, SLOW, n=values.MAX_N)))
            thread.start()
            wait_until(lambda: whatif.answers.running is not None, 60)
            began = time.monotonic()
            whatif.close()
            thread.join(30)
            assert slow["r"].status_code == 503 and time.monotonic() - began < 5
            assert ask(client).status_code == 503
    finally:
        whatif.close()


# --- result folders ------------------------------------------------------------

def test_the_results_view_lists_the_folders_as_stress_results_does(client, results_dir):
    listed = client.get("/api/results").json()
    entries = {e.id: e for e in stress.results(results_dir)}
    assert {row["id"] for row in listed} == set(entries)
    rows = {row["id"]: row for row in listed}
    assert rows["a-run"]["status"] == "complete" and rows["a-run"]["headline"] == entries["a-run"].headline
    assert rows["a-run"]["report"] == "results/a-run/report.html"
    assert rows["damaged"]["status"] == "damaged" and rows["damaged"]["report"] is None


def test_a_report_is_written_when_missing_and_served_self_contained(client, results_dir):
    response = client.get("/results/a-run/report.html")
    assert response.status_code == 200 and response.text.startswith("<!DOCTYPE html>")
    assert (results_dir / "a-run" / "report.html").read_text() == response.text
    assert "script-src" not in response.headers["content-security-policy"]
    damaged = client.get("/results/damaged/report.html")
    assert damaged.status_code == 400 and "manifest.json" in damaged.json()["message"]


@pytest.mark.parametrize("path", [
    "/results/..%2F..%2Fetc%2Fpasswd/report.html",
    "/results/%2e%2e/report.html",
    "/results/../report.html",
    "/results/..%5Ca-run/report.html",
    "/results/.hidden/report.html",
    "/results/a-run%00/report.html",
    "/results/a-run/../../pyproject.toml",
    "/results/a-run/manifest.json",
    "/results/outside/report.html",
    "/results/no-such-folder/report.html",
])
def test_nothing_outside_the_results_folder_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and SECRET not in response.text


# --- save and run in full ----------------------------------------------------------

def test_save_downloads_the_changed_scenario_validated(client, tmp_path):
    changes = {"tiers.tier3.response_delay_hours": 36, "tiers.tier2.threshold": 4, "feedback.half_life_days": None}
    response = client.post("/api/save", json={"values": changes})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="ceasefire-what-if.toml"'
    text = response.text
    assert ("Changed: feedback.half_life_days = omitted, tiers.tier2.threshold = 4, "
            "tiers.tier3.response_delay_hours = 36.") in text
    assert "# Tiers:" not in text      # the plan as loaded
    path = tmp_path / "saved.toml"
    path.write_text(text)
    saved = load_config(path)
    assert saved == load_scenario(None).with_values([("tiers.tier3.response_delay_hours", 36),
                                                     ("tiers.tier2.threshold", 4)]) \
        .model_copy(update={"feedback": saved.feedback})
    assert saved.feedback.half_life_days is None and saved.tier("tier3").response_delay_hours == 36
    assert "[[tiers]]" in text and "[tier1]" not in text
    bad = client.post("/api/save", json={"values": {"tiers.tier2.threshold": 0}})
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "tiers.tier2.threshold"
    tomllib.loads(text)


def test_run_in_full_writes_a_normal_result_folder_with_its_report(client, results_dir):
    changes = {"tiers.tier2.threshold": 4}
    response = client.post("/api/run", json={"values": changes, "n": 1200, "seed": 2})
    assert response.status_code == 200, response.text
    done = response.json()
    folder = results_dir / done["id"]
    assert done["report"] == f"results/{done['id']}/report.html" and (folder / "report.html").is_file()
    view = stress.load_result(folder)
    expected_run = stress.run(load_config(None, ["tiers.tier2.threshold=4"]), n=1200, seed=2, workers=1).summary
    assert view.summary.tier_rows == expected_run.tier_rows and view.manifest["n"] == 1200
    assert Config.model_validate(tomllib.loads((folder / "config.toml").read_text())).tier("tier2").threshold == 4
    assert client.get("/" + done["report"]).status_code == 200
    assert done["id"] in {row["id"] for row in client.get("/api/results").json()}
    over = client.post("/api/run", json={"values": {}, "n": values.MAX_FULL_N + 1, "seed": 0})
    assert over.status_code == 400 and over.json()["errors"][0]["key"] == "n"


def test_numbers_in_an_answer_are_json_numbers_or_null(client):
    answer = ask(client, {"tiers.tier3.trigger": "severity", "tiers.tier3.severity_threshold": 1e9,
                          "tiers.tier3.window_days": 1.0, "tiers.tier3.min_class": None}).json()
    tier3 = answer["tiers"][2]
    assert tier3["variant"]["p"] == 0 and tier3["variant"]["median_hours"] is None
    for curve in answer["curves"]["variant"].values():
        assert all(v is None or math.isfinite(v) for v in curve["p"])
