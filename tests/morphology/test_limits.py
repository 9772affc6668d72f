"""NEURON's limits and the size limits (issue 15): each input that crashed or hung, and now.

Inputs that once crashed NEURON run in a child process (tests/morphology/swc_worker.py), so
a regression fails the test instead of killing pytest. The limit itself (32,767 3-D points a
section) is measured against this NEURON build, not assumed.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mgneuron.morphology.loader as loader_mod
import mgneuron.morphology.validation as validation_mod
from mgneuron.errors import MorphologyError
from mgneuron.morphology import validate_morphology
from mgneuron.morphology.report import MAX_PT3D, MAX_SAMPLE_ID
from mgneuron.morphology.validation import _import3d_sections, _renumbered_swc
from tests.morphology.conftest import (
    ROOT,
    SHARED_FILES,
    SMALL_SWC,
    neuron_by_region,
    quiet_load,
)
from tests.morphology.swc_worker import run_batch

LOCAL_SWC = ROOT / "morphologies"


def chain_swc(n: int) -> str:
    """A one-point soma and one unbranched dendrite of ``n`` samples (1 um apart)."""
    rows = ["1 1 0 0 0 5 -1"] + [f"{i} 3 {i + 4} 0 0 1 {i - 1}" for i in range(2, n + 2)]
    return "\n".join(rows) + "\n"


def chain_asc(n: int) -> str:
    """A soma contour and one dendrite of ``n`` points; the dendrite's first point is line 14."""
    soma = "".join(
        f"  ({5 * math.cos(a * math.pi / 4):.3f} {5 * math.sin(a * math.pi / 4):.3f} 0 0)\n"
        for a in range(8)
    )
    points = "".join(f"  ({5 + 0.5 * i:.2f} 0 0 1)\n" for i in range(n))
    return f'("CellBody"\n  (Color Red)\n  (CellBody)\n{soma})\n((Dendrite)\n{points}  Normal\n)\n'


# ---- the limit in NEURON itself -----------------------------------------------------------

_PT3D_PROBE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from neuron import h
    n = int(sys.argv[1])
    sec = h.Section(name="s")
    v = [h.Vector(np.arange(n, dtype=float))] + [h.Vector(np.full(n, c)) for c in (0, 0, 1)]
    h.pt3dadd(*v, sec=sec)
    print(int(sec.n3d()), sec.L, flush=True)
    """
)


def _probe(n: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    return subprocess.run(
        [sys.executable, "-c", _PT3D_PROBE, str(n)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_neuron_holds_32767_points_per_section():
    """MAX_PT3D is this NEURON's limit: 32,767 points load; the 32,768th crashes (SIGSEGV).

    Reference: nrn/src/nrnoc/section.h declares ``short npt3d``. If a NEURON release widens
    it, the second half fails: raise MAX_PT3D then.
    """
    ok = _probe(MAX_PT3D)
    assert ok.returncode == 0, ok.stderr[-500:]
    n3d, length = ok.stdout.split()
    assert int(n3d) == MAX_PT3D and float(length) == pytest.approx(MAX_PT3D - 1)
    over = _probe(MAX_PT3D + 1)
    wrong = over.returncode != 0 or int(over.stdout.split()[0]) != MAX_PT3D + 1
    assert wrong, "NEURON now holds more than 32,767 points a section: raise MAX_PT3D"


# ---- long unbranched sections ---------------------------------------------------------------


def test_swc_section_limit_is_where_stated(tmp_path):
    """The validator passes 32,766 samples after a point soma and refuses 32,767 at line 2.

    It counts the parent's point for every section (Import3d drops it for a dendrite wired
    to a point soma), so it refuses at most one point before NEURON's limit.
    """
    p = tmp_path / "c.swc"
    p.write_text(chain_swc(MAX_PT3D - 1))
    validate_morphology(p)
    p.write_text(chain_swc(MAX_PT3D))
    with pytest.raises(MorphologyError, match="32768 3-D points") as info:
        validate_morphology(p)
    assert info.value.line == 2


def test_swc_long_sections_refused_or_loaded_without_a_crash():
    """Reproduced: an unbranched dendrite of 40,000 samples crashed NEURON (SIGSEGV).

    Now it is a MorphologyError at the line where the section starts (line 2), a file with
    the dendrite's samples out of order is refused the same way, and 32,766 samples load
    with every point.
    """
    shuffled = chain_swc(40000).splitlines()
    shuffled = [shuffled[0]] + shuffled[:0:-1]  # children before parents: renumbered
    texts = [chain_swc(40000), "\n".join(shuffled) + "\n", chain_swc(MAX_PT3D - 1)]
    res = run_batch(texts, timeout_s=300)
    assert [r["outcome"] for r in res] == ["MorphologyError", "MorphologyError", "loaded"], res
    assert ":2: an unbranched section of 40001 3-D points" in res[0]["message"]
    assert ":40001: an unbranched section of 40001 3-D points" in res[1]["message"]


def test_branch_points_split_sections(tmp_path):
    """Branch points and type changes end sections: 3 x 20,000 samples is not one section."""
    rows = ["1 1 0 0 0 5 -1"]
    for b, typ in enumerate((3, 3, 4)):
        first = 2 + b * 20000
        rows.append(f"{first} {typ} 0 {b + 1} 0 1 1")
        stop = first + 20000
        rows += [f"{i} {typ} {i - first} {b + 1} 0 1 {i - 1}" for i in range(first + 1, stop)]
    p = tmp_path / "three.swc"
    p.write_text("\n".join(rows) + "\n")
    assert validate_morphology(p).n_points == 60001


def _import3d_reads(h, report, path):
    """Section starts and point counts of Import3d's SWC reader on what the loader gives it."""
    read = path
    if report.needs_rewriting:
        read = path.with_name("rewritten_" + path.name)
        read.write_text(_renumbered_swc(report._swc_table))
    loader_mod._ensure_import3d()
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    with contextlib.redirect_stdout(io.StringIO()):
        reader.input(str(read))
    secs = [reader.sections.object(k) for k in range(int(reader.sections.count()))]
    return [int(sec.id) for sec in secs], [int(sec.d.size()) for sec in secs]


