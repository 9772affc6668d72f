"""Tests of the cortical channels (NaT, Kdr, Km) and of mgneuron.biophysics specs.

References: the channels' published equations, evaluated here in Python (Mainen et al.
1995 for NaT; Mainen & Sejnowski 1996 for Kdr and Km), compared with the compiled NMODL
to 1e-9 relative; the gating-shift interface of mechanisms/surface_charge.inc, compared
with mgneuron.screening.shift_mV to 1e-6 mV.
"""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest

from mgneuron.biophysics import (
    BIOPHYSICS,
    Biophysics,
    BiophysicsError,
    MechanismSpec,
    RegionBiophysics,
    convert_unit,
    get_biophysics,
    list_biophysics,
)


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
    from mgneuron import screening

    h.celsius = 34.0
    params = screening.current()
    for mg in (0.0, 0.5, 2.5):
        shift = float(screening.shift_mV(mg, 2.0, params, celsius=34.0))
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


# --------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------


def test_named_sets_and_aliases():
    assert set(list_biophysics()) == {"pyramidal", "passive"}
    for name in ("pyramidal", "default", "mainen_sejnowski_1996"):
        bio = get_biophysics(name)
        assert bio.name == "pyramidal"
        assert bio.mechanism_names == ["NaT", "Km", "Kdr"]
        assert any("Mainen" in r for r in bio.references)
    assert BIOPHYSICS["pyramidal"] == get_biophysics("default")
    with pytest.raises(BiophysicsError, match="unknown biophysics"):
        get_biophysics("nope")


def test_pyramidal_values_converted_from_paper_units():
    bio = get_biophysics("pyramidal")
    by_region = {r.region: r for r in bio.regions}
    assert by_region["all"].g_pas_S_cm2 == pytest.approx(1 / 30000.0)
    nat = {m.name: m for m in by_region["ais"].mechanisms}["NaT"]
    assert nat.params == (("gbar", 30000.0, "pS/um2"),)
    assert convert_unit(30000.0, "pS/um2", "S/cm2") == pytest.approx(3.0)
    assert by_region["dendrite"].spine_density_per_um == 1.0
    assert bio.axon_stub and bio.ais_length_um == 25.0


def test_round_trip_json_and_pickle(tmp_path):
    bio = get_biophysics("pyramidal")
    f = bio.to_json(tmp_path / "p.json")
    again = Biophysics.from_json(f)
    assert again == bio
    assert pickle.loads(pickle.dumps(bio)) == bio
    assert json.loads(f.read_text())["regions"][0]["region"] == "all"


@pytest.mark.parametrize(
    "data, match",
    [
        ({"regions": [{"region": "dendrites"}]}, "unknown region"),
        ({"regions": [{"region": "soma", "capacitance": 1}]}, "unknown key"),
        ({"regions": [{"region": "soma", "cm": [1, "furlongs"]}]}, "unknown unit"),
        ({"regions": [{"region": "soma", "cm": [1, "mV"]}]}, "cannot convert"),
        ({"regions": [{"region": "soma", "Ra": -5}]}, ">= 0"),
        ({"regions": [{"region": "soma", "g_pas": 1, "Rm": 1}]}, "not both"),
        ({"regions": [{"region": "soma", "cm": "x"}]}, "must be a number"),
        ({"regions": [{"region": "soma", "cm": float("nan")}]}, "finite"),
        ({"regions": "soma"}, "list of region rules"),
        ({"regions": [], "colour": 1}, "unknown key"),
        ({"regions": [{"region": "soma", "spine_factor": 0.5}]}, ">= 1"),
    ],
)
def test_malformed_sets_raise(data, match):
    with pytest.raises(BiophysicsError, match=match):
        Biophysics.from_dict(data)


def test_bad_json_file(tmp_path):
    f = tmp_path / "broken.json"
    f.write_text('{"regions": [}')
    with pytest.raises(BiophysicsError, match="broken.json:1"):
        get_biophysics(str(f))
    with pytest.raises(BiophysicsError, match="not found"):
        get_biophysics(str(tmp_path / "missing.json"))


def test_python_spec_api():
    rule = RegionBiophysics(
        "soma", cm_uF_cm2=1.0, mechanisms=(MechanismSpec("NaT", (("gbar", 0.1),)),)
    )
    bio = Biophysics("mine", (rule,))
    assert bio.mechanism_names == ["NaT"]
    assert bio.regions[0].mechanisms[0].params == (("gbar", 0.1, None),)
    assert np.isclose(convert_unit(1.0, "mS/cm2", "pS/um2"), 10.0)
