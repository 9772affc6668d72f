"""Tests of mgneuron.morphology.discretize: the d_lambda rule and passive cables.

References used here (each test names its own and its tolerance): the d_lambda formula of
Hines & Carnevale (The NEURON Book, ch. 5); the finite sealed-end cable (Rall; Johnston &
Wu 1995, ch. 4) for input resistance and the membrane time constant.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.errors import MorphologyError
from mgneuron.morphology import DLambda, discretization_report, lambda_f
from tests.morphology.conftest import MORPH_DIR, quiet_load


def _cylinder(h, length, diam, ra, cm):
    sec = h.Section(name="cyl")
    sec.L, sec.diam, sec.Ra, sec.cm = length, diam, ra, cm
    return sec


@pytest.mark.parametrize("freq", [50.0, 100.0, 400.0, 1000.0])
@pytest.mark.parametrize("ra", [35.4, 150.0, 600.0])
def test_d_lambda_matches_formula(h, freq, ra):
    """nseg = 2 int((L/(d_lambda lambda_f) + 0.9)/2) + 1, lambda_f = 1e5 sqrt(d/(4 pi f Ra cm)).

    Reference: the formula evaluated here by hand (The NEURON Book, ch. 5); exact match.
    """
    sec = _cylinder(h, 1000.0, 2.0, ra, 1.0)
    lam = 1e5 * math.sqrt(2.0 / (4 * math.pi * freq * ra * 1.0))
    assert lambda_f(sec, freq) == pytest.approx(lam, rel=1e-12)
    expected = 2 * int((1000.0 / (0.1 * lam) + 0.9) / 2) + 1
    assert DLambda(0.1, freq).nseg(sec) == expected
    report = discretization_report([sec], freq)
    assert report.n_segments == 1  # not applied yet
    DLambda(0.1, freq).apply([sec])
    assert sec.nseg == expected and sec.nseg % 2 == 1
    report = discretization_report([sec], freq)
    assert report.max_segment_lambda == pytest.approx(1000.0 / lam / expected, rel=1e-9)
    assert report.max_segment_lambda <= 0.1 * 1.05


def test_d_lambda_trends(h):
    """nseg grows with frequency and shrinks with Ra, as the formula says."""
    sec = _cylinder(h, 2000.0, 1.0, 100.0, 1.0)
    by_freq = [DLambda(0.1, f).nseg(sec) for f in (10, 100, 1000, 10000)]
    assert by_freq == sorted(by_freq) and by_freq[-1] > by_freq[0]
    by_ra = []
    for ra in (50, 200, 800):
        sec.Ra = ra
        by_ra.append(DLambda(0.1, 100).nseg(sec))
    # lambda_f ~ 1/sqrt(Ra): more Ra, shorter lambda, *more* segments ...
    assert by_ra == sorted(by_ra)
    # ... and a coarser rule (larger d_lambda) gives fewer segments.
    assert DLambda(0.3, 100).nseg(sec) < DLambda(0.1, 100).nseg(sec)
    with pytest.raises(MorphologyError):
        DLambda(0.0)


def _input_resistance(h, seg) -> float:
    imp = h.Impedance()
    imp.loc(seg.x, sec=seg.sec)
    imp.compute(0, 1)
    return imp.input(seg.x, sec=seg.sec)


def _passive(morph, ra=150.0, cm=1.0, rm=20000.0):
    for sec in morph.sections:
        sec.Ra, sec.cm = ra, cm
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1.0 / rm, -70.0


@pytest.mark.validation
@pytest.mark.parametrize("name", ["ca1_pyramidal_n120.swc", "l5pc_c060114a7.asc"])
def test_input_resistance_converges_with_d_lambda(h, name):
    """Soma input resistance changes by <= 1 % when the d_lambda frequency is doubled.

    Reference: the same cell discretised at 100 Hz vs 200 Hz (second method: a finer
    discretisation); tolerance 1 %.
    """
    morph = quiet_load(MORPH_DIR / name)
    _passive(morph)
    values = []
    for freq in (100.0, 200.0):
        DLambda(0.1, freq).apply(morph.sections)
        values.append(_input_resistance(h, morph.origin))
    morph.delete()
    assert values[1] == pytest.approx(values[0], rel=0.01)
    assert values[0] > 0


# --------------------------------------------------------------------------------------
# Passive cable vs the analytic solution
# --------------------------------------------------------------------------------------


@pytest.mark.validation
def test_passive_cylinder_input_resistance_and_tau(h, tmp_path):
    """A sealed-end cylinder loaded from SWC: R_in and tau_m from simulation vs cable theory.

    Reference: finite cable with sealed far end (Johnston & Wu 1995, eq. 4.5.x):
    R_in = r_a * lambda * coth(L / lambda), r_a = 4 Ra / (pi d^2), lambda = sqrt(Rm d /
    (4 Ra)); the slowest decay of a uniform sealed cable is tau_m = Rm Cm. Tolerance 1 %.
    Simulation: a 600 ms current step at x = 0 (steady state), then the late decay after
    the step (log-linear fit between 5 and 8 tau).
    """
    length, diam, ra, rm, cm = 800.0, 2.0, 150.0, 20000.0, 1.0
    p = tmp_path / "cylinder.swc"
    p.write_text(f"1 3 0 0 0 {diam / 2} -1\n2 3 {length} 0 0 {diam / 2} 1\n")
    morph = quiet_load(p, missing_soma="keep")
    (sec,) = morph.sections
    assert sec.L == pytest.approx(length)
    _passive(morph, ra=ra, cm=cm, rm=rm)
    DLambda(0.02, 100).apply(morph.sections)
    # analytic (units: ohm, cm)
    d_cm, l_cm = diam * 1e-4, length * 1e-4
    r_a = 4 * ra / (math.pi * d_cm**2)  # ohm/cm
    lam = math.sqrt(rm * d_cm / (4 * ra))  # cm
    r_in = r_a * lam / math.tanh(l_cm / lam) / 1e6  # Mohm
    tau = rm * cm * 1e-3  # ms

    stim = h.IClamp(sec(0.0))
    stim.delay, stim.dur, stim.amp = 5.0, 600.0, 0.05
    v = h.Vector().record(sec(0.0)._ref_v)
    t = h.Vector().record(h._ref_t)
    h.dt = 0.025
    h.CVode().active(0)
    h.finitialize(-70.0)
    h.continuerun(5.0 + 600.0 + 9 * tau)
    v, t = np.array(v), np.array(t)
    v_ss = v[np.searchsorted(t, 604.0)]
    r_sim = (v_ss + 70.0) / stim.amp
    assert r_sim == pytest.approx(r_in, rel=0.01)
    t_off = 605.0
    win = (t > t_off + 5 * tau) & (t < t_off + 8 * tau)
    slope = np.polyfit(t[win] - t_off, np.log(v[win] + 70.0), 1)[0]
    assert -1.0 / slope == pytest.approx(tau, rel=0.01)
    del stim
    morph.delete()
