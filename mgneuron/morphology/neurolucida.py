"""The Neurolucida ASCII (``.asc``) checker: grammar, tokenisers, line-accurate errors.

What is caught: an empty file (no tree and no soma contour); unbalanced parentheses; a
point that is not ``(x y z d)``; non-numeric or non-finite values; a zero or negative
diameter on a tree; implausible coordinates (beyond +-1e6 um); a soma contour of fewer than
three points; a branch of 32,767 points or more (NEURON's limit per section, with the
parent's point) and more than 10^6 points or 10^5 branches in all (see
:mod:`~mgneuron.morphology.report`); anything Import3d's grammar refuses (points after a
branch's markers or split, a marker before a tree's first point, a malformed property or
spine, a keyword where a label belongs...). Trees without a (Dendrite)/(Axon)/(Apical)
tag load with a warning into the ``custom`` region. Each problem is a
:class:`~mgneuron.errors.MorphologyError` with the file and line; the result is the
:class:`~mgneuron.morphology.validation.ValidationReport` that
:func:`~mgneuron.morphology.validation.validate_morphology` returns for ``.asc`` files.

Grammar (as NEURON's Import3d_Neurolucida3 reads it): a file is a sequence of
parenthesised objects. ("Name" properties points) is a contour; "CellBody", "Cell Body"
and "Soma" contours are the soma. ( properties branch ) is a tree whose type comes from a
(Dendrite)/(Axon)/(Apical) property. A branch is points, optional markers, then either an
end label (Normal, Incomplete...) or a split "( branch | branch ... )". A point is
(x y z d [label]). ';' starts a comment, <( ... )> is a spine, (Name ...) a property,
(Dot ...) a marker.

Two passes share one parser: a fast pass over tokens made by one regex (points taken
whole and checked in bulk with numpy, or pandas for large files) and, only when the fast
pass meets anything wrong or irregular, a slow pass that tracks line numbers for the error
message.
"""

from __future__ import annotations

import bisect
import io
import itertools
import math
import re
import warnings

import numpy as np

from mgneuron.errors import MorphologyError
from mgneuron.morphology.report import (
    MAX_COORD_UM,
    MAX_POINTS,
    MAX_PT3D,
    MAX_RADIUS_UM,
    MAX_SECTIONS,
    NONFINITE,
    ValidationReport,
)

_ASC_TAGS = {"Dendrite": 3, "Axon": 2, "Apical": 4}
_SOMA_CONTOUR_NAMES = ("CellBody", "Cell Body", "Soma")  # the names Import3d keeps

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
        if not np.all(np.isfinite(c)) or np.abs(c[:, :3]).max(initial=0) > MAX_COORD_UM:
            raise _Fallback
        d = c[self._tree, 3]
        if d.size and (d.min() <= 0 or d.max() > 2 * MAX_RADIUS_UM):
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
                elif kind == "L" and NONFINITE.match(val):
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
        if max(abs(x), abs(y), abs(z)) > MAX_COORD_UM:
            raise self.error(f"implausible coordinate (beyond +-{MAX_COORD_UM:g} um)", i)
        if tree and not (0 < d <= 2 * MAX_RADIUS_UM):
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
        k[i + 1] == "N" or (k[i + 1] == "L" and bool(NONFINITE.match(toks.values[i + 1])))
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
    sections = 0

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
        elif nk == "L" and not NONFINITE.match(values[i + 1]):
            # a top-level marker or property, e.g. (ImageCoords ...)
            i = _asc_marker_or_property(toks, i)
        elif nk in ("(", "P"):
            i, info = _asc_tree(toks, i)
            if info is None:  # a text object
                continue
            typ, npts, first, start, nbranches = info
            tree_types[typ] = tree_types.get(typ, 0) + npts
            sections += nbranches
            if sections > MAX_SECTIONS or sum(tree_types.values()) > MAX_POINTS:
                raise toks.error(
                    f"the trees up to this one hold {sum(tree_types.values()):,} points in "
                    f"{sections:,} branches; mgneuron loads at most {MAX_POINTS:,} points "
                    f"and {MAX_SECTIONS:,} sections (NEURON's Import3d needs about a minute "
                    "and a gigabyte per million points): resample or split the file",
                    start,
                )
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
    """Parse a property '(' label values ')' (numbers, strings, labels, RGB (r, g, b)).

    Returns the index of the token after it.
    """
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
            elif _starts_with_keyword(values[k]) or NONFINITE.match(values[k]):
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
    """Parse a marker '(' label properties points ')', e.g. (Dot (Color Red) (x y z d) ...).

    Returns the index of the token after it.
    """
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
    """Parse a spine '<' properties point '>' after a point."""
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
    nbranches = 1
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
            if branch_points >= MAX_PT3D:  # its section also starts at the parent's point
                raise toks.error(
                    f"an unbranched branch of {branch_points} points or more starts here; "
                    f"NEURON holds at most {MAX_PT3D} 3-D points per section (more crash "
                    "it): resample the reconstruction",
                    branch_start,
                )
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
                nbranches += 1
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
                nbranches += 1
                branch_start = j
                j += 1
                branch_points = 0
                state = "first"
                continue
            if depth == 0:
                return j + 1, (typ, npts, first, start, nbranches)
            depth -= 1
            j += 1
            branch_points = 1  # the enclosing branch had points before its split
            state = "ended"
        elif k == "L":  # an end label: Normal, Incomplete, Generated, Low, High, Midpoint...
            if NONFINITE.match(values[j]):
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