def _random_swc(seed: int) -> str:
    """A random valid tree: a soma (1, 3 or 5 samples), 2% branch points, shuffled or not."""
    rng = np.random.default_rng(seed)
    nsoma = int(rng.choice([1, 3, 5]))
    n = nsoma + int(rng.integers(5, 400))
    par = np.arange(n) - 1
    jumps = rng.random(n) < 0.05
    par[jumps] = np.floor(rng.random(int(jumps.sum())) * np.arange(n)[jumps]).astype(int)
    par[0] = -1
    if nsoma == 3 and rng.random() < 0.5:  # the NeuroMorpho three-point soma
        par[1:3] = 0
    typ = np.where(np.arange(n) < nsoma, 1, rng.choice([2, 3, 4, 7], n))
    r = np.where(typ == 1, 6.0, rng.uniform(0.2, 2, n))
    xyz = rng.uniform(-200, 200, (n, 3))
    if nsoma == 3:
        xyz[:3] = [[0, 0, 0], [0, 6, 0], [0, -6, 0]]
    rows = [
        f"{i + 1} {t} {x:.2f} {y:.2f} {z:.2f} {rr:g} {p + 1 if p >= 0 else -1}"
        for i, (t, (x, y, z), rr, p) in enumerate(zip(typ, xyz, r, par, strict=True))
    ]
    if rng.random() < 0.3:
        rows = [rows[0]] + list(rng.permutation(rows[1:]))
    return "\n".join(rows) + "\n"


def test_section_model_matches_import3d(h, tmp_path):
    """The validator splits samples into sections as Import3d does.

    Reference: NEURON's Import3d_SWC_read itself, on the shipped SWC files and 40 random
    trees (point, stack and three-point somata; 5% branch points; 30% shuffled): the same
    section starts and the same points per section (``Import3d_Section.d.size()``).
    """
    paths = [p for p in SHARED_FILES if p.suffix == ".swc"] + sorted(LOCAL_SWC.glob("*.swc"))
    for seed in range(40):
        path = tmp_path / f"random{seed}.swc"
        path.write_text(_random_swc(seed))
        paths.append(path)
    for path in paths:
        report = validate_morphology(path)
        table = report._swc_table
        ids, pids = table[:, 0].astype(np.int64), table[:, 6].astype(np.int64)
        index = {int(v): k for k, v in enumerate(ids)}
        parent_idx = np.array([index.get(int(v), -1) for v in pids])
        _, starts, npoints = _import3d_sections(table, parent_idx, report.needs_renumbering)
        copy = tmp_path / f"copy_{path.name}"
        copy.write_bytes(path.read_bytes())
        assert (starts.tolist(), npoints.tolist()) == _import3d_reads(h, report, copy), path


