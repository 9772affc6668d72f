"""The human axon of threshold tracking (mgneuron.axon.human, mechanisms/human_axon.mod).

References: the two-compartment passive circuit in closed form (capacitances, the
Barrett-Barrett coupling and the pump balance of the builder), the stated gate
formulas, and the Python reference of the screening shift.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.axon.human import FIBRES, HumanAxonSpec, human_axon_spec
from mgneuron.environment import Environment
from mgneuron.errors import AxonError
from mgneuron.preparations.threshold_tracking import threshold_tracking

PASSIVE = {f"{part}_{ch}_nS": 0.0 for part in ("node", "int")
           for ch in ("nat", "nap", "kf", "ks", "h")}  # fmt: skip


def _passive_node_mV(spec: HumanAxonSpec, amp_nA: float, t_ms: np.ndarray) -> np.ndarray:
    """Node potential of the linear two-compartment circuit under a current step at t = 0.

    Cn dVn/dt = -Gn Vn - Gbb (Vn - Vi) + I,  Ci dVi/dt = -Gi Vi - Gbb (Vi - Vn)  (from
    rest; pF, nS, nA, ms -> mV with 1 nA / 1 nS = 1000 mV and 1 nS / 1 pF = 1 / ms).
    """
    cn, ci, gbb = spec.c_node_pF, spec.c_int_pF, spec.gbb_nS
    gn, gi = spec.node_lk_nS, spec.int_lk_nS
    a = np.array([[-(gn + gbb) / cn, gbb / cn], [gbb / ci, -(gi + gbb) / ci]])
    b = np.array([amp_nA * 1000.0 / cn, 0.0])
    v_inf = -np.linalg.solve(a, b)
    w, vecs = np.linalg.eig(a)
    coef = np.linalg.solve(vecs, -v_inf)
    out = v_inf[0] + sum(coef[k] * vecs[0, k] * np.exp(w[k] * t_ms) for k in range(2))
    return np.real(out)


def test_passive_circuit_matches_closed_form(h):
    """Gated channels off: the node's response to a 0.05 nA step over 20 ms matches the
    closed form within 0.5 % of its final value (backward Euler, dt 0.002 ms), and the
    pump balances the leak at v_rest exactly."""
    spec = human_axon_spec("motor", **PASSIVE)
    with threshold_tracking(spec, Environment(), dt=0.002, settle_ms=5.0) as tr:
        tr.run((0.05, 1.0, 30.0), (0.0, 0.0, 0.0), 21.0, record=True)
        t, v = tr.trace()
    assert tr.rest_mV == pytest.approx(spec.v_rest_mV, abs=1e-9)
    sel = t >= 1.0
    ref = _passive_node_mV(spec, 0.05, t[sel] - 1.0)
    dv = v[sel] - spec.v_rest_mV
    assert np.max(np.abs(dv - ref)) < 0.005 * ref[-1], np.max(np.abs(dv - ref))


@pytest.mark.parametrize("fibre", list(FIBRES))
def test_rest_is_v_rest_in_the_reference_bath(h, fibre):
    """Full channel set, 1 mM Mg / 2 mM Ca: rest at v_rest (the pumps' balance), no
    spontaneous spikes, no drift; both pumps are outward currents."""
    spec = human_axon_spec(fibre)
    with threshold_tracking(spec, Environment(mg_mM=1.0, ca_mM=2.0)) as tr:
        tr.run((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 50.0, record=True)
        _, v = tr.trace()
        pumps = [sec(0.5).human_axon.ipump0 for sec in tr.axon.sections]
        assert tr.settle_spikes == 0 and abs(tr.settle_drift_mV) < 1e-6
        assert np.allclose(v, spec.v_rest_mV, atol=1e-6)
    assert min(pumps) > 0.0


def test_gates_and_screening_shift(h):
    """Stated closed forms: s_inf a Boltzmann of half -60 mV, slope 11 mV; q_inf of half
    vq, slope -6 mV; the persistent activation is m's shifted by vp. The gating shift in
    the mechanism equals the Python reference of the screening model (1e-9 mV) and moves
    every steady state along the voltage axis."""
    from mgneuron.screening import shift_mV

    spec = human_axon_spec("motor")
    bath = Environment(mg_mM=0.3, ca_mM=1.2)
    with threshold_tracking(spec, bath, settle_ms=1.0) as tr:
        mech = tr.axon.node(0.5).human_axon
        assert mech.vgate == pytest.approx(tr.shift_mV, abs=1e-9)
        assert tr.shift_mV == pytest.approx(
            shift_mV(0.3, 1.2, _current_screening(), 37.0), abs=1e-9
        )
        assert tr.shift_mV < 0.0  # fewer divalents: gating at more negative voltages
        shift = tr.shift_mV
        h.setdata_human_axon(tr.axon.node(0.5))
        for v in (-100.0, -84.0, -60.0, -40.0):
            h.rates_human_axon(v)
            u = v - shift
            assert mech.s_inf == pytest.approx(1 / (1 + math.exp(-(u + 60) / 11)), rel=1e-9)
            assert mech.q_inf == pytest.approx(1 / (1 + math.exp((u + 110) / 6)), rel=1e-9)
            p_here = mech.p_inf
            h.rates_human_axon(v - mech.vp)  # m at v - vp is p at v
            assert mech.m_inf == pytest.approx(p_here, rel=1e-9)


def _current_screening():
    from mgneuron.bath import current_screening

    return current_screening()


def test_spec_refuses_bad_values():
    with pytest.raises(AxonError, match="c_node_pF"):
        HumanAxonSpec(c_node_pF=0.0)
    with pytest.raises(AxonError, match="int_ks_nS"):
        HumanAxonSpec(int_ks_nS=-1.0)
    with pytest.raises(AxonError, match="v_rest_mV"):
        HumanAxonSpec(v_rest_mV=-95.0)
    with pytest.raises(AxonError, match="unknown fibre"):
        human_axon_spec("autonomic")


#: The human-node rate table as published (A /ms, B mV, C mV at 37 degC; T = 310.16 K in
#: the model's GHK terms): Bostock's human axon model as given in chapter 10 of the CRC
#: "Computational Neuroscience" volume (ISBN 978-1-4665-7832-6), the model of Howells et
#: al. 2012 (J Physiol 590:1625). Forms: alpha_m, alpha_n = A (V - B) / (1 - exp((B - V) / C))
#: as printed there; beta_m, beta_n, alpha_h = A (B - V) / (1 - exp((V - B) / C)) and
#: beta_h = A / (1 + exp((B - V) / C)) were not legible in the copy read and are the
#: Frankenhaeuser-Huxley forms of the human node (Schwarz, Reid & Bostock 1995), as in the
#: node of McIntyre et al. 2002.
PUBLISHED_RATES = {
    "am": (1.872, -56.59, 6.06), "bm": (3.973, -61.0, 9.41),
    "ah": (0.550, -109.74, 9.06), "bh": (22.61, -26.0, 12.5),
    "an": (0.129, -53.0, 10.0), "bn": (0.324, -78.0, 10.0),
}  # fmt: skip


def _published(v: float, q_m: float = 1.0, q_h: float = 1.0) -> dict[str, float]:
    def up(a, b, c):
        return a * (v - b) / (1 - math.exp((b - v) / c))

    def down(a, b, c):
        return a * (b - v) / (1 - math.exp((v - b) / c))

    r = PUBLISHED_RATES
    am, bm = q_m * up(*r["am"]), q_m * down(*r["bm"])
    ah, bh = q_h * down(*r["ah"]), q_h * r["bh"][0] / (1 + math.exp((r["bh"][1] - v) / r["bh"][2]))
    an, bn = q_m * up(*r["an"]), q_m * down(*r["bn"])
    return {"m_inf": am / (am + bm), "tau_m": 1 / (am + bm), "h_inf": ah / (ah + bh),
            "tau_h": 1 / (ah + bh), "n_inf": an / (an + bn), "tau_n": 1 / (an + bn)}  # fmt: skip


@pytest.mark.parametrize("celsius", [37.0, 27.0])
def test_na_and_kf_gates_are_the_published_table(h, celsius):
    """m, h (transient Na+) and n (Kf) equal the published rate table (1e-9 relative; no
    gating shift in the reference bath) at 37 degC, and scale with Q10 2.2 (m, n) and 2.9
    (h) below it. At rest (-84 mV, 37 degC) Na+ inactivation recovers with a time constant
    of 0.91 ms and h_inf = 0.80: the refractory period of the model follows from them."""
    spec = human_axon_spec("motor")
    with threshold_tracking(spec, Environment(mg_mM=1.0, ca_mM=2.0), celsius=celsius,
                            settle_ms=1.0) as tr:  # fmt: skip
        assert tr.shift_mV == 0.0
        h.setdata_human_axon(tr.axon.node(0.5))
        mech = tr.axon.node(0.5).human_axon
        q_m, q_h = 2.2 ** ((celsius - 37) / 10), 2.9 ** ((celsius - 37) / 10)
        for v in (-120.0, -84.0, -70.0, -55.0, -30.0, 0.0, 30.0):
            h.rates_human_axon(v)
            ref = _published(v, q_m, q_h)
            got = {"m_inf": mech.m_inf, "tau_m": mech.tau_m, "h_inf": mech.h_inf,
                   "tau_h": mech.tau_h, "n_inf": mech.n_inf,
                   "tau_n": mech.tau_n}  # fmt: skip
            for key, value in ref.items():
                assert got[key] == pytest.approx(value, rel=1e-9), (v, key)
    if celsius == 37.0:
        rest = _published(-84.0)
        assert rest["tau_h"] == pytest.approx(0.91, abs=0.01)
        assert rest["h_inf"] == pytest.approx(0.80, abs=0.01)
