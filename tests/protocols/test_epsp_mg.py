"""epsp_mg: runs on every shared reconstruction; Mg2+ lowers EPSP, NMDA charge, Ca2+ entry."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mgneuron.errors import LocationError
from mgneuron.results import read_attrs, read_features
from mgneuron.runner import run
from tests.conftest import DATA, ROOT

SHARED = sorted(p for p in (DATA / "morphologies").iterdir() if p.suffix in (".swc", ".asc"))


def test_shared_morphologies_present():
    assert len(SHARED) == 5


@pytest.mark.slow
@pytest.mark.parametrize("morph", SHARED, ids=lambda p: p.stem)
def test_epsp_mg_runs_on_each_reconstruction(morph, tmp_path):
    """The standalone script with --morphology writes a complete file with the features."""
    out = tmp_path / "e.h5"
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "protocols" / "epsp_mg.py"),
            "--morphology",
            str(morph),
            "--mg",
            "0,1",
            "--tstop",
            "120",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert read_attrs(out)["status"] == "complete"
    df = read_features(out).set_index("mg_mM")
    for col in ("epsp_peak_mV", "epsp_area_mV_ms", "nmda_charge_pC", "ca_entry_pC"):
        assert np.isfinite(df[col]).all()
    # Mg2+ blocks NMDA receptors near rest: less charge, less Ca2+, smaller EPSP
    assert df.loc[1.0, "nmda_charge_pC"] < 0.5 * df.loc[0.0, "nmda_charge_pC"]
    assert df.loc[1.0, "epsp_peak_mV"] < df.loc[0.0, "epsp_peak_mV"]


def test_mg_dependence_on_default_cell(tmp_path, h):
    """Over the presets, NMDA charge and Ca2+ entry fall monotonically as [Mg]o rises;
    the Ca2+ charge is frac_ca (0.1) of the NMDA charge."""
    out = run("epsp_mg", tmp_path / "e.h5", tstop=150.0, quiet=True)
    df = read_features(out).sort_values("mg_mM")
    assert list(df["mg_mM"]) == [0.0, 0.2, 0.5, 1.0, 2.5]
    for col in ("epsp_peak_mV", "nmda_charge_pC", "ca_entry_pC"):
        assert (np.diff(df[col]) < 0).all(), col
    np.testing.assert_allclose(df["ca_entry_pC"], 0.1 * df["nmda_charge_pC"], rtol=1e-9)
    amol = df["ca_entry_pC"] * 1e-12 / (2 * 96485.33212) * 1e18
    np.testing.assert_allclose(df["ca_entry_amol"], amol, rtol=1e-9)


def test_location_rule_that_matches_nothing(tmp_path, h):
    from mgneuron.results import read_conditions

    out = run(
        "epsp_mg", tmp_path / "e.h5", mg=[1.0], synapses="axon:0-100um", tstop=50.0, quiet=True
    )
    conds = read_conditions(out)
    assert conds.loc[0, "status"] == "failed"
    assert LocationError.__name__ in conds.loc[0, "error"]


def test_trace_labels_name_places_in_the_cell_and_conditions_share_one_mapping(tmp_path, h):
    """Element labels are names within the cell (``soma[0](0.5)``), not NEURON's names
    with the cell's instance number (``ball_and_stick#3.soma[0]``), which differ from
    condition to condition and process to process; so every condition's report links to
    the one mapping group written for the first."""
    import h5py

    from mgneuron.cell import build_cell, cell_spec

    out = run("epsp_mg", tmp_path / "e.h5", tstop=30.0, sweep={"mg": [0.0, 1.0, 2.0]})
    with h5py.File(out) as f:
        maps = [f[f"runs/{k}/report/cell/mapping"] for k in range(3)]
        labels = [m["element_labels"].asstr()[:].tolist() for m in maps]
        assert labels[0] == labels[1] == labels[2]
        assert labels[0][0] == "soma[0](0.5)" and labels[0][1].startswith("apic[")
        assert maps[0] == maps[1] == maps[2]  # one object, hard-linked
    cells = [build_cell(cell_spec("ball_and_stick", "passive")) for _ in range(2)]
    names = [c.soma.sec.name() for c in cells]
    assert names[0] != names[1]  # NEURON's names differ ...
    assert cells[0].label(cells[0].soma) == cells[1].label(cells[1].soma)  # ... labels do not
    assert cells[0].label(cells[0].soma.sec) == "soma[0]"
    for c in cells:
        c.delete()
