"""A small recurrent cortical network for low-Mg2+ seizure-like activity.

Why the network bursts at low [Mg]o
-----------------------------------
In vitro, removing Mg2+ from the bath turns the asynchronous activity of a cortical or
hippocampal slice into recurrent, synchronised epileptiform discharges that NMDA
antagonists block and non-NMDA antagonists do not; raising [Ca]o to 3 mM abolishes them
(Isaev et al. 2012, J Neurophysiol 107:417). Golomb and colleagues modelled the same
phenomenon as persistent synchronised bursting of a recurrent excitatory/inhibitory
network once the NMDA Mg2+ block is removed (see ``shared/VALIDATION.md``). This module
builds such a network with the package's own Mg-aware synapses, so each of these effects
has a cause that can be switched off:

* every excitatory connection is a ``GluSynMg`` (AMPA + NMDA). At -65 mV and 1 mM Mg2+
  the NMDA conductance is ~94 % blocked, so a spike mostly delivers a short AMPA charge
  and the network fires asynchronously. Without Mg2+ the slow (65 ms) NMDA conductance
  is unblocked and the recurrent excitatory charge per spike grows about tenfold:
  activity regenerates itself and the whole population fires together (a population
  burst). Setting the NMDA conductance to zero (``scaled(nmda=0)``, the D-APV
  experiment) removes that charge and the bursts, although the other effects of the
  Mg-free bath (surface-charge screening, weaker GABA-A, higher release) remain;
* a burst ends because the depressing synapses (Tsodyks-Markram release; E->E U = 0.5,
  tau_rec = 671 ms in the reference bath, Markram et al. 2015) run out of resources and
  every spike adds to a slow afterhyperpolarising K+ conductance of the pyramidal cells
  (see :func:`pyramidal_cell`); the next burst starts when both have recovered, so the
  bursts recur a few hundred ms apart;
* [Ca]o and [Mg]o set the baseline release probability of every synapse
  (Dodge-Rahamimoff) and, through the channels' surface-charge screening
  (``mechanisms/surface_charge.inc``), the gating of every Na/K channel. At 0 Mg, going
  from 2 to 3 mM Ca2+ restores the total divalent concentration of normal ACSF, so the
  screening shift returns from about -2.8 mV to 0: the cells are less excitable and the
  bursts come less often (in the default network the mean interval between bursts grows
  from ~515 to ~600 ms). This is the surface-charge effect Isaev et al. (2012) argued
  for: with screening switched off, 3 mM Ca2+ does not lower the burst rate, because with
  depressing synapses the release per second at burst rates saturates near 1/tau_rec
  whatever the release probability. The model's Ca2+ effect is weaker than in slices,
  where 3 mM Ca2+ abolished the discharges. At 1 mM Ca2+ the bursts at 0 Mg last longer
  (Isaev et al.: seizure-like events in more slices), but at 0.1 mM Mg they disappear:
  release falls to ~40 % of the reference (Dodge-Rahamimoff, fourth power) and the
  larger screening shift (-6.6 mV at 0 Mg) does not make up for it;
* the external (background) drive is fixed across baths (AMPA only, release independent
  of the bath): every difference between conditions comes from the network.

Layout
------
``n_exc`` pyramidal cells (gids ``0 .. n_exc-1``) and ``n_inh`` fast-spiking basket cells
(gids ``n_exc .. n_exc+n_inh-1``). Pyramidal cells are reduced multicompartment cells
(soma, a lumped basal dendrite, an apical trunk and tuft); basket cells are single
compartments. Connections are drawn with a fixed in-degree per pathway from a seeded
``numpy`` generator; every rank draws the same table and builds the part whose
postsynaptic cell it owns. Cells are distributed round-robin over the ranks of NEURON's
``ParallelContext`` (``gid % nhost == rank``); spikes cross ranks through
``pc.gid_connect`` and are recorded with ``pc.spike_record``. Each cell's Poisson
background comes from a ``NetStim`` with a Random123 stream keyed by (seed, gid), so it
is the same on any number of ranks.

Describe first, build later: :class:`NetworkSpec` is a picklable description; :func:`build`
creates the NEURON objects; :meth:`Network.run` simulates; :meth:`Network.spikes` gathers
the spikes; :meth:`Network.clear` releases the gids. The pure functions at the end
(:func:`population_rate`, :func:`detect_bursts`, :func:`synchrony_index`,
:func:`network_features`) turn spike trains into the protocol's measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mgneuron.errors import MgNeuronError
from mgneuron.release import ReleaseSpec
from mgneuron.synapses import SynapseSpec, gabaergic, glutamatergic

__all__ = [
    "SectionSpec",
    "MechanismSpec",
    "CellSpec",
    "Pathway",
    "Background",
    "NetworkSpec",
    "NetworkError",
    "DEFAULT_PARAMETERS",
    "Connections",
    "Network",
    "Burst",
    "pyramidal_cell",
    "basket_cell",
    "default_network",
    "draw_connections",
    "build",
    "population_rate",
    "detect_bursts",
    "synchrony_index",
    "network_features",
    "EXC",
    "INH",
]

#: Third Random123 id of the background streams: (seed, gid, BACKGROUND_STREAM). Synapse
#: release streams use (seed, gid, index) with index counting a cell's synapses from 0.
BACKGROUND_STREAM = 2**32 - 1

#: Population names (also the SONATA spike populations written by the protocol).
EXC = "excitatory"
INH = "inhibitory"


class NetworkError(MgNeuronError, ValueError):
    """A network description is inconsistent (sizes, pathways, sections)."""


# ----------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class SectionSpec:
    """One unbranched section of a reduced cell.

    Parameters
    ----------
    name : str
        Section name, unique in the cell (``soma``, ``basal``, ``apical``...).
    length_um, diam_um : float
        Length and diameter (um).
    nseg : int
        Number of segments (odd).
    parent : str, optional
        Name of the parent section (None for the root).
    parent_x : float
        Where on the parent it attaches (0-1).
    """

    name: str
    length_um: float
    diam_um: float
    nseg: int = 1
    parent: str | None = None
    parent_x: float = 1.0


@dataclass(frozen=True)
class MechanismSpec:
    """A density mechanism inserted into some sections, with its parameters.

    Parameters
    ----------
    name : str
        NMODL SUFFIX.
    sections : tuple of str
        Section names it goes into.
    params : tuple of (str, float)
        RANGE parameters (NEURON units, e.g. S/cm2 for conductances).
    """

    name: str
    sections: tuple[str, ...]
    params: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class CellSpec:
    """A reduced cell: sections, passive properties and active mechanisms.

    Parameters
    ----------
    name : str
        Cell type name.
    sections : tuple of SectionSpec
        The first is the root (the soma, where spikes are detected).
    mechanisms : tuple of MechanismSpec
        Active mechanisms.
    cm_uF_cm2 : float
        Specific capacitance (uF/cm2).
    ra_ohm_cm : float
        Axial resistivity (Ohm cm).
    g_pas_S_cm2 : float
        Leak conductance (S/cm2), everywhere.
    e_pas_mV : float
        Leak reversal (mV).
    ena_mV, ek_mV : float
        Na+ and K+ reversal potentials (mV), set where the ions exist.
    sahp_g_uS : float
        Slow afterhyperpolarisation: K+ conductance added at the soma by every spike (uS);
        0 for none. See :func:`pyramidal_cell`.
    sahp_tau_ms : float
        Decay time constant of that conductance (ms).
    """

    name: str
    sections: tuple[SectionSpec, ...]
    mechanisms: tuple[MechanismSpec, ...] = ()
    cm_uF_cm2: float = 1.0
    ra_ohm_cm: float = 150.0
    g_pas_S_cm2: float = 5e-5
    e_pas_mV: float = -70.0
    ena_mV: float = 60.0
    ek_mV: float = -90.0
    sahp_g_uS: float = 0.0
    sahp_tau_ms: float = 500.0

    def __post_init__(self) -> None:
        names = [s.name for s in self.sections]
        if not names:
            raise NetworkError(f"cell {self.name!r} has no sections")
        if len(set(names)) != len(names):
            raise NetworkError(f"cell {self.name!r}: section names must be unique, got {names}")
        for s in self.sections[1:]:
            if s.parent not in names:
                raise NetworkError(
                    f"cell {self.name!r}: section {s.name!r} has parent {s.parent!r}, "
                    f"which is not one of {names}"
                )
        for m in self.mechanisms:
            missing = [s for s in m.sections if s not in names]
            if missing:
                raise NetworkError(
                    f"cell {self.name!r}: mechanism {m.name} names unknown sections {missing}"
                )

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sections)

    def n_segments(self) -> int:
        """Number of compartments of one cell."""
        return sum(s.nseg for s in self.sections)


def pyramidal_cell(
    gna_soma_S_cm2: float = 0.05,
    gkdr_soma_S_cm2: float = 0.02,
    gkm_soma_S_cm2: float = 5e-4,
    sahp_g_uS: float = 0.0005,
    sahp_tau_ms: float = 500.0,
) -> CellSpec:
    """A reduced layer-2/3 pyramidal cell, eight compartments.

    Soma 20 x 20 um; one lumped basal dendrite 150 um x 2 um (2 segments); apical trunk
    250 um x 2.5 um (3 segments) and tuft 150 um x 1.5 um (2 segments). Passive
    membrane of Mainen & Sejnowski 1996 (Nature 382:363) without spines: Rm 30 kOhm cm2,
    Cm 0.75 uF/cm2, Ra 150 Ohm cm, E_leak -70 mV, E_Na 60 mV, E_K -90 mV.

    Channels are the package's (``mechanisms/nat.mod``, ``kdr.mod``, ``km.mod``: the
    Mainen et al. 1995 / Mainen & Sejnowski 1996 kinetics, all following the divalent
    screening interface). A reduced cell has no axon initial segment, so the soma holds
    the spike-generating densities: NaT ``gna_soma_S_cm2`` and Kdr ``gkdr_soma_S_cm2``;
    the slow M-type K+ ``gkm_soma_S_cm2`` gives the spike-frequency adaptation of
    regular-spiking cells (Mainen & Sejnowski's 0.1 pS/um2 is too small to adapt a cell
    without their Ca2+-activated K+ current). The dendrites carry NaT at the published
    20 pS/um2, so NMDA conductances there act mostly through their own voltage
    dependence.

    Slow afterhyperpolarisation: Km relaxes in 10-20 ms at 34 degC, so the slow
    adaptation of pyramidal cells, the Ca2+-activated K+ current behind the slow AHP
    (time constant of hundreds of ms to seconds; Madison & Nicoll 1984, J Physiol
    354:319), is modelled in the reduced form of conductance-based adaptation: every
    spike adds ``sahp_g_uS`` to a somatic K+ conductance (E_K) that decays with
    ``sahp_tau_ms`` (a spike-triggered ``ExpSyn``). It ends population bursts together
    with synaptic depression and sets, with it, the interval between bursts.

    With the defaults the cell rests at -72.6 mV (1 mM Mg, 2 mM Ca, 34 degC) with an
    input resistance of 450 MOhm; rheobase (1 s step) is 30-40 pA and it fires 22-97
    spikes/s for 0.04-0.3 nA without the slow AHP.
    """
    return CellSpec(
        name="pyramidal",
        sections=(
            SectionSpec("soma", 20.0, 20.0, 1),
            SectionSpec("basal", 150.0, 2.0, 2, "soma", 0.0),
            SectionSpec("apical", 250.0, 2.5, 3, "soma", 1.0),
            SectionSpec("tuft", 150.0, 1.5, 2, "apical", 1.0),
        ),
        mechanisms=(
            MechanismSpec("NaT", ("soma",), (("gbar", gna_soma_S_cm2),)),
            MechanismSpec("Kdr", ("soma",), (("gbar", gkdr_soma_S_cm2),)),
            MechanismSpec("Km", ("soma",), (("gbar", gkm_soma_S_cm2),)),
            MechanismSpec("NaT", ("basal", "apical", "tuft"), (("gbar", 0.002),)),
        ),
        cm_uF_cm2=0.75,
        ra_ohm_cm=150.0,
        g_pas_S_cm2=1.0 / 30000.0,
        e_pas_mV=-70.0,
        sahp_g_uS=sahp_g_uS,
        sahp_tau_ms=sahp_tau_ms,
    )


def basket_cell(gna_S_cm2: float = 0.05, gkdr_S_cm2: float = 0.05) -> CellSpec:
    """A fast-spiking basket cell: one compartment, 20 x 20 um.

    NaT and Kdr (``mechanisms/nat.mod``, ``kdr.mod``) at spike-generating densities and
    no M current, so the cell fires without adaptation (53-120 Hz for 0.04-0.3 nA);
    Rm 10 kOhm cm2 (a leakier membrane than the pyramidal cells' 30 kOhm cm2), Cm
    0.75 uF/cm2, E_leak -70 mV. Rests at -73.4 mV with an input resistance of 510 MOhm.
    """
    return CellSpec(
        name="basket",
        sections=(SectionSpec("soma", 20.0, 20.0, 1),),
        mechanisms=(
            MechanismSpec("NaT", ("soma",), (("gbar", gna_S_cm2),)),
            MechanismSpec("Kdr", ("soma",), (("gbar", gkdr_S_cm2),)),
        ),
        cm_uF_cm2=0.75,
        g_pas_S_cm2=1e-4,
        e_pas_mV=-70.0,
    )


# ----------------------------------------------------------------------------- wiring


@dataclass(frozen=True)
class Pathway:
    """Connections from one population onto another.

    Parameters
    ----------
    pre, post : str
        ``"excitatory"`` or ``"inhibitory"``.
    indegree : int
        Presynaptic partners of every postsynaptic cell, drawn without replacement (no
        autapses).
    synapse : SynapseSpec
        The synapse of each connection (one point process per connection, so each has
        its own short-term depression).
    sections : tuple of str
        Postsynaptic sections a connection may land on (uniform in membrane area).
    delay_ms : (float, float)
        Conduction delays are uniform in this range (ms); the minimum must be > 0.
    """

    pre: str
    post: str
    indegree: int
    synapse: SynapseSpec
    sections: tuple[str, ...] = ("soma",)
    delay_ms: tuple[float, float] = (1.0, 3.0)

    @property
    def name(self) -> str:
        return f"{self.pre[0].upper()}{self.post[0].upper()}"


@dataclass(frozen=True)
class Background:
    """Poisson background drive of one population: one synapse per cell.

    The sum of many independent Poisson inputs on one site is one Poisson input at the
    summed rate, and the synapse is linear in its events, so one ``NetStim`` per cell
    stands for the whole external input.

    Parameters
    ----------
    rate_hz : float
        Summed rate of the external input of one cell (Hz).
    synapse : SynapseSpec
        The synapse it drives.
    section : str
        Section carrying the synapse (at its middle).
    """

    rate_hz: float
    synapse: SynapseSpec
    section: str = "soma"


#: Background synapses: AMPA only, no short-term dynamics, release independent of the
#: bath, so the external drive is the same in every condition.
_STATIC = ReleaseSpec(U=1.0, tau_rec_ms=0.0, tau_facil_ms=0.0, model="none")


@dataclass(frozen=True)
class NetworkSpec:
    """Description of the network (picklable; no NEURON objects).

    Parameters
    ----------
    n_exc, n_inh : int
        Numbers of pyramidal and basket cells.
    exc_cell, inh_cell : CellSpec
        Cell types.
    pathways : tuple of Pathway
        Recurrent connections.
    background : tuple of (str, Background)
        External drive per population.
    seed : int
        Seed of the connectivity, delays, synapse locations and background streams.
    threshold_mV : float
        Somatic voltage crossing that counts as a spike (mV).
    """

    n_exc: int = 80
    n_inh: int = 20
    exc_cell: CellSpec = field(default_factory=pyramidal_cell)
    inh_cell: CellSpec = field(default_factory=basket_cell)
    pathways: tuple[Pathway, ...] = ()
    background: tuple[tuple[str, Background], ...] = ()
    seed: int = 1
    threshold_mV: float = -10.0

    def __post_init__(self) -> None:
        if self.n_exc < 2 or self.n_inh < 1:
            raise NetworkError(f"need n_exc >= 2 and n_inh >= 1, got {self.n_exc}, {self.n_inh}")
        if not 0 <= self.seed < 2**32:
            raise NetworkError(f"seed must be an unsigned 32-bit integer, got {self.seed}")
        for pw in self.pathways:
            for pop in (pw.pre, pw.post):
                if pop not in (EXC, INH):
                    raise NetworkError(
                        f"pathway population must be {EXC!r} or {INH!r}, got {pop!r}"
                    )
            n_pre = self.size(pw.pre) - (1 if pw.pre == pw.post else 0)
            if not 0 <= pw.indegree <= n_pre:
                raise NetworkError(
                    f"pathway {pw.name}: indegree {pw.indegree} must be in [0, {n_pre}] "
                    f"for {self.size(pw.pre)} presynaptic cells"
                )
            if not 0 < pw.delay_ms[0] <= pw.delay_ms[1]:
                raise NetworkError(
                    f"pathway {pw.name}: delays must satisfy 0 < min <= max ms, got {pw.delay_ms}"
                )
            cell = self.cell(pw.post)
            bad = [s for s in pw.sections if s not in cell.section_names]
            if bad:
                raise NetworkError(
                    f"pathway {pw.name}: sections {bad} do not exist in cell {cell.name!r} "
                    f"(sections: {', '.join(cell.section_names)})"
                )
        for pop, bg in self.background:
            if pop not in (EXC, INH):
                raise NetworkError(f"background population must be {EXC!r} or {INH!r}")
            if bg.section not in self.cell(pop).section_names:
                raise NetworkError(f"background section {bg.section!r} not in {pop} cells")
            if bg.rate_hz < 0:
                raise NetworkError(f"background rate must be >= 0 Hz, got {bg.rate_hz}")

    # -- sizes and gids ---------------------------------------------------------------
    @property
    def n_cells(self) -> int:
        return self.n_exc + self.n_inh

    def size(self, population: str) -> int:
        return self.n_exc if population == EXC else self.n_inh

    def cell(self, population: str) -> CellSpec:
        return self.exc_cell if population == EXC else self.inh_cell

    def gid_offset(self, population: str) -> int:
        return 0 if population == EXC else self.n_exc

    def population_of(self, gid: int) -> str:
        return EXC if gid < self.n_exc else INH

    # -- variants ---------------------------------------------------------------------
    def with_(self, **changes: Any) -> NetworkSpec:
        """A copy with fields changed."""
        return replace(self, **changes)

    def scaled(self, nmda: float = 1.0, gaba: float = 1.0) -> NetworkSpec:
        """A copy with the NMDA and GABA-A conductances of every synapse scaled.

        ``nmda=0`` is a saturating NMDA antagonist (D-APV), ``gaba=0`` a GABA-A
        antagonist (bicuculline). AMPA is left unchanged.
        """
        if nmda < 0 or gaba < 0:
            raise NetworkError(f"scale factors must be >= 0, got nmda={nmda}, gaba={gaba}")
        pathways = tuple(
            replace(pw, synapse=_scale(pw.synapse, nmda, gaba)) for pw in self.pathways
        )
        background = tuple(
            (pop, replace(bg, synapse=_scale(bg.synapse, nmda, gaba)))
            for pop, bg in self.background
        )
        return replace(self, pathways=pathways, background=background)

    def as_dict(self) -> dict:
        """Plain-dict view (for the HDF5 parameters)."""
        from dataclasses import asdict

        return asdict(self)


def _scale(spec: SynapseSpec, nmda: float, gaba: float) -> SynapseSpec:
    if spec.kind == "gaba_a":
        return spec.with_(gmax_uS=spec.gmax_uS * gaba)
    # GluSynMg: g_nmda = gmax * nmda_ratio, so scaling the ratio scales NMDA alone.
    ratio = dict(spec.params).get("nmda_ratio", 0.5)
    return spec.with_(params={"nmda_ratio": ratio * nmda})


#: Parameters of :func:`default_network` (units in the names; k_* are in-degrees).
#: Tuned so that 1 mM Mg2+ / 2 mM Ca2+ gives asynchronous firing at 1-2 Hz (E) and
#: removing Mg2+ gives recurrent population bursts (see the module docstring):
#:
#: * ``g_ee_uS`` 1.5 nS AMPA peak per full release, ``nmda_ratio`` 1.0: the NMDA peak
#:   conductance equals the AMPA one (GluSynMg's own default is 0.5); with the 65 ms NMDA
#:   decay the unblocked NMDA charge is 32 times the AMPA charge (1.9 times at -65 mV in
#:   1 mM Mg2+), the recurrent gain that makes the network burst once Mg2+ is gone. A
#:   unitary E->E EPSP is 2.6-2.8 mV at the soma in 1 mM Mg2+ (cell at -72.6 mV, input
#:   resistance 450 MOhm): large, because each of the 8 recurrent inputs of this small
#:   network stands for several connections of a real one. Without Mg2+ the NMDA part of
#:   a single connection fires a resting cell;
#: * ``nmda_ratio_ei`` 0.2: fast-spiking interneurons carry few NMDA receptors;
#: * ``g_ie_uS`` 6 nS: strong perisomatic (basket) inhibition, as in inhibition-
#:   stabilised cortical networks;
#: * in-degrees 8 (E->E, p = 0.1), 16 (E->I, p = 0.2), 8 (I->E, p = 0.4), 6 (I->I):
#:   sparse E->E and dense local inhibition, the usual cortical proportions;
#: * background: 200 Hz x 0.8 nS onto each pyramidal cell, 100 Hz x 0.4 nS onto each
#:   basket cell (AMPA, static): alone it drives pyramidal cells at ~2 Hz;
#: * ``gkm_exc_S_cm2`` somatic M current; ``sahp_g_uS`` / ``sahp_tau_ms`` the slow AHP of
#:   :func:`pyramidal_cell` (1.5 nS per spike, 250 ms).
DEFAULT_PARAMETERS: dict[str, float] = {
    "g_ee_uS": 0.0015,
    "g_ei_uS": 0.002,
    "g_ie_uS": 0.006,
    "g_ii_uS": 0.002,
    "nmda_ratio": 1.0,
    "nmda_ratio_ei": 0.2,
    "k_ee": 8,
    "k_ei": 16,
    "k_ie": 8,
    "k_ii": 6,
    "bg_rate_exc_hz": 200.0,
    "bg_rate_inh_hz": 100.0,
    "g_bg_exc_uS": 0.0008,
    "g_bg_inh_uS": 0.0004,
    "gkm_exc_S_cm2": 5e-4,
    "sahp_g_uS": 0.0015,
    "sahp_tau_ms": 250.0,
}


def default_network(
    n_exc: int = 80,
    n_inh: int = 20,
    seed: int = 1,
    **overrides: float,
) -> NetworkSpec:
    """The network of the low-Mg protocol.

    Parameters
    ----------
    n_exc, n_inh : int
        Population sizes (defaults 80 and 20, the 4:1 cortical ratio). In-degrees are
        capped at the population sizes, so smaller networks keep their wiring density
        only while the populations are larger than the in-degrees.
    seed : int
        Connectivity, synapse placement, delays and background seed.
    **overrides : float
        Any key of :data:`DEFAULT_PARAMETERS`.

    Returns
    -------
    NetworkSpec
    """
    p = dict(DEFAULT_PARAMETERS)
    unknown = set(overrides) - set(p)
    if unknown:
        raise NetworkError(f"unknown network parameters {sorted(unknown)}; known: {sorted(p)}")
    p.update(overrides)
    k_ie = min(int(p["k_ie"]), n_inh)
    k_ii = min(int(p["k_ii"]), n_inh - 1)
    pathways = (
        Pathway(
            EXC,
            EXC,
            min(int(p["k_ee"]), n_exc - 1),
            glutamatergic(p["g_ee_uS"], p["nmda_ratio"]),
            ("basal", "apical", "tuft"),
        ),
        Pathway(
            EXC,
            INH,
            min(int(p["k_ei"]), n_exc),
            glutamatergic(p["g_ei_uS"], p["nmda_ratio_ei"]),
            ("soma",),
        ),
        Pathway(INH, EXC, k_ie, gabaergic(p["g_ie_uS"]), ("soma",), (0.8, 1.5)),
        Pathway(INH, INH, k_ii, gabaergic(p["g_ii_uS"]), ("soma",), (0.8, 1.5)),
    )
    background = (
        (
            EXC,
            Background(p["bg_rate_exc_hz"], glutamatergic(p["g_bg_exc_uS"], 0.0, _STATIC), "soma"),
        ),
        (
            INH,
            Background(p["bg_rate_inh_hz"], glutamatergic(p["g_bg_inh_uS"], 0.0, _STATIC), "soma"),
        ),
    )
    return NetworkSpec(
        n_exc=n_exc,
        n_inh=n_inh,
        exc_cell=pyramidal_cell(
            gkm_soma_S_cm2=p["gkm_exc_S_cm2"],
            sahp_g_uS=p["sahp_g_uS"],
            sahp_tau_ms=p["sahp_tau_ms"],
        ),
        pathways=pathways,
        background=background,
        seed=seed,
    )


@dataclass(frozen=True)
class Connections:
    """The drawn connection table of one pathway (the same on every rank).

    Attributes
    ----------
    pathway : Pathway
    pre_gid, post_gid : ndarray of int
        Presynaptic and postsynaptic gids of each connection.
    delay_ms : ndarray of float
    section : ndarray of int
        Index into ``pathway.sections``.
    x : ndarray of float
        Position along that section (0-1).
    """

    pathway: Pathway
    pre_gid: np.ndarray
    post_gid: np.ndarray
    delay_ms: np.ndarray
    section: np.ndarray
    x: np.ndarray

    def __len__(self) -> int:
        return len(self.pre_gid)


def draw_connections(spec: NetworkSpec) -> list[Connections]:
    """Draw every pathway's connections from ``spec.seed`` (pure; identical on all ranks).

    Each postsynaptic cell gets exactly ``indegree`` distinct presynaptic partners (no
    autapses); synapses land on the pathway's sections with probability proportional to
    their membrane area, uniformly along the section; delays are uniform in
    ``delay_ms``. Pathway ``k`` uses the stream ``SeedSequence([seed, k])``.
    """
    out = []
    for k, pw in enumerate(spec.pathways):
        rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 1000 + k]))
        n_pre, n_post = spec.size(pw.pre), spec.size(pw.post)
        pre_off, post_off = spec.gid_offset(pw.pre), spec.gid_offset(pw.post)
        same = pw.pre == pw.post
        pre, post = [], []
        for j in range(n_post):
            candidates = np.arange(n_pre)
            if same:
                candidates = candidates[candidates != j]
            chosen = np.sort(rng.choice(candidates, size=pw.indegree, replace=False))
            pre.append(chosen + pre_off)
            post.append(np.full(pw.indegree, j + post_off))
        pre_a = np.concatenate(pre).astype(np.int64) if pre else np.zeros(0, np.int64)
        post_a = np.concatenate(post).astype(np.int64) if post else np.zeros(0, np.int64)
        n = len(pre_a)
        cell = spec.cell(pw.post)
        geo = {s.name: s for s in cell.sections}
        area = np.array([geo[s].length_um * geo[s].diam_um for s in pw.sections], float)
        section = rng.choice(len(pw.sections), size=n, p=area / area.sum())
        x = rng.uniform(0.0, 1.0, size=n)
        delay = rng.uniform(pw.delay_ms[0], pw.delay_ms[1], size=n)
        out.append(Connections(pw, pre_a, post_a, delay, section.astype(np.int64), x))
    return out


# ----------------------------------------------------------------------------- NEURON side


class _Cell:
    """One instantiated reduced cell (sections by name)."""

    def __init__(self, spec: CellSpec, gid: int):
        from neuron import h

        self.gid = gid
        self.secs: dict[str, Any] = {}
        for s in spec.sections:
            sec = h.Section(name=f"{spec.name}[{gid}].{s.name}")
            sec.L, sec.diam, sec.nseg = s.length_um, s.diam_um, s.nseg
            sec.cm, sec.Ra = spec.cm_uF_cm2, spec.ra_ohm_cm
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = spec.g_pas_S_cm2, spec.e_pas_mV
            self.secs[s.name] = sec
        for s in spec.sections[1:]:
            self.secs[s.name].connect(self.secs[s.parent](s.parent_x), 0.0)
        for m in spec.mechanisms:
            for name in m.sections:
                sec = self.secs[name]
                sec.insert(m.name)
                for pname, value in m.params:
                    for seg in sec:
                        setattr(getattr(seg, m.name), pname, value)
        for sec in self.secs.values():
            if sec.has_membrane("na_ion"):
                sec.ena = spec.ena_mV
            if sec.has_membrane("k_ion"):
                sec.ek = spec.ek_mV
        self.soma = self.secs[spec.sections[0].name]


class Network:
    """The part of a network built on this rank. Create with :func:`build`.

    Attributes
    ----------
    spec : NetworkSpec
    rank, nhost : int
        This process's rank and the number of ranks the cells are spread over.
    gids : list of int
        Gids built here.
    n_synapses : int
        Recurrent synapses built here.
    """

    def __init__(self, spec: NetworkSpec, pc, rank: int, nhost: int):
        from mgneuron.parallel import RankInfo, local_gids

        self.spec = spec
        self.pc = pc
        self.rank = rank
        self.nhost = nhost
        self.gids = local_gids(spec.n_cells, RankInfo(rank, nhost, nhost > 1))
        self.cells: dict[int, _Cell] = {}
        self._keep: list = []
        self._tvec = None
        self._idvec = None
        self.n_synapses = 0
        self._cleared = False

    # -- running ----------------------------------------------------------------------
    def sections(self) -> list:
        """Every section built on this rank."""
        return [sec for cell in self.cells.values() for sec in cell.secs.values()]

    def run(self, settings, bath=None) -> float:
        """Initialise and integrate to ``settings.tstop`` (on every rank at once).

        Parameters
        ----------
        settings : mgneuron.simulation.RunSettings
            dt, tstop, celsius, v_init; fixed steps (the network refuses CVODE).
        bath : mgneuron.environment.Environment, optional
            Applied to every section of this network before initialisation.

        Returns
        -------
        float
            Wall time of initialisation and integration (s).
        """
        import time

        from mgneuron.simulation import run

        if settings.cvode:
            raise NetworkError("the network runs with fixed time steps (cvode=False)")
        sections = self.sections()
        start = time.perf_counter()
        run(settings, before_init=None if bath is None else (lambda: bath.apply(sections)))
        return time.perf_counter() - start

    def local_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Spike times (ms) and gids recorded on this rank."""
        return np.asarray(self._tvec, float), np.asarray(self._idvec, np.int64)

    def spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
        """Spikes of all ranks per population, ``{name: (times_ms, node_ids)}``, on rank 0.

        Node ids count from 0 within each population (SONATA), sorted by time then id.
        Collective: every rank must call it; ranks other than 0 get None.
        """
        from mgneuron.parallel import gather_spikes

        if self.nhost > 1:
            gathered = gather_spikes(self._tvec, self._idvec)
            if gathered is None:
                return None
            t, g = gathered
        else:
            t, g = self.local_spikes()
            order = np.lexsort((g, t))
            t, g = t[order], g[order]
        exc = g < self.spec.n_exc
        return {EXC: (t[exc], g[exc]), INH: (t[~exc], g[~exc] - self.spec.n_exc)}

    def clear(self) -> None:
        """Release the gids and drop every NEURON object of this network."""
        if self._cleared:
            return
        self.pc.gid_clear()
        self._keep.clear()
        self.cells.clear()
        self._tvec = self._idvec = None
        self._cleared = True

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc) -> None:
        self.clear()


