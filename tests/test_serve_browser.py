"""The what-if page as a person uses it: `stress serve` from a fresh install of the wheel,
in headless Chromium (Debian's package, driven by Playwright), checked against
`stress.run` and `stress.compare` for the same config, N and seed, with tiers added and
removed."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import stress  # noqa: E402
from stress.config.loading import load_config  # noqa: E402
from stress.config.schema import Config  # noqa: E402

from test_readme import wheel_of_this_tree  # noqa: E402

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000          # generous: a loaded two-core machine
SEED = 0
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)")


def _address(process: subprocess.Popen, seconds: float) -> str:
    """The address the server prints once it is ready."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=seconds)
            match = re.search(r"(http://\S+/)", line)
            if match:
                return match.group(1)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"stress serve printed no address: {process.stderr.read()}") from None


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`python -m stress serve --port 0` from a wheel of this tree installed into an empty
    folder, run from another empty folder, with the default N (chosen for this machine)."""
    base = tmp_path_factory.mktemp("fresh")
    site, cwd = base / "site", base / "empty"
    cwd.mkdir()
    wheel = wheel_of_this_tree(tmp_path_factory)   # built once a session: test_readme installs it too
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    results = cwd / "results"
    stress.run(n=500, seed=1, out=results / "earlier-run", save_records=False)
    process = subprocess.Popen([sys.executable, "-m", "stress", "serve", "--port", "0"], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(site)})
    try:
        yield _address(process, 300), results, site, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served, tmp_path):
    """A fresh page on the server, which records every request and every problem."""
    url = served[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.problems, tab.requests = [], []
    tab.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    # a refused question (400) or a superseded one (409) is logged by Chromium as a failed load: expected
    tab.on("console", lambda message: tab.problems.append(message.text) if message.type == "error"
           and not re.search(r"status of (400|409)", message.text) else None)
    context.on("request", lambda request: tab.requests.append(request.url))
    tab.goto(url)
    sync_api.expect(tab.locator("#answer")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    yield tab
    context.close()


def answered(page, seq: int | None = None) -> None:
    """Wait for the answer to the latest question (or to question ``seq``) to be on screen."""
    answer = page.locator("#answer")
    latest = seq if seq is not None else int(answer.get_attribute("data-latest"))
    sync_api.expect(answer).to_have_attribute("data-seq", str(latest), timeout=WAIT_MS)
    sync_api.expect(answer).to_have_attribute("data-state", "ready", timeout=WAIT_MS)


def shown(page, selector: str) -> tuple[float, float, float]:
    cell = page.locator(selector)
    return tuple(float(cell.get_attribute(f"data-{name}")) for name in ("p", "ci-low", "ci-high"))


def rows(page, selector: str, attribute: str) -> list[str]:
    found = page.locator(selector)
    return [found.nth(i).get_attribute(attribute) for i in range(found.count())]


def with_tiers(config: Config, names: list[str], new: dict | None = None) -> Config:
    """``config`` with the tiers ``names`` in order, ``new`` (a tier's table) among them."""
    tables = {t["name"]: t for t in config.model_dump(exclude_none=True)["tiers"]}
    if new is not None:
        tables[new["name"]] = new
    return Config.model_validate({**config.model_dump(exclude_none=True), "tiers": [tables[n] for n in names]})


def blue_pixels(page, path) -> int:
    page.screenshot(path=str(path))
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=float)
    assert pixels.std() > 10, "the page is blank"
    return int((np.abs(pixels - [21, 101, 192]).max(axis=2) < 40).sum())   # the what-if curves


def settings(page) -> tuple[int, int]:
    return int(page.locator('[data-key="n"] input').input_value()), int(page.locator('[data-key="seed"] input')
                                                                        .input_value())


def test_must_show_a_fresh_install_serves_the_page_at_127_0_0_1(served):
    url, _, site, process = served
    assert url.startswith("http://127.0.0.1:")
    for path in ("", "static/app.js", "static/app.css", "static/uPlot.iife.min.js", "static/uPlot.min.css"):
        with urllib.request.urlopen(url + path, timeout=30) as response:
            assert response.status == 200 and len(response.read()) > 1000, path
    with urllib.request.urlopen(url + "api/scenario", timeout=30) as response:
        info = json.load(response)
    assert info["n"] >= 1000 and info["source"] == "<default ceasefire.toml>"
    # the installed copy serves its own assets
    assert (site / "stress" / "serve" / "static" / "uPlot.iife.min.js").is_file()
    assert process.poll() is None


