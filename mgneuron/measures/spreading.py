"""Spreading depolarization along a strip: arrival times, speed, peak [K+]o, duration.

Pure functions of arrays recorded along x (no NEURON). A voxel is *depolarized* while its
neurons are above ``v_sd_mV`` (-30 mV by default: SD is a near-complete depolarization,
to about -20..0 mV, while a sub-threshold K+ rise depolarizes by a few mV to tens of mV,
staying below about -50 mV). SD *started* when the depolarization reached the far
measuring point ``x_far`` (well away from the bolus); its speed is the slope of a
straight line through the arrival times between ``x_near`` and ``x_far``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["arrival_times", "wave_speed_mm_per_min", "depolarization_duration_s", "sd_features"]


def arrival_times(t_ms, v_mV, v_sd_mV: float = -30.0) -> np.ndarray:
    """First upward crossing of ``v_sd_mV`` at each column (ms), linearly interpolated.

    Parameters
    ----------
    t_ms : array, shape (n_times,)
    v_mV : array, shape (n_times, n_places)
    v_sd_mV : float
        Depolarization level (mV).

    Returns
    -------
    ndarray, shape (n_places,)
        NaN where the level is never crossed; ``t_ms[0]`` where it starts above.
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    out = np.full(v.shape[1], np.nan)
    above = v >= v_sd_mV
    for j in range(v.shape[1]):
        idx = np.flatnonzero(above[:, j])
        if idx.size == 0:
            continue
        i = idx[0]
        if i == 0:
            out[j] = t[0]
            continue
        v0, v1 = v[i - 1, j], v[i, j]
        out[j] = t[i - 1] + (t[i] - t[i - 1]) * (v_sd_mV - v0) / (v1 - v0)
    return out


def wave_speed_mm_per_min(x_um, arrivals_ms) -> float:
    """Least-squares slope of x against arrival time, in mm/min (NaN with < 2 arrivals)."""
    x = np.asarray(x_um, dtype=float)
    t = np.asarray(arrivals_ms, dtype=float)
    ok = np.isfinite(t)
    if ok.sum() < 2 or np.ptp(t[ok]) <= 0:
        return math.nan
    slope_um_per_ms = np.polyfit(t[ok], x[ok], 1)[0]
    return float(slope_um_per_ms * 60.0)  # um/ms = mm/s; x 60 s/min


def depolarization_duration_s(t_ms, v, v_sd_mV: float = -30.0) -> float:
    """Time from the first upward crossing of ``v_sd_mV`` to the downward one after the peak (s).

    The end is sought after the peak, so a wobble around the level on the way up does not
    end the depolarization. NaN when the trace never crosses upward or is still depolarized
    at its end (the duration is then longer than the run: lengthen ``tstop``).
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v, dtype=float)
    up = np.flatnonzero(v >= v_sd_mV)
    if up.size == 0:
        return math.nan
    i0 = up[0]
    peak = i0 + int(np.argmax(v[i0:]))
    down = np.flatnonzero(v[peak:] < v_sd_mV)
    if down.size == 0:
        return math.nan
    i1 = peak + down[0]

    def cross(i):
        if i == 0:
            return t[0]
        return t[i - 1] + (t[i] - t[i - 1]) * (v_sd_mV - v[i - 1]) / (v[i] - v[i - 1])

    return float((cross(i1) - cross(i0)) / 1000.0)


def sd_features(
    x_um, t_v_ms, v_mV, t_ko_ms, ko_mM, x_near_um: float, x_far_um: float, v_sd_mV=-30.0
) -> dict:
    """Measure the SD features of one run of a strip.

    Parameters
    ----------
    x_um : array, shape (n_places,)
        Voxel centres (um), increasing.
    t_v_ms, v_mV : arrays
        Potential samples, shape (n_times,) and (n_times, n_places).
    t_ko_ms, ko_mM : arrays
        [K+]o samples, shape (n_times2,) and (n_times2, n_places).
    x_near_um, x_far_um : float
        The measured stretch (um): speed from the arrivals within it, peak [K+]o over it,
        SD started when ``x_far_um`` depolarized.
    v_sd_mV : float
        Depolarization level (mV).

    Returns
    -------
    dict
        ``sd_started`` (bool), ``sd_speed_mm_per_min`` (NaN without SD), ``k_peak_mM``
        (the highest [K+]o in the stretch, SD or not), ``depolarization_s`` (at the middle
        of the stretch; NaN without SD or when it outlasts the run).
    """
    x = np.asarray(x_um, dtype=float)
    arrivals = arrival_times(t_v_ms, v_mV, v_sd_mV)
    stretch = (x >= x_near_um) & (x <= x_far_um)
    far = int(np.flatnonzero(stretch)[-1])
    started = bool(np.isfinite(arrivals[far]))
    speed = wave_speed_mm_per_min(x[stretch], arrivals[stretch]) if started else math.nan
    mid = int(np.argmin(np.abs(x - 0.5 * (x_near_um + x_far_um))))
    duration = (
        depolarization_duration_s(t_v_ms, np.asarray(v_mV)[:, mid], v_sd_mV)
        if started
        else math.nan
    )
    return {
        "sd_started": started,
        "sd_speed_mm_per_min": speed,
        "k_peak_mM": float(np.max(np.asarray(ko_mM)[:, stretch])),
        "depolarization_s": duration,
    }
