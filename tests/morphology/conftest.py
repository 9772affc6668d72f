"""Shared data and helpers of the morphology tests (imported by the test modules)."""

from __future__ import annotations

import gc
import warnings

from mgneuron.morphology import MorphologyWarning, load_morphology
from tests.conftest import ROOT

# The reconstructions in the repository (copies of ../shared/morphologies), so the tests
# run the same on a fresh clone.
MORPH_DIR = ROOT / "tests" / "data" / "morphologies"
BAD = ROOT / "tests" / "data" / "bad_morphologies"
SHARED_FILES = sorted(p for p in MORPH_DIR.iterdir() if p.suffix in (".swc", ".asc"))

SMALL_SWC = """# soma, two basal branches, an axon
1 1 0 0 0 5 -1
2 3 5 0 0 1 1
3 3 15 0 0 1 2
4 3 25 5 0 0.8 3
5 3 25 -5 0 0.8 3
6 2 -5 0 0 0.5 1
7 2 -15 0 0 0.5 6
"""


def n_sections(h) -> int:
    gc.collect()
    return sum(1 for _ in h.allsec())


def quiet_load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MorphologyWarning)
        return load_morphology(path, **kw)


def neuron_by_region(morph) -> dict:
    return {
        r: [sum(s.L for s in secs), sum(seg.area() for s in secs for seg in s)]
        for r, secs in morph.regions.items()
    }
