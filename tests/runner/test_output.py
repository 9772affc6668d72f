"""The output of a run (mgneuron.runner.output): never clobbered, never lost, one writer.

Each test is one reproduced problem of issue 15, with the input that broke it: an existing
results file replaced without a word; an unfinished run's ``.partial`` (finished conditions
in it) deleted by the same command without ``--resume``; two runs into one ``--out`` both
simulating to the end; ``--out`` a device, a directory or a fifo; an unwritable ``--out``
failing after the whole simulation; ``--resume`` of another protocol's file a traceback.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from mgneuron.errors import ProtocolError
from mgneuron.results import partial_path, read_attrs, read_conditions, read_parameters
from mgneuron.runner import ConditionResult, Param, Protocol, run
from mgneuron.runner.output import OutputLock, claim_output, lock_path
from tests.runner._helpers import python
from tests.runner._protocols import Spiky


class Tiny(Protocol):
    """No model at all: y = 2 x per condition; interrupted (Ctrl-C) at ``Tiny.stop_on``.

    ``stop_on`` is not a parameter, so that a resumed run has the same parameters.
    """

    name = "tiny"
    title = "test protocol: no NEURON model"
    params = (Param("x", (1.0, 2.0, 3.0), "", "value", float, grid=True),)
    defaults = {"tstop": 1.0}
    calls: list[float] = []
    stop_on: float | None = None

    def run_condition(self, p):
        if p.x == Tiny.stop_on:
            raise KeyboardInterrupt  # as Ctrl-C during this condition
        Tiny.calls.append(p.x)
        return ConditionResult(features=[{"y": 2 * p.x}])


def _interrupted(out: Path, **kw) -> Path:
    """Leave ``out``'s partial file with conditions 0 and 1 finished (Ctrl-C on the third)."""
    Tiny.stop_on = 3.0
    try:
        with pytest.raises(KeyboardInterrupt):
            run(Tiny, out, quiet=True, **kw)
    finally:
        Tiny.stop_on = None
    part = partial_path(out)
    assert list(read_conditions(part, allow_partial=True)["condition_id"]) == [0, 1]
    return part


# -- an existing results file ---------------------------------------------------------------


def test_existing_results_file_is_replaced_only_with_overwrite(tmp_path, h):
    """Problem 5: the same run again silently replaced the file; now it is refused."""
    out = run(Tiny, tmp_path / "t.h5", quiet=True)
    before = out.read_bytes()
    Tiny.calls.clear()
    with pytest.raises(ProtocolError, match="exists.*--overwrite"):
        run(Tiny, out, quiet=True, seed=2)
    assert out.read_bytes() == before and Tiny.calls == []  # untouched, nothing simulated
    assert not lock_path(out).exists()
    run(Tiny, out, quiet=True, seed=2, overwrite=True)
    assert read_parameters(out)["values"]["seed"] == 2


def test_resume_of_a_finished_file_does_not_rerun_it(tmp_path, h):
    out = run(Tiny, tmp_path / "t.h5", quiet=True)
    with pytest.raises(ProtocolError, match="nothing to resume"):
        run(Tiny, out, quiet=True, resume=True)


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_output_must_be_a_regular_file(tmp_path, kind, h):
    """Problem 5/7: --out a directory (a traceback after the run) or a fifo (replaced)."""
    out = tmp_path / "out.h5"
    if kind == "directory":
        out.mkdir()
    else:
        os.mkfifo(out)
    Tiny.calls.clear()
    with pytest.raises(ProtocolError, match=f"is a {kind}"):
        run(Tiny, out, quiet=True, overwrite=True)  # not even with --overwrite
    assert Tiny.calls == []
    mode = out.stat().st_mode
    assert stat.S_ISDIR(mode) if kind == "directory" else stat.S_ISFIFO(mode)


@pytest.mark.parametrize("out", ["", "/"])
def test_an_output_without_a_file_name_is_refused(out, h):
    """``--out ""`` (read as ".") or ``--out /`` ended in "internal error: ValueError"."""
    Tiny.calls.clear()
    with pytest.raises(ProtocolError, match="names no file"):
        run(Tiny, out, quiet=True, overwrite=True)
    assert Tiny.calls == []


