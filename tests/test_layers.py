"""The package's layers: each module imports only its own layer and those below it.

face -> runner -> results -> builders + engine -> descriptions + measures -> errors
(docs/architecture.md). Imports inside functions count: a function-level import is
still a dependency, and it hid the runner/engine cycle the architecture issue found.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mgneuron"

# Layer of each module, by the longest matching name prefix (0 = bottom).
LAYERS: dict[str, int] = {
    "mgneuron.errors": 0,
    "mgneuron._version": 0,
    "mgneuron.environment": 1,
    "mgneuron.release": 1,
    "mgneuron.endplate": 1,
    "mgneuron.screening": 1,
    "mgneuron.biophysics": 1,
    "mgneuron.mgblock": 1,
    "mgneuron.nmda": 1,
    "mgneuron.tissue": 1,
    "mgneuron.progress": 1,
    "mgneuron.measures": 1,
    "mgneuron.analysis": 1,
    "mgneuron.fit": 1,
    "mgneuron.mechanisms": 2,
    "mgneuron.engine": 2,
    "mgneuron.bath": 2,
    "mgneuron.membrane": 2,
    "mgneuron.locations": 2,
    "mgneuron.morphology": 2,
    "mgneuron.cell": 2,
    "mgneuron.axon": 2,
    "mgneuron.synapses": 2,
    "mgneuron.network": 2,
    "mgneuron.preparations": 2,
    "mgneuron.results": 3,
    "mgneuron.runner": 4,
    "mgneuron.cli": 5,
    "mgneuron.report": 5,
    "mgneuron.plots": 5,
    "mgneuron": 5,  # the package itself: the public API gathers every layer
}
NAMES = {0: "errors", 1: "descriptions+measures", 2: "builders+engine", 3: "results"}
NAMES |= {4: "runner", 5: "face"}
PURE = 1  # layers up to this one never import NEURON


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(name: str) -> int:
    best = max((k for k in LAYERS if name == k or name.startswith(k + ".")), key=len)
    return LAYERS[best]


def imports(path: Path, root: Path = PACKAGE) -> list[tuple[str, int]]:
    """Every module an import statement names (function-level too), with its line."""
    name = module_name(path, root)
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
            # `from mgneuron import cli` names the module mgneuron.cli
            out += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return out


def package_modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def internal_edges(root: Path = PACKAGE) -> dict[str, set[str]]:
    mods = package_modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        targets = set()
        for target, _ in imports(path, root):
            while target and target not in mods:
                target = target.rpartition(".")[0]
            # a package and its own submodules are one unit
            if target and not (target.startswith(name + ".") or name.startswith(target + ".")):
                targets.add(target)
        graph[name] = targets - {name}
    return graph


def test_every_module_has_a_layer():
    missing = [
        n for n in package_modules() if not any(n == k or n.startswith(k + ".") for k in LAYERS)
    ]
    assert not missing, f"add these modules to LAYERS (and docs/architecture.md): {missing}"


def upward_imports(name: str, root: Path = PACKAGE) -> list[str]:
    """The imports of module ``name`` that go to a higher layer (or to NEURON from a pure one)."""
    mods = package_modules(root)
    own = layer(name)
    bad = []
    for target, line in imports(mods[name], root):
        if target.split(".")[0] == "neuron" and own <= PURE:
            bad.append(f"line {line}: {target} (a {NAMES[own]} module never imports NEURON)")
            continue
        while target and target not in mods:
            target = target.rpartition(".")[0]
        if not target or target.startswith(name + ".") or name.startswith(target + "."):
            continue
        if layer(target) > own:
            bad.append(f"line {line}: {target} ({NAMES[layer(target)]} above {NAMES[own]})")
    return bad


@pytest.mark.parametrize("name", sorted(package_modules()))
def test_imports_go_down(name):
    bad = upward_imports(name)
    assert not bad, f"{name} imports upward:\n" + "\n".join(bad)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    found = cycles(internal_edges())
    assert not found, f"import cycles: {found}"


def test_the_checks_catch_a_violation(tmp_path):
    """Control: an upward, function-level import and a cycle in a made-up package."""
    fake = tmp_path / "mgneuron"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "environment.py").write_text("def f():\n    from mgneuron.runner import run\n")
    (fake / "measures.py").write_text("def g():\n    from neuron import h\n")
    (fake / "runner.py").write_text("from mgneuron import environment\n")
    assert any("mgneuron.runner" in b for b in upward_imports("mgneuron.environment", fake))
    assert any("NEURON" in b for b in upward_imports("mgneuron.measures", fake))
    assert upward_imports("mgneuron.runner", fake) == []
    assert cycles(internal_edges(fake)) == [["mgneuron.environment", "mgneuron.runner"]]
