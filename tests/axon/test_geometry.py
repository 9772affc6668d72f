"""Tests of mgneuron.axon.geometry: the MRG 2002 table (McIntyre, Richardson & Grill,
J Neurophysiol 87:995, Table 1), interpolation and extrapolation by similarity."""

from __future__ import annotations

import pytest

from mgneuron import axon as ax
from mgneuron.axon import AxonError, MyelinatedAxonSpec


def test_table_rows_are_returned_exactly():
    for row in ax.MRG_TABLE:
        g = ax.mrg_geometry(row[0])
        assert (g.node_to_node_um, g.lamellae, g.axon_diameter_um) == row[1:4]
        assert (g.node_diameter_um, g.flut_length_um) == row[4:6]
        assert not g.interpolated


def test_interpolation_is_piecewise_linear_between_rows():
    g = ax.mrg_geometry(10.75)  # halfway between 10 and 11.5
    assert g.interpolated
    assert g.node_to_node_um == pytest.approx(1200.0)
    assert g.lamellae == pytest.approx(125.0)
    assert g.axon_diameter_um == pytest.approx(7.5)
    assert g.node_diameter_um == pytest.approx(3.5)
    assert g.flut_length_um == pytest.approx(48.0)


def test_out_of_table_diameters_are_refused_unless_asked():
    with pytest.raises(AxonError, match="outside the MRG 2002 table"):
        ax.mrg_geometry(2.0)
    with pytest.raises(AxonError, match="outside"):
        MyelinatedAxonSpec(17.0)
    g = ax.mrg_geometry(17.0, extrapolate=True)  # similarity to the 16 um row
    assert g.node_to_node_um == pytest.approx(1500.0 * 17 / 16)
    assert g.axon_diameter_um == pytest.approx(12.7 * 17 / 16)
    g = ax.mrg_geometry(2.0, extrapolate=True)  # similarity to the 5.7 um row
    assert g.node_to_node_um == pytest.approx(500.0 * 2 / 5.7)
    assert g.lamellae == pytest.approx(80.0 * 2 / 5.7)
    assert g.node_diameter_um == pytest.approx(1.9 * 2 / 5.7)
