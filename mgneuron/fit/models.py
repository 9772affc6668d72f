"""The steady-state Mg2+ block models that :func:`mgneuron.fit.fit_block` fits.

Each model gives the unblocked fraction B(V, [Mg]o) of the NMDA mechanisms' block model
of the same number (``mechanisms/mgblock.inc``, :mod:`mgneuron.mgblock`), its parameters
under the names of the fit's JSON, and the mechanism parameters they set.

At steady state models 0 to 3 are one family, B = 1 / (1 + [Mg]o / K(V)) with
K(V) = K0 exp(a V), written four ways: Jahr & Stevens's slope ``a``, Woodhull's electrical
distance ``delta`` (a = 2 delta F / RT), the Kampa kinetic scheme's rate ratio with
``a = 2 / vt``, and the trapping scheme of Vargas-Caballero & Robinson with its Kd at
-60 mV and ``a = 1/von + 1/voff``. Fitted to the same steady-state data they reach the
same curve and the same AIC; only the parameters they report differ, and which kinetics
a simulation then gets. Model 4, the permeant blocker (Woodhull 1973's scheme with the
blocker also leaving into the cell), adds a second term, K(V) = K0 exp(a V) +
Kp exp(-b V): the block is relieved again at strongly negative potentials (Mg2+
permeation: Mayer & Westbrook 1987; Antonov & Johnson 1999). It is the one model that
steady-state data can tell apart from the others, and AIC does so when the recordings
reach potentials where permeation shows (tests/fit/test_block.py). What steady-state
data cannot identify stays at the published values: koff0, v0 and delta of model 2;
koff0, kob, the trapping ratio and the split of ``a`` between von and voff (17 : 47 mV)
of model 3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BlockModel", "FIT_MODELS", "model_by_key", "rt_over_f_mV"]

FARADAY = 96485.33212  # C/mol
R_GAS = 8.314462618  # J/(mol K)

# Kampa et al. 2004 constants of the kinetic scheme that steady-state data cannot
# identify: only the ratio kon0 / koff0 and the total voltage dependence are seen.
KIN_KOFF0 = 12.8  # /ms
KIN_V0 = 40.0  # mV
# Vargas-Caballero & Robinson (model 3): on- and off-rate voltage scales (mV) whose ratio
# a fit keeps (mechanisms/mgblock.inc).
VCR_VON, VCR_VOFF = 17.0, 47.0


def rt_over_f_mV(celsius: float) -> float:
    """RT/F in mV at ``celsius`` (26.5 mV at 35 degC)."""
    return R_GAS * (celsius + 273.15) / FARADAY * 1e3


@dataclass(frozen=True)
class BlockModel:
    """One block model as the fit sees it.

    Attributes
    ----------
    key : str
        Name in the JSON (``jahr_stevens``, ``woodhull``, ``kinetic``).
    block_model : int
        The ``block_model`` value of the NMDA mechanisms it sets.
    params : tuple of str
        Parameter names, with units in the name.
    positive : tuple of bool
        Which parameters are fitted on a log scale (they must be > 0).
    guesses : tuple of tuple of float
        Starting values of each parameter (their grid is the multistart).
    unblocked : callable
        ``unblocked(theta, v_mV, mg_mM, celsius)`` -> B; ``theta`` has shape (m, k).
    mechanism : callable
        ``mechanism(params)`` -> the mechanism's PARAMETERs (``js_k0`` ...) to set.
    """

    key: str
    block_model: int
    params: tuple[str, ...]
    positive: tuple[bool, ...]
    guesses: tuple[tuple[float, ...], ...]
    unblocked: Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]
    mechanism: Callable[[dict[str, float]], dict[str, float]]
    title: str = ""


def _b(mg: np.ndarray, k_v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + mg / k_v)


def _js(theta, v, mg, celsius):
    k0, slope = theta[:, 0:1], theta[:, 1:2]
    return _b(mg, k0 * np.exp(slope * v))


def _woodhull(theta, v, mg, celsius):
    k0, delta = theta[:, 0:1], theta[:, 1:2]
    return _b(mg, k0 * np.exp(2.0 * delta * v / rt_over_f_mV(celsius)))


def _kinetic(theta, v, mg, celsius):
    # k_on / k_off = kon0 / koff0 * exp(-2 (v - v0) / vt) (mgblock.inc, model 2)
    kon0, vt = theta[:, 0:1], theta[:, 1:2]
    return _b(mg, KIN_KOFF0 / kon0 * np.exp(2.0 * (v - KIN_V0) / vt))


def _permeant(theta, v, mg, celsius):
    # K(v) = K0 exp(a v) + Kp exp(-b v) (mgblock.inc, model 4: Woodhull's permeant blocker)
    k0, a, kp, b = (theta[:, i : i + 1] for i in range(4))
    return _b(mg, k0 * np.exp(a * v) + kp * np.exp(-b * v))


def _vcr(theta, v, mg, celsius):
    # Kd(v) = kd60 exp((v + 60) (1/von + 1/voff)) (mgblock.inc, model 3)
    kd60, slope = theta[:, 0:1], theta[:, 1:2]
    return _b(mg, kd60 * np.exp(slope * (v + 60.0)))


def _vcr_mechanism(p: dict[str, float]) -> dict[str, float]:
    # Scale von and voff together: their published ratio is kept, their sum fitted.
    scale = p["slope_per_mV"] / (1.0 / VCR_VON + 1.0 / VCR_VOFF)
    return {"vcr_kd60": p["Kd60_mM"], "vcr_von": VCR_VON / scale, "vcr_voff": VCR_VOFF / scale}


FIT_MODELS: tuple[BlockModel, ...] = (
    BlockModel(
        key="jahr_stevens",
        block_model=0,
        params=("K0_mM", "slope_per_mV"),
        positive=(True, False),
        guesses=((0.3, 3.0, 30.0), (0.03, 0.06, 0.1)),
        unblocked=_js,
        mechanism=lambda p: {"js_k0": p["K0_mM"], "js_slope": p["slope_per_mV"]},
        title="Jahr & Stevens 1990",
    ),
    BlockModel(
        key="woodhull",
        block_model=1,
        params=("K0_mM", "delta"),
        positive=(True, False),
        guesses=((0.3, 3.0, 30.0), (0.4, 0.8, 1.2)),
        unblocked=_woodhull,
        mechanism=lambda p: {"wh_k0": p["K0_mM"], "wh_delta": p["delta"]},
        title="Woodhull 1973",
    ),
    BlockModel(
        key="kinetic",
        block_model=2,
        params=("kon0_per_mM_ms", "vt_mV"),
        positive=(True, True),
        guesses=((0.005, 0.05, 0.5), (15.0, 25.0, 40.0)),
        unblocked=_kinetic,
        mechanism=lambda p: {"kin_kon0": p["kon0_per_mM_ms"], "kin_vt": p["vt_mV"]},
        title="kinetic, Kampa et al. 2004 (koff0 = 12.8 /ms fixed)",
    ),
    BlockModel(
        key="trapping",
        block_model=3,
        params=("Kd60_mM", "slope_per_mV"),
        positive=(True, False),
        guesses=((0.01, 0.07, 0.5), (0.03, 0.08, 0.12)),
        unblocked=_vcr,
        mechanism=_vcr_mechanism,
        title="trapping block, Vargas-Caballero & Robinson 2004",
    ),
    BlockModel(
        key="permeant",
        block_model=4,
        params=("K0_mM", "slope_per_mV", "Kp_mM", "slope_p_per_mV"),
        positive=(True, False, True, True),
        guesses=((0.3, 3.0, 30.0), (0.06,), (1e-3, 0.1), (0.02, 0.06)),
        unblocked=_permeant,
        mechanism=lambda p: {
            "pm_k0": p["K0_mM"],
            "pm_slope": p["slope_per_mV"],
            "pm_kp": p["Kp_mM"],
            "pm_slope_p": p["slope_p_per_mV"],
        },
        title="permeant blocker, Woodhull 1973 (Mg2+ permeation)",
    ),
)


def model_by_key(key: str | int) -> BlockModel:
    """Return the model of a JSON name or a ``block_model`` number.

    Raises
    ------
    KeyError
        No such model; the message lists the known ones.
    """
    for m in FIT_MODELS:
        if key == m.key or (str(key).strip() == str(m.block_model)):
            return m
    known = ", ".join(f"{m.block_model} ({m.key})" for m in FIT_MODELS)
    raise KeyError(f"unknown block model {key!r}; known: {known}")
