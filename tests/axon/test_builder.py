"""Tests of mgneuron.axon.builder: the double cable in NEURON and the node mechanism.

References: MRG 2002 (McIntyre, Richardson & Grill, J Neurophysiol 87:995), Table 1 and
Appendix: geometry and rate equations (re-evaluated here in numpy, an independent
transcription of the Appendix); the double-cable parameters are checked against hand
computations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron import axon as ax
from mgneuron.axon import MyelinatedAxonSpec, MyelinState


def test_built_geometry_and_double_cable_parameters(h):
    spec = MyelinatedAxonSpec(10.0, (MyelinState(), MyelinState(lamellae_fraction=0.5)))
    a = ax.build_axon(spec)
    g = spec.geometry
    assert len(a.nodes) == 3 and len(a.sections) == 3 + 2 * 10
    assert np.diff(a.node_x_um) == pytest.approx([1150.0, 1150.0])
    stin = a.internode_sections[0][4]
    assert stin.L == pytest.approx((1150 - 1 - 2 * 3 - 2 * 46) / 6)
    assert stin.diam == pytest.approx(6.9)
    # Myelin: 2 nl membranes of 0.001 S/cm2 in series on the 10 um outer surface,
    # referred to the 6.9 um axolemma (hand computation).
    assert stin(0.5).xg[0] == pytest.approx(0.001 / 240 * 10 / 6.9)
    assert stin(0.5).xc[0] == pytest.approx(0.1 / 240 * 10 / 6.9)
    thin = a.internode_sections[1][4]
    d_out = 6.9 + 0.5 * (10 - 6.9)
    assert thin(0.5).xg[0] == pytest.approx(0.001 / 120 * d_out / 6.9)
    # Periaxonal resistance of the 4 nm STIN gap: 70 Ohm cm over the annulus, MOhm/cm.
    area_cm2 = math.pi * ((3.45 + 0.004) ** 2 - 3.45**2) * 1e-8
    assert stin(0.5).xraxial[0] == pytest.approx(70 / area_cm2 * 1e-6)
    assert a.nodes[0](0.5).mrg_node.gnafbar == 3.0 and g.lamellae == 120
    # Default: the published one-compartment-per-segment model (MRG 2002, ModelDB 3810).
    assert all(sec.nseg == 1 for sec in a.sections)


def test_outer_diameter_convention_of_thinned_myelin(h):
    """``outer_diameter="kept"`` leaves a thinned sheath's outer surface at the fibre
    diameter (only nl scales); ``"shrinks"`` (default) at d + f (D - d). Healthy
    internodes are the same either way."""
    states = (MyelinState(), MyelinState(lamellae_fraction=0.25))
    shrunk = ax.build_axon(MyelinatedAxonSpec(10.0, states))
    kept = ax.build_axon(MyelinatedAxonSpec(10.0, states, outer_diameter="kept"))
    thin_s, thin_k = shrunk.internode_sections[1][4], kept.internode_sections[1][4]
    assert thin_k(0.5).xg[0] == pytest.approx(0.001 / 60 * 10 / 6.9)
    assert thin_s(0.5).xg[0] == pytest.approx(0.001 / 60 * (6.9 + 0.25 * 3.1) / 6.9)
    assert kept.internode_sections[0][4](0.5).xc[0] == shrunk.internode_sections[0][4](0.5).xc[0]


def test_lumped_node_seal_does_not_depend_on_node_segments(h):
    def half_node_resistance(spec):
        a = ax.build_axon(spec)
        node = a.nodes[0]
        return node(0.5).xraxial[0] * node.L / node.nseg / 2

    base = MyelinatedAxonSpec(10.0, ax.healthy(1), discretization="converged")
    r1 = half_node_resistance(base)
    assert half_node_resistance(base.with_(segment_scale=3)) == pytest.approx(r1)
    wide = base.with_(internodes=ax.paranodal_retraction(1, 3.0, 1.0))
    assert half_node_resistance(wide) == pytest.approx(r1)


def _rates_36(v):
    """MRG 2002 Appendix rate constants (/ms) at 36 degC, numpy (independent copy)."""

    def lt(x, k):
        return x / (1 - np.exp(-x / k))

    am, bm = 6.57 * lt(v + 21.4, 10.3), 0.304 * lt(-(v + 25.7), 9.16)
    ah, bh = 0.34 * lt(-(v + 114.0), 11.0), 12.6 / (1 + np.exp(-(v + 31.8) / 13.4))
    ap, bp = 0.0353 * lt(v + 27.0, 10.2), 0.000883 * lt(-(v + 34.0), 10.0)
    as_, bs = 0.3 / (1 + np.exp((v + 53.0) / -5.0)), 0.03 / (1 + np.exp((v + 90.0) / -1.0))
    return (am, bm), (ah, bh), (ap, bp), (as_, bs)


@pytest.mark.parametrize("v", [-100.0, -80.0, -60.0, -40.0, -20.0, 10.0])
def test_node_gating_steady_state_matches_the_paper(h, v):
    """Steady-state gates after finitialize(v) vs the Appendix equations (rel 1e-9);
    time constants need Q10 scaling and are checked in the next test."""
    sec = h.Section(name="probe")
    sec.insert("mrg_node")
    h.celsius = 36.0
    h.finitialize(v)
    m = sec(0.5).mrg_node
    for (a, b), gate in zip(_rates_36(v), (m.m, m.h, m.p, m.s), strict=True):
        assert gate == pytest.approx(a / (a + b), rel=1e-9, abs=1e-12)


def test_node_rates_scale_with_q10_and_shift_with_vshift(h):
    """A 1 ms voltage step from v0 relaxes m with tau = 1/(Q10 (a+b)); checked against
    the closed-form exponential at 37 degC (Q10 2.2, tref 36). vshift = 10 mV gives the
    steady state of v - 10 mV."""
    sec = h.Section(name="probe")
    sec.insert("mrg_node")
    m = sec(0.5).mrg_node
    m.vshift = 10.0
    h.celsius = 36.0
    h.finitialize(-50.0)
    (a, b), *_ = _rates_36(-60.0)
    assert m.m == pytest.approx(a / (a + b), rel=1e-9)
    m.vshift = 0.0
    # Relaxation of s (slow, single exponential) under voltage clamp at -40 from -80 mV.
    clamp = h.SEClamp(sec(0.5))
    clamp.rs, clamp.dur1, clamp.amp1 = 1e-6, 100.0, -40.0
    h.celsius = 37.0
    h.dt = 0.001
    h.finitialize(-80.0)
    s0 = m.s
    h.continuerun(1.0)
    (_, _, _, (a40, b40)) = _rates_36(-40.0)
    q = 3.0 ** ((37 - 36) / 10)
    s_inf, tau = a40 / (a40 + b40), 1 / (q * (a40 + b40))
    expected = s_inf + (s0 - s_inf) * math.exp(-1.0 / tau)
    assert m.s == pytest.approx(expected, rel=2e-3)
