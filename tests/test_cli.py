"""The command line's errors and Ctrl-C: messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mgneuron import cli
from mgneuron.results import partial_path, read_attrs, read_conditions
from tests._processes import kill_all, needs_proc, wait_gone, workers_of
from tests.conftest import ROOT

# A protocol script of the test protocol Spiky: `python spiky.py [options]`.
SCRIPT = """\
from tests.runner._protocols import Spiky
from mgneuron.cli import protocol_main

if __name__ == "__main__":  # worker processes import this file too
    raise SystemExit(protocol_main(Spiky))
"""


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.pop("MGNEURON_DEBUG", None)
    env.update(extra)
    return env


# -- errors ----------------------------------------------------------------------------------


def test_configuration_error_exits_2_with_one_line(tmp_path, capsys):
    """A bad value: ``mgneuron: error: ...`` and exit 2, no traceback."""
    code = cli.main(["run", "nmda_iv", "--mg", "-1", "--out", str(tmp_path / "x.h5")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mgneuron: error: ") and "mg_mM must be >= 0" in err
    assert "Traceback" not in err


def test_unknown_protocol_exits_2(capsys):
    assert cli.main(["run", "no_such_protocol"]) == 2
    assert capsys.readouterr().err.startswith("mgneuron: error: ")


def test_missing_file_is_a_run_error_exit_1(tmp_path, capsys):
    """A file that is not there (OSError or ResultsError): one line, exit 1."""
    code = cli.main(["info", str(tmp_path / "missing.h5")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("mgneuron: error: ") and "missing.h5" in err
    assert "Traceback" not in err


def _boom(args):
    return 1 / 0


def test_unexpected_error_is_summarised_with_the_debug_hint(monkeypatch, capsys):
    monkeypatch.delenv("MGNEURON_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_cmd_protocols", _boom)
    assert cli.main(["protocols"]) == 1
    err = capsys.readouterr().err
    assert "mgneuron: internal error: ZeroDivisionError: division by zero" in err
    assert cli.DEBUG_HINT in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2


@pytest.mark.parametrize("how", ["--debug first", "--debug last", "MGNEURON_DEBUG=1"])
def test_debug_shows_the_traceback(monkeypatch, capsys, how):
    monkeypatch.delenv("MGNEURON_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_cmd_protocols", _boom)
    if how == "MGNEURON_DEBUG=1":
        monkeypatch.setenv("MGNEURON_DEBUG", "1")
        argv = ["protocols"]
    else:
        argv = ["--debug", "protocols"] if how == "--debug first" else ["protocols", "--debug"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert cli.DEBUG_HINT not in err


def test_protocol_script_errors_have_no_traceback(tmp_path):
    """``python protocols/NAME.py`` with a bad value (protocol_main): same message, exit 2."""
    res = subprocess.run(
        [sys.executable, str(ROOT / "protocols" / "nmda_iv.py"), "--mg", "-1", "--out", "x.h5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        check=False,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("mgneuron: error: ") and "Traceback" not in res.stderr


def test_protocol_main_unexpected_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("MGNEURON_DEBUG", raising=False)
    monkeypatch.setattr(cli, "run_from_args", lambda *a, **k: {}["missing"])
    assert cli.protocol_main("nmda_iv", ["--out", str(tmp_path / "x.h5")]) == 1
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err and cli.DEBUG_HINT in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (cli.ProtocolError("x"), 2),
        (cli.MgNeuronError("x"), 1),
        (FileNotFoundError("x"), 1),
        (RuntimeError("x"), 1),
        (KeyboardInterrupt(), 130),
    ],
)
def test_exit_codes(exc, code):
    assert cli.exit_code(exc) == code


# -- Ctrl-C ----------------------------------------------------------------------------------


def _interrupt(tmp_path: Path, workers: int) -> tuple[subprocess.CompletedProcess, list[int]]:
    """Start ``python spiky.py`` (condition 2 hangs), Ctrl-C it as a terminal does (the
    whole process group), return what it printed and its worker pids."""
    (tmp_path / "spiky.py").write_text(SCRIPT)
    marker = tmp_path / "marker"
    argv = ["spiky.py", "--tstop", "20", "--hang-on", "2", "--out", "k.h5"]
    argv += ["--workers", str(workers)] if workers > 1 else []
    proc = subprocess.Popen(
        [sys.executable, *argv],
        cwd=tmp_path,
        env=_env(MGNEURON_TEST_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    workers_seen: list[int] = []
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.time() < deadline, "the run never reached condition 2"
            time.sleep(0.05)
        if workers > 1:
            workers_seen = workers_of(proc.pid)
        time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), workers_seen


@needs_proc
@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_saves_and_prints_the_resume_command(tmp_path, workers):
    """Ctrl-C while condition 2 runs: exit 130, no traceback, the partial file keeps the
    finished conditions, and the printed command (the same plus --resume) finishes it."""
    res, seen = _interrupt(tmp_path, workers)
    try:
        assert res.returncode == 130, res.stderr
        assert "Traceback" not in res.stderr, res.stderr
        m = re.search(
            r"(\d+) of 4 conditions saved in (\S+); to finish the run:\n  (.+)", res.stderr
        )
        assert m, res.stderr
        partial = tmp_path / m.group(2)
        assert partial == partial_path(tmp_path / "k.h5") and partial.exists()
        saved = read_conditions(partial, allow_partial=True)
        assert len(saved) == int(m.group(1)) >= 2 and 2 not in set(saved["condition_id"])
        resume = shlex.split(m.group(3))
        expected = ["python", "spiky.py", "--tstop", "20", "--hang-on", "2", "--out", "k.h5"]
        expected += ["--workers", str(workers)] if workers > 1 else []
        assert resume == [*expected, "--resume"]
        assert not wait_gone(seen, timeout_s=5.0), "workers outlived the interrupted sweep"
    finally:
        kill_all(seen)
    # the printed command, as printed (its `python` is this interpreter)
    done = subprocess.run(
        [sys.executable, *resume[1:]],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    attrs = read_attrs(tmp_path / "k.h5")
    assert attrs["status"] == "complete" and int(attrs["n_conditions"]) == 4
    assert len(read_conditions(tmp_path / "k.h5")) == 4


# -- failed runs and the output file (issue 15) -----------------------------------------------


def test_a_run_whose_every_condition_failed_exits_1_with_the_first_error(tmp_path, capsys, h):
    """Every condition failed: the run exited 0 with a one-line warning; now exit 1."""
    from tests.runner._protocols import Spiky

    out = tmp_path / "f.h5"
    argv = ["--amp-nA", "0.1", "--fail-on", "0.1", "--tstop", "5", "--out", str(out), "--quiet"]
    assert cli.protocol_main(Spiky, argv) == 1
    err = capsys.readouterr().err
    assert "every condition failed (1 of 1): first error condition 0: RuntimeError" in err
    assert read_attrs(out)["status"] == "failed"
    argv = ["--amp-nA", "0.1,0.2", "--fail-on", "0.1", "--tstop", "5", "--out", str(out)]
    assert cli.protocol_main(Spiky, [*argv, "--quiet", "--overwrite"]) == 0
    err = capsys.readouterr().err
    assert "1 of 2 conditions failed: first error condition 0: RuntimeError" in err


def test_overwrite_flag_and_conflicting_sweep_values(tmp_path, capsys, h):
    out = str(tmp_path / "iv.h5")
    base = ["run", "nmda_iv", "--mg", "1", "--block-model", "0", "--out", out, "--quiet"]
    assert cli.main(base) == 0
    capsys.readouterr()
    assert cli.main(base) == 2  # the same run again: refused, the file kept
    err = capsys.readouterr().err
    assert "iv.h5 exists" in err and "pass --overwrite" in err
    assert cli.main([*base, "--overwrite"]) == 0
    for sweep in (["mg=0,1", "mg_mM=2"], ["mg=0,0"]):
        code = cli.main(["run", "nmda_iv", "--out", out, "--overwrite", "--sweep", *sweep])
        assert code == 2
        assert re.search(r"names mg_mM twice|repeat 0\.0", capsys.readouterr().err)


def test_info_on_a_partial_file_with_no_finished_condition(tmp_path, capsys):
    """`mgneuron info` crashed (KeyError) on a partial file with no finished condition."""
    from mgneuron.results import ResultsWriter

    part = ResultsWriter(tmp_path / "e.h5", "demo", {}, command="test").close()
    assert cli.main(["info", str(part)]) == 0
    assert "none finished yet (status 'partial')" in capsys.readouterr().out