def test_must_show_changed_controls_give_the_numbers_stress_run_gives(page, tmp_path):
    n, seed = settings(page)
    page.locator('[data-key="tiers.tier3.response_delay_hours"] input').fill("36")
    page.locator('[data-key="tiers.tier2.threshold"] input').fill("2")
    answered(page)
    assert page.locator('[data-key="tiers.tier3.response_delay_hours"]').get_attribute("class").split() == [
        "control", "kind-number", "changed"]
    loaded = stress.run(load_config(None), n=n, seed=seed, workers=1).summary
    what_if = stress.run(load_config(None, ["tiers.tier3.response_delay_hours=36", "tiers.tier2.threshold=2"]), n=n,
                         seed=seed, workers=1).summary
    for ref, var in zip(loaded.tier_rows, what_if.tier_rows):
        row = f'#tiers tr[data-tier="{var["tier"]}"]'
        assert shown(page, f"{row} td.variant") == (var["p_reached"], var["ci_low"], var["ci_high"])
        assert shown(page, f"{row} td.reference") == (ref["p_reached"], ref["ci_low"], ref["ci_high"])
        digits = 2 if 100 * (var["ci_high"] - var["ci_low"]) < 0.5 else 1     # as the page rounds
        assert page.locator(f"{row} td.variant .estimate").inner_text() == f"{100 * var['p_reached']:.{digits}f}%"
    metrics = {r["metric"]: r for r in what_if.metric_rows}
    for name in ("p_false_escalation", "p_tier3_stood_down", "p_tier3_objective_first"):
        m = metrics[name]
        assert shown(page, f'#metrics tr[data-metric="{name}"] td.variant') == (m["estimate"], m["ci_low"],
                                                                               m["ci_high"])
    # the paired difference: the what-if minus the loaded scenario, replication by replication
    p_diff = shown(page, '#tiers tr[data-tier="tier2"] td.diff')
    assert p_diff[0] == pytest.approx(what_if.tier_rows[1]["p_reached"] - loaded.tier_rows[1]["p_reached"], abs=1e-12)
    assert p_diff[1] < p_diff[0] < p_diff[2]

    assert blue_pixels(page, tmp_path / "page.png") > 500, "no curves on screen"
    assert page.locator("#curves canvas").count() == 3
    assert rows(page, "#curves figure", "data-tier") == ["tier1", "tier2", "tier3"]
    assert not page.problems
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    assert all(url.startswith(origin) or url.startswith(("blob:", "data:")) for url in page.requests)


def test_only_the_answer_to_the_latest_change_is_shown(page):
    n, seed = settings(page)
    box = page.locator('[data-key="tiers.tier3.response_delay_hours"] input')
    for hours in range(24, 124, 10):          # ten questions, faster than they are answered
        box.fill(str(hours))
    answered(page)
    assert page.locator("#answer").get_attribute("data-latest") == str(1 + 10)
    expected = stress.run(load_config(None, ["tiers.tier3.response_delay_hours=114"]), n=n, seed=seed,
                          workers=1).summary
    assert shown(page, '#tiers tr[data-tier="tier3"] td.variant')[0] == expected.tier_rows[2]["p_reached"]
    assert "changed: tiers.tier3.response_delay_hours" in page.locator("#status").inner_text()
    assert not page.problems


def test_a_bad_value_is_explained_next_to_its_control_and_reset_restores_it(page):
    before = shown(page, '#tiers tr[data-tier="tier2"] td.variant')
    page.locator('[data-key="tiers.tier2.threshold"] input').fill("0")
    answer = page.locator("#answer")
    sync_api.expect(answer).to_have_attribute("data-state", "error", timeout=WAIT_MS)
    message = page.locator('[data-key="tiers.tier2.threshold"] .error')
    sync_api.expect(message).to_have_text(
        "<default ceasefire.toml>, --set tiers.tier2.threshold: tiers.tier2.threshold = 0: must be >= 1")
    assert shown(page, '#tiers tr[data-tier="tier2"] td.variant') == before     # the last good answer stays, dimmed
    page.locator('[data-key="tiers.tier2.threshold"] button.reset').click()
    answered(page)
    assert page.locator('[data-key="tiers.tier2.threshold"] input').input_value() == "3"
    assert message.is_hidden()
    assert shown(page, '#tiers tr[data-tier="tier2"] td.variant') == before
    assert not page.problems


