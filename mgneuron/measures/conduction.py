"""Conduction along an axon: arrival times, velocity, block, latency, safety factor.

Pure functions of recorded arrays (times in ms, potentials in mV, positions in um).
"""

from __future__ import annotations

import math

import numpy as np

from mgneuron.measures.spikes import crossing_times

__all__ = [
    "arrival_times",
    "cv_nodes",
    "conduction_velocity",
    "is_blocked",
    "latency_ms",
    "safety_factor",
]


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
