"""Loading a morphology into NEURON: the spec, the loaded morphology, the soma policies.

A file is first checked by :func:`~mgneuron.morphology.validation.validate_morphology`,
then read by NEURON's Import3d, which defines how somata, contours and branch points
become cables. If Import3d still fails, its message and line become the
:class:`~mgneuron.errors.MorphologyError`; its Neurolucida parser ends such a failure with
hoc's ``stop``, which would leave every later hoc procedure call a silent no-op (NEURON
issue #1311), so the loader clears that state.

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
* **Parents listed after their children, ids out of order or very sparse, blank lines**
  (valid SWC, but not what Import3d can read): the samples are renumbered (file order kept
  where parents already come first) into a temporary file that Import3d reads; nothing
  else changes.
* **Large files** (4 MB or more, or more than 10^5 points) print progress lines on stderr
  while Import3d reads them; the limits of :mod:`~mgneuron.morphology.report` (NEURON's
  32,767 points a section, 10^6 points, 10^5 sections) are checked before NEURON sees the
  file, and the points per section again on Import3d's own sections.

Regions: ``soma`` (type 1), ``axon`` (2), ``basal`` (3), ``apical`` (4), ``custom`` (anything
else; the type code is kept, see :attr:`Morphology.custom_types`).

A :class:`Morphology` owns its sections: :meth:`Morphology.delete` (or dropping the last
reference) removes them from NEURON, so every condition of a protocol starts clean. A file
is validated and read by Import3d once per process (until it changes); later loads rebuild
the same sections from a blueprint of the first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import math
import os
import re
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mgneuron.errors import MorphologyError
from mgneuron.morphology.report import MAX_PT3D, PROGRESS_BYTES, progress
from mgneuron.morphology.shipped import shipped_morphology
from mgneuron.morphology.validation import (
    ValidationReport,
    _renumbered_swc,
    validate_morphology,
)

__all__ = ["REGIONS", "MorphologyWarning", "MorphologySpec", "Morphology", "load_morphology"]

REGIONS: tuple[str, ...] = ("soma", "axon", "basal", "apical", "custom")
# Import3d's section array names -> region (``dend_<n>`` / ``minus_<n>`` are custom types).
_IMPORT3D_REGION = {"soma": "soma", "axon": "axon", "dend": "basal", "apic": "apical"}


class MorphologyWarning(UserWarning):
    """A morphology loads, but something about it was unusual or was changed by a policy."""


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
        """Resolve the path (a shipped name included) and check the soma policies."""
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
        """Name a section or segment within this morphology: ``soma[0](0.5)``.

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
        """Return the morphology itself."""
        return self

    def __exit__(self, *exc) -> None:
        """Remove the sections from NEURON (:meth:`delete`)."""
        self.delete()

    def __len__(self) -> int:
        """Return the number of sections."""
        return len(self.sections)

    def __repr__(self) -> str:
        """Return the name and the number of sections, in all and per region."""
        counts = ", ".join(f"{r}={len(s)}" for r, s in self.regions.items() if s)
        return f"<Morphology {self.name}: {len(self.sections)} sections ({counts})>"


def _resolve_path(path: str | os.PathLike) -> Path:
    """Resolve a path as given, or the name of a shipped morphology."""
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
            _check_import3d_points(reader, report_path)
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


def _check_import3d_points(reader, report_path: str) -> None:
    """Refuse a section with more 3-D points than NEURON holds, before it is made.

    The validator already refuses them (counting one point more, at worst, than Import3d
    makes); this is the exact check, on the sections Import3d is about to instantiate.
    """
    sections = reader.sections
    for k in range(int(sections.count())):
        sec = sections.object(k)
        if sec.iscontour_:  # a contour becomes a centroid line of a few points
            continue
        npts = int(sec.d.size()) - int(sec.first)
        if npts > MAX_PT3D:
            raise MorphologyError(
                f"Import3d would make a section of {npts} 3-D points; NEURON holds at most "
                f"{MAX_PT3D} per section (more crash it): resample the reconstruction",
                report_path,
            )


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
    """Key a file's content here by (resolved path, format, mtime in ns, size in bytes)."""
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
# Both caches hold at most 32 files and 2 million points in all (~0.1 GB of tables).
_CACHE_POINTS = 2_000_000


def _cached_points(cache: dict) -> int:
    """Points held by a cache of reports or blueprints."""
    return sum(
        v.n_points if isinstance(v, ValidationReport) else sum(len(a) for a in v.points)
        for v in cache.values()
    )


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
        if len(_VALIDATED) >= 32 or _cached_points(_VALIDATED) + report.n_points > _CACHE_POINTS:
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
    if report.needs_rewriting and blueprint is None:
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
            big = (key is not None and key[3] >= PROGRESS_BYTES) or report.n_points > 100_000
            if big:
                start = time.perf_counter()
                progress(
                    spec.path,
                    f"NEURON's Import3d is reading {report.n_points:,} points "
                    f"(~{report.n_points * 30e-6:.0f} s at 30 us a point)...",
                )
            messages = _import3d(read_path, report.format, owner, spec.path)
            if big:
                progress(
                    spec.path,
                    f"{len(getattr(owner, 'all', [])):,} sections made in "
                    f"{time.perf_counter() - start:.1f} s",
                )
            if key is not None:
                if (
                    len(_BLUEPRINTS) >= 32
                    or _cached_points(_BLUEPRINTS) + report.n_points > _CACHE_POINTS
                ):
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