def test_asc_long_branch_refused_with_line(tmp_path):
    """A Neurolucida branch of 32,767 points is refused at its first point (line 14)."""
    p = tmp_path / "long.asc"
    p.write_text(chain_asc(MAX_PT3D - 1))
    assert validate_morphology(p).n_points == MAX_PT3D - 1 + 8
    p.write_text(chain_asc(MAX_PT3D))
    with pytest.raises(MorphologyError, match="32767 points or more") as info:
        validate_morphology(p)
    assert info.value.line == 14


def test_asc_longest_branch_loads(tmp_path):
    """The longest branch the validator passes (32,766 points) loads: 32,766 3-D points."""
    p = tmp_path / "long.asc"
    p.write_text(chain_asc(MAX_PT3D - 1))
    res = run_batch([{"path": str(p)}], timeout_s=300)
    assert res[0]["outcome"] == "loaded", res


def test_loader_checks_import3d_sections_itself(h, tmp_path, monkeypatch):
    """Behind the validator, the loader counts Import3d's own sections before building."""
    monkeypatch.setattr(loader_mod, "MAX_PT3D", 1)
    p = tmp_path / "small.swc"
    p.write_text(SMALL_SWC)
    with pytest.raises(MorphologyError, match="Import3d would make a section of 2 3-D points"):
        quiet_load(p)


# ---- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [2**63, 2**64, 10**30, MAX_SAMPLE_ID + 2], ids=["2^63", "2^64", "1e30", "2^53+1"]
)
def test_huge_ids_refused_not_crashing(value):
    """Reproduced: a root of id 2**63 crashed NEURON; ids or parents >= 2**53 are refused."""
    as_root = f"{value} 1 0 0 0 5 -1\n"  # with 2**63: SIGSEGV in Import3d's check_pid
    as_id = f"1 1 0 0 0 5 -1\n{value} 3 10 0 0 1 1\n"
    as_parent = f"1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 {value}\n"
    res = run_batch([as_root, as_id, as_parent], timeout_s=120)
    assert [r["outcome"] for r in res] == ["MorphologyError"] * 3, res
    assert ":1: sample id" in res[0]["message"] and "too large" in res[0]["message"]
    assert ":2: sample id" in res[1]["message"] and "too large" in res[1]["message"]
    assert ":3: parent id" in res[2]["message"]


def test_largest_exact_id_loads(h, tmp_path):
    """2**53 - 1 is still an id: the file loads (renumbered, as its ids are sparse)."""
    p = tmp_path / "big_id.swc"
    p.write_text(f"1 1 0 0 0 5 -1\n{MAX_SAMPLE_ID} 3 10 0 0 1 1\n")
    assert validate_morphology(p).needs_renumbering
    morph = quiet_load(p)
    assert len(morph.sections) == 2
    morph.delete()


# ---- blank lines ----------------------------------------------------------------------------

_BLANKS = {
    "middle": lambda lines: lines[:3] + [""] + lines[3:],
    "trailing": lambda lines: lines + ["", "", ""],
    "whitespace": lambda lines: lines[:2] + ["   \t  "] + lines[2:] + ["  "],
    "leading": lambda lines: ["", ""] + lines,
}


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("where", sorted(_BLANKS))
def test_blank_lines_load_like_the_clean_file(h, tmp_path, where, eol):
    """Reproduced: blank lines were refused ("could not parse"); NEURON loads such files.

    Reference: the same file without the blank lines, loaded here; lengths and areas per
    region agree exactly.
    """
    lines = SMALL_SWC.splitlines()
    p = tmp_path / f"{where}.swc"
    p.write_text(eol.join(_BLANKS[where](lines)) + eol, newline="")
    q = tmp_path / "clean.swc"
    q.write_text(SMALL_SWC)
    assert validate_morphology(p).needs_rewriting
    a, b = quiet_load(p), quiet_load(q)
    assert neuron_by_region(a) == neuron_by_region(b)
    a.delete()
    b.delete()


def test_comments_reach_import3d_unchanged(tmp_path):
    """Indented and trailing comments are what Import3d reads itself: no rewritten copy."""
    body = SMALL_SWC.replace("6 2 -5 0 0 0.5 1", "6 2 -5 0 0 0.5 1 # ax")
    text = "  # indented\n\t# tab\n" + body
    p = tmp_path / "comments.swc"
    p.write_text(text)
    report = validate_morphology(p)
    assert not report.needs_rewriting and report.n_points == 7


def test_line_numbers_count_blank_lines(tmp_path):
    """Errors after blank lines name the file's own line (blank lines counted)."""
    p = tmp_path / "b.swc"
    p.write_text("1 1 0 0 0 5 -1\n\n\n2 3 10 0 0 1 1\n\n3 3 20 0 0 0 2\n")
    with pytest.raises(MorphologyError, match="radius must be > 0") as info:
        validate_morphology(p)
    assert info.value.line == 6


