"""The rxd tissue strip: conservation of ions, a resting tissue that does not drift, no state
left between runs in one process.

Tolerances: the amounts are sums of rxd's own concentrations x volumes, so conservation
holds to round-off (relative 1e-9 over 5 s and 10,000 steps is far above the ~1e-12
measured). Resting drift: less than 1e-3 mM of [K+]o and 0.01 mV over 5 s.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.engine import RunSettings
from mgneuron.engine.state import reset
from mgneuron.environment import Environment
from mgneuron.preparations.tissue import build_strip, run_strip
from mgneuron.tissue import SDMembrane, TissueSpec

SPEC = TissueSpec(length_um=600.0)
BATH = Environment(mg_mM=1.0, ca_mM=2.0, na_mM=SPEC.nao_mM, k_mM=SPEC.ko_mM)


def _run(h, k_bolus=20.0, tstop=5000.0, bath=BATH, **kw):
    reset()
    strip = build_strip(SPEC, SDMembrane(), k_bolus, 100.0, **kw)
    return run_strip(strip, RunSettings(tstop=tstop, dt=0.5), bath, track_amounts=True)


def _initial_k_amol(k_bolus):
    """K+ amounts at t = 0 from the spec (independent of rxd): conc x volume."""
    vox = SPEC.dx_um**3
    n = SPEC.n_voxels
    n_bolus = int((SPEC.x_um < 100.0).sum())
    extra = SPEC.volume_fraction * vox * (n_bolus * k_bolus + (n - n_bolus) * SPEC.ko_mM)
    intra = SPEC.neuron_volume_fraction * vox * n * SPEC.ki_mM
    return extra, intra


def test_potassium_moves_only_through_membrane_pump_and_glia(h):
    """With a 20 mM bolus (SD starts), intra + extra K+ changes only by the glial store."""
    r = _run(h)
    a0, a1 = r.amounts[0]["k"], r.amounts[-1]["k"]
    extra, intra = _initial_k_amol(20.0)
    total = np.array([sum(a["k"].values()) for a in r.amounts])
    # the K+ put in at t = 0 (from the spec, not from rxd: 1e-6 covers rxd's volumes of the
    # pt3d cylinders, 6e-8 off) is all still there, and the total stays put to round-off
    assert np.abs(total / (extra + intra) - 1).max() < 1e-6
    assert np.ptp(total) / total[0] < 1e-9
    neuron_and_ecs = (a1["intra"] + a1["extra"]) - (a0["intra"] + a0["extra"])
    assert a1["glia"] - a0["glia"] > 1e-3 * a0["extra"]  # the glia did take K+ up
    assert neuron_and_ecs == pytest.approx(-(a1["glia"] - a0["glia"]), rel=1e-6)
    assert r.ko_mM.max() > 20.0  # the neurons released K+ (SD), not only the bolus
    for ion in ("na", "cl"):  # no glial route: conserved in neurons + ECS
        total = np.array([sum(a[ion].values()) for a in r.amounts])
        assert np.ptp(total) / total[0] < 1e-9


def test_pump_off_no_stimulus_conserves_and_rest_does_not_drift(h):
    r = _run(h, k_bolus=SPEC.ko_mM, pump=False, glia=False)
    total = np.array([a["k"]["intra"] + a["k"]["extra"] for a in r.amounts])
    assert np.ptp(total) / total[0] < 1e-9
    assert all(a["k"]["glia"] == 0.0 for a in r.amounts)
    rest = _run(h, k_bolus=SPEC.ko_mM)
    assert np.abs(rest.ko_mM - SPEC.ko_mM).max() < 1e-3
    assert np.abs(rest.v_mV - SPEC.v_rest_mV).max() < 0.01


def test_two_strips_in_one_process_run_alike(h):
    """rxd's registries are emptied after every run: A, B, A give A twice, bit for bit."""
    low = Environment(mg_mM=0.5, ca_mM=2.0, na_mM=SPEC.nao_mM, k_mM=SPEC.ko_mM)
    a1 = _run(h, tstop=2000.0)
    b = _run(h, k_bolus=30.0, tstop=2000.0, bath=low)
    a2 = _run(h, tstop=2000.0)
    np.testing.assert_array_equal(a1.ko_mM, a2.ko_mM)
    np.testing.assert_array_equal(a1.v_mV, a2.v_mV)
    assert not np.array_equal(a1.ko_mM, b.ko_mM)
    assert len(list(h.allsec())) == 0


@pytest.mark.parametrize("mg", [0.5, 2.5])
def test_sdneuron_nmda_and_pump_match_their_closed_forms(h, mg):
    """The NMDA current reads mgo with the package's block (IC50 closed form of
    mgneuron.mgblock) and the pump is Kager's form (mgneuron.tissue.pump_current)."""
    from mgneuron.mgblock import ic50_formula
    from mgneuron.tissue import nernst_mV, pump_current

    reset()
    sec = h.Section(name="sd_closed_form")
    try:
        sec.insert("SDNeuron")
        m = sec(0.5).SDNeuron
        m.gnap, m.gkdr, m.gcl, m.balance, m.gnmda, m.imax = 0.0, 0.0, 0.0, 0.0, 0.01, 0.005
        m.gkl, m.gnal = 0.0, 0.0
        sec.mgo, sec.cao, sec.ko, sec.ki, sec.nao, sec.nai = mg, 2.0, 3.5, 130.0, 140.0, 10.0
        h.celsius = 34.0
        h.finitialize(-20.0)
        block = 1.0 / (1.0 + mg / ic50_formula(0, -20.0))
        glu = 1.0 / (1.0 + np.exp(-(-20.0 + 40.0) / 5.0))
        ek, ena = nernst_mV(3.5, 130.0), nernst_mV(140.0, 10.0)
        gn = 0.01 * glu * block
        expect = gn * (0.55 * (-20.0 - ena) + 0.45 * (-20.0 - ek))
        assert m.inmda == pytest.approx(expect, rel=1e-6)
        assert m.ipump == pytest.approx(float(pump_current(3.5, 10.0, 0.005)), rel=1e-9)
        # the K+ share of the NMDA current and the pump's 2 K+ in per cycle
        assert sec(0.5).ik == pytest.approx(gn * 0.45 * (-20.0 - ek) - 2 * m.ipump, rel=1e-6)
    finally:
        h.delete_section(sec=sec)


def test_a_plain_model_runs_after_a_strip_in_the_same_process(h):
    """Regression: rxd kept pointers to the deleted strip's ki, so the next run of any
    model in the process failed with "k_ion ki died" (fixed-step and CoreNEURON alike)."""
    from mgneuron.engine import Simulation

    _run(h, tstop=50.0)
    sec = h.Section(name="after_strip")
    sec.insert("hh")
    sim = Simulation(RunSettings(tstop=5.0, dt=0.025))
    v = sim.record(sec(0.5)._ref_v)
    sim.run()
    assert len(v) == 201 and max(v) < 50.0
    h.delete_section(sec=sec)
