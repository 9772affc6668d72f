"""The protocol base class and its command line: failing conditions, isolation, CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mgneuron.errors import ProtocolError
from mgneuron.results import read_conditions, read_features
from mgneuron.runner import (
    ConditionResult,
    Param,
    Params,
    Protocol,
    get_protocol,
    list_protocols,
    run,
)
from tests.conftest import ROOT


class Flaky(Protocol):
    """Fails on one condition; used to test that a sweep goes on."""

    name = "flaky"
    title = "test protocol"
    params = (Param("x", (1.0, 2.0, 3.0), "", "x", float, grid=True),)

    def run_condition(self, p):
        if p.x == 2.0:
            raise RuntimeError("condition two breaks")
        return ConditionResult(features=[{"y": p.x * 10}])


class Leaky(Protocol):
    name = "leaky"
    params = ()
    kept = []

    def run_condition(self, p):
        from neuron import h

        self.kept.append(h.Section(name="leak"))
        return ConditionResult(features=[{"y": 1.0}])


def test_unknown_protocol():
    with pytest.raises(ProtocolError, match="unknown protocol 'nope'"):
        get_protocol("nope")


def test_failing_condition_is_recorded_and_sweep_goes_on(tmp_path, h):
    out = run(Flaky, tmp_path / "f.h5", quiet=True)
    conds = read_conditions(out)
    assert list(conds["status"]) == ["ok", "failed", "ok"]
    assert "condition two breaks" in conds.loc[1, "error"]
    feats = read_features(out)
    assert list(feats["y"]) == [10.0, 30.0]


def test_leaked_sections_are_refused(tmp_path, h):
    with pytest.raises(ProtocolError, match="left 1 sections alive"):
        run(Leaky, tmp_path / "l.h5", quiet=True)
    Leaky.kept.clear()


def test_standalone_script_and_cli_help(tmp_path):
    for cmd in (
        [sys.executable, str(ROOT / "protocols" / "nmda_iv.py"), "--help"],
        [sys.executable, "-m", "mgneuron.cli", "run", "epsp_mg", "--help"],
    ):
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=False)
        assert res.returncode == 0, res.stderr
        for flag in ("--mg", "--out", "--seed", "--dt", "--tstop"):
            assert flag in res.stdout


def _cli(cwd, *args: str) -> subprocess.CompletedProcess:
    """``python -m mgneuron.cli ARGS`` in ``cwd``, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "mgneuron.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_cli_run_writes_complete_file(tmp_path):
    out = tmp_path / "e.h5"
    res = _cli(
        tmp_path, "run", "epsp_mg", "--mg", "0,1", "--tstop", "60", "--out", str(out), "--quiet",
        "--plot",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    df = read_features(out)
    assert list(df["mg_mM"]) == [0.0, 1.0]
    assert (tmp_path / "e.png").stat().st_size > 10_000  # named after e.h5
    res = _cli(tmp_path, "run", "epsp_mg", "--mg", "-1", "--out", str(out))
    assert res.returncode == 2 and "mg_mM must be >= 0" in res.stderr


@pytest.mark.parametrize("name", list_protocols())
def test_every_protocol_has_a_working_help(name):
    import argparse

    from mgneuron.cli import build_parser

    cls = get_protocol(name)
    assert cls.title and cls.__doc__
    text = build_parser(cls, argparse.ArgumentParser(prog=name)).format_help()
    assert "--tstop" in text and "--seed" in text
    # the bath is set the same way everywhere: --mg and --ca, aliases mg and ca, in mM
    for name_, flag, alias in (("mg_mM", "--mg", "mg"), ("ca_mM", "--ca", "ca")):
        p = cls.param(name_)
        assert p.cli_flag == flag and alias in p.aliases and p.unit == "mM" and p.minimum == 0
        assert flag in text


def test_sweep_command_is_run_with_a_grid(tmp_path):
    """``mgneuron sweep P a=.. b=.. [options]`` equals ``mgneuron run P [options] --sweep``."""
    from mgneuron.cli import _sweep_to_run

    assert _sweep_to_run(["nmda_iv", "mg=0,1", "block_model=0,1", "--quiet"]) == [
        "nmda_iv",
        "--quiet",
        "--sweep",
        "mg=0,1",
        "block_model=0,1",
    ]
    with pytest.raises(SystemExit, match="NAME=V1,V2"):
        _sweep_to_run(["nmda_iv", "mg"])
    out = tmp_path / "s.h5"
    res = _cli(
        tmp_path, "sweep", "nmda_iv", "mg=0,1", "block_model=0,2", "--tstop", "40",
        "--t-event", "10", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    conds = read_conditions(out)
    assert sorted(zip(conds["mg_mM"], conds["block_model"], strict=True)) == [
        (0.0, 0), (0.0, 2), (1.0, 0), (1.0, 2)
    ]  # fmt: skip


# -- checks before the first condition (issue 15) ----------------------------------------


class Checked(Protocol):
    """Adds a rule of its own to the base checks (x below 10) and counts its conditions."""

    name = "checked"
    title = "test protocol: checks"
    params = (Param("x", (1.0, 2.0), "", "x", float, grid=True),)
    defaults = {"tstop": 5.0}
    ran: list[float] = []

    @classmethod
    def check_condition(cls, p):
        super().check_condition(p)
        if p.x >= 10:
            raise ProtocolError(f"x must be below 10, got {p.x}")

    def run_condition(self, p):
        Checked.ran.append(p.x)
        return ConditionResult(features=[{"y": p.x}])


def test_base_check_refuses_dt_longer_than_tstop():
    """Problem 2: dt > tstop failed inside each condition; the run said `complete`."""
    values = Checked.resolve({"dt": 2.0, "tstop": 1.0})[0]
    with pytest.raises(ProtocolError, match="dt=2.0 ms is longer than tstop=1.0 ms"):
        Checked.check_condition(Params({**values, "x": 1.0}, "checked"))
    Checked.check_condition(Params({**values, "x": 1.0, "dt": 1.0}, "checked"))  # dt = tstop


def test_a_failing_check_stops_the_run_before_anything(tmp_path, h):
    """One bad condition of a sweep: nothing simulated, no file; the message names it."""
    Checked.ran.clear()
    out = tmp_path / "c.h5"
    with pytest.raises(ProtocolError, match=r"condition 2 of 3 \(x=12.0\): x must be below 10"):
        run(Checked, out, x=[1.0, 2.0, 12.0], quiet=True)
    with pytest.raises(ProtocolError, match="longer than tstop"):
        run(Checked, out, dt=10.0, quiet=True)
    assert Checked.ran == [] and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("overrides", "sweep", "message"),
    [
        ({}, {"x": [0, 0]}, "values of x repeat 0.0"),
        ({"x": [1, 2, 1]}, None, "values of x repeat 1.0"),
        ({"x": 1.0}, {"x": [1.0, 2.0]}, "x is given twice"),
        ({"seed": 1}, {"seed": [2, 3]}, "seed is given twice"),
    ],
)
def test_repeated_or_conflicting_values_are_refused(overrides, sweep, message):
    """Problem 7: `--sweep mg=0,0` and `--mg 1 --sweep mg=0,1` were accepted."""
    with pytest.raises(ProtocolError, match=message):
        Checked.resolve(overrides, sweep)


def test_an_alias_and_its_name_are_one_parameter():
    from mgneuron.protocols.nmda_iv import NmdaIV

    with pytest.raises(ProtocolError, match="mg_mM is given twice"):
        NmdaIV.resolve(None, {"mg": [0, 1], "mg_mM": [2]})


def test_huge_sweep_is_refused_before_it_is_expanded(monkeypatch):
    """Problem 7: a 10-million-condition sweep was accepted and took 7 GB."""
    grid = {
        "x": list(range(100)),
        "seed": list(range(100)),
        "dt": [0.01 * (k + 1) for k in range(100)],
    }
    grid["tstop"] = [10.0 + k for k in range(10)]
    expanded = []
    monkeypatch.setattr(Checked, "conditions", classmethod(lambda c, *a: expanded.append(1)))
    with pytest.raises(ProtocolError, match="10000000 conditions.*MGNEURON_MAX_CONDITIONS"):
        Checked.resolve(None, grid)
    assert not expanded
    monkeypatch.setenv("MGNEURON_MAX_CONDITIONS", "20000000")
    Checked.resolve(None, grid)  # raised by the variable
    monkeypatch.setenv("MGNEURON_MAX_CONDITIONS", "4")
    with pytest.raises(ProtocolError, match="limit of 4"):
        Checked.resolve(None, {"x": [1, 2, 3, 4, 5]})
