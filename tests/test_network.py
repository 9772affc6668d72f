"""The recurrent low-Mg network: description, wiring, measures and the physiology.

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

import math
import os
import pickle
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mgneuron import network as N
from mgneuron.errors import MgNeuronError
from mgneuron.results import read_features, read_spikes

SMALL = {"n_exc": 40, "n_inh": 10, "tstop": 2000.0, "t_discard": 250.0}


# -- description and wiring -----------------------------------------------------------------


def test_spec_is_picklable_and_scaling_reaches_every_synapse():
    spec = N.default_network()
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.n_exc >= 80 and spec.n_inh >= 20
    assert spec.exc_cell.n_segments() > 1  # multicompartment pyramidal cells
    apv = spec.scaled(nmda=0.0)
    for pw in apv.pathways:
        if pw.synapse.kind == "glutamate":
            assert dict(pw.synapse.params)["nmda_ratio"] == 0.0
    for _, bg in apv.background:
        assert dict(bg.synapse.params)["nmda_ratio"] == 0.0
    bic = spec.scaled(gaba=0.0)
    assert all(pw.synapse.gmax_uS == 0 for pw in bic.pathways if pw.synapse.kind == "gaba_a")


@pytest.mark.parametrize(
    "change, match",
    [
        ({"n_inh": 0}, "n_inh"),
        ({"seed": -1}, "seed"),
    ],
)
def test_spec_rejects_bad_values(change, match):
    with pytest.raises(MgNeuronError, match=match):
        N.default_network().with_(**change)


def test_spec_rejects_unknown_section_and_parameter():
    spec = N.default_network()
    pw = spec.pathways[0]
    bad = replace(pw, sections=("axon",))
    with pytest.raises(MgNeuronError, match="axon"):
        spec.with_(pathways=(bad,))
    with pytest.raises(MgNeuronError, match="unknown network parameters"):
        N.default_network(g_xx_uS=1.0)


def test_connections_fixed_indegree_no_autapses_and_seeded():
    spec = N.default_network(seed=7)
    tables = N.draw_connections(spec)
    assert [t.pathway.name for t in tables] == ["EE", "EI", "IE", "II"]
    for t in tables:
        pw = t.pathway
        off_pre, off_post = spec.gid_offset(pw.pre), spec.gid_offset(pw.post)
        for post in range(off_post, off_post + spec.size(pw.post)):
            pre = t.pre_gid[t.post_gid == post]
            assert len(pre) == pw.indegree == len(np.unique(pre))
            assert post not in pre
            assert np.all((pre >= off_pre) & (pre < off_pre + spec.size(pw.pre)))
        assert np.all(t.delay_ms >= pw.delay_ms[0]) and np.all(t.delay_ms <= pw.delay_ms[1])
    again = N.draw_connections(N.default_network(seed=7))
    other = N.draw_connections(N.default_network(seed=8))
    for a, b, c in zip(tables, again, other, strict=True):
        np.testing.assert_array_equal(a.pre_gid, b.pre_gid)
        np.testing.assert_array_equal(a.x, b.x)
        assert not np.array_equal(a.pre_gid, c.pre_gid)


# -- measures (pure functions, closed-form references) --------------------------------------


def _poisson(n_cells, rate_hz, t_ms, seed):
    rng = np.random.default_rng(seed)
    t, ids = [], []
    for i in range(n_cells):
        k = rng.poisson(rate_hz * t_ms / 1000)
        t.append(rng.uniform(0, t_ms, k))
        ids.append(np.full(k, i))
    return np.concatenate(t), np.concatenate(ids)


def test_synchrony_index_closed_forms():
    """Golomb's chi: 1/sqrt(N) for independent cells (within 15 %), exactly 1 for identical ones.

    For independent trains var(mean) = mean(var)/N, so chi = 1/sqrt(N); the tolerance
    covers the sampling error of the variances over 500 bins.
    """
    n = 100
    t, ids = _poisson(n, 5.0, 5000.0, 1)
    chi = N.synchrony_index(t, ids, n, 0.0, 5000.0, bin_ms=10.0)
    assert chi == pytest.approx(1 / math.sqrt(n), rel=0.15)
    one = np.sort(np.random.default_rng(2).uniform(0, 5000, 25))
    t2 = np.tile(one, n)
    ids2 = np.repeat(np.arange(n), len(one))
    assert N.synchrony_index(t2, ids2, n, 0.0, 5000.0) == pytest.approx(1.0, abs=1e-12)
    assert math.isnan(N.synchrony_index(np.array([]), np.array([]), n, 0.0, 100.0))


def test_population_rate_of_a_constant_rate_is_that_rate():
    t, ids = _poisson(200, 10.0, 5000.0, 3)
    _, r = N.population_rate(t, 200, 0.0, 5000.0, bin_ms=1.0, smooth_ms=10.0)
    assert r.mean() == pytest.approx(10.0, rel=0.05)
    assert r.max() < 20.0  # the burst threshold is never reached by asynchronous firing


def test_detect_bursts_on_synthetic_population_bursts():
    """Five 100-ms bursts (every cell fires 5 spikes) on a 2 Hz Poisson floor: found exactly."""
    n, rng = 80, np.random.default_rng(4)
    t, ids = _poisson(n, 2.0, 5000.0, 5)
    onsets = np.array([500.0, 1400.0, 2300.0, 3200.0, 4100.0])
    bt = np.concatenate([o + rng.uniform(0, 100, (n, 5)).ravel() for o in onsets])
    bid = np.tile(np.repeat(np.arange(n), 5), len(onsets))
    tt, ii = np.concatenate([t, bt]), np.concatenate([ids, bid])
    bursts = N.detect_bursts(tt, ii, n, 0.0, 5000.0)
    assert len(bursts) == 5
    for b, o in zip(bursts, onsets, strict=True):
        assert b.start_ms == pytest.approx(o, abs=25.0)
        assert b.duration_ms == pytest.approx(100.0, abs=40.0)
        assert b.participation == 1.0
    assert N.detect_bursts(t, ids, n, 0.0, 5000.0) == []
    spec = N.default_network(n_exc=n, n_inh=4)
    feats, _ = N.network_features(
        {N.EXC: (tt, ii), N.INH: (np.array([]), np.array([], int))}, spec, 0.0, 5000.0
    )
    assert feats["n_bursts"] == 5 and feats["burst_rate_hz"] == pytest.approx(1.0)
    assert feats["ibi_ms"] == pytest.approx(900.0, abs=30.0)
    assert feats["burst_fraction"] == pytest.approx(5 * feats["burst_duration_ms"] / 5000.0)
    assert feats["synchrony"] > 0.5


# -- simulations ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory, h):
    """Features of the small network: Mg sweep at 2 mM Ca, D-APV at 0 Mg, 3 mM Ca at 0 Mg."""
    from mgneuron.protocol import run_protocol

    d = tmp_path_factory.mktemp("net")
    t0 = time.perf_counter()
    mg = run_protocol(
        "low_mg_network", d / "mg.h5", sweep={"mg": [0.0, 0.1, 1.0]}, ca=2.0, workers=2, **SMALL
    )
    apv = run_protocol("low_mg_network", d / "apv.h5", mg=0.0, ca=2.0, nmda_scale=0.0, **SMALL)
    # The Ca pair runs 8 s: 2 s hold only two inter-burst intervals, too few to see a
    # 10 % change of the burst rate reliably (2 of 5 seeds missed it at 2 s).
    ca = run_protocol(
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
    assert set(sp["population"]) == {N.EXC, N.INH}
    assert sp.loc[sp.population == N.EXC, "node_id"].max() < SMALL["n_exc"]
    assert sp.loc[sp.population == N.INH, "node_id"].max() < SMALL["n_inh"]
    feats = read_features(mg)
    for cid, r in feats.set_index("condition_id").iterrows():
        n = sp[(sp.condition_id == cid) & (sp.population == N.EXC)]
        assert len(n) == r["n_spikes_exc"]
    libsonata = pytest.importorskip("libsonata")
    from mgneuron.results import sonata_view

    view = sonata_view(mg, 0)
    reader = libsonata.SpikeReader(str(view))
    assert set(reader.get_population_names()) == {N.EXC, N.INH}


def _spikes(seed, h, mg=0.0):
    from mgneuron.environment import Environment
    from mgneuron.simulation import RunSettings

    spec = N.default_network(20, 5, seed=seed)
    with N.build(spec) as net:
        net.run(RunSettings(tstop=400.0), Environment(mg_mM=mg))
        return net.spikes()


def test_same_seed_gives_identical_spike_trains(h):
    a, b, c = _spikes(3, h), _spikes(3, h), _spikes(4, h)
    for pop in (N.EXC, N.INH):
        np.testing.assert_array_equal(a[pop][0], b[pop][0])
        np.testing.assert_array_equal(a[pop][1], b[pop][1])
    assert len(a[N.EXC][0]) > 20
    assert not (len(a[N.EXC][0]) == len(c[N.EXC][0]) and np.array_equal(a[N.EXC][0], c[N.EXC][0]))
    assert sum(1 for _ in h.allsec()) == 0  # the network left nothing behind


@pytest.mark.slow
@pytest.mark.validation
def test_default_network_is_asynchronous_for_five_seconds(tmp_path, h):
    """Default size (80 + 20), 1 mM Mg / 2 mM Ca, 5 s: no population burst (Isaev 2012).

    Also the issue's budget: a 5 s run of the default network must take < 10 min on 2
    cores; it takes about one minute on one. (Bursting at <= 0.1 mM Mg at this size is
    in the protocol's results; the fast tests check it on the 40 + 10 network.)
    """
    from mgneuron.protocol import run_protocol

    start = time.perf_counter()
    f = run_protocol("low_mg_network", tmp_path / "d.h5", mg=1.0, ca=2.0)
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
    from tests.test_mpi import _WHY

    if _WHY:
        pytest.skip(_WHY)
    from mgneuron.parallel import mpiexec_command
    from mgneuron.protocol import run_protocol

    small = {"n_exc": 20, "n_inh": 5, "tstop": 400.0, "t_discard": 100.0}
    args = [f"--{k.replace('_', '-')}={v}" for k, v in small.items()]
    root = Path(__file__).resolve().parents[1]
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
    serial = run_protocol(
        "low_mg_network", tmp_path / "serial.h5", sweep={"mg": [0.0, 1.0]}, ca=2.0, **small
    )
    a, b = read_spikes(serial), read_spikes(tmp_path / "mpi.h5")
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)
    assert (read_features(tmp_path / "mpi.h5")["ranks"] == 2).all()