def test_sliders_selects_and_switches_ask_too(page):
    n, seed = settings(page)
    page.locator('[data-key="tiers.tier2.decision_probability"] input[type=range]').press("ArrowRight")
    page.locator('[data-key="tiers.tier3.response_from"] select').select_option("report")
    page.locator('[data-key="tiers.tier1.repeats"] input[type=checkbox]').uncheck()
    page.locator('[data-key="tiers.tier2.after"] select').select_option("")       # omitted
    answered(page)
    assert page.locator('[data-key="tiers.tier2.decision_probability"] input[type=number]').input_value() == "0.51"
    assert ("changed: tiers.tier2.decision_probability, tiers.tier3.response_from, tiers.tier1.repeats, "
            "tiers.tier2.after") in page.locator("#status").inner_text()
    config = load_config(None, ["tiers.tier2.decision_probability=0.51", "tiers.tier3.response_from=report",
                                "tiers.tier1.repeats=false"])
    raw = config.model_dump(exclude_none=True)
    del raw["tiers"][1]["after"]
    expected = stress.run(Config.model_validate(raw), n=n, seed=seed, workers=1).summary
    assert shown(page, '#tiers tr[data-tier="tier2"] td.variant')[0] == expected.tier_rows[1]["p_reached"]
    assert not page.problems


def test_adding_and_removing_tiers_changes_the_charts_and_tables(page, tmp_path):
    n, seed = settings(page)
    loaded = load_config(None)
    sanctions = {"name": "sanctions", "trigger": "count", "min_class": "minor", "threshold": 3, "window_days": 14.0}

    def check(config: Config, names: list[str]) -> None:
        """The tables and charts show the tiers ``names`` with stress.compare's numbers."""
        comparison = stress.compare([loaded, config], n=n, seed=seed, workers=1)
        ref, var = ({r["tier"]: r for r in s.tier_rows} for s in comparison.summaries)
        differences = comparison.outcome_differences(1).set_index("outcome")
        assert rows(page, "#tiers tbody tr", "data-tier") == names
        assert rows(page, "#curves figure", "data-tier") == names
        assert page.locator("#curves canvas").count() == len(names)
        for tier in names:
            row = f'#tiers tr[data-tier="{tier}"]'
            for side, found in (("reference", ref), ("variant", var)):
                if tier in found:
                    t = found[tier]
                    assert shown(page, f"{row} td.{side}") == (t["p_reached"], t["ci_low"], t["ci_high"])
                else:   # a plan without the tier: '-', and no difference
                    assert page.locator(f"{row} td.{side}").inner_text() == "-"
                    assert page.locator(f"{row} td.diff").inner_text() == "-"
            if tier in ref and tier in var:
                d = differences.loc[tier]
                assert shown(page, f"{row} td.diff") == (d["diff"], d["ci_low"], d["ci_high"])
            title = page.locator(f'#curves figure[data-tier="{tier}"] .u-title').inner_text()
            assert title == tier + ("" if tier in ref and tier in var else
                                    " (what if only)" if tier in var else " (loaded only)")

    # add a count tier before tier2: a fourth row, a fourth chart
    page.locator("#add-tier-name").fill("sanctions")
    page.locator("#add-tier-trigger").select_option("count")
    page.locator("#add-tier-position").select_option("tier2")
    page.locator("#add-tier").click()
    sync_api.expect(page.locator('fieldset[data-tier="sanctions"]')).to_be_visible(timeout=WAIT_MS)
    answered(page)
    four = ["tier1", "sanctions", "tier2", "tier3"]
    check(with_tiers(loaded, four, sanctions), four)
    order = page.locator("#plan-order").inner_text()
    assert order == "In order of escalation: tier1 → sanctions → tier2 → tier3."
    assert "tiers: added sanctions (count)" in page.locator("#status").inner_text()
    # its controls start with what a count trigger needs, and ask like any other
    assert page.locator('[data-key="tiers.sanctions.threshold"] input').input_value() == "3"
    page.locator('[data-key="tiers.sanctions.threshold"] input').fill("4")
    answered(page)
    check(with_tiers(loaded, four, {**sanctions, "threshold": 4}), four)
    # a bad value there is explained at its control
    page.locator('[data-key="tiers.sanctions.window_days"] input').fill("0")
    sync_api.expect(page.locator("#answer")).to_have_attribute("data-state", "error", timeout=WAIT_MS)
    sync_api.expect(page.locator('[data-key="tiers.sanctions.window_days"] .error')).to_have_text(
        "<default ceasefire.toml>, --set tiers.sanctions.window_days: tiers.sanctions.window_days = 0: must be > 0.0")
    page.locator('[data-key="tiers.sanctions.window_days"] button.reset').click()
    answered(page)
    assert blue_pixels(page, tmp_path / "added.png") > 500, "no curves on screen"

    # remove tier3: its row and chart stay, for the loaded scenario only
    page.locator('button[aria-label="remove tier tier3"]').click()
    sync_api.expect(page.locator('fieldset[data-tier="tier3"]')).to_have_count(0, timeout=WAIT_MS)
    answered(page)
    plan = ["tier1", "sanctions", "tier2"]
    check(with_tiers(loaded, plan, {**sanctions, "threshold": 4}), four)
    metric = '#metrics tr[data-metric="p_tier3_stood_down"]'
    assert page.locator(f"{metric} td.variant").inner_text() == "-"
    assert page.locator(f"{metric} td.diff").inner_text() == "-"
    assert "removed tier3" in page.locator("#status").inner_text()
    with page.expect_download() as download:
        page.locator("#save").click()
    assert load_config(download.value.path()) == with_tiers(loaded, plan, {**sanctions, "threshold": 4})
    assert "# Tiers: added sanctions (count); removed tier3." in download.value.path().read_text()

    # remove the added tier and restore tier3: the loaded plan, three charts, no difference
    page.locator('button[aria-label="remove tier sanctions"]').click()
    sync_api.expect(page.locator('fieldset[data-tier="sanctions"]')).to_have_count(0, timeout=WAIT_MS)
    page.locator('button[aria-label="restore tier tier3"]').click()
    sync_api.expect(page.locator('fieldset[data-tier="tier3"]')).to_have_count(1, timeout=WAIT_MS)
    answered(page)
    check(loaded, ["tier1", "tier2", "tier3"])
    assert "nothing changed yet" in page.locator("#status").inner_text()
    assert page.locator('[data-key="tiers.sanctions.threshold"]').count() == 0
    assert not page.problems


