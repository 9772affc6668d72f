"""Tests of mgneuron.biophysics specs: named sets, units, JSON and pickle, malformed sets.

Pure Python (no NEURON); the channels themselves (NaT, Kdr, Km) are tested against their
published equations in tests/test_membrane.py.
"""

from __future__ import annotations

import json
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
