"""Checking a morphology file before NEURON reads it: the report, the front door, SWC.

Why a hand-written validator
----------------------------
NEURON's Import3d turns a file into sections, but it is a reader, not a checker: it accepts
much that is wrong or dies on it. It builds ``nan``-long sections from ``nan`` coordinates,
prints "parse error" and goes on, makes several disconnected trees out of a file with more
than one root, and its own re-sorting of SWC samples listed out of order fails with a hoc
error that can take the process down. MorphIO, the other common reader, reports many of the
same defects (zero diameters, a missing soma...) as warnings printed to the console and
loads the file anyway, and it would be a second reader whose sections are not Import3d's.
So the validator is hand-written on purpose: it catches malformed files that MorphIO
accepts and files that crash NEURON, and it knows Import3d's own rules (how it splits
sections, what it refuses). Every file is checked here, in pure Python and without NEURON,
before Import3d sees it, and the first problem becomes a
:class:`~mgneuron.errors.MorphologyError` that names the file and the line
(``file:line: problem``).

What is caught (SWC)
--------------------
* **bad fields**, with their file:line: a data line without exactly 7 columns; a
  non-numeric field; ``nan`` / ``inf`` / overflowing numbers; a non-integer id, type or
  parent; a negative id or a parent below -1; NUL bytes (a binary file); an empty file;
* **missing parents**: a parent id that is not in the file;
* **cycles**: a sample that is its own parent, or parent links that loop back;
* **disconnected trees**: more than one root (parent -1);
* **duplicate ids**;
* **zero, negative or non-finite radii** (a soma whose points all have radius 0 is the
  zero-size soma, a policy of :mod:`~mgneuron.morphology.loader`; a soma with only some
  zero radii is an error);
* **implausible values**: coordinates beyond +-1e6 um, radii above 1e4 um, type codes
  beyond +-1000 (NEURON would overflow or allocate absurd amounts of memory);
* **unknown types**: codes other than 1-4 load, with a
  :class:`~mgneuron.morphology.loader.MorphologyWarning`, into the ``custom`` region;
* **NEURON's limits** (:mod:`~mgneuron.morphology.report` says how they were measured):
  an id or parent of 2**53 or more (NEURON's numbers are doubles: such ids cannot be told
  apart, and a root of id 2**63 crashed Import3d with SIGSEGV); an unbranched section of
  more than 32,767 3-D points, counted as Import3d splits the samples into sections, with
  the parent's point that Import3d drops for a neurite wired to the soma (so at most one
  point early; ``Section.npt3d`` is a C ``short``: the 32,768th point crashes NEURON);
* **size limits**: more than 10^6 samples, more than 10^5 sections, a file over 128 MB
  (Import3d is interpreted hoc: a 10^6-line random tree took 150 s and 4.6 GB). Files of
  4 MB or more print a progress line on stderr.

Blank and whitespace-only lines, and ``#`` comments (whole lines or after the data), are
accepted as NEURON accepts them. Import3d's reader prints "could not parse" for a blank line
(and goes on), so such a file reaches Import3d as a rewritten copy without them.

Neurolucida ASCII files are checked by :mod:`mgneuron.morphology.neurolucida`, which fills
the same :class:`ValidationReport`.

SWC files reach Import3d unchanged when their ids ascend with parents first and every line
is one Import3d reads; otherwise :func:`_renumbered_swc` makes the rewritten copy that
Import3d reads (ids 1..n, file order kept where parents already come first).
"""

from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path

import numpy as np

from mgneuron.errors import MorphologyError
from mgneuron.morphology.neurolucida import _validate_asc
from mgneuron.morphology.report import (
    MAX_COORD_UM,
    MAX_FILE_BYTES,
    MAX_POINTS,
    MAX_PT3D,
    MAX_RADIUS_UM,
    MAX_SAMPLE_ID,
    MAX_SECTIONS,
    MAX_TYPE_CODE,
    NONFINITE,
    PROGRESS_BYTES,
    ValidationReport,
    progress,
)

__all__ = ["ValidationReport", "validate_morphology"]

_SWC_REGION = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MorphologyError("file not found", str(path)) from None
    except OSError as exc:
        raise MorphologyError(f"cannot read the file ({exc.strerror})", str(path)) from None
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise MorphologyError(
            "the file contains NUL bytes (a binary or corrupt file, not SWC/ASC text)",
            str(path),
            line,
        )
    # Comments may hold any bytes; data must be ASCII, which the parsers check.
    return raw.decode("utf-8", errors="replace")


