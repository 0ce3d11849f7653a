"""Result folders written before plans became data (format 1, by the commit before it:
tests/data/format1, made with stress at f59435b) stay readable: shown, exported,
plotted and reported, their numbered tiers read as the first form's tier1..tier3."""

from __future__ import annotations

import shutil

import pytest

import stress
from stress.output import render
from stress.storage.reading import load_result

from conftest import ROOT

OLD = ROOT / "tests" / "data" / "format1"


@pytest.mark.parametrize("kind", ["run", "sweep", "compare", "explore"])
def test_an_old_result_folder_is_read_shown_exported_and_reported(kind, tmp_path):
    folder = tmp_path / kind
    shutil.copytree(OLD / kind, folder)
    view = load_result(folder)
    assert view.kind == kind
    text = stress.export(folder, "markdown")
    assert "tier3" in text
    from rich.console import Console
    console = Console(record=True, width=160)
    render.stored_result(console, view)
    assert "tier2" in console.export_text()
    report = stress.report(folder)
    assert report.exists() and "tier3" in report.read_text()


def test_an_old_runs_tiers_are_named_as_the_first_form_names_them():
    view = load_result(OLD / "run")
    assert view.summary.tier_names == ("tier1", "tier2", "tier3")
    assert list(dict.fromkeys(view.summary.curves["tier"])) == ["tier1", "tier2", "tier3"]
    assert "p_backstop_joined" in set(view.summary.metrics["metric"])  # its own names, as written
