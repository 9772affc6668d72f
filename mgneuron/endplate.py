"""The neuromuscular junction as a description: muscle fibre, endplate, clinical Mg2+ levels.

Pure data (picklable, no NEURON); :mod:`mgneuron.preparations.muscle` builds it and the
``neuromuscular`` protocol measures it.

Muscle fibre (:class:`MuscleFibreSpec`): one cylindrical mammalian fibre, 50 um across
(rat/human limb fibres 40-60 um), 4 mm of it with the endplate in the middle, myoplasm
resistivity 125 Ohm cm, a specific capacitance of 2 uF/cm2 standing for the surface
membrane plus the part of the transverse tubules charged on the time scale of an
endplate potential (the surface alone has about 1 uF/cm2, surface plus tubules 4-6
uF/cm2 at slow time scales), a resting (mostly Cl-) conductance of 0.4 mS/cm2
reversing at -85 mV, and the Na+ and delayed-rectifier K+ channels of the mammalian
fibre model of Cannon, Brown & Corey 1993 (Biophys J 65:270; ``NaMus``, ``KdrMus``,
with the package's divalent surface-charge screening). E_Na +65 mV, E_K -95 mV.
Na+ channels are concentrated at the endplate: the Na+ current density of rat muscle
fibres is several times (about 5-10 fold) higher within some tens of um of the endplate
than far from it (Beam, Caldwell & Campbell 1985, Nature 313:588; Caldwell & Milton 1988,
J Physiol 401:145), which lowers the depolarisation an endplate potential needs to fire
the fibre and so raises the safety factor (Wood & Slater 1997, J Physiol 500:165: the
Na+ channels of the postsynaptic folds; review Wood & Slater 2001). The fibre carries
``na_enrichment`` (5) times the Na+ density over the ``na_zone_um`` (80 um) centred on
the endplate, a step profile (the measured density falls off gradually; 5-fold over
80 um is a mid value of those reports, not a fit).

A muscle action potential is counted when the potential 1 mm from the endplate crosses
-20 mV: a propagated impulse, not the endplate potential itself (which cannot pass the
receptors' reversal, 0 mV).

Endplate (:class:`EndplateSpec`): ``n_sites`` release sites whose release probability in
the reference bath (2 mM Ca, 1 mM Mg) is ``U``, so that the quantal content there is
``n_sites * U`` = 50, of the order of rat and mouse endplates (tens; Wood & Slater 2001,
Prog Neurobiol 64:393: about 20-100 depending on species and muscle; human endplates
fewer, Slater et al. 2006, Brain 129:2061). [Ca]o and [Mg]o act on release only through
the Dodge-Rahamimoff law of ``mechanisms/release.inc`` (K1, K2, n of
:data:`mgneuron.release.DODGE_RAHAMIMOFF`); Mg2+ lowers quantal content and leaves the
quantal size alone (del Castillo & Engbaek 1954, J Physiol 124:370). A quantum opens
``quantal_conductance_nS`` = 50 nS of nicotinic receptors (a miniature endplate current of
about 4 nA at rest, a miniature endplate potential of 0.79 mV in this fibre; mEPPs
of 0.5-1 mV at mammalian endplates, Wood & Slater 2001), with a 0.2 ms rise and a
1 ms decay (endplate currents decay with tau about 1-2 ms at room temperature, faster
at 37 degC), reversing at 0 mV. Depletion between impulses: Tsodyks-Markram with a
recovery time constant of 5 s (an assumption, not fitted to data: with U = 0.1 it makes
the 4th endplate potential of a 2 Hz train 0.83 of the first in the normal bath, a
run-down of the order seen at mammalian endplates; no facilitation at 0.5 s intervals).

Clinical Mg2+ levels (:data:`CLINICAL_SERUM_MG`): serum *total* magnesium during magnesium
sulfate therapy (Lu & Nightingale 2000, Clin Pharmacokinet 38:305, Table: therapeutic
4.8-8.4 mg/dL = 2-3.5 mmol/L; loss of patellar (deep tendon) reflexes 8-12 mg/dL =
3.5-5 mmol/L; respiratory paralysis 12-16 mg/dL = 5-6.5 mmol/L). Ionized (free) Mg2+ is
about 55-70 % of the total (the rest bound to proteins or complexed; Saris et al. 2000,
Clin Chim Acta 294:1). The model's [Mg]o is the free Mg2+ at the endplate, so a model
[Mg]o corresponds to a total serum level of [Mg]o / (0.55-0.70).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from mgneuron.errors import MgNeuronError
from mgneuron.release import DODGE_RAHAMIMOFF, ReleaseSpec

__all__ = [
    "MuscleFibreSpec",
    "EndplateSpec",
    "CLINICAL_SERUM_MG",
    "IONIZED_FRACTION",
    "MG_MOLAR_MASS",
    "mg_dl_to_mmol",
    "mmol_to_mg_dl",
    "total_from_ionized",
]

#: Molar mass of magnesium (g/mol): 1 mmol/L = 2.4305 mg/dL.
MG_MOLAR_MASS = 24.305

#: Ionized (free) fraction of total serum Mg2+ (Saris et al. 2000, Clin Chim Acta 294:1).
IONIZED_FRACTION = (0.55, 0.70)

#: Serum total Mg2+ (mmol/L, low-high) during MgSO4 therapy (Lu & Nightingale 2000,
#: Clin Pharmacokinet 38:305), with the mg/dL values that paper gives.
CLINICAL_SERUM_MG: dict[str, dict[str, Any]] = {
    "therapeutic": {"mmol_L": (2.0, 3.5), "mg_dL": (4.8, 8.4)},
    "loss_of_deep_tendon_reflexes": {"mmol_L": (3.5, 5.0), "mg_dL": (8.0, 12.0)},
    "respiratory_paralysis": {"mmol_L": (5.0, 6.5), "mg_dL": (12.0, 16.0)},
}


def mg_dl_to_mmol(mg_dl):
    """Convert serum magnesium from mg/dL to mmol/L (divide by 2.4305)."""
    return np.asarray(mg_dl, dtype=float) * 10.0 / MG_MOLAR_MASS


def mmol_to_mg_dl(mmol_l):
    """Convert serum magnesium from mmol/L to mg/dL (multiply by 2.4305)."""
    return np.asarray(mmol_l, dtype=float) * MG_MOLAR_MASS / 10.0


def total_from_ionized(ionized_mM: float) -> tuple[float, float]:
    """Total serum Mg2+ (mmol/L; high, low) holding a given free [Mg2+] (mM).

    ``ionized / 0.55`` and ``ionized / 0.70`` (:data:`IONIZED_FRACTION`).
    """
    lo, hi = IONIZED_FRACTION
    return float(ionized_mM / lo), float(ionized_mM / hi)


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not (math.isfinite(value) and value > 0):
            raise MgNeuronError(f"{owner}: {name} must be finite and > 0, got {value}")


@dataclass(frozen=True)
class MuscleFibreSpec:
    """A mammalian skeletal muscle fibre with its endplate in the middle (picklable).

    Parameters
    ----------
    length_um, diam_um : float
        Length and diameter of the modelled fibre (um).
    nseg : int
        Segments (odd, so that one is centred on the endplate).
    ra_ohm_cm : float
        Myoplasm resistivity (Ohm cm).
    cm_uF_cm2 : float
        Specific capacitance (uF/cm2).
    gna_S_cm2, gk_S_cm2 : float
        Peak Na+ (NaMus) and delayed-rectifier K+ (KdrMus) conductances (S/cm2).
    g_rest_S_cm2, e_rest_mV : float
        Resting (leak, mostly Cl-) conductance (S/cm2) and its reversal (mV).
    ena_mV, ek_mV : float
        Na+ and K+ reversal potentials (mV).
    detect_um : float
        Distance from the endplate where a propagated action potential is detected (um).
    detect_mV : float
        Detection threshold (mV).
    na_enrichment : float
        Na+ channel density in the endplate zone relative to ``gna_S_cm2`` (1); 1 gives a
        uniform fibre.
    na_zone_um : float
        Length of the fibre, centred on the endplate, with the enriched Na+ density (um).
    """

    length_um: float = 4000.0
    diam_um: float = 50.0
    nseg: int = 41
    ra_ohm_cm: float = 125.0
    cm_uF_cm2: float = 2.0
    gna_S_cm2: float = 0.15
    gk_S_cm2: float = 0.0216
    g_rest_S_cm2: float = 4e-4
    e_rest_mV: float = -85.0
    ena_mV: float = 65.0
    ek_mV: float = -95.0
    detect_um: float = 1000.0
    detect_mV: float = -20.0
    na_enrichment: float = 5.0
    na_zone_um: float = 80.0

    def __post_init__(self) -> None:
        """Check sizes and conductances (> 0) and that the detection site lies on the fibre."""
        _positive("MuscleFibreSpec", length_um=self.length_um, diam_um=self.diam_um,
                  ra_ohm_cm=self.ra_ohm_cm, cm_uF_cm2=self.cm_uF_cm2,
                  g_rest_S_cm2=self.g_rest_S_cm2)  # fmt: skip
        _positive("MuscleFibreSpec", na_enrichment=self.na_enrichment)
        if not (math.isfinite(self.na_zone_um) and 0 <= self.na_zone_um <= self.length_um):
            raise MgNeuronError(
                f"MuscleFibreSpec: na_zone_um must lie between 0 and the fibre length "
                f"({self.length_um:g} um), got {self.na_zone_um}"
            )
        if self.gna_S_cm2 < 0 or self.gk_S_cm2 < 0:
            raise MgNeuronError("MuscleFibreSpec: gna_S_cm2 and gk_S_cm2 must be >= 0")
        if int(self.nseg) != self.nseg or self.nseg < 3 or self.nseg % 2 == 0:
            raise MgNeuronError(
                f"MuscleFibreSpec: nseg must be an odd whole number >= 3, got {self.nseg}"
            )
        if not 0 < self.detect_um < self.length_um / 2:
            raise MgNeuronError(
                f"MuscleFibreSpec: detect_um must lie between 0 and half the fibre length "
                f"({self.length_um / 2:g} um), got {self.detect_um}"
            )

    @property
    def detect_x(self) -> float:
        """Normalised position of the detection site (the endplate is at 0.5)."""
        return 0.5 + self.detect_um / self.length_um

    def gna_per_segment(self, nseg: int | None = None) -> np.ndarray:
        """Return the Na+ conductance density of each segment (S/cm2), endplate zone included.

        A segment's density is ``gna_S_cm2 * (1 + (na_enrichment - 1) * f)`` with ``f`` the
        fraction of its length inside the zone, so the fibre holds exactly the channels of
        the step profile whatever the discretization (a zone narrower than a segment is
        spread over it).

        Parameters
        ----------
        nseg : int, optional
            Segments of the fibre (default ``self.nseg``).
        """
        n = int(self.nseg if nseg is None else nseg)
        edges = np.linspace(0.0, self.length_um, n + 1)
        lo = 0.5 * (self.length_um - self.na_zone_um)
        hi = lo + self.na_zone_um
        inside = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
        frac = inside / np.diff(edges)
        return self.gna_S_cm2 * (1.0 + (self.na_enrichment - 1.0) * frac)

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict view (for HDF5 parameters)."""
        return asdict(self)


