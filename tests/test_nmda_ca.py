"""The NMDA receptor's Ca2+ current (GHK) in NMDAMg and GluSynMg, measured in NEURON.

Reference: the closed-form GHK flux equation evaluated in Python
(:func:`mgneuron.nmda.fractional_ca_current`), and the published fractional Ca2+ current
of NMDA receptors at -60 mV, 7-12 % (Schneggenburger et al. 1993, Neuron 11:133;
Burnashev et al. 1995, J Physiol 485:403). Tolerances as stated per test.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.engine import RunSettings, Simulation
from mgneuron.nmda import PCA_DEFAULT, e_ca, fractional_ca_current, ghk_ca
from mgneuron.preparations.clamp import clamped_compartments

VOLTAGES = np.arange(-80.0, 60.0 + 1e-9, 10.0)


def clamped_currents(h, voltages, mech="NMDAMg", mg=1.0, cao=2.0, celsius=34.0, **params):
    """One clamped compartment per voltage, one event at 1 ms; i, ica, v at 10 ms."""
    cells = clamped_compartments(voltages, name="ca")
    syns = cells.place(mech, **params)
    for seg in cells.segments:
        seg.mgo, seg.cao, seg.cai = mg, cao, 5e-5
    ns = h.NetStim()
    ns.start, ns.number = 1.0, 1
    ncs = [h.NetCon(ns, s, 0, 0, 1.0) for s in syns]
    sim = Simulation(RunSettings(tstop=10.0, dt=0.025, celsius=celsius, v_init=-70.0))
    sim.run()
    i = np.array([s.i for s in syns])
    ica = np.array([s.ica for s in syns])
    vm = np.array([seg.v for seg in cells.segments])
    del ncs
    return i, ica, vm, syns, cells


@pytest.mark.validation
@pytest.mark.parametrize("mg", (0.0, 1.0))
def test_ica_matches_ghk_closed_form_and_is_inward(h, mg):
    """ica / i equals the GHK closed form at the measured potential (rel 1e-6); ica < 0
    at every potential from -80 to +60 mV (E_Ca = +140 mV); independent of [Mg]o."""
    i, ica, vm, *_ = clamped_currents(h, VOLTAGES, mg=mg)
    assert (ica < 0).all()
    assert e_ca() > 130.0
    pf = fractional_ca_current(vm)
    np.testing.assert_allclose(ica / i, pf, rtol=1e-6)


@pytest.mark.validation
def test_fractional_ca_current_at_minus_60_is_in_the_published_range(h):
    """Pf(-60 mV, 2 mM Ca) in the mechanism is 7-12 % and the same at 0 and 1 mM Mg
    (both parts share the block); the pure formula gives 0.100 (the calibration)."""
    pfs = []
    for mg in (0.0, 1.0):
        i, ica, vm, *_ = clamped_currents(h, [-60.0], mg=mg)
        pfs.append(ica[0] / i[0])
    assert 0.07 <= pfs[0] <= 0.12
    assert pfs[1] == pytest.approx(pfs[0], rel=1e-6)
    assert float(fractional_ca_current(-60.0)) == pytest.approx(0.100, abs=0.001)
    # temperature barely matters: 22-37 degC stay in range
    for c in (22.0, 37.0):
        assert 0.07 <= float(fractional_ca_current(-60.0, celsius=c)) <= 0.12


@pytest.mark.validation
def test_doubling_cao_raises_the_fractional_ca_current(h):
    """2 -> 4 mM [Ca]o raises Pf at -60 mV (simulated), as the closed form says (rel 1e-6);
    control: [Ca]o 0 gives no Ca2+ current."""
    out = {}
    for cao in (0.0, 2.0, 4.0):
        i, ica, vm, *_ = clamped_currents(h, [-60.0], cao=cao)
        out[cao] = ica[0] / i[0]
        assert out[cao] == pytest.approx(float(fractional_ca_current(vm[0], cao_mM=cao)), rel=1e-6)
    assert out[4.0] > out[2.0] > 0.0
    assert abs(out[0.0]) < 1e-6


@pytest.mark.validation
def test_monovalent_part_reverses_at_e(h):
    """The monovalent current i - ica changes sign at e = 0 mV (between -10 and +10 mV)
    while the Ca2+ part stays inward, so the total current reverses slightly positive."""
    i, ica, vm, *_ = clamped_currents(h, [-10.0, 0.0, 10.0])
    mono = i - ica
    assert mono[0] < 0 < mono[2]
    assert abs(mono[1]) < 1e-3 * abs(mono[0])
    assert i[1] < 0  # at 0 mV only the Ca2+ current flows, inward


def test_ghk_closed_form_limits():
    """The driving term: -> v * cao far below 0; continuous through 0 mV; zero at E_Ca."""
    assert float(ghk_ca(-300.0, 5e-5, 2.0)) == pytest.approx(-600.0, rel=1e-6)
    near = ghk_ca(np.array([-1e-6, 0.0, 1e-6]), 5e-5, 2.0)
    assert np.ptp(near) < 1e-5  # slope ~ cao = 2 mM per mV over 2e-6 mV
    assert float(ghk_ca(e_ca(), 5e-5, 2.0)) == pytest.approx(0.0, abs=1e-9)
    assert PCA_DEFAULT == 0.055


@pytest.mark.validation
def test_glusyn_nmda_ca_current_and_wscale(h):
    """GluSynMg: its ica is the GHK fraction of the NMDA current (rel 1e-6) and inward;
    wscale multiplies the AMPA conductance only (2x AMPA, NMDA unchanged)."""
    cells = clamped_compartments([-60.0, -60.0], name="glu")
    syns = cells.place("GluSynMg", gmax=0.001, U=1.0)
    syns[1].wscale = 2.0
    for seg in cells.segments:
        seg.mgo, seg.cao = 1.0, 2.0
    ns = h.NetStim()
    ns.start, ns.number = 1.0, 1
    ncs = [h.NetCon(ns, s, 0, 0, 1.0) for s in syns]
    sim = Simulation(RunSettings(tstop=30.0, dt=0.025, v_init=-60.0))
    ga = [sim.record(s._ref_g_ampa) for s in syns]
    gn = [sim.record(s._ref_g_nmda) for s in syns]
    ica = sim.record(syns[0]._ref_ica)
    inm = sim.record(syns[0]._ref_i_nmda)
    sim.run()
    assert max(ga[1]) == pytest.approx(2.0 * max(ga[0]), rel=1e-9)
    np.testing.assert_allclose(np.asarray(gn[1]), np.asarray(gn[0]), rtol=1e-12)
    k = int(np.argmin(np.asarray(inm)))
    vm = cells.segments[0].v
    assert ica[k] < 0
    assert ica[k] / inm[k] == pytest.approx(float(fractional_ca_current(vm)), rel=1e-4)
    del ncs
