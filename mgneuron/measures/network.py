"""Population measures of a network's spikes: rate, bursts, synchrony, the protocol's features.

Pure functions of spike times (ms) and node ids (0 .. n-1 within a population), as stored
in the SONATA layout; the network itself is built in :mod:`mgneuron.network`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EXC",
    "INH",
    "Burst",
    "population_rate",
    "detect_bursts",
    "synchrony_index",
    "network_features",
]

#: Population names (also the SONATA spike populations written by the protocol).
EXC = "excitatory"
INH = "inhibitory"


@dataclass(frozen=True)
class Burst:
    """One population burst: start and stop (ms), participating fraction, peak rate (Hz)."""

    start_ms: float
    stop_ms: float
    participation: float
    peak_rate_hz: float

    @property
    def duration_ms(self) -> float:
        """Length of the burst (ms)."""
        return self.stop_ms - self.start_ms


def population_rate(
    times_ms: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float = 1.0,
    smooth_ms: float = 10.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the population rate per cell (Hz), binned and smoothed with a Gaussian kernel.

    Parameters
    ----------
    times_ms : array of float
        Spike times of the population (ms).
    n_cells : int
        Number of cells of the population.
    t_start_ms, t_stop_ms : float
        Window (ms).
    bin_ms : float
        Bin width (ms).
    smooth_ms : float
        Standard deviation of the Gaussian kernel (ms); 0 for none.

    Returns
    -------
    (t_ms, rate_hz) : ndarrays
        Bin centres (ms) and rate per cell (Hz).

    Raises
    ------
    ValueError
        Unless n_cells > 0, t_stop_ms > t_start_ms and bin_ms > 0.
    """
    if n_cells <= 0 or t_stop_ms <= t_start_ms or bin_ms <= 0:
        raise ValueError("need n_cells > 0, t_stop_ms > t_start_ms and bin_ms > 0")
    n_bins = max(1, int(round((t_stop_ms - t_start_ms) / bin_ms)))
    edges = t_start_ms + bin_ms * np.arange(n_bins + 1)
    counts, _ = np.histogram(np.asarray(times_ms, float), bins=edges)
    rate = counts / (n_cells * bin_ms * 1e-3)
    if smooth_ms > 0:
        half = int(math.ceil(4 * smooth_ms / bin_ms))
        k = np.exp(-0.5 * (np.arange(-half, half + 1) * bin_ms / smooth_ms) ** 2)
        k /= k.sum()
        # Normalise by the kernel mass inside the window so the edges are not depressed.
        rate = np.convolve(rate, k, mode="same") / np.convolve(np.ones(n_bins), k, mode="same")
    return 0.5 * (edges[:-1] + edges[1:]), rate


def detect_bursts(
    times_ms: np.ndarray,
    node_ids: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    threshold_hz: float = 20.0,
    edge_fraction: float = 0.5,
    merge_ms: float = 50.0,
    min_duration_ms: float = 20.0,
    min_participation: float = 0.2,
    bin_ms: float = 1.0,
    smooth_ms: float = 10.0,
) -> list[Burst]:
    """Find population bursts: epochs in which much of the population fires at a high rate.

    The population rate per cell (:func:`population_rate`) must exceed ``threshold_hz``;
    each such epoch is widened to where the rate falls below ``edge_fraction *
    threshold_hz``, epochs closer than ``merge_ms`` are merged, and an epoch counts as a
    burst when it lasts at least ``min_duration_ms`` and at least ``min_participation``
    of the cells fire in it. Asynchronous firing at a few Hz never reaches the
    threshold: the smoothed rate of 100 cells at 5 Hz fluctuates by ~1-2 Hz.

    Parameters
    ----------
    times_ms, node_ids : arrays
        Spikes of the population (ms; node ids 0..n_cells-1).
    n_cells : int
    t_start_ms, t_stop_ms : float
        Analysis window (ms).
    threshold_hz : float
        Onset threshold of the per-cell population rate (Hz).
    edge_fraction : float
        Burst edges are where the rate falls below this fraction of the threshold.
    merge_ms : float
        Bursts separated by less than this are one burst (ms).
    min_duration_ms : float
        Shorter epochs are not bursts (ms).
    min_participation : float
        Minimal fraction of cells spiking in a burst (0-1).
    bin_ms, smooth_ms : float
        Rate estimation (ms), see :func:`population_rate`.

    Returns
    -------
    list of Burst
        In time order.
    """
    times_ms = np.asarray(times_ms, float)
    node_ids = np.asarray(node_ids, np.int64)
    t, rate = population_rate(times_ms, n_cells, t_start_ms, t_stop_ms, bin_ms, smooth_ms)
    above = rate > threshold_hz
    if not above.any():
        return []
    edge = rate > edge_fraction * threshold_hz
    # Epochs of the edge mask that contain at least one supra-threshold bin.
    d = np.diff(np.concatenate(([0], edge.astype(np.int8), [0])))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    epochs = [(a, b) for a, b in zip(starts, stops, strict=True) if above[a:b].any()]
    merged: list[list[int]] = []
    gap_bins = merge_ms / bin_ms
    for a, b in epochs:
        if merged and a - merged[-1][1] < gap_bins:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    half = 0.5 * bin_ms
    bursts = []
    for a, b in merged:
        t0, t1 = t[a] - half, t[b - 1] + half
        if t1 - t0 < min_duration_ms:
            continue
        inside = (times_ms >= t0) & (times_ms < t1)
        frac = len(np.unique(node_ids[inside])) / n_cells
        if frac < min_participation:
            continue
        bursts.append(Burst(float(t0), float(t1), float(frac), float(rate[a:b].max())))
    return bursts