@dataclass(frozen=True)
class EndplateSpec:
    """The endplate: quantal release (release.inc) onto nicotinic receptors (picklable).

    Parameters
    ----------
    n_sites : int
        Release sites (each at most one quantum per impulse).
    U : float
        Release probability per site in the reference bath (2 mM Ca, 1 mM Mg).
    quantal_conductance_nS : float
        Peak receptor conductance opened by one quantum (nS).
    tau_rise_ms, tau_decay_ms : float
        Rise and decay of the endplate conductance (ms).
    e_mV : float
        Reversal potential of the endplate current (mV).
    tau_rec_ms : float
        Recovery of the release sites from depletion (ms).
    dr_n, dr_k1_mM, dr_k2_mM : float
        Dodge-Rahamimoff cooperativity (1) and dissociation constants (mM).
    """

    n_sites: int = 500
    U: float = 0.1
    quantal_conductance_nS: float = 50.0
    tau_rise_ms: float = 0.2
    tau_decay_ms: float = 1.0
    e_mV: float = 0.0
    tau_rec_ms: float = 5000.0
    dr_n: float = DODGE_RAHAMIMOFF["n"]
    dr_k1_mM: float = DODGE_RAHAMIMOFF["k1_mM"]
    dr_k2_mM: float = DODGE_RAHAMIMOFF["k2_mM"]

    def __post_init__(self) -> None:
        """Check n_sites (whole, >= 1), U in [0, 1] and positive conductance and times."""
        if int(self.n_sites) != self.n_sites or self.n_sites < 1:
            raise MgNeuronError(
                f"EndplateSpec: n_sites must be a whole number >= 1, got {self.n_sites}"
            )
        if not 0.0 <= self.U <= 1.0:
            raise MgNeuronError(f"EndplateSpec: U must lie in [0, 1], got {self.U}")
        _positive("EndplateSpec", quantal_conductance_nS=self.quantal_conductance_nS,
                  tau_rise_ms=self.tau_rise_ms, tau_decay_ms=self.tau_decay_ms,
                  tau_rec_ms=self.tau_rec_ms)  # fmt: skip
        if self.tau_rise_ms >= self.tau_decay_ms:
            raise MgNeuronError(
                f"EndplateSpec: tau_rise_ms ({self.tau_rise_ms}) must be below tau_decay_ms "
                f"({self.tau_decay_ms})"
            )

    def release(self, stochastic: bool = False) -> ReleaseSpec:
        """Return the release spec of this endplate (Dodge-Rahamimoff, no facilitation)."""
        return ReleaseSpec(
            U=self.U, tau_rec_ms=self.tau_rec_ms, tau_facil_ms=0.0, model="dodge_rahamimoff",
            stochastic=stochastic, n_sites=int(self.n_sites), dr_n=self.dr_n,
            dr_k1_mM=self.dr_k1_mM, dr_k2_mM=self.dr_k2_mM,
        )  # fmt: skip

    def quantal_content(self, ca_mM, mg_mM):
        """Return the expected quanta of a first impulse, ``n_sites * min(1, U f(Ca, Mg))`` (1)."""
        return self.n_sites * self.release().release_probability(ca_mM, mg_mM)

    def with_(self, **changes: Any) -> EndplateSpec:
        """Return a copy with fields changed."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict view (for HDF5 parameters)."""
        return asdict(self)
