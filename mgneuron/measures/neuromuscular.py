"""Neuromuscular transmission: endplate potentials, safety factor, train-of-four, slopes.

Pure functions of recorded arrays and of feature tables.

Safety factor (the definition of Wood & Slater 2001, Prog Neurobiol 64:393)::

    SF = EPP / (E_AP - E_M)

the amplitude of the endplate potential (recorded with the Na+ channels blocked) over the
depolarisation from rest needed to fire a muscle action potential. Here ``E_AP - E_M`` is
measured with the same endplate conductance time course: the Na+-blocked endplate
potential of the smallest endplate conductance that fires a propagated action potential
in the intact fibre. SF > 1: transmission succeeds; SF < 1: it fails.

Train-of-four (TOF, 2 Hz): the response to each stimulus is the fraction of muscle fibres
that fire an action potential (the twitch of a muscle is the sum of its fibres'), and
``TOF ratio = response 4 / response 1``; undefined (NaN) when the first stimulus fires no
fibre (TOF count 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "peaks_after",
    "fired",
    "safety_factor",
    "tof_ratio",
    "loglog_slope",
    "crossing",
]


def peaks_after(
    t: np.ndarray, v: np.ndarray, times: Sequence[float], window_ms: float
) -> np.ndarray:
    """Peak depolarisation (mV) above the potential just before each time, within a window.

    Parameters
    ----------
    t, v : ndarray
        Sample times (ms) and potential (mV).
    times : sequence of float
        Stimulus times (ms).
    window_ms : float
        Search window after each time (ms).
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    out = np.empty(len(times))
    for k, t0 in enumerate(times):
        base = v[max(int(np.searchsorted(t, t0)) - 1, 0)]
        m = (t > t0) & (t <= t0 + window_ms)
        out[k] = v[m].max() - base if m.any() else np.nan
    return out


def fired(spike_times: Sequence[float], times: Sequence[float], window_ms: float) -> np.ndarray:
    """Whether an action potential followed each stimulus within ``window_ms`` (bool array)."""
    s = np.asarray(spike_times, dtype=float)
    return np.array([bool(((s > t0) & (s <= t0 + window_ms)).any()) for t0 in times])


def safety_factor(epp_mV: float, threshold_depol_mV: float) -> float:
    """``EPP / (E_AP - E_M)`` (1); NaN if the threshold depolarisation is not positive."""
    if not (np.isfinite(threshold_depol_mV) and threshold_depol_mV > 0):
        return float("nan")
    return float(epp_mV / threshold_depol_mV)


def tof_ratio(responses: Sequence[float]) -> float:
    """4th / 1st response of a train of four (1); NaN when the first response is 0."""
    r = np.asarray(responses, dtype=float)
    if len(r) < 4:
        raise ValueError(f"a train of four needs 4 responses, got {len(r)}")
    return float(r[3] / r[0]) if r[0] > 0 else float("nan")


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log(y) on log(x) over the points with x, y > 0 (NaN if < 2)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def crossing(x: Sequence[float], y: Sequence[float], level: float = 1.0) -> float:
    """First x where y falls through ``level`` (linear interpolation; NaN if it never does).

    ``x`` increasing; returns ``x[0]`` if ``y[0]`` is already below ``level``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return float("nan")
    if y[0] < level:
        return float(x[0])
    for k in range(1, len(x)):
        if y[k] < level:
            f = (y[k - 1] - level) / (y[k - 1] - y[k])
            return float(x[k - 1] + f * (x[k] - x[k - 1]))
    return float("nan")
