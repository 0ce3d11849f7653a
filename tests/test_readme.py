"""The README's commands and examples run as written, and its reference is current."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from stress.config.reference import BEGIN, END, markdown

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_config_reference_is_generated_from_the_schema():
    embedded = README[README.index(BEGIN) + len(BEGIN): README.index(END)].strip()
    assert embedded == markdown().strip(), "run: python -m stress.config.reference and paste it into README.md"


def test_quickstart_is_two_commands_and_ci_runs_the_test_one():
    install_and_run, install_and_test = [b.strip() for b in _blocks("sh")[:2]]
    assert install_and_run.endswith("pip install . && stress run")
    assert install_and_test == 'pip install ".[test]" && pytest'
    assert install_and_test in (ROOT / ".ci" / "run").read_text()


def wheel_of_this_tree(tmp_path_factory) -> Path:
    """The wheel `pip install .` builds of this tree, built once in a test session
    (test_serve_browser installs it too)."""
    wheels = tmp_path_factory.getbasetemp() / "wheel-of-this-tree"
    if not list(wheels.glob("stress-*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                       check=True, capture_output=True, cwd=tmp_path_factory.getbasetemp())
    (wheel,) = wheels.glob("stress-*.whl")
    return wheel


def test_quickstart_install_and_run_works_from_an_empty_folder(tmp_path, tmp_path_factory):
    # `pip install .` builds a wheel of this tree; the packaged default scenario must be in
    # it, so `stress run` works from any folder. (Dependencies are already installed here.)
    target, empty = tmp_path / "site", tmp_path / "empty"
    empty.mkdir()
    wheel = wheel_of_this_tree(tmp_path_factory)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    done = subprocess.run([sys.executable, "-m", "stress", "run", "-n", "500"], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "tier3" in done.stdout and "p_tier3_stood_down" in done.stdout
    assert len(list((empty / "results").iterdir())) == 1


def test_python_example_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "configs", tmp_path / "configs")  # the examples run in a checkout
    monkeypatch.chdir(tmp_path)
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
