"""Tests of mgneuron.axon.spec: the axon description, its segment rule, the option text."""

from __future__ import annotations

import pickle

import pytest

from mgneuron import axon as ax
from mgneuron.axon import AxonError, MyelinatedAxonSpec, MyelinState


def test_spec_is_picklable_and_validates():
    spec = MyelinatedAxonSpec.from_preset(8.7, 12, "demyelinated", severity=0.9, lesion=3)
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.n_nodes == 13 and spec.lesioned == (4, 5, 6)
    with pytest.raises(AxonError, match="too short"):
        MyelinatedAxonSpec(10.0, (MyelinState(internode_length_factor=0.05),))
    with pytest.raises(AxonError, match="discretization"):
        MyelinatedAxonSpec(10.0, discretization="fine")
    with pytest.raises(AxonError, match="outer_diameter"):
        MyelinatedAxonSpec(10.0, outer_diameter="grown")


def test_segment_rule_is_odd_and_scales():
    assert MyelinatedAxonSpec(10.0).nseg("flut", 46.0) == 1  # default: mrg2002
    spec = MyelinatedAxonSpec(10.0, discretization="converged")
    assert spec.nseg("mysa", 3.0) == 3 and spec.nseg("flut", 46.0) == 11
    assert spec.nseg("stin", 170.0) == 1 and spec.nseg("node", 1.0) == 1
    fine = spec.with_(segment_scale=2)
    assert fine.nseg("mysa", 3.0) == 7 and fine.nseg("flut", 46.0) == 19
    assert fine.nseg("node", 1.0) == 3
    assert spec.with_(discretization="mrg2002").nseg("flut", 46.0) == 1
    opt, _ = ax.parse_myelinated_axon("10:demyelinated,outer_diameter=kept,severity=0.5")
    assert opt.outer_diameter == "kept" and opt.discretization == "mrg2002"


def test_parse_myelinated_axon_option():
    spec, opts = ax.parse_myelinated_axon("10:demyelinated,severity=0.9,lesion=3,nodes=15")
    assert spec.fiber_diameter_um == 10.0 and spec.n_nodes == 15
    assert spec.lesioned == (5, 6, 7) and opts == {"keep_um": 25.0}
    spec, _ = ax.parse_myelinated_axon("2.5:healthy,extrapolate=true")
    assert spec.geometry.interpolated
    assert ax.parse_myelinated_axon("") is None
    with pytest.raises(AxonError, match="DIAMETER"):
        ax.parse_myelinated_axon("thick")
    with pytest.raises(AxonError, match="unknown myelin preset"):
        ax.parse_myelinated_axon("10:scarred")


def test_package_exports_its_names():
    """``from mgneuron.axon import X`` works for every name of the package's __all__, and
    the option help the runner's ``--myelinated-axon`` parameter shows names the presets."""
    for name in ax.__all__:
        assert getattr(ax, name) is not None, name
    assert all(preset in ax.AXON_OPTION_HELP for preset in ax.MYELIN_PRESETS)
