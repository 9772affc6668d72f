"""Thresholds of excitation: Weiss's strength-duration law and the site a spike starts at.

Pure functions of numbers and recorded arrays (durations in ms, currents in nA, times in
ms, potentials in mV).

Weiss's law (Weiss 1901) says that the charge a pulse of duration ``t`` needs to excite
grows linearly with ``t``: ``Q(t) = I_th(t) t = I_rh (t + tau_SD)``, so the threshold
current is ``I_th(t) = I_rh (1 + tau_SD / t)``. ``I_rh`` is the rheobase (the threshold
of an endless pulse) and ``tau_SD`` the strength-duration time constant, which under
this law is also the chronaxie (the duration at which the threshold is twice the
rheobase). Nerve excitability testing measures both from two pulse durations (Bostock
1983, J Physiol 341:59; Mogyoros, Kiernan & Burke 1996, Brain 119:439).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mgneuron.measures.spikes import spike_times, threshold_dvdt

__all__ = [
    "weiss_threshold_nA",
    "weiss_fit",
    "initiation_site",
    "threshold_at_initiation",
    "threshold_shift_table",
]


def weiss_threshold_nA(duration_ms, rheobase_nA: float, sdtc_ms: float):
    """Threshold current (nA) of a pulse of ``duration_ms`` under Weiss's law.

    ``I_th(t) = I_rh (1 + tau_SD / t)``; ``duration_ms`` may be an array.
    """
    return rheobase_nA * (1.0 + sdtc_ms / np.asarray(duration_ms, dtype=float))


def weiss_fit(t1_ms: float, i1_nA: float, t2_ms: float, i2_nA: float) -> tuple[float, float]:
    """Rheobase (nA) and strength-duration time constant (ms) through two thresholds.

    The charge ``Q = I t = I_rh (t + tau_SD)`` is linear in the duration, so through the
    thresholds ``i1_nA`` of a ``t1_ms`` pulse and ``i2_nA`` of a ``t2_ms`` pulse
    ``I_rh = (I2 t2 - I1 t1) / (t2 - t1)`` and ``tau_SD = I1 t1 / I_rh - t1`` (the
    chronaxie, under this law).

    Returns
    -------
    tuple of float
        ``(rheobase_nA, sdtc_ms)``; both NaN when a threshold is not finite or the
        charges give no positive rheobase.
    """
    if not (np.isfinite(i1_nA) and np.isfinite(i2_nA)):
        return math.nan, math.nan
    rh = (i2_nA * t2_ms - i1_nA * t1_ms) / (t2_ms - t1_ms)
    if rh <= 0:
        return math.nan, math.nan
    return float(rh), float(i1_nA * t1_ms / rh - t1_ms)


def initiation_site(
    t_ms: np.ndarray,
    v_sites_mV: Sequence[np.ndarray],
    spike_mV: float = -20.0,
    start_ms: float = -math.inf,
) -> int | None:
    """Index of the site whose potential first rises through ``spike_mV`` after ``start_ms``.

    Parameters
    ----------
    t_ms : array (n,)
        Sample times (ms), shared by every site.
    v_sites_mV : sequence of arrays (n,)
        Potential at each candidate site of spike initiation (mV).
    spike_mV : float
        Spike detection level (mV).
    start_ms : float
        Ignore crossings before this time (ms).

    Returns
    -------
    int or None
        The site where the first spike starts (the first one listed on a tie); None if no
        site spikes.
    """
    times = [spike_times(t_ms, v, spike_mV, start_ms) for v in v_sites_mV]
    first = [s[0] if s.size else math.inf for s in times]
    if not first or not np.isfinite(min(first)):
        return None
    return int(np.argmin(first))


def threshold_at_initiation(
    t_ms: np.ndarray,
    v_sites_mV: Sequence[np.ndarray],
    dvdt_mV_per_ms: float,
    spike_mV: float = -20.0,
    start_ms: float = -math.inf,
) -> tuple[float, int | None]:
    """dV/dt threshold (mV) of the first spike, at the site where it starts.

    The site is :func:`initiation_site`; the threshold there is
    :func:`~mgneuron.measures.spikes.threshold_dvdt` with the same level and window.

    Returns
    -------
    tuple
        ``(threshold_mV, site index)``; ``(nan, None)`` if no site spikes.
    """
    k = initiation_site(t_ms, v_sites_mV, spike_mV, start_ms)
    if k is None:
        return math.nan, None
    return threshold_dvdt(t_ms, v_sites_mV[k], dvdt_mV_per_ms, spike_mV, start_ms), k


def threshold_shift_table(features, reference_mg_mM: float):
    """Threshold change against gating-shift change, per cell, relative to a reference bath.

    If [Mg]o acts only by shifting the gating of every channel (surface-charge screening),
    the voltage threshold moves by the shift and ``deviation_mV`` is what else moved it
    (the leak and the reversal potentials, which do not shift).

    Parameters
    ----------
    features : pandas.DataFrame
        Rows with ``cell, mg_mM, ca_mM, threshold_mV, shift_mV, rheobase_nA``.
    reference_mg_mM : float
        The reference [Mg]o (mM); per cell, the row nearest it is the reference.

    Returns
    -------
    pandas.DataFrame
        ``cell, mg_mM, ca_mM, ref_mg_mM, d_shift_mV, d_threshold_mV, deviation_mV (mV),
        rheobase_ratio`` (NaN where the reference rheobase is 0).
    """
    import pandas as pd

    rows = []
    for cell, grp in features.groupby("cell"):
        ref = grp.iloc[(grp["mg_mM"] - reference_mg_mM).abs().argsort()[:1]].iloc[0]
        for _, r in grp.sort_values("mg_mM").iterrows():
            d_thr = r["threshold_mV"] - ref["threshold_mV"]
            d_shift = r["shift_mV"] - ref["shift_mV"]
            ratio = r["rheobase_nA"] / ref["rheobase_nA"] if ref["rheobase_nA"] > 0 else math.nan
            rows.append(
                {"cell": cell, "mg_mM": r["mg_mM"], "ca_mM": r["ca_mM"],
                 "ref_mg_mM": ref["mg_mM"], "d_shift_mV": d_shift, "d_threshold_mV": d_thr,
                 "deviation_mV": d_thr - d_shift, "rheobase_ratio": ratio}
            )  # fmt: skip
    return pd.DataFrame(rows)
