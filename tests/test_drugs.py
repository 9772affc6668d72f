"""NMDA antagonists beside Mg2+ (mechanisms/nmdadrug.inc, mgneuron.nmda.DRUGS).

References: the open-channel block scheme's closed forms (equilibrium and the exponential
approach with the channel held open), the published rates it is built from (Gilling et
al. 2009; Blanpied et al. 1997; Huettner & Bean 1988), and the competitive-binding IC50
Kd / B (Kotermanski & Johnson 2009). Tolerances as stated per test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.engine import RunSettings, Simulation
from mgneuron.errors import MgNeuronError
from mgneuron.nmda import DRUG_NAMES, DRUGS, drug_ic50_uM, drug_kd_uM, drug_params
from mgneuron.preparations.clamp import clamped_compartments

F, R = 96485.33212, 8.314462618


def test_drug_params_and_errors():
    assert DRUG_NAMES == ("none", "memantine", "ketamine", "mk801", "apv")
    assert drug_params("none", 10.0) == {"drug_um": 0.0, "apv_um": 0.0}
    assert drug_params("memantine", 0.0) == {"drug_um": 0.0, "apv_um": 0.0}
    m = drug_params("memantine", 10.0)
    assert m["drug_um"] == 10.0 and m["drug_trap"] == pytest.approx(5 / 6)
    assert drug_params("apv", 5.0)["apv_um"] == 5.0
    with pytest.raises(MgNeuronError, match="unknown NMDA drug 'aspirin'"):
        drug_params("aspirin", 1.0)
    with pytest.raises(MgNeuronError, match="finite and >= 0 uM"):
        drug_params("ketamine", -1.0)


def test_published_affinities():
    """Kd at -70 mV from the rates: memantine 1.66 uM (Gilling et al. 2009; at -67 mV
    1.81 uM, within 35 % of the IC50 1.4 uM of Blanpied et al. 1997 in rat neurons),
    ketamine 1.47 uM (IC50 0.71 uM at -70 mV in Gilling et al. 2009: within a factor
    2.1); Mg2+ raises the IC50 by 1/B."""
    assert drug_kd_uM("memantine", -70.0) == pytest.approx(1.66, rel=0.01)
    assert drug_kd_uM("memantine", -67.0) == pytest.approx(1.4, rel=0.35)
    assert drug_kd_uM("ketamine", -70.0) / 0.71 < 2.1
    assert drug_kd_uM("apv", -70.0) == DRUGS["apv"].kd_uM
    b = 1.0 / (1.0 + math.exp(0.062 * 66) / 3.57)  # JS, 1 mM Mg, -66 mV
    assert drug_ic50_uM("memantine", -66.0, b) / drug_kd_uM("memantine", -66.0) > 10
    # depolarisation speeds unbinding: e-fold per RT/(zdelta F)
    rt = R * (34 + 273.15) / F * 1e3
    ratio = drug_kd_uM("memantine", -40.0) / drug_kd_uM("memantine", -70.0)
    assert ratio == pytest.approx(math.exp(0.8 * 30 / rt), rel=1e-9)


def _held_open(h, mech_params, v=-70.0, mg=0.0, tstop=1000.0, dt=0.1):
    """NMDAMg whose envelope rises in ~0.01 ms and stays at 1 (tau_decay 1e9 ms)."""
    cells = clamped_compartments([v], name="drug")
    (s,) = cells.place("NMDAMg", tau_rise=0.01, tau_decay=1e9, **mech_params)
    cells.segments[0].mgo = mg
    ns = h.NetStim()
    ns.start, ns.number = 1.0, 1
    nc = h.NetCon(ns, s, 0, 0, 1.0)
    sim = Simulation(RunSettings(tstop=tstop, dt=dt, celsius=34.0, v_init=v))
    t = sim.record(h._ref_t)
    d = sim.record(s._ref_dblk)
    sim.run()
    out = np.asarray(t).copy(), np.asarray(d).copy()
    del nc
    return out


@pytest.mark.validation
@pytest.mark.parametrize("mg", (0.0, 1.0))
def test_open_channel_block_follows_closed_form(h, mg):
    """Memantine 10 uM, drug-free start, channel held open at -70 mV: dblk(t) =
    d_inf (1 - exp(-t/tau)) with kon [D] B and koff of the scheme (abs 0.005), B the
    Jahr-Stevens unblocked fraction (binding only to Mg-free channels)."""
    p = {**drug_params("memantine", 10.0), "drug_init_eq": 0.0}
    t, d = _held_open(h, p, mg=mg)
    b = 1.0 / (1.0 + math.exp(0.062 * 70) * mg / 3.57)
    on = DRUGS["memantine"].kon_per_uM_ms * 10.0 * b
    off = DRUGS["memantine"].koff70_per_ms
    ref = np.where(t > 1.0, on / (on + off) * (1 - np.exp(-(t - 1.0) * (on + off))), 0.0)
    np.testing.assert_allclose(d, ref, atol=0.005)
    assert d[-1] > (0.5 if mg == 0 else 0.0)


@pytest.mark.validation
def test_trapping_keeps_the_drug_after_closing(h):
    """After the channel closes (envelope decays, tau 20 ms), ketamine (full trapping)
    stays bound; memantine (partial trapping) loses the fraction 1/6 of its block
    (within 0.02), then a silent synapse keeps what is left."""
    out = {}
    for name in ("ketamine", "memantine"):
        cells = clamped_compartments([-70.0], name="trap")
        (s,) = cells.place("NMDAMg", tau_rise=0.5, tau_decay=20.0, **drug_params(name, 10.0))
        cells.segments[0].mgo = 0.0
        ns = h.NetStim()
        ns.start, ns.number = 1.0, 1
        nc = h.NetCon(ns, s, 0, 0, 1.0)
        sim = Simulation(RunSettings(tstop=600.0, dt=0.025, celsius=34.0, v_init=-70.0))
        d = sim.record(s._ref_dblk)
        sim.run()
        d = np.asarray(d).copy()
        out[name] = (d[0], d[int(400 / 0.025)], d[-1])
        del nc, s, cells
    k0, k1, k2 = out["ketamine"]
    assert k1 == pytest.approx(k0, rel=0.02) and k2 == pytest.approx(k1, rel=1e-9)
    m0, m1, m2 = out["memantine"]
    assert m1 / m0 == pytest.approx(5 / 6, abs=0.02)
    assert m2 == pytest.approx(m1, rel=1e-9)


@pytest.mark.validation
def test_apv_scales_the_nmda_conductance(h):
    """D-APV at its Kd (1.4 uM) halves the NMDA conductance (rel 1e-6); control 0 uM."""
    peaks = []
    for um in (0.0, DRUGS["apv"].kd_uM):
        cells = clamped_compartments([-40.0], name="apv")
        (s,) = cells.place("NMDAMg", **drug_params("apv", um))
        ns = h.NetStim()
        ns.start, ns.number = 1.0, 1
        nc = h.NetCon(ns, s, 0, 0, 1.0)
        sim = Simulation(RunSettings(tstop=30.0, dt=0.025, v_init=-40.0))
        g = sim.record(s._ref_g)
        sim.run()
        peaks.append(max(g))
        del nc, s, cells
    assert peaks[1] == pytest.approx(0.5 * peaks[0], rel=1e-6)  # clamp error moves B
