"""Validate and load SWC texts into NEURON in a child process, so that a crash is a result.

Run as ``python tests/morphology/swc_worker.py < batch.json``: the batch is a JSON list of
SWC texts, or of ``{"path": file}`` for files on disk (SWC or ASC). For each, in order, one
JSON line goes to stdout as soon as it is done: ``{"i": index, "outcome": "loaded" |
"MorphologyError" | "<Type>: message", "s": seconds, "rss_mb": peak memory so far,
"message": ...}``. A text that kills the process (SIGSEGV, SIGABRT...) is the first one
without a line: :func:`run_batch` names it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _one(item: str | dict, path: Path) -> dict:
    from mgneuron.errors import MorphologyError
    from mgneuron.morphology import load_morphology

    if isinstance(item, dict):
        path = Path(item["path"])
    else:
        path.write_text(item, newline="")
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            morph = load_morphology(path)
        n3d = [sec.n3d() for sec in morph.sections]
        if min(n3d, default=0) < 0:
            outcome = f"BadSection: a section has {min(n3d)} 3-D points"
        else:
            outcome = "loaded"
        morph.delete()
        message = ""
    except MorphologyError as exc:
        outcome, message = "MorphologyError", str(exc)
    except Exception as exc:  # noqa: BLE001 - the property is that nothing else escapes
        outcome, message = f"{type(exc).__name__}: {exc}", ""
    return {
        "outcome": outcome,
        "s": time.perf_counter() - start,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "message": message[:300],
    }


def main() -> int:
    """Read the batch from stdin and report each text on stdout."""
    texts = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(texts):
            # a new name each time: the loader caches by path, mtime and size
            result = _one(text, Path(tmp) / f"m{i}.swc")
            print(json.dumps({"i": i, **result}), flush=True)
    return 0


def run_batch(texts: list, timeout_s: float) -> list[dict]:
    """Run :func:`main` on ``texts`` in a child process; one result per text.

    A text during which the child died gets ``{"outcome": "signal N"}`` (or ``"exit N"``),
    and the texts after it are not run (``"not run"``); a child that runs past
    ``timeout_s`` is killed and its current text gets ``"timeout"``.
    """
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui", PYTHONPATH=str(ROOT))
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / "swc_worker.py")],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            cwd=ROOT,
        )
        out, err, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err, rc = "", None
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if len(results) < len(texts):
        if rc is None:
            died = "timeout"
        elif rc < 0:
            died = f"signal {-rc}"
        else:
            died = f"exit {rc}"
        results.append(
            {"i": len(results), "outcome": died, "s": float("nan"), "message": err[-2000:]}
        )
        results += [
            {"i": k, "outcome": "not run", "s": float("nan"), "message": ""}
            for k in range(len(results), len(texts))
        ]
    for r in results:
        r["stderr"] = err
    return results


if __name__ == "__main__":
    sys.exit(main())