def test_a_device_is_refused():
    """As root, ``--out /dev/full`` replaced the device node with an HDF5 file."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with pytest.raises(ProtocolError, match="/dev/full is a device"):
        claim_output("/dev/full", "tiny", resume=False, overwrite=True)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_unwritable_folder_fails_before_simulating(h):
    """Problem 7: an --out under /proc failed with a traceback after the whole simulation."""
    Tiny.calls.clear()
    with pytest.raises(ProtocolError, match="cannot write in /proc"):
        run(Tiny, "/proc/mgneuron-test.h5", quiet=True)
    assert Tiny.calls == []


# -- an unfinished run ------------------------------------------------------------------------


def test_partial_file_is_kept_without_resume_or_overwrite(tmp_path, h):
    """Problem 3: the same command without --resume deleted FILE.h5.partial."""
    out = tmp_path / "t.h5"
    part = _interrupted(out)
    before = part.read_bytes()
    with pytest.raises(ProtocolError, match="--resume.*--overwrite"):
        run(Tiny, out, quiet=True)
    assert part.read_bytes() == before
    Tiny.calls.clear()
    run(Tiny, out, quiet=True, resume=True)  # finishes the one missing condition
    assert Tiny.calls == [3.0] and not part.exists()
    assert list(read_conditions(out)["condition_id"]) == [0, 1, 2]


def test_overwrite_discards_the_partial_file(tmp_path, h):
    out = tmp_path / "t.h5"
    _interrupted(out)
    Tiny.calls.clear()
    run(Tiny, out, quiet=True, overwrite=True)
    assert Tiny.calls == [1.0, 2.0, 3.0] and not partial_path(out).exists()


def test_resume_of_another_protocols_file_is_a_clear_error(tmp_path, h):
    """Problem 7: --resume of another protocol's partial file ended in a traceback."""
    out = tmp_path / "t.h5"
    part = _interrupted(out)
    with pytest.raises(ProtocolError, match="protocol tiny, not spiky"):
        run(Spiky, out, quiet=True, resume=True)
    assert part.exists()


def test_resume_would_replace_an_existing_file_only_with_overwrite(tmp_path, h):
    out = run(Tiny, tmp_path / "t.h5", quiet=True)
    _interrupted(out, overwrite=True)
    with pytest.raises(ProtocolError, match="would replace it"):
        run(Tiny, out, quiet=True, resume=True)
    run(Tiny, out, quiet=True, resume=True, overwrite=True)
    assert read_attrs(out)["status"] == "complete" and not partial_path(out).exists()


# -- one writer at a time ---------------------------------------------------------------------


def test_second_run_into_the_same_file_is_refused_at_once(tmp_path, h):
    """Problem 4: two runs with one --out both simulated to the end; one's results lost."""
    out = tmp_path / "k.h5"
    marker = tmp_path / "marker"
    code = (
        "from tests.runner._protocols import Spiky\n"
        "from mgneuron.runner import run\n"
        f"run(Spiky, {str(out)!r}, hang_on=1, tstop=5.0)\n"
    )
    env = dict(os.environ, MGNEURON_TEST_MARKER=str(marker))
    proc = subprocess.Popen(python(code), env=env, cwd=tmp_path)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "the first run ended before the test"
            assert time.time() < deadline, "the first run never reached condition 1"
            time.sleep(0.05)
        t0 = time.perf_counter()
        with pytest.raises(ProtocolError, match=f"another run is writing.*pid {proc.pid}"):
            run(Spiky, out, quiet=True, tstop=5.0, overwrite=True)
        assert time.perf_counter() - t0 < 5.0  # refused at once, not after simulating
        assert partial_path(out).exists()  # the first run's file is untouched
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    # The lock went with the killed process: its leftover lock file does not block.
    assert lock_path(out).exists()
    run(Spiky, out, quiet=True, tstop=5.0, amp_nA=0.1, overwrite=True)
    assert not lock_path(out).exists()


def test_lock_is_released_on_errors_and_interrupts(tmp_path, h):
    out = tmp_path / "t.h5"
    _interrupted(out)  # Ctrl-C inside the run
    assert not lock_path(out).exists()
    with pytest.raises(ProtocolError):  # refused after taking the lock
        run(Tiny, out, quiet=True)
    assert not lock_path(out).exists()
    with claim_output(out, "tiny", resume=True, overwrite=False):
        with pytest.raises(ProtocolError, match="another run"):
            OutputLock(out)
    assert not lock_path(out).exists()
