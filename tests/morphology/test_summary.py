"""Tests of mgneuron.morphology.summary: regions, lengths, segments, path distance."""

from __future__ import annotations

import pytest

from mgneuron.morphology import DLambda, summarize
from tests.morphology.conftest import MORPH_DIR, quiet_load


def test_summary(h):
    """Regions present, total length = sum of section lengths, segments as NEURON counts."""
    morph = quiet_load(MORPH_DIR / "pvalb_interneuron_466245544.swc")
    DLambda().apply(morph.sections)
    s = summarize(morph)
    assert set(s.per_region) == {"soma", "axon", "basal"}
    assert s.total_length_um == pytest.approx(sum(sec.L for sec in morph.sections))
    assert s.n_segments == morph.n_segments()
    assert 400 < s.max_path_distance_um < 1000
    morph.delete()
