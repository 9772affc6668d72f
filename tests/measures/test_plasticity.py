"""The Graupner & Brunel (2012) rule: the CaPlasticity mechanism against solve_ivp.

Reference: an independent integration of the published equations (GB2012 eq. 1, the
cortical-slice parameters) and of the spine Ca2+ balance, with scipy's RK45
(:func:`mgneuron.measures.plasticity.integrate_rule`), for a prescribed Ca2+ current
played into the mechanism's POINTER. Tolerance: rho within 2e-4 absolute (1 % of the
change of rho over the trace) and Ca2+ within 1 % of its peak; NEURON integrates with
backward Euler at dt = 0.025 ms, whose error on a 22.7 ms decay is ~0.05 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.errors import MgNeuronError
from mgneuron.measures.plasticity import (
    GB2012_CORTICAL,
    SPINE_CA,
    GBParams,
    drift,
    dw_pct,
    integrate_rule,
    time_above_ms,
)

CA_SCALE = 1.0  # uM per unit of c, for these tests
DT = 0.025


def _pulses(t_ms: np.ndarray, starts, amp_nA: float, width_ms: float) -> np.ndarray:
    """A train of square Ca2+ current pulses (nA, negative inward)."""
    i = np.zeros_like(t_ms)
    for s in starts:
        i[(t_ms >= s) & (t_ms < s + width_ms)] = amp_nA
    return i


def _run_mechanism(h, t_ms: np.ndarray, ica_nA: np.ndarray, **params) -> dict:
    """CaPlasticity in a bare section, its ica_syn POINTER fed from Vector.play."""
    sec = h.Section(name="spine_test")
    mech = h.CaPlasticity(sec(0.5))
    mech.ca_scale = CA_SCALE
    mech.pbar_vgcc = 0.0
    rule = GB2012_CORTICAL
    for name in ("theta_d", "theta_p", "gamma_d", "gamma_p", "rho_star", "b"):
        setattr(mech, name, getattr(rule, name))
    mech.tau_rho = rule.tau_rho_ms
    for k, v in params.items():
        setattr(mech, k, v)
    h("double plast_test_ica[1], plast_test_w[1]")
    h.setpointer(h._ref_plast_test_ica[0], "ica_syn", mech)
    h.setpointer(h._ref_plast_test_w[0], "wsyn", mech)
    tvec, ivec = h.Vector(t_ms), h.Vector(ica_nA)
    # piecewise constant, changing at the sample times (continuous=0)
    ivec.play(h._ref_plast_test_ica[0], tvec)
    rec = {name: h.Vector().record(getattr(mech, f"_ref_{name}")) for name in ("casp", "rho")}
    rec_w = h.Vector().record(h._ref_plast_test_w[0])
    h.dt, h.secondorder = DT, 0
    h.cvode_active(0)
    h.finitialize(-70.0)
    h.continuerun(float(t_ms[-1]))
    out = {k: np.array(v) for k, v in rec.items()}
    out["w"] = np.array(rec_w)
    out["t_p"], out["t_d"] = mech.t_p, mech.t_d
    out["ca_peak"] = mech.ca_peak
    del mech, sec
    return out


def test_rule_matches_solve_ivp_for_a_prescribed_current(h):
    """Three bursts of Ca2+ current, each reaching c above theta_p, then decay: the
    mechanism's Ca2+ and rho follow the reference; w = w0 + rho (w1 - w0) reaches the
    synapse's pointer."""
    t = np.arange(0, 400.0 + DT / 2, DT)
    k = SPINE_CA.rate_uM_per_ms_per_nA()
    amp = -2.5 * CA_SCALE / (k * 5.0)  # ~2.5 units of c in 5 ms
    starts = [20.0, 120.0, 220.0]
    i = _pulses(t, starts, amp, 5.0)
    got = _run_mechanism(h, t, i)
    # the reference samples the same piecewise-constant current
    ref = integrate_rule(
        t, lambda s: float(i[min(int(s / DT + 1e-9), i.size - 1)]), CA_SCALE, rho0=0.5
    )
    assert got["casp"].max() > 2.0 * CA_SCALE  # the trace crosses both thresholds
    np.testing.assert_allclose(got["casp"], ref["ca_uM"], atol=0.01 * ref["ca_uM"].max())
    change = abs(ref["rho"][-1] - ref["rho"][0])
    assert change > 0.01  # the rule moved rho: the comparison can fail
    np.testing.assert_allclose(got["rho"], ref["rho"], atol=max(2e-4, 0.01 * change))
    p = GB2012_CORTICAL
    # the pointer's recording trails rho by one step (it is recorded before the
    # BREAKPOINT of the step writes it)
    w_expected = p.w0 + got["rho"] * (p.w1 - p.w0)
    np.testing.assert_allclose(got["w"][1:], w_expected[:-1], rtol=1e-12)
    assert got["w"][0] == pytest.approx(1.0, abs=1e-12)
    c = (ref["ca_uM"] - SPINE_CA.ca_rest_uM) / CA_SCALE
    assert got["t_p"] == pytest.approx(time_above_ms(t, c, p.theta_p), abs=0.1)
    assert got["t_d"] == pytest.approx(time_above_ms(t, c, p.theta_d), abs=0.1)
    assert got["ca_peak"] == pytest.approx(ref["ca_uM"].max(), rel=0.01)