def _detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in ("swc", "asc"):
            raise MorphologyError(f"unknown format {fmt!r}; use 'swc' or 'asc'", str(path))
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".swc":
        return "swc"
    if suffix == ".asc":
        return "asc"
    raise MorphologyError(
        f"cannot tell the format from the extension {suffix!r}; name the file .swc "
        "(SWC) or .asc (Neurolucida ASCII), or pass format='swc'/'asc'",
        str(path),
    )


def validate_morphology(path: str | os.PathLike, format: str | None = None) -> ValidationReport:
    """Check a morphology file without NEURON.

    Parameters
    ----------
    path : path-like
        An SWC or Neurolucida ASCII file.
    format : {"swc", "asc"}, optional
        Default: from the extension.

    Returns
    -------
    ValidationReport

    Raises
    ------
    MorphologyError
        The first problem found, with the file and line.
    """
    p = Path(path)
    fmt = _detect_format(p, format)
    try:
        size = p.stat().st_size
    except OSError:
        size = 0  # _read_text raises the proper error
    if size > MAX_FILE_BYTES:
        raise MorphologyError(
            f"the file is {size / 1e6:.0f} MB; mgneuron reads morphology files up to "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB ({MAX_POINTS:,} points): NEURON's Import3d "
            "would take hours and gigabytes; resample or split the reconstruction",
            str(p),
        )
    big = size >= PROGRESS_BYTES
    if big:
        start = time.perf_counter()
        progress(str(p), f"checking {size / 1e6:.1f} MB...")
    text = _read_text(p)
    report = _validate_swc(text, str(p)) if fmt == "swc" else _validate_asc(text, str(p))
    if big:
        progress(
            str(p),
            f"{report.n_points:,} points checked in {time.perf_counter() - start:.1f} s",
        )
    return report


# ---- SWC ------------------------------------------------------------------------------

_SWC_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_NUMERIC_CHARS = re.compile(r"[0-9eE+\-.\s]*\Z")
_SSCANF_CHARS = re.compile(r"[0-9eE+\-. \t\n\r\v\f]*\Z")  # what C's sscanf skips or reads


def _bad_swc_field(tokens: list[str], path: str, line: int) -> MorphologyError:
    """Build the precise error for a data line that did not convert cleanly."""
    for name, tok in zip(_SWC_FIELDS, tokens, strict=True):
        if NONFINITE.match(tok):
            what = "coordinate" if name in ("x", "y", "z") else name
            return MorphologyError(
                f"non-finite {what} {tok!r} in column {name!r}; every value must be a "
                "finite number",
                path,
                line,
            )
        try:
            if not _NUMERIC_CHARS.match(tok):
                raise ValueError
            float(tok)
        except ValueError:
            return MorphologyError(
                f"non-numeric value {tok!r} in column {name!r} (SWC data lines are "
                "'id type x y z radius parent', all numbers)",
                path,
                line,
            )
    return MorphologyError("could not parse the line", path, line)  # pragma: no cover


