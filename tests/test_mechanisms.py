"""The mechanism cache: no recompiling, rebuild on change, concurrent builds, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mgneuron.errors import MechanismBuildError
from mgneuron.mechanisms import build

# The cache logic is the same for any sources; a one-file library keeps the builds short.
BUILD = (
    "import json, sys; from mgneuron.mechanisms import build; "
    "lib = build(base_dir=sys.argv[1]); "
    "print(json.dumps({'compiled': lib.compiled, 'key': lib.key, 'pid': lib.marker['pid']}))"
)

USER_MOD = """
NEURON {{ SUFFIX userleak{n} NONSPECIFIC_CURRENT i RANGE g }}
PARAMETER {{ g = {g} (S/cm2) }}
ASSIGNED {{ v (mV) i (mA/cm2) }}
BREAKPOINT {{ i = g * (v + 70) }}
"""


def _build_in_subprocess(cache, extra, **popen):
    env = dict(os.environ, MGNEURON_CACHE=str(cache))
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, *map(str, extra)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _result(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_cache_reuse_rebuild_and_concurrency(tmp_path):
    cache = tmp_path / "cache"
    user = tmp_path / "usermods"
    user.mkdir()
    (user / "userleak.mod").write_text(USER_MOD.format(n="", g=1e-4))
    # two processes at once: both succeed, one build, same key
    p1, p2 = _build_in_subprocess(cache, [user]), _build_in_subprocess(cache, [user])
    r1, r2 = _result(p1), _result(p2)
    assert r1["key"] == r2["key"]
    assert sorted([r1["compiled"], r2["compiled"]]) == [False, True]
    assert r1["pid"] == r2["pid"]  # the marker of the one build both use
    # a third process finds the build: no recompiling
    r3 = _result(_build_in_subprocess(cache, [user]))
    assert r3["compiled"] is False and r3["key"] == r1["key"]
    # an edited .mod gives a new build
    (user / "userleak.mod").write_text(USER_MOD.format(n="", g=2e-4))
    r4 = _result(_build_in_subprocess(cache, [user]))
    assert r4["compiled"] is True and r4["key"] != r1["key"]
    assert not list(cache.glob(".build-*"))  # no temporary directories left
    assert not (Path.cwd() / "x86_64").exists()


@pytest.mark.slow
def test_failed_build_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MGNEURON_CACHE", str(tmp_path / "cache"))
    user = tmp_path / "bad"
    user.mkdir()
    (user / "broken.mod").write_text("NEURON { SUFFIX broken }\nBREAKPOINT { x = = 1 }\n")
    with pytest.raises(MechanismBuildError, match="broken.mod") as info:
        build(base_dir=user)
    assert info.value.mod_file == "broken.mod"
    assert "line" in str(info.value).lower()


def test_load_is_idempotent(h):
    from mgneuron.mechanisms import load, loaded

    lib = loaded()
    assert load() is lib
    assert hasattr(h, "NMDAMg") and hasattr(h, "AMPASyn")


def test_nothing_compiles_at_import(tmp_path):
    env = dict(os.environ, MGNEURON_CACHE=str(tmp_path / "c"))
    code = (
        "import mgneuron, mgneuron.runner, mgneuron.engine, mgneuron.results, mgneuron.cli; "
        "import sys; print('neuron' in sys.modules)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert not (tmp_path / "c").exists()
    assert res.stdout.strip() == "False"


def test_duplicate_mod_name_is_an_error(tmp_path):
    from mgneuron.errors import MechanismError

    (tmp_path / "nmda_mg.mod").write_text("NEURON { SUFFIX x }\n")
    with pytest.raises(MechanismError, match="two NMODL files are named nmda_mg.mod"):
        build(extra_dirs=[tmp_path])


def test_compiling_says_so_on_stderr(tmp_path, monkeypatch, capsys):
    """A build that compiles (silent for ~40 s before) says so when it starts and ends;
    a cached build says nothing. nrnivmodl is replaced by a fake that makes the library."""
    import mgneuron.mechanisms as mech

    monkeypatch.setenv("MGNEURON_CACHE", str(tmp_path / "cache"))
    user = tmp_path / "mods"
    user.mkdir()
    (user / "userleak.mod").write_text(USER_MOD.format(n="", g=1e-4))

    def fake_nrnivmodl(cmd, cwd, **kwargs):
        lib = Path(cwd) / "x86_64" / "libnrnmech.so"
        lib.parent.mkdir()
        lib.write_bytes(b"")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(mech, "_nrnivmodl", lambda: "nrnivmodl")
    monkeypatch.setattr(mech.subprocess, "run", fake_nrnivmodl)
    lib = build(base_dir=user)
    captured = capsys.readouterr()
    assert lib.compiled
    assert (
        f"compiling NMODL mechanisms with nrnivmodl into {lib.directory} (first run" in captured.err
    )
    assert "compiled NMODL mechanisms in " in captured.err
    assert captured.out == ""  # stdout stays for data
    assert build(base_dir=user).compiled is False
    assert capsys.readouterr().err == ""