def test_save_run_in_full_and_the_results_view(page, served):
    _, results, _, _ = served
    page.locator('[data-key="tiers.tier3.response_delay_hours"] input').fill("48")
    answered(page)
    with page.expect_download() as download:
        page.locator("#save").click()
    saved = download.value
    assert saved.suggested_filename == "ceasefire-what-if.toml"
    assert load_config(saved.path()).tier("tier3").response_delay_hours == 48

    page.locator("#full-n").fill("1000")
    page.locator("#run-full").click()
    link = page.locator("#full-report")
    sync_api.expect(link).to_be_visible(timeout=WAIT_MS * 2)
    (folder,) = [p for p in results.iterdir() if p.name != "earlier-run"]
    view = stress.load_result(folder)
    assert view.summary.n == 1000 and "response_delay_hours = 48" in (folder / "config.toml").read_text()

    page.locator("#tab-results").click()
    rows = page.locator("#results tbody tr")
    sync_api.expect(rows).to_have_count(2, timeout=WAIT_MS)
    assert {rows.nth(i).get_attribute("data-id") for i in range(2)} == {"earlier-run", folder.name}
    with page.context.expect_page() as opened:
        page.locator('#results tr[data-id="earlier-run"] a').click()
    report = opened.value
    report.wait_for_load_state()
    assert "run of 500 replications" in report.title()
    assert report.locator("#headline").count() == 1
    assert not page.problems


def test_the_real_server_refuses_paths_outside_the_results_folder(served):
    url = urlsplit(served[0])
    for path in ("/results/../../../../etc/passwd", "/results/..%2F..%2Fetc%2Fpasswd/report.html",
                 "/results/%2e%2e/report.html", "/static/../../pyproject.toml", "/results/earlier-run/config.toml"):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        connection.request("GET", path)   # sent as written, not normalised
        response = connection.getresponse()
        body = response.read()
        assert response.status == 404 and b"root:" not in body and b"[scenario]" not in body, path
        connection.close()
