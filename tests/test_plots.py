"""Plots of every kind of result: real PNG and SVG files, labelled in the user's units."""

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import stress
from stress.output.plots import axis_label, figures

from conftest import run_cli
from made_results import SCENARIO, csv_table, make_results

# kind -> (file name, texts the SVG must hold: axis labels in the user's units, the title's scenario)
EXPECTED = {
    "run": ("curves", ["days since the start", "probability of reaching at least the tier by then",
                       f"{SCENARIO}: probability of having reached each tier over time", "tier3"]),
    "sweep": ("sweep", ["tier2.threshold", "probability of reaching at least the tier",
                        f"{SCENARIO}: probability of reaching each tier against tier2.threshold"]),
    "sweep2": ("heatmaps", ["tier3.delay_hours (hours)", "tier2.threshold", "tier2",
                            f"{SCENARIO}: probability of reaching each tier over tier2.threshold and tier3.delay_hours"]),
    "compare": ("forest", ["difference in probability of reaching at least the tier (variant - strict; 95% interval)",
                           "quick_response, tier3", f"{SCENARIO}: paired differences against 'strict'"]),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("results"))


def svg_texts(path) -> list[str]:
    """The text of every <text> element (matplotlib writes one per label, line by line)."""
    texts = []
    for element in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text"):
        texts.append("".join(element.itertext()).strip())
    return texts


def png_pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_plot_writes_png_and_svg_with_labels_in_the_users_units(folders, tmp_path, kind):
    name, texts = EXPECTED[kind]
    written = stress.plot(folders[kind], out=tmp_path)
    assert written == [tmp_path / f"{name}.png", tmp_path / f"{name}.svg"]
    pixels = png_pixels(written[0])
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    colourful = (pixels.max(axis=2) - pixels.min(axis=2)) > 80  # the tiers' colours, not grey axes and text
    assert colourful.sum() > 500 and pixels.std() > 20
    found = "\n".join(svg_texts(written[1]))
    for text in texts:
        assert text in found, text


def test_heatmap_cells_show_the_sweep_table(folders, tmp_path):
    (_, svg) = stress.plot(folders["sweep2"], out=tmp_path)
    texts = svg_texts(svg)
    for value in csv_table(folders["sweep2"] / "table.csv")["tier2_p"]:
        assert f"{value:.2f}" in texts


def test_cli_plot_writes_into_the_folder_and_prints_the_paths(folders):
    done = run_cli("plot", str(folders["compare"]), timeout=120)
    assert done.returncode == 0, done.stderr
    paths = done.stdout.split()
    assert paths == [str(folders["compare"] / "plots" / f"forest.{fmt}") for fmt in ("png", "svg")]
    assert all((folders["compare"] / "plots" / f"forest.{fmt}").stat().st_size > 5000 for fmt in ("png", "svg"))


def test_a_sweep_over_three_parameters_is_not_plotted_but_explained(folders):
    view = stress.load_result(folders["sweep2"])
    wider = dataclasses.replace(view, points=[p | {"tier3.stand_down_per_day": 0.1} for p in view.points])
    with pytest.raises(ValueError, match="plots show sweeps over one or two parameters; this one varies 3"):
        figures(wider)


def test_axis_labels_carry_the_unit_of_the_key():
    assert axis_label("tier3.delay_hours") == "tier3.delay_hours (hours)"
    assert axis_label("tier2.window_days") == "tier2.window_days (days)"
    assert axis_label("breaches.baseline_per_day") == "breaches.baseline_per_day (per day)"
    assert axis_label("tier2.threshold") == "tier2.threshold"
