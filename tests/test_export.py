"""Exported tables open in the tools that read them and hold the folder's numbers."""

import html
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

import stress
from stress.output.tables import decimals_for, interval_text

from conftest import run_cli
from made_results import N, SCENARIO, SEED, csv_table, make_results, summary_json

KINDS = ["run", "sweep", "compare"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("results"))


def expected_frame(kind: str, folder) -> pd.DataFrame:
    """What a data export of the folder holds, read from the folder's own files."""
    if kind == "sweep":
        return csv_table(folder / "table.csv")
    if kind == "compare":
        return csv_table(folder / "comparison.csv")
    summary = summary_json(folder)
    rows = [{"metric": f"{t['tier']}_p", "estimate": t["p_reached"], "ci_low": t["ci_low"],
             "ci_high": t["ci_high"], "n": summary["n"]} for t in summary["tiers"]]
    for t in summary["tiers"]:  # time to reach a tier: over the replications that reached it, no interval
        for q in ("median", "p10", "p90"):
            rows.append({"metric": f"{t['tier']}_{q}_hours", "estimate": t[f"{q}_hours_to_reach"],
                         "ci_low": math.nan, "ci_high": math.nan, "n": t["n_reached"]})
    rows += [{"metric": name, **values} for name, values in summary["metrics"].items()]
    return pd.DataFrame(rows).astype({"estimate": float, "ci_low": float, "ci_high": float})


READERS = {
    "csv": pd.read_csv,
    "parquet": pd.read_parquet,
    "xlsx": lambda path: pd.read_excel(path, sheet_name="table"),
    "json": lambda path: pd.DataFrame(json.loads(path.read_text())["rows"]),
}


@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("kind", KINDS)
def test_data_formats_read_back_to_the_same_numbers(folders, tmp_path, kind, fmt):
    out = stress.export(folders[kind], fmt, out=tmp_path / f"table.{fmt}")
    assert out == tmp_path / f"table.{fmt}"
    got = READERS[fmt](out)
    expected = expected_frame(kind, folders[kind])
    if fmt == "json":  # JSON has no infinity; the export writes null
        expected = expected.replace([np.inf, -np.inf], np.nan)
    # exact, but openpyxl writes 16 significant digits, as Excel does: the last bit may differ
    exact = {"check_exact": True} if fmt != "xlsx" else {"check_exact": False, "rtol": 1e-15, "atol": 0}
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, **exact)


def test_json_and_xlsx_carry_the_caption(folders, tmp_path):
    data = json.loads(stress.export(folders["sweep"], "json"))
    assert data["kind"] == "sweep" and data["scenario"] == SCENARIO and data["seed"] == SEED
    assert f"N = {N:,} replications per point, seed {SEED}" in data["caption"]
    about = pd.read_excel(stress.export(folders["compare"], "xlsx", out=tmp_path / "c.xlsx"), sheet_name="about")
    assert SCENARIO in about.set_index("field").loc["caption", "value"]


# Text tables: "estimate [low, high]" cells, checked against the folder's numbers.

INTERVAL = re.compile(r"([-+]?\d+(?:\.\d+)?) \[([-+]?\d+(?:\.\d+)?), ([-+]?\d+(?:\.\d+)?)\]")


def _source(kind: str, expected: pd.DataFrame, row: int, cells: list[str], column: str) -> tuple[float, ...]:
    """(estimate, low, high) behind the cell of ``column`` ('tier2_p', 'diff', 'estimate') in a row."""
    if kind == "run":
        r = expected.set_index("metric").loc[cells[0]]
        return r["estimate"], r["ci_low"], r["ci_high"]
    r = expected.iloc[row]
    if kind == "compare":
        return r["diff"], r["ci_low"], r["ci_high"]
    if re.fullmatch(r"tier\d_p", column):
        return r[column], r[column.replace("_p", "_ci_low")], r[column.replace("_p", "_ci_high")]
    return r[column], r[f"{column}_ci_low"], r[f"{column}_ci_high"]


def check_text_table(kind: str, folder, headers: list[str], rows: list[list[str]]) -> int:
    """Every interval cell shows the folder's numbers, rounded to one decimal past the
    first significant digit of the interval's width. Returns how many were checked."""
    expected = expected_frame(kind, folder)
    assert len(rows) == len(expected) or kind == "run"
    checked = 0
    for i, cells in enumerate(rows):
        assert len(cells) == len(headers)
        for header, cell in zip(headers, cells):
            if not header.endswith(" [95% CI]"):
                continue
            estimate, low, high = _source(kind, expected, i, cells, header.removesuffix(" [95% CI]"))
            match = INTERVAL.fullmatch(cell)
            if math.isnan(low):
                assert match is None and float(cell) == pytest.approx(estimate, rel=1e-3)
                continue
            assert match, cell
            shown = match.groups()
            decimals = len(shown[0].partition(".")[2])
            assert decimals == max(0, 1 - math.floor(math.log10(high - low))), (cell, low, high)
            for text, value in zip(shown, (estimate, low, high)):
                assert abs(float(text) - value) <= 0.5 * 10 ** -decimals + 1e-12, (cell, value)
            checked += 1
    return checked


