"""Plots of every kind of result: real PNG and SVG files, labelled in the user's units."""

import dataclasses
import json
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


# --- layouts at 2 to 12 inputs or variants -----------------------------------------------

UNCERTAIN = ["tier2.decision_probability=uniform(0.2, 0.9)", "tier3.delay_hours=triangular(24, 72, 168)",
             "monitoring.false_reports_per_day=loguniform(0.002, 0.05)", "breaches.baseline_per_day=uniform(0.05, 0.3)",
             "breaches.self_excitation=uniform(0.1, 0.7)", "tier3.stand_down_per_day=uniform(0, 0.5)",
             "tier1.rate_factor=uniform(0.9, 1.05)", "tier2.rate_factor=uniform(0.3, 1.0)",
             "tier3.rate_factor=uniform(0.1, 0.8)", "tier2.threshold=integer(2, 5)", "tier2.window_days=uniform(7, 30)",
             "tier1.military_response_probability=uniform(0.3, 0.9)"]
VARIANTS = [f"variant_{i}: tier2.threshold={2 + i % 4}, tier3.delay_hours={24 + 12 * i}" for i in range(12)]
OUTCOMES = {"minimize": ["tier3_p", "p_false_escalation"], "maximize": ["p_tier3_stood_down"]}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """Results of every kind whose plots grow with their inputs or variants, at 2 and at 12."""
    base = tmp_path_factory.mktemp("layouts")
    made = {}
    for k in (2, 12):
        made[f"compare{k}"] = stress.compare(variants=VARIANTS[:k], n=200, out=base / f"compare{k}").path
        explored = stress.explore(uncertain=UNCERTAIN[:k], samples=30, n=100, out=base / f"explore{k}").path
        made[f"explore{k}"] = explored
        made[f"discover{k}"] = stress.discover(explored, "tier3_p > 0.4", out=base / f"discover{k}").path
        for method, samples in (("sobol", 8), ("morris", 4)):
            made[f"{method}{k}"] = stress.sensitivity(uncertain=UNCERTAIN[:k], method=method, base_samples=samples,
                                                      n=100, out=base / f"{method}{k}").path
        made[f"robust{k}"] = stress.robust(variants=VARIANTS[:k], uncertain=UNCERTAIN[:3], samples=12, n=100,
                                           satisfice="tier3_p < 0.5", out=base / f"robust{k}", **OUTCOMES).path
    return made


def _drawn_texts(figure) -> list:
    """(text, its box in pixels) of every label drawn: titles, axis and tick labels,
    annotations (without their arrows) and legends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    items = []
    for ax in figure.axes:
        items += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        for axis in (ax.xaxis, ax.yaxis):  # the ticks in view (others exist, not drawn)
            items += [label for tick in axis._update_ticks() for label in (tick.label1, tick.label2)]
        if ax.get_legend() is not None:
            items += ax.get_legend().get_texts()
    items += [t for t in (figure._suptitle, figure._supxlabel, figure._supylabel) if t is not None]
    items += [t for legend in figure.legends for t in legend.get_texts()] + list(figure.texts)
    unique = {id(t): t for t in items if t.get_visible() and t.get_text().strip()}
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in unique.values()]


def layout_problems(figure) -> list[str]:
    """Labels cut off at the figure's edge or overlapping one another."""
    texts, whole = _drawn_texts(figure), figure.bbox
    problems = [f"cut off: {text!r}" for text, box in texts
                if box.x0 < whole.x0 - 1 or box.x1 > whole.x1 + 1 or box.y0 < whole.y0 - 1 or box.y1 > whole.y1 + 1]
    for i, (text, box) in enumerate(texts):
        for other, second in texts[i + 1:]:
            if min(box.x1, second.x1) - max(box.x0, second.x0) > 1 and \
                    min(box.y1, second.y1) - max(box.y0, second.y0) > 1:
                problems.append(f"overlap: {text!r} and {other!r}")
    return problems


@pytest.mark.parametrize("name", [f"{kind}{k}" for kind in ("compare", "explore", "discover", "sobol", "morris",
                                                             "robust") for k in (2, 12)])
def test_plots_stay_readable_from_2_to_12_inputs_or_variants(layouts, name):
    # the Sobol' panel titles overlapped and the last was cut off, Morris' axis labels
    # overlapped, robust's values overlapped and its regret figure was 42 inches wide
    from stress.storage.reading import load_result
    for plot, figure in figures(load_result(layouts[name])).items():
        width, height = figure.get_size_inches()
        assert width <= 16 and height <= 16, (plot, width, height)
        assert layout_problems(figure) == [], plot


def test_no_legend_covers_the_run_curves_or_a_sweeps_lines(folders):
    from stress.storage.reading import load_result
    for kind in ("run", "sweep"):
        (figure,) = figures(load_result(folders[kind])).values()
        assert layout_problems(figure) == []  # (and draws it, which places the legends)
        legends = [legend.get_window_extent() for legend in figure.legends]
        legends += [ax.get_legend().get_window_extent() for ax in figure.axes if ax.get_legend() is not None]
        assert legends and not any(legend.overlaps(ax.bbox) for legend in legends for ax in figure.axes), kind


def test_a_name_with_dollar_signs_is_plotted_as_written(tmp_path):
    # "$...$" in a scenario's name was read as mathtext: a ParseSyntaxException, or italics
    name = r"a $\frac{$ b"
    folder = stress.run(n=100, overrides=[f"scenario.name={json.dumps(name)}"], out=tmp_path / "r").path
    (png, svg) = stress.plot(folder, out=tmp_path / "plots")
    assert any(text.startswith(f"{name}: probability") for text in svg_texts(svg))
