"""Locations as rules, not section names: where synapses, stimuli and recordings go.

A rule is a small frozen dataclass that finds segments on any morphology:

* :class:`Soma` — the soma centre.
* :class:`AxonInitialSegment` — the first ``length_um`` of the axon (default: the cell's
  biophysics value, else 25 um), measured along the axon from where it leaves its parent.
* :class:`RegionSites` — segments of a region (``soma``, ``axon``, ``ais``, ``basal``,
  ``apical``, ``custom``, ``dendrite``, ``all``), optionally between two path distances
  from the soma centre, optionally ``n`` random sites (length-weighted, reproducible from
  ``seed``).

Each has a compact string form for the command line (:func:`parse_location`)::

    soma
    ais                         (or axon_initial_segment; ais:0-40um for other bounds)
    apical:200-300um            apical dendrite at 200-300 um path distance from the soma
    basal:n=20:seed=1           20 random basal sites
    apical:200-300um:n=5:seed=2
    dendrite:random:n=10        ("random" is implied by n=)

A rule that matches nothing raises :class:`~mgneuron.errors.LocationError` saying what the
morphology offers instead (regions present, the range of path distances of the region).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import LocationError

__all__ = [
    "LOCATION_REGIONS",
    "Location",
    "Soma",
    "AxonInitialSegment",
    "RegionSites",
    "parse_location",
    "resolve",
    "region_segments",
    "axon_distance",
    "DEFAULT_AIS_LENGTH_UM",
]

LOCATION_REGIONS = ("soma", "axon", "ais", "basal", "apical", "custom", "dendrite", "all")
DEFAULT_AIS_LENGTH_UM = 25.0


def _morphology(target):
    """Accept a Cell (anything with ``.morphology``) or a Morphology."""
    return getattr(target, "morphology", target)


def _ais_length(target, length_um: float | None) -> float:
    if length_um is not None:
        return float(length_um)
    bio = getattr(target, "biophysics", None)
    return float(getattr(bio, "ais_length_um", DEFAULT_AIS_LENGTH_UM))


def axon_roots(morph) -> list:
    """Axon sections whose parent is not axon (where each axon starts)."""
    roots = []
    axon = set(morph.regions["axon"])
    for sec in morph.regions["axon"]:
        parent = sec.parentseg()
        if parent is None or parent.sec not in axon:
            roots.append(sec)
    return roots


def axon_distance(morph) -> dict:
    """Distance (um) of every axon segment centre along the axon from the axon's start.

    Returns
    -------
    dict of (section, x) -> float
    """
    from neuron import h

    out = {}
    axon = set(morph.regions["axon"])
    for root in axon_roots(morph):
        start = root(0.0)
        stack = [root]
        while stack:
            sec = stack.pop()
            for seg in sec:
                out[(sec, seg.x)] = float(h.distance(start, seg))
            stack.extend(c for c in sec.children() if c in axon)
    return out


def region_segments(morph, ais_length_um: float = DEFAULT_AIS_LENGTH_UM) -> dict:
    """Every segment (as ``(section, x)``) of every region, including ``ais``.

    Returns
    -------
    dict of region -> list of (nrn.Section, float)
    """
    out: dict[str, list] = {r: [] for r in LOCATION_REGIONS}
    for region in ("soma", "axon", "basal", "apical", "custom"):
        for sec in morph.regions[region]:
            locs = [(sec, seg.x) for seg in sec]
            out[region].extend(locs)
            out["all"].extend(locs)
            if region in ("basal", "apical", "custom"):
                out["dendrite"].extend(locs)
    if morph.regions["axon"] and ais_length_um > 0:
        dist = axon_distance(morph)
        out["ais"] = [loc for loc in out["axon"] if dist[loc] <= ais_length_um]
        if not out["ais"]:  # a first axon segment longer than the AIS: keep the first one
            roots = axon_roots(morph)
            out["ais"] = [(r, next(iter(r)).x) for r in roots]
    return out


class Location:
    """Base class of location rules: ``segments(cell)`` returns NEURON segments."""

    def segments(self, cell) -> list:  # pragma: no cover - abstract
        """Return the NEURON segments of ``cell`` (a Cell or a Morphology) the rule matches."""
        raise NotImplementedError

    def segment(self, cell):
        """One segment: the single match, or the middle one (by path distance) of several."""
        segs = self.segments(cell)
        morph = _morphology(cell)
        if len(segs) == 1:
            return segs[0]
        d = [morph.path_distance(s) for s in segs]
        order = np.argsort(d, kind="stable")
        return segs[int(order[len(order) // 2])]

    def describe(self, cell) -> list[dict]:
        """Table rows (section name, x, region, path distance) of the matched sites."""
        morph = _morphology(cell)
        return [
            {
                "section": s.sec.name(),
                "x": float(s.x),
                "region": morph.region_of(s.sec),
                "path_distance_um": morph.path_distance(s),
            }
            for s in self.segments(cell)
        ]


@dataclass(frozen=True)
class Soma(Location):
    """The centre of the (first) soma section."""

    def segments(self, cell) -> list:
        """Return the centre segment of the first soma section; LocationError if no soma."""
        morph = _morphology(cell)
        if not morph.soma:
            raise LocationError(
                f"rule 'soma' matches nothing on {morph.name}: it has no soma (loaded with "
                "missing_soma='keep'); regions present: " + _present(morph)
            )
        return [morph.soma[0](0.5)]

    def __str__(self) -> str:
        """Return the rule as written: ``soma``."""
        return "soma"


@dataclass(frozen=True)
class AxonInitialSegment(Location):
    """Segments of the axon initial segment.

    Parameters
    ----------
    start_um : float
        Start (um) along the axon from where it leaves its parent. Default 0.
    end_um : float, optional
        End (um); default the cell's ``biophysics.ais_length_um`` (else 25 um).
    """

    start_um: float = 0.0
    end_um: float | None = None

    def segments(self, cell) -> list:
        """Return the axon segments from ``start_um`` to ``end_um`` (um), nearest first.

        With the default band and no segment centre inside it, the first segment of each
        axon.
        """
        morph = _morphology(cell)
        end = _ais_length(cell, self.end_um)
        if not morph.regions["axon"]:
            raise LocationError(
                f"rule '{self}' matches nothing on {morph.name}: it has no axon; regions "
                f"present: {_present(morph)} (the 'pyramidal' biophysics adds an axon stub "
                "to cells without one)"
            )
        dist = axon_distance(morph)
        segs = [sec(x) for (sec, x), d in dist.items() if self.start_um <= d <= end]
        if not segs:
            if self.start_um == 0 and self.end_um is None:
                return [r(next(iter(r)).x) for r in axon_roots(morph)]
            lo, hi = min(dist.values()), max(dist.values())
            raise LocationError(
                f"rule '{self}' matches nothing on {morph.name}: axon segment centres lie "
                f"at {lo:.1f}-{hi:.1f} um along the axon"
            )
        segs.sort(key=lambda s: dist[(s.sec, s.x)])
        return segs

    def __str__(self) -> str:
        """Return the rule as written: ``ais`` or ``ais:START-ENDum``."""
        if self.start_um == 0 and self.end_um is None:
            return "ais"
        end = "" if self.end_um is None else f"{self.end_um:g}"
        return f"ais:{self.start_um:g}-{end}um"


@dataclass(frozen=True)
class RegionSites(Location):
    """Segments of a region, optionally within a path-distance band, optionally sampled.

    Parameters
    ----------
    region : str
        One of :data:`LOCATION_REGIONS`.
    min_um, max_um : float, optional
        Path distance band (um) from the soma centre; a segment matches when its centre is
        inside it.
    n : int, optional
        Number of random sites (drawn with replacement, weighted by segment length, at a
        uniform random position inside the chosen segment). Default: every matching segment.
    seed : int
        Seed of the draw (numpy default_rng). Default 0.
    """

    region: str
    min_um: float | None = None
    max_um: float | None = None
    n: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        """Check the region, the distance band (um, >= 0), ``n`` (>= 1) and the seed."""
        if self.region not in LOCATION_REGIONS:
            raise LocationError(
                f"unknown region {self.region!r}; use one of {', '.join(LOCATION_REGIONS)}"
            )
        for name in ("min_um", "max_um"):
            v = getattr(self, name)
            if v is not None:
                v = float(v)
                if not math.isfinite(v) or v < 0:
                    raise LocationError(f"{name} must be a distance >= 0 um, got {v}")
                object.__setattr__(self, name, v)
        if self.min_um is not None and self.max_um is not None and self.min_um > self.max_um:
            raise LocationError(f"min_um ({self.min_um}) > max_um ({self.max_um})")
        if self.n is not None:
            if int(self.n) != self.n or self.n < 1:
                raise LocationError(f"n must be a positive integer, got {self.n!r}")
            object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "seed", int(self.seed))

    def _candidates(self, cell):
        morph = _morphology(cell)
        regions = region_segments(morph, _ais_length(cell, None))
        locs = regions[self.region]
        if not locs:
            raise LocationError(
                f"rule '{self}' matches nothing on {morph.name}: it has no "
                f"{self.region} region; regions present: {_present(morph)}"
            )
        from neuron import h

        origin = morph.origin
        dist = np.array([h.distance(origin, sec(x)) for sec, x in locs])
        lo = -np.inf if self.min_um is None else self.min_um
        hi = np.inf if self.max_um is None else self.max_um
        keep = (dist >= lo) & (dist <= hi)
        if not keep.any():
            raise LocationError(
                f"rule '{self}' matches nothing on {morph.name}: {self.region} segment "
                f"centres lie at {dist.min():.1f}-{dist.max():.1f} um path distance from the "
                "soma"
            )
        idx = np.flatnonzero(keep)
        return [locs[i] for i in idx], dist[idx]

    def segments(self, cell) -> list:
        """Return the matching segments by path distance, or ``n`` sites drawn among them."""
        locs, dist = self._candidates(cell)
        if self.n is None:
            order = np.argsort(dist, kind="stable")
            return [locs[i][0](locs[i][1]) for i in order]
        lengths = np.array([sec.L / sec.nseg for sec, _ in locs])
        p = lengths / lengths.sum() if lengths.sum() > 0 else None
        rng = np.random.default_rng(self.seed)
        picks = rng.choice(len(locs), size=self.n, replace=True, p=p)
        offsets = rng.uniform(-0.5, 0.5, size=self.n)
        out = []
        for k, off in zip(picks, offsets, strict=True):
            sec, x = locs[int(k)]
            xx = min(max(x + off / sec.nseg, 0.0), 1.0)
            out.append(sec(xx))
        return out

    def __str__(self) -> str:
        """Return the rule as written: ``REGION[:MIN-MAXum][:n=N:seed=S]``."""
        s = self.region
        if self.min_um is not None or self.max_um is not None:
            lo = "" if self.min_um is None else f"{self.min_um:g}"
            hi = "" if self.max_um is None else f"{self.max_um:g}"
            s += f":{lo}-{hi}um"
        if self.n is not None:
            s += f":n={self.n}:seed={self.seed}"
        return s


def _present(morph) -> str:
    return ", ".join(r for r, secs in morph.regions.items() if secs) or "none"


_RANGE_RE = re.compile(r"^(?:dist=)?(\d*\.?\d*)\s*-\s*(\d*\.?\d*)\s*(?:um)?$")


def parse_location(text: str | Location) -> Location:
    """Parse the compact syntax (see the module docstring) into a rule.

    Raises
    ------
    LocationError
        For text that does not follow the syntax, with the syntax in the message.
    """
    if isinstance(text, Location):
        return text
    syntax = (
        "use 'soma', 'ais[:START-ENDum]' or 'REGION[:MIN-MAXum][:n=N][:seed=S]' with REGION "
        f"one of {', '.join(LOCATION_REGIONS)}"
    )
    parts = [p.strip() for p in str(text).strip().split(":")]
    if not parts or not parts[0]:
        raise LocationError(f"empty location rule; {syntax}")
    head = parts[0].lower()
    if head in ("axon_initial_segment", "axon-initial-segment"):
        head = "ais"
    lo = hi = n = None
    seed = 0
    random_flag = False
    for part in parts[1:]:
        m = _RANGE_RE.match(part)
        if m and (m.group(1) or m.group(2)):
            lo = float(m.group(1)) if m.group(1) else None
            hi = float(m.group(2)) if m.group(2) else None
        elif part.startswith("n="):
            try:
                n = int(part[2:])
            except ValueError:
                raise LocationError(f"bad count {part!r} in {text!r}; {syntax}") from None
        elif part.startswith("seed="):
            try:
                seed = int(part[5:])
            except ValueError:
                raise LocationError(f"bad seed {part!r} in {text!r}; {syntax}") from None
        elif part == "random":
            random_flag = True
        else:
            raise LocationError(f"cannot read {part!r} in location {text!r}; {syntax}")
    if random_flag and n is None:
        raise LocationError(f"'random' needs n=N in {text!r}; {syntax}")
    if head == "soma" and len(parts) == 1:
        return Soma()
    if head == "ais" and n is None and len(parts) <= 2:
        if lo is None and hi is None:
            return AxonInitialSegment()
        return AxonInitialSegment(lo or 0.0, hi)
    if head not in LOCATION_REGIONS:
        raise LocationError(f"unknown region {parts[0]!r} in {text!r}; {syntax}")
    return RegionSites(head, lo, hi, n, seed)


def resolve(cell, rule: str | Location) -> list:
    """Segments of a rule (or its string form) on a cell or morphology."""
    return parse_location(rule).segments(cell)
