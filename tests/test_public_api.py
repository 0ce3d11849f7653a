"""The public API: what ``stress.__all__`` names resolves, type checkers see the same
names as the lazy imports give, and ``import stress`` loads nothing heavy."""

import ast
import subprocess
import sys

import stress


def test_the_names_type_checkers_see_are_the_lazy_exports():
    tree = ast.parse(open(stress.__file__, encoding="utf-8").read())
    typed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imported in node.body:
                typed |= {(imported.module, alias.name) for alias in imported.names}
    assert typed == {(module, name) for name, module in stress._EXPORTS.items()}
    assert stress.__all__ == sorted(stress._EXPORTS)
    for name in stress.__all__:
        assert getattr(stress, name) is not None, name


def test_importing_stress_loads_neither_pandas_nor_numba_nor_pydantic():
    code = "import sys, stress; print(sorted(m for m in ('pandas', 'numba', 'pydantic', 'scipy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
