"""The ``low_mg_network`` protocol: the physiology of the recurrent network vs [Mg]o and [Ca]o.

Physiology reference (shared/VALIDATION.md, "Low-Mg seizure-like activity"): in vitro,
Mg-free ACSF turns asynchronous activity into recurrent epileptiform population discharges
that NMDA antagonists block, and 3 mM Ca2+ suppresses them (Isaev et al. 2012,
J Neurophysiol 107:417); Golomb and colleagues modelled it as synchronised bursting of a
recurrent network once the NMDA Mg2+ block is gone. The fast tests use a 40 + 10 cell
network (the default wiring: in-degrees are fixed, so each cell sees the same input
statistics as in the 80 + 20 default) for 2 s; the slow test runs the default network for
the 5 s of the issue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mgneuron.engine.ranks import mpiexec_command
from mgneuron.network import EXC, INH
from mgneuron.results import read_attrs, read_features, read_spikes
from mgneuron.runner import run

SMALL = {"n_exc": 40, "n_inh": 10, "tstop": 2000.0, "t_discard": 250.0}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, h):
    """Features of the small network: Mg sweep at 2 mM Ca, D-APV at 0 Mg, 3 mM Ca at 0 Mg."""
    d = tmp_path_factory.mktemp("net")
    t0 = time.perf_counter()
    mg = run(
        "low_mg_network", d / "mg.h5", sweep={"mg": [0.0, 0.1, 1.0]}, ca=2.0, workers=2, **SMALL
    )
    apv = run("low_mg_network", d / "apv.h5", mg=0.0, ca=2.0, nmda_scale=0.0, **SMALL)
    # The Ca pair runs 8 s: 2 s hold only two inter-burst intervals, too few to see a
    # 10 % change of the burst rate reliably (2 of 5 seeds missed it at 2 s).
    ca = run(
        "low_mg_network",
        d / "ca.h5",
        sweep={"ca": [2.0, 3.0]},
        mg=0.0,
        workers=2,
        **{**SMALL, "tstop": 8000.0},
    )
    feats = {}
    for f in (mg, apv):
        df = read_features(f)
        assert (df["status"] == "ok").all(), df["error"].tolist()
        for _, r in df.iterrows():
            feats[(r["mg_mM"], r["ca_mM"], r["nmda_scale"])] = r
    df = read_features(ca)
    assert (df["status"] == "ok").all(), df["error"].tolist()
    ca_pair = {r["ca_mM"]: r for _, r in df.iterrows()}
    return {
        "features": feats,
        "ca_pair": ca_pair,
        "files": (mg, apv, ca),
        "wall_s": time.perf_counter() - t0,
    }


def test_asynchronous_at_normal_mg(runs):
    """1 mM Mg / 2 mM Ca: no population burst, low synchrony, sparse firing (Isaev 2012)."""
    r = runs["features"][(1.0, 2.0, 1.0)]
    assert r["n_bursts"] == 0
    assert 0.3 < r["rate_exc_hz"] < 5.0
    assert r["synchrony"] < 0.3


@pytest.mark.parametrize("mg", [0.0, 0.1])
def test_recurrent_population_bursts_at_low_mg(runs, mg):
    """<= 0.1 mM Mg: recurrent bursts (>= 2 in 1.75 s) that recruit most pyramidal cells."""
    r = runs["features"][(mg, 2.0, 1.0)]
    assert r["n_bursts"] >= 2
    assert r["burst_participation"] > 0.5
    assert r["synchrony"] > 0.4
    assert 30.0 < r["burst_duration_ms"] < 500.0


def test_nmda_block_abolishes_bursts(runs):
    """0 Mg with NMDA conductance 0 (D-APV): no bursts, back to asynchronous firing."""
    ctl, apv = runs["features"][(0.0, 2.0, 1.0)], runs["features"][(0.0, 2.0, 0.0)]
    assert ctl["n_bursts"] >= 2
    assert apv["n_bursts"] == 0
    assert apv["synchrony"] < 0.3


def test_high_calcium_reduces_burst_rate(runs):
    """0 Mg: bursts recur less often at 3 mM Ca than at 2 mM Ca (Isaev 2012: fewer/none).

    Through surface-charge screening: 3 mM Ca / 0 Mg has the divalent total of normal ACSF,
    so the Na/K gating shift is back to 0 mV from about -2.8 mV at 2 mM Ca. The bursts are
    regular, so the rate of the burst process is 1 / (mean interval between onsets); it
    must fall by more than 5 % over an 8 s run (measured with the small network, seeds
    1-5: -15.4, -8.9, -10.0, -11.1, -16.2 %), and the burst count must not rise.
    """
    ca2, ca3 = runs["ca_pair"][2.0], runs["ca_pair"][3.0]
    assert ca3["n_bursts"] >= 2  # still bursting: the effect is a slowing here
    assert 1000.0 / ca3["ibi_ms"] < 0.95 * (1000.0 / ca2["ibi_ms"])
    assert ca3["burst_rate_hz"] <= ca2["burst_rate_hz"]


def test_spikes_stored_in_sonata_layout(runs):
    mg = runs["files"][0]
    sp = read_spikes(mg)
    assert set(sp["population"]) == {EXC, INH}
    assert sp.loc[sp.population == EXC, "node_id"].max() < SMALL["n_exc"]
    assert sp.loc[sp.population == INH, "node_id"].max() < SMALL["n_inh"]
    feats = read_features(mg)
    for cid, r in feats.set_index("condition_id").iterrows():
        n = sp[(sp.condition_id == cid) & (sp.population == EXC)]
        assert len(n) == r["n_spikes_exc"]
    libsonata = pytest.importorskip("libsonata")
    from mgneuron.results import sonata_view

    view = sonata_view(mg, 0)
    reader = libsonata.SpikeReader(str(view))
    assert set(reader.get_population_names()) == {EXC, INH}


@pytest.mark.slow
@pytest.mark.validation
def test_default_network_is_asynchronous_for_five_seconds(tmp_path, h):
    """Default size (80 + 20), 1 mM Mg / 2 mM Ca, 5 s: no population burst (Isaev 2012).

    Also the issue's budget: a 5 s run of the default network must take < 10 min on 2
    cores; it takes about one minute on one. (Bursting at <= 0.1 mM Mg at this size is
    in the protocol's results; the fast tests check it on the 40 + 10 network.)
    """
    start = time.perf_counter()
    f = run("low_mg_network", tmp_path / "d.h5", mg=1.0, ca=2.0)
    wall = time.perf_counter() - start
    r = read_features(f).iloc[0]
    assert r["status"] == "ok"
    assert r["n_bursts"] == 0 and r["burst_fraction"] == 0.0
    assert r["synchrony"] < 0.2  # 1/sqrt(80) = 0.11 for independent cells
    assert 0.5 < r["rate_exc_hz"] < 5.0
    assert wall < 600.0


@pytest.mark.mpi
def test_two_mpi_ranks_give_the_serial_spikes(tmp_path, h):
    """Cells dealt round-robin over 2 ranks (``--mpi``): exactly the serial spike trains."""
    from tests.runner.test_mpi import _WHY

    if _WHY:
        pytest.skip(_WHY)
    small = {"n_exc": 20, "n_inh": 5, "tstop": 400.0, "t_discard": 100.0}
    args = [f"--{k.replace('_', '-')}={v}" for k, v in small.items()]
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(
        mpiexec_command(2)
        + [sys.executable, "-m", "mgneuron.cli", "run", "low_mg_network", "--mpi"]
        + ["--sweep", "mg=0,1", "ca=2", "--out", "mpi.h5", "--quiet"]
        + args,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    serial = run(
        "low_mg_network", tmp_path / "serial.h5", sweep={"mg": [0.0, 1.0]}, ca=2.0, **small
    )
    a, b = read_spikes(serial), read_spikes(tmp_path / "mpi.h5")
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)
    assert read_attrs(tmp_path / "mpi.h5")["mpi_ranks"] == 2


@pytest.mark.parametrize("mg", [0.0, 0.1, 1.0])
def test_lfp_shows_the_bursts_the_spikes_show(runs, mg):
    """The field potential at the probe contact among the pyramidal somata has one field
    event per population burst of the spikes, each starting within 20 ms of the burst
    (the population burst of the spikes: detect_bursts; the field event: field_events);
    at 1 mM there is neither. The LFP is stored as a report in uV, 17 channels."""
    import h5py
    import numpy as np

    from mgneuron.measures.lfp import field_events
    from mgneuron.measures.network import detect_bursts

    f = runs["files"][0]
    feats = read_features(f).set_index("condition_id")
    cid = int(feats.index[feats["mg_mM"] == mg][0])
    r = feats.loc[cid]
    assert r["lfp_n_events"] == r["n_bursts"]
    assert r["lfp_event_rate_hz"] == pytest.approx(r["burst_rate_hz"])
    for band in ("delta", "theta", "alpha", "beta", "gamma"):
        assert r[f"lfp_power_{band}"] > 0
    with h5py.File(f, "r") as h5:
        assert h5[f"runs/{cid}/report/lfp/data"].attrs["units"] == "uV"
        assert h5[f"runs/{cid}/report/lfp/data"].shape[1] == 17
    from mgneuron.results import read_traces

    tr = read_traces(f, cid, population="lfp")
    ch = tr[tr["location"] == "probe_550um"].sort_values("t_ms")
    dt = float(np.diff(ch["t_ms"].to_numpy()[:2])[0])
    x = ch["lfp_uV"].to_numpy()
    i0 = int(SMALL["t_discard"] / dt)
    events = field_events(x[i0:], dt, t0_ms=i0 * dt)
    sp = read_spikes(f)
    exc = sp[(sp.condition_id == cid) & (sp.population == EXC)]
    bursts = detect_bursts(
        exc["t_ms"].to_numpy(), exc["node_id"].to_numpy(), SMALL["n_exc"],
        SMALL["t_discard"], SMALL["tstop"],
    )  # fmt: skip
    assert len(events) == len(bursts)
    for b, (onset, _, _) in zip(bursts, events, strict=True):
        assert abs(onset - b.start_ms) <= 20.0, (onset, b.start_ms)
    if mg == 1.0:
        assert not bursts and not events and r["lfp_event_rate_hz"] == 0.0
    else:
        assert len(bursts) >= 2
