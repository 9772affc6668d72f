"""Measures: pure functions of recorded arrays (and of predicates, for bisections).

Nothing here touches NEURON: the functions take numpy arrays (times in ms, potentials in
mV, currents in nA, positions in um) and return numbers, so they can be tested against
closed forms and reused on stored traces.

Conduction
    :func:`crossing_times`, :func:`arrival_times`, :func:`conduction_velocity`,
    :func:`cv_nodes`, :func:`is_blocked`, :func:`latency_ms`, :func:`safety_factor`.
Bisections
    :func:`bisect_threshold` (threshold current of a pulse, to a relative tolerance),
    :func:`bisect_boundary` (a boundary of a monotone predicate, e.g. the refractory
    period, to an absolute tolerance).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "crossing_times",
    "arrival_times",
    "cv_nodes",
    "conduction_velocity",
    "is_blocked",
    "latency_ms",
    "safety_factor",
    "bisect_threshold",
    "bisect_boundary",
]


def crossing_times(t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = -20.0) -> np.ndarray:
    """Times of the upward crossings of a threshold, linearly interpolated between samples.

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


def arrival_times(
    t_ms: np.ndarray, v_mV: np.ndarray, threshold_mV: float = -20.0, after_ms: float = 0.0
) -> np.ndarray:
    """First upward threshold crossing after ``after_ms`` at each recording site.

    Parameters
    ----------
    t_ms : array (n_t,)
    v_mV : array (n_sites, n_t)
    threshold_mV : float
    after_ms : float
        Ignore crossings before this time (ms).

    Returns
    -------
    numpy.ndarray (n_sites,)
        Arrival times (ms); NaN where the site never crossed.
    """
    v = np.atleast_2d(np.asarray(v_mV, dtype=float))
    out = np.full(v.shape[0], np.nan)
    for i, row in enumerate(v):
        c = crossing_times(t_ms, row, threshold_mV)
        c = c[c >= after_ms]
        if c.size:
            out[i] = c[0]
    return out


def cv_nodes(n_nodes: int, margin: int | None = None) -> tuple[int, int]:
    """Two nodes for a conduction-velocity measurement, away from the axon's ends.

    Default margin: ``max(2, n_nodes // 6)`` nodes from each end (end effects of a sealed
    end and of the stimulus reach about two nodes).
    """
    if margin is None:
        margin = max(2, n_nodes // 6)
    i0, i1 = margin, n_nodes - 1 - margin
    if i1 <= i0:
        raise ValueError(
            f"an axon of {n_nodes} nodes is too short for a CV measurement {margin} nodes away "
            "from each end; use more nodes or a smaller margin"
        )
    return i0, i1


def conduction_velocity(arrival_ms: np.ndarray, x_um: np.ndarray, i0: int, i1: int) -> float:
    """Conduction velocity (m/s) between sites i0 and i1 from their arrival times.

    ``|x[i1] - x[i0]| / |t[i1] - t[i0]|``; 1 um/ms = 1e-3 m/s. NaN if either site has no
    spike (conduction failed) or the times coincide.
    """
    t = np.asarray(arrival_ms, dtype=float)
    x = np.asarray(x_um, dtype=float)
    dt = abs(t[i1] - t[i0])
    if not np.isfinite(dt) or dt == 0:
        return math.nan
    return abs(x[i1] - x[i0]) / dt * 1e-3


def safety_factor(critical_fraction: float) -> float:
    """Safety factor of conduction from the critical fraction of sodium conductance.

    ``SF = 1 / k*`` where ``k*`` is the smallest fraction of their sodium conductance the
    nodes of a region need for the spike to cross it (found by
    :func:`mgneuron.axon.lesion_safety_factor`). SF is how many times the regenerative
    current exceeds what conduction needs, the sense of Tasaki's safety factor (1953,
    *Nervous Transmission*; about 5-7 in frog fibres); SF < 1 means conduction fails,
    SF = inf that the spike crosses the region even with its nodes silenced.

    Parameters
    ----------
    critical_fraction : float
        k* (dimensionless, >= 0); NaN if unknown.
    """
    k = float(critical_fraction)
    if math.isnan(k) or k < 0:
        return math.nan
    return math.inf if k == 0 else 1.0 / k


def is_blocked(arrival_ms: np.ndarray, stim_site: int = 0, far_site: int = -1) -> bool:
    """Conduction block: a spike exists at the stimulated site but not at the far site."""
    t = np.asarray(arrival_ms, dtype=float)
    return bool(np.isfinite(t[stim_site]) and not np.isfinite(t[far_site]))


def latency_ms(arrival_ms: np.ndarray, stim_onset_ms: float, site: int = -1) -> float:
    """Latency (ms) from the stimulus onset to the spike's arrival at ``site`` (NaN if none)."""
    return float(np.asarray(arrival_ms, dtype=float)[site] - stim_onset_ms)


def bisect_threshold(
    responds: Callable[[float], bool],
    start: float = 1.0,
    rel_tol: float = 0.01,
    max_value: float = 1e4,
    max_iter: int = 100,
    min_ratio: float = 1e-6,
) -> float:
    """Smallest stimulus that gives a response, by bracketing then bisection.

    Parameters
    ----------
    responds : callable(float) -> bool
        Monotone predicate: False below threshold, True at and above.
    start : float
        First value tried; the bracket grows or shrinks by factors of 2 from it.
    rel_tol : float
        Stop when (high - low) / high <= rel_tol.
    max_value : float
        Give up (return NaN) if even this value gives no response.
    min_ratio : float
        Return 0 if even ``start * min_ratio`` responds.

    Returns
    -------
    float
        The upper end of the final bracket (a value that responds).
    """
    if start <= 0:
        raise ValueError(f"start must be positive, got {start}")
    lo, hi = None, None
    x = start
    if responds(x):
        hi = x
        while lo is None:
            x /= 2
            if x < start * min_ratio:
                return 0.0
            if responds(x):
                hi = x
            else:
                lo = x
    else:
        lo = x
        while hi is None:
            x *= 2
            if x > max_value:
                return math.nan
            if responds(x):
                hi = x
            else:
                lo = x
    for _ in range(max_iter):
        if (hi - lo) / hi <= rel_tol:
            break
        mid = 0.5 * (lo + hi)
        if responds(mid):
            hi = mid
        else:
            lo = mid
    return hi


def bisect_boundary(
    ok: Callable[[float], bool], low: float, high: float, abs_tol: float, max_iter: int = 100
) -> float:
    """Boundary of a monotone predicate on [low, high] (False at low, True at high).

    Returns the upper end of the final bracket (a value where ``ok`` holds), within
    ``abs_tol`` of the boundary. If ``ok(low)`` already holds, returns ``low``.
    """
    if ok(low):
        return low
    lo, hi = low, high
    for _ in range(max_iter):
        if hi - lo <= abs_tol:
            break
        mid = 0.5 * (lo + hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