def build(spec: NetworkSpec, info=None) -> Network:
    """Instantiate the cells this rank owns, their synapses, connections and background.

    Parameters
    ----------
    spec : NetworkSpec
    info : mgneuron.parallel.RankInfo, optional
        This process's rank and the number of ranks the cells are dealt over; default
        :func:`mgneuron.parallel.rank_info` (rank 0 of 1 outside an MPI lockstep run).

    Returns
    -------
    Network
        Call :meth:`Network.clear` (or use it as a context manager) when done.
    """
    from neuron import h

    from mgneuron.mechanisms import require
    from mgneuron.parallel import rank_info
    from mgneuron.synapses import instantiate

    require()
    info = rank_info() if info is None else info
    rank, nhost = int(info.rank), int(info.nhost)
    if not 0 <= rank < nhost:
        raise NetworkError(f"rank {rank} must be in [0, {nhost})")
    pc = h.ParallelContext()
    net = Network(spec, pc, rank, nhost)
    try:
        # 1. Cells, each registered with its gid and a spike detector at the soma.
        for gid in net.gids:
            pop = spec.population_of(gid)
            cell = _Cell(spec.cell(pop), gid)
            net.cells[gid] = cell
            pc.set_gid2node(gid, rank)
            det = h.NetCon(cell.soma(0.5)._ref_v, None, sec=cell.soma)
            det.threshold = spec.threshold_mV
            pc.cell(gid, det)
            net._keep.append(det)
            cellspec = spec.cell(pop)
            if cellspec.sahp_g_uS > 0:
                # Spike-triggered slow AHP conductance (see pyramidal_cell).
                ahp = h.ExpSyn(cell.soma(0.5))
                ahp.e, ahp.tau = cellspec.ek_mV, cellspec.sahp_tau_ms
                nc = pc.gid_connect(gid, ahp)
                nc.weight[0], nc.delay = cellspec.sahp_g_uS, 1.0
                net._keep.extend((ahp, nc))
        # 2. Recurrent connections onto the cells of this rank.
        index = {gid: 0 for gid in net.gids}
        for conns in draw_connections(spec):
            pw = conns.pathway
            for i in range(len(conns)):
                post = int(conns.post_gid[i])
                cell = net.cells.get(post)
                if cell is None:
                    continue
                seg = cell.secs[pw.sections[conns.section[i]]](float(conns.x[i]))
                syn = instantiate(pw.synapse, seg, seed=spec.seed, gid=post, index=index[post])
                index[post] += 1
                nc = pc.gid_connect(int(conns.pre_gid[i]), syn.pp)
                nc.weight[0] = 1.0
                nc.delay = float(conns.delay_ms[i])
                net._keep.extend((syn, nc))
                net.n_synapses += 1
        # 3. Background: one Poisson NetStim per cell; its Random123 stream
        #    (seed, gid, BACKGROUND_STREAM) never meets a synapse's (seed, gid, index).
        backgrounds = dict(spec.background)
        for gid, cell in net.cells.items():
            bg = backgrounds.get(spec.population_of(gid))
            if bg is None or bg.rate_hz <= 0:
                continue
            syn = instantiate(
                bg.synapse, cell.secs[bg.section](0.5), seed=spec.seed, gid=gid, index=index[gid]
            )
            index[gid] += 1
            stim = h.NetStim()
            stim.start, stim.number, stim.noise = 0.0, 1e9, 1.0
            stim.interval = 1000.0 / bg.rate_hz
            stim.ranvar.set_ids(spec.seed, gid, BACKGROUND_STREAM)
            nc = h.NetCon(stim, syn.pp)
            nc.weight[0], nc.delay = 1.0, 0.0
            net._keep.extend((syn, stim, nc))
        # 4. Spike recording of every local gid.
        net._tvec, net._idvec = h.Vector(), h.Vector()
        pc.spike_record(-1, net._tvec, net._idvec)
    except BaseException:
        net.clear()
        raise
    return net


