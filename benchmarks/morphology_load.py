"""Time loading a morphology: mgneuron (validation included) vs plain NEURON Import3d.

Both sides read the largest shared morphology and build its sections inside a Python
object, in this process, with Import3d's messages off:

* plain:    Import3d reader .input(file) -> Import3d_GUI(reader, 0).instantiate(obj)
* mgneuron: mgneuron.morphology.load_morphology(file): the pure-Python validation, the same
            Import3d calls, the region bookkeeping and the soma policies.

Runs are interleaved (ABBA order, so drifts in machine load hit both sides alike), the
sections are deleted after every run, and the medians are compared. The target is a
ratio mgneuron / plain <= 1.10.

    python benchmarks/morphology_load.py [--repeats 15] [--file PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE_DIRS = [ROOT.parent / "shared" / "morphologies", ROOT / "tests" / "data" / "morphologies"]
TARGET = 1.10


def largest_morphology() -> Path:
    for d in CANDIDATE_DIRS:
        if d.is_dir():
            files = [p for p in d.iterdir() if p.suffix.lower() in (".swc", ".asc")]
            if files:
                return max(files, key=lambda p: p.stat().st_size)
    raise SystemExit("no shared morphologies found (../shared/morphologies or tests/data)")


class _Holder:
    """What plain Import3d instantiates into."""


def load_plain(h, path: Path) -> float:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        reader = (
            h.Import3d_SWC_read() if path.suffix.lower() == ".swc" else (h.Import3d_Neurolucida3())
        )
        reader.quiet = 1
        reader.input(str(path))
        holder = _Holder()
        h.Import3d_GUI(reader, 0).instantiate(holder)
    elapsed = time.perf_counter() - t0
    n = len(holder.all)
    del holder, reader
    gc.collect()
    assert n > 0
    return elapsed


def load_mgneuron(path: Path) -> float:
    from mgneuron.morphology import MorphologyWarning, load_morphology

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MorphologyWarning)
        morph = load_morphology(path)
    elapsed = time.perf_counter() - t0
    assert len(morph) > 0
    morph.delete()
    gc.collect()
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="runs per side (default 15)")
    parser.add_argument("--file", type=Path, default=None, help="morphology to load")
    args = parser.parse_args(argv)
    path = args.file or largest_morphology()

    from neuron import h

    from mgneuron.morphology import validate_morphology
    from mgneuron.morphology.loader import _ensure_import3d

    _ensure_import3d()  # load import3d.hoc once, outside the timings
    # Warm-up: one run each (file cache, first-use costs).
    load_plain(h, path)
    load_mgneuron(path)
    plain, mg, validation = [], [], []
    for k in range(args.repeats):
        order = (0, 1) if k % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                plain.append(load_plain(h, path))
            else:
                mg.append(load_mgneuron(path))
        t0 = time.perf_counter()
        validate_morphology(path)
        validation.append(time.perf_counter() - t0)
    med_plain, med_mg = statistics.median(plain), statistics.median(mg)
    ratio = med_mg / med_plain
    print(f"file: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(f"runs per side: {args.repeats} (interleaved, ABBA)")
    print(f"plain Import3d   median {1e3 * med_plain:8.1f} ms  (min {1e3 * min(plain):.1f})")
    print(f"mgneuron         median {1e3 * med_mg:8.1f} ms  (min {1e3 * min(mg):.1f})")
    print(f"  of which validation median {1e3 * statistics.median(validation):.1f} ms")
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"ratio mgneuron / plain = {ratio:.3f} (target <= {TARGET:.2f}): {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