def _swc_table(text: str, path: str) -> tuple[np.ndarray, np.ndarray, bool]:
    r"""Parse the data lines into a float table (n, 7) and their 1-based line numbers.

    Lines end at ``\n`` only (``\r\n`` included), as NEURON's ``File.gets`` reads them,
    so line numbers are NEURON's and an editor's. Raises at the first line with a wrong
    column count or a field that is not a number. The third value says whether Import3d
    would refuse a line this checker accepts (a blank or whitespace-only line, which its
    reader reports as "could not parse", or whitespace that C's ``sscanf`` does not skip):
    Import3d then reads a rewritten copy.
    """
    data: list[str] = []
    numbers: list[int] = []
    odd = False
    all_lines = text.split("\n")
    if all_lines[-1] == "":
        all_lines.pop()  # after the last newline: not a line
    for lineno, raw in enumerate(all_lines, start=1):
        s = raw.split("#", 1)[0]
        if s.strip():
            data.append(s)
            numbers.append(lineno)
        elif not raw.lstrip(" \t").startswith("#"):
            odd = True  # blank: Import3d's reader calls it a parse error
    if not data:
        raise MorphologyError(
            "empty morphology: no SWC data lines (id type x y z radius parent)", path, 1
        )
    if len(data) > MAX_POINTS:
        raise MorphologyError(
            f"{len(data):,} samples; mgneuron loads at most {MAX_POINTS:,} (NEURON's "
            "Import3d needs about a minute and a gigabyte per million): resample or split "
            "the reconstruction",
            path,
            numbers[MAX_POINTS],
        )
    joined = "\n".join(data)
    table = None
    if _NUMERIC_CHARS.match(joined) is not None:
        odd = odd or _SSCANF_CHARS.match(joined) is None
        # Count fields line by line (no list of 7 strings per line is kept: a 10^6-line
        # file would hold 7 million of them), then read every number in one C pass.
        if all(len(line.split()) == 7 for line in data):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a malformed number stops the parse
                try:
                    nums = np.fromstring(joined, sep=" ")  # noqa: NPY201
                except (ValueError, DeprecationWarning):
                    nums = None
            if nums is not None and nums.size == 7 * len(data):
                table = nums.reshape(-1, 7)
    if table is None:  # line by line: find the first offending line, in file order
        rows = []
        for s, lineno in zip(data, numbers, strict=True):
            f = s.split()
            if len(f) != 7:
                raise MorphologyError(
                    f"expected 7 columns (id type x y z radius parent), found {len(f)}",
                    path,
                    lineno,
                )
            if not _NUMERIC_CHARS.match(s):
                raise _bad_swc_field(f, path, lineno)
            try:
                rows.append([float(t) for t in f])
            except ValueError:
                raise _bad_swc_field(f, path, lineno) from None
        table = np.array(rows, dtype=float).reshape(-1, 7)  # Unicode blanks, say
    return table, np.asarray(numbers), odd


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _validate_swc(text: str, path: str) -> ValidationReport:
    table, lines, odd_lines = _swc_table(text, path)
    n = len(table)
    ident, typ, xyz = table[:, 0], table[:, 1], table[:, 2:5]
    radius, parent = table[:, 5], table[:, 6]

    # Per-line value checks; the first offending line in file order wins.
    bad = ~np.isfinite(table)
    if bad.any():
        i = _first(bad.any(axis=1))
        col = int(np.flatnonzero(bad[i])[0])
        what = "coordinate " + _SWC_FIELDS[col] if 2 <= col <= 4 else _SWC_FIELDS[col]
        raise MorphologyError(
            f"non-finite {what} (the number overflows); every value must be a finite number",
            path,
            int(lines[i]),
        )
    checks = [
        (
            np.abs(xyz).max(axis=1) > MAX_COORD_UM,
            lambda i: (
                f"implausible coordinate ({', '.join(f'{v:g}' for v in xyz[i])}) um: "
                f"beyond +-{MAX_COORD_UM:g} um; check the units (SWC is in micrometres)"
            ),
        ),
        (
            (ident != np.round(ident)) | (typ != np.round(typ)) | (parent != np.round(parent)),
            lambda i: (
                f"id, type and parent must be integers, got {ident[i]:g}, {typ[i]:g}, {parent[i]:g}"
            ),
        ),
        (
            (ident > MAX_SAMPLE_ID) | (parent > MAX_SAMPLE_ID),
            lambda i: (
                f"{'sample' if ident[i] > MAX_SAMPLE_ID else 'parent'} id "
                f"{max(ident[i], parent[i]):.0f} is too large: ids and parents must be below "
                f"2**53 ({MAX_SAMPLE_ID + 1}), the integers NEURON (whose numbers are doubles) "
                "holds exactly; renumber the samples 1..n"
            ),
        ),
        (ident < 0, lambda i: f"sample id must be >= 0, got {ident[i]:g}"),
        (
            np.abs(typ) > MAX_TYPE_CODE,
            lambda i: (
                f"type code {typ[i]:g} is out of range (|type| <= {MAX_TYPE_CODE}; "
                "SWC types are small integers: 1 soma, 2 axon, 3 basal, 4 apical, others custom)"
            ),
        ),
        (
            parent < -1,
            lambda i: f"parent id {parent[i]:g} is invalid; use -1 for the root or an existing id",
        ),
        (
            (radius < 0) | ((radius == 0) & (typ != 1)),
            lambda i: (
                f"radius must be > 0 um, got {radius[i]:g} (zero or negative radii "
                "give zero-area or invalid cables; fix the reconstruction)"
            ),
        ),
        (
            radius > MAX_RADIUS_UM,
            lambda i: f"implausible radius {radius[i]:g} um (> {MAX_RADIUS_UM:g} um)",
        ),
    ]
    masks = [m for m, _ in checks]
    anybad = np.logical_or.reduce(masks)
    if anybad.any():
        i = _first(anybad)
        for mask, message in checks:
            if mask[i]:
                raise MorphologyError(message(i), path, int(lines[i]))
    ids = ident.astype(np.int64)
    types = typ.astype(np.int64)
    pids = parent.astype(np.int64)

    # Graph checks, in a fixed order so that every defect has one well-defined line.
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if dup.size:
        # the later line of each duplicated pair; report the earliest such line
        second = np.maximum(order[dup], order[dup + 1])
        first_of = np.minimum(order[dup], order[dup + 1])
        k = int(np.argmin(second))
        raise MorphologyError(
            f"duplicate sample id {ids[second[k]]} (first defined at line {lines[first_of[k]]})",
            path,
            int(lines[second[k]]),
        )
    has_parent = pids != -1
    pos = np.searchsorted(sorted_ids, pids)
    pos = np.minimum(pos, n - 1)
    found = sorted_ids[pos] == pids
    parent_idx = np.where(has_parent & found, order[pos], -1)
    self_loop = has_parent & (pids == ids)
    missing = has_parent & ~found
    bad_graph = self_loop | missing
    if bad_graph.any():
        i = _first(bad_graph)
        if self_loop[i]:
            raise MorphologyError(f"cycle: sample {ids[i]} is its own parent", path, int(lines[i]))
        raise MorphologyError(
            f"parent id {pids[i]} of sample {ids[i]} does not exist in the file",
            path,
            int(lines[i]),
        )
    ordered = bool(np.all(pids[has_parent] < ids[has_parent]))
    if not ordered:  # only then can there be a cycle
        _check_swc_cycles(parent_idx.tolist(), ids, lines, path)
    roots = np.flatnonzero(~has_parent)
    if roots.size > 1:
        shown = ", ".join(str(lines[i]) for i in roots[:5])
        raise MorphologyError(
            f"more than one root (samples with parent -1 at lines {shown}"
            f"{'...' if roots.size > 5 else ''}): the morphology has disconnected pieces; "
            "connect every piece to the soma or split the file",
            path,
            int(lines[roots[1]]),
        )

    report = ValidationReport(path=path, format="swc", n_points=n)
    report._swc_table = table
    report.root_xyz = tuple(float(v) for v in xyz[roots[0]])
    codes, counts = np.unique(types, return_counts=True)
    report.type_counts = {int(c): int(k) for c, k in zip(codes, counts, strict=True)}
    unknown = [int(c) for c in codes if int(c) not in _SWC_REGION]
    if unknown:
        i = _first(np.isin(types, unknown))
        report.warnings.append(
            f"{path}:{lines[i]}: SWC type code(s) {', '.join(map(str, unknown))} are not "
            "soma/axon/basal/apical (1-4); their sections form the 'custom' region"
        )
    soma = types == 1
    nsoma = int(soma.sum())
    if nsoma == 0:
        report.soma = "none"
        report.warnings.append(f"{path}: no soma (no sample of type 1)")
    else:
        r = radius[soma]
        if np.all(r == 0):
            report.soma = "zero-size"
        elif np.any(r == 0):
            i = _first(soma & (radius == 0))
            raise MorphologyError(
                "a soma point has radius 0 while others do not; give it a radius > 0",
                path,
                int(lines[i]),
            )
        else:
            report.soma = {1: "point", 3: "three-point"}.get(nsoma, "points")
        report.soma_xyz = tuple(float(v) for v in xyz[soma].mean(axis=0))
    # Import3d needs ids ascending in file order with parent id < id (it sorts otherwise,
    # through code that fails with a hoc error and can take the process down), and it
    # indexes samples by id (huge ids would allocate huge vectors).
    ascending = bool(np.all(ids[1:] > ids[:-1]))
    report.needs_renumbering = not (ordered and ascending) or int(ids.max()) > 4 * n + 1000
    report.needs_rewriting = report.needs_renumbering or odd_lines
    _check_swc_sections(table, parent_idx, lines, path, report.needs_renumbering)
    return report


