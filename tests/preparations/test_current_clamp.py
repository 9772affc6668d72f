"""Tests of mgneuron.preparations.current_clamp: the steady-state start, the screening
set-up, trials and thresholds, the membrane translation, release.

Budget: a few seconds (one short axon, one pyramidal cell, a few ms each).
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron import screening
from mgneuron.axon import parse_myelinated_axon
from mgneuron.cell import cell_spec
from mgneuron.engine import reset
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.preparations.current_clamp import current_clamp, translate_membrane

AXON = "10:healthy,discretization=mrg2002"


@pytest.fixture
def fresh(h):
    """NEURON's globals as a condition sees them, before and after (screening included)."""
    reset()
    yield h
    reset()


def _axon(bath=None, option=AXON, **kw):
    spec = parse_myelinated_axon(option)[0]
    kw = {"celsius": 37.0, "dt": 0.02, **kw}
    return current_clamp(spec, bath or Environment(mg_mM=1.0), **kw)


def test_axon_starts_at_its_steady_state_and_stays_there(fresh):
    """The start is the rest of the bath: the last backward-Euler step moved the potential
    by < 1e-9 mV, the run begins there (not at v_init) and, unstimulated, drifts by
    < 1e-6 mV over 5 ms. Backward Euler (secondorder 0) from the run settings."""
    h = fresh
    with _axon(Environment(mg_mM=0.0)) as prep:
        assert prep.settings.secondorder == 0 and not prep.settings.cvode
        assert prep.labels == ["node[10]", "node[14]"]
        assert prep.site_names == [f"node[{j}]" for j in range(21)]
        tr = prep.trial(0.0, 0.0, 0.0, 5.0)
        assert int(h.secondorder) == 0
        assert prep.rest.drift_mV < 1e-9 and 1 <= prep.rest.steps < 200
        assert prep.rest.v_mV == tr.v_stim[0]
        assert abs(tr.v_stim[0] - prep.settings.v_init) > 1.0  # 0 mM Mg: -77 mV, not -80
        assert np.ptp(tr.v_stim) < 1e-6 and np.ptp(tr.v_detect) < 1e-6
        assert tr.spikes.size == 0 and tr.v_sites.shape == (21, tr.t.size)
    assert sum(1 for _ in h.allsec()) == 0


def test_shift_is_the_python_reference_of_the_configured_model(fresh):
    """The screening model is set for the bath (its monovalent salt) and the preparation's
    shift is mgneuron.screening.shift_mV of that model; "off" gives 0."""
    bath = Environment(mg_mM=0.0, ca_mM=1.5, na_mM=140.0, k_mM=5.0)
    with _axon(bath) as prep:
        assert prep.screening.monovalent_mM == 145.0
        ref = screening.shift_mV(0.0, 1.5, prep.screening, celsius=37.0)
        assert prep.shift_mV == ref < -3.0
    with _axon(bath, screening="off") as prep:
        assert prep.screening.model == "off" and prep.shift_mV == 0.0


def test_pyramidal_threshold_is_measured_at_the_soma(fresh):
    """A 2 nA pulse fires the pyramidal cell (CVODE), a 0.01 nA one does not; on a 0.3 nA
    step the threshold is at the soma, between rest and 0 mV, with a positive latency."""
    prep = current_clamp(cell_spec(), Environment(), celsius=34.0, dt=0.025, cvode=True)
    with prep:
        assert prep.site_names == ["soma"] and prep.labels[0] == prep.labels[1]
        assert np.isnan(prep.first_spike_ms(0.01, 5.0, 1.0, 10.0))
        assert prep.first_spike_ms(2.0, 5.0, 1.0, 10.0) > 5.0
        res = prep.voltage_threshold(0.3, 5.0, 100.0, 60.0, 20.0)
        assert res.site == "soma" and res.latency_ms > 0
        assert prep.rest.v_mV < res.mV < 0.0
        grid, data = res.trace.on_grid(0.1)
        assert data.shape == (grid.size, 2) and grid[1] == pytest.approx(0.1)


def test_translate_membrane_moves_the_chosen_reversals_only(fresh):
    with _axon() as prep:
        node, stin = prep.stim_seg, prep.owner.internode_sections[0][4](0.5)
        before = (node.mrg_node.ena, node.mrg_node.ek, node.mrg_node.el, stin.pas.e)
        translate_membrane(prep.sections, 1.5, ("pas", "leak"))
        after = (node.mrg_node.ena, node.mrg_node.ek, node.mrg_node.el, stin.pas.e)
        assert np.subtract(after, before) == pytest.approx([0.0, 0.0, 1.5, 1.5])
        with pytest.raises(ProtocolError, match="unknown part"):
            translate_membrane(prep.sections, 1.0, ("ca",))


def test_translation_refuses_a_mechanism_it_does_not_know(fresh):
    h = fresh
    sec = h.Section(name="hh_cable")
    sec.insert("hh")
    with pytest.raises(ProtocolError, match="'hh'"):
        translate_membrane([sec], 1.0)


def test_translated_axon_starts_from_a_translated_v_init(fresh):
    with _axon(Environment(mg_mM=3.0), translate=True) as prep:
        v0 = parse_myelinated_axon(AXON)[0].biophysics.v_init
        assert prep.shift_mV > 1.0
        assert prep.settings.v_init == pytest.approx(v0 + prep.shift_mV)


def test_axon_needs_seven_nodes(fresh):
    with pytest.raises(ProtocolError, match="at least 7 nodes"):
        _axon(option=AXON + ",nodes=5")
    assert sum(1 for _ in fresh.allsec()) == 0
