"""Reading result folders back: show, results, and clear errors for damaged or old folders."""

import json
import shutil
from pathlib import Path

import pytest

import stress
from stress.storage import folders as store

from conftest import run_cli
from made_results import SCENARIO, csv_table, make_results, summary_json


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("results"))


def _edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            manifest.pop(key)
        else:
            manifest[key] = value
    path.write_text(json.dumps(manifest))


def _truncate(path: Path, fraction: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def _drop_column(path: Path, column: str) -> None:
    csv_table(path).drop(columns=[column]).to_csv(path, index=False)


def _make_partial(folder: Path) -> Path:
    partial = folder.with_name(folder.name + ".partial")
    folder.rename(partial)
    _edit_manifest(partial, status="running")
    return partial


# (name, kind of folder, damage -> the folder to read, what the message must say (or each of several things))
DAMAGE = [
    ("summary deleted", "run", lambda f: (f / "summary.json").unlink() or f, "summary.json: missing"),
    ("summary truncated", "run", lambda f: _truncate(f / "summary.json") or f, "summary.json: unreadable or truncated"),
    ("curves truncated", "run", lambda f: _truncate(f / "curves.csv") or f, "curves.csv: truncated or damaged"),
    ("config deleted", "run", lambda f: (f / "config.toml").unlink() or f, "config.toml: missing"),
    ("manifest truncated", "run", lambda f: _truncate(f / "manifest.json") or f,
     "manifest.json: unreadable or truncated"),
    ("newer format", "run", lambda f: _edit_manifest(f, format_version=99) or f, "result format 99"),
    ("older format", "sweep", lambda f: _edit_manifest(f, format_version=None) or f, "has no format_version"),
    ("unknown kind", "run", lambda f: _edit_manifest(f, kind="forecast") or f, "unknown kind 'forecast'"),
    ("incomplete run", "run", _make_partial, "finish it with: stress run --resume"),
    ("incomplete sweep", "sweep", _make_partial, "finish it with: stress sweep --resume"),
    ("table column missing", "sweep", lambda f: _drop_column(f / "table.csv", "tier2_p") or f,
     "table.csv: missing column(s) tier2_p"),
    ("table truncated", "sweep", lambda f: _truncate(f / "table.csv") or f, ("table.csv: ", "truncated or damaged")),
    ("comparison truncated", "compare", lambda f: _truncate(f / "comparison.csv", 0.5) or f,
     ("comparison.csv: ", "truncated or damaged")),
    ("summaries deleted", "compare", lambda f: (f / "summaries.json").unlink() or f, "summaries.json: missing"),
    ("variant config deleted", "compare", lambda f: (f / "variants" / "1-lenient.toml").unlink() or f,
     "1-lenient.toml: missing"),
]
COMMANDS = ["export", "plot", "report", "show"]


def _says(message: str, expected: str | tuple[str, ...]) -> bool:
    return all(part in message for part in ((expected,) if isinstance(expected, str) else expected))


def _damaged(folders, tmp_path, kind, damage) -> Path:
    copy = tmp_path / kind
    shutil.copytree(folders[kind], copy)
    return damage(copy)


@pytest.mark.parametrize("name,kind,damage,message", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_folders_are_refused_naming_the_problem(folders, tmp_path, name, kind, damage, message):
    folder = _damaged(folders, tmp_path, kind, damage)
    with pytest.raises(store.ResultError) as caught:
        stress.load_result(folder)
    assert _says(str(caught.value), message)


@pytest.mark.parametrize("case,command", [(d, COMMANDS[i % len(COMMANDS)]) for i, d in enumerate(DAMAGE)],
                         ids=[f"{d[0]}-{COMMANDS[i % len(COMMANDS)]}" for i, d in enumerate(DAMAGE)])
def test_every_command_says_what_is_wrong_without_a_traceback(folders, tmp_path, case, command):
    _, kind, damage, message = case
    folder = _damaged(folders, tmp_path, kind, damage)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    done = run_cli(command, str(folder), cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert _says(done.stderr, message) and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr + done.stdout
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "nothing may be written"


def test_a_folder_that_does_not_exist(tmp_path):
    done = run_cli("show", "nowhere", cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "nowhere: no such result folder" in done.stderr


def test_load_result_gives_the_numbers_of_the_folder(folders):
    run = stress.load_result(folders["run"])
    written = summary_json(folders["run"])
    assert run.kind == "run" and run.scenario == SCENARIO and run.n == written["n"] and run.seed == written["seed"]
    assert list(run.summary.tiers["p_reached"]) == [t["p_reached"] for t in written["tiers"]]
    assert set(run.summary.curves["tier"]) == {"tier1", "tier2", "tier3"}
    sweep = stress.load_result(folders["sweep"])
    assert sweep.keys == ["tier2.threshold"] and list(sweep.table["tier2.threshold"]) == [2, 3, 5]
    assert sweep.table.equals(csv_table(folders["sweep"] / "table.csv"))
    compare = stress.load_result(folders["compare"])
    assert [v.name for v in compare.variants] == ["strict", "lenient", "quick_response"]
    assert compare.table.equals(csv_table(folders["compare"] / "comparison.csv"))
    assert set(compare.summaries) == {"strict", "lenient", "quick_response"}


def test_results_lists_every_folder_with_its_kind_status_and_headline(folders, tmp_path):
    base = tmp_path / "results"
    for kind in ("run", "sweep", "compare"):
        shutil.copytree(folders[kind], base / kind)
    shutil.copytree(folders["run"], base / "cut")
    _make_partial(base / "cut")
    shutil.copytree(folders["sweep"], base / "broken")
    (base / "broken" / "table.csv").unlink()
    entries = {e.id: e for e in stress.results(base)}
    assert {k: (e.kind, e.status) for k, e in entries.items()} == {
        "run": ("run", "complete"), "sweep": ("sweep", "complete"), "compare": ("compare", "complete"),
        "cut.partial": ("run", "incomplete"), "broken": ("sweep", "damaged")}
    tiers = [t["p_reached"] for t in summary_json(folders["run"])["tiers"]]
    assert entries["run"].headline == "P(tier1, tier2, tier3) = " + ", ".join(f"{p:.3f}" for p in tiers)
    assert entries["run"].n == 1000 and entries["run"].scenario == SCENARIO
    assert "--resume" in entries["cut.partial"].headline and "table.csv: missing" in entries["broken"].headline

    done = run_cli("results", cwd=tmp_path, timeout=120)  # --dir defaults to results/
    assert done.returncode == 0, done.stderr
    rows = [line.split("│") for line in done.stdout.splitlines() if line.count("│") > 5]
    lines = {cells[1].strip(): "│".join(cells) for cells in rows if cells[1].strip()}  # not wrapped parts
    assert set(lines) == {"run", "sweep", "compare", "cut.partial", "broken"}
    assert "complete" in lines["run"] and entries["run"].headline in lines["run"] and "1,000" in lines["run"]
    assert "incomplete" in lines["cut.partial"] and "damaged" in lines["broken"]
    assert "compare" in lines["compare"] and "quick_response" in done.stdout


@pytest.mark.parametrize("width", [80, 100, 160])
def test_results_keeps_every_id_on_one_line(folders, tmp_path, width):
    # a terminal narrower than the table wrapped the ids over two lines: they could not be copied
    import io
    from rich.console import Console
    from stress.output import render
    base = tmp_path / "results"
    ids = ["20261204-221555-run-border-pilot-fd0491", "20261204-221556-sweep-border-pilot-9060bf"]
    for name, kind in zip(ids, ("run", "sweep")):
        shutil.copytree(folders[kind], base / name)
    text = io.StringIO()
    render.result_list(Console(file=text, width=width), stress.results(base), base)
    shown = text.getvalue()
    for name in ids:
        assert any(name in line for line in shown.splitlines()), shown
    assert all(len(line) <= width for line in shown.splitlines())


def test_results_of_a_missing_folder_is_an_error(tmp_path):
    done = run_cli("results", "--dir", "elsewhere", cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "elsewhere: no such folder" in done.stderr


def test_a_results_folder_that_is_a_file_is_named_as_one(tmp_path):
    (tmp_path / "results").write_text("mine")
    # these said "no such folder" and "File exists"
    with pytest.raises(store.ResultError, match="results: a file, not a folder"):
        stress.results(tmp_path / "results")
    with pytest.raises(store.ResultError, match="results: a file, not a folder"):
        stress.run(n=10, results_dir=tmp_path / "results")
    assert (tmp_path / "results").read_text() == "mine"


def test_show_prints_the_table_again(folders):
    done = run_cli("show", str(folders["run"]), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tier3" in done.stdout and SCENARIO in done.stdout
    for tier in summary_json(folders["run"])["tiers"]:
        assert f"{tier['p_reached']:.3f}" in done.stdout and f"[{tier['ci_low']:.3f}, {tier['ci_high']:.3f}]" in done.stdout

    done = run_cli("show", str(folders["sweep"]), timeout=120)
    assert done.returncode == 0, done.stderr
    for row in csv_table(folders["sweep"] / "table.csv").itertuples():
        assert f"{row.tier2_p:.3f} [{row.tier2_ci_low:.3f}, {row.tier2_ci_high:.3f}]" in done.stdout

    done = run_cli("show", str(folders["compare"]), timeout=120)
    assert done.returncode == 0, done.stderr
    for row in csv_table(folders["compare"] / "comparison.csv").itertuples():
        assert f"{row.diff:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]" in done.stdout
