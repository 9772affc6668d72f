"""The network's reduced cells: described with the package's Biophysics, checked on creation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mgneuron.biophysics import Biophysics, MechanismSpec, RegionBiophysics
from mgneuron.errors import MgNeuronError
from mgneuron.network import ReducedCellSpec, SectionSpec, basket_cell, pyramidal_cell


def test_reduced_cells_use_the_package_biophysics():
    pyr, bas = pyramidal_cell(), basket_cell()
    for cell in (pyr, bas):
        assert isinstance(cell.biophysics, Biophysics)
        assert all(
            isinstance(m, MechanismSpec) for r in cell.biophysics.regions for m in r.mechanisms
        )
        assert cell.soma_reversal_mV("k") == -90.0 and cell.soma_reversal_mV("na") == 60.0
    assert pyr.biophysics.mechanism_names == ["NaT", "Kdr", "Km"]
    assert bas.biophysics.mechanism_names == ["NaT", "Kdr"]
    assert pyr.n_segments() == 8 and bas.n_segments() == 1
    assert [s.region for s in pyr.sections] == ["soma", "basal", "apical", "apical"]
    assert pyr.soma_reversal_mV("ca") is None


@pytest.mark.parametrize(
    "change, match",
    [
        ({"sections": ()}, "no sections"),
        ({"sections": (SectionSpec("soma", 20, 20), SectionSpec("soma", 20, 20))}, "unique"),
        ({"sections": (SectionSpec("soma", 20, 20), SectionSpec("d", 9, 1, 1, "x"))}, "parent"),
        ({"sections": (SectionSpec("soma", 20, 20, region="dendrite"),)}, "region"),
        ({"biophysics": "pyramidal"}, "Biophysics"),
        (
            {"biophysics": Biophysics("no_ek", (RegionBiophysics("all", cm_uF_cm2=1.0),))},
            "E_K",
        ),
    ],
)
def test_reduced_cell_rejects_bad_descriptions(change, match):
    with pytest.raises(MgNeuronError, match=match):
        replace(pyramidal_cell(), **change)


def test_reduced_cell_without_slow_ahp_needs_no_reversal():
    bio = Biophysics("leak", (RegionBiophysics("all", g_pas_S_cm2=1e-4),))
    cell = ReducedCellSpec("leaky", (SectionSpec("soma", 10.0, 10.0),), bio)
    assert cell.soma_reversal_mV("k") is None
