"""Tests of mgneuron.morphology.shipped: the shipped morphologies and the default one."""

from __future__ import annotations

from pathlib import Path

from mgneuron.morphology import (
    MorphologySpec,
    default_morphology_path,
    list_shipped_morphologies,
)


def test_shipped_morphologies_and_default(h):
    names = list_shipped_morphologies()
    assert {"ball_and_stick.swc", "l5_pyramid_stylized.swc"} <= set(names)
    assert default_morphology_path().name == "l5_pyramid_stylized.swc"
    spec = MorphologySpec("l5_pyramid_stylized")
    assert Path(spec.path).is_file()
    morph = spec.instantiate()
    regions = {r for r, secs in morph.regions.items() if secs}
    assert regions == {"soma", "axon", "basal", "apical"}
    morph.delete()
