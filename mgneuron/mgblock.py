"""The Mg2+ block models of the NMDA mechanisms: their names and closed-form IC50s.

``block_model`` of ``NMDAMg`` and ``GluSynMg`` selects one of these (see
``mechanisms/mgblock.inc``). Pure Python: protocols, plots and tests share these
descriptions.
"""

from __future__ import annotations

import numpy as np

from mgneuron.errors import MgNeuronError

__all__ = [
    "BLOCK_MODELS",
    "BLOCK_MODEL_CHOICES",
    "PERMEANT",
    "VCR",
    "ic50_formula",
    "permeant_kd",
    "vcr_rates",
    "vcr_time_constants",
]

#: block_model value -> name of the model
BLOCK_MODELS: dict[int, str] = {
    0: "Jahr-Stevens",
    1: "Woodhull",
    2: "kinetic",
    3: "Vargas-Caballero-Robinson",
    4: "permeant",
}
#: The values of ``block_model`` a protocol accepts.
BLOCK_MODEL_CHOICES: tuple[int, ...] = tuple(BLOCK_MODELS)

#: Default parameters of block model 3 (mechanisms/mgblock.inc, ``vcr_*``): steady-state
#: Kd at -60 mV (mM), k_off at 0 mV (/ms), reopening rate of the trapped channel (/ms),
#: trapping ratio kcb/kob, voltage scales of k_on and k_off (mV), Q10, reference degC.
VCR: dict[str, float] = {
    "kd60": 0.0724,
    "koff0": 0.598,
    "kob": 0.0441,
    "trap": 0.5,
    "von": 17.0,
    "voff": 47.0,
    "q10": 2.0,
    "tref": 22.0,
}


#: Default parameters of block model 4 (``pm_*``): the Jahr-Stevens K0 (mM) and slope
#: (/mV), and the permeation term off (``kp`` = 0 mM; its slope in /mV only matters once
#: a fit sets ``kp``).
PERMEANT: dict[str, float] = {"k0": 3.57, "slope": 0.062, "kp": 0.0, "slope_p": 0.05}


def permeant_kd(v_mV, k0: float, slope: float, kp: float, slope_p: float):
    """Apparent Kd (mM) of a permeant blocker (block model 4; Woodhull 1973).

    K(V) = k0 exp(slope V) + kp exp(-slope_p V): the exit of Mg2+ back to the outside
    (first term) and its permeation into the cell (second term, which relieves the block
    at strongly negative potentials; Mayer & Westbrook 1987; Antonov & Johnson 1999).
    """
    v = np.asarray(v_mV, dtype=float)
    return k0 * np.exp(slope * v) + kp * np.exp(-slope_p * v)


def ic50_formula(model: int, v_mV: float, celsius: float = 34.0) -> float:
    """Closed-form steady-state IC50 (mM) of each block model at the default parameters.

    Jahr & Stevens 1990: 3.57 exp(0.062 V); Woodhull with Spruston et al. 1995:
    4.1 exp(2 * 0.8 * F V / RT); kinetic (Kampa et al. 2004): 256 exp(0.08 (V - 40));
    Vargas-Caballero & Robinson (model 3): 0.0724 exp((V + 60) (1/17 + 1/47)), the
    voltage dependence of Ascher & Nowak 1988, independent of temperature; permeant
    (model 4): :func:`permeant_kd` at :data:`PERMEANT` (equal to model 0 by default).
    """
    if model not in BLOCK_MODELS:
        raise MgNeuronError(
            f"block_model must be one of {', '.join(map(str, BLOCK_MODELS))}, got {model}"
        )
    if model == 0:
        return 3.57 * np.exp(0.062 * v_mV)
    if model == 1:
        rt_f = 8.314462618 * (celsius + 273.15) / 96485.33212 * 1e3  # mV
        return 4.1 * np.exp(2 * 0.8 * v_mV / rt_f)
    if model == 2:
        return 256.0 * np.exp(0.08 * (v_mV - 40.0))
    if model == 4:
        return float(permeant_kd(v_mV, **PERMEANT))
    p = VCR
    return p["kd60"] * np.exp((v_mV + 60.0) * (1.0 / p["von"] + 1.0 / p["voff"]))


def vcr_rates(v_mV: float, mg_mM: float, celsius: float = 22.0) -> dict[str, float]:
    """Rates of block model 3 (/ms): k_on [Mg]o, k_off, kcb, kob, as in mgblock.inc."""
    p = VCR
    q = p["q10"] ** ((celsius - p["tref"]) / 10.0)
    kon0 = p["koff0"] / (
        p["kd60"] * (1 + p["trap"]) * np.exp(60.0 * (1 / p["von"] + 1 / p["voff"]))
    )
    kob = p["kob"] * q
    return {
        "kon_mg": kon0 * mg_mM * np.exp(-v_mV / p["von"]) * q,
        "koff": p["koff0"] * np.exp(v_mV / p["voff"]) * q,
        "kcb": p["trap"] * kob,
        "kob": kob,
    }


def vcr_time_constants(v_mV: float, mg_mM: float, celsius: float = 22.0) -> tuple[float, float]:
    """Return the two relaxation time constants (ms, fast, slow) of block model 3 at ``v_mV``.

    The negative inverse eigenvalues of the linear scheme U <-> OB <-> CB (states OB, CB).
    """
    r = vcr_rates(v_mV, mg_mM, celsius)
    a = np.array(
        [
            [-(r["kon_mg"] + r["koff"] + r["kcb"]), r["kob"] - r["kon_mg"]],
            [r["kcb"], -r["kob"]],
        ]
    )
    taus = np.sort(-1.0 / np.linalg.eigvals(a).real)
    return float(taus[0]), float(taus[1])
