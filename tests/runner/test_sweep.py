"""The sweep (mgneuron.runner.run): kill + resume, its command line, progress bars."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mgneuron.errors import ProtocolError, ResultsError
from mgneuron.results import partial_path, read_attrs, read_conditions, read_features
from mgneuron.runner import run
from tests.runner._helpers import ROOT, python, same_content
from tests.runner._protocols import Spiky


def _start_and_kill(tmp_path: Path, out: Path, sig: int, flush_s: str = "1") -> None:
    marker = tmp_path / f"marker-{sig}"
    code = (
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        f"run(Spiky, {str(out)!r}, hang_on=2, stream=True, tstop=40.0, fail_on=0.1)\n"
    )
    env = dict(os.environ, MGNEURON_TEST_MARKER=str(marker), MGNEURON_FLUSH_S=flush_s)
    proc = subprocess.Popen(python(code), env=env, cwd=tmp_path)
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
    same_content(resumed, clean)
    # condition 1 failed before the interruption: counted after the resume too
    assert read_attrs(resumed)["n_failed"] == read_attrs(clean)["n_failed"] == 1
    assert not list(tmp_path.glob(".mgneuron-stream-*"))  # temporary reports cleaned up


def test_resume_refuses_other_parameters(tmp_path, h):
    out = tmp_path / "r.h5"
    _start_and_kill(tmp_path, out, signal.SIGKILL)
    with pytest.raises(Exception, match="other parameters"):
        run(Spiky, out, resume=True, tstop=41.0, stream=True, hang_on=2, fail_on=0.1)


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
    """With a pseudo-terminal the bars are drawn; through a pipe plain lines; --quiet none."""
    import pty

    code = (
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        "from mgneuron import progress\n"
        "import sys\n"
        "quiet = sys.argv[1] == 'quiet'\n"
        "with progress.simulated_time(True, ticks=5, delay_s=0):\n"
        "    run(Spiky, 'p.h5', quiet=quiet, tstop=20.0, amp_nA=[0.1, 0.2], overwrite=True)\n"
    )
    pid, fd = pty.fork()
    if pid == 0:  # child: stderr is the terminal
        os.chdir(tmp_path)
        os.execv(sys.executable, python(code) + ["loud"])
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
        python(code) + ["loud"], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "spiky: 2/2 conditions done, 0 failed" in piped.stderr  # a line, not a bar
    assert "\r" not in piped.stderr and "simulated" not in piped.stderr
    from mgneuron import progress

    assert progress.condition_bar(3, quiet=True) is None


# -- runs that failed (issue 15) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"morphology": "nope.swc"}, "morphology='nope.swc'"),
        ({"biophysics": "nope"}, "biophysics='nope'"),
        ({"myelinated_axon": "10:nopreset"}, "unknown myelin preset"),
        ({"myelinated_axon": "-3"}, "fiber diameter must be a positive"),
        ({"dt": 5.0, "tstop": 1.0}, "longer than tstop"),
    ],
)
def test_a_configuration_failing_every_condition_stops_before_the_run(tmp_path, overrides, message):
    """Problem 2: each of these failed inside every condition and the run said `complete`.

    Now the run stops before the first condition, and nothing is written.
    """
    with pytest.raises(ProtocolError, match=f"excitability_mg: condition 0 of .*{message}"):
        run("excitability_mg", tmp_path / "e.h5", quiet=True, quick=True, **overrides)
    assert not list(tmp_path.iterdir())


def test_a_run_whose_every_condition_failed_is_marked_failed(tmp_path, h):
    """Problem 2: every condition failed and the file said `complete`."""
    out = run(Spiky, tmp_path / "f.h5", amp_nA=[0.1, 0.2], fail_on=0.1, tstop=5.0)
    assert read_attrs(out)["status"] == "complete" and read_attrs(out)["n_failed"] == 1
    out = run(Spiky, tmp_path / "g.h5", amp_nA=[0.1], fail_on=0.1, tstop=5.0)
    attrs = read_attrs(out)
    assert attrs["status"] == "failed" and attrs["n_failed"] == attrs["n_conditions"] == 1
    assert "breaks on purpose" in read_conditions(out).loc[0, "error"]
    with pytest.raises(ResultsError, match="every condition .* failed .*breaks on purpose"):
        read_features(out)
