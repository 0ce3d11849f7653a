"""The what-if server through its HTTP interface (Starlette's test client): the page and
its assets, the controls from the schema, answers equal to the library's, bad values
with the command line's messages, the caps, stale and slow runs, result folders and
path traversal, saving and running in full."""

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
from stress.config.loading import load_config, load_scenario  # noqa: E402
from stress.config.schema import Config  # noqa: E402
from stress.serve import values  # noqa: E402
from stress.serve.app import create_app  # noqa: E402
from stress.serve.session import WhatIf  # noqa: E402

from conftest import run_cli  # noqa: E402

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


def ask(client, changes=None, *, n=N, seed=SEED, page="tests", seq=None):
    body = {"client": page, "seq": next(_seq) if seq is None else seq, "values": changes or {}, "n": n, "seed": seed}
    return client.post("/api/what-if", json=body)


def expected(changes: dict, n: int = N, seed: int = SEED):
    scenario = load_scenario(None)
    variant = scenario.with_values(list(changes.items()))
    return stress.compare([scenario.config, variant], n=n, seed=seed, workers=1), variant


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


def test_every_config_key_has_a_control_from_the_schema_with_the_scenario_value(client):
    info = client.get("/api/scenario").json()
    controls = {c["key"]: c for section in info["sections"] for c in section["controls"]}
    config = load_config(None)
    classes = [c.name for c in config.breaches.classes]
    keys = set()
    for section, body in config.model_dump().items():
        for key, value in body.items():
            if key == "classes":
                keys |= {f"breaches.classes.{c['name']}.{field}" for c in value for field in c}
            elif key in ("detection_probability", "false_report_classes"):
                keys |= {f"{section}.{key}.{name}" for name in classes}
            else:
                keys.add(f"{section}.{key}")
    assert set(controls) == keys
    # each with its schema description and the scenario's value
    for key, control in controls.items():
        section, field, *rest = key.split(".")
        if section == "breaches" and field == "classes":
            model, value = type(config.breaches.classes[0]), config.breaches.classes[classes.index(rest[0])]
            field = rest[1]
            value = getattr(value, field)
        else:
            model = type(getattr(config, section))
            value = getattr(getattr(config, section), field)
            if rest:
                value = (value or {}).get(rest[0])
        assert control["description"] == model.model_fields[field].description
        assert control["value"] == value, key
    assert [s["title"] for s in info["sections"]][:3] == ["[scenario]", "[breaches]", "[[breaches.classes]] minor"]
    kinds = {key: c["kind"] for key, c in controls.items()}
    assert kinds["tier2.decision_probability"] == "slider" and controls["tier2.decision_probability"]["maximum"] == 1
    assert kinds["tier2.threshold"] == "integer" and kinds["tier3.delay_hours"] == "number"
    assert kinds["tier2.requires_lower_tier"] == "switch" and kinds["scenario.name"] == "text"
    assert controls["tier3.trigger"]["options"] == ["class", "severity"]
    assert controls["tier1.min_class"]["options"] == classes and not controls["tier1.min_class"]["optional"]
    assert controls["tier3.min_class"]["optional"] and controls["feedback.half_life_days"]["optional"]
    assert controls["scenario.horizon_days"]["maximum"] == values.MAX_HORIZON_DAYS
    assert controls["tier3.delay_hours"]["allowed"] == ">= 0" and controls["tier3.delay_hours"]["default"] == "72"
    assert info["n"] == N and info["seed"] == SEED and info["max_n"] == values.MAX_N


# --- answers ------------------------------------------------------------------