def _swc_sections(
    par: np.ndarray, types: np.ndarray, xyz: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where Import3d's SWC reader starts each section, and the points it gives each.

    The arrays are in the order Import3d reads the samples (parents first). This follows
    ``Import3d_SWC_read.mark_branch``, ``sectionify`` and ``mksection`` (NEURON 9): a
    section runs on while a sample's only child is the next sample, of the same type;
    contiguous soma samples stay together (unless a soma sample other than the first has
    several soma children); the first sample of a neurite leaving the soma does not end a
    section when another branch connects to it; the NeuroMorpho three-point soma is one
    point (a sphere). A section other than the root's starts with its parent's point, so
    it has one point more than samples; Import3d drops that point again (``first = 1``)
    for a neurite wired to the soma, so a count can exceed NEURON's by one, never fall short.

    Returns
    -------
    starts, npoints : ndarray of int
        The position of each section's first own sample, and its points
        (``Import3d_Section.d.size()``; tested against Import3d).
    """
    n = len(par)
    k = np.arange(n)
    has = par >= 0
    nchild = np.bincount(par[has], minlength=n)
    soma_child = has & (types == 1) & (types[np.maximum(par, 0)] == 1)
    nchild_soma = np.bincount(par[soma_child], minlength=n)
    soma3 = (
        n >= 3
        and int(np.count_nonzero(types == 1)) == 3
        and par[1] == 0
        and par[2] == 0
        and nchild[1] == 0
        and nchild[2] == 0
        and radius[0] == radius[1] == radius[2]
        and abs(
            (np.linalg.norm(xyz[1] - xyz[0]) + np.linalg.norm(xyz[2] - xyz[0])) / (2 * radius[0])
            - 1
        )
        < 0.01
    )
    if soma3:  # Import3d re-parents the third point on the second: one soma section
        par = par.copy()
        par[2] = 1
    link = par[1:] == k[:-1]  # the next sample is this one's child
    goes_on = link & (types[1:] == types[:-1]) & (nchild[:-1] == 1)
    goes_on |= (
        link & (types[:-1] == 1) & (types[1:] == 1) & ((k[:-1] == 0) | (nchild_soma[:-1] <= 1))
    )
    # A non-contiguous child of a neurite's first point (below the soma) resets that
    # point's child count to one, then adds for a type change: the last such child decides.
    child = k[has & (par != k - 1)]
    p = par[child]
    grand = par[p]
    to_prox = ((p > 1) & (types[p] != 1) & (grand >= 0) & (types[np.maximum(grand, 0)] == 1)) | (
        (p == 0) & (types[p] != 1)
    )
    child, p = child[to_prox][::-1], p[to_prox][::-1]
    _, last = np.unique(p, return_index=True)
    prox = np.zeros(n, dtype=bool)
    prox[p[last]] = types[child[last]] == types[p[last]]
    goes_on |= prox[:-1]
    ends = np.append(np.flatnonzero(~goes_on), n - 1)
    starts = np.concatenate(([0], ends[:-1] + 1))
    npoints = ends - starts + 1 + (starts > 0)
    if soma3:
        npoints[0] = 1
    return starts, npoints


def _import3d_sections(
    table: np.ndarray, parent_idx: np.ndarray, renumbered: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the sections Import3d makes of validated samples (see :func:`_swc_sections`).

    Returns
    -------
    order, starts, npoints : ndarray of int
        The file positions in the order Import3d reads them (the rewritten copy's when
        ``renumbered``), and :func:`_swc_sections` of that order.
    """
    n = len(parent_idx)
    if renumbered:
        order = np.asarray(_import3d_order(parent_idx.tolist()), dtype=np.int64)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        par = parent_idx[order]
        par = np.where(par >= 0, position[np.maximum(par, 0)], -1)
    else:
        order, par = np.arange(n), parent_idx
    rows = table[order]
    starts, npoints = _swc_sections(par, rows[:, 1].astype(np.int64), rows[:, 2:5], rows[:, 5])
    return order, starts, npoints


def _check_swc_sections(
    table: np.ndarray, parent_idx: np.ndarray, lines: np.ndarray, path: str, renumbered: bool
) -> None:
    """Raise if Import3d would make too many sections, or one with too many 3-D points."""
    if len(parent_idx) <= min(MAX_PT3D, MAX_SECTIONS):
        return  # neither limit can be reached
    order, starts, n3d = _import3d_sections(table, parent_idx, renumbered)
    if len(starts) > MAX_SECTIONS:
        raise MorphologyError(
            f"the samples make {len(starts):,} unbranched sections; mgneuron loads at most "
            f"{MAX_SECTIONS:,} (NEURON's Import3d needs ~5 kB and ~0.15 ms per section, and "
            "neurons have far fewer: is the file a tree of random parents?)",
            path,
            int(lines[order[starts[MAX_SECTIONS]]]),
        )
    over = np.flatnonzero(n3d > MAX_PT3D)
    if over.size:
        first_lines = lines[order[starts[over]]]
        j = int(np.argmin(first_lines))
        raise MorphologyError(
            f"an unbranched section of {int(n3d[over[j]])} 3-D points starts here; NEURON "
            f"holds at most {MAX_PT3D} points per section (more crash it): resample the "
            "reconstruction (e.g. drop every other point) so that no unbranched stretch "
            f"has more than {MAX_PT3D - 1} samples",
            path,
            int(first_lines[j]),
        )


def _check_swc_cycles(parent_idx: list[int], ids: np.ndarray, lines: np.ndarray, path: str):
    """Raise at the first line (in file order) of a sample that lies on a cycle."""
    n = len(parent_idx)
    state = [0] * n  # 0 unvisited, 1 on the current walk, 2 done
    on_cycle: list[int] = []
    for start in range(n):
        if state[start]:
            continue
        walk = []
        i = start
        while i >= 0 and state[i] == 0:
            state[i] = 1
            walk.append(i)
            i = parent_idx[i]
        if i >= 0 and state[i] == 1:  # came back onto this walk: a cycle
            on_cycle.extend(walk[walk.index(i) :])
        for j in walk:
            state[j] = 2
    if on_cycle:
        first = min(on_cycle, key=lambda j: lines[j])
        shown_ids = sorted(int(ids[j]) for j in on_cycle)
        shown = ", ".join(map(str, shown_ids[:8])) + ("..." if len(shown_ids) > 8 else "")
        raise MorphologyError(
            f"cycle in the parent links (samples {shown}): a tree cannot loop back on itself",
            path,
            int(lines[first]),
        )


def _import3d_order(parent_idx: list[int]) -> list[int]:
    """Order the samples parents first, keeping file order wherever parents already come first.

    A stable topological sort (the smallest ready position next), so Import3d splits
    sections as it would have on the file.
    """
    import heapq

    children: dict[int, list[int]] = {}
    ready: list[int] = []
    for i, p in enumerate(parent_idx):
        if p == -1:
            ready.append(i)
        else:
            children.setdefault(p, []).append(i)
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for c in children.get(i, ()):
            heapq.heappush(ready, c)
    return order


def _renumbered_swc(table: np.ndarray) -> str:
    """SWC text with the same samples, ids 1..n, parents before children, no blank lines.

    The order is :func:`_import3d_order`; the values are written back exactly (``repr``).
    """
    ids = table[:, 0].astype(np.int64)
    pids = table[:, 6].astype(np.int64)
    sorter = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[sorter], pids)
    parent_idx = np.where(pids == -1, -1, sorter[np.minimum(pos, len(ids) - 1)])
    order = np.asarray(_import3d_order(parent_idx.tolist()), dtype=np.int64)
    new_id = np.empty(len(ids), dtype=np.int64)
    new_id[order] = np.arange(1, len(ids) + 1)
    new_parent = np.where(parent_idx[order] == -1, -1, new_id[np.maximum(parent_idx[order], 0)])
    out = ["# rewritten by mgneuron (ids 1..n, parents first) for NEURON's Import3d"]
    rows = table[order]
    for k, (row, p) in enumerate(zip(rows.tolist(), new_parent.tolist(), strict=True), start=1):
        _, typ, x, y, z, r, _ = row
        out.append(f"{k} {int(typ)} {x!r} {y!r} {z!r} {r!r} {p}")
    return "\n".join(out) + "\n"
