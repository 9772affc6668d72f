"""Every command and code block of the user guide runs, so the guide cannot rot.

Blocks fenced as ```bash run with bash, ```python with the project's Python, in document
order, in one scratch directory (so a later block can read a file an earlier one wrote).
``make run`` and ``make test`` are checked with ``make -n`` here: CI runs ``make test`` itself
and ``tests/test_report.py`` runs what ``make run`` runs (the quick report). ``mpiexec``
lines run when an MPI launcher is installed (the test setup installs the ``mpi`` extra; as
root ``--allow-run-as-root`` is added) and are reported as skipped otherwise. Blocks
fenced as ```text are output, not code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "docs" / "guide.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path):
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text())]


def _env(workdir: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["MGNEURON_ROOT"] = str(ROOT)
    env["MPLBACKEND"] = "Agg"
    return env


def _run_bash(code: str, workdir: Path) -> None:
    lines = []
    for line in code.splitlines():
        s = line.strip()
        if re.match(r"^make (run|test|bench)\b", s):
            lines.append(f"make -n -C {ROOT} {s.split()[1]} > /dev/null")
        elif (
            s.startswith("mpiexec") and shutil.which("mpiexec", path=_env(workdir)["PATH"]) is None
        ):
            lines.append(f"echo 'skipped (no mpiexec): {s}'")
        elif s.startswith("mpiexec") and os.geteuid() == 0:
            lines.append(line.replace("mpiexec", "mpiexec --allow-run-as-root", 1))
        else:
            lines.append(line)
    script = "set -euo pipefail\n" + "\n".join(lines)
    res = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, f"bash block failed:\n{code}\n--- stderr:\n{res.stderr[-3000:]}"


def _run_python(code: str, workdir: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, f"python block failed:\n{code}\n--- stderr:\n{res.stderr[-3000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_guide_blocks_run(doc, tmp_path):
    assert doc.exists(), f"{doc} is missing"
    found = blocks(doc)
    runnable = [(lang, code) for lang, code in found if lang in ("bash", "python")]
    assert runnable, f"{doc.name} has no runnable blocks"
    for lang, code in runnable:
        if lang == "bash":
            _run_bash(code, tmp_path)
        else:
            _run_python(code, tmp_path)
