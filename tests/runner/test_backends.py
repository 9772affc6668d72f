"""Backends: in this process, in worker processes (failures, crashes), lockstep serially.

The MPI backends (bulletin board, lockstep over ranks) are tested in test_mpi.py.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from mgneuron.errors import ProtocolError
from mgneuron.results import read_attrs, read_conditions, read_features, read_spikes
from mgneuron.runner import run
from tests._processes import kill_all, needs_proc, wait_gone, workers_of
from tests.runner._helpers import ROOT, python, same_content
from tests.runner._protocols import Ring, Spiky

SMALL = {"tstop": 40.0}


def test_serial_and_two_workers_give_identical_files(tmp_path, h):
    """Same features and traces in-process and in 2 spawned workers.

    The main process has its globals changed first (celsius, dt, Random123 global
    index): conditions must not see them, in this process or in a worker.
    """
    h.celsius, h.dt = 37.0, 0.1
    h.Random().Random123_globalindex(9)
    serial = run(Spiky, tmp_path / "serial.h5", **SMALL)
    workers = run(Spiky, tmp_path / "workers.h5", workers=2, **SMALL)
    same_content(serial, workers)
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


def test_distributed_protocol_runs_serially(tmp_path, h):
    out = run(Ring, tmp_path / "ring.h5")
    spikes = read_spikes(out)
    assert set(spikes["node_id"]) == set(range(5))  # the wave went round the ring
    assert (read_features(out)["ranks"] == 1).all()


# -- workers die with their parent ----------------------------------------------------------


@needs_proc
def test_workers_die_when_the_sweep_is_killed(tmp_path):
    """SIGKILL the process of a 2-worker sweep while a worker sits in a condition: both
    worker processes end within a few seconds (they went on running before)."""
    marker = tmp_path / "marker"
    code = (
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        f"run(Spiky, {str(tmp_path / 'k.h5')!r}, workers=2, hang_on=1, tstop=20.0)\n"
    )
    env = dict(os.environ, MGNEURON_TEST_MARKER=str(marker))
    proc = subprocess.Popen(python(code), env=env, cwd=tmp_path)
    workers: list[int] = []
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.time() < deadline, "no worker reached condition 1"
            time.sleep(0.05)
        workers = workers_of(proc.pid)
        assert len(workers) == 2, workers
        proc.kill()
        proc.wait(10)
        left = wait_gone(workers, timeout_s=5.0)
        assert not left, f"worker processes {left} outlived their killed parent"
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_all(workers)


@needs_proc
def test_watchdog_ends_an_orphan_without_prctl(tmp_path):
    """The portable fallback alone (no PR_SET_PDEATHSIG): a process whose parent exits
    notices the new parent pid and ends."""
    ready = tmp_path / "ready"
    grandchild = (
        "import os, pathlib, sys, time\n"
        "from mgneuron.runner.backends import die_with_parent\n"
        "die_with_parent(os.getppid(), interval_s=0.1, pdeathsig=False)\n"
        "pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    child = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {grandchild!r}, {str(ready)!r}])\n"
        f"while not os.path.exists({str(ready)!r}): time.sleep(0.05)\n"
        "os._exit(0)\n"
    )
    subprocess.run(python(child), cwd=ROOT, timeout=60, check=True)
    pid = int(ready.read_text())
    try:
        assert not wait_gone([pid], timeout_s=5.0), "the orphan did not end"
    finally:
        kill_all([pid])
