"""Tests of mgneuron.morphology.loader: Import3d loading, policies, ownership, the caches.

References used here (each test names its own and its tolerance): lengths and areas
computed in this file straight from the files' points (not via NEURON).
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from mgneuron.errors import LocationError, MorphologyError
from mgneuron.morphology import MorphologyWarning, load_morphology
from tests.morphology.conftest import (
    MORPH_DIR,
    ROOT,
    SHARED_FILES,
    SMALL_SWC,
    n_sections,
    neuron_by_region,
    quiet_load,
)

# --------------------------------------------------------------------------------------
# Independent reference: lengths and areas from the raw points
# --------------------------------------------------------------------------------------


def frustum(p0, p1, r0, r1) -> tuple[float, float]:
    """Length and lateral area of the truncated cone between two points (um, um2)."""
    length = float(np.linalg.norm(np.subtract(p1, p0)))
    return length, math.pi * (r0 + r1) * math.sqrt(length**2 + (r1 - r0) ** 2)


def swc_reference(path: Path, soma_diameter_um: float = 20.0) -> dict:
    """Per-region length and area from SWC samples, with Import3d's conventions.

    * Neurites: one frustum per sample and its parent when neither is soma. A neurite that
      leaves the root sample (the soma centre, or the first sample of a stack) starts at
      its own first sample: Import3d joins it to the soma by a wire that is not membrane.
      A neurite that leaves another soma sample (a stack soma, as in the CA1 file) starts
      at that sample's position with the neurite's own first radius (Import3d copies the
      point with the child's diameter).
    * Soma: one sample is a sphere (area 4 pi r^2, length 2r); several samples are the
      frustums between soma samples (the NeuroMorpho three-point soma gives a cylinder of
      length and diameter 2r, the same area). A zero-size soma is what the loader's
      policy puts in its place: a cylinder of length = diameter = ``soma_diameter_um``.
    """
    rows = []
    for line in path.read_text().splitlines():
        s = line.split("#")[0].split()
        if s:
            rows.append([float(v) for v in s])
    a = np.array(rows)
    index = {int(r[0]): i for i, r in enumerate(a)}
    region = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}
    out = {r: [0.0, 0.0] for r in ("soma", "axon", "basal", "apical", "custom")}
    for r in a:
        p = int(r[6])
        if p < 0:
            continue
        q = a[index[p]]
        t, tp = int(r[1]), int(q[1])
        if t == 1 and tp != 1:
            continue  # a soma sample below a neurite: not in these files
        if tp == 1 and t != 1:
            if int(q[6]) < 0:
                continue  # the wire from the root to a neurite
            length, area = frustum(q[2:5], r[2:5], r[5], r[5])
        else:
            length, area = frustum(q[2:5], r[2:5], q[5], r[5])
        key = region.get(t, "custom")
        out[key][0] += length
        out[key][1] += area
    soma = a[a[:, 1] == 1]
    if len(soma) == 1:
        r = soma[0, 5]
        out["soma"] = [2 * r, 4 * math.pi * r * r]
    if len(soma) and np.all(soma[:, 5] == 0):
        d = soma_diameter_um
        out["soma"] = [d, math.pi * d * d]
    return out


_ASC_TOKENS = re.compile(r'\(|\)|\||"[^"]*"|[^\s()|",]+')


def asc_tree(text: str) -> list:
    """Nested lists of a Neurolucida file (comments and commas dropped; '|' kept)."""
    text = re.sub(r";[^\n]*", "", text)
    stack: list[list] = [[]]
    for tok in _ASC_TOKENS.findall(text):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok)
    assert len(stack) == 1
    return stack[0]


def _is_point(item) -> bool:
    if not isinstance(item, list) or len(item) < 4:
        return False
    try:
        [float(v) for v in item[:4]]
    except (TypeError, ValueError):
        return False
    return True


def contour_cable(c: np.ndarray, n: int = 101) -> tuple[float, float]:
    """Area and length of a contour's cable: chord widths along its principal axis."""
    centre = c.mean(axis=0)
    _, _, vt = np.linalg.svd(c - centre)
    u, w = (c - centre) @ vt[0], (c - centre) @ vt[1]
    ts = np.linspace(u.min(), u.max(), n)
    widths = []
    for t in ts:
        cuts = []
        for k in range(len(c)):
            u0, w0, u1, w1 = u[k], w[k], u[(k + 1) % len(c)], w[(k + 1) % len(c)]
            if (u0 - t) * (u1 - t) <= 0 and u0 != u1:
                cuts.append(w0 + (t - u0) * (w1 - w0) / (u1 - u0))
        widths.append(max(cuts) - min(cuts) if cuts else 0.0)
    wd, dt = np.array(widths), np.diff(ts)
    area = np.sum(math.pi * (wd[1:] + wd[:-1]) / 2 * np.sqrt(dt**2 + (np.diff(wd) / 2) ** 2))
    return float(area), float(u.max() - u.min())


def asc_reference(path: Path) -> dict:
    """Per-region length and area from Neurolucida points, with Import3d's conventions.

    * A branch is the frustums between its consecutive points; a child branch starts at
      its parent's last point, taken with the child's first diameter (Import3d copies the
      point and gives it the child's diameter).
    * The soma contour, as Import3d defines it: a cable along the contour's principal axis
      (through its centroid) whose diameter at each position is the contour's width there
      (the chord across the polygon, perpendicular to the axis, in the contour's plane).
      Computed here from 101 chords; area = sum of frustum lateral areas, length = the
      contour's extent along the axis. Import3d samples fewer chords (one per contour
      point), so the two differ by a few percent of the soma area.
    """
    out = {r: [0.0, 0.0] for r in ("soma", "axon", "basal", "apical", "custom")}
    tags = {"Dendrite": "basal", "Axon": "axon", "Apical": "apical"}

    def walk(items, parent_last, region):
        pts = [[float(v) for v in it[:4]] for it in items if _is_point(it)]
        if parent_last is not None and pts:
            pts.insert(0, [*parent_last[:3], pts[0][3]])
        for p0, p1 in zip(pts[:-1], pts[1:], strict=True):
            length, area = frustum(p0[:3], p1[:3], p0[3] / 2, p1[3] / 2)
            out[region][0] += length
            out[region][1] += area
        last = pts[-1] if pts else parent_last
        for it in items:
            if (
                isinstance(it, list)
                and it
                and not _is_point(it)
                and "|" in it
                or (isinstance(it, list) and it and isinstance(it[0], list) and _is_point(it[0]))
            ):
                branch: list = []
                for x in it + ["|"]:
                    if x == "|":
                        walk(branch, last, region)
                        branch = []
                    else:
                        branch.append(x)

    for obj in asc_tree(path.read_text()):
        if not isinstance(obj, list) or not obj:
            continue
        if isinstance(obj[0], str) and obj[0].startswith('"'):
            if obj[0].strip('"') in ("CellBody", "Cell Body", "Soma"):
                c = np.array([[float(v) for v in it[:3]] for it in obj if _is_point(it)])
                area, length = contour_cable(c)
                out["soma"][0] += length
                out["soma"][1] += area
            continue
        region = "custom"
        for it in obj:
            if isinstance(it, list) and len(it) == 1 and it[0] in tags:
                region = tags[it[0]]
        if any(_is_point(it) for it in obj):
            walk(obj, None, region)
    return out


@pytest.mark.validation
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_shared_morphology_matches_raw_points(h, path):
    """Length and membrane area per region vs an independent computation from the points.

    Reference: :func:`swc_reference` / :func:`asc_reference` above (raw samples, no
    NEURON). Neurites (axon, basal, apical, custom), per region: length and area within
    1 %. Soma: SWC point/stack somata and the zero-size policy within 1 %; a Neurolucida
    contour within 5 % (101 chords here vs one per contour point in Import3d; measured
    -3.2 % on the L5PC file). Whole cell: total area within 1 %; total length within 1 %
    (ASC: neurites only, the soma "length" being a matter of definition).
    """
    ref = swc_reference(path) if path.suffix == ".swc" else asc_reference(path)
    morph = quiet_load(path)
    got = neuron_by_region(morph)
    morph.delete()
    for region in ("axon", "basal", "apical", "custom"):
        for k, what in enumerate(("length", "area")):
            r, g = ref[region][k], got[region][k]
            assert g == pytest.approx(r, rel=0.01, abs=1e-6), f"{region} {what}"
    soma_tol = 0.01 if path.suffix == ".swc" else 0.05
    assert got["soma"][1] == pytest.approx(ref["soma"][1], rel=soma_tol)
    total_ref = [sum(v[k] for v in ref.values()) for k in (0, 1)]
    total_got = [sum(v[k] for v in got.values()) for k in (0, 1)]
    assert total_got[1] == pytest.approx(total_ref[1], rel=0.01)
    if path.suffix == ".swc":
        assert total_got[0] == pytest.approx(total_ref[0], rel=0.01)
    else:  # the contour's axis extent is the soma "length"; compare neurites only
        neurite = [sum(got[r][0] for r in ("axon", "basal", "apical", "custom"))]
        assert neurite[0] == pytest.approx(total_ref[0] - ref["soma"][0], rel=0.01)


def test_ca1_has_two_soma_sections(h):
    """The CA1 stack soma branches: Import3d makes two soma sections; distances work."""
    morph = quiet_load(MORPH_DIR / "ca1_pyramidal_n120.swc")
    assert len(morph.soma) == 2
    assert morph.origin.sec == morph.soma[0]
    d = [morph.path_distance(sec(1)) for sec in morph.regions["apical"]]
    assert max(d) > 500
    morph.delete()


def test_import3d_failure_becomes_morphology_error(h, tmp_path):
    """A file that reaches Import3d and makes it fail gives a MorphologyError, not a crash."""
    from mgneuron.morphology.loader import _import3d, _SectionOwner

    bad = tmp_path / "broken.asc"
    bad.write_text("( (Dendrite)\n  (1 2 3 4)\n  (5 6 abc 7)\n)\n")
    with pytest.raises(MorphologyError, match="Import3d"):
        _import3d(str(bad), "asc", _SectionOwner("x"), str(bad))
    # Import3d's parser ends with hoc's `stop`, which used to leave every later hoc call a
    # no-op (NEURON issue #1311); the loader resets it, so the next load works.
    morph = quiet_load("ball_and_stick")
    assert len(morph.sections) == 2
    morph.delete()
    missing = tmp_path / "nope.swc"
    with pytest.raises(MorphologyError, match="not found"):
        load_morphology(missing)


# --------------------------------------------------------------------------------------
# Policies, types, ownership
# --------------------------------------------------------------------------------------


def test_zero_size_soma_policy(h):
    """Purkinje file: zero soma replaced by a soma_diameter_um cylinder, with a warning."""
    path = MORPH_DIR / "purkinje_v_e_purk2.swc"
    with pytest.warns(MorphologyWarning, match="zero size"):
        morph = load_morphology(path, soma_diameter_um=25.0)
    soma = morph.soma[0]
    assert soma.L == pytest.approx(25.0, rel=1e-6)
    assert sum(seg.area() for seg in soma) == pytest.approx(math.pi * 25.0**2, rel=1e-6)
    morph.delete()
    with pytest.raises(MorphologyError, match="zero size"):
        load_morphology(path, zero_soma="error")


def test_missing_soma_policies(h, tmp_path):
    """No soma: 'add' adds one (warning), 'keep' loads neurites only, 'error' refuses."""
    p = tmp_path / "nosoma.swc"
    p.write_text("1 3 0 0 0 1 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n")
    with pytest.warns(MorphologyWarning, match="no soma"):
        morph = load_morphology(p)
    assert len(morph.soma) == 1 and morph.soma[0].L == pytest.approx(20.0)
    assert morph.regions["basal"][0].parentseg().sec == morph.soma[0]
    morph.delete()
    morph = quiet_load(p, missing_soma="keep")
    assert not morph.soma
    assert morph.origin.sec == morph.regions["basal"][0]
    from mgneuron.locations import Soma

    with pytest.raises(LocationError, match="no soma"):
        Soma().segments(morph)
    morph.delete()
    with pytest.raises(MorphologyError, match="no soma"):
        load_morphology(p, missing_soma="error")


def test_unknown_types_are_custom_with_warning(h, tmp_path):
    """Types other than 1-4 load with a warning into the 'custom' region (code kept)."""
    p = tmp_path / "custom.swc"
    p.write_text(SMALL_SWC + "8 7 -5 5 0 0.5 1\n9 7 -5 15 0 0.5 8\n")
    with pytest.warns(MorphologyWarning, match="type code"):
        morph = load_morphology(p)
    assert [s for s in morph.regions["custom"]] == morph.custom_types[7]
    assert len(morph.regions["custom"]) == 1
    morph.delete()


def test_morphology_owns_its_sections(h):
    """delete() and dropping the object both remove the sections from NEURON."""
    before = n_sections(h)
    morph = quiet_load("ball_and_stick")
    assert n_sections(h) == before + 2
    morph.delete()
    assert n_sections(h) == before
    morph.delete()  # idempotent
    morph = quiet_load("ball_and_stick")
    del morph
    assert n_sections(h) == before
    with quiet_load("l5_pyramid_stylized") as m:
        assert len(m) > 10
    assert n_sections(h) == before


# --------------------------------------------------------------------------------------
# Validation remembered, sections rebuilt from a blueprint
# --------------------------------------------------------------------------------------


def test_validation_is_remembered_until_the_file_changes(h, tmp_path, monkeypatch):
    """A sweep loads one file per condition: validated once; an edited file (even to a
    broken one) is validated again, and the cached report is never shared."""
    import mgneuron.morphology.loader as M

    calls = []
    real = M.validate_morphology
    monkeypatch.setattr(M, "validate_morphology", lambda *a: calls.append(a) or real(*a))
    f = tmp_path / "cell.swc"
    f.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 50 0 1 2\n")
    for _ in range(3):
        morph = M.load_morphology(f)
        morph.delete()
    assert len(calls) == 1
    a, b = M._validated(f, None), M._validated(f, None)
    assert a is not b and a.warnings is not b.warnings
    f.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 50 0 1 7\n")  # parent 7 missing
    with pytest.raises(MorphologyError, match=r"cell.swc:3: parent id 7"):
        M.load_morphology(f)
    assert len(calls) == 2


def _built(morph, h):
    """Everything Import3d decides about a morphology, in NEURON's own order."""
    out = []
    mine = set(morph.sections)
    for sec in (s for s in h.allsec() if s in mine):  # NEURON's order
        ps = sec.parentseg()
        pts = [(sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)) for i in range(sec.n3d())]
        x, y, z = h.ref(0.0), h.ref(0.0), h.ref(0.0)
        style = h.pt3dstyle(1, x, y, z, sec=sec)
        out.append(
            (
                morph.label(sec),
                pts,
                (style, x[0], y[0], z[0]),
                None if ps is None else (morph.label(ps.sec), ps.x),
                h.section_orientation(sec=sec),
                [morph.label(c) for c in h.SectionRef(sec=sec).child],
                morph.region_of(sec),
            )
        )
    lists = {k: [morph.label(s) for s in v] for k, v in vars(morph._owner).items() if k != "_label"}
    return out, lists, morph.import3d_messages, list(morph.warnings)


