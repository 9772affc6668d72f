"""epsp_mg: runs on every shared reconstruction; Mg2+ lowers EPSP, NMDA charge, Ca2+ entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgneuron.errors import ProtocolError
from mgneuron.measures import BaselineWarning
from mgneuron.morphology import MorphologyWarning, list_shipped_morphologies
from mgneuron.nmda import fractional_ca_current
from mgneuron.results import read_attrs, read_features
from mgneuron.runner import Params, get_protocol, run
from tests.conftest import DATA, ROOT

EpspMg = get_protocol("epsp_mg")
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
    the Ca2+ charge is the GHK fraction of the NMDA charge: between the fractional Ca2+
    current at the most depolarised potential the synapses reach and at rest (the
    closed form, mgneuron.nmda), i.e. 9-11 % here."""
    out = run("epsp_mg", tmp_path / "e.h5", tstop=150.0, quiet=True)
    df = read_features(out).sort_values("mg_mM")
    assert list(df["mg_mM"]) == [0.0, 0.2, 0.5, 1.0, 2.5]
    for col in ("epsp_peak_mV", "nmda_charge_pC", "ca_entry_pC"):
        assert (np.diff(df[col]) < 0).all(), col
    frac = df["ca_entry_pC"] / df["nmda_charge_pC"]
    lo = float(fractional_ca_current(-70.0))
    hi = float(fractional_ca_current(float((df["rest_mV"] + df["dend_peak_mV"]).max())))
    assert ((frac > lo) & (frac < hi)).all(), (lo, list(frac), hi)
    assert (frac > 0.09).all() and (frac < 0.11).all()
    amol = df["ca_entry_pC"] * 1e-12 / (2 * 96485.33212) * 1e18
    np.testing.assert_allclose(df["ca_entry_amol"], amol, rtol=1e-9)


def test_location_rule_that_matches_nothing_is_refused_before_anything_runs(tmp_path, h):
    """The rule is resolved on the condition's cell (built once, then deleted) before
    the first simulation: the sweep stops with the parameter named, and no file."""
    with pytest.raises(ProtocolError, match=r"parameter synapses='axon:0-100um'.*no axon"):
        run("epsp_mg", tmp_path / "e.h5", mg=[1.0], synapses="axon:0-100um", tstop=50.0)
    assert not (tmp_path / "e.h5").exists()
    assert sum(1 for _ in h.allsec()) == 0
    # the same morphology with a myelinated axon has an axon region: accepted
    EpspMg.check_condition(_params(synapses="axon:0-100um", myelinated_axon="10:healthy"))


def test_burst_at_or_after_tstop_is_refused(tmp_path):
    with pytest.raises(ProtocolError, match=r"t_burst = 50.0 ms, not before tstop = 50.0"):
        run("epsp_mg", tmp_path / "e.h5", mg=[1.0], t_burst=50.0, tstop=50.0)


def _params(**values):
    """One condition's parameters of epsp_mg (defaults, then ``values``)."""
    scalars, _ = EpspMg.resolve({"mg": 1.0, **values})
    return Params({**scalars, "condition_id": 0}, EpspMg.name)


MORPHOLOGIES = [m.rsplit(".", 1)[0] for m in list_shipped_morphologies()] + SHARED


@pytest.mark.slow
@pytest.mark.parametrize("morph", MORPHOLOGIES, ids=lambda m: Path(m).stem)
def test_cell_with_myelinated_axon_starts_at_rest(morph, tmp_path):
    """The guide's example on every shipped and test morphology (issue 15): the MRG axon
    rests near -80 mV, the cell near -70; settled before t = 0, the soma's baseline is
    flat (< 0.1 mV over the 10 ms before the burst, no spike) and the EPSP positive.
    Without the settling these gave EPSP peaks of -0.001 mV, spikes reported as EPSPs
    and drifts of 0.7-4.7 mV (docs/guide.md, "Protocol notes: epsp_mg")."""
    out = run("epsp_mg", tmp_path / "e.h5", morphology=str(morph),
              myelinated_axon="10:healthy", mg=[1.0], tstop=100.0)  # fmt: skip
    r = read_features(out).iloc[0]
    assert r["baseline_ok"] and r["spontaneous_spikes"] == 0
    assert abs(r["baseline_drift_mV"]) < 0.1
    assert r["epsp_peak_mV"] > 0 and r["epsp_area_mV_ms"] > 0
    assert -90.0 < r["rest_mV"] < -65.0


@pytest.mark.parametrize(
    ("morph", "what"),
    [("l5_pyramid_stylized", "drifting baseline"), ("ball_and_stick", "fired 1 spike")],
)
def test_without_steady_state_the_baseline_is_flagged(morph, what, tmp_path):
    """The control: started at v_init, the cell + axon drifts (or fires) before the
    burst; the condition says so (baseline_ok false, a warning) instead of measuring
    quietly, and a spike before the burst is not reported as an EPSP."""
    with pytest.warns(BaselineWarning, match=what):
        out = run("epsp_mg", tmp_path / "e.h5", morphology=morph, myelinated_axon="10:healthy",
                  mg=[1.0], tstop=60.0, steady_state=False)  # fmt: skip
    r = read_features(out).iloc[0]
    assert not r["baseline_ok"]
    if r["spontaneous_spikes"]:
        assert np.isnan(r["epsp_peak_mV"]) and np.isnan(r["epsp_area_mV_ms"])
    else:
        assert abs(r["baseline_drift_mV"]) > 1.0


def test_axon_stub_is_written_and_logged(tmp_path):
    """A set that asks for an axon stub (pyramidal) on an axon-less morphology: the
    feature axon_stub_added says so, and a MorphologyWarning states it in the log."""
    with pytest.warns(MorphologyWarning, match="axon stub"):
        out = run("epsp_mg", tmp_path / "e.h5", biophysics="pyramidal", mg=[1.0], tstop=40.0)
    assert bool(read_features(out).iloc[0]["axon_stub_added"])
    out = run("epsp_mg", tmp_path / "f.h5", mg=[1.0], tstop=40.0)  # passive: no stub
    assert not bool(read_features(out).iloc[0]["axon_stub_added"])


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


@pytest.mark.parametrize("drug_um", (1.0, 10.0))
def test_memantine_inhibits_less_at_1_mM_mg_than_at_0(tmp_path, h, drug_um):
    """Memantine (1 and 10 uM) reduces the NMDA Ca2+ entry relatively less at 1 mM Mg
    than at 0 mM (Mg2+ and memantine compete for the channel; Kotermanski & Johnson 2009).
    Control: the competitive antagonist D-APV, which does not compete with Mg2+, reduces
    it at 1 mM Mg at least as much as at 0 mM (more: less depolarisation, less unblock)."""
    out = run(
        "epsp_mg", tmp_path / "d.h5", mg=[0.0, 1.0], drug=["none", "memantine", "apv"],
        drug_um=drug_um, tstop=150.0, quiet=True,
    )  # fmt: skip
    df = read_features(out).set_index(["drug", "mg_mM"])["ca_entry_pC"]
    red = {
        (d, mg): 1.0 - df.loc[(d, mg)] / df.loc[("none", mg)]
        for d in ("memantine", "apv")
        for mg in (0.0, 1.0)
    }
    assert red[("memantine", 0.0)] > 0.05
    assert 0.0 < red[("memantine", 1.0)] < 0.5 * red[("memantine", 0.0)]
    assert red[("apv", 1.0)] >= red[("apv", 0.0)] > 0.2
