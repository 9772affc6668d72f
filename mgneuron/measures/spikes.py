"""Spikes in a trace: threshold crossings, spike times, counts, rates, dV/dt threshold.

Pure functions of recorded arrays (times in ms, potentials in mV).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "crossing_times",
    "spike_times",
    "count_spikes",
    "firing_rate_hz",
    "threshold_dvdt",
]


def crossing_times(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = -20.0) -> np.ndarray:
    """Find the upward crossings of a threshold, linearly interpolated between samples.

    Parameters
    ----------
    t_ms : array (n,)
        Sample times (ms), increasing.
    v_mV : array (n,)
        Potential (mV).
    threshold_mV : float
        Level crossed from below (mV).

    Returns
    -------
    numpy.ndarray
        Crossing times (ms), possibly empty.
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"t_ms and v_mV must be 1-D of equal length, got {t.shape}, {v.shape}")
    below = v[:-1] < threshold_mV
    above = v[1:] >= threshold_mV
    k = np.nonzero(below & above)[0]
    frac = (threshold_mV - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])


def spike_times(
    t_ms: np.ndarray,
    v_mV: np.ndarray,
    threshold_mV: float = -20.0,
    start_ms: float = -math.inf,
    stop_ms: float = math.inf,
) -> np.ndarray:
    """Spike times: upward crossings of ``threshold_mV`` in ``[start_ms, stop_ms)``.

    Parameters
    ----------
    t_ms, v_mV : array (n,)
        Sample times (ms, increasing) and membrane potential (mV).
    threshold_mV : float
        Detection level (mV); a spike is counted once, when v rises through it.
    start_ms, stop_ms : float
        Window (ms).

    Returns
    -------
    numpy.ndarray
        Crossing times (ms), linearly interpolated between samples.
    """
    c = crossing_times(t_ms, v_mV, threshold_mV)
    return c[(c >= start_ms) & (c < stop_ms)]


def count_spikes(
    t_ms: np.ndarray,
    v_mV: np.ndarray,
    threshold_mV: float = -20.0,
    start_ms: float = -math.inf,
    stop_ms: float = math.inf,
) -> int:
    """Count the spikes in ``[start_ms, stop_ms)`` (ms; see :func:`spike_times`)."""
    return int(spike_times(t_ms, v_mV, threshold_mV, start_ms, stop_ms).size)


def firing_rate_hz(times_ms: Sequence[float], start_ms: float, stop_ms: float) -> float:
    """Mean firing rate (Hz): spikes in ``[start_ms, stop_ms)`` divided by the window.

    Parameters
    ----------
    times_ms : sequence of float
        Spike times (ms).
    start_ms, stop_ms : float
        Counting window (ms), ``stop_ms > start_ms``.
    """
    if not stop_ms > start_ms:
        raise ValueError(f"empty window [{start_ms}, {stop_ms}) ms")
    t = np.asarray(times_ms, dtype=float)
    n = int(np.count_nonzero((t >= start_ms) & (t < stop_ms)))
    return n / (stop_ms - start_ms) * 1e3


def threshold_dvdt(
    t_ms: np.ndarray,
    v_mV: np.ndarray,
    dvdt_mV_per_ms: float = 20.0,
    spike_mV: float = -20.0,
    start_ms: float = -math.inf,
) -> float:
    """Voltage threshold of the first spike after ``start_ms`` by a dV/dt criterion.

    The threshold is the membrane potential at which dV/dt last rises through
    ``dvdt_mV_per_ms`` before the spike's upstroke reaches ``spike_mV`` (searching back
    from the upstroke, so a fast charging transient at the onset of a current step, which
    also exceeds the criterion and then falls back, is not mistaken for the spike onset).
    dV/dt is the finite difference between successive samples, placed at their midpoint;
    the crossing and the potential there are interpolated linearly.

    Parameters
    ----------
    t_ms, v_mV : array (n,)
        Sample times (ms, increasing) and membrane potential (mV).
    dvdt_mV_per_ms : float
        Criterion (mV/ms). 10-20 mV/ms is usual for cortical neurons; a node of Ranvier,
        whose spike rises at several hundred mV/ms, takes a larger value.
    spike_mV : float
        Level that identifies a spike (mV).
    start_ms : float
        Ignore spikes (and the rise of dV/dt) before this time (ms).

    Returns
    -------
    float
        Threshold (mV); NaN if there is no spike after ``start_ms``, or if dV/dt stays
        above the criterion from ``start_ms`` to the spike (no onset to find).
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"t_ms and v_mV must be 1-D of equal length, got {t.shape}, {v.shape}")
    if t.size < 3:
        return math.nan
    k0 = int(np.searchsorted(t, start_ms))
    t, v = t[k0:], v[k0:]
    up = np.nonzero((v[:-1] < spike_mV) & (v[1:] >= spike_mV))[0]
    if up.size == 0:
        return math.nan
    k_spike = int(up[0])  # v[k_spike] < spike_mV <= v[k_spike + 1]
    dt = np.diff(t)
    slope = np.diff(v) / dt  # slope[k] between samples k and k+1
    vm = (v[:-1] + v[1:]) / 2
    # Last index j <= k_spike with slope[j - 1] < criterion <= slope[j].
    below = slope[: k_spike + 1] < dvdt_mV_per_ms
    idx = np.nonzero(below)[0]
    if idx.size == 0:
        return math.nan
    j = int(idx[-1]) + 1  # first sample of the final run above the criterion
    if j > k_spike or j == 0:
        return math.nan
    s0, s1 = slope[j - 1], slope[j]
    frac = (dvdt_mV_per_ms - s0) / (s1 - s0)
    return float(vm[j - 1] + frac * (vm[j] - vm[j - 1]))