def synchrony_index(
    times_ms: np.ndarray,
    node_ids: np.ndarray,
    n_cells: int,
    t_start_ms: float,
    t_stop_ms: float,
    bin_ms: float = 10.0,
) -> float:
    """Golomb's synchrony measure chi of binned spike counts (0 asynchronous - 1 synchronous).

    ``chi**2 = var_t(mean_i x_i(t)) / mean_i var_t(x_i(t))`` with ``x_i`` the spike count
    of cell i in bins of ``bin_ms`` (Golomb & Rinzel 1993, Physica D 72:259; Golomb 2007,
    Scholarpedia 2:1347). For independent cells chi ~ 1/sqrt(N); for identical trains
    chi = 1. Returns NaN when no cell fires.

    Parameters
    ----------
    times_ms, node_ids : arrays
        Spikes (ms; node ids 0..n_cells-1).
    n_cells : int
    t_start_ms, t_stop_ms : float
        Window (ms).
    bin_ms : float
        Bin width (ms).
    """
    n_bins = max(1, int(round((t_stop_ms - t_start_ms) / bin_ms)))
    times_ms = np.asarray(times_ms, float)
    node_ids = np.asarray(node_ids, np.int64)
    keep = (times_ms >= t_start_ms) & (times_ms < t_stop_ms)
    b = np.minimum(((times_ms[keep] - t_start_ms) / bin_ms).astype(np.int64), n_bins - 1)
    x = np.zeros((n_cells, n_bins))
    np.add.at(x, (node_ids[keep], b), 1.0)
    denom = x.var(axis=1).mean()
    if denom == 0:
        return float("nan")
    return float(math.sqrt(x.mean(axis=0).var() / denom))


def network_features(
    spikes: dict[str, tuple[np.ndarray, np.ndarray]],
    n_exc: int,
    n_inh: int,
    t_start_ms: float,
    t_stop_ms: float,
    **burst_options: float,
) -> tuple[dict[str, float], list[Burst]]:
    """Compute the ``low_mg_network`` protocol's measures from the spikes of both populations.

    Bursts and synchrony are measured on the excitatory population.

    Parameters
    ----------
    spikes : dict
        ``{EXC: (times_ms, node_ids), INH: (times_ms, node_ids)}``.
    n_exc, n_inh : int
        Sizes of the two populations.
    t_start_ms, t_stop_ms : float
        Analysis window (ms).
    **burst_options : float
        Passed to :func:`detect_bursts` (``threshold_hz`` ...).

    Returns
    -------
    (features, bursts)
        ``rate_exc_hz, rate_inh_hz`` (mean per cell), ``n_bursts``, ``burst_rate_hz``
        (bursts per second), ``burst_duration_ms`` (mean; NaN without bursts),
        ``burst_fraction`` (fraction of the window inside bursts), ``burst_participation``
        (mean fraction of cells in a burst; NaN without bursts), ``ibi_ms`` (mean
        interval between burst onsets; NaN with fewer than two bursts), ``synchrony``
        (chi), ``n_spikes_exc``, ``n_spikes_inh`` (whole run).
    """
    window_s = (t_stop_ms - t_start_ms) * 1e-3
    feats: dict[str, float] = {}
    for pop, label, size in ((EXC, "exc", n_exc), (INH, "inh", n_inh)):
        t, _ = spikes[pop]
        inside = (t >= t_start_ms) & (t < t_stop_ms)
        feats[f"rate_{label}_hz"] = float(inside.sum() / (size * window_s))
        feats[f"n_spikes_{label}"] = int(len(t))
    t, ids = spikes[EXC]
    bursts = detect_bursts(t, ids, n_exc, t_start_ms, t_stop_ms, **burst_options)
    dur = np.array([b.duration_ms for b in bursts])
    feats["n_bursts"] = len(bursts)
    feats["burst_rate_hz"] = len(bursts) / window_s
    feats["burst_duration_ms"] = float(dur.mean()) if len(dur) else float("nan")
    feats["burst_fraction"] = float(dur.sum() / (t_stop_ms - t_start_ms))
    feats["burst_participation"] = (
        float(np.mean([b.participation for b in bursts])) if bursts else float("nan")
    )
    starts = np.array([b.start_ms for b in bursts])
    feats["ibi_ms"] = float(np.diff(starts).mean()) if len(starts) > 1 else float("nan")
    feats["synchrony"] = synchrony_index(t, ids, n_exc, t_start_ms, t_stop_ms)
    return feats, bursts
