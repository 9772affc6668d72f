"""Reconstructed morphologies: validate, load into NEURON, discretise, summarise.

Files are SWC (``.swc``) or Neurolucida ASCII (``.asc``). NEURON's Import3d is the reader
that turns a file into sections (it defines how somata, contours and branch points become
cables). Before a file reaches Import3d, this module checks it in pure Python and raises
:class:`~mgneuron.errors.MorphologyError` naming the file, the line and the problem, because
Import3d accepts much that is wrong (it builds ``nan``-long sections from ``nan``
coordinates, prints "parse error" and goes on, or makes several disconnected trees).

What is checked
---------------
SWC: empty file; a data line without exactly 7 columns; a non-numeric field; ``nan`` /
``inf`` / overflowing numbers; a non-integer id, type or parent; a duplicate id; a parent id
that does not exist; cycles; more than one root (disconnected pieces); a zero, negative or
non-finite radius (a zero-size soma is a separate case, below); NUL bytes. Type codes other
than 1-4 are allowed with a :class:`MorphologyWarning` and become the ``custom`` region.
Neurolucida: empty file (no tree); unbalanced parentheses; a point that is not ``(x y z d)``;
non-numeric, non-finite values; a zero or negative diameter on a tree; a soma contour of
fewer than three points; anything Import3d's grammar refuses (points after a branch's
markers or split, a marker before a tree's first point, a malformed property or spine...);
trees without a type tag (warning, ``custom`` region). The check runs in two passes: a fast
one over tokens and number tables (numpy, pandas), and, only when that meets anything
wrong, a line-tracking one that names the line. If Import3d still fails, its message and
line become the MorphologyError; its parser ends such a failure with hoc's ``stop``, which
would leave every later hoc procedure call a silent no-op (NEURON issue #1311), so the
loader clears that state.

SWC files reach Import3d unchanged when their ids ascend with parents first; otherwise a
renumbered copy does (Import3d's own re-sorting fails with a hoc error and can take the
process down).

Policies (all stated, all adjustable on :class:`MorphologySpec`)
-------------------------------------------------------------------
* **Soma given as points or as a contour.** SWC somata are points: one point is a sphere
  (Import3d makes a cylinder with length = diameter, the same area), the NeuroMorpho
  three-point soma is that cylinder, and more points are a stack of cylinders, which may
  branch into several soma sections (never assume a single ``soma``). A Neurolucida soma is
  a ``CellBody`` contour (or a stack of them), which Import3d turns into a cable along the
  contour's principal axis. Both are handled as Import3d does.
* **Zero-size soma** (every soma point has radius 0, as in many NeuroMorpho CNG files):
  ``zero_soma="replace"`` (default) replaces it by a sphere-equivalent cylinder of diameter
  ``soma_diameter_um`` (default 20 um) at the soma point and warns; ``"error"`` refuses.
* **No soma**: ``missing_soma="add"`` (default) adds such a soma at the root point and
  warns, so rules like "soma" work; ``"keep"`` loads the neurites alone (distances are then
  measured from the root point and "soma" rules raise LocationError); ``"error"`` refuses.
* **Parents listed after their children, ids out of order or very sparse** (valid SWC, but
  not what Import3d can read): the samples are renumbered (file order kept where parents
  already come first) into a temporary file that Import3d reads; nothing else changes.

Regions: ``soma`` (type 1), ``axon`` (2), ``basal`` (3), ``apical`` (4), ``custom`` (anything
else; the type code is kept, see :attr:`Morphology.custom_types`).

A :class:`Morphology` owns its sections: :meth:`Morphology.delete` (or dropping the last
reference) removes them from NEURON, so every condition of a protocol starts clean.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import functools
import io
import itertools
import math
import os
import re
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from mgneuron.errors import MorphologyError

__all__ = [
    "REGIONS",
    "MorphologyWarning",
    "ValidationReport",
    "validate_morphology",
    "MorphologySpec",
    "Morphology",
    "load_morphology",
    "DLambda",
    "DiscretizationReport",
    "lambda_f",
    "discretize",
    "discretization_report",
    "MorphologySummary",
    "summarize",
    "plot_morphology",
    "morph_command",
    "shipped_morphology",
    "list_shipped_morphologies",
    "default_morphology_path",
]

REGIONS: tuple[str, ...] = ("soma", "axon", "basal", "apical", "custom")
_SWC_REGION = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}
# Import3d's section array names -> region (``dend_<n>`` / ``minus_<n>`` are custom types).
_IMPORT3D_REGION = {"soma": "soma", "axon": "axon", "dend": "basal", "apic": "apical"}
_ASC_TAGS = {"Dendrite": 3, "Axon": 2, "Apical": 4}
_SOMA_CONTOUR_NAMES = ("CellBody", "Cell Body", "Soma")  # the names Import3d keeps

# Plausibility bounds: beyond them a file is corrupt, and NEURON would overflow or allocate
# absurd amounts of memory (Import3d indexes SWC samples by id).
_MAX_COORD_UM = 1e6
_MAX_RADIUS_UM = 1e4
_MAX_TYPE_CODE = 1000  # Import3d allocates one slot per code between the extremes
_DEFAULT_MORPHOLOGY = "l5_pyramid_stylized.swc"


class MorphologyWarning(UserWarning):
    """A morphology loads, but something about it was unusual or was changed by a policy."""


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


@dataclass
class ValidationReport:
    """What validation found in a morphology file (no NEURON objects).

    Attributes
    ----------
    path : str
        The file.
    format : str
        ``"swc"`` or ``"asc"``.
    n_points : int
        Samples (SWC) or 3-D points on trees and soma contours (ASC; markers and spines not
        counted).
    soma : str
        ``"point"`` (one SWC point), ``"three-point"``, ``"points"`` (a stack of SWC
        points), ``"contour"``, ``"contour-stack"``, ``"zero-size"`` or ``"none"``.
    type_counts : dict
        Points per SWC type code (ASC: per tree type, 0 for untagged trees).
    warnings : list of str
        Warnings (unknown types, missing soma...), also issued at load time.
    needs_renumbering : bool
        SWC only: parents do not all precede children or ids are sparse, so Import3d gets a
        renumbered copy.
    root_xyz : tuple of float
        Coordinates (um) of the root sample (SWC) or first tree point (ASC).
    soma_xyz : tuple of float or None
        Centre (um) of the soma points or contour(s), None without a soma.
    """

    path: str
    format: str
    n_points: int = 0
    soma: str = "none"
    type_counts: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    needs_renumbering: bool = False
    root_xyz: tuple = (0.0, 0.0, 0.0)
    soma_xyz: tuple | None = None
    # SWC samples in file order (kept for renumbering): id, type, x, y, z, r, parent
    _swc_table: np.ndarray | None = field(default=None, repr=False)


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
    return _validate_asc(text, str(p))


# ---- SWC ------------------------------------------------------------------------------

_SWC_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_NUMERIC_CHARS = re.compile(r"[0-9eE+\-.\s]*\Z")
_NONFINITE = re.compile(r"[+-]?(nan|inf|infinity)\Z", re.IGNORECASE)


def _bad_swc_field(tokens: list[str], path: str, line: int) -> MorphologyError:
    """The precise error for a data line that did not convert cleanly."""
    for name, tok in zip(_SWC_FIELDS, tokens, strict=True):
        if _NONFINITE.match(tok):
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
    """Data lines as a float table (n, 7) and their 1-based line numbers.

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
            np.abs(xyz).max(axis=1) > _MAX_COORD_UM,
            lambda i: (
                f"implausible coordinate ({', '.join(f'{v:g}' for v in xyz[i])}) um: "
                f"beyond +-{_MAX_COORD_UM:g} um; check the units (SWC is in micrometres)"
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
            np.abs(typ) > _MAX_TYPE_CODE,
            lambda i: (
                f"type code {typ[i]:g} is out of range (|type| <= {_MAX_TYPE_CODE}; "
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
            radius > _MAX_RADIUS_UM,
            lambda i: f"implausible radius {radius[i]:g} um (> {_MAX_RADIUS_UM:g} um)",
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


# ---- Neurolucida ASCII ------------------------------------------------------------------
#
# Grammar (as NEURON's Import3d_Neurolucida3 reads it): a file is a sequence of
# parenthesised objects. ("Name" properties points) is a contour; "CellBody", "Cell Body"
# and "Soma" contours are the soma. ( properties branch ) is a tree whose type comes from a
# (Dendrite)/(Axon)/(Apical) property. A branch is points, optional markers, then either an
# end label (Normal, Incomplete...) or a split "( branch | branch ... )". A point is
# (x y z d [label]). ';' starts a comment, <( ... )> is a spine, (Name ...) a property,
# (Dot ...) a marker.
#
# Two passes share one parser: a fast pass over tokens made by one regex (points taken
# whole and checked in bulk with numpy) and, only when the fast pass meets anything wrong
# or irregular, a slow pass that tracks line numbers for the error message.

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUM_RE = re.compile(rf"{_NUM}\Z")
_SEP = r"(?:\s*,\s*|\s+)"  # between the values of a point
_LABEL_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_COMMENT_RE = re.compile(r";[^\n]*")
_FAST_TOKEN = re.compile(r'(\([\d .eE+-]*\)|[()|<>]|"[^"]*"?|[^ (),|<>";]+)')  # blanks collapsed
_SINGLE_KINDS = {"(": "(", ")": ")", "|": "|", "<": "<", ">": ">"}
# Slow pass: one meaningful token per match; blanks, commas and comments skipped in front.
_SLOW_TOKEN = re.compile(
    rf"""(?:[\s,]+|;[^\n]*)*
    (?:
      (?P<pt>\(\s*({_NUM}){_SEP}({_NUM}){_SEP}({_NUM}){_SEP}({_NUM})
             (?:{_SEP}(?!(?i:nan|inf))[A-Za-z_][A-Za-z0-9_]*)?\s*\))
     |(?P<op>[()|<>])
     |(?P<str>"[^"\n]*"?)
     |(?P<tok>[^\s(),|<>;"]+)
     |(?P<end>\Z)
    )""",
    re.VERBOSE,
)
_SENTINEL = 1e300  # marks the start of each point in the fast pass's number stream


_STRING_RE = re.compile(r'"[^"\n]*(?:"|\n|\Z)')


def _point_table(pts: list[str]) -> np.ndarray:
    """(n, 4) floats of point tokens "(x y z d)"; raises _Fallback unless exactly 4 each."""
    if not pts:
        return np.zeros((0, 4))
    if len(pts) > 2000:
        # pandas' C parser reads a large table several times faster than numpy does
        import pandas as pd

        try:
            frame = pd.read_csv(
                io.StringIO("\n".join(p[1:-1] for p in pts)),
                sep=r"\s+",
                header=None,
                engine="c",
                skip_blank_lines=False,
                dtype=float,
            )
        except (ValueError, pd.errors.ParserError):
            raise _Fallback from None
        if frame.shape != (len(pts), 4):
            raise _Fallback  # a point without exactly 4 numbers
        return frame.to_numpy()
    joined = " ".join(pts).replace("(", f" {_SENTINEL} ").replace(")", " ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a malformed number stops the parse
        try:
            nums = np.fromstring(joined, sep=" ")  # noqa: NPY201
        except (ValueError, DeprecationWarning):
            raise _Fallback from None
    starts = np.flatnonzero(nums == _SENTINEL)
    if starts.size != len(pts) or np.any(np.diff(np.append(starts, nums.size)) != 5):
        raise _Fallback  # a point without exactly 4 numbers
    return np.delete(nums, starts).reshape(-1, 4)


class _Fallback(Exception):
    """The fast pass met something it does not judge; run the slow pass."""


def _classify(tok: str) -> str:
    c = tok[0]
    if c == "(":
        return "P" if len(tok) > 1 else "("
    if c in ")|<>":
        return c
    if c == '"':
        return "S"
    if _NUM_RE.match(tok):
        return "N"
    if _LABEL_RE.match(tok):
        return "L"
    return "?"


class _FastAscTokens:
    """Tokens of a Neurolucida file for the fast pass (no line numbers)."""

    def __init__(self, text: str):
        stripped = _COMMENT_RE.sub("", text)
        for m in _STRING_RE.finditer(stripped):
            if len(m.group()) < 2 or m.group()[-1] != '"':
                raise _Fallback  # a string left open at the end of its line
        # Tokens never contain blanks (strings aside), so collapse them first: the regex
        # then scans half the text (Neurolucida files are padded with spaces).
        toks = _FAST_TOKEN.findall(" ".join(stripped.split()))
        single = _SINGLE_KINDS.get
        kinds = [single(t) or ("P" if t[0] == "(" else _classify(t)) for t in toks]
        pts = [t for t, k in zip(toks, kinds, strict=True) if k == "P"]
        self.coords = _point_table(pts)
        kinds.append("$")
        toks.append("")
        self.kinds, self.values = kinds, [t.strip('"') if t[:1] == '"' else t for t in toks]
        # ordinal of each point token among all points (markers' points included)
        counter = itertools.count()
        self._ordinal = [next(counter) if k == "P" else -1 for k in kinds]
        self._tree = np.zeros(len(self.coords), dtype=bool)
        # where each maximal run of consecutive points ends (kinds are one character each)
        self._run_end = {m.start(): m.end() for m in re.finditer("P+", "".join(kinds))}

    def point(self, j: int, tree: bool) -> tuple[int, int]:
        if self.kinds[j] != "P":
            raise _Fallback
        k = self._ordinal[j]
        self._tree[k] = tree
        return j + 1, k

    def point_run(self, j: int, tree: bool) -> tuple[int, int, int]:
        """Consume consecutive points from j: (next index, first ordinal, count)."""
        end = self._run_end.get(j)
        if end is None:
            if self.kinds[j] != "P":
                raise _Fallback
            end = j
            while self.kinds[end] == "P":
                end += 1
        k = self._ordinal[j]
        self._tree[k : k + end - j] = tree
        return end, k, end - j

    def error(self, message: str, j: int) -> Exception:
        return _Fallback(message)

    def line_of(self, j: int) -> int:
        raise _Fallback

    def finish(self) -> None:
        c = self.coords
        if not np.all(np.isfinite(c)) or np.abs(c[:, :3]).max(initial=0) > _MAX_COORD_UM:
            raise _Fallback
        d = c[self._tree, 3]
        if d.size and (d.min() <= 0 or d.max() > 2 * _MAX_RADIUS_UM):
            raise _Fallback


class _SlowAscTokens:
    """Tokens of a Neurolucida file with their offsets, for line-accurate errors."""

    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self._newlines: list[int] | None = None
        kinds: list[str] = []
        values: list = []
        offsets: list[int] = []
        pos, n = 0, len(text)
        while pos < n:
            m = _SLOW_TOKEN.match(text, pos)
            kind = m.lastgroup
            if kind == "end":
                break
            start = m.start(kind)
            if kind == "pt":
                kinds.append("P")
                values.append(m.group(2, 3, 4, 5))
            elif kind == "op":
                kinds.append(m.group("op"))
                values.append(None)
            elif kind == "str":
                s = m.group("str")
                if len(s) < 2 or not s.endswith('"'):
                    raise MorphologyError(
                        "unterminated string (no closing '\"')", path, self.line(start)
                    )
                kinds.append("S")
                values.append(s[1:-1])
            else:
                tok = m.group("tok")
                kinds.append(_classify(tok))
                values.append(tok)
            offsets.append(start)
            pos = m.end()
        kinds.append("$")
        values.append(None)
        offsets.append(n)
        self.kinds, self.values, self.offsets = kinds, values, offsets
        self.points: list[tuple[float, ...]] = []

    def line(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, offset) + 1

    def line_of(self, i: int) -> int:
        return self.line(self.offsets[i])

    def error(self, message: str, i: int) -> MorphologyError:
        return MorphologyError(message, self.path, self.line_of(i))

    def point(self, i: int, tree: bool) -> tuple[int, int]:
        """Parse the point at index i; return (next index, point ordinal)."""
        kinds, values = self.kinds, self.values
        if kinds[i] == "P":
            raw = values[i]
            j = i + 1
        else:
            # An irregular point: collect the tokens up to ')'.
            j = i + 1
            items = []
            while kinds[j] not in (")", "$", "("):
                items.append((kinds[j], values[j]))
                j += 1
            if kinds[j] == "(":
                # A Bezier control group "(x y z d (a b c d))" is allowed by Neurolucida.
                j = _asc_skip_group(self, j)
                while kinds[j] not in (")", "$", "("):
                    j += 1
            if kinds[j] != ")":
                raise self.error("unbalanced parentheses: this point is never closed", i)
            j += 1
            raw = []
            for kind, val in items:
                if kind == "N":
                    raw.append(val)
                elif kind == "L" and _NONFINITE.match(val):
                    raise self.error(
                        f"non-finite value {val!r} in a point; coordinates and diameters "
                        "must be finite numbers",
                        i,
                    )
                elif kind == "L" and len(raw) == 4:
                    pass  # a trailing section label, e.g. "S1"
                else:
                    raise self.error(
                        f"non-numeric value {val!r} in a point (expected '(x y z d)')", i
                    )
            if len(raw) != 4:
                raise self.error(f"a point needs 4 values (x y z diameter), found {len(raw)}", i)
        x, y, z, d = (float(v) for v in raw)
        if not all(math.isfinite(v) for v in (x, y, z, d)):
            raise self.error("non-finite value in a point (the number overflows)", i)
        if max(abs(x), abs(y), abs(z)) > _MAX_COORD_UM:
            raise self.error(f"implausible coordinate (beyond +-{_MAX_COORD_UM:g} um)", i)
        if tree and not (0 < d <= 2 * _MAX_RADIUS_UM):
            raise self.error(
                f"diameter must be > 0 um, got {raw[3]} (zero or negative diameters give "
                "zero-area or invalid cables; fix the reconstruction)",
                i,
            )
        self.points.append((x, y, z, d))
        return j, len(self.points) - 1

    def point_run(self, i: int, tree: bool) -> tuple[int, int, int]:
        """One point (the slow pass checks them one by one): (next, ordinal, 1)."""
        j, k = self.point(i, tree)
        return j, k, 1

    def finish(self) -> None:
        self.coords = np.array(self.points, dtype=float).reshape(-1, 4)


def _asc_skip_group(toks, i: int) -> int:
    """Skip a balanced group starting at '(' (index i); return the index after it."""
    kinds = toks.kinds
    depth = 0
    j = i
    while True:
        k = kinds[j]
        if k == "(" or k == "P":
            if k == "(":
                depth += 1
        elif k == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        elif k == "$":
            raise toks.error("unbalanced parentheses: this '(' is never closed", i)
        j += 1


def _is_point_start(toks, i: int) -> bool:
    k = toks.kinds
    if k[i] == "P":
        return True
    return k[i] == "(" and (
        k[i + 1] == "N" or (k[i + 1] == "L" and bool(_NONFINITE.match(toks.values[i + 1])))
    )


def _validate_asc(text: str, path: str) -> ValidationReport:
    try:
        toks = _FastAscTokens(text)
        return _parse_asc(toks, path)
    except _Fallback:
        toks = _SlowAscTokens(text, path)
        return _parse_asc(toks, path)


def _parse_asc(toks, path: str) -> ValidationReport:
    kinds, values = toks.kinds, toks.values
    report = ValidationReport(path=path, format="asc")
    soma_contours: list[list[int]] = []
    tree_types: dict[int, int] = {}
    first_points: list[int] = []
    untagged_line: int | None = None

    i = 0
    set_depth = 0  # open '(set "name" ...)' groups, whose objects count as top level
    while kinds[i] != "$":
        k = kinds[i]
        if k == ")":
            if set_depth:
                set_depth -= 1
                i += 1
                continue
            raise toks.error("unbalanced parentheses: ')' without a matching '('", i)
        if k == "P":
            raise toks.error("a point outside any tree or contour", i)
        if k != "(":
            shown = values[i] if values[i] is not None else k
            raise toks.error(
                f"unexpected {shown!r} outside any object (Neurolucida objects are parenthesised)",
                i,
            )
        nk = kinds[i + 1]
        if nk == "S":  # a contour: ("name" properties points)
            name = values[i + 1]
            start = i
            j = i + 2
            ordinals: list[int] = []
            while kinds[j] == "(" and kinds[j + 1] == "L" and not _is_point_start(toks, j):
                j = _asc_property(toks, j)  # properties: (Color ...), (CellBody)...
            while _is_point_start(toks, j):
                j, k_pt = toks.point(j, False)
                ordinals.append(k_pt)
            if kinds[j] == "$":
                raise toks.error("unbalanced parentheses: this contour is never closed", i)
            if not ordinals:
                raise toks.error(f"the contour {name!r} has no points", start)
            if kinds[j] != ")":
                shown = values[j] if values[j] is not None else kinds[j]
                raise toks.error(
                    f"unexpected {shown!r} in the contour {name!r} (a contour is a name, "
                    "properties, then points)",
                    j,
                )
            i = j + 1
            if name in _SOMA_CONTOUR_NAMES:
                if len(ordinals) < 3:
                    raise toks.error(
                        f"the soma contour {name!r} has {len(ordinals)} point(s); a contour "
                        "needs at least 3",
                        start,
                    )
                soma_contours.append(ordinals)
        elif nk == "L" and values[i + 1] in ("set", "Set", "SET"):
            if kinds[i + 2] != "S":
                raise toks.error("'(set' must be followed by a name in quotes", i + 1)
            set_depth += 1
            i += 3
        elif nk == "L" and not _NONFINITE.match(values[i + 1]):
            # a top-level marker or property, e.g. (ImageCoords ...)
            i = _asc_marker_or_property(toks, i)
        elif nk in ("(", "P"):
            i, info = _asc_tree(toks, i)
            if info is None:  # a text object
                continue
            typ, npts, first, start = info
            tree_types[typ] = tree_types.get(typ, 0) + npts
            first_points.append(first)
            if typ == 0 and untagged_line is None:
                untagged_line = toks.line_of(start)
        elif nk == "N" or nk == "L":
            raise toks.error("a point outside any tree or contour", i)
        elif nk == ")":
            i += 2  # "()" is harmless
        elif nk == "$":
            raise toks.error("unbalanced parentheses: this '(' is never closed", i)
        else:
            raise toks.error(f"unexpected {values[i + 1] or nk!r} after '('", i + 1)
    if set_depth:
        raise toks.error("unbalanced parentheses: a '(set ...' group is never closed", i)
    toks.finish()
    if not tree_types and not soma_contours:
        raise MorphologyError(
            "empty morphology: no tree (Dendrite/Axon/Apical) and no soma contour", path, 1
        )
    coords = toks.coords
    report.n_points = sum(tree_types.values()) + sum(len(c) for c in soma_contours)
    report.type_counts = dict(sorted(tree_types.items()))
    if first_points:
        report.root_xyz = tuple(float(v) for v in coords[first_points[0], :3])
    if untagged_line is not None:
        report.warnings.append(
            f"{path}:{untagged_line}: a tree has no (Dendrite)/(Axon)/(Apical) tag; its "
            "sections form the 'custom' region"
        )
    if not soma_contours:
        report.soma = "none"
        report.warnings.append(f"{path}: no soma (no CellBody contour)")
    else:
        report.soma = "contour" if len(soma_contours) == 1 else "contour-stack"
        allpts = coords[[k for c in soma_contours for k in c], :3]
        report.soma_xyz = tuple(float(v) for v in allpts.mean(axis=0))
        spans = allpts.max(axis=0) - allpts.min(axis=0)
        if np.count_nonzero(spans > 0) < 2:
            report.soma = "zero-size"
    if not tree_types:
        report.warnings.append(f"{path}: the file has a soma but no neurite trees")
    return report


_RESERVED = ("set", "Set", "SET", "RGB")  # Import3d's lexer reads these as keywords


def _check_label(toks, j: int) -> None:
    if _starts_with_keyword(toks.values[j]):
        raise toks.error(
            f"the word {toks.values[j]!r} begins with a Neurolucida keyword "
            "(set/RGB) where a label is expected",
            j,
        )


def _starts_with_keyword(value) -> bool:
    return isinstance(value, str) and value.startswith(_RESERVED)


def _asc_property(toks, j: int) -> int:
    """A property '(' label values ')' (values: numbers, strings, labels, RGB (r, g, b))."""
    kinds, values = toks.kinds, toks.values
    if _starts_with_keyword(values[j + 1]):
        _check_label(toks, j + 1)
    k = j + 2
    while True:
        kind = kinds[k]
        if kind == ")":
            return k + 1
        if kind in ("N", "S"):
            k += 1
        elif kind == "L":
            if values[k] == "RGB":
                if not (
                    kinds[k + 1] == "("
                    and kinds[k + 2] == "N"
                    and kinds[k + 3] == "N"
                    and kinds[k + 4] == "N"
                    and kinds[k + 5] == ")"
                ):
                    raise toks.error("RGB must be followed by (red, green, blue)", k)
                k += 6
            elif _starts_with_keyword(values[k]) or _NONFINITE.match(values[k]):
                raise toks.error(f"unexpected {values[k]!r} in a property", k)
            else:
                k += 1
        elif kind == "P" and values[k - 1] == "RGB":  # pragma: no cover - RGB handled above
            k += 1
        elif kind == "$":
            raise toks.error("unbalanced parentheses: this '(' is never closed", j)
        else:
            shown = values[k] if values[k] is not None else kind
            raise toks.error(
                f"unexpected {shown!r} in the property ({values[j + 1]} ...): a property "
                "holds numbers, strings and labels",
                k,
            )


def _asc_marker(toks, j: int) -> int:
    """A marker '(' label properties points ')', e.g. (Dot (Color Red) (x y z d) ...)."""
    kinds = toks.kinds
    _check_label(toks, j + 1)
    k = j + 2
    while kinds[k] == "(" and kinds[k + 1] == "L" and not _is_point_start(toks, k):
        k = _asc_property(toks, k)
    n = 0
    while _is_point_start(toks, k):
        k, _ = toks.point(k, False)
        n += 1
    if n == 0:
        raise toks.error(f"the marker ({toks.values[j + 1]} ...) has no points", j)
    if kinds[k] != ")":
        if kinds[k] == "$":
            raise toks.error("unbalanced parentheses: this marker is never closed", j)
        raise toks.error(f"unexpected {toks.values[k] or kinds[k]!r} in a marker", k)
    return k + 1


def _asc_marker_or_property(toks, j: int) -> int:
    if toks.kinds[j + 2] == "(":
        return _asc_marker(toks, j)
    return _asc_property(toks, j)


def _asc_spine(toks, j: int) -> int:
    """A spine '<' properties point '>' after a point."""
    kinds = toks.kinds
    k = j + 1
    while kinds[k] == "(" and kinds[k + 1] == "L" and not _is_point_start(toks, k):
        k = _asc_property(toks, k)
    if not _is_point_start(toks, k):
        raise toks.error("a spine '<...>' must hold a point '(x y z d)'", j)
    k, _ = toks.point(k, False)
    if kinds[k] != ">":
        raise toks.error("a spine '<' is not closed by '>' after its point", j)
    return k + 1


def _asc_tree(toks, i: int):
    """Parse a tree starting at '(' (index i).

    Follows Import3d's grammar: a tree is '(' properties branch ')'; a branch is a first
    item (a point, or one marker/property), more points (each optionally followed by
    spines ``<...>``), markers, then optionally a node: a split '(' branch | branch ... ')'
    or an end label (Normal, Incomplete...). Nothing may follow a node but '|' or ')'.

    Returns (next index, (type, n points, first point ordinal, start index)), or
    (next index, None) for a text object.
    """
    kinds, values = toks.kinds, toks.values
    start = i
    j = i + 1
    typ = 0
    # Properties: (Color ...), (Dendrite), (Name "x")... (label lists, not markers)
    while kinds[j] == "(" and kinds[j + 1] == "L" and not _is_point_start(toks, j):
        if kinds[j + 2] == "(":
            raise toks.error(
                f"a marker ({values[j + 1]} ...) before the first point of a tree; Import3d "
                "accepts markers only after a branch's points",
                j,
            )
        label = values[j + 1]
        if label in _ASC_TAGS:
            typ = _ASC_TAGS[label]
        j = _asc_property(toks, j)
    # A text object: properties, one point, a string, ')'.
    if kinds[j] == "P" and kinds[j + 1] == "S" and kinds[j + 2] == ")":
        return j + 3, None
    npts = 0
    first = -1
    depth = 0  # open splits
    # state: "first" (a branch's first item), "points", "markers" (after its points),
    # "ended" (after its node: only '|' or ')' may follow)
    state = "first"
    branch_points = 0
    branch_start = j
    while True:
        k = kinds[j]
        if k == "P" or (k == "(" and _is_point_start(toks, j)):
            if state in ("markers", "ended"):
                raise toks.error(
                    "a point after the end of a branch (after its markers, end label or "
                    "split); a branch's points come first",
                    j,
                )
            j, ordinal, n = toks.point_run(j, True)
            if first < 0:
                first = ordinal
            npts += n
            branch_points += n
            state = "points"
        elif k == "<":  # spines after a point
            if state != "points":
                raise toks.error("a spine '<...>' that does not follow a point", j)
            j = _asc_spine(toks, j)
        elif k == "(":
            nk = kinds[j + 1]
            if nk == "L":  # a marker (Dot ...) or a property
                if state == "ended":
                    raise toks.error("a marker after the end of a branch", j)
                _check_label(toks, j + 1)
                if state == "first":
                    j = _asc_marker_or_property(toks, j)
                    state = "points_after_first"
                else:  # markers at a branch's end: Import3d skips them whole
                    j = _asc_skip_group(toks, j)
                    state = "markers"
            elif nk in ("(", "P"):  # a split: '(' branch | branch ... ')'
                if state == "ended":
                    raise toks.error("a second split after a split", j)
                if branch_points == 0:
                    raise toks.error("a branch with no points before its split", branch_start)
                depth += 1
                branch_start = j
                j += 1
                branch_points = 0
                state = "first"
            elif nk == ")":
                raise toks.error("empty parentheses '()' inside a tree", j)
            else:
                shown = values[j + 1] if values[j + 1] is not None else nk
                raise toks.error(f"unexpected {shown!r} after '(' inside a tree", j + 1)
        elif k == "|" or k == ")":
            if branch_points == 0:
                raise toks.error(
                    "a tree with no points"
                    if depth == 0 and k == ")"
                    else "a branch with no points",
                    start if depth == 0 and k == ")" else branch_start,
                )
            if k == "|":
                if depth == 0:
                    raise toks.error("'|' (a sibling branch) outside a split", j)
                branch_start = j
                j += 1
                branch_points = 0
                state = "first"
                continue
            if depth == 0:
                return j + 1, (typ, npts, first, start)
            depth -= 1
            j += 1
            branch_points = 1  # the enclosing branch had points before its split
            state = "ended"
        elif k == "L":  # an end label: Normal, Incomplete, Generated, Low, High, Midpoint...
            if _NONFINITE.match(values[j]):
                raise toks.error(f"non-finite value {values[j]!r} outside a point", j)
            _check_label(toks, j)
            if state == "ended" or branch_points == 0:
                raise toks.error(f"unexpected label {values[j]!r}", j)
            j += 1
            state = "ended"
        elif k == "$":
            raise toks.error("unbalanced parentheses: this tree is never closed", start)
        elif k == "N":
            raise toks.error(f"a number {values[j]!r} outside a point '(x y z d)'", j)
        elif k == "?":
            raise toks.error(f"non-numeric or malformed text {values[j]!r}", j)
        elif k == "S":
            raise toks.error(f'unexpected string "{values[j]}" inside a tree', j)
        else:  # '>' without '<'
            raise toks.error(f"unexpected {k!r} inside a tree", j)


# --------------------------------------------------------------------------------------
# Loading into NEURON
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MorphologySpec:
    """A morphology file and the policies for loading it (picklable; no NEURON objects).

    Parameters
    ----------
    path : str
        SWC or Neurolucida ASCII file. A bare name such as ``"l5_pyramid_stylized"`` or
        ``"ball_and_stick.swc"`` refers to a morphology shipped with mgneuron.
    zero_soma : {"replace", "error"}
        What to do with a soma of zero size (see the module docstring).
    missing_soma : {"add", "keep", "error"}
        What to do when the file has no soma.
    soma_diameter_um : float
        Diameter (um) of the soma put in place by "replace" or "add". Default 20 um.
    format : {"swc", "asc"}, optional
        Default: from the extension.
    """

    path: str
    zero_soma: str = "replace"
    missing_soma: str = "add"
    soma_diameter_um: float = 20.0
    format: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(_resolve_path(self.path)))
        if self.zero_soma not in ("replace", "error"):
            raise MorphologyError(
                f"zero_soma must be 'replace' or 'error', got {self.zero_soma!r}", self.path
            )
        if self.missing_soma not in ("add", "keep", "error"):
            raise MorphologyError(
                f"missing_soma must be 'add', 'keep' or 'error', got {self.missing_soma!r}",
                self.path,
            )
        d = float(self.soma_diameter_um)
        if not (math.isfinite(d) and d > 0):
            raise MorphologyError(
                f"soma_diameter_um must be a positive number, got {self.soma_diameter_um!r}",
                self.path,
            )
        object.__setattr__(self, "soma_diameter_um", d)

    def as_dict(self) -> dict:
        """Plain-dict view (for the parameters of a results file)."""
        return asdict(self)

    def instantiate(self) -> Morphology:
        """Validate the file and build its sections in NEURON."""
        return load_morphology(self)


class _SectionOwner:
    """The Python object Import3d fills with section lists; it names the sections."""

    def __init__(self, label: str):
        self._label = label

    def __str__(self) -> str:
        return self._label

    __repr__ = __str__


_instance_counter = itertools.count()


class Morphology:
    """A morphology instantiated in NEURON. It owns its sections.

    Use :func:`load_morphology` (or :meth:`MorphologySpec.instantiate`) to make one.
    :meth:`delete` removes the sections from NEURON; they also disappear when the object
    and every other reference to them are dropped. Usable as a context manager.

    Attributes
    ----------
    spec : MorphologySpec
    validation : ValidationReport
    sections : list of nrn.Section
        All sections, soma first.
    regions : dict of str -> list of nrn.Section
        Sections of each region in :data:`REGIONS` (empty lists for absent regions).
    custom_types : dict of int -> list of nrn.Section
        Sections of each non-standard SWC type code (ASC untagged trees: code 0).
    import3d_messages : str
        What Import3d printed while reading (notes about soma connections...).
    warnings : list of str
        Warnings issued while loading (policies applied, unknown types, ...).
    """

    def __init__(self, spec: MorphologySpec, validation: ValidationReport, owner: _SectionOwner):
        self.spec = spec
        self.validation = validation
        self._owner = owner
        self.sections: list = []
        self.regions: dict[str, list] = {r: [] for r in REGIONS}
        self.custom_types: dict[int, list] = {}
        self._region_of: dict = {}
        self.import3d_messages = ""
        self.warnings: list[str] = []

    # -- bookkeeping -------------------------------------------------------------------
    def _add(self, sec, region: str, type_code: int | None = None) -> None:
        self.sections.append(sec)
        self.regions[region].append(sec)
        self._region_of[sec] = region
        if region == "custom":
            self.custom_types.setdefault(int(type_code or 0), []).append(sec)

    def add_section(self, sec, region: str) -> None:
        """Adopt a section made elsewhere (e.g. an axon stub) into a region.

        The section must be connected to this morphology; it is deleted with it.
        """
        if region not in REGIONS:
            raise MorphologyError(f"unknown region {region!r}; use one of {REGIONS}")
        extra = getattr(self._owner, "_extra", None)
        if extra is None:
            extra = self._owner._extra = []
        extra.append(sec)
        self._add(sec, region)

    # -- queries -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """File stem of the morphology."""
        return Path(self.spec.path).stem

    @property
    def soma(self) -> list:
        """The soma sections (possibly several, possibly none with ``missing_soma='keep'``)."""
        return self.regions["soma"]

    @property
    def root(self):
        """The section at the root of the tree (the first soma section if there is one)."""
        if self.soma:
            return self.soma[0]
        for sec in self.sections:
            if sec.parentseg() is None:
                return sec
        raise MorphologyError("the morphology has no sections (deleted?)", self.spec.path)

    @property
    def origin(self):
        """The segment path distances are measured from: the soma centre, else the root."""
        root = self.root
        return root(0.5) if self.soma else root(0.0)

    def region_of(self, sec) -> str:
        """Region name of a section of this morphology."""
        try:
            return self._region_of[sec]
        except KeyError:
            raise MorphologyError(
                f"section {sec.name()} is not part of this morphology", self.spec.path
            ) from None

    def sections_in(self, region: str) -> list:
        """Sections of a region; ``"dendrite"`` is basal + apical + custom, ``"all"`` all."""
        if region == "all":
            return list(self.sections)
        if region == "dendrite":
            return self.regions["basal"] + self.regions["apical"] + self.regions["custom"]
        if region not in self.regions:
            raise MorphologyError(
                f"unknown region {region!r}; use one of {', '.join(REGIONS)}, dendrite, all",
                self.spec.path,
            )
        return list(self.regions[region])

    def path_distance(self, seg) -> float:
        """Path distance (um) along the tree from :attr:`origin` to a segment."""
        from neuron import h

        return float(h.distance(self.origin, seg))

    def n_segments(self) -> int:
        """Total number of segments."""
        return sum(sec.nseg for sec in self.sections)

    def label(self, where) -> str:
        """A section's or segment's name within this morphology: ``soma[0](0.5)``.

        NEURON names sections after their owner object (``ball_and_stick#3.soma[0]``),
        whose instance number differs between runs and processes; the label leaves it
        out, so the same place gets the same label in every condition.
        """
        sec = where.sec if hasattr(where, "sec") else where
        name = sec.name()
        prefix = f"{self._owner}." if self._owner is not None else ""
        if prefix and name.startswith(prefix):
            name = name[len(prefix) :]
        return f"{name}({where.x:g})" if hasattr(where, "x") else name

    def delete(self) -> None:
        """Remove every section of this morphology from NEURON (idempotent)."""
        from neuron import h

        for sec in reversed(self.sections):
            try:
                h.delete_section(sec=sec)
            except Exception:  # already gone  # noqa: BLE001
                pass
        self.sections = []
        self.regions = {r: [] for r in REGIONS}
        self.custom_types = {}
        self._region_of = {}
        self._owner = None

    def __enter__(self) -> Morphology:
        return self

    def __exit__(self, *exc) -> None:
        self.delete()

    def __len__(self) -> int:
        return len(self.sections)

    def __repr__(self) -> str:
        counts = ", ".join(f"{r}={len(s)}" for r, s in self.regions.items() if s)
        return f"<Morphology {self.name}: {len(self.sections)} sections ({counts})>"


def _resolve_path(path: str | os.PathLike) -> Path:
    """A path as given, or the name of a shipped morphology."""
    p = Path(path).expanduser()
    if p.exists():
        return p.resolve()  # absolute: worker processes and results files see the same
    if p.is_absolute() or len(p.parts) > 1:
        return p
    try:
        return shipped_morphology(str(path))
    except MorphologyError:
        return p


_IMPORT3D_LOADED = False


def _ensure_import3d() -> None:
    global _IMPORT3D_LOADED
    if not _IMPORT3D_LOADED:
        from neuron import h

        with contextlib.redirect_stdout(io.StringIO()):
            h.load_file("stdlib.hoc")
            h.load_file("import3d.hoc")
        _IMPORT3D_LOADED = True


def _hoc_returning():
    """NEURON's ``hoc_returning`` flag (ctypes int), or None if it cannot be found.

    Import3d's Neurolucida parser ends a parse error with the hoc statement ``stop``, which
    leaves this flag set: every interpreted hoc procedure called afterwards returns at once
    and does nothing (NEURON issue #1311). Resetting it to 0 restores the interpreter.
    """
    global _HOC_RETURNING
    if _HOC_RETURNING is None:
        import ctypes

        import neuron

        candidates = [Path(neuron.__file__).parent / ".data" / "lib" / "libnrniv.so"]
        with contextlib.suppress(OSError):
            for line in Path("/proc/self/maps").read_text().splitlines():
                if "libnrniv" in line:
                    candidates.append(Path(line.split()[-1]))
        for lib in candidates:
            try:
                handle = ctypes.CDLL(str(lib), mode=os.RTLD_NOLOAD | ctypes.RTLD_GLOBAL)
                _HOC_RETURNING = ctypes.c_int.in_dll(handle, "hoc_returning")
                break
            except (OSError, ValueError, AttributeError):
                continue
        else:
            _HOC_RETURNING = False
    return _HOC_RETURNING or None


_HOC_RETURNING = None


def _reset_hoc_interpreter() -> bool:
    """Clear a hoc ``stop``; returns True if one was pending."""
    flag = _hoc_returning()
    if flag is not None and flag.value != 0:
        flag.value = 0
        return True
    return False


_PROBLEM_RE = re.compile(
    r"parse error|Lexical error|could not parse|could not open|^error ", re.MULTILINE
)


def _import3d(path: str, fmt: str, owner: _SectionOwner, report_path: str) -> str:
    """Read a file with Import3d and instantiate its sections inside ``owner``."""
    from neuron import h

    _ensure_import3d()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            reader = h.Import3d_SWC_read() if fmt == "swc" else h.Import3d_Neurolucida3()
            reader.quiet = 1
            reader.input(path)
            stopped = _reset_hoc_interpreter()
            text = out.getvalue()
            if stopped or _PROBLEM_RE.search(text):
                raise MorphologyError(
                    "NEURON's Import3d could not read the file: " + " ".join(text.split())[:500],
                    report_path,
                    _first_line_number(text),
                )
            gui = h.Import3d_GUI(reader, 0)
            gui.instantiate(owner)
            if _reset_hoc_interpreter():
                raise MorphologyError(
                    "NEURON's Import3d stopped while building the sections: "
                    + " ".join(out.getvalue().split())[:500],
                    report_path,
                )
    except MorphologyError:
        _drop_owner_sections(owner)
        raise
    except Exception as exc:  # hoc errors arrive as RuntimeError
        _reset_hoc_interpreter()
        _drop_owner_sections(owner)
        raise MorphologyError(
            f"NEURON's Import3d failed ({type(exc).__name__}: {exc}); printed: "
            + " ".join(out.getvalue().split())[:500],
            report_path,
        ) from exc
    return out.getvalue()


def _first_line_number(text: str) -> int | None:
    m = re.search(r"line (\d+)", text)
    return int(m.group(1)) if m else None


def _drop_owner_sections(owner: _SectionOwner) -> None:
    from neuron import h

    for name, value in list(vars(owner).items()):
        if isinstance(value, list):
            for sec in value:
                with contextlib.suppress(Exception):
                    h.delete_section(sec=sec)
            setattr(owner, name, [])


# validate_morphology results by (file, format, mtime, size): a sweep loads the same file
# once per condition, and validation costs ~1.6 ms for a 34-point SWC and ~0.2 s for the
# 10,500-point L5PC .asc, which is most of the runner's cost per condition for short runs.
_VALIDATED: dict[tuple, ValidationReport] = {}


def _file_key(path: str | os.PathLike, format: str | None) -> tuple | None:
    """(resolved path, format, mtime, size): what identifies a file's content here."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return (str(p.resolve()), format, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class _Blueprint:
    """What Import3d built from one file, to build it again without Import3d.

    Sections in NEURON's creation order: their names within the owner, 3-D points
    (x, y, z, diam), ``pt3dstyle`` (logical connection point or None), connection
    (parent's index, parent x, child x) and children in NEURON's order (which sets the
    order of the nodes in the matrix, so the rounding of every step); plus the owner's
    section lists as indices and what Import3d printed.
    """

    names: tuple[str, ...]
    points: tuple[np.ndarray, ...]
    styles: tuple[tuple[float, float, float] | None, ...]
    parents: tuple[tuple[int, float, float] | None, ...]
    children: tuple[tuple[int, ...], ...]
    lists: tuple[tuple[str, tuple[int, ...]], ...]
    messages: str


# Import3d (hoc) costs ~1.5 ms for the 34-point ball-and-stick and ~0.6 s for the L5PC
# .asc, paid by every condition of a sweep that builds its cell; the second time a file
# is loaded its sections are made again from the blueprint of the first (identical
# sections, points, connections and creation order: tested against Import3d).
_BLUEPRINTS: dict[tuple, _Blueprint] = {}


def _capture_blueprint(owner: _SectionOwner, messages: str) -> _Blueprint:
    from neuron import h

    lists = [(k, v) for k, v in vars(owner).items() if isinstance(v, list)]
    owned = {sec for _, v in lists for sec in v}
    secs = [sec for sec in h.allsec() if sec in owned]  # creation order
    index = {sec: k for k, sec in enumerate(secs)}
    prefix = f"{owner}."
    names, points, styles, parents, children = [], [], [], [], []
    for sec in secs:
        name = sec.name()
        names.append(name[len(prefix) :] if name.startswith(prefix) else name)
        n = sec.n3d()
        points.append(
            np.array(
                [[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(n)]
            ).reshape(n, 4)
        )
        x, y, z = h.ref(0.0), h.ref(0.0), h.ref(0.0)
        # pt3dstyle(1, &x, &y, &z) reads the logical connection point (changes nothing)
        styles.append((x[0], y[0], z[0]) if h.pt3dstyle(1, x, y, z, sec=sec) else None)
        pseg = sec.parentseg()
        if pseg is None:
            parents.append(None)
        else:
            cx = h.section_orientation(sec=sec)
            parents.append((index[pseg.sec], float(pseg.x), float(cx)))
        children.append(tuple(index[c] for c in h.SectionRef(sec=sec).child))
    return _Blueprint(
        names=tuple(names),
        points=tuple(points),
        styles=tuple(styles),
        parents=tuple(parents),
        children=tuple(children),
        lists=tuple((k, tuple(index[sec] for sec in v)) for k, v in lists),
        messages=messages,
    )


def _build_blueprint(bp: _Blueprint, owner: _SectionOwner) -> str:
    """Make the sections of ``bp`` inside ``owner``; returns Import3d's messages."""
    from neuron import h

    secs = [h.Section(name=name, cell=owner) for name in bp.names]
    for sec, pts, style in zip(secs, bp.points, bp.styles, strict=True):
        if len(pts):
            cols = [h.Vector(pts[:, j]) for j in range(4)]
            h.pt3dadd(*cols, sec=sec)
        if style is not None:
            h.pt3dstyle(1, *style, sec=sec)
    # NEURON puts a newly connected child first in its parent's list: connecting each
    # parent's children last to first gives Import3d's order (and the same matrix).
    for k, kids in enumerate(bp.children):
        for c in reversed(kids):
            _, px, cx = bp.parents[c]
            secs[c].connect(secs[k](px), cx)
    for name, idx in bp.lists:
        setattr(owner, name, [secs[k] for k in idx])
    return bp.messages


def _validated(path: str | os.PathLike, format: str | None) -> ValidationReport:
    """:func:`validate_morphology`, remembered until the file changes (a private copy)."""
    key = _file_key(path, format)
    if key is None:
        return validate_morphology(path, format)  # it raises the proper error
    report = _VALIDATED.get(key)
    if report is None:
        report = validate_morphology(path, format)
        if len(_VALIDATED) >= 32:
            _VALIDATED.clear()
        if report._swc_table is not None:
            report._swc_table.flags.writeable = False  # shared by every copy below
        _VALIDATED[key] = report
    # A private copy of what a caller may change (not of the sample table, which can be
    # large and is only read: deepcopy cost ~0.1 ms per load of a small cell).
    return dataclasses.replace(
        report, type_counts=dict(report.type_counts), warnings=list(report.warnings)
    )


def load_morphology(path: str | os.PathLike | MorphologySpec, **policies) -> Morphology:
    """Validate a morphology file and instantiate it in NEURON.

    Parameters
    ----------
    path : path-like or MorphologySpec
        The file (or a shipped morphology's name), or a full spec.
    **policies
        ``zero_soma``, ``missing_soma``, ``soma_diameter_um``, ``format``: see
        :class:`MorphologySpec`.

    Returns
    -------
    Morphology
        Owns its sections; warnings (:class:`MorphologyWarning`) were issued for anything a
        policy changed.

    Raises
    ------
    MorphologyError
        The file is malformed (the message names the file, the line and the problem), or a
        policy set to "error" applies, or NEURON's Import3d fails on it.
    """
    spec = path if isinstance(path, MorphologySpec) else MorphologySpec(str(path), **policies)
    report = _validated(spec.path, spec.format)
    if report.soma == "zero-size" and spec.zero_soma == "error":
        raise MorphologyError(
            "the soma has zero size (radius 0); pass zero_soma='replace' to put a "
            f"{spec.soma_diameter_um:g} um soma in its place",
            spec.path,
        )
    if report.soma == "none" and spec.missing_soma == "error":
        raise MorphologyError(
            "the file has no soma; pass missing_soma='add' (add a soma at the root) or "
            "'keep' (neurites only)",
            spec.path,
        )
    owner = _SectionOwner(f"{Path(spec.path).stem}#{next(_instance_counter)}")
    read_path = spec.path
    tmp = None
    key = _file_key(spec.path, spec.format)
    blueprint = _BLUEPRINTS.get(key) if key is not None else None
    if report.needs_renumbering and blueprint is None:
        tmp = tempfile.NamedTemporaryFile(
            "w", suffix=".swc", prefix="mgneuron-renumbered-", delete=False
        )
        with tmp:
            tmp.write(_renumbered_swc(report._swc_table))
        read_path = tmp.name
    try:
        if blueprint is not None:
            messages = _build_blueprint(blueprint, owner)
        else:
            messages = _import3d(read_path, report.format, owner, spec.path)
            if key is not None:
                if len(_BLUEPRINTS) >= 32:
                    _BLUEPRINTS.clear()
                try:
                    _BLUEPRINTS[key] = _capture_blueprint(owner, messages)
                except KeyError:  # a connection outside the file's sections: no blueprint
                    pass
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    morph = Morphology(spec, report, owner)
    morph.import3d_messages = messages
    for name, value in vars(owner).items():
        if name.startswith("_") or name == "all" or not isinstance(value, list):
            continue
        region = _IMPORT3D_REGION.get(name)
        code = None
        if region is None:
            region = "custom"
            m = re.match(r"(dend|minus)_(\d+)$", name)
            code = (int(m.group(2)) * (-1 if m.group(1) == "minus" else 1)) if m else 0
        for sec in value:
            morph._add(sec, region, code)
    # Soma first, then Import3d's order.
    order = {r: k for k, r in enumerate(REGIONS)}
    morph.sections.sort(key=lambda s: order[morph._region_of[s]])
    morph.warnings.extend(report.warnings)
    for line in messages.splitlines():
        if "has been removed" in line or "reattached" in line:
            morph.warnings.append(f"{spec.path}: Import3d: {line.strip()}")
    _apply_soma_policies(morph, report, spec)
    if not morph.sections:
        morph.delete()
        raise MorphologyError("Import3d made no sections from the file", spec.path)
    for w in morph.warnings:
        warnings.warn(w, MorphologyWarning, stacklevel=2)
    for sec in morph.sections:
        sec.nseg = 1
    return morph


def _apply_soma_policies(morph: Morphology, report: ValidationReport, spec: MorphologySpec):
    from neuron import h

    d = spec.soma_diameter_um
    if report.soma == "zero-size" and morph.soma:
        x, y, z = report.soma_xyz
        for sec in morph.soma:
            h.pt3dclear(sec=sec)
            for dy in (-d / 2, 0.0, d / 2):
                h.pt3dadd(x, y + dy, z, d, sec=sec)
        morph.warnings.append(
            f"{spec.path}: the soma has zero size; replaced by a sphere-equivalent cylinder "
            f"of diameter {d:g} um at ({x:g}, {y:g}, {z:g}) (policy zero_soma='replace', "
            "soma_diameter_um sets the size)"
        )
    elif report.soma == "none" and spec.missing_soma == "add":
        roots = [s for s in morph.sections if s.parentseg() is None]
        x, y, z = report.root_xyz
        soma = h.Section(name="soma[0]", cell=morph._owner)
        for dy in (-d / 2, 0.0, d / 2):
            h.pt3dadd(x, y + dy, z, d, sec=soma)
        morph._owner.soma = [soma]
        for sec in roots:
            # Keep the neurite where the file put it (a logical connection).
            h.pt3dstyle(1, x, y, z, sec=sec)
            sec.connect(soma(0.5), 0)
        morph._add(soma, "soma")
        order = {r: k for k, r in enumerate(REGIONS)}
        morph.sections.sort(key=lambda s: order[morph._region_of[s]])
        morph.warnings.append(
            f"{spec.path}: no soma; added a sphere-equivalent soma of diameter {d:g} um at "
            f"the root point ({x:g}, {y:g}, {z:g}) (policy missing_soma='add'; 'keep' loads "
            "the neurites alone)"
        )


# --------------------------------------------------------------------------------------
# Discretisation: the d_lambda rule
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DLambda:
    """The d_lambda rule: every segment at most ``d_lambda`` of the AC length constant.

    Parameters
    ----------
    d_lambda : float
        Largest segment length as a fraction of lambda_f. Default 0.1.
    freq_hz : float
        Frequency (Hz) at which lambda_f is evaluated. Default 100 Hz.
    max_nseg : int
        Upper bound on nseg per section (odd). Default 32767 (NEURON's limit).

    Notes
    -----
    lambda_f = 1e5 * sqrt(d / (4 pi f Ra cm)) um, with d in um, f in Hz, Ra in Ohm cm and
    cm in uF/cm2 (Hines & Carnevale, The NEURON Book, ch. 5). For a section with 3-D points
    its electrotonic length is the sum over the pieces between points of
    Delta_x / lambda_f(mean diameter), and

        nseg = 2 * int((L / lambda_eff / d_lambda + 0.9) / 2) + 1

    which is odd, so a node sits at the section's middle.
    """

    d_lambda: float = 0.1
    freq_hz: float = 100.0
    max_nseg: int = 32767

    def __post_init__(self) -> None:
        for name in ("d_lambda", "freq_hz"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise MorphologyError(f"{name} must be a positive number, got {v!r}")
            object.__setattr__(self, name, v)
        if int(self.max_nseg) < 1:
            raise MorphologyError(f"max_nseg must be >= 1, got {self.max_nseg}")

    def nseg(self, sec) -> int:
        """The nseg this rule gives one section (reads Ra, cm and the geometry)."""
        electrotonic = _electrotonic_length(sec, self.freq_hz)
        n = 2 * int((electrotonic / self.d_lambda + 0.9) / 2) + 1
        m = int(self.max_nseg)
        if n > m:
            n = m if m % 2 else m - 1
        return max(n, 1)

    def apply(self, sections: Iterable) -> int:
        """Set nseg of every section; return the total number of segments."""
        total = 0
        for sec in sections:
            sec.nseg = self.nseg(sec)
            total += sec.nseg
        return total


def lambda_f(sec, freq_hz: float = 100.0, diam_um: float | None = None) -> float:
    """AC length constant (um) of a section at ``freq_hz`` (its middle diameter by default).

    lambda_f = 1e5 * sqrt(d / (4 pi f Ra cm)), d in um, f in Hz, Ra in Ohm cm, cm in uF/cm2.
    """
    d = sec.diam if diam_um is None else diam_um
    return 1e5 * math.sqrt(d / (4 * math.pi * freq_hz * sec.Ra * _section_cm(sec)))


def _section_cm(sec) -> float:
    # cm is a range variable; use its mean over the segments (uniform in practice).
    vals = [seg.cm for seg in sec]
    return float(sum(vals) / len(vals))


def _pt3d_arrays(sec) -> tuple[np.ndarray, np.ndarray]:
    n = int(sec.n3d())
    arc = np.fromiter((sec.arc3d(i) for i in range(n)), float, n)
    diam = np.fromiter((sec.diam3d(i) for i in range(n)), float, n)
    return arc, diam


def _electrotonic_profile(sec, freq_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative electrotonic distance (in lambda_f) at the section's 3-D points.

    Returns (normalised arc position 0..1, cumulative electrotonic length).
    """
    k = 1e-5 * math.sqrt(4 * math.pi * freq_hz * sec.Ra * _section_cm(sec))  # 1/(um^0.5 um)
    if sec.n3d() < 2:
        return np.array([0.0, 1.0]), np.array([0.0, sec.L * k / math.sqrt(sec.diam)])
    arc, diam = _pt3d_arrays(sec)
    dx = np.diff(arc)
    dmean = 0.5 * (diam[1:] + diam[:-1])
    with np.errstate(divide="ignore"):
        pieces = np.where(dx > 0, dx * k / np.sqrt(np.maximum(dmean, 1e-12)), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(pieces)])
    total_arc = arc[-1] if arc[-1] > 0 else 1.0
    return arc / total_arc, cum


def _electrotonic_length(sec, freq_hz: float) -> float:
    return float(_electrotonic_profile(sec, freq_hz)[1][-1])


@dataclass(frozen=True)
class DiscretizationReport:
    """How finely a set of sections is discretised.

    Attributes
    ----------
    n_sections, n_segments : int
    freq_hz : float
        Frequency (Hz) at which electrotonic lengths were computed.
    max_segment_lambda : float
        Largest segment length in units of lambda_f (the d_lambda rule keeps it <= the
        chosen d_lambda, up to the rounding to odd nseg).
    max_segment_section : str
        Name of the section holding that segment.
    total_electrotonic_length : float
        Sum over sections of their length in lambda_f.
    """

    n_sections: int
    n_segments: int
    freq_hz: float
    max_segment_lambda: float
    max_segment_section: str
    total_electrotonic_length: float

    def __str__(self) -> str:
        return (
            f"{self.n_sections} sections, {self.n_segments} segments; largest segment "
            f"{self.max_segment_lambda:.4f} lambda_{self.freq_hz:g}Hz "
            f"(in {self.max_segment_section})"
        )


def discretization_report(sections: Iterable, freq_hz: float = 100.0) -> DiscretizationReport:
    """Count segments and find the electrotonically longest one (at ``freq_hz``)."""
    n_sec = n_seg = 0
    worst, worst_name, total = 0.0, "", 0.0
    for sec in sections:
        n_sec += 1
        nseg = sec.nseg
        n_seg += nseg
        pos, cum = _electrotonic_profile(sec, freq_hz)
        bounds = np.interp(np.linspace(0.0, 1.0, nseg + 1), pos, cum)
        longest = float(np.max(np.diff(bounds)))
        total += float(cum[-1])
        if longest > worst:
            worst, worst_name = longest, sec.name()
    return DiscretizationReport(n_sec, n_seg, float(freq_hz), worst, worst_name, total)


def discretize(
    sections: Iterable, d_lambda: float = 0.1, freq_hz: float = 100.0, max_nseg: int = 32767
) -> DiscretizationReport:
    """Apply the d_lambda rule to sections and report the result.

    Parameters
    ----------
    sections : iterable of nrn.Section
        Ra and cm must already be set (they enter lambda_f).
    d_lambda : float
        Fraction of lambda_f per segment. Default 0.1.
    freq_hz : float
        Frequency (Hz) of lambda_f. Default 100.
    max_nseg : int
        Upper bound of nseg.
    """
    sections = list(sections)
    DLambda(d_lambda, freq_hz, max_nseg).apply(sections)
    return discretization_report(sections, freq_hz)


# --------------------------------------------------------------------------------------
# Summary, picture, `mgneuron morph`
# --------------------------------------------------------------------------------------


@dataclass
class MorphologySummary:
    """Numbers describing a loaded morphology.

    Attributes
    ----------
    name, path, format, soma : str
        ``soma`` is the kind of soma the file gives (see :class:`ValidationReport`).
    per_region : dict of str -> dict
        For each present region: ``sections``, ``segments``, ``length_um``, ``area_um2``.
    total_length_um, total_area_um2 : float
    max_path_distance_um : float
        Largest path distance from the soma centre (or root) to a section end.
    warnings : list of str
    """

    name: str
    path: str
    format: str
    soma: str
    per_region: dict
    total_length_um: float
    total_area_um2: float
    max_path_distance_um: float
    n_sections: int
    n_segments: int
    warnings: list

    def to_text(self) -> str:
        """The table printed by ``mgneuron morph``."""
        rows = [
            f"morphology   {self.name}  ({self.path})",
            f"format       {self.format}; soma given as: {self.soma}",
            f"{'region':<10}{'sections':>9}{'segments':>10}{'length (um)':>14}{'area (um2)':>14}",
        ]
        for region, d in self.per_region.items():
            rows.append(
                f"{region:<10}{d['sections']:>9}{d['segments']:>10}{d['length_um']:>14.1f}"
                f"{d['area_um2']:>14.1f}"
            )
        rows.append(
            f"{'total':<10}{self.n_sections:>9}{self.n_segments:>10}"
            f"{self.total_length_um:>14.1f}{self.total_area_um2:>14.1f}"
        )
        rows.append(f"max path distance from the soma: {self.max_path_distance_um:.1f} um")
        for w in self.warnings:
            rows.append(f"warning: {w}")
        return "\n".join(rows)


def _section_area(sec) -> float:
    return float(sum(seg.area() for seg in sec))


def summarize(morph: Morphology) -> MorphologySummary:
    """Regions, sections, segments, length and area per region, max path distance."""
    from neuron import h

    per_region = {}
    for region in REGIONS:
        secs = morph.regions[region]
        if not secs:
            continue
        per_region[region] = {
            "sections": len(secs),
            "segments": sum(s.nseg for s in secs),
            "length_um": float(sum(s.L for s in secs)),
            "area_um2": float(sum(_section_area(s) for s in secs)),
        }
    origin = morph.origin
    max_dist = max((h.distance(origin, s(1.0)) for s in morph.sections), default=0.0)
    return MorphologySummary(
        name=morph.name,
        path=morph.spec.path,
        format=morph.validation.format,
        soma=morph.validation.soma,
        per_region=per_region,
        total_length_um=float(sum(d["length_um"] for d in per_region.values())),
        total_area_um2=float(sum(d["area_um2"] for d in per_region.values())),
        max_path_distance_um=float(max_dist),
        n_sections=len(morph.sections),
        n_segments=morph.n_segments(),
        warnings=list(morph.warnings),
    )


REGION_COLORS = {
    "soma": "#000000",
    "axon": "#1f77b4",
    "basal": "#d62728",
    "apical": "#2ca02c",
    "custom": "#9467bd",
}


def plot_morphology(
    morph: Morphology,
    out_png: str | os.PathLike,
    plane: str = "xy",
    title: str | None = None,
) -> Path:
    """Write a 2-D projection of the morphology, coloured by region, to a PNG.

    Parameters
    ----------
    morph : Morphology
    out_png : path-like
    plane : {"xy", "xz", "yz"}
        Projection plane. Default "xy" (the usual reconstruction plane).
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}
    if plane not in axes:
        raise MorphologyError(f"plane must be one of {', '.join(axes)}, got {plane!r}")
    a, b = axes[plane]
    from matplotlib.patches import Circle

    fig, ax = plt.subplots(figsize=(6, 7), dpi=120)
    for sec in morph.regions["soma"]:
        # A soma as the disc of a sphere of the same area, at its centre.
        n = int(sec.n3d())
        if n == 0:
            continue
        pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n)])
        centre = pts.mean(axis=0)
        r = math.sqrt(max(_section_area(sec), 1e-9) / (4 * math.pi))
        ax.add_patch(Circle((centre[a], centre[b]), r, color=REGION_COLORS["soma"], zorder=3))
    for region in REGIONS[1:]:
        segs, widths = [], []
        for sec in morph.regions[region]:
            n = int(sec.n3d())
            if n < 2:
                continue
            pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n)])
            d = np.array([sec.diam3d(i) for i in range(n)])
            p2 = pts[:, [a, b]]
            segs.extend(np.stack([p2[:-1], p2[1:]], axis=1))
            widths.extend(np.clip(0.5 * (d[:-1] + d[1:]) * 0.25, 0.3, 6.0))
        if segs:
            lc = LineCollection(
                segs,
                linewidths=widths,
                colors=REGION_COLORS[region],
                label=region,
                capstyle="round",
            )
            ax.add_collection(lc)
    ax.autoscale()
    ax.set_aspect("equal")
    ax.set_xlabel(f"{plane[0]} (um)")
    ax.set_ylabel(f"{plane[1]} (um)")
    ax.set_title(title or morph.name)
    handles = [
        plt.Line2D([], [], color=REGION_COLORS[r], lw=3, label=r)
        for r in REGIONS
        if morph.regions[r]
    ]
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def morph_command(path: str, out_png: str | None = None, biophysics: str = "pyramidal") -> str:
    """What ``mgneuron morph FILE`` does: load, summarise, draw; returns the printed text.

    Segments are counted as a cell would have them: d_lambda 0.1 at 100 Hz with the Ra and
    cm of the ``biophysics`` set's "all" rule (Ra 150 Ohm cm, cm 0.75 uF/cm2 for the
    default), before spine factors.

    Parameters
    ----------
    path : str
        SWC/ASC file or shipped morphology name.
    out_png : str, optional
        Where to write the picture; default ``<file stem>.png`` in the working directory.
    biophysics : str
        Set whose passive Ra and cm enter the d_lambda rule.
    """
    from mgneuron.biophysics import get_biophysics

    bio = get_biophysics(biophysics)
    ra = next((r.Ra_ohm_cm for r in bio.regions if r.region == "all" and r.Ra_ohm_cm), 35.4)
    cm = next((r.cm_uF_cm2 for r in bio.regions if r.region == "all" and r.cm_uF_cm2), 1.0)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", MorphologyWarning)
        morph = load_morphology(path)
    try:
        for sec in morph.sections:
            sec.Ra, sec.cm = ra, cm
        DLambda().apply(morph.sections)
        text = summarize(morph).to_text()
        text += (
            f"\nsegments: d_lambda 0.1 at 100 Hz with Ra {ra:g} Ohm cm, cm {cm:g} uF/cm2 "
            f"(biophysics {bio.name!r})"
        )
        png = Path(out_png) if out_png else Path(f"{morph.name}.png")
        plot_morphology(morph, png)
        text += f"\npicture: {png}"
    finally:
        morph.delete()
    return text


# --------------------------------------------------------------------------------------
# Shipped morphologies
# --------------------------------------------------------------------------------------


@functools.cache
def _shipped_dir() -> Path:
    """The installed package folder of the shipped morphologies (it does not move)."""
    return Path(str(resources.files("mgneuron._morphologies")))


def list_shipped_morphologies() -> list[str]:
    """File names of the morphologies shipped with mgneuron."""
    d = _shipped_dir()
    return sorted(p.name for p in d.iterdir() if p.suffix.lower() in (".swc", ".asc"))


def shipped_morphology(name: str) -> Path:
    """Path of a shipped morphology by file name, with or without its extension."""
    d = _shipped_dir()
    for candidate in (name, f"{name}.swc", f"{name}.asc"):
        p = d / candidate
        if p.is_file():
            return p
    raise MorphologyError(
        f"no shipped morphology named {name!r}; shipped: "
        f"{', '.join(list_shipped_morphologies()) or 'none'}"
    )


def default_morphology_path() -> Path:
    """The morphology protocols use by default: the stylized layer-5 pyramidal cell."""
    return shipped_morphology(_DEFAULT_MORPHOLOGY)
