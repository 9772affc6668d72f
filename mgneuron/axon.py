"""Myelinated axons: the double cable of McIntyre, Richardson & Grill (2002), with myelin damage.

An axon is described by a :class:`MyelinatedAxonSpec` (fibre diameter, one
:class:`MyelinState` per internode, biophysics) and built into NEURON sections by
:func:`build_axon`, or attached to a reconstructed cell by :func:`attach_myelinated_axon`.

Geometry (MRG 2002, Table 1; ``MRG_TABLE``)
    Each internode, between two nodes of Ranvier (1 um long), is
    ``MYSA | FLUT | STIN x 6 | FLUT | MYSA``: the myelin attachment segment (3 um, the node
    diameter, periaxonal gap 2 nm), the paranode main segment (FLUT, the axon diameter,
    gap 4 nm) and six internodal segments (STIN, the axon diameter, gap 4 nm). The node
    to node distance, number of myelin lamellae, axon and node diameters and FLUT length
    come from the fibre diameter through the table. **Interpolation rule:** every column
    is interpolated piecewise-linearly in fibre diameter between adjacent table rows
    (5.7-16 um); a diameter outside the table is refused unless ``extrapolate=True``, then
    the nearest end row is scaled by geometric similarity (every length, diameter and the
    number of lamellae in proportion to the fibre diameter; MYSA length and gap widths
    fixed). Linear extrapolation is not used: it gives zero internode length at 2.5 um.

Double cable
    The periaxonal space is layer 0 of NEURON's ``extracellular`` mechanism:
    ``xraxial[0]`` is the longitudinal resistance of the annular gap (resistivity of the
    axoplasm, 70 Ohm cm, over the gap cross-section), ``xg[0]``/``xc[0]`` are the
    conductance/capacitance of the myelin sheath, ``2 nl`` membranes in series of 0.001
    S/cm2 and 0.1 uF/cm2 each, referred to the outer surface of the sheath and expressed
    per unit area of the section's own membrane (sections have their true diameters). At a
    node the gap is short-circuited to the bath (``xg[0]`` = 1e10 S/cm2). Layer 1 is tied
    to ground. Axolemma: 2 uF/cm2 everywhere; passive 0.001 S/cm2 (MYSA), 0.0001 S/cm2
    (FLUT, STIN), reversal -80 mV; node channels in ``mechanisms/mrg_node.mod``.

Discretization (``MyelinatedAxonSpec.discretization``)
    The MRG 2002 model has one segment per compartment. Its conduction velocity is not
    converged in space: the periaxonal potential next to a node varies over a few um
    (AC length constant of the gap), and refining MYSA/FLUT alone lowers the CV of a
    10 um fibre by ~15 %. Refining the node (1 um) also removes the periaxonal
    resistance of half a node that MRG's one-compartment node puts between the MYSA gap
    and the bath, which lowers CV further, to ~4 m/s per um. The default
    ``"converged"`` discretization keeps that resistance as a lumped *junctional seal*
    (the MRG node's half-node gap resistance, independent of node length and segment
    count) and uses segments short enough (``MAX_SEGMENT_UM``) that halving them moves
    CV by < 2 %. ``"mrg2002"`` builds the published compartmental model unchanged.
    Time step: the extracellular mechanism must run with backward Euler
    (``h.secondorder = 0``); NEURON 9.0.2 with ``secondorder = 2`` converges to a
    different (wrong) solution of a passive double cable than backward Euler and IDA do.

Myelin damage (:class:`MyelinState`, one per internode)
    ``lamellae_fraction`` f scales the number of lamellae (nl -> f nl) and the sheath
    thickness (outer diameter d + f (D - d)); f = 0 leaves the bare axolemma.
    ``paranodal_seal_fraction`` s multiplies the periaxonal resistance of the paranodal
    seal by s: along the MYSA (as if its 2 nm gap widened to ~2/s nm) and at the
    junction between the node and the MYSA (a node takes the looser seal of its two
    internodes).
    ``internode_length_factor`` scales the node-to-node distance (the STIN segments take
    the change; MYSA and FLUT keep their lengths). ``node_length_factor`` widens the
    nodes at both ends of the internode (a node takes the larger factor of its two
    internodes) with the number of nodal channels conserved (densities / factor).

Presets: :func:`healthy`, :func:`demyelinated`, :func:`paranodal_retraction`,
:func:`remyelinated` return tuples of states; :func:`myelin_preset` finds them by name.

On a reconstructed cell
    :func:`myelinate_cell` keeps the soma and the first ``keep_um`` (25) um of the
    cell's axon (hillock + initial segment, with their membrane) and replaces the rest by
    a myelinated axon; :func:`fiber_diameter_for_axon` picks the fibre whose axon is as
    thick as the kept initial segment. Protocols expose it as
    ``--myelinated-axon DIAMETER[:PRESET[,key=value...]]`` (the parameter
    :func:`mgneuron.runner.groups.myelinated_axon_param`, then :func:`apply_myelinated_axon`). The
    cell and the axon rest at different potentials (-70 / -80 mV): initialise each
    segment at its own (set ``seg.v`` and call ``h.finitialize()`` with no argument).

Measures on an axon (simulations; the pure measures are in :mod:`mgneuron.analysis`):
:func:`run_conduction`, :func:`propagates`, :func:`threshold_nA`,
:func:`refractory_period_ms`, :func:`lesion_safety_factor`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from mgneuron.errors import AxonError, MgNeuronError  # noqa: F401 (re-export)

__all__ = [
    "AxonError",
    "DEFAULT_DT_MS",
    "MRG_TABLE",
    "MRGGeometry",
    "mrg_geometry",
    "fiber_diameter_for_axon",
    "MyelinState",
    "MRGBiophysics",
    "MyelinatedAxonSpec",
    "AISSpec",
    "healthy",
    "demyelinated",
    "paranodal_retraction",
    "remyelinated",
    "MYELIN_PRESETS",
    "myelin_preset",
    "MyelinatedAxon",
    "build_axon",
    "attach_myelinated_axon",
    "myelinate_cell",
    "parse_myelinated_axon",
    "apply_myelinated_axon",
    "ConductionTrace",
    "run_conduction",
    "propagates",
    "threshold_nA",
    "refractory_period_ms",
    "lesion_nodes",
    "lesion_safety_factor",
]


#: Default time step (ms): CV changes < 1 % when it is halved (backward Euler).
DEFAULT_DT_MS = 0.001


# ---------------------------------------------------------------------------------------
# Geometry from fibre diameter
# ---------------------------------------------------------------------------------------

#: MRG 2002 Table 1. Columns: fibre diameter (um), node-to-node distance (um), lamellae,
#: axon (= FLUT, STIN) diameter (um), node (= MYSA) diameter (um), FLUT length (um).
MRG_TABLE: tuple[tuple[float, float, float, float, float, float], ...] = (
    (5.7, 500.0, 80.0, 3.4, 1.9, 35.0),
    (7.3, 750.0, 100.0, 4.6, 2.4, 38.0),
    (8.7, 1000.0, 110.0, 5.8, 2.8, 40.0),
    (10.0, 1150.0, 120.0, 6.9, 3.3, 46.0),
    (11.5, 1250.0, 130.0, 8.1, 3.7, 50.0),
    (12.8, 1350.0, 135.0, 9.2, 4.2, 54.0),
    (14.0, 1400.0, 140.0, 10.4, 4.7, 56.0),
    (15.0, 1450.0, 145.0, 11.5, 5.0, 58.0),
    (16.0, 1500.0, 150.0, 12.7, 5.5, 60.0),
)


@dataclass(frozen=True)
class MRGGeometry:
    """Geometry of a healthy MRG fibre of one diameter (lengths and diameters in um).

    Attributes
    ----------
    fiber_diameter_um : float
        Outer diameter of the myelinated fibre.
    node_to_node_um : float
        Distance between node centres of a healthy internode.
    lamellae : float
        Number of myelin lamellae (interpolated values are not rounded).
    axon_diameter_um : float
        Diameter of the FLUT and STIN axolemma.
    node_diameter_um : float
        Diameter of the node and the MYSA axolemma.
    flut_length_um : float
        Length of one FLUT segment.
    node_length_um, mysa_length_um : float
        1 and 3 um.
    mysa_gap_um, flut_gap_um, stin_gap_um : float
        Periaxonal gap widths: 0.002, 0.004, 0.004 um.
    interpolated : bool
        The diameter is not a row of the table.
    """

    fiber_diameter_um: float
    node_to_node_um: float
    lamellae: float
    axon_diameter_um: float
    node_diameter_um: float
    flut_length_um: float
    node_length_um: float = 1.0
    mysa_length_um: float = 3.0
    mysa_gap_um: float = 0.002
    flut_gap_um: float = 0.004
    stin_gap_um: float = 0.004
    interpolated: bool = False


def mrg_geometry(fiber_diameter_um: float, extrapolate: bool = False) -> MRGGeometry:
    """Geometry of an MRG fibre from its diameter, interpolated in ``MRG_TABLE``.

    Parameters
    ----------
    fiber_diameter_um : float
        Fibre diameter (um).
    extrapolate : bool
        Allow diameters outside the table (5.7-16 um): the nearest end row is scaled in
        proportion to the diameter.

    Returns
    -------
    MRGGeometry

    Raises
    ------
    AxonError
        If the diameter is outside the table and ``extrapolate`` is False, or if
        extrapolation gives a non-positive length or diameter.
    """
    d = float(fiber_diameter_um)
    table = np.asarray(MRG_TABLE)
    dmin, dmax = table[0, 0], table[-1, 0]
    if not math.isfinite(d) or d <= 0:
        raise AxonError(f"fiber diameter must be a positive number of um, got {fiber_diameter_um}")
    exact = np.isclose(table[:, 0], d, rtol=0, atol=1e-9)
    if exact.any():
        return MRGGeometry(*table[int(np.argmax(exact))])
    if not dmin <= d <= dmax:
        if not extrapolate:
            raise AxonError(
                f"fiber diameter {d:g} um is outside the MRG 2002 table ({dmin:g}-{dmax:g} "
                "um); choose a diameter inside it, or pass extrapolate=True to extend the "
                "end rows linearly"
            )
        # Geometric similarity to the nearest end row: every length and diameter, and the
        # number of lamellae (the sheath thickness), scale with the fibre diameter.
        row = table[0] if d < dmin else table[-1]
        values = row[1:] * (d / row[0])
    else:
        values = np.array([np.interp(d, table[:, 0], table[:, k]) for k in range(1, 6)])
    if np.any(values <= 0) or values[2] >= d or values[3] > values[2]:
        raise AxonError(
            f"extrapolating the MRG table to {d:g} um gives an impossible geometry "
            f"(node-to-node {values[0]:.3g}, lamellae {values[1]:.3g}, axon {values[2]:.3g}, "
            f"node {values[3]:.3g} um); use a diameter closer to 5.7-16 um"
        )
    return MRGGeometry(d, *map(float, values), interpolated=True)


def fiber_diameter_for_axon(axon_diameter_um: float) -> float:
    """Fibre diameter (um) whose MRG axon (FLUT/STIN) diameter is the one given.

    The inverse of the table's axon-diameter column (piecewise linear, 3.4-12.7 um), and
    geometric similarity to the end rows outside it (fibre = axon x 5.7/3.4 below,
    x 16/12.7 above), matching :func:`mrg_geometry`. Use it to give a cell a myelinated
    axon as thick as its initial segment; diameters outside 5.7-16 um then need
    ``extrapolate=True`` in the spec.
    """
    d = float(axon_diameter_um)
    if not (math.isfinite(d) and d > 0):
        raise AxonError(f"axon diameter must be a positive number of um, got {axon_diameter_um}")
    table = np.asarray(MRG_TABLE)
    fib, ax_d = table[:, 0], table[:, 3]
    if d < ax_d[0]:
        return d * fib[0] / ax_d[0]
    if d > ax_d[-1]:
        return d * fib[-1] / ax_d[-1]
    return float(np.interp(d, ax_d, fib))


# ---------------------------------------------------------------------------------------
# Myelin state and presets
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyelinState:
    """State of the myelin of one internode (all fractions/factors relative to healthy).

    Parameters
    ----------
    lamellae_fraction : float
        Fraction of the healthy lamellae left, 0..1 (1 healthy, 0 bare axon).
    paranodal_seal_fraction : float
        Tightness of the paranodal seal, (0, 1]: multiplies the periaxonal resistance
        of the MYSA and of the node-MYSA junction.
    internode_length_factor : float
        Node-to-node distance relative to the healthy one (> 0).
    node_length_factor : float
        Length of the nodes at either end relative to 1 um (>= 1 widens them; the number
        of nodal channels is conserved).
    """

    lamellae_fraction: float = 1.0
    paranodal_seal_fraction: float = 1.0
    internode_length_factor: float = 1.0
    node_length_factor: float = 1.0

    def __post_init__(self) -> None:
        checks = {
            "lamellae_fraction": (0.0, 1.0, True),
            "paranodal_seal_fraction": (0.0, 1.0, False),
        }
        for name, (low, high, closed) in checks.items():
            v = float(getattr(self, name))
            ok = math.isfinite(v) and (low <= v if closed else low < v) and v <= high
            if not ok:
                span = f"[{low}, {high}]" if closed else f"({low}, {high}]"
                raise AxonError(f"MyelinState.{name} must be in {span}, got {v}")
            object.__setattr__(self, name, v)
        for name in ("internode_length_factor", "node_length_factor"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise AxonError(f"MyelinState.{name} must be a positive factor, got {v}")
            object.__setattr__(self, name, v)

    @property
    def is_healthy(self) -> bool:
        """True if every field is at its healthy value."""
        return self == MyelinState()


HEALTHY = MyelinState()


def healthy(n_internodes: int) -> tuple[MyelinState, ...]:
    """``n_internodes`` healthy internodes."""
    _check_count(n_internodes)
    return (HEALTHY,) * int(n_internodes)


def _check_count(n: int) -> None:
    if int(n) != n or n < 1:
        raise AxonError(f"the number of internodes must be a positive integer, got {n}")


def _select(
    n: int,
    fraction: float | None,
    lesion: int | None,
    start: int | None,
    seed: int | None,
) -> list[int]:
    """Indices of the affected internodes (see :func:`demyelinated`)."""
    if fraction is not None and lesion is not None:
        raise AxonError("give either fraction (of internodes) or lesion (contiguous), not both")
    if lesion is not None:
        k = int(lesion)
        if k != lesion or not 0 <= k <= n:
            raise AxonError(
                f"lesion must be an integer number of internodes in 0..{n}, got {lesion}"
            )
        first = (n - k) // 2 if start is None else int(start)
        if not 0 <= first <= n - k:
            raise AxonError(f"a lesion of {k} internodes starting at {start} does not fit in {n}")
        return list(range(first, first + k))
    if fraction is None:
        return list(range(n))
    if not 0.0 <= fraction <= 1.0:
        raise AxonError(f"fraction of internodes must be in [0, 1], got {fraction}")
    k = int(round(fraction * n))
    if k == 0:
        return []
    if seed is not None:
        rng = np.random.default_rng(seed)
        return sorted(int(i) for i in rng.choice(n, size=k, replace=False))
    # Evenly spread, deterministic: the centres of k equal bins.
    return sorted({int((j + 0.5) * n / k) for j in range(k)})


def demyelinated(
    n_internodes: int,
    severity: float = 0.5,
    *,
    fraction: float | None = None,
    lesion: int | None = None,
    start: int | None = None,
    seed: int | None = None,
    paranodal_seal_fraction: float = 1.0,
) -> tuple[MyelinState, ...]:
    """Internodes that lost a fraction ``severity`` of their lamellae.

    Parameters
    ----------
    n_internodes : int
        Number of internodes of the axon.
    severity : float
        Fraction of lamellae lost, 0..1 (lamellae_fraction = 1 - severity).
    fraction : float, optional
        Affect this fraction of the internodes, spread evenly (or at random with ``seed``).
    lesion : int, optional
        Affect a contiguous lesion of this many internodes, centred unless ``start``.
    start : int, optional
        First internode of the lesion.
    seed : int, optional
        Random choice of the affected internodes with ``fraction``.
    paranodal_seal_fraction : float
        Seal of the affected internodes (1 = intact).

    With neither ``fraction`` nor ``lesion`` every internode is affected.
    """
    _check_count(n_internodes)
    if not 0.0 <= severity <= 1.0:
        raise AxonError(f"severity (fraction of lamellae lost) must be in [0, 1], got {severity}")
    bad = MyelinState(
        lamellae_fraction=1.0 - severity, paranodal_seal_fraction=paranodal_seal_fraction
    )
    hit = set(_select(n_internodes, fraction, lesion, start, seed))
    return tuple(bad if i in hit else HEALTHY for i in range(n_internodes))


def paranodal_retraction(
    n_internodes: int,
    node_length_factor: float = 3.0,
    paranodal_seal_fraction: float = 0.5,
    *,
    fraction: float | None = None,
    lesion: int | None = None,
    start: int | None = None,
    seed: int | None = None,
) -> tuple[MyelinState, ...]:
    """Paranodal myelin retracts: widened nodes and a loosened paranodal seal.

    The defaults (nodes 3 um, seal halved) are illustrative values of a moderate
    retraction, not fitted to data; sweep them. Selection of internodes as in
    :func:`demyelinated` (default: all).
    """
    _check_count(n_internodes)
    bad = MyelinState(
        paranodal_seal_fraction=paranodal_seal_fraction, node_length_factor=node_length_factor
    )
    hit = set(_select(n_internodes, fraction, lesion, start, seed))
    return tuple(bad if i in hit else HEALTHY for i in range(n_internodes))


def remyelinated(
    n_internodes: int,
    *,
    n_short: int = 3,
    lamellae_fraction: float = 0.5,
    fraction: float | None = None,
    lesion: int | None = 1,
    start: int | None = None,
    seed: int | None = None,
) -> tuple[MyelinState, ...]:
    """Remyelination: each affected internode is replaced by ``n_short`` short, thin ones.

    Remyelinated internodes are shorter and thinner than the originals (PLoS One 2018,
    e0191106, and references there); here each affected internode becomes ``n_short``
    internodes of 1/``n_short`` of its length and ``lamellae_fraction`` of the healthy
    lamellae, so the axon gains ``n_short - 1`` nodes per affected internode while its
    length is unchanged. Selection as in :func:`demyelinated` (default: one internode in
    the middle).
    """
    _check_count(n_internodes)
    if int(n_short) != n_short or n_short < 1:
        raise AxonError(f"n_short must be a positive integer, got {n_short}")
    short = MyelinState(lamellae_fraction=lamellae_fraction, internode_length_factor=1 / n_short)
    hit = set(_select(n_internodes, fraction, lesion, start, seed))
    out: list[MyelinState] = []
    for i in range(n_internodes):
        out.extend([short] * int(n_short) if i in hit else [HEALTHY])
    return tuple(out)


MYELIN_PRESETS = {
    "healthy": healthy,
    "demyelinated": demyelinated,
    "paranodal_retraction": paranodal_retraction,
    "remyelinated": remyelinated,
}


def myelin_preset(name: str, n_internodes: int, **options: Any) -> tuple[MyelinState, ...]:
    """Internode states of a named preset (see ``MYELIN_PRESETS``) with its options."""
    try:
        fn = MYELIN_PRESETS[name]
    except KeyError:
        raise AxonError(
            f"unknown myelin preset {name!r}; known: {', '.join(MYELIN_PRESETS)}"
        ) from None
    try:
        return fn(n_internodes, **options)
    except TypeError as exc:
        raise AxonError(f"myelin preset {name!r}: {exc}") from None


# ---------------------------------------------------------------------------------------
# Specification
# ---------------------------------------------------------------------------------------


#: Longest segment (um) per compartment kind in the "converged" discretization. The
#: periaxonal space next to a node is a cable with an AC length constant of a few um
#: (gap resistance 8 MOhm/um against the axolemma capacitance), so MYSA and FLUT need
#: short segments; STIN (far from the nodes) does not. Chosen so that halving every
#: segment changes CV by < 2 % (tests/test_axon.py).
MAX_SEGMENT_UM = {"node": 1.0, "mysa": 1.0, "flut": 5.0, "stin": 1e9}


@dataclass(frozen=True)
class MRGBiophysics:
    """Membrane and cytoplasm parameters of the MRG fibre (McIntyre et al. 2002).

    Parameters
    ----------
    gnaf, gnap, gks, gl : float
        Nodal fast Na, persistent Na, slow K and leak conductances (S/cm2).
    ena, ek, el : float
        Nodal reversal potentials (mV).
    ra : float
        Axoplasmic (and periaxonal) resistivity (Ohm cm).
    cm : float
        Axolemma capacitance (uF/cm2).
    g_mysa, g_flut, g_stin : float
        Passive conductance of the internodal axolemma (S/cm2).
    e_pas : float
        Reversal of the internodal axolemma (mV).
    myelin_g, myelin_c : float
        Conductance (S/cm2) and capacitance (uF/cm2) of one myelin membrane (a lamella
        is two membranes).
    v_init : float
        Resting potential to initialise at (mV).
    """

    gnaf: float = 3.0
    gnap: float = 0.01
    gks: float = 0.08
    gl: float = 0.007
    ena: float = 50.0
    ek: float = -90.0
    el: float = -90.0
    ra: float = 70.0
    cm: float = 2.0
    g_mysa: float = 0.001
    g_flut: float = 0.0001
    g_stin: float = 0.0001
    e_pas: float = -80.0
    myelin_g: float = 0.001
    myelin_c: float = 0.1
    v_init: float = -80.0


@dataclass(frozen=True)
class MyelinatedAxonSpec:
    """Description of a myelinated axon (pure data, picklable).

    Parameters
    ----------
    fiber_diameter_um : float
        Fibre diameter (um), inside the MRG table unless ``extrapolate``.
    internodes : tuple of MyelinState
        One state per internode; the axon has ``len(internodes) + 1`` nodes.
    biophysics : MRGBiophysics
    discretization : {"converged", "mrg2002"}
        ``"converged"`` (default): segments short enough that CV changes < 2 % when
        they are halved (``MAX_SEGMENT_UM``), with the periaxonal path under the node kept
        as a lumped seal (see the module notes). ``"mrg2002"``: one segment per
        compartment, exactly the compartmental model of MRG 2002.
    segment_scale : float
        Divide the target segment lengths by this (2 halves them); ``"converged"`` only.
    extrapolate : bool
        Allow a fibre diameter outside the table.
    """

    fiber_diameter_um: float = 10.0
    internodes: tuple[MyelinState, ...] = field(default_factory=lambda: healthy(20))
    biophysics: MRGBiophysics = field(default_factory=MRGBiophysics)
    discretization: str = "converged"
    segment_scale: float = 1.0
    extrapolate: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "internodes", tuple(self.internodes))
        if not self.internodes:
            raise AxonError("a myelinated axon needs at least one internode")
        for s in self.internodes:
            if not isinstance(s, MyelinState):
                raise AxonError(f"internodes must be MyelinState objects, got {type(s).__name__}")
        if self.discretization not in ("converged", "mrg2002"):
            raise AxonError(
                f"discretization must be 'converged' or 'mrg2002', got {self.discretization!r}"
            )
        if not (math.isfinite(self.segment_scale) and self.segment_scale > 0):
            raise AxonError(f"segment_scale must be positive, got {self.segment_scale}")
        geom = self.geometry  # validates the diameter
        fixed = geom.node_length_um + 2 * (geom.mysa_length_um + geom.flut_length_um)
        for i, s in enumerate(self.internodes):
            length = geom.node_to_node_um * s.internode_length_factor
            if length - fixed <= 6 * 1.0:
                raise AxonError(
                    f"internode {i} is {length:.1f} um long node to node, too short for the "
                    f"paranodes of a {self.fiber_diameter_um:g} um fibre (needs > "
                    f"{fixed + 6:.1f} um); raise its internode_length_factor"
                )

    @classmethod
    def from_preset(
        cls, fiber_diameter_um: float, n_internodes: int, preset: str = "healthy", **kw: Any
    ) -> MyelinatedAxonSpec:
        """Spec of a fibre with the internodes of a named preset.

        Keyword arguments that are fields of the spec (``discretization``,
        ``segment_scale``, ``extrapolate``, ``biophysics``) go to the spec, the others to
        the preset function.
        """
        own = {f.name for f in fields(cls)}
        spec_kw = {k: v for k, v in kw.items() if k in own}
        preset_kw = {k: v for k, v in kw.items() if k not in own}
        states = myelin_preset(preset, n_internodes, **preset_kw)
        return cls(fiber_diameter_um=fiber_diameter_um, internodes=states, **spec_kw)

    @property
    def geometry(self) -> MRGGeometry:
        """Healthy geometry of this fibre diameter."""
        return mrg_geometry(self.fiber_diameter_um, self.extrapolate)

    @property
    def n_nodes(self) -> int:
        """Number of nodes of Ranvier."""
        return len(self.internodes) + 1

    @property
    def lesioned(self) -> tuple[int, ...]:
        """Indices of the internodes that are not healthy."""
        return tuple(i for i, s in enumerate(self.internodes) if not s.is_healthy)

    def node_length_factors(self) -> np.ndarray:
        """Length factor of each node: the larger of its two internodes' factors."""
        f = np.array([s.node_length_factor for s in self.internodes])
        out = np.ones(self.n_nodes)
        out[:-1] = f
        out[1:] = np.maximum(out[1:], f)
        return out

    def node_seal_factors(self) -> np.ndarray:
        """Seal fraction of each node's junctions: the looser of its two internodes'."""
        f = np.array([s.paranodal_seal_fraction for s in self.internodes])
        out = np.ones(self.n_nodes)
        out[:-1] = f
        out[1:] = np.minimum(out[1:], f)
        return out

    def nseg(self, kind: str, length_um: float) -> int:
        """Number of segments of a section of this kind (node, mysa, flut, stin)."""
        if self.discretization == "mrg2002":
            return 1
        n = math.ceil(length_um / (MAX_SEGMENT_UM[kind] / self.segment_scale) - 1e-9)
        if kind == "node":
            n = math.ceil(self.segment_scale - 1e-9)
        return max(1, n + (1 - n % 2))  # odd, so that x = 0.5 is a segment centre

    def with_(self, **changes: Any) -> MyelinatedAxonSpec:
        """Copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class AISSpec:
    """The hillock and initial segment used when a reconstruction has no axon to keep.

    Parameters
    ----------
    hillock_length_um : float
        Length of the tapering hillock.
    hillock_diameter_um : float, optional
        Diameter at the soma end; default 2 x the AIS diameter.
    ais_length_um : float
        Length of the unmyelinated initial segment.
    ais_diameter_um : float, optional
        Default: the node diameter of the fibre.
    gnaf, gks : float
        Fast Na / slow K densities of the AIS (S/cm2), MRG node kinetics (``mrg_node``);
        the other nodal currents keep their MRG densities scaled by ``gnaf / 3``.
    hillock_gnaf : float
        Fast Na density of the hillock (S/cm2).
    nseg_per_10um : int
        Segments per 10 um of hillock and AIS.
    """

    hillock_length_um: float = 10.0
    hillock_diameter_um: float | None = None
    ais_length_um: float = 30.0
    ais_diameter_um: float | None = None
    gnaf: float = 1.5
    gks: float = 0.08
    hillock_gnaf: float = 0.05
    nseg_per_10um: int = 1


# ---------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------


def _gap_resistance(ra_ohm_cm: float, d_um: float, gap_um: float) -> float:
    """Longitudinal resistance of an annular gap, MOhm/cm (NEURON's xraxial unit)."""
    area_um2 = math.pi * ((d_um / 2 + gap_um) ** 2 - (d_um / 2) ** 2)
    # ra (Ohm cm) / (area_um2 * 1e-8 cm2) in Ohm/cm, * 1e-6 for MOhm/cm.
    return ra_ohm_cm / (area_um2 * 1e-8) * 1e-6


class MyelinatedAxon:
    """A myelinated axon instantiated in NEURON (created by :func:`build_axon`).

    Attributes
    ----------
    spec : MyelinatedAxonSpec
    geometry : MRGGeometry
    name : str
    nodes : list of nrn.Section
        Nodes of Ranvier, in order along the axon.
    internode_sections : list of list of nrn.Section
        ``MYSA, FLUT, STIN x 6, FLUT, MYSA`` of each internode.
    sections : list of nrn.Section
        Every section of the myelinated axon in path order (node, internode, node, ...).
    node_x_um : numpy.ndarray
        Path distance of each node centre from the centre of node 0 (um).
    extra_sections : list of nrn.Section
        Hillock/AIS sections created by :func:`attach_myelinated_axon` (else empty).
    """

    def __init__(self, spec: MyelinatedAxonSpec, name: str = "axon"):
        self.spec = spec
        self.geometry = spec.geometry
        self.name = name
        self.nodes: list = []
        self.internode_sections: list[list] = []
        self.sections: list = []
        self.extra_sections: list = []
        self.node_x_um = np.zeros(spec.n_nodes)
        self._point_processes: list = []

    # -- construction -----------------------------------------------------------------
    def _build(self, parent_seg=None) -> None:
        from neuron import h

        from mgneuron.mechanisms import require

        require()
        spec, g, bio = self.spec, self.geometry, self.spec.biophysics
        node_factor = spec.node_length_factors()
        seal = spec.node_seal_factors()
        d_node = g.node_diameter_um
        # Periaxonal resistance per length under a node (the MYSA gap continued, MRG 2002).
        r_node = _gap_resistance(bio.ra, d_node, g.mysa_gap_um)
        x = 0.0
        prev = parent_seg
        for j in range(spec.n_nodes):
            node = h.Section(name=f"{self.name}.node[{j}]")
            node.L = g.node_length_um * node_factor[j]
            node.diam = d_node
            node.nseg = spec.nseg("node", node.L)
            node.Ra = bio.ra
            node.cm = bio.cm
            node.insert("mrg_node")
            node.insert("extracellular")
            if spec.discretization == "mrg2002":
                xr = r_node * seal[j]
            else:
                # Lumped seal: the resistance from the edge of the node to its first
                # segment centre stays that of half a 1 um node (MRG's one-compartment
                # node), whatever the node's length and segment count.
                xr = r_node * seal[j] * (g.node_length_um / node.L) * node.nseg
            scale = 1.0 / node_factor[j]  # conserve the number of nodal channels
            for seg in node:
                m = seg.mrg_node
                m.gnafbar, m.gnapbar = bio.gnaf * scale, bio.gnap * scale
                m.gksbar, m.gl = bio.gks * scale, bio.gl * scale
                m.ena, m.ek, m.el = bio.ena, bio.ek, bio.el
                seg.xraxial[0], seg.xg[0], seg.xc[0] = xr, 1e10, 0.0
                seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
            if prev is not None:
                node.connect(prev)
            if j > 0:
                x += node.L / 2
            self.node_x_um[j] = x
            self.nodes.append(node)
            self.sections.append(node)
            prev = node(1)
            x += node.L / 2
            if j == spec.n_nodes - 1:
                break
            secs = self._internode(j, spec.internodes[j])
            for sec in secs:
                sec.connect(prev)
                prev = sec(1)
                x += sec.L
            self.internode_sections.append(secs)
            self.sections.extend(secs)

    def _internode(self, j: int, state: MyelinState) -> list:
        from neuron import h

        spec, g, bio = self.spec, self.geometry, self.spec.biophysics
        D, d_ax, d_node = g.fiber_diameter_um, g.axon_diameter_um, g.node_diameter_um
        f = state.lamellae_fraction
        nl = g.lamellae * f
        d_out = d_ax + f * (D - d_ax)  # outer diameter of the (thinned) sheath
        length = g.node_to_node_um * state.internode_length_factor
        stin_len = (length - g.node_length_um - 2 * (g.mysa_length_um + g.flut_length_um)) / 6
        s = state.paranodal_seal_fraction
        mysa = ("mysa", d_node, g.mysa_length_um, bio.g_mysa, g.mysa_gap_um, s)
        flut = ("flut", d_ax, g.flut_length_um, bio.g_flut, g.flut_gap_um, 1.0)
        stin = ("stin", d_ax, stin_len, bio.g_stin, g.stin_gap_um, 1.0)
        layout = [mysa, flut] + [stin] * 6 + [flut, mysa]
        secs = []
        counts: dict[str, int] = {}
        for kind, diam, L, gpas, gap, r_scale in layout:
            k = counts.get(kind, 0)
            counts[kind] = k + 1
            sec = h.Section(name=f"{self.name}.{kind}[{j}][{k}]")
            sec.L, sec.diam, sec.nseg = L, diam, spec.nseg(kind, L)
            sec.Ra, sec.cm = bio.ra, bio.cm
            sec.insert("pas")
            sec.insert("extracellular")
            r_gap = _gap_resistance(bio.ra, diam, gap) * r_scale
            if nl > 0:
                # Myelin: 2 nl membranes in series, per outer area, referred to this area.
                xg = bio.myelin_g / (2 * nl) * d_out / diam
                xc = bio.myelin_c / (2 * nl) * d_out / diam
            else:
                xg, xc = 1e10, 0.0  # bare axolemma: the gap is the bath
            for seg in sec:
                seg.pas.g, seg.pas.e = gpas, bio.e_pas
                seg.xraxial[0], seg.xg[0], seg.xc[0] = r_gap, xg, xc
                seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
            secs.append(sec)
        return secs

    # -- use ----------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def all_sections(self) -> list:
        """Hillock/AIS sections (if any) followed by the myelinated axon's sections."""
        return self.extra_sections + self.sections

    def node_segment(self, j: int):
        """The centre segment of node ``j`` (negative indices count from the end)."""
        return self.nodes[j](0.5)

    def iclamp(self, node: int, amp_nA: float, delay_ms: float, dur_ms: float):
        """Inject a current pulse into node ``node``; the IClamp is kept by the axon."""
        from neuron import h

        stim = h.IClamp(self.node_segment(node))
        stim.amp, stim.delay, stim.dur = amp_nA, delay_ms, dur_ms
        self._point_processes.append(stim)
        return stim

    def clear_stimuli(self) -> None:
        """Drop every stimulus created by :meth:`iclamp`."""
        self._point_processes.clear()

    def release(self) -> None:
        """Drop every NEURON object the axon holds (the sections disappear)."""
        self._point_processes.clear()
        self.nodes.clear()
        self.internode_sections.clear()
        self.sections.clear()
        self.extra_sections.clear()


def build_axon(spec: MyelinatedAxonSpec, name: str = "axon", parent_seg=None) -> MyelinatedAxon:
    """Create the NEURON sections of a myelinated axon.

    Parameters
    ----------
    spec : MyelinatedAxonSpec
    name : str
        Prefix of the section names (``axon.node[3]``, ``axon.stin[2][5]``...).
    parent_seg : nrn.Segment, optional
        Connect node 0 to this point (e.g. ``ais(1)``); default a free axon.

    Returns
    -------
    MyelinatedAxon
        Holds the only references to the sections: they exist while it does.
    """
    axon = MyelinatedAxon(spec, name)
    axon._build(parent_seg)
    return axon


# ---------------------------------------------------------------------------------------
# Attaching to a reconstructed cell
# ---------------------------------------------------------------------------------------


def _path_from(sec, children_of) -> list:
    """The main path of an axon tree from ``sec``: follow the thickest child each time."""
    path = [sec]
    while True:
        kids = children_of(path[-1])
        if not kids:
            return path
        path.append(max(kids, key=lambda s: s.diam * 1e6 + s.L))


def attach_myelinated_axon(
    soma,
    spec: MyelinatedAxonSpec,
    axon_sections: Sequence | None = None,
    *,
    keep_um: float = 25.0,
    ais: AISSpec | None = None,
    name: str = "myelinated_axon",
) -> tuple[MyelinatedAxon, list]:
    """Replace the axon of a cell beyond its initial segment by a myelinated axon.

    Works on bare NEURON sections (see :func:`myelinate_cell` for a loaded
    :class:`~mgneuron.cell.Cell`). The first ``keep_um`` of the reconstructed axon along
    its main path from the soma (at each branch point the thickest child) are kept as
    hillock + initial segment, with their membrane; the section where the cut falls is
    shortened to end there (its 3-D points rescale). Every other section of the
    reconstructed axon (the rest of the main path and all collaterals) is disconnected and
    returned, for the caller to delete. The myelinated axon's node 0 joins the end of the
    kept part. Without a reconstructed axon, a standard hillock and AIS (:class:`AISSpec`,
    MRG node kinetics) are created at the soma's 1 end.

    Parameters
    ----------
    soma : nrn.Section
        The soma section the axon hangs from.
    spec : MyelinatedAxonSpec
    axon_sections : sequence of nrn.Section, optional
        The reconstructed axon (any order); its root must hang from a section not in it.
    keep_um : float
        Length of reconstructed axon kept as hillock + AIS (um); default 25, the initial
        segment of mgneuron's biophysics sets.
    ais : AISSpec, optional
        The standard hillock + AIS used when there is no reconstructed axon.
    name : str
        Name prefix of the new sections.

    Returns
    -------
    (MyelinatedAxon, list of nrn.Section)
        The attached axon (``extra_sections`` holds a created hillock/AIS) and the
        disconnected reconstructed sections.
    """
    from neuron import h

    from mgneuron.mechanisms import require

    require()
    axon_sections = list(axon_sections or [])
    geom = spec.geometry
    if not axon_sections:
        a = ais or AISSpec()
        d_ais = a.ais_diameter_um or geom.node_diameter_um
        d_hill = a.hillock_diameter_um or 2 * d_ais
        bio = spec.biophysics
        hill = h.Section(name=f"{name}.hillock")
        hill.L = a.hillock_length_um
        hill.nseg = max(1, int(math.ceil(a.hillock_length_um / 10 * a.nseg_per_10um))) | 1
        hill.Ra, hill.cm = bio.ra, 1.0
        for seg in hill:
            seg.diam = d_hill + (d_ais - d_hill) * seg.x
        sec_ais = h.Section(name=f"{name}.ais")
        sec_ais.L, sec_ais.diam = a.ais_length_um, d_ais
        sec_ais.nseg = max(1, int(math.ceil(a.ais_length_um / 10 * a.nseg_per_10um))) | 1
        sec_ais.Ra, sec_ais.cm = bio.ra, 1.0
        for sec, gnaf in ((hill, a.hillock_gnaf), (sec_ais, a.gnaf)):
            sec.insert("mrg_node")
            for seg in sec:
                m = seg.mrg_node
                m.gnafbar = gnaf
                m.gnapbar = bio.gnap * gnaf / bio.gnaf
                m.gksbar = a.gks if sec is sec_ais else a.gks * gnaf / a.gnaf
                m.gl = bio.gl * gnaf / bio.gnaf
                m.ena, m.ek, m.el = bio.ena, bio.ek, bio.el
        hill.connect(soma(1))
        sec_ais.connect(hill(1))
        axon = build_axon(spec, name=name, parent_seg=sec_ais(1))
        axon.extra_sections = [hill, sec_ais]
        return axon, []

    # Reconstructed axon: its root, the main path, the cut at keep_um.
    members = {sec.hname() for sec in axon_sections}
    roots = [
        sec
        for sec in axon_sections
        if sec.parentseg() is None or sec.parentseg().sec.hname() not in members
    ]
    if len(roots) != 1:
        raise AxonError(
            f"the axon sections must form one tree hanging from the soma; found {len(roots)} "
            f"roots ({', '.join(sec.hname() for sec in roots[:5])})"
        )
    if not keep_um > 0:
        raise AxonError(f"keep_um must be a positive length (um), got {keep_um}")

    def children_of(sec):
        return [c for c in sec.children() if c.hname() in members]

    path = _path_from(roots[0], children_of)
    kept, acc = [], 0.0
    cut_sec, cut_x = path[-1], 1.0
    for sec in path:
        kept.append(sec)
        if acc + sec.L >= keep_um - 1e-9:
            cut_sec, cut_x = sec, (keep_um - acc) / sec.L
            break
        acc += sec.L
    kept_names = {sec.hname() for sec in kept}
    removed = [sec for sec in axon_sections if sec.hname() not in kept_names]
    for sec in removed:
        ps = sec.parentseg()
        if ps is not None and ps.sec.hname() in kept_names:
            h.disconnect(sec=sec)
    if cut_x < 1.0 - 1e-9:
        nseg = max(1, int(math.ceil(cut_sec.nseg * cut_x)))
        cut_sec.L = cut_sec.L * cut_x
        cut_sec.nseg = nseg if nseg % 2 else nseg + 1
    axon = build_axon(spec, name=name, parent_seg=cut_sec(1))
    return axon, removed


def myelinate_cell(
    cell,
    spec: MyelinatedAxonSpec,
    *,
    keep_um: float = 25.0,
    ais: AISSpec | None = None,
    name: str = "myelinated_axon",
) -> MyelinatedAxon:
    """Give a loaded cell a myelinated axon (:func:`attach_myelinated_axon`).

    Parameters
    ----------
    cell : mgneuron.cell.Cell or mgneuron.morphology.Morphology
        The cell; its first soma section carries the axon, its ``axon`` region is the
        reconstructed axon (the biophysics' axon stub counts as one).
    spec, keep_um, ais, name
        As in :func:`attach_myelinated_axon`.

    Returns
    -------
    MyelinatedAxon
        Its sections (and any created hillock/AIS) join the morphology's ``axon`` region,
        so the cell deletes them and ``cell.apply_environment`` reaches them; the replaced
        reconstructed sections are deleted. Apply the bath after this call.
    """
    morph = getattr(cell, "morphology", cell)
    if not getattr(morph, "soma", None):
        raise AxonError("a myelinated axon needs a cell with a soma section")
    soma = morph.soma[0]
    old = list(morph.regions.get("axon", []))
    axon, removed = attach_myelinated_axon(soma, spec, old, keep_um=keep_um, ais=ais, name=name)
    _forget_sections(morph, removed)
    for sec in axon.all_sections:
        morph.add_section(sec, "axon")
    return axon


def _forget_sections(morph, secs: Sequence) -> None:
    """Delete sections of a morphology and drop them from its bookkeeping."""
    from neuron import h

    if not secs:
        return
    if hasattr(morph, "remove_sections"):
        morph.remove_sections(secs)
        return
    # Morphology has no removal method yet: update its public lists (and the region map).
    gone = {sec.hname() for sec in secs}
    morph.sections = [s for s in morph.sections if s.hname() not in gone]
    for region, lst in morph.regions.items():
        morph.regions[region] = [s for s in lst if s.hname() not in gone]
    for code, lst in getattr(morph, "custom_types", {}).items():
        morph.custom_types[code] = [s for s in lst if s.hname() not in gone]
    region_of = getattr(morph, "_region_of", None)
    if isinstance(region_of, dict):
        for sec in secs:
            region_of.pop(sec, None)
    for sec in secs:
        h.delete_section(sec=sec)


# ---------------------------------------------------------------------------------------
# The --myelinated-axon DIAMETER[:PRESET[,key=value...]] option
# ---------------------------------------------------------------------------------------

AXON_OPTION_HELP = (
    "replace the axon beyond the initial segment by a myelinated (MRG) axon: "
    "DIAMETER[:PRESET[,key=value...]] with DIAMETER the fibre diameter in um and PRESET one "
    f"of {', '.join(MYELIN_PRESETS)}; extra keys: nodes=N (default 21), keep_um=L (kept "
    "hillock + AIS, default 25), and the preset's options, e.g. "
    "'10:demyelinated,severity=0.9,lesion=3'"
)


def _number(text: str) -> Any:
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    return text


def parse_myelinated_axon(text: str | None) -> tuple[MyelinatedAxonSpec, dict] | None:
    """Parse ``DIAMETER[:PRESET[,key=value...]]`` into (spec, attach options).

    Returns None for an empty string. ``nodes`` (number of nodes, default 21) and
    ``keep_um`` are taken out; the other keys go to the preset function.
    """
    if text is None or not str(text).strip():
        return None
    head, _, rest = str(text).strip().partition(":")
    try:
        diameter = float(head)
    except ValueError:
        raise AxonError(
            f"--myelinated-axon expects DIAMETER[:PRESET[,key=value...]], got {text!r}"
        ) from None
    parts = [p.strip() for p in rest.split(",") if p.strip()] if rest else []
    preset = "healthy"
    if parts and "=" not in parts[0]:
        preset = parts.pop(0)
    options: dict[str, Any] = {}
    for p in parts:
        if "=" not in p:
            raise AxonError(f"--myelinated-axon: expected key=value, got {p!r} in {text!r}")
        k, v = p.split("=", 1)
        options[k.strip()] = _number(v.strip())
    n_nodes = int(options.pop("nodes", 21))
    attach = {"keep_um": float(options.pop("keep_um", 25.0))}
    spec = MyelinatedAxonSpec.from_preset(diameter, n_nodes - 1, preset, **options)
    return spec, attach


def apply_myelinated_axon(cell_or_soma, option: str | MyelinatedAxonSpec | None, **attach):
    """Apply a ``--myelinated-axon`` value to a cell; return the axon (or None).

    Parameters
    ----------
    cell_or_soma : Cell, Morphology or nrn.Section
        A loaded cell (:func:`myelinate_cell`) or a bare soma section (standard AIS).
    option : str or MyelinatedAxonSpec or None
        The option text (``"10:demyelinated,severity=0.9"``) or a spec; None/"" does nothing.
    **attach
        Overrides of :func:`attach_myelinated_axon` keywords (``keep_um``, ``ais``).
    """
    if option is None or (isinstance(option, str) and not option.strip()):
        return None
    if isinstance(option, MyelinatedAxonSpec):
        spec, opts = option, {}
    else:
        spec, opts = parse_myelinated_axon(option)
    opts.update(attach)
    if hasattr(cell_or_soma, "hname") and callable(cell_or_soma.hname):  # a soma section
        axon, _ = attach_myelinated_axon(cell_or_soma, spec, None, **opts)
        return axon
    return myelinate_cell(cell_or_soma, spec, **opts)


# ---------------------------------------------------------------------------------------
# Conduction runs (simulation); the measures themselves are in mgneuron.analysis
# ---------------------------------------------------------------------------------------


@dataclass
class ConductionTrace:
    """What one conduction run recorded.

    Attributes
    ----------
    t_ms : numpy.ndarray
        Sample times (ms).
    v_mV : numpy.ndarray
        Membrane potential at each node centre, shape (n_nodes, n_t).
    node_x_um : numpy.ndarray
        Node positions along the axon (um).
    stim_times_ms : tuple of float
        Onsets of the stimulus pulses.
    """

    t_ms: np.ndarray
    v_mV: np.ndarray
    node_x_um: np.ndarray
    stim_times_ms: tuple[float, ...]


def run_conduction(
    axon: MyelinatedAxon,
    *,
    tstop_ms: float,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    stim_node: int = 0,
    amp_nA: float = 2.0,
    dur_ms: float = 0.1,
    stim_times_ms: Sequence[float] = (0.1,),
    amps_nA: Sequence[float] | None = None,
    bath=None,
    stop_at_node: int | None = None,
    stop_count: int = 1,
    watchdog_ms: float | None = None,
) -> ConductionTrace:
    """Stimulate one node with current pulses and record the membrane potential at every node.

    Parameters
    ----------
    axon : MyelinatedAxon
    tstop_ms, dt_ms : float
        Simulated time and fixed step (ms).
    celsius : float
        Temperature (degC); MRG 2002 used 37.
    stim_node : int
        Node receiving the intracellular pulses.
    amp_nA, dur_ms : float
        Amplitude and duration of each pulse.
    stim_times_ms : sequence of float
        Pulse onsets (ms).
    amps_nA : sequence of float, optional
        One amplitude per pulse (overrides ``amp_nA``).
    bath : Environment, optional
        Applied to the axon's sections before initialisation.
    stop_at_node : int, optional
        End the run as soon as this node has crossed -20 mV ``stop_count`` times (the
        traces are then shorter).
    stop_count : int
        See ``stop_at_node``.
    watchdog_ms : float, optional
        End the run when no node has crossed -20 mV for this long after the last
        stimulus onset (the spike has died out; checked every 0.1 ms).
    """
    from neuron import h

    from mgneuron.simulation import RunSettings, run

    settings = RunSettings(
        tstop=tstop_ms, dt=dt_ms, celsius=celsius, v_init=axon.spec.biophysics.v_init
    )
    amps = list(amps_nA) if amps_nA is not None else [amp_nA] * len(stim_times_ms)
    stims = [
        axon.iclamp(stim_node, a, t0, dur_ms) for a, t0 in zip(amps, stim_times_ms, strict=True)
    ]
    stopper = None
    if stop_at_node is not None:
        seg = axon.node_segment(stop_at_node)
        stopper = h.NetCon(seg._ref_v, None, sec=seg.sec)
        stopper.threshold = -20.0
        count = [0]

        def arrived(_count=count) -> None:
            _count[0] += 1
            if _count[0] >= stop_count:
                h.stoprun = 1

        stopper.record(arrived)
    events = []
    watchers = []
    if watchdog_ms is not None:
        last = [float(max(stim_times_ms))]

        def seen(_last=last) -> None:
            _last[0] = h.t

        for node in axon.nodes:
            nc = h.NetCon(node(0.5)._ref_v, None, sec=node)
            nc.threshold = -20.0
            nc.record(seen)
            watchers.append(nc)

        def check(_last=last) -> None:
            if h.t - _last[0] > watchdog_ms:
                h.stoprun = 1

        t_check = float(max(stim_times_ms)) + watchdog_ms
        while t_check < tstop_ms:
            events.append((t_check, check))
            t_check += 0.1
    t_vec = h.Vector().record(h._ref_t, dt_ms)
    v_vecs = [h.Vector().record(n(0.5)._ref_v, dt_ms) for n in axon.nodes]
    # The extracellular layers need backward Euler (module notes): force it for this run.
    secondorder = h.secondorder
    h.secondorder = 0
    try:
        if bath is not None and bath.celsius != celsius:
            bath = bath.with_(celsius=celsius, name=bath.name)  # celsius of this run wins
        before = (lambda: bath.apply(axon.all_sections)) if bath is not None else None
        run(settings, before_init=before, events=events)
    finally:
        h.secondorder = secondorder
        for s in stims:
            axon._point_processes.remove(s)
    del stopper, watchers
    t = np.asarray(t_vec)
    n_t = min([t.size] + [vv.size() for vv in v_vecs])
    t = t[:n_t]
    v = np.array([np.asarray(vv)[:n_t] for vv in v_vecs])
    trace = ConductionTrace(t, v, axon.node_x_um.copy(), tuple(float(x) for x in stim_times_ms))
    return trace


def propagates(
    axon: MyelinatedAxon,
    amp_nA: float,
    *,
    stim_node: int = 0,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    tstop_ms: float | None = None,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    threshold_mV: float = -20.0,
    bath=None,
    watchdog_ms: float | None = 2.0,
) -> bool:
    """Whether a pulse of ``amp_nA`` at ``stim_node`` gives a spike at ``detect_node``.

    The run stops when the spike arrives, or when no node has fired for ``watchdog_ms``
    (the spike failed), or at ``tstop_ms`` (default: the travel time at 2 m/s + 2 ms).
    """
    from mgneuron.analysis import arrival_times

    if tstop_ms is None:
        tstop_ms = _travel_time_ms(axon, stim_node, detect_node) + 2.0
    tr = run_conduction(
        axon, tstop_ms=tstop_ms, dt_ms=dt_ms, celsius=celsius, stim_node=stim_node,
        amp_nA=amp_nA, dur_ms=dur_ms, stim_times_ms=(0.1,), bath=bath,
        stop_at_node=detect_node, watchdog_ms=watchdog_ms,
    )  # fmt: skip
    times = arrival_times(tr.t_ms, tr.v_mV[[detect_node]], threshold_mV, after_ms=0.1)
    return bool(np.isfinite(times[0]))


def _travel_time_ms(axon: MyelinatedAxon, a: int, b: int, slowest_m_per_s: float = 2.0) -> float:
    """Generous time for a spike to go from node a to node b (at >= 2 m/s)."""
    x = axon.node_x_um
    return abs(x[b] - x[a]) / (slowest_m_per_s * 1e3)


def threshold_nA(
    axon: MyelinatedAxon,
    *,
    stim_node: int | None = None,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    rel_tol: float = 0.01,
    start_nA: float = 1.0,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    tstop_ms: float | None = None,
    bath=None,
) -> float:
    """Threshold current (nA) of a ``dur_ms`` pulse at a node, by bisection to ``rel_tol``.

    The criterion is a propagated spike at ``detect_node``. Default stimulus site: the
    middle node. Returns the upper end of the final bracket (a current that works).
    """
    from mgneuron.analysis import bisect_threshold

    if stim_node is None:
        stim_node = axon.n_nodes // 2

    def ok(a: float) -> bool:
        return propagates(
            axon, a, stim_node=stim_node, detect_node=detect_node, dur_ms=dur_ms,
            dt_ms=dt_ms, celsius=celsius, tstop_ms=tstop_ms, bath=bath,
        )  # fmt: skip

    return bisect_threshold(ok, start=start_nA, rel_tol=rel_tol)


def refractory_period_ms(
    axon: MyelinatedAxon,
    amp_nA: float,
    *,
    stim_node: int = 0,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    max_interval_ms: float = 10.0,
    abs_tol_ms: float = 0.01,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    bath=None,
) -> float:
    """Shortest interval between two pulses of ``amp_nA`` whose second spike propagates.

    With ``amp_nA`` several times threshold this is the absolute refractory period of
    conduction. Bisection on the interval to ``abs_tol_ms``; NaN if even
    ``max_interval_ms`` fails.
    """
    from mgneuron.analysis import bisect_boundary, crossing_times

    travel = _travel_time_ms(axon, stim_node, detect_node)

    def second_arrives(interval: float) -> bool:
        t0 = 0.1
        tr = run_conduction(
            axon, tstop_ms=t0 + interval + travel + 2.0, dt_ms=dt_ms, celsius=celsius,
            stim_node=stim_node, amp_nA=amp_nA, dur_ms=dur_ms,
            stim_times_ms=(t0, t0 + interval), stop_at_node=detect_node, stop_count=2,
            watchdog_ms=2.0, bath=bath,
        )  # fmt: skip
        # Two spikes must reach the far node (the first may arrive after the second pulse).
        return crossing_times(tr.t_ms, tr.v_mV[detect_node], -20.0).size >= 2

    if not second_arrives(max_interval_ms):
        return math.nan
    return bisect_boundary(second_arrives, low=dur_ms, high=max_interval_ms, abs_tol=abs_tol_ms)


def lesion_nodes(spec: MyelinatedAxonSpec) -> list[int]:
    """Nodes bordering the lesioned internodes (both ends of each); for an axon without a
    lesion, the two nodes of its middle internode."""
    hit = spec.lesioned or ((spec.n_nodes - 1) // 2,)
    return sorted({j for i in hit for j in (i, i + 1)})


def lesion_safety_factor(
    axon: MyelinatedAxon,
    nodes: Sequence[int] | None = None,
    *,
    stim_node: int = 0,
    detect_node: int | None = None,
    amp_nA: float = 3.0,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    rel_tol: float = 0.01,
    max_factor: float = 100.0,
    ms_per_internode: float = 1.0,
    bath=None,
) -> float:
    """Safety factor of conduction across a lesion (see :func:`mgneuron.analysis.safety_factor`).

    The fast and persistent Na conductances of ``nodes`` (default :func:`lesion_nodes`)
    are scaled by k; k* is the smallest k for which a spike started at ``stim_node``
    still reaches ``detect_node`` (default: two nodes past the last scaled node), found by
    bisection to ``rel_tol`` (k above 1 when the lesion blocks at nominal density).
    Each trial runs until the spike arrives, or for ``ms_per_internode`` per internode
    from the last node before the lesion to ``detect_node``, after which it counts as
    blocked. Returns 1 / k*: inf if the spike crosses with those nodes silenced, NaN if
    even ``max_factor`` times the density does not restore conduction or the stimulus
    fails before the lesion.
    """
    from mgneuron.analysis import arrival_times, bisect_threshold, safety_factor

    nodes = sorted(nodes if nodes is not None else lesion_nodes(axon.spec))
    n = axon.n_nodes
    before = max(min(nodes) - 1, stim_node)
    if detect_node is None:
        detect_node = min(max(nodes) + 2, n - 1)
    detect_node %= n
    secs = [axon.nodes[j] for j in nodes]
    saved = [[(seg.mrg_node.gnafbar, seg.mrg_node.gnapbar) for seg in sec] for sec in secs]
    t0 = 0.1
    first = run_conduction(
        axon, tstop_ms=t0 + _travel_time_ms(axon, stim_node, before) + 1.0, dt_ms=dt_ms,
        celsius=celsius, stim_node=stim_node, amp_nA=amp_nA, stim_times_ms=(t0,),
        bath=bath, stop_at_node=before,
    )  # fmt: skip
    t_before = arrival_times(first.t_ms, first.v_mV[[before]], -20.0, after_ms=t0)[0]
    if not np.isfinite(t_before):
        return math.nan
    tstop = t_before + ms_per_internode * max(detect_node - before, 1) + 0.5

    def conducts(k: float) -> bool:
        for sec, vals in zip(secs, saved, strict=True):
            for seg, (gnaf, gnap) in zip(sec, vals, strict=True):
                seg.mrg_node.gnafbar, seg.mrg_node.gnapbar = k * gnaf, k * gnap
        return propagates(
            axon, amp_nA, stim_node=stim_node, detect_node=detect_node, dt_ms=dt_ms,
            celsius=celsius, tstop_ms=tstop, bath=bath,
        )  # fmt: skip

    try:
        if conducts(0.0):
            k_star = 0.0
        else:
            k_star = bisect_threshold(conducts, start=1.0, rel_tol=rel_tol, max_value=max_factor)
    finally:
        for sec, vals in zip(secs, saved, strict=True):
            for seg, (gnaf, gnap) in zip(sec, vals, strict=True):
                seg.mrg_node.gnafbar, seg.mrg_node.gnapbar = gnaf, gnap
    return safety_factor(k_star)
