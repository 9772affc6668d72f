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
So every file is checked here, in pure Python and without NEURON, before Import3d sees it,
and the first problem becomes a :class:`~mgneuron.errors.MorphologyError` that names the
file and the line (``file:line: problem``).

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
  :class:`~mgneuron.morphology.loader.MorphologyWarning`, into the ``custom`` region.

Neurolucida ASCII files are checked by :mod:`mgneuron.morphology.neurolucida`, which fills
the same :class:`ValidationReport`.

SWC files reach Import3d unchanged when their ids ascend with parents first; otherwise
:func:`_renumbered_swc` makes the renumbered copy that Import3d reads (file order kept where
parents already come first).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from mgneuron.errors import MorphologyError
from mgneuron.morphology.neurolucida import _validate_asc
from mgneuron.morphology.report import (
    MAX_COORD_UM,
    MAX_RADIUS_UM,
    MAX_TYPE_CODE,
    NONFINITE,
    ValidationReport,
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
    text = _read_text(p)
    if fmt == "swc":
        return _validate_swc(text, str(p))
    # The Neurolucida checker builds this module's ValidationReport, so it imports this
    # module; importing it here, when first needed, keeps module loading one-way.

    return _validate_asc(text, str(p))


# ---- SWC ------------------------------------------------------------------------------

_SWC_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_NUMERIC_CHARS = re.compile(r"[0-9eE+\-.\s]*\Z")


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


def _swc_table(text: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the data lines into a float table (n, 7) and their 1-based line numbers.

    Raises at the first line with a wrong column count or a field that is not a number.
    """
    all_lines = text.splitlines()
    data: list[str] = []
    numbers: list[int] = []
    for lineno, raw in enumerate(all_lines, start=1):
        s = raw.split("#", 1)[0]
        if s and not s.isspace():
            data.append(s)
            numbers.append(lineno)
    if not data:
        raise MorphologyError(
            "empty morphology: no SWC data lines (id type x y z radius parent)", path, 1
        )
    fields = [s.split() for s in data]
    joined = " ".join(data)
    clean = _NUMERIC_CHARS.match(joined) is not None
    table = None
    if clean and all(len(f) == 7 for f in fields):
        try:
            table = np.array(fields, dtype=float)
        except ValueError:
            table = None
    if table is None:  # find the first offending line, in file order
        for s, f, lineno in zip(data, fields, numbers, strict=True):
            if len(f) != 7:
                raise MorphologyError(
                    f"expected 7 columns (id type x y z radius parent), found {len(f)}",
                    path,
                    lineno,
                )
            if not _NUMERIC_CHARS.match(s):
                raise _bad_swc_field(f, path, lineno)
            try:
                [float(t) for t in f]
            except ValueError:
                raise _bad_swc_field(f, path, lineno) from None
        raise MorphologyError("could not read the file as SWC", path)  # pragma: no cover
    return table, np.asarray(numbers)


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else None


def _validate_swc(text: str, path: str) -> ValidationReport:
    table, lines = _swc_table(text, path)
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
    return report


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


def _renumbered_swc(table: np.ndarray) -> str:
    """SWC text with the same samples, ids 1..n, parents before children.

    The order is the file's order wherever that already has parents first (a stable
    topological sort), so Import3d splits sections as it would have on the file.
    """
    import heapq

    ids = table[:, 0].astype(np.int64).tolist()
    pids = table[:, 6].astype(np.int64).tolist()
    index = {ident: i for i, ident in enumerate(ids)}
    children: dict[int, list[int]] = {}
    ready: list[int] = []
    for i, p in enumerate(pids):
        if p == -1:
            ready.append(i)
        else:
            children.setdefault(index[p], []).append(i)
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for c in children.get(i, []):
            heapq.heappush(ready, c)
    new_id = {old: k + 1 for k, old in enumerate(order)}
    out = ["# renumbered by mgneuron (ids ascending, parents first) for NEURON's Import3d"]
    for i in order:
        _, typ, x, y, z, r, _ = table[i].tolist()
        p = -1 if pids[i] == -1 else new_id[index[pids[i]]]
        out.append(f"{new_id[i]} {int(typ)} {x!r} {y!r} {z!r} {r!r} {p}")
    return "\n".join(out) + "\n"