def test_depression_only_between_thresholds(h):
    """Ca2+ between theta_d and theta_p lowers rho, as the reference does; a control
    trace that stays below theta_d leaves rho at the fixed point rho* = 0.5."""
    t = np.arange(0, 300.0 + DT / 2, DT)
    k = SPINE_CA.rate_uM_per_ms_per_nA()
    # a plateau of c ~ 1.15: current balancing extrusion
    i = np.where((t >= 10) & (t < 200), -1.15 * CA_SCALE / SPINE_CA.tau_ca_ms / k, 0.0)
    got = _run_mechanism(h, t, i)
    ref = integrate_rule(t, lambda s: float(i[min(int(s / DT + 1e-9), i.size - 1)]), CA_SCALE)
    assert ref["rho"][-1] < 0.5 - 0.05
    np.testing.assert_allclose(got["rho"], ref["rho"], atol=1e-3 * 0.5)
    assert got["t_p"] == 0.0 and got["t_d"] > 100.0
    low = _run_mechanism(h, t, 0.5 * i)
    np.testing.assert_allclose(low["rho"], 0.5, atol=1e-12)


def test_rho_is_frozen_before_t0(h):
    """Before t = 0 (the steady-state settling) the rule does not move rho."""
    sec = h.Section(name="spine_t0")
    mech = h.CaPlasticity(sec(0.5))
    h("double plast_t0_ica[1], plast_t0_w[1]")
    h.plast_t0_ica[0] = -1.0  # a large current: c far above theta_p
    h.setpointer(h._ref_plast_t0_ica[0], "ica_syn", mech)
    h.setpointer(h._ref_plast_t0_w[0], "wsyn", mech)
    h.cvode_active(0)
    h.finitialize(-70.0)
    h.t = -1000.0
    for _ in range(100):
        h.fadvance()
    assert h.t < 0 and mech.casp > 10.0
    assert mech.rho == 0.5 and mech.t_p == 0.0


def test_drift_closed_form():
    """The drift at the fixed points and its rates above threshold (GB2012 eq. 1)."""
    p = GB2012_CORTICAL
    for rho in (0.0, p.rho_star, 1.0):
        assert drift(rho, 0.0) == 0.0
    assert drift(0.5, 1.2) == pytest.approx(-p.gamma_d * 0.5 / p.tau_rho_ms)
    assert drift(0.5, 2.0) == pytest.approx((p.gamma_p - p.gamma_d) * 0.5 / p.tau_rho_ms)
    assert p.w1 / p.w0 == pytest.approx(p.b) and p.w0 + 0.5 * (p.w1 - p.w0) == 1.0


def test_bad_inputs_are_named():
    with pytest.raises(MgNeuronError, match="theta_p"):
        GBParams(theta_p=0.5)
    with pytest.raises(MgNeuronError, match="tau_rho_ms"):
        GBParams(tau_rho_ms=0.0)
    with pytest.raises(MgNeuronError, match="weight before"):
        dw_pct(0.0, 1.0)
    with pytest.raises(MgNeuronError, match="increasing"):
        integrate_rule(np.array([0.0, 0.0]), lambda s: 0.0, 1.0)
    assert dw_pct(1.0, 1.1) == pytest.approx(10.0)
