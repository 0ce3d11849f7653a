"""The HTML report: self-contained, and rendered by a real browser (headless Chromium)."""

import html
import re
import shutil
import subprocess
import uuid

import numpy as np
import pytest
from PIL import Image

import stress
from stress.storage.reading import load_result
from stress.output.reports import report_html

from conftest import run_cli
from made_results import N, SCENARIO, SEED, csv_table, make_results, summary_json

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package (.ci/run installs it)")
# Marks, once the page has loaded, how wide each image decoded to (0: it did not).
PROBE = ("<script>addEventListener('load', () => { for (const img of document.images) "
         "img.dataset.decoded = img.naturalWidth; });</script>")
IMAGE_SOURCE = re.compile(r'src="data:image/png;base64,[^"]*"')


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("results"))


def chromium(tmp_path, page, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on a fresh profile, with nothing that reaches the network."""
    profile = tmp_path / f"profile-{uuid.uuid4().hex}"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--window-size=1200,2000", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)


def render(tmp_path, page, probe: bool = False) -> tuple[np.ndarray, str]:
    """The screenshot of a page, and with ``probe`` its DOM once loaded, images marked."""
    if probe:
        probed = page.with_name(f"{page.stem}-probe.html")
        probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
        page = probed
    png = tmp_path / f"{page.stem}.png"
    done = chromium(tmp_path, page, f"--screenshot={png}", *(["--dump-dom"] if probe else []))
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    return np.asarray(Image.open(png).convert("RGB"), dtype=float), done.stdout


def colourful(pixels: np.ndarray) -> int:
    """Pixels of clear colour: the page itself is grey on white, only the plots have colour."""
    return int(((pixels.max(axis=2) - pixels.min(axis=2)) > 60).sum())


def table_cells(markup: str, element_id: str) -> list[list[str]]:
    table = re.search(rf'<table id="{element_id}">(.*?)</table>', markup, flags=re.S).group(1)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)]


def markdown_cells(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split(" | ")] for i, row in enumerate(rows) if i != 1]


@pytest.mark.parametrize("kind", ["run", "sweep", "sweep2", "compare"])
def test_report_is_self_contained(folders, kind):
    page = report_html(load_result(folders[kind]))
    assert "<script" not in page and "<link" not in page and "url(" not in page and "@import" not in page
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in page and "https://" not in page
    assert '<table id="headline">' in page and "[scenario]" in page and f'"id": "{kind}"' in page
    # the headline table holds the text export's cells
    assert table_cells(page, "headline") == markdown_cells(stress.export(folders[kind], "markdown"))


def test_plain_reading_states_the_headline_numbers(folders):
    run = report_html(load_result(folders["run"]))
    tier2 = summary_json(folders["run"])["tiers"][1]
    assert (f"In {N:,} simulated runs of 180 days (seed {SEED}), escalation reached tier tier1" in run)
    assert f"tier tier2 in {100 * tier2['p_reached']:.1f}% ({100 * tier2['ci_low']:.1f}% to " \
           f"{100 * tier2['ci_high']:.1f}%)" in run
    sweep = report_html(load_result(folders["sweep"]))
    table = csv_table(folders["sweep"] / "table.csv").set_index("tier2.threshold")
    assert f"{100 * table.loc[2, 'tier2_p']:.1f}% (tier2.threshold = 2)" in sweep
    assert f"{100 * table.loc[5, 'tier2_p']:.1f}% (tier2.threshold = 5)" in sweep
    compare = report_html(load_result(folders["compare"]))
    diff = csv_table(folders["compare"] / "comparison.csv").query("variant == 'lenient' and tier == 'tier2'").iloc[0]
    assert ("Compared with strict, lenient changes the probability of reaching tier tier1 by" in compare
            and f"tier tier2 by {100 * diff['diff']:+.1f} percentage points" in compare)


@needs_chromium
def test_must_show_a_sweep_report_renders_in_chromium_with_its_plots_visible(folders, tmp_path):
    done = run_cli("report", str(folders["sweep"]), "--out", str(tmp_path / "sweep.html"), timeout=120)
    assert done.returncode == 0, done.stderr
    page = tmp_path / "sweep.html"
    assert done.stdout.strip() == str(page)

    pixels, _ = render(tmp_path, page)
    assert pixels.shape == (2000, 1200, 3)
    assert pixels.std() > 10, "the page is blank"
    assert colourful(pixels) > 3_000, "the plot is not on screen"
    # The same page without its images has (almost) no colour: the colour above is the plot.
    bare = tmp_path / "bare.html"
    bare.write_text(IMAGE_SOURCE.sub('src=""', page.read_text()))
    assert colourful(render(tmp_path, bare)[0]) < 100

    _, dom = render(tmp_path, page, probe=True)
    widths = re.findall(r'<img id="plot-[^"]*"[^>]*data-decoded="(\d+)"', dom)
    assert widths and all(int(w) > 500 for w in widths), "every plot decoded"
    rows = table_cells(dom, "headline")
    assert rows == markdown_cells(stress.export(folders["sweep"], "markdown"))
    assert rows[0][:2] == ["tier2.threshold", "n"] and len(rows) == 4
    assert SCENARIO in dom


@needs_chromium
@pytest.mark.parametrize("kind", ["run", "sweep2", "compare"])
def test_every_kind_of_report_renders_with_its_plots(folders, tmp_path, kind):
    page = stress.report(folders[kind], out=tmp_path / f"{kind}.html")
    pixels, dom = render(tmp_path, page, probe=True)
    assert pixels.std() > 10 and colourful(pixels) > 1_000
    widths = re.findall(r'data-decoded="(\d+)"', dom)
    assert widths and all(int(w) > 500 for w in widths)
    assert table_cells(dom, "headline") == markdown_cells(stress.export(folders[kind], "markdown"))


def test_report_goes_into_the_folder_by_default(folders):
    path = stress.report(folders["compare"])
    assert path == folders["compare"] / "report.html" and path.read_text().startswith("<!DOCTYPE html>")
