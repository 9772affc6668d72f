"""Tests of mgneuron.plots.morphology: the picture and ``mgneuron morph``."""

from __future__ import annotations

from mgneuron.plots.morphology import morph_command
from tests.morphology.conftest import MORPH_DIR


def test_morph_command_writes_png_and_summary(h, tmp_path):
    """``mgneuron morph``: a PNG of the L5PC file and the summary table naming it."""
    out = tmp_path / "m.png"
    text = morph_command(str(MORPH_DIR / "l5pc_c060114a7.asc"), str(out))
    assert out.stat().st_size > 10_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for word in ("soma", "axon", "basal", "apical", "max path distance", str(out)):
        assert word in text
