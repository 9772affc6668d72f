"""The NMDA receptor's Ca2+ current (GHK) and its antagonists, as descriptions.

Pure Python (no NEURON): the closed forms that ``mechanisms/ghkca.inc`` and
``mechanisms/nmdadrug.inc`` implement, and the named drugs with their published rates,
turned into the NMODL parameters of ``NMDAMg`` and ``GluSynMg``.

Ca2+ current (Goldman-Hodgkin-Katz flux equation, divalent, z = 2)::

    ghk_ca(v, cai, cao) = v (cai - cao e^-u) / (1 - e^-u),   u = 2 F v / (R T)   (mV mM)
    ica = pca * gopen * ghk_ca,   i_mono = gopen * (v - e),   Pf = ica / (ica + i_mono)

``pca`` = 0.055 /mM gives Pf = 0.100 at -60 mV in 2 mM [Ca]o (Schneggenburger et al.
1993, Neuron 11:133, about 7 % in 1.6 mM [Ca]o for native receptors; Burnashev et al.
1995, J Physiol 485:403, about 11 % in 1.8 mM [Ca]o for NR1-NR2A).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import MgNeuronError

__all__ = [
    "FARADAY",
    "RGAS",
    "PCA_DEFAULT",
    "CAI_REST_MM",
    "ghk_ca",
    "fractional_ca_current",
    "e_ca",
    "Drug",
    "DRUGS",
    "DRUG_NAMES",
    "drug_params",
    "drug_kd_uM",
    "drug_ic50_uM",
]

FARADAY = 96485.33212  # C/mol
RGAS = 8.314462618  # J/(mol K)
#: Ca2+ permeability of the NMDA channel relative to its monovalent conductance (/mM).
PCA_DEFAULT = 0.055
#: NEURON's default resting [Ca]i (mM), 50 nM.
CAI_REST_MM = 5e-5


def _rtzf_mV(celsius: float, z: int = 2) -> float:
    return 1e3 * RGAS * (celsius + 273.15) / (z * FARADAY)


def ghk_ca(v_mV, cai_mM: float, cao_mM: float, celsius: float = 34.0):
    """GHK Ca2+ driving term ``v (cai - cao e^-u) / (1 - e^-u)`` (mV mM), u = 2FV/RT.

    Negative (inward) below E_Ca; tends to ``v * cao`` at very negative v.
    """
    v = np.asarray(v_mV, dtype=float)
    rtzf = _rtzf_mV(celsius)
    u = v / rtzf
    small = np.abs(u) < 1e-6
    safe = np.where(small, 1.0, u)
    x = np.where(small, 1.0 + u / 2.0, safe / (1.0 - np.exp(-safe)))
    return rtzf * (cai_mM - cao_mM * np.exp(-u)) * x


def fractional_ca_current(
    v_mV,
    cao_mM: float = 2.0,
    cai_mM: float = CAI_REST_MM,
    celsius: float = 34.0,
    pca: float = PCA_DEFAULT,
    e_mV: float = 0.0,
):
    """Fractional Ca2+ current Pf = ica / i of the NMDA channel (1), independent of block.

    Parameters
    ----------
    v_mV : float or array
        Membrane potential (mV); not at ``e_mV`` (where the total current may vanish).
    cao_mM, cai_mM : float
        Extracellular and intracellular [Ca2+] (mM).
    celsius : float
        Temperature (degC).
    pca : float
        Relative Ca2+ permeability (/mM), the mechanisms' ``pca``.
    e_mV : float
        Reversal potential of the monovalent part (mV).
    """
    ica = pca * ghk_ca(v_mV, cai_mM, cao_mM, celsius)
    return ica / (ica + (np.asarray(v_mV, dtype=float) - e_mV))


def e_ca(cai_mM: float = CAI_REST_MM, cao_mM: float = 2.0, celsius: float = 34.0) -> float:
    """Nernst potential of Ca2+ (mV)."""
    return _rtzf_mV(celsius) * math.log(cao_mM / cai_mM)


@dataclass(frozen=True)
class Drug:
    """An NMDA receptor antagonist and its published parameters.

    Attributes
    ----------
    name : str
    kind : str
        ``"channel"`` (open-channel blocker, a kinetic state) or ``"competitive"``.
    kon_per_uM_ms : float
        Binding rate to the open channel (/uM/ms); channel blockers only.
    koff70_per_ms : float
        Unbinding rate from the open channel at -70 mV (/ms).
    zdelta : float
        Valence times electrical distance of the site: koff ~ exp(zdelta F (v + 70)/RT).
    trap : float
        Fraction of the drug kept when the channel closes (1 full trapping).
    kd_uM : float
        Competitive antagonist: dissociation constant (uM).
    source : str
        Where the numbers come from.
    """

    name: str
    kind: str
    kon_per_uM_ms: float = 0.0
    koff70_per_ms: float = 0.0
    zdelta: float = 0.0
    trap: float = 1.0
    kd_uM: float = 0.0
    source: str = ""


#: The named drugs of ``--drug``. Rates converted: 1e6 /M/s = 1e-3 /uM/ms; 1 /s = 1e-3 /ms.
DRUGS: dict[str, Drug] = {
    "memantine": Drug(
        "memantine",
        "channel",
        kon_per_uM_ms=0.32e-3,
        koff70_per_ms=0.53e-3,
        zdelta=0.8,
        trap=5.0 / 6.0,
        source="kon 0.32e6 /M/s, koff 0.53 /s at -70 mV (Gilling et al. 2009, "
        "Neuropharmacology 56:866, human GluN1/2A; Kd 1.7 uM, cf. IC50 1.4 uM at -67 mV, "
        "Blanpied et al. 1997, J Neurophysiol 77:309); partial trapping, 1 in 6 released "
        "(Blanpied et al. 1997); zdelta 0.8 (assumed equal to ketamine's, slightly less "
        "than reported for memantine); competes with Mg2+ (Kotermanski & Johnson 2009, "
        "J Neurosci 29:2774)",
    ),  # fmt: skip
    "ketamine": Drug(
        "ketamine",
        "channel",
        kon_per_uM_ms=0.15e-3,
        koff70_per_ms=0.22e-3,
        zdelta=0.79,
        trap=1.0,
        source="kon 0.15e6 /M/s, koff 0.22 /s at -70 mV, delta 0.79, fully trapped "
        "(Gilling et al. 2009, Neuropharmacology 56:866)",
    ),  # fmt: skip
    "mk801": Drug(
        "mk801",
        "channel",
        kon_per_uM_ms=25e-3,
        koff70_per_ms=1.0 / (90 * 60e3),
        zdelta=0.92,
        trap=1.0,
        source="unblock tau ~90 min at -70 mV and ~2 min at +30 mV under agonist "
        "(Huettner & Bean 1988, PNAS 85:1307: koff 1.9e-7 /ms, zdelta 0.92 from the two); "
        "kon 2.5e7 /M/s: order of magnitude, unconfirmed; fully trapped",
    ),  # fmt: skip
    "apv": Drug(
        "apv",
        "competitive",
        kd_uM=1.4,
        source="D-APV, competitive at the glutamate site, Kd ~1.4 uM (unconfirmed; "
        "low-uM range of Benveniste & Mayer 1991, Br J Pharmacol 104:207)",
    ),  # fmt: skip
}
#: Names accepted by ``--drug`` (``none`` first).
DRUG_NAMES: tuple[str, ...] = ("none", *DRUGS)


def drug_params(name: str, conc_uM: float) -> dict[str, float]:
    """NMODL parameters of NMDAMg / GluSynMg for ``name`` at ``conc_uM`` (uM).

    ``"none"`` (or a concentration of 0) gives no drug. Raises :class:`MgNeuronError`
    for an unknown name or a negative or non-finite concentration.
    """
    if name not in DRUG_NAMES:
        raise MgNeuronError(f"unknown NMDA drug {name!r}; choose one of {', '.join(DRUG_NAMES)}")
    if not (math.isfinite(conc_uM) and conc_uM >= 0):
        raise MgNeuronError(f"drug concentration must be finite and >= 0 uM, got {conc_uM}")
    if name == "none" or conc_uM == 0:
        return {"drug_um": 0.0, "apv_um": 0.0}
    d = DRUGS[name]
    if d.kind == "competitive":
        return {"drug_um": 0.0, "apv_um": float(conc_uM), "apv_kd": d.kd_uM}
    return {
        "drug_um": float(conc_uM),
        "drug_kon": d.kon_per_uM_ms,
        "drug_koff70": d.koff70_per_ms,
        "drug_zdelta": d.zdelta,
        "drug_trap": d.trap,
        "apv_um": 0.0,
    }


def drug_kd_uM(name: str, v_mV: float, celsius: float = 34.0) -> float:
    """Dissociation constant of a drug at ``v_mV`` (uM): koff(v) / kon, or the APV Kd."""
    d = DRUGS[name]
    if d.kind == "competitive":
        return d.kd_uM
    koff = d.koff70_per_ms * math.exp(d.zdelta * (v_mV + 70.0) / _rtzf_mV(celsius, 1))
    return koff / d.kon_per_uM_ms


def drug_ic50_uM(name: str, v_mV: float, mg_unblocked: float = 1.0, celsius: float = 34.0):
    """Equilibrium IC50 of a channel blocker (uM) beside Mg2+ (competitive binding).

    With the drug binding only Mg2+-free channels, IC50 = Kd(v) / B, B the Mg2+-unblocked
    fraction (Kotermanski & Johnson 2009: Mg2+ raises memantine's IC50).
    """
    if not 0 < mg_unblocked <= 1:
        raise MgNeuronError(f"mg_unblocked must be in (0, 1], got {mg_unblocked}")
    return drug_kd_uM(name, v_mV, celsius) / mg_unblocked