# ----------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class Burst:
    """One population burst: start and stop (ms), participating fraction, peak rate (Hz)."""

    start_ms: float
    stop_ms: float
    participation: float
    peak_rate_hz: float

    @property
    def duration_ms(self) -> float:
        return self.stop_ms - self.start_ms


def population_rate(
    times_ms: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float = 1.0,
    smooth_ms: float = 10.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Population rate per cell (Hz), binned and smoothed with a Gaussian kernel.

    Parameters
    ----------
    times_ms : array of float
        Spike times of the population (ms).
    n_cells : int
        Number of cells of the population.
    t_start_ms, t_stop_ms : float
        Window (ms).
    bin_ms : float
        Bin width (ms).
    smooth_ms : float
        Standard deviation of the Gaussian kernel (ms); 0 for none.

    Returns
    -------
    (t_ms, rate_hz) : ndarrays
        Bin centres (ms) and rate per cell (Hz).
    """
    if n_cells <= 0 or t_stop_ms <= t_start_ms or bin_ms <= 0:
        raise NetworkError("need n_cells > 0, t_stop_ms > t_start_ms and bin_ms > 0")
    n_bins = max(1, int(round((t_stop_ms - t_start_ms) / bin_ms)))
    edges = t_start_ms + bin_ms * np.arange(n_bins + 1)
    counts, _ = np.histogram(np.asarray(times_ms, float), bins=edges)
    rate = counts / (n_cells * bin_ms * 1e-3)
    if smooth_ms > 0:
        half = int(math.ceil(4 * smooth_ms / bin_ms))
        k = np.exp(-0.5 * (np.arange(-half, half + 1) * bin_ms / smooth_ms) ** 2)
        k /= k.sum()
        # Normalise by the kernel mass inside the window so the edges are not depressed.
        rate = np.convolve(rate, k, mode="same") / np.convolve(np.ones(n_bins), k, mode="same")
    return 0.5 * (edges[:-1] + edges[1:]), rate


def detect_bursts(
    times_ms: np.ndarray,
    node_ids: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    threshold_hz: float = 20.0,
    edge_fraction: float = 0.5,
    merge_ms: float = 50.0,
    min_duration_ms: float = 20.0,
    min_participation: float = 0.2,
    bin_ms: float = 1.0,
    smooth_ms: float = 10.0,
) -> list[Burst]:
    """Population bursts: epochs in which much of the population fires at a high rate.

    The population rate per cell (:func:`population_rate`) must exceed ``threshold_hz``;
    each such epoch is widened to where the rate falls below ``edge_fraction *
    threshold_hz``, epochs closer than ``merge_ms`` are merged, and an epoch counts as a
    burst when it lasts at least ``min_duration_ms`` and at least ``min_participation``
    of the cells fire in it. Asynchronous firing at a few Hz never reaches the
    threshold: the smoothed rate of 100 cells at 5 Hz fluctuates by ~1-2 Hz.

    Parameters
    ----------
    times_ms, node_ids : arrays
        Spikes of the population (ms; node ids 0..n_cells-1).
    n_cells : int
    t_start_ms, t_stop_ms : float
        Analysis window (ms).
    threshold_hz : float
        Onset threshold of the per-cell population rate (Hz).
    edge_fraction : float
        Burst edges are where the rate falls below this fraction of the threshold.
    merge_ms : float
        Bursts separated by less than this are one burst (ms).
    min_duration_ms : float
        Shorter epochs are not bursts (ms).
    min_participation : float
        Minimal fraction of cells spiking in a burst (0-1).
    bin_ms, smooth_ms : float
        Rate estimation (ms), see :func:`population_rate`.

    Returns
    -------
    list of Burst
        In time order.
    """
    times_ms = np.asarray(times_ms, float)
    node_ids = np.asarray(node_ids, np.int64)
    t, rate = population_rate(times_ms, n_cells, t_start_ms, t_stop_ms, bin_ms, smooth_ms)
    above = rate > threshold_hz
    if not above.any():
        return []
    edge = rate > edge_fraction * threshold_hz
    # Epochs of the edge mask that contain at least one supra-threshold bin.
    d = np.diff(np.concatenate(([0], edge.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    epochs = [(a, b) for a, b in zip(starts, stops, strict=True) if above[a:b].any()]
    merged: list[list[int]] = []
    gap_bins = merge_ms / bin_ms
    for a, b in epochs:
        if merged and a - merged[-1][1] < gap_bins:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    half = 0.5 * bin_ms
    bursts = []
    for a, b in merged:
        t0, t1 = t[a] - half, t[b - 1] + half
        if t1 - t0 < min_duration_ms:
            continue
        inside = (times_ms >= t0) & (times_ms < t1)
        frac = len(np.unique(node_ids[inside])) / n_cells
        if frac < min_participation:
            continue
        bursts.append(Burst(float(t0), float(t1), float(frac), float(rate[a:b].max())))
    return bursts


def synchrony_index(
    times_ms: np.ndarray,
    node_ids: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float = 10.0,
) -> float:
    """Golomb's synchrony measure chi of binned spike counts (0 asynchronous - 1 synchronous).

    ``chi**2 = var_t(mean_i x_i(t)) / mean_i var_t(x_i(t))`` with ``x_i`` the spike count
    of cell i in bins of ``bin_ms`` (Golomb & Rinzel 1993, Physica D 72:259; Golomb 2007,
    Scholarpedia 2:1347). For independent cells chi ~ 1/sqrt(N); for identical trains
    chi = 1. Returns NaN when no cell fires.

    Parameters
    ----------
    times_ms, node_ids : arrays
        Spikes (ms; node ids 0..n_cells-1).
    n_cells : int
    t_start_ms, t_stop_ms : float
        Window (ms).
    bin_ms : float
        Bin width (ms).
    """
    n_bins = max(1, int(round((t_stop_ms - t_start_ms) / bin_ms)))
    times_ms = np.asarray(times_ms, float)
    node_ids = np.asarray(node_ids, np.int64)
    keep = (times_ms >= t_start_ms) & (times_ms < t_stop_ms)
    b = np.minimum(((times_ms[keep] - t_start_ms) / bin_ms).astype(np.int64), n_bins - 1)
    x = np.zeros((n_cells, n_bins))
    np.add.at(x, (node_ids[keep], b), 1.0)
    denom = x.var(axis=1).mean()
    if denom == 0:
        return float("nan")
    return float(math.sqrt(x.mean(axis=0).var() / denom))


def network_features(
    spikes: dict[str, tuple[np.ndarray, np.ndarray]],
    spec: NetworkSpec,
    t_start_ms: float,
    t_stop_ms: float,
    **burst_options: float,
) -> tuple[dict[str, float], list[Burst]]:
    """The protocol's measures from the spikes of both populations.

    Bursts and synchrony are measured on the excitatory population.

    Returns
    -------
    (features, bursts)
        ``rate_exc_hz, rate_inh_hz`` (mean per cell), ``n_bursts``, ``burst_rate_hz``
        (bursts per second), ``burst_duration_ms`` (mean; NaN without bursts),
        ``burst_fraction`` (fraction of the window inside bursts), ``burst_participation``
        (mean fraction of cells in a burst; NaN without bursts), ``ibi_ms`` (mean
        interval between burst onsets; NaN with fewer than two bursts), ``synchrony``
        (chi), ``n_spikes_exc``, ``n_spikes_inh`` (whole run).
    """
    window_s = (t_stop_ms - t_start_ms) * 1e-3
    feats: dict[str, float] = {}
    for pop, label in ((EXC, "exc"), (INH, "inh")):
        t, _ = spikes[pop]
        inside = (t >= t_start_ms) & (t < t_stop_ms)
        feats[f"rate_{label}_hz"] = float(inside.sum() / (spec.size(pop) * window_s))
        feats[f"n_spikes_{label}"] = int(len(t))
    t, ids = spikes[EXC]
    bursts = detect_bursts(t, ids, spec.n_exc, t_start_ms, t_stop_ms, **burst_options)
    dur = np.array([b.duration_ms for b in bursts])
    feats["n_bursts"] = len(bursts)
    feats["burst_rate_hz"] = len(bursts) / window_s
    feats["burst_duration_ms"] = float(dur.mean()) if len(dur) else float("nan")
    feats["burst_fraction"] = float(dur.sum() / (t_stop_ms - t_start_ms))
    feats["burst_participation"] = (
        float(np.mean([b.participation for b in bursts])) if bursts else float("nan")
    )
    starts = np.array([b.start_ms for b in bursts])
    feats["ibi_ms"] = float(np.diff(starts).mean()) if len(starts) > 1 else float("nan")
    feats["synchrony"] = synchrony_index(t, ids, spec.n_exc, t_start_ms, t_stop_ms)
    return feats, bursts