def test_an_answer_is_the_paired_comparison_and_its_variant_equals_stress_run(client):
    changes = {"tier3.delay_hours": 24, "tier2.threshold": 2}
    response = ask(client, changes)
    assert response.status_code == 200, response.text
    answer = response.json()
    comparison, variant = expected(changes)
    run = stress.run(variant, n=N, seed=SEED, workers=1).summary
    assert answer["n"] == N and answer["seed"] == SEED and answer["changes"] == changes
    for row, ref, var, mine in zip(answer["tiers"], comparison.summaries[0].tier_rows, run.tier_rows,
                                   comparison.summaries[1].tier_rows):
        assert row["variant"] == {"p": var["p_reached"], "ci_low": var["ci_low"], "ci_high": var["ci_high"],
                                  "median_hours": var["median_hours_to_reach"], "n_reached": var["n_reached"]}
        assert row["reference"]["p"] == ref["p_reached"] and row["reference"]["ci_high"] == ref["ci_high"]
        assert mine == var
    differences = comparison.outcome_differences(1).set_index("outcome")
    for row in answer["tiers"]:
        d = differences.loc[f"tier{row['tier']}"]
        assert (row["diff"]["p"], row["diff"]["ci_low"], row["diff"]["ci_high"]) == (d["diff"], d["ci_low"],
                                                                                     d["ci_high"])
    metrics = {m["metric"]: m for m in answer["metrics"]}
    assert {"p_false_escalation", "p_tier3_stood_down", "p_tier3_objective_first"} <= {m for m in metrics
                                                                                         if metrics[m]["key"]}
    estimate = {r["metric"]: r for r in run.metric_rows}
    for name, row in metrics.items():
        assert row["variant"] == {"p": estimate[name]["estimate"], "ci_low": estimate[name]["ci_low"],
                                  "ci_high": estimate[name]["ci_high"]}
        assert row["diff"]["p"] == differences.loc[name, "diff"]
    curve = run.curves
    tier3 = curve[curve["tier"] == 3]
    assert answer["curves"]["variant"]["3"]["p"] == tier3["p_reached"].tolist()
    assert answer["curves"]["variant"]["3"]["days"] == (tier3["hours"] / 24).tolist()
    assert answer["tiers"][2]["diff"]["p"] > 0   # a quicker, lower bar escalates more


def test_no_change_differs_by_exactly_zero(client):
    answer = ask(client).json()
    for row in answer["tiers"] + answer["metrics"]:
        assert row["diff"]["p"] == 0 and row["reference"] == row["variant"]


def test_an_omitted_key_is_left_out_of_the_scenario(client):
    answer = ask(client, {"feedback.half_life_days": None, "tier3.objective_median_hours": None}).json()
    assert answer["changes"] == {"feedback.half_life_days": None, "tier3.objective_median_hours": None}
    objective_first = {m["metric"]: m for m in answer["metrics"]}["p_tier3_objective_first"]
    assert objective_first["variant"]["p"] == 0 and objective_first["reference"]["p"] > 0


# --- bad input ------------------------------------------------------------------

def test_bad_values_get_the_command_lines_messages_each_at_its_key(client):
    bad = {"tier2.threshold": 0, "tier3.delay_hours": "abc", "monitoring.detection_probability.minor": 1.5}
    done = run_cli("run", "-n", "10", *(f"--set={key}={value}" for key, value in bad.items()), timeout=120)
    assert done.returncode == 2
    cli_lines = done.stderr.strip().removeprefix("error: ").splitlines()
    response = ask(client, bad)
    assert response.status_code == 400
    problems = response.json()["errors"]
    assert sorted(p["message"] for p in problems) == sorted(cli_lines) and len(cli_lines) == 3
    assert {p["key"] for p in problems} == set(bad)
    by_key = {p["key"]: p["message"] for p in problems}
    assert by_key["tier2.threshold"] == "<default ceasefire.toml>, --set tier2.threshold: tier2.threshold = 0: must be >= 1"
    # a problem the schema finds once every value has its type: the same message as well
    done = run_cli("run", "-n", "10", "--set", "tier1.min_class=nope", timeout=120)
    (problem,) = ask(client, {"tier1.min_class": "nope"}).json()["errors"]
    assert problem == {"key": "tier1.min_class", "message": done.stderr.strip().removeprefix("error: ")}
    assert "no breach class named 'nope'" in problem["message"]


