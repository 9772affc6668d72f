"""The description of a myelinated axon (pure data, picklable) and the option that names one.

:class:`MyelinatedAxonSpec`: fibre diameter (:mod:`mgneuron.axon.geometry`), one
:class:`~mgneuron.axon.myelin.MyelinState` per internode, :class:`MRGBiophysics` (the
membrane and cytoplasm of McIntyre, Richardson & Grill 2002) and the discretization:

- ``"mrg2002"`` (default): one segment per compartment, the published compartmental
  model; its parameters were fitted with one compartment per segment, and with it the
  CV at the nine table diameters is that of the authors' model (ModelDB 3810) within
  0.1 % (tests/axon/test_experiments.py);
- ``"converged"``: segments no longer than ``MAX_SEGMENT_UM`` per compartment
  kind, short enough that halving every segment moves CV by < 2 %, with the periaxonal
  resistance of half of MRG's one-compartment node kept as a lumped *junctional seal*
  between the node and the MYSA gap (independent of node length and segment count). It
  conducts 13-14 % slower than the published fibre and has 17-23 % higher thresholds
  (docs/guide.md, "Myelinated axon and conduction", says why the published model is
  not converged in space).

``outer_diameter`` is the convention for thinned myelin: ``"shrinks"`` (default) puts
the outer surface of a sheath that keeps a fraction f of its lamellae at d + f (D - d);
``"kept"`` keeps it at the fibre diameter D whatever f (the MRG-style convention of
scaling only the number of lamellae).

:class:`AISSpec`: the hillock and initial segment added where a cell has no axon to keep
(:mod:`mgneuron.axon.graft`). :func:`parse_myelinated_axon` reads the
``--myelinated-axon DIAMETER[:PRESET[,key=value...]]`` value (help: ``AXON_OPTION_HELP``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from mgneuron.axon.geometry import MRGGeometry, mrg_geometry
from mgneuron.axon.myelin import MYELIN_PRESETS, MyelinState, healthy, myelin_preset
from mgneuron.errors import AxonError

__all__ = [
    "MAX_SEGMENT_UM",
    "OUTER_DIAMETERS",
    "MRGBiophysics",
    "MyelinatedAxonSpec",
    "AISSpec",
    "AXON_OPTION_HELP",
    "parse_myelinated_axon",
]


#: Conventions for the outer diameter of a thinned sheath (``MyelinatedAxonSpec``).
OUTER_DIAMETERS = ("shrinks", "kept")

#: Longest segment (um) per compartment kind in the "converged" discretization. The
#: periaxonal space next to a node is a cable with an AC length constant of a few um
#: (gap resistance 8 MOhm/um against the axolemma capacitance), so MYSA and FLUT need
#: short segments; STIN (far from the nodes) does not. Chosen so that halving every
#: segment changes CV by < 2 % (tests/axon/test_experiments.py).
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
    discretization : {"mrg2002", "converged"}
        ``"mrg2002"`` (default): one segment per compartment, exactly the compartmental
        model of MRG 2002. ``"converged"``: segments short enough that CV changes < 2 %
        when they are halved (``MAX_SEGMENT_UM``), with the periaxonal path under the
        node kept as a lumped seal (see the module docstring).
    segment_scale : float
        Divide the target segment lengths by this (2 halves them); ``"converged"`` only.
    extrapolate : bool
        Allow a fibre diameter outside the table.
    outer_diameter : {"shrinks", "kept"}
        Outer diameter of a sheath that kept a fraction f of its lamellae: ``"shrinks"``
        (default) d + f (D - d), d the axon and D the fibre diameter (um); ``"kept"``: D
        (only the number of lamellae, hence the myelin's conductance and capacitance per
        area, scales with f). The healthy fibre is the same either way; a thinned one
        conducts worse with ``"kept"`` (a larger myelin surface to charge: every
        internode of a 10 um fibre thinned to 5 % blocks with ``"kept"``, to 3 % with
        ``"shrinks"``; docs/guide.md, "Myelinated axon and conduction").
    """

    fiber_diameter_um: float = 10.0
    internodes: tuple[MyelinState, ...] = field(default_factory=lambda: healthy(20))
    biophysics: MRGBiophysics = field(default_factory=MRGBiophysics)
    discretization: str = "mrg2002"
    segment_scale: float = 1.0
    extrapolate: bool = False
    outer_diameter: str = "shrinks"

    def __post_init__(self) -> None:
        """Check the internodes, the discretization and every internode's length."""
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
        if self.outer_diameter not in OUTER_DIAMETERS:
            raise AxonError(
                f"outer_diameter must be one of {', '.join(OUTER_DIAMETERS)}, "
                f"got {self.outer_diameter!r}"
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
        ``segment_scale``, ``extrapolate``, ``outer_diameter``, ``biophysics``) go to the
        spec, the others to the preset function.
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
        return self._per_node([s.node_length_factor for s in self.internodes], np.maximum)

    def node_seal_factors(self) -> np.ndarray:
        """Seal fraction of each node's junctions: the looser of its two internodes'."""
        return self._per_node([s.paranodal_seal_fraction for s in self.internodes], np.minimum)

    def _per_node(self, per_internode: list[float], combine) -> np.ndarray:
        """Combine the values of each node's internodes (one for the end nodes)."""
        f = np.array(per_internode)
        out = np.ones(self.n_nodes)
        out[:-1] = f
        out[1:] = combine(out[1:], f)
        return out

    def nseg(self, kind: str, length_um: float) -> int:
        """Count the segments of a section of this kind (node, mysa, flut, stin)."""
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


AXON_OPTION_HELP = (
    "replace the axon beyond the initial segment by a myelinated (MRG) axon: "
    "DIAMETER[:PRESET[,key=value...]] with DIAMETER the fibre diameter in um and PRESET one "
    f"of {', '.join(MYELIN_PRESETS)}; extra keys: nodes=N (default 21), keep_um=L (kept "
    "hillock + AIS, default 25), discretization=mrg2002|converged (default mrg2002, the "
    "published model), outer_diameter=shrinks|kept, and the preset's options, e.g. "
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
