"""The worked notebook (examples/walkthrough.ipynb) runs as it stands and says what
stress says: executed in a fresh kernel, as a reader would run it."""

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

import stress

from conftest import ROOT

NOTEBOOK = ROOT / "examples" / "walkthrough.ipynb"
CELL_SECONDS = 300   # a fresh install compiles the engine in its first cell that simulates


def _setting(source: str, name: str) -> int:
    return int(re.search(rf"^{name} = (\d+)", source, flags=re.M).group(1))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    work = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=CELL_SECONDS, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    # its result folders go to a temporary folder: this test's
    client.execute(env={**os.environ, "TMPDIR": str(work)})
    return nb


def _texts(nb, kind: str) -> list[str]:
    """Every output of a code cell of ``kind``: stream text, or a result's data of that type."""
    out = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if kind == "stream" and output.output_type == "stream":
                out.append(output.text)
            elif output.output_type in ("execute_result", "display_data") and kind in output.get("data", {}):
                out.append(output.data[kind])
    return out


def test_the_notebook_is_kept_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_the_notebook_runs_without_error_and_shows_its_tables_and_plots(executed):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    tables = _texts(executed, "text/html")
    tiers = [t.name for t in stress.load_config(None).tiers]
    assert any("p_reached" in t and all(name in t for name in tiers) for t in tables)   # the tier table
    assert any("narrower_than_independent" in t for t in tables)                         # the comparison
    assert any("noise_share" in t for t in tables)                                       # the exploration
    assert any("qp_lower" in t for t in tables)                                          # the box
    assert len(_texts(executed, "image/png")) == 4                                       # its four figures
    report = re.search(r"^(\S+report\.html) ", "".join(_texts(executed, "stream")), flags=re.M).group(1)
    assert os.path.isfile(report)


def test_the_notebooks_numbers_are_stress_s(executed):
    source = "\n".join(c.source for c in executed.cells if c.cell_type == "code")
    n, seed = _setting(source, "N"), _setting(source, "SEED")
    printed = "".join(_texts(executed, "stream"))
    for row in stress.run(n=n, seed=seed).summary.tiers.itertuples():
        assert f"P(at least {row.tier}) = {row.p_reached:.3f}" in printed