def latex_table(text: str) -> tuple[str, str, list[str], list[list[str]]]:
    """(caption, column spec, headers, rows) of a complete booktabs table environment."""
    lines = [line.strip() for line in text.strip().splitlines() if not line.startswith("%")]
    assert lines[0].startswith(r"\begin{table}") and lines[-1] == r"\end{table}"
    order = [r"\begin{tabular}", r"\toprule", r"\midrule", r"\bottomrule", r"\end{tabular}"]
    at = [next(i for i, line in enumerate(lines) if line.startswith(mark)) for mark in order]
    assert at == sorted(at), "booktabs rules in order inside the tabular"
    caption = re.search(r"\\caption\{(.*)\}", text).group(1)
    spec = re.fullmatch(r"\\begin\{tabular\}\{([lr]+)\}", lines[at[0]]).group(1)

    def cells(line: str) -> list[str]:
        assert line.endswith(r"\\")
        plain = line.removesuffix(r"\\").replace("$-$", "-").replace(r"\textless{}", "<")
        return [c.strip().replace(r"\_", "_").replace(r"\%", "%") for c in plain.split(" & ")]

    (header,) = lines[at[1] + 1: at[2]]
    rows = [cells(line) for line in lines[at[2] + 1: at[3]]]
    assert all(len(r) == len(spec) for r in rows)
    return caption, spec, cells(header), rows


def markdown_table(text: str) -> tuple[str, list[str], list[list[str]]]:
    """(HTML, headers, rows) of Markdown rendered as CommonMark with tables."""
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert rendered.count("<table>") == 1
    rows = [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", rendered, flags=re.S)]
    return rendered, rows[0], rows[1:]


@pytest.mark.parametrize("kind", KINDS)
def test_latex_is_a_complete_booktabs_table_with_the_same_numbers(folders, kind):
    text = stress.export(folders[kind], "latex", metrics=["all"])
    caption, spec, headers, rows = latex_table(text)
    assert SCENARIO in caption and f"N = {N:,}" in caption and f"seed {SEED}" in caption
    assert len(spec) == len(headers)
    assert check_text_table(kind, folders[kind], headers, rows) >= 3
    if kind == "compare":
        assert r"quick\_response" in text and "quick_response" not in text  # escaped
        assert spec.startswith("lllr")  # names (variant, reference, tier) left, numbers right


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_renders_as_a_table_with_the_same_numbers(folders, kind):
    text = stress.export(folders[kind], "markdown")  # headline statistics by default
    rendered, headers, rows = markdown_table(text)
    assert f"<em>{SCENARIO}:" in rendered
    assert check_text_table(kind, folders[kind], headers, rows) >= 3


def test_text_formats_show_the_headline_and_metrics_choose(folders):
    _, headers, rows = markdown_table(stress.export(folders["sweep"], "markdown"))
    assert headers == ["tier2.threshold", "n", "tier1_p [95% CI]", "tier2_p [95% CI]", "tier3_p [95% CI]"]
    _, headers, rows = markdown_table(stress.export(folders["run"], "markdown", metrics=["tier3_p", "mean_breaches"]))
    assert [r[0] for r in rows] == ["tier3_p", "mean_breaches"]
    _, _, headers, _ = latex_table(stress.export(folders["compare"], "latex", metrics=["diff", "p_value"]))
    assert headers == ["variant", "reference", "tier", "diff [95% CI]", "p_value"]
    frame = pd.read_csv(stress.export(folders["sweep"], "csv", out=folders["sweep"].parent / "chosen.csv",
                                      metrics=["tier3_p", "mean_breaches"]))
    assert list(frame.columns) == ["tier2.threshold", "n", "tier3_p", "tier3_ci_low", "tier3_ci_high",
                                   "mean_breaches", "mean_breaches_ci_low", "mean_breaches_ci_high"]


def test_unknown_metrics_are_named_with_the_allowed_ones(folders):
    with pytest.raises(ValueError, match=r"unknown metric\(s\) 'p_win'; a comparison has: p_reference, p_variant"):
        stress.export(folders["compare"], "csv", metrics=["diff", "p_win"])


def test_rounding_rule():
    assert decimals_for(0.398, 0.426) == 3
    assert decimals_for(34.62, 35.42) == 2
    assert decimals_for(0.9981, 1.0) == 4
    assert decimals_for(1780, 1830) == 0
    assert interval_text(0.412, 0.398, 0.426) == "0.412 [0.398, 0.426]"
    assert interval_text(-0.1435, -0.1594, -0.1274, signed=True) == "-0.143 [-0.159, -0.127]"
    assert interval_text(0.0045, 0.000008, 0.009, signed=True) == "+0.0045 [+0.0000, +0.0090]"
    assert interval_text(float("nan"), 0.1, 0.2) == "-"


def test_cli_markdown_to_stdout_and_files_by_suffix(folders, tmp_path):
    done = run_cli("export", str(folders["sweep"]), "--format", "markdown", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    _, headers, rows = markdown_table(done.stdout)
    assert check_text_table("sweep", folders["sweep"], headers, rows) == 9
    done = run_cli("export", str(folders["run"]), "--out", "run.xlsx", "--metrics", "tier2_p,tier3_p",
                   cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "run.xlsx"
    assert list(pd.read_excel(tmp_path / "run.xlsx")["metric"]) == ["tier2_p", "tier3_p"]


@pytest.mark.parametrize("args,message", [
    (["--format", "parquet"], "--format parquet writes a binary file: give --out FILE"),
    (["--format", "docx"], "--format 'docx': must be one of csv, parquet, json, markdown, latex, xlsx"),
    (["--out", "table.txt"], "cannot tell the format from '.txt'"),
    (["--metrics", "tier2_p,tier9_p"], "unknown metric(s) 'tier9_p'; a sweep has: tier1_p"),
])
def test_cli_export_errors(folders, tmp_path, args, message):
    done = run_cli("export", str(folders["sweep"]), *args, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())