@pytest.mark.parametrize("changes, key, words", [
    ({"breaches.classes.minor.probability": 0.5}, "breaches.classes.minor.probability", "must sum to 1"),
    ({"tier2.thresh": 4}, "tier2.thresh", "unknown key; did you mean 'threshold'?"),
    ({"tier2.threshold": None}, "tier2.threshold", "required key is missing"),
    ({"tier2.threshold": 2.5}, "tier2.threshold", "must be a whole number"),
    ({"tier2.requires_lower_tier": "yes"}, "tier2.requires_lower_tier", "must be true or false"),
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
    response = ask(client, {"tier2.threshold": 0}, n=0)
    assert response.status_code == 400
    assert [p["key"] for p in response.json()["errors"]] == ["n", "tier2.threshold"]


def test_requests_that_are_not_json_objects_or_too_large_or_for_another_host_are_refused(client):
    body = '{"client": "x", "seq": 1, "values": {"tier3.delay_hours": NaN}}'
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
    newer = ask(client, {"tier3.delay_hours": 48}, page="tab", seq=2)
    thread.join(120)
    assert slow["response"].status_code == 409 and slow["response"].json()["stale"] is True
    # stopped, not finished: left alone it would run about 50 times as long as the fiftieth
    assert slow["ended"] - asked < 25 * fiftieth
    assert newer.status_code == 200, newer.text
    comparison, _ = expected({"tier3.delay_hours": 48})
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
    assert ask(client, {"tier2.threshold": 0}, page="tab2", seq=2).status_code == 400
    thread.join(120)
    assert slow["r"].status_code == 409


def test_a_run_past_its_deadline_is_stopped_and_the_server_answers_again_until_it_stops(results_dir):
    whatif = WhatIf(load_scenario(None), results_dir, n=N, seed=SEED, timeout=1.0)   # not started: it will be
    try:
        with TestClient(create_app(whatif), base_url=BASE) as client:
            # a question expected to need hours of CPU is refused before it runs, in the page's words
            began = time.monotonic()
            refused = ask(client, {"breaches.baseline_per_day": 2000.0, **SLOW}, n=values.MAX_N)
            assert refused.status_code == 400 and "hours of CPU" in refused.json()["message"]
            assert "fewer replications" in refused.json()["message"] and "--budget" not in refused.json()["message"]
            assert time.monotonic() - began < 10
            # a runaway scenario within the budget: one task of it runs for many seconds, so the process is killed
            began = time.monotonic()
            response = ask(client, {"breaches.baseline_per_day": 100.0, **SLOW}, n=values.MAX_N)
            assert response.status_code == 504 and "took longer than 1 s" in response.json()["message"]
            assert time.monotonic() - began < 10
            assert whatif.answers.running is None
            # the next question is answered (by a fresh process), with the right numbers
            whatif.timeout = 60.0
            answer = ask(client, {"tier3.delay_hours": 48})
            assert answer.status_code == 200, answer.text
            comparison, _ = expected({"tier3.delay_hours": 48})
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
    changes = {"tier3.delay_hours": 36, "tier2.threshold": 4, "feedback.half_life_days": None}
    response = client.post("/api/save", json={"values": changes})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="ceasefire-what-if.toml"'
    text = response.text
    assert "Changed: feedback.half_life_days = omitted, tier2.threshold = 4, tier3.delay_hours = 36." in text
    path = tmp_path / "saved.toml"
    path.write_text(text)
    saved = load_config(path)
    assert saved == load_scenario(None).with_values([("tier3.delay_hours", 36), ("tier2.threshold", 4)]) \
        .model_copy(update={"feedback": saved.feedback})
    assert saved.feedback.half_life_days is None and saved.tier3.delay_hours == 36
    bad = client.post("/api/save", json={"values": {"tier2.threshold": 0}})
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "tier2.threshold"
    tomllib.loads(text)


def test_run_in_full_writes_a_normal_result_folder_with_its_report(client, results_dir):
    changes = {"tier2.threshold": 4}
    response = client.post("/api/run", json={"values": changes, "n": 1200, "seed": 2})
    assert response.status_code == 200, response.text
    done = response.json()
    folder = results_dir / done["id"]
    assert done["report"] == f"results/{done['id']}/report.html" and (folder / "report.html").is_file()
    view = stress.load_result(folder)
    expected_run = stress.run(load_config(None, ["tier2.threshold=4"]), n=1200, seed=2, workers=1).summary
    assert view.summary.tier_rows == expected_run.tier_rows and view.manifest["n"] == 1200
    assert Config.model_validate(tomllib.loads((folder / "config.toml").read_text())).tier2.threshold == 4
    assert client.get("/" + done["report"]).status_code == 200
    assert done["id"] in {row["id"] for row in client.get("/api/results").json()}
    over = client.post("/api/run", json={"values": {}, "n": values.MAX_FULL_N + 1, "seed": 0})
    assert over.status_code == 400 and over.json()["errors"][0]["key"] == "n"


def test_numbers_in_an_answer_are_json_numbers_or_null(client):
    answer = ask(client, {"tier3.trigger": "severity", "tier3.severity_threshold": 1e9,
                          "tier3.severity_window_days": 1.0, "tier3.min_class": None}).json()
    tier3 = answer["tiers"][2]
    assert tier3["variant"]["p"] == 0 and tier3["variant"]["median_hours"] is None
    for curve in answer["curves"]["variant"].values():
        assert all(v is None or math.isfinite(v) for v in curve["p"])