# ---- size limits and progress ---------------------------------------------------------------


def test_sample_limit(tmp_path, monkeypatch):
    """More samples than MAX_POINTS: refused at the first sample beyond it."""
    monkeypatch.setattr(validation_mod, "MAX_POINTS", 5)
    p = tmp_path / "s.swc"
    p.write_text("# header\n" + SMALL_SWC)  # 7 samples on lines 2..9
    with pytest.raises(MorphologyError, match="7 samples; mgneuron loads at most 5") as info:
        validate_morphology(p)
    assert info.value.line == 8


def test_section_limit(tmp_path, monkeypatch):
    """More sections than MAX_SECTIONS: refused at the first section beyond it."""
    monkeypatch.setattr(validation_mod, "MAX_SECTIONS", 3)
    p = tmp_path / "s.swc"
    p.write_text(SMALL_SWC)  # sections start at samples 1, 2, 4, 5, 6 (lines 2, 3, 5, 6, 7)
    with pytest.raises(MorphologyError, match="make 5 unbranched sections") as info:
        validate_morphology(p)
    assert info.value.line == 6


def test_file_size_limit(tmp_path, monkeypatch):
    """A file over MAX_FILE_BYTES is refused before it is read."""
    monkeypatch.setattr(validation_mod, "MAX_FILE_BYTES", 100)
    p = tmp_path / "s.swc"
    p.write_text(SMALL_SWC + "#" * 200 + "\n")
    with pytest.raises(MorphologyError, match="mgneuron reads morphology files up to"):
        validate_morphology(p)


def test_progress_lines_for_large_files(h, tmp_path, monkeypatch, capsys):
    """Files from PROGRESS_BYTES on say on stderr what is being done, and how long it took."""
    monkeypatch.setattr(validation_mod, "PROGRESS_BYTES", 0)
    monkeypatch.setattr(loader_mod, "PROGRESS_BYTES", 0)
    p = tmp_path / "progress.swc"
    p.write_text(SMALL_SWC)
    quiet_load(p).delete()
    err = capsys.readouterr().err
    assert f"mgneuron: {p}: checking" in err
    assert "7 points checked in" in err
    assert "NEURON's Import3d is reading 7 points" in err
    assert "5 sections made in" in err


def _write_million(path, kind: str) -> None:
    """10^6 samples, random coordinates: a random tree, a chain, or 100-sample branches."""
    n = 1_000_000
    rng = np.random.default_rng(0)
    ids = np.arange(1, n + 1)
    if kind == "random":
        parent = np.floor(rng.random(n) * (ids - 1)).astype(np.int64) + 1
    else:
        parent = ids - 1
        if kind == "branches":
            starts = np.arange(101, n + 1, 100)
            parent[starts - 1] = np.floor(rng.random(starts.size) * (starts - 1)).astype(int) + 1
    parent[0] = -1
    typ = np.full(n, 3)
    typ[0] = 1
    table = np.column_stack([ids, typ, rng.uniform(-1000, 1000, (n, 3)), rng.uniform(0.2, 2, n)])
    np.savetxt(path, np.column_stack([table, parent]), fmt="%d %d %.3f %.3f %.3f %.3f %d")


@pytest.mark.slow
def test_million_line_files(tmp_path):
    """Reproduced: a 10^6-line random-coordinate SWC grew to 10.6 GB in 5 min, silently.

    Measured before the fix (this machine): the random tree 152 s and 4.6 GB in Import3d;
    the chain a SIGSEGV; the branched file 36 s and 0.9 GB. Now the random tree and the chain
    are refused at validation (< 30 s, < 1 GB), the branched file loads within 120 s and
    1.5 GB, and each prints progress lines on stderr.
    """
    items = []
    for kind in ("random", "chain", "branches"):
        path = tmp_path / f"{kind}.swc"
        _write_million(path, kind)
        items.append({"path": str(path)})
    res = run_batch(items, timeout_s=600)
    random_tree, chain, branches = res
    assert random_tree["outcome"] == "MorphologyError", res
    assert re.search(r"make [0-9,]{7} unbranched sections", random_tree["message"]), res
    assert chain["outcome"] == "MorphologyError" and "1000000 3-D points" in chain["message"]
    assert branches["outcome"] == "loaded", res
    assert random_tree["s"] < 30 and chain["s"] < 30 and branches["s"] < 120, res
    assert max(r["rss_mb"] for r in res) < 1500, res
    assert re.search(r"[0-9,]+ sections made in", res[0]["stderr"]), res[0]["stderr"]
