"""NMDAMg: the Mg-block models measured in NEURON voltage-clamp simulations.

References: Jahr & Stevens 1990 closed form; Woodhull form with Spruston et al. 1995
parameters; Kampa et al. 2004 two-state kinetic scheme (equilibrium curve and relaxation
time constant 1 / (k_on + k_off)); Vargas-Caballero & Robinson 2003/2004 (fast 0.7 ms and
slow 23 ms unblock after a step to +40 mV, Kd(-60 mV) 0.0724 mM). Tolerances as stated
per test.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import curve_fit

from mgneuron.engine import RunSettings, Simulation
from mgneuron.mgblock import BLOCK_MODELS, ic50_formula, permeant_kd, vcr_time_constants
from mgneuron.nmda import fractional_ca_current
from mgneuron.preparations.clamp import clamped_compartments

VOLTAGES = np.arange(-100.0, 40.0 + 1e-9, 10.0)
MGS = (0.0, 0.1, 0.3, 1.0, 2.0, 3.0)
F, R = 96485.33212, 8.314462618


def js(v, mg):
    return 1.0 / (1.0 + np.exp(-0.062 * v) * mg / 3.57)


def woodhull(v, mg, celsius, k0=4.1, delta=0.8):
    return 1.0 / (1.0 + mg / k0 * np.exp(-2 * delta * F * v * 1e-3 / (R * (celsius + 273.15))))


def kinetic_ss(v, mg):
    return 1.0 / (1.0 + mg / (256.0 * np.exp(0.08 * (v - 40.0))))


def clamped_B(h, model, mg, voltages, celsius=34.0, tstop=5.0, dt=0.005):
    """Simulate one clamped compartment per voltage; return B and V at the end."""
    cells = clamped_compartments(voltages)
    syns = cells.place("NMDAMg", block_model=model)
    for seg in cells.segments:
        seg.mgo = mg  # per-section bath, set directly
    sim = Simulation(RunSettings(tstop=tstop, dt=dt, celsius=celsius, v_init=float(voltages[0])))
    recs = [sim.record(s._ref_B) for s in syns]
    sim.run()
    out = np.array([vec[-1] for vec in recs])
    vm = np.array([seg.v for seg in cells.segments])
    return out, vm


@pytest.mark.validation
@pytest.mark.parametrize("mg", MGS)
def test_jahr_stevens_matches_closed_form(h, mg):
    """B from simulation vs Jahr & Stevens 1990 formula: within 1 % absolute."""
    b, vm = clamped_B(h, 0, mg, VOLTAGES)
    assert np.allclose(vm, VOLTAGES, atol=0.01)
    np.testing.assert_allclose(b, js(VOLTAGES, mg), atol=0.01)


@pytest.mark.validation
@pytest.mark.parametrize("celsius", (22.0, 35.0))
@pytest.mark.parametrize("mg", (0.1, 1.0, 3.0))
def test_woodhull_matches_formula(h, mg, celsius):
    """B vs the Woodhull form (K0 4.1 mM, delta 0.8, T from celsius): 1 % absolute."""
    b, _ = clamped_B(h, 1, mg, VOLTAGES, celsius=celsius)
    np.testing.assert_allclose(b, woodhull(VOLTAGES, mg, celsius), atol=0.01)


@pytest.mark.validation
def test_permeant_model_matches_its_closed_form_and_relieves_deep_block(h):
    """Block model 4 with a permeation term (pm_kp > 0) vs permeant_kd (1e-6); with the
    default pm_kp = 0 it is Jahr-Stevens; the permeation term lowers the block at -140
    mV below its value at -90 mV (the closed form's minimum lies in between)."""
    v = np.arange(-140.0, 41.0, 10.0)
    b0, _ = clamped_B(h, 4, 1.0, v)
    np.testing.assert_allclose(b0, js(v, 1.0), rtol=1e-9, atol=1e-12)
    pm = {"pm_k0": 3.0, "pm_slope": 0.06, "pm_kp": 0.002, "pm_slope_p": 0.04}
    cells = clamped_compartments(v)
    syns = cells.place("NMDAMg", block_model=4, **pm)
    for seg in cells.segments:
        seg.mgo = 1.0
    sim = Simulation(RunSettings(tstop=1.0, dt=0.025, celsius=34.0, v_init=-70.0))
    recs = [sim.record(s._ref_B) for s in syns]
    sim.run()
    b = np.array([r[-1] for r in recs])
    vm = np.array([seg.v for seg in cells.segments])
    kd = permeant_kd(vm, k0=3.0, slope=0.06, kp=0.002, slope_p=0.04)
    np.testing.assert_allclose(b, 1 / (1 + 1.0 / kd), rtol=1e-6)
    assert b[0] > b[5] and b[5] < b[-1]  # -140 mV vs -90 mV vs +40 mV


def test_woodhull_spruston_checkpoint():
    """VALIDATION.md: B(-60 mV, 1 mM, 35 degC) = 0.0994 for the Spruston fit (formula)."""
    assert woodhull(-60.0, 1.0, 35.0) == pytest.approx(0.0994, abs=5e-4)


@pytest.mark.validation
@pytest.mark.parametrize("mg", (0.1, 1.0, 3.0))
def test_kinetic_steady_state(h, mg):
    """Kinetic block at steady state vs its equilibrium curve (Kampa 2004): within 2 %."""
    b, _ = clamped_B(h, 2, mg, VOLTAGES)
    ref = kinetic_ss(VOLTAGES, mg)
    np.testing.assert_allclose(b, ref, rtol=0.02, atol=1e-6)


@pytest.mark.validation
def test_kinetic_unblock_time_constant(h):
    """Unblock after a step -100 -> +40 mV at 1 mM Mg: tau within 10 % of 1/(kon+koff).

    Kampa et al. 2004 rates at +40 mV: k_on = 0.05 /mM/ms x 1 mM, k_off = 12.8 /ms,
    so tau = 1 / 12.85 ms = 77.8 us.
    """
    cells = clamped_compartments([-100.0])
    c = cells.clamps[0]
    c.dur1, c.dur2, c.amp2 = 2.0, 1e9, 40.0  # a step to +40 mV at 2 ms
    (s,) = cells.place("NMDAMg", block_model=2)
    cells.segments[0].mgo = 1.0
    sim = Simulation(RunSettings(tstop=3.0, dt=0.0005, v_init=-100.0))
    t = sim.record(h._ref_t)
    b = sim.record(s._ref_B)
    sim.run()
    t, b = np.asarray(t), np.asarray(b)
    after = t >= 2.0
    b0, binf = b[after][0], b[-1]
    frac = (b[after] - b0) / (binf - b0)
    k = int(np.argmax(frac >= 1 - np.exp(-1)))
    tau = t[after][k] - 2.0
    expected = 1.0 / (0.05 * 1.0 + 12.8)
    assert tau == pytest.approx(expected, rel=0.10)


def vcr_step(h, mg=1.0, celsius=22.0, v0=-70.0, v1=40.0, t_step=2.0, tstop=150.0):
    """Block model 3 at steady state at v0, clamped to v1 at t_step: t (ms) and B."""
    cells = clamped_compartments([v0], name="vcr")
    c = cells.clamps[0]
    c.dur1, c.dur2, c.amp2 = t_step, 1e9, v1
    (s,) = cells.place("NMDAMg", block_model=3)
    cells.segments[0].mgo = mg
    sim = Simulation(RunSettings(tstop=tstop, dt=0.005, celsius=celsius, v_init=v0))
    t = sim.record(h._ref_t)
    b = sim.record(s._ref_B)
    sim.run()
    t, b = np.asarray(t).copy(), np.asarray(b).copy()
    return t, b


def _two_exp(t, binf, a1, tau1, a2, tau2):
    return binf - a1 * np.exp(-t / tau1) - a2 * np.exp(-t / tau2)


@pytest.mark.validation
def test_vcr_unblock_has_fast_and_slow_components(h):
    """Step -70 -> +40 mV at 1 mM Mg, 22 degC (the reference temperature): B(t) after the
    step fitted by two exponentials (scipy curve_fit) gives tau_fast within 25 % of
    0.7 ms and tau_slow within 25 % of 23 ms (Vargas-Caballero & Robinson 2003/2004),
    each with at least 15 % of the unblock. Control: one exponential fits worse."""
    t, b = vcr_step(h)
    after = t >= 2.0 + 0.01
    x, y = t[after] - 2.0, b[after]
    p0 = (y[-1], 0.5, 0.5, 0.3, 15.0)
    (binf, a1, tau1, a2, tau2), _ = curve_fit(_two_exp, x, y, p0=p0, maxfev=20000)
    if tau1 > tau2:
        a1, tau1, a2, tau2 = a2, tau2, a1, tau1
    assert tau1 == pytest.approx(0.7, rel=0.25)
    assert tau2 == pytest.approx(23.0, rel=0.25)
    assert min(a1, a2) / (a1 + a2) > 0.15
    resid2 = np.sum((y - _two_exp(x, binf, a1, tau1, a2, tau2)) ** 2)

    def one(t_, binf_, a_, tau_):
        return binf_ - a_ * np.exp(-t_ / tau_)

    p1, _ = curve_fit(one, x, y, p0=(y[-1], 0.9, 5.0), maxfev=20000)
    assert np.sum((y - one(x, *p1)) ** 2) > 10 * resid2


@pytest.mark.validation
def test_vcr_time_constants_scale_with_q10(h):
    """At 34 degC both time constants are 2^1.2 shorter (Q10 2 from 22 degC): the fitted
    ones within 10 % of the scheme's eigenvalues (mgblock.vcr_time_constants)."""
    t, b = vcr_step(h, celsius=34.0, tstop=80.0)
    after = t >= 2.0 + 0.005
    x, y = t[after] - 2.0, b[after]
    popt, _ = curve_fit(_two_exp, x, y, p0=(y[-1], 0.5, 0.3, 0.3, 10.0), maxfev=20000)
    taus = sorted((popt[2], popt[4]))
    ref = vcr_time_constants(40.0, 1.0, 34.0)
    assert taus[0] == pytest.approx(ref[0], rel=0.10)
    assert taus[1] == pytest.approx(ref[1], rel=0.10)
    assert ref[1] == pytest.approx(23.0 / 2**1.2, rel=0.02)


@pytest.mark.validation
@pytest.mark.parametrize("mg", (0.03, 0.1, 0.3))
def test_vcr_kd_at_minus_60(h, mg):
    """Block model 3 relaxed (from 0 mV, 400 ms) to its steady state at -60 mV:
    Kd = [Mg] B / (1 - B) within 2 % of 0.0724 mM and of ic50_formula(3, -60).
    Control: the kinetic model 2 (Kd 0.0859 mM) is outside that tolerance."""
    cells = clamped_compartments([-60.0], name="kd")
    (s,) = cells.place("NMDAMg", block_model=3)
    cells.segments[0].mgo = mg
    sim = Simulation(RunSettings(tstop=400.0, dt=0.025, celsius=34.0, v_init=0.0))
    sim.run()
    kd = mg * s.B / (1.0 - s.B)
    assert kd == pytest.approx(0.0724, rel=0.02)
    assert ic50_formula(3, -60.0) == pytest.approx(0.0724, rel=1e-9)
    assert abs(ic50_formula(2, -60.0) / 0.0724 - 1) > 0.02
    assert BLOCK_MODELS[3] == "Vargas-Caballero-Robinson"


@pytest.mark.parametrize("model", (0, 1, 2, 3, 4))
def test_no_block_without_mg(h, model):
    """[Mg]o = 0: B = 1 at every voltage, for every model."""
    b, _ = clamped_B(h, model, 0.0, VOLTAGES)
    np.testing.assert_allclose(b, 1.0, atol=1e-9)


def test_unknown_block_model_is_a_clear_error(h):
    sec = h.Section()
    s = h.NMDAMg(sec(0.5))
    s.block_model = 7
    with pytest.raises(RuntimeError):
        h.finitialize(-65)
    s.block_model = 0
    h.finitialize(-65)


def test_calcium_current_is_written_to_ica(h):
    """ica (GHK fraction of i at the clamp potential) reaches the ion and the synapse's
    RANGE ica; q and qca integrate -i and -ica (1 %)."""
    cells = clamped_compartments([-20.0])
    sec = cells.sections[0]
    (s,) = cells.place("NMDAMg", gmax=0.001)
    ns = h.NetStim()
    ns.start, ns.number = 1.0, 1
    nc = h.NetCon(ns, s, 0, 0, 1.0)
    sim = Simulation(RunSettings(tstop=50.0, dt=0.025))
    i = sim.record(s._ref_i)
    ica = sim.record(sec(0.5)._ref_ica)
    ica_pp = sim.record(s._ref_ica)
    sim.run()
    i, ica, ica_pp = np.asarray(i), np.asarray(ica), np.asarray(ica_pp)
    k = int(np.argmin(i))
    area_cm2 = sec(0.5).area() * 1e-8
    pf = float(fractional_ca_current(sec(0.5).v))
    # density ica (mA/cm2) * area (cm2) * 1e6 -> nA
    assert ica[k] * area_cm2 * 1e6 == pytest.approx(pf * i[k], rel=1e-4)
    assert ica_pp[k] == pytest.approx(pf * i[k], rel=1e-4)
    q_int = -np.trapezoid(i, dx=0.025)
    assert s.q == pytest.approx(q_int, rel=0.01)
    assert s.qca == pytest.approx(-np.trapezoid(ica_pp, dx=0.025), rel=0.01)
    assert s.qca == pytest.approx(pf * s.q, rel=1e-3)
    del nc


@pytest.mark.parametrize("mech", ["NMDAMg", "GluSynMg"])
def test_kinetic_state_is_only_integrated_for_the_kinetic_model(h, mech):
    """The kinetic block state (mgblocked) follows k_on/k_off only with block_model 2;
    with the instantaneous models it is not read and stays at 0 (no exp() per step), and
    their B is unchanged: the closed forms still hold (tests above)."""
    states = {}
    for model in (0, 1, 2):
        cells = clamped_compartments([-30.0], name="ks")
        (syn,) = cells.place(mech, block_model=model)
        cells.segments[0].mgo = 1.0
        sim = Simulation(RunSettings(tstop=5.0, dt=0.025, celsius=34.0, v_init=-30.0))
        rec = sim.record(syn._ref_mgblocked)
        sim.run()
        states[model] = np.asarray(rec).copy()
        del rec, syn, cells, sim
    assert not states[0].any() and not states[1].any()
    # model 2 at -30 mV, 1 mM: blocked fraction 1 - B_inf of Kampa et al. 2004
    assert states[2][-1] == pytest.approx(1.0 - kinetic_ss(-30.0, 1.0), rel=1e-6)


def test_clamped_compartments_hold_each_compartment_at_its_voltage(h):
    """The voltage-clamp preparation: every compartment (passive membrane, e_pas -70 mV)
    is at its own command after 1 ms, within 0.01 mV; exactly at the closed-form steady
    state of a clamp with series resistance rs, V = (Vc + rs G e) / (1 + rs G) with G the
    leak conductance (the clamp settles in rs C ~ 3 ns), to 1e-6 mV."""
    voltages = (-100.0, -70.0, -40.0, 0.0, 40.0)
    cells = clamped_compartments(voltages, L_um=10.0, diam_um=10.0, rs_MOhm=1e-3)
    assert len(cells) == len(voltages) and cells.voltages_mV == voltages
    assert [c.amp1 for c in cells.clamps] == list(voltages)
    assert all(c.rs == 1e-3 and c.dur1 >= 1e9 for c in cells.clamps)
    for sec in cells.sections:
        sec.insert("pas")
        sec.g_pas, sec.e_pas = 1e-3, -70.0  # S/cm2: 3.1 nS over the 314 um2 of a compartment
    sim = Simulation(RunSettings(tstop=1.0, dt=0.025, v_init=-65.0))
    v = [sim.record(seg._ref_v) for seg in cells.segments]
    sim.run()
    for vc, vec, seg in zip(voltages, v, cells.segments, strict=True):
        g_uS = 1e-3 * seg.area() * 1e-8 * 1e6  # S/cm2 * um2 -> cm2 -> uS
        rs_g = 1e-3 * g_uS  # MOhm * uS
        expected = (vc + rs_g * -70.0) / (1.0 + rs_g)
        assert vec[-1] == pytest.approx(vc, abs=0.01)
        assert vec[-1] == pytest.approx(expected, abs=1e-6)
