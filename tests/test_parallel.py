"""Sweeps at scale: worker processes, failures, crashes, kill + resume, streaming, progress.

The test protocols below are importable as ``tests.test_parallel`` so that worker
processes, MPI ranks (tests/test_mpi.py) and killed subprocesses can unpickle them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from mgneuron.errors import ProtocolError
from mgneuron.parallel import RankInfo, gid_rank, local_gids, rank_info, run
from mgneuron.protocol import ConditionResult, Param, Protocol, run_protocol
from mgneuron.results import (
    Report,
    partial_path,
    read_attrs,
    read_conditions,
    read_features,
    read_spikes,
    read_traces,
)
from mgneuron.simulation import RunSettings, StreamingRecorder, record
from mgneuron.simulation import run as simulate

ROOT = Path(__file__).resolve().parents[1]


# -- test protocols -----------------------------------------------------------------------


def _hh_cell(h, amp_nA: float):
    """A one-compartment HH cell driven by a current step (squid, 6.3 degC)."""
    sec = h.Section(name="hhcell")
    sec.L = sec.diam = 20.0
    sec.insert("hh")
    clamp = h.IClamp(sec(0.5))
    clamp.delay, clamp.dur, clamp.amp = 5.0, 1e9, amp_nA
    return sec, clamp


class Spiky(Protocol):
    """HH cell under a current step, plus a Random123 draw: every global matters.

    Features depend on dt, celsius and tstop (set by RunSettings in each condition) and
    on the per-condition seed, so a worker that did not re-apply NEURON's globals or
    drew from another stream would give different numbers.
    """

    name = "spiky"
    title = "test protocol: HH spikes"
    params = (
        Param("amp_nA", (0.05, 0.1, 0.2, 0.4), "nA", "step amplitude", float, grid=True),
        Param("celsius", 6.3, "degC", "temperature", float),
        Param("stream", False, "", "stream the trace in chunks", bool),
        Param("hang_on", -1, "", "condition id that waits for a marker file", int),
        Param("long_on", -1, "", "condition id that simulates 1e7 ms (after a marker)", int),
        Param("cvode", False, "", "variable time step", bool),
        Param("apcount", True, "", "count spikes with an APCount (CoreNEURON has none)", bool),
        Param("fail_on", -1.0, "nA", "amplitude that raises", float),
        Param("crash_on", -1.0, "nA", "amplitude that kills its process", float),
    )
    defaults = {"tstop": 60.0}

    def run_condition(self, p):
        from neuron import h

        if p["amp_nA"] == p["fail_on"]:
            raise RuntimeError(f"condition with {p['amp_nA']} nA breaks on purpose")
        if p["amp_nA"] == p["crash_on"]:
            os._exit(3)  # a worker dying mid-condition (NEURON abort, OOM kill)
        marker = os.environ.get("MGNEURON_TEST_MARKER")
        if marker and p["condition_id"] == p["hang_on"]:
            Path(marker).write_text(str(p["condition_id"]))
            time.sleep(120)  # killed here by the test
        tstop = p["tstop"]
        if marker and p["condition_id"] == p["long_on"]:
            Path(marker).write_text(str(p["condition_id"]))
            tstop = 1e7  # interrupted during the NEURON run by the test
        settings = RunSettings(
            tstop=tstop, dt=p["dt"], celsius=p["celsius"], v_init=-65, cvode=p["cvode"]
        )
        sec, clamp = _hh_cell(h, p["amp_nA"])
        apc = h.APCount(sec(0.5)) if p["apcount"] else None
        r = h.Random()
        r.Random123(p["condition_seed"] % 2**32, 7)
        r.uniform(0, 1)
        if p["stream"]:
            rec = StreamingRecorder(
                [sec(0.5)._ref_v, sec(0.5).hh._ref_m],
                settings,
                interval=0.1,
                chunk_ms=7.0,
                node_ids=[0],
                element_ids=[0, 1],
                variable="state",
                units="1",
            )
            simulate(settings, events=rec.events())
            report = rec.finish()
        else:
            v = record(sec(0.5)._ref_v, 0.1)
            m = record(sec(0.5).hh._ref_m, 0.1)
            simulate(settings)
            data = np.stack([np.asarray(v), np.asarray(m)], axis=1)
            report = Report(data, (0.0, len(data) * 0.1, 0.1), [0], [0, 1], None, "state", "1")
        features = {
            "amp_nA": p["amp_nA"],
            "n_spikes": int(apc.n) if apc is not None else -1,
            "v_end_mV": float(sec(0.5).v),
            "draw": float(r.repick()),
            "globalindex": float(h.Random().Random123_globalindex()),
            "celsius_seen": float(h.celsius),
            "dt_seen": float(h.dt),
        }
        return ConditionResult(features=[features], reports={"cell": report})


class Ring(Protocol):
    """A ring of HH cells, cells dealt round-robin over ranks (``distributed``)."""

    name = "ring"
    title = "test protocol: distributed ring network"
    distributed = True
    params = (
        Param("n_cells", 5, "", "cells in the ring", int),
        Param("w_uS", (0.05, 0.1), "uS", "synaptic weight", float, grid=True),
    )
    defaults = {"tstop": 80.0}

    def run_condition(self, p):
        from neuron import h

        from mgneuron.parallel import gather_spikes
        from mgneuron.results import Spikes

        info = rank_info()
        pc = h.ParallelContext()
        cells = {}
        for gid in local_gids(p["n_cells"], info):
            sec = h.Section(name=f"ring{gid}")
            sec.L = sec.diam = 20.0
            sec.insert("hh")
            syn = h.ExpSyn(sec(0.5))
            syn.tau = 2.0
            pc.set_gid2node(gid, info.rank)
            det = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
            det.threshold = 0.0
            pc.cell(gid, det)
            cells[gid] = (sec, syn, det)
        links = []
        for gid, (_, syn, _) in cells.items():
            nc = pc.gid_connect((gid - 1) % p["n_cells"], syn)
            nc.weight[0], nc.delay = p["w_uS"], 2.0
            links.append(nc)
        stim = h.NetStim()
        stim.start, stim.number = 5.0, 1
        kick = h.NetCon(stim, cells[0][1], 0, 1.0, 0.2) if 0 in cells else None
        tvec, gvec = h.Vector(), h.Vector()
        pc.spike_record(-1, tvec, gvec)
        simulate(RunSettings(tstop=p["tstop"], dt=p["dt"], celsius=6.3, v_init=-65))
        spikes = gather_spikes(tvec, gvec)
        pc.gid_clear()
        del links, kick, cells
        if spikes is None:  # not rank 0: rank 0 writes
            return ConditionResult()
        t, g = spikes
        return ConditionResult(
            features=[{"n_spikes": len(t), "ranks": info.nhost}],
            spikes={"ring": Spikes(t, g)},
        )


# -- helpers ------------------------------------------------------------------------------

SMALL = {"tstop": 40.0}


def _same_content(a: Path, b: Path) -> None:
    """Same conditions, features, traces and spikes (run times and write order aside)."""
    ca, cb = read_conditions(a), read_conditions(b)
    pd.testing.assert_frame_equal(ca.drop(columns="run_s"), cb.drop(columns="run_s"))
    pd.testing.assert_frame_equal(
        read_features(a).drop(columns="run_s"), read_features(b).drop(columns="run_s")
    )
    pd.testing.assert_frame_equal(read_traces(a), read_traces(b))
    pd.testing.assert_frame_equal(read_spikes(a), read_spikes(b))


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"]


# -- tests --------------------------------------------------------------------------------


def test_serial_and_two_workers_give_identical_files(tmp_path, h):
    """Same features and traces in-process and in 2 spawned workers.

    The main process has its globals changed first (celsius, dt, Random123 global
    index): conditions must not see them, in this process or in a worker.
    """
    h.celsius, h.dt = 37.0, 0.1
    h.Random().Random123_globalindex(9)
    serial = run(Spiky, tmp_path / "serial.h5", **SMALL)
    workers = run(Spiky, tmp_path / "workers.h5", workers=2, **SMALL)
    _same_content(serial, workers)
    df = read_features(workers)
    assert (df["celsius_seen"] == 6.3).all() and (df["dt_seen"] == 0.025).all()
    assert (df["globalindex"] == 0).all()
    assert df["n_spikes"].is_monotonic_increasing and df["n_spikes"].iloc[-1] > 1
    assert df["draw"].nunique() == len(df)  # one stream per condition


def test_failing_and_dying_conditions_are_recorded_in_workers(tmp_path, h):
    """One condition raises, one kills its worker process: both recorded, others run."""
    out = run(Spiky, tmp_path / "f.h5", workers=2, fail_on=0.1, crash_on=0.2, **SMALL)
    conds = read_conditions(out)
    assert list(conds["status"]) == ["ok", "failed", "failed", "ok"]
    assert "breaks on purpose" in conds.loc[1, "error"]
    assert "WorkerCrash" in conds.loc[2, "error"]
    assert read_attrs(out)["n_failed"] == 2
    assert list(read_features(out)["amp_nA"]) == [0.05, 0.4]


def test_errors_that_must_stop_a_sweep_still_do_in_workers(tmp_path, h):
    with pytest.raises(ProtocolError, match="workers must be >= 1"):
        run(Spiky, tmp_path / "x.h5", workers=0)


def _start_and_kill(tmp_path: Path, out: Path, sig: int, flush_s: str = "1") -> None:
    marker = tmp_path / f"marker-{sig}"
    code = (
        "from tests.test_parallel import Spiky\n"
        "from mgneuron.parallel import run\n"
        f"run(Spiky, {str(out)!r}, hang_on=2, stream=True, tstop=40.0, fail_on=0.1)\n"
    )
    env = dict(os.environ, MGNEURON_TEST_MARKER=str(marker), MGNEURON_FLUSH_S=flush_s)
    proc = subprocess.Popen(_python(code), env=env, cwd=tmp_path)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "the sweep ended before it could be interrupted"
            assert time.time() < deadline, "the sweep never reached condition 2"
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_sweep_resumes_to_the_same_file(tmp_path, h, sig):
    """Kill a sweep while condition 2 runs; --resume finishes it; compare to a clean run.

    SIGKILL gives no chance to write: the writer flushes after every condition here
    (MGNEURON_FLUSH_S=0). Ctrl-C (SIGINT) writes the pending rows on the way out.
    """
    out = tmp_path / "k.h5"
    _start_and_kill(tmp_path, out, sig, flush_s="0" if sig == signal.SIGKILL else "1")
    assert not out.exists() and partial_path(out).exists()
    part = read_conditions(partial_path(out), allow_partial=True)
    assert list(part["condition_id"]) == [0, 1]  # the finished ones are kept
    if sig == signal.SIGINT:
        assert read_attrs(partial_path(out), allow_partial=True)["status"] == "partial"
    kw = dict(stream=True, tstop=40.0, hang_on=2, fail_on=0.1)
    resumed = run(Spiky, out, resume=True, **kw)
    clean = run(Spiky, tmp_path / "clean.h5", **kw)
    _same_content(resumed, clean)
    # condition 1 failed before the interruption: counted after the resume too
    assert read_attrs(resumed)["n_failed"] == read_attrs(clean)["n_failed"] == 1
    assert not list(tmp_path.glob(".mgneuron-stream-*"))  # temporary reports cleaned up


def test_resume_refuses_other_parameters(tmp_path, h):
    out = tmp_path / "r.h5"
    _start_and_kill(tmp_path, out, signal.SIGKILL)
    with pytest.raises(Exception, match="other parameters"):
        run(Spiky, out, resume=True, tstop=41.0, stream=True, hang_on=2, fail_on=0.1)


def test_streamed_report_equals_held_report_and_is_bounded(tmp_path, h):
    """Streaming in 7 ms chunks gives the held-in-memory samples, with bounded blocks."""
    held = run_protocol(Spiky, tmp_path / "held.h5", amp_nA=[0.4], tstop=100.0)
    streamed = run_protocol(Spiky, tmp_path / "st.h5", amp_nA=[0.4], tstop=100.0, stream=True)
    a, b = read_traces(held), read_traces(streamed)
    assert len(a) == 2 * 1001  # t = 0, 0.1, ..., 100 ms
    pd.testing.assert_frame_equal(a, b)
    with h5py.File(streamed) as f:
        assert f["runs/0/report/cell/data"].chunks[0] <= 70  # 7 ms of 0.1 ms samples


def test_streaming_recorder_memory_is_one_chunk(h):
    settings = RunSettings(tstop=200.0, dt=0.025, celsius=6.3, v_init=-65)
    sec, clamp = _hh_cell(h, 0.3)
    rec = StreamingRecorder(
        [seg._ref_v for seg in sec], settings, 0.05, 10.0, node_ids=[0], element_ids=[0]
    )
    simulate(settings, events=rec.events())
    rep = rec.finish()
    with h5py.File(rep.path) as f:
        assert f["report/data"].shape == (4001, 1)  # t = 0 ... 200 ms
        assert np.allclose(f["report/mapping/time"][:], [0, 4001 * 0.05, 0.05])
    Path(rep.path).unlink()
    # One 10 ms chunk at dt 0.025 is 400 steps (+1 at the first flush) of 8 bytes.
    assert rec.peak_block_bytes <= 401 * 8


def test_rank_helpers_outside_mpi():
    assert rank_info() == RankInfo(0, 1, False)
    assert local_gids(5) == [0, 1, 2, 3, 4]
    info = RankInfo(1, 3, True)
    assert local_gids(range(10), info) == [1, 4, 7]
    assert [gid_rank(g, 3) for g in range(6)] == [0, 1, 2, 0, 1, 2]


def test_distributed_protocol_runs_serially(tmp_path, h):
    out = run(Ring, tmp_path / "ring.h5")
    spikes = read_spikes(out)
    assert set(spikes["node_id"]) == set(range(5))  # the wave went round the ring
    assert (read_features(out)["ranks"] == 1).all()


def test_cli_has_parallel_options(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "mgneuron.cli", "run", "nmda_iv", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert res.returncode == 0
    for flag in ("--sweep", "--workers", "--mpi", "--coreneuron", "--resume", "--quiet"):
        assert flag in res.stdout
    res = subprocess.run(
        [sys.executable, str(ROOT / "protocols" / "nmda_iv.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert "--mpi" in res.stdout and "--coreneuron" in res.stdout


def test_progress_bars_only_on_a_terminal(tmp_path):
    """With a pseudo-terminal the bars are drawn; through a pipe or with --quiet not."""
    import pty

    code = (
        "from tests.test_parallel import Spiky\n"
        "from mgneuron.parallel import run\n"
        "from mgneuron import progress\n"
        "import sys\n"
        "quiet = sys.argv[1] == 'quiet'\n"
        "with progress.simulated_time(True, ticks=5, delay_s=0):\n"
        "    run(Spiky, 'p.h5', quiet=quiet, tstop=20.0, amp_nA=[0.1, 0.2])\n"
    )
    pid, fd = pty.fork()
    if pid == 0:  # child: stderr is the terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, _python(code) + ["loud"])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    loud = b"".join(chunks).decode(errors="replace")
    assert "spiky" in loud and "2/2" in loud and "cond" in loud
    assert "simulated" in loud  # the bar over simulated time
    piped = subprocess.run(
        _python(code) + ["loud"], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "cond" not in piped.stderr
    from mgneuron import progress

    assert progress.condition_bar(3, quiet=True) is None
