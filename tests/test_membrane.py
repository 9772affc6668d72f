"""The cortical channels (NaT, Kdr, Km) in NEURON, as the biophysics sets insert them.

References: the channels' published equations, evaluated here in Python (Mainen et al.
1995 for NaT; Mainen & Sejnowski 1996 for Kdr and Km), compared with the compiled NMODL
to 1e-9 relative; the gating-shift interface of mechanisms/surface_charge.inc, compared
with mgneuron.screening.shift_mV to 1e-6 mV. (The specs themselves: test_biophysics.py;
whole cells built with them: test_cell.py.)
"""

from __future__ import annotations

import math

import pytest

from mgneuron.bath import current_screening
from mgneuron.screening import shift_mV


def linoid(x: float, y: float) -> float:
    return y * (1 + x / y / 2) if abs(x / y) < 1e-6 else x / (1 - math.exp(-x / y))


def nat_ref(v: float, celsius: float, shift: float = 0.0) -> dict:
    """Mainen et al. 1995 Na kinetics with M&S 1996's -5 mV offset; q10 2.3 from 23 degC."""
    tadj = 2.3 ** ((celsius - 23) / 10)
    u = v - shift - 5.0
    a, b = 0.182 * linoid(u + 35, 9), 0.124 * linoid(-35 - u, 9)
    ah, bh = 0.024 * linoid(u + 50, 5), 0.0091 * linoid(-75 - u, 5)
    return {
        "minf": a / (a + b),
        "mtau": 1 / (tadj * (a + b)),
        "hinf": 1 / (1 + math.exp((u + 65) / 6.2)),
        "htau": 1 / (tadj * (ah + bh)),
    }


def k_ref(v: float, celsius: float, tha: float, ra: float, rb: float, shift=0.0) -> dict:
    """Mainen & Sejnowski 1996 K channels: one gate, alpha/beta linoid forms, qa 9 mV."""
    tadj = 2.3 ** ((celsius - 23) / 10)
    u = v - shift
    a, b = ra * linoid(u - tha, 9), rb * linoid(tha - u, 9)
    return {"ninf": a / (a + b), "ntau": 1 / (tadj * (a + b))}


@pytest.fixture
def seg(h):
    sec = h.Section(name="probe")
    for mech in ("NaT", "Kdr", "Km"):
        sec.insert(mech)
    s = sec(0.5)
    s.mgo, s.cao = 1.0, 2.0  # the reference bath: no screening shift
    # Ion concentrations reach a mechanism's copies in its INITIAL/BREAKPOINT code, so
    # initialise once before calling the rate procedures from Python.
    h.finitialize(-65.0)
    yield s
    h.delete_section(sec=sec)


VOLTAGES = [-100.0, -75.0, -50.0, -40.0, -35.0, -30.0, -20.0, 0.0, 25.0, 40.0]


@pytest.mark.validation
@pytest.mark.parametrize("celsius", [23.0, 34.0, 37.0])
def test_channel_kinetics_match_published_equations(h, seg, celsius):
    """NMODL rates vs the equations in Python, including the 0/0 points (tolerance 1e-9)."""
    h.celsius = celsius
    for v in VOLTAGES:
        h.setdata_NaT(seg)
        h.rates_NaT(v)
        ref = nat_ref(v, celsius)
        for key, val in ref.items():
            assert getattr(seg.NaT, key) == pytest.approx(val, rel=1e-9), (v, key)
        for mech, tha, ra, rb in (("Kdr", 25.0, 0.02, 0.002), ("Km", -30.0, 0.001, 0.001)):
            getattr(h, f"setdata_{mech}")(seg)
            getattr(h, f"rates_{mech}")(v)
            ref = k_ref(v, celsius, tha, ra, rb)
            obj = getattr(seg, mech)
            assert obj.ninf == pytest.approx(ref["ninf"], rel=1e-9), (mech, v)
            assert obj.ntau == pytest.approx(ref["ntau"], rel=1e-9), (mech, v)
    h.celsius = 34.0


def test_vshift_moves_gating_exactly(h, seg):
    """RANGE vshift: rates at v with vshift s equal rates at v - s with vshift 0."""
    h.celsius = 34.0
    for mech, key in (("NaT", "minf"), ("NaT", "hinf"), ("Kdr", "ninf"), ("Km", "ninf")):
        getattr(h, f"setdata_{mech}")(seg)
        obj = getattr(seg, mech)
        for v in (-60.0, -35.0, 10.0):
            obj.vshift = 7.5
            getattr(h, f"rates_{mech}")(v)
            shifted = getattr(obj, key)
            obj.vshift = 0.0
            getattr(h, f"rates_{mech}")(v - 7.5)
            assert shifted == pytest.approx(getattr(obj, key), rel=1e-12)


@pytest.mark.validation
def test_bath_reaches_gating_through_screening(h, seg):
    """Lower [Mg]o shifts NaT gating by screening.shift_mV(mg, ca) (to 1e-6 mV)."""
    h.celsius = 34.0
    params = current_screening()
    for mg in (0.0, 0.5, 2.5):
        shift = float(shift_mV(mg, 2.0, params, celsius=34.0))
        seg.mgo = mg
        h.finitialize(-65.0)  # copies [Mg]o into the mechanism
        h.setdata_NaT(seg)
        h.rates_NaT(-40.0)
        got = seg.NaT.minf
        ref = nat_ref(-40.0, 34.0, shift=shift)["minf"]
        assert got == pytest.approx(ref, rel=1e-6), mg
        if params.model != "off" and mg < 1.0:
            assert shift < 0  # less Mg: gating at more negative voltages
    seg.mgo = 1.0
