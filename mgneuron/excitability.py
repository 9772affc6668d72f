"""Excitability measures: spikes, voltage threshold, rheobase search, firing rates, F-I gain.

Pure functions of recorded arrays (times in ms, potentials in mV, currents in nA) and of
predicates (for the rheobase search); nothing here touches NEURON, so every function can be
tested against a closed form and reused on stored traces. Spike detection and the
bisection itself come from :mod:`mgneuron.analysis` (:func:`~mgneuron.analysis.crossing_times`,
:func:`~mgneuron.analysis.bisect_boundary`).

Spikes
    :func:`spike_times`, :func:`count_spikes`, :func:`firing_rate_hz`.
Voltage threshold
    :func:`threshold_dvdt`: the membrane potential at which dV/dt rises through a
    criterion (default 20 mV/ms) on the upstroke of a spike, the "first-derivative"
    method of Sekerli, Del Negro, Lee & Butera 2004 (IEEE Trans Biomed Eng 51:1665).
Rheobase
    :func:`find_rheobase`: the smallest current of a given pulse that evokes a spike,
    by geometric bracketing around a guess and bisection to a relative tolerance.
F-I curve
    :func:`fi_gain`: slope (Hz/nA) of a straight line through the suprathreshold points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from mgneuron.analysis import bisect_boundary, crossing_times

__all__ = [
    "spike_times",
    "count_spikes",
    "firing_rate_hz",
    "threshold_dvdt",
    "find_rheobase",
    "fi_gain",
]


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
    """Number of spikes in ``[start_ms, stop_ms)`` (see :func:`spike_times`)."""
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


def find_rheobase(
    fires: Callable[[float], bool],
    guess_nA: float,
    rel_tol: float = 0.01,
    factor: float = 1.5,
    max_nA: float = 1e3,
    min_nA: float = 1e-6,
) -> float:
    """Smallest current (nA) for which ``fires(current)`` holds: bracket, then bisect.

    The bracket grows geometrically by ``factor`` from ``guess_nA`` (up, or down if the
    guess already fires), so a good guess costs one or two trials; the bisection
    (:func:`mgneuron.analysis.bisect_boundary`) then narrows it to ``rel_tol`` of the
    lower end.

    Parameters
    ----------
    fires : callable(float) -> bool
        Monotone predicate: False below the rheobase, True at and above it.
    guess_nA : float
        First current tried (> 0).
    rel_tol : float
        Width of the final bracket relative to its lower end.
    factor : float
        Bracket growth factor (> 1).
    max_nA, min_nA : float
        Give up above ``max_nA`` (return NaN) or below ``min_nA`` (return 0: the
        predicate holds with no current, e.g. a spontaneously firing cell).

    Returns
    -------
    float
        The upper end of the final bracket (a current that fires), NaN or 0 as above.
    """
    if not guess_nA > 0:
        raise ValueError(f"guess_nA must be positive, got {guess_nA}")
    if not factor > 1:
        raise ValueError(f"factor must be > 1, got {factor}")
    seen: dict[float, bool] = {}

    def ask(current: float) -> bool:  # bisect_boundary re-asks its lower end
        if current not in seen:
            seen[current] = bool(fires(current))
        return seen[current]

    x = float(guess_nA)
    if ask(x):
        hi = x
        while True:
            x /= factor
            if x < min_nA:
                return 0.0
            if not ask(x):
                lo = x
                break
            hi = x
    else:
        lo = x
        while True:
            x *= factor
            if x > max_nA:
                return math.nan
            if ask(x):
                hi = x
                break
            lo = x
    return bisect_boundary(ask, lo, hi, abs_tol=rel_tol * lo)


def fi_gain(current_nA: Sequence[float], rate_hz: Sequence[float]) -> float:
    """F-I gain (Hz/nA): least-squares slope through the points with a non-zero rate.

    Parameters
    ----------
    current_nA, rate_hz : sequence of float
        Points of the F-I curve.

    Returns
    -------
    float
        Slope (Hz/nA); NaN with fewer than two firing points.
    """
    i = np.asarray(current_nA, dtype=float)
    f = np.asarray(rate_hz, dtype=float)
    ok = np.isfinite(i) & np.isfinite(f) & (f > 0)
    if np.count_nonzero(ok) < 2 or np.ptp(i[ok]) == 0:
        return math.nan
    return float(np.polyfit(i[ok], f[ok], 1)[0])
