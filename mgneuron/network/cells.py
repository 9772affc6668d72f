"""The network's reduced cells: a few unbranched sections plus the package's biophysics.

The membrane of a reduced cell is an ordinary :class:`mgneuron.biophysics.Biophysics`
(region rules of :class:`~mgneuron.biophysics.RegionBiophysics` with
:class:`~mgneuron.biophysics.MechanismSpec`), inserted by the same
:func:`mgneuron.membrane.apply_biophysics` as the membrane of every reconstructed cell.
Only the geometry is the network's own: :class:`ReducedCellSpec` lists its sections
(:class:`SectionSpec`: length, diameter, a fixed number of segments, the region the
section belongs to) instead of a :class:`mgneuron.morphology.MorphologySpec`, because a
MorphologySpec is a reconstruction file read through Import3d and discretised by the
d_lambda rule (odd segment counts), which cannot give these cylinders their published
lengths, diameters and segment counts (2 in the basal dendrite and the tuft) without
changing the model. Hence the name: a ReducedCellSpec is not a
:class:`mgneuron.cell.CellSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mgneuron.biophysics import Biophysics, MechanismSpec, RegionBiophysics
from mgneuron.errors import MgNeuronError

__all__ = [
    "NetworkError",
    "SectionSpec",
    "ReducedCellSpec",
    "SECTION_REGIONS",
    "pyramidal_cell",
    "basket_cell",
]

#: Regions a section of a reduced cell may belong to (those of a morphology).
SECTION_REGIONS = ("soma", "axon", "basal", "apical", "custom")

_MS96 = (
    "Mainen ZF, Sejnowski TJ (1996) Influence of dendritic structure on firing pattern in "
    "model neocortical neurons. Nature 382:363-366.",
)


class NetworkError(MgNeuronError, ValueError):
    """A network description is inconsistent (sizes, pathways, sections)."""


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
        Number of segments.
    parent : str, optional
        Name of the parent section (None for the root).
    parent_x : float
        Where on the parent it attaches (0-1).
    region : str
        Region of the biophysics rules that reach it (one of :data:`SECTION_REGIONS`).
    """

    name: str
    length_um: float
    diam_um: float
    nseg: int = 1
    parent: str | None = None
    parent_x: float = 1.0
    region: str = "soma"


@dataclass(frozen=True)
class ReducedCellSpec:
    """A reduced cell: sections, their biophysics, and a spike-triggered slow AHP.

    Parameters
    ----------
    name : str
        Cell type name.
    sections : tuple of SectionSpec
        The first is the root (the soma, where spikes are detected).
    biophysics : Biophysics
        Passive membrane, channels and reversal potentials by region.
    sahp_g_uS : float
        Slow afterhyperpolarisation: K+ conductance added at the soma by every spike (uS);
        0 for none. See :func:`pyramidal_cell`.
    sahp_tau_ms : float
        Decay time constant of that conductance (ms).
    """

    name: str
    sections: tuple[SectionSpec, ...]
    biophysics: Biophysics
    sahp_g_uS: float = 0.0
    sahp_tau_ms: float = 500.0

    def __post_init__(self) -> None:
        """Check the sections, their regions and the slow AHP's reversal potential."""
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
        for s in self.sections:
            if s.region not in SECTION_REGIONS:
                raise NetworkError(
                    f"cell {self.name!r}: section {s.name!r} has region {s.region!r}; "
                    f"use one of {', '.join(SECTION_REGIONS)}"
                )
        if not isinstance(self.biophysics, Biophysics):
            raise NetworkError(f"cell {self.name!r}: biophysics must be a Biophysics")
        if self.sahp_g_uS > 0 and self.soma_reversal_mV("k") is None:
            raise NetworkError(
                f"cell {self.name!r}: the slow AHP needs E_K at the soma (an 'all' or "
                "'soma' rule with reversal_mV ('k', ...))"
            )

    @property
    def section_names(self) -> tuple[str, ...]:
        """Names of the sections, the root first."""
        return tuple(s.name for s in self.sections)

    def n_segments(self) -> int:
        """Count the compartments of one cell."""
        return sum(s.nseg for s in self.sections)

    def soma_reversal_mV(self, ion: str) -> float | None:
        """Return the reversal potential of ``ion`` the biophysics gives the soma (mV), or None."""
        value = None
        for rule in self.biophysics.regions:
            if rule.region in ("all", "soma"):
                value = dict(rule.reversal_mV).get(ion, value)
        return value