def _passive_response(morph, h):
    for sec in morph.sections:
        sec.nseg = 2 * int(sec.L / 40) + 1
        sec.insert("pas")
    clamp = h.IClamp(morph.sections[0](0.5))
    clamp.delay, clamp.dur, clamp.amp = 0.5, 3.0, 0.3
    vecs = [h.Vector().record(sec(0.5)._ref_v) for sec in morph.sections[::7]]
    h.dt = 0.025
    h.finitialize(-65.0)
    h.continuerun(5.0)
    return np.array([np.asarray(v) for v in vecs])


@pytest.mark.parametrize(
    "path",
    [ROOT / "morphologies" / "l5_pyramid_stylized.swc", *SHARED_FILES],
    ids=lambda p: p.name,
)
def test_second_load_rebuilds_exactly_what_import3d_built(h, path):
    """Loading a file again rebuilds its sections from what Import3d made the first time
    (no hoc): same names, 3-D points, logical connection points, connections, children
    order (the matrix order), regions, section lists and messages; and a passive
    response identical bit for bit (reference: Import3d itself)."""
    import mgneuron.morphology.loader as M

    h.load_file("stdrun.hoc")
    M._BLUEPRINTS.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MorphologyWarning)
        first = M.load_morphology(path)  # Import3d
        built_first, v_first = _built(first, h), _passive_response(first, h)
        first.delete()
        assert len(M._BLUEPRINTS) == 1
        second = M.load_morphology(path)  # the blueprint
        built_second, v_second = _built(second, h), _passive_response(second, h)
        second.delete()
    assert built_first == built_second
    assert np.array_equal(v_first, v_second)
    assert np.ptp(v_first) > 1.0  # the clamp moved the membrane: not a flat comparison


def test_an_edited_file_is_read_by_import3d_again(h, tmp_path):
    import mgneuron.morphology.loader as M

    f = tmp_path / "cell.swc"
    f.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 50 0 1 2\n")
    M.load_morphology(f).delete()
    M.load_morphology(f).delete()
    f.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 80.5 0 1 2\n")  # new size too
    morph = M.load_morphology(f)
    assert morph.sections[-1].L > 70.0  # the new file, not the remembered sections
    morph.delete()
