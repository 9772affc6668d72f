"""The Mg2+ block models of the NMDA mechanisms: their names and closed-form IC50s.

``block_model`` of ``NMDAMg`` and ``GluSynMg`` selects one of these (see ``mechanisms/``).
Pure Python: protocols, plots and tests share these descriptions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_MODELS", "ic50_formula"]

#: block_model value -> name of the model
BLOCK_MODELS: dict[int, str] = {0: "Jahr-Stevens", 1: "Woodhull", 2: "kinetic"}


def ic50_formula(model: int, v_mV: float, celsius: float = 34.0) -> float:
    """Closed-form IC50 (mM) of each block model at the default parameters.

    Jahr & Stevens 1990: 3.57 exp(0.062 V); Woodhull with Spruston et al. 1995:
    4.1 exp(2 * 0.8 * F V / RT); kinetic (Kampa et al. 2004): 256 exp(0.08 (V - 40)).
    """
    if model == 0:
        return 3.57 * np.exp(0.062 * v_mV)
    if model == 1:
        rt_f = 8.314462618 * (celsius + 273.15) / 96485.33212 * 1e3  # mV
        return 4.1 * np.exp(2 * 0.8 * v_mV / rt_f)
    return 256.0 * np.exp(0.08 * (v_mV - 40.0))
