"""The results layer imports no part of mgneuron but mgneuron.errors (and itself).

It sits above the NEURON builders and the engine and below the runner: what it records
about them (versions, mechanisms) comes from the runner as ``provenance``. Every import
counts, at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mgneuron.results

PACKAGE = Path(mgneuron.results.__file__).parent
ALLOWED = ("mgneuron.errors", "mgneuron.results")


def _imported(tree: ast.AST, package: str) -> list[str]:
    """Every module an Import/ImportFrom node anywhere in ``tree`` names (``from a import
    b`` names ``a.b`` too, as b may be a module); relative imports resolved in ``package``."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def _forbidden(tree: ast.AST, package: str) -> list[str]:
    bad = []
    for name in _imported(tree, package):
        parts = name.split(".")
        if parts[0] != "mgneuron":
            continue
        if len(parts) == 1:  # "from mgneuron import x" is judged by its a.b name
            continue
        if not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED):
            bad.append(name)
    return bad


def test_the_checker_sees_function_level_and_relative_imports():
    src = (
        "import numpy\n"
        "from mgneuron.errors import ResultsError\n"
        "from . import _hdf5\n"
        "from .writer import ResultsWriter\n"
        "def f():\n"
        "    from mgneuron import __version__\n"
        "    from mgneuron.mechanisms import loaded\n"
        "    import mgneuron.cell\n"
        "    from .. import protocol\n"
    )
    bad = _forbidden(ast.parse(src), "mgneuron.results")
    assert bad == [
        "mgneuron.__version__",
        "mgneuron.mechanisms",
        "mgneuron.mechanisms.loaded",
        "mgneuron.cell",
        "mgneuron.protocol",
    ]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_results_modules_import_only_errors_and_results(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(["mgneuron", "results", *path.relative_to(PACKAGE).parent.parts])
    assert _forbidden(tree, package) == [], f"{path.name} imports other mgneuron modules"


def test_every_results_module_is_checked():
    names = {p.name for p in MODULES}
    assert {"__init__.py", "_hdf5.py", "reports.py", "writer.py", "readers.py"} <= names
