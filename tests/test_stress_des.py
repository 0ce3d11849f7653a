"""The report's STRESS-DES section: every checklist item answered for every kind of result,
from what the folder records, and "not recorded" where it records nothing."""

import dataclasses
import html
import json
import re
import shlex

import pytest

from stress import kinds
from stress.config.loading import load_config
from stress.output import stress_des
from stress.output.reports import report_html
from stress.storage.reading import load_result

from conftest import run_cli
from made_results import make_results, make_studies

KINDS = list(kinds.NAMES)
# STRESS-DES version 1.0 (Monks et al. 2018), its sections and items as published.
PUBLISHED = {
    "Objectives": ["1.1 Purpose of the model", "1.2 Model outputs", "1.3 Experimentation aims"],
    "Logic": ["2.1 Base model overview diagram", "2.2 Base model logic", "2.3 Scenario logic", "2.4 Algorithms",
              "2.5.1 Components - entities", "2.5.2 Components - activities", "2.5.3 Components - resources",
              "2.5.4 Components - queues", "2.5.5 Components - entry/exit points"],
    "Data": ["3.1 Data sources", "3.2 Pre-processing", "3.3 Input parameters", "3.4 Assumptions"],
    "Experimentation": ["4.1 Initialisation", "4.2 Run length", "4.3 Estimation approach"],
    "Implementation": ["5.1 Software or programming language", "5.2 Random sampling", "5.3 Model execution",
                       "5.4 System specification"],
    "Code access": ["6.1 Computer model sharing statement"],
    "Verification and validation": ["Verification", "Validation"],
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("results")
    return {**make_results(base), **make_studies(base)}


def section(page: str) -> str:
    return re.search(r'<section id="stress-des">(.*?)</section>', page, flags=re.S).group(1)


def answers(view) -> dict[str, str]:
    """Each item's answer as one text, by its number (V&V by heading)."""
    return {i.number or i.heading: " ".join(i.paragraphs)
            for _, items in stress_des.checklist(view) for i in items}


@pytest.mark.parametrize("kind", KINDS)
def test_the_report_answers_every_item_of_the_checklist(folders, kind):
    view = load_result(folders[kind])
    markup = section(report_html(view))
    sections = re.findall(r"<h3>(.*?)</h3>", markup)
    assert sections == list(PUBLISHED)
    for name, body in zip(sections, re.split(r"<h3>.*?</h3>", markup)[1:]):
        # each item a heading, followed by at least one paragraph of answer
        items = re.findall(r"<h4[^>]*>(.*?)</h4>\s*<p>([^<]+)</p>", body)
        assert [html.unescape(h) for h, _ in items] == PUBLISHED[name], kind
        assert all(p.strip() for _, p in items)


@pytest.mark.parametrize("kind", KINDS)
def test_seed_n_engine_and_versions_are_the_manifests(folders, kind):
    view = load_result(folders[kind])
    m, said = view.manifest, answers(view)
    assert f"Engine: {m['engine']}" in said["5.1"]
    for package, version in m["versions"].items():
        assert f"{package} {version}" in said["5.1"]
    assert m["system"]["platform"] in said["5.1"] and f"{m['system']['cpus']} cores" in said["5.4"]
    expected_seed = {"discover": f"SeedSequence({m['seed']}, spawn_key=", "calibration": f"Seed {m['seed']} seeds"}
    assert expected_seed.get(kind, f"SeedSequence({m['seed']}, spawn_key=(i, k))") in said["5.2"]
    if kind != "calibration":   # a calibration fits; it runs no replications
        assert f"{m['n']:,}" in said["4.3"]
    if kind not in ("calibration", "discover"):   # they run no job on the pipeline
        assert f"chunks of {m['chunk_size']:,}" in said["5.3"] and f"up to {m['workers']} worker" in said["5.3"]
    assert m["git_commit"] is None or m["git_commit"] in said["6.1"]


def test_what_the_folder_does_not_record_is_said_so(folders):
    view = load_result(folders["run"])
    said = answers(view)
    for number in ("1.1", "3.1", "3.4", "4.3", "6.1"):
        assert "not recorded; state it" in said[number], number
    assert f"stress {view.manifest['versions']['stress']}" in said["Verification"]
    assert "not recorded" in said["Validation"]
    # a folder from before the machine was recorded (or with less in its manifest): nothing made up
    missing = ("system", "elapsed_seconds", "chunk_size")
    older = dataclasses.replace(view, manifest={k: v for k, v in view.manifest.items() if k not in missing})
    said = answers(older)
    assert "The hardware: not recorded" in said["5.4"] and "Operating system and version: not recorded" in said["5.1"]
    assert "Run time: not recorded" in said["5.4"] and "chunks whose seeds" in said["5.3"]


def test_a_changed_key_is_an_input_the_report_marks_and_its_command_reproduces(tmp_path):
    out = tmp_path / "changed"
    done = run_cli("run", "-n", "300", "--seed", "5", "--set", "tier2.threshold=4", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    view = load_result(out)
    items = {i.number: i for _, items in stress_des.checklist(view) for i in items}
    rows = items["3.3"].table.frame.set_index("key")
    packaged = load_config(None).tier("tier2")
    assert rows.loc["tiers.tier2.threshold", "value"] == "4"
    assert rows.loc["tiers.tier2.threshold", "packaged plan"] == str(packaged.threshold)
    assert rows.loc["tiers.tier2.window_days", "packaged plan"] == ""   # unchanged: nothing marked
    assert (rows["packaged plan"] != "").sum() == 1
    page = report_html(view)
    assert re.search(r"<td>tiers\.tier2\.threshold</td><td[^>]*>4</td><td[^>]*>" + str(packaged.threshold), page)
    sharing = " ".join(items["6.1"].paragraphs)
    assert "--set tier2.threshold=4" in sharing
    # the command the report gives rebuilds the same numbers from the folder alone
    command = re.search(r"stress run (\S+/config\.toml -n \d+ --seed \d+ --engine \w+)", sharing).group(1)
    again = run_cli("run", *shlex.split(command), "--json", "--no-records", "--out", str(tmp_path / "again"),
                    cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["tiers"] == json.loads((out / "summary.json").read_text())["tiers"]


def test_a_comparison_states_how_each_variant_differs(folders):
    view = load_result(folders["compare"])
    said = answers(view)["2.3"]
    variants = {v.name: v for v in view.variants}
    reference = load_config(None, [*variants["strict"].overrides]).tier("tier2").threshold
    lenient = load_config(None, [*variants["lenient"].overrides]).tier("tier2").threshold
    assert f"tiers.tier2.threshold {reference} -> {lenient}" in said
    # a key of the plan's first form is named as today's key
    assert "tiers.tier3.response_delay_hours" in said


def test_studies_name_their_uncertain_inputs_and_a_calibration_its_data(folders):
    explored = answers(load_result(folders["explore"]))
    for data in load_result(folders["explore"]).data["inputs"]:
        assert data["key"] in explored["3.3"] and data["dist"] in explored["3.3"]
    calibration = load_result(folders["calibration"])
    said = answers(calibration)
    selection = calibration.data["data"]["selection"]
    assert "packaged example" in said["3.1"] and "UCDP" in said["3.1"]
    assert f"{selection['rows_selected']:,} selected" in said["3.1"]
    assert all(value in said["3.2"] for _, values in selection["filters"] for value in values)
