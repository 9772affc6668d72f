"""The baseline before a stimulus: resting potential, drift, spontaneous spikes, a verdict.

A response (an EPSP, an IPSP) is measured against the potential just before its
stimulus; that is only a baseline if the potential is flat there. :func:`baseline`
measures the soma's potential over the ``window_ms`` (default 10 ms) before the first
stimulus and says whether it is flat (it moves by at most ``tol_mV``, default 0.1 mV)
and free of spikes, so a protocol can flag a condition instead of measuring a drift or
a spontaneous spike as a response.

Pure functions of recorded arrays (times in ms, potentials in mV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgneuron.measures.spikes import crossing_times

__all__ = [
    "drift_mV",
    "BASELINE_WINDOW_MS",
    "BASELINE_TOL_MV",
    "Baseline",
    "BaselineWarning",
    "baseline",
]

BASELINE_WINDOW_MS = 10.0  # the window before the stimulus (ms)
BASELINE_TOL_MV = 0.1  # the most a flat baseline moves over that window (mV)


class BaselineWarning(UserWarning):
    """A condition's baseline before its stimulus is not flat, or the cell fired there."""


@dataclass(frozen=True)
class Baseline:
    """The baseline before a stimulus.

    Attributes
    ----------
    rest_mV : float
        Potential at the last sample before the stimulus (mV).
    drift_mV : float
        Change of the potential over the window: last sample minus first (mV; positive
        depolarising).
    range_mV : float
        Largest minus smallest potential over the window (mV).
    window_ms : float
        Length of the window measured (ms): ``window_ms`` or, when the stimulus comes
        earlier, the time from 0 to it.
    spontaneous_spikes : int
        Upward crossings of ``spike_mV`` from ``t = 0`` to the stimulus.
    ok : bool
        No spontaneous spike, and ``range_mV <= tol_mV``.
    """

    rest_mV: float
    drift_mV: float
    range_mV: float
    window_ms: float
    spontaneous_spikes: int
    ok: bool

    def features(self) -> dict[str, float | int | bool]:
        """Feature columns: ``rest_mV, baseline_drift_mV, baseline_ok, spontaneous_spikes``."""
        return {
            "rest_mV": self.rest_mV,
            "baseline_drift_mV": self.drift_mV,
            "baseline_ok": bool(self.ok),
            "spontaneous_spikes": int(self.spontaneous_spikes),
        }

    def describe(self, where: str = "soma") -> str:
        """One sentence for a warning: what moved, by how much, over how long."""
        if self.spontaneous_spikes:
            return (
                f"the {where} fired {self.spontaneous_spikes} spike(s) before the stimulus: "
                "the response is measured on spontaneous activity, not from rest"
            )
        return (
            f"the {where} potential moved by {self.range_mV:.3g} mV over the "
            f"{self.window_ms:g} ms before the stimulus (from {self.rest_mV - self.drift_mV:.2f} "
            f"to {self.rest_mV:.2f} mV): the response is measured on a drifting baseline"
        )


def drift_mV(
    v_mV: np.ndarray, dt_ms: float, stim_ms: float, window_ms: float = BASELINE_WINDOW_MS
) -> np.ndarray:
    """Drift of traces sampled every ``dt_ms`` from 0 over the window before ``stim_ms``.

    The ``drift_mV`` of :func:`baseline` (the same window: from the last sample before
    ``stim_ms`` back ``window_ms``), for many traces at once and without spike detection:
    for clamped compartments, which cannot fire.

    Parameters
    ----------
    v_mV : array (n,) or (k, n)
        Potentials (mV), one trace per row.
    dt_ms : float
        Sampling interval (ms).
    stim_ms : float
        Time of the first stimulus (ms).
    window_ms : float
        Length of the window (ms), cut at ``t = 0``.

    Returns
    -------
    float or array (k,)
        ``v(end) - v(start)`` (mV) per trace.
    """
    v = np.asarray(v_mV, dtype=float)
    n = v.shape[-1]
    end = min(max(int(math.ceil(stim_ms / dt_ms - 1e-9)) - 1, 0), n - 1)
    start = max(int(math.ceil((end * dt_ms - window_ms) / dt_ms - 1e-9)), 0)
    return v[..., end] - v[..., start]


def baseline(
    t_ms: np.ndarray,
    v_mV: np.ndarray,
    stim_ms: float,
    window_ms: float = BASELINE_WINDOW_MS,
    tol_mV: float = BASELINE_TOL_MV,
    spike_mV: float = -20.0,
) -> Baseline:
    """Measure the baseline of a trace over the ``window_ms`` before ``stim_ms``.

    Parameters
    ----------
    t_ms : array (n,)
        Sample times (ms), increasing, from 0.
    v_mV : array (n,)
        Potential (mV).
    stim_ms : float
        Time of the first stimulus (ms); the window ends at the last sample before it.
    window_ms : float
        Length of the window (ms), cut at ``t = 0``.
    tol_mV : float
        The most a flat baseline moves over the window (mV).
    spike_mV : float
        Spike detection level (mV).

    Returns
    -------
    Baseline
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    if t.shape != v.shape or t.ndim != 1 or t.size == 0:
        raise ValueError(f"t_ms and v_mV must be 1-D, equal and non-empty: {t.shape}, {v.shape}")
    end = max(int(np.searchsorted(t, stim_ms, side="left")) - 1, 0)
    start = int(np.searchsorted(t, t[end] - window_ms, side="left"))
    seg = v[start : end + 1]
    before = crossing_times(t[: end + 1], v[: end + 1], spike_mV) if end > 0 else np.array([])
    rng = float(np.ptp(seg)) if np.isfinite(seg).all() else math.nan
    return Baseline(
        rest_mV=float(v[end]),
        drift_mV=float(v[end] - v[start]),
        range_mV=rng,
        window_ms=float(t[end] - t[start]),
        spontaneous_spikes=int(before.size),
        ok=bool(before.size == 0 and rng <= tol_mV),
    )