def _gbar(mechanism: str, value_S_cm2: float) -> MechanismSpec:
    return MechanismSpec(mechanism, (("gbar", value_S_cm2, "S/cm2"),))


def _membrane(
    name: str, cm: float, rm_ohm_cm2: float, soma: tuple, dendrite: tuple = (), refs=()
) -> Biophysics:
    """Everywhere: cm, Ra 150 Ohm cm, leak (E -70 mV), E_Na 60, E_K -90 mV; then channels."""
    everywhere = RegionBiophysics(
        "all",
        cm_uF_cm2=cm,
        Ra_ohm_cm=150.0,
        g_pas_S_cm2=1.0 / rm_ohm_cm2,
        e_pas_mV=-70.0,
        reversal_mV=(("na", 60.0), ("k", -90.0)),
    )
    rules = [everywhere, RegionBiophysics("soma", mechanisms=soma)]
    if dendrite:
        rules.append(RegionBiophysics("dendrite", mechanisms=dendrite))
    return Biophysics(name, tuple(rules), references=refs)


def pyramidal_cell(
    gna_soma_S_cm2: float = 0.05,
    gkdr_soma_S_cm2: float = 0.02,
    gkm_soma_S_cm2: float = 5e-4,
    sahp_g_uS: float = 0.0005,
    sahp_tau_ms: float = 500.0,
) -> ReducedCellSpec:
    """Describe a reduced layer-2/3 pyramidal cell, eight compartments.

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
    biophysics = _membrane(
        "network_pyramidal",
        cm=0.75,
        rm_ohm_cm2=30000.0,
        soma=(
            _gbar("NaT", gna_soma_S_cm2),
            _gbar("Kdr", gkdr_soma_S_cm2),
            _gbar("Km", gkm_soma_S_cm2),
        ),
        dendrite=(_gbar("NaT", 0.002),),
        refs=_MS96,
    )
    return ReducedCellSpec(
        name="pyramidal",
        sections=(
            SectionSpec("soma", 20.0, 20.0, 1),
            SectionSpec("basal", 150.0, 2.0, 2, "soma", 0.0, "basal"),
            SectionSpec("apical", 250.0, 2.5, 3, "soma", 1.0, "apical"),
            SectionSpec("tuft", 150.0, 1.5, 2, "apical", 1.0, "apical"),
        ),
        biophysics=biophysics,
        sahp_g_uS=sahp_g_uS,
        sahp_tau_ms=sahp_tau_ms,
    )


def basket_cell(gna_S_cm2: float = 0.05, gkdr_S_cm2: float = 0.05) -> ReducedCellSpec:
    """Describe a fast-spiking basket cell: one compartment, 20 x 20 um.

    NaT and Kdr (``mechanisms/nat.mod``, ``kdr.mod``) at spike-generating densities and
    no M current, so the cell fires without adaptation (53-120 Hz for 0.04-0.3 nA);
    Rm 10 kOhm cm2 (a leakier membrane than the pyramidal cells' 30 kOhm cm2), Cm
    0.75 uF/cm2, Ra 150 Ohm cm, E_leak -70 mV, E_Na 60 mV, E_K -90 mV. Rests at
    -73.4 mV with an input resistance of 510 MOhm.
    """
    biophysics = _membrane(
        "network_basket",
        cm=0.75,
        rm_ohm_cm2=10000.0,
        soma=(_gbar("NaT", gna_S_cm2), _gbar("Kdr", gkdr_S_cm2)),
    )
    return ReducedCellSpec(
        name="basket",
        sections=(SectionSpec("soma", 20.0, 20.0, 1),),
        biophysics=biophysics,
    )
