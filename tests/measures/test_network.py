"""Population measures of spike trains (pure functions, closed-form references)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures.network import (
    EXC,
    INH,
    detect_bursts,
    network_features,
    population_rate,
    synchrony_index,
)


def _poisson(n_cells, rate_hz, t_ms, seed):
    rng = np.random.default_rng(seed)
    t, ids = [], []
    for i in range(n_cells):
        k = rng.poisson(rate_hz * t_ms / 1000)
        t.append(rng.uniform(0, t_ms, k))
        ids.append(np.full(k, i))
    return np.concatenate(t), np.concatenate(ids)


def test_synchrony_index_closed_forms():
    """Golomb's chi: 1/sqrt(N) for independent cells (within 15 %), exactly 1 for identical ones.

    For independent trains var(mean) = mean(var)/N, so chi = 1/sqrt(N); the tolerance
    covers the sampling error of the variances over 500 bins.
    """
    n = 100
    t, ids = _poisson(n, 5.0, 5000.0, 1)
    chi = synchrony_index(t, ids, n, 0.0, 5000.0, bin_ms=10.0)
    assert chi == pytest.approx(1 / math.sqrt(n), rel=0.15)
    one = np.sort(np.random.default_rng(2).uniform(0, 5000, 25))
    t2 = np.tile(one, n)
    ids2 = np.repeat(np.arange(n), len(one))
    assert synchrony_index(t2, ids2, n, 0.0, 5000.0) == pytest.approx(1.0, abs=1e-12)
    assert math.isnan(synchrony_index(np.array([]), np.array([]), n, 0.0, 100.0))


def test_population_rate_of_a_constant_rate_is_that_rate():
    t, ids = _poisson(200, 10.0, 5000.0, 3)
    _, r = population_rate(t, 200, 0.0, 5000.0, bin_ms=1.0, smooth_ms=10.0)
    assert r.mean() == pytest.approx(10.0, rel=0.05)
    assert r.max() < 20.0  # the burst threshold is never reached by asynchronous firing


@pytest.mark.parametrize(
    "n_cells, t_start, t_stop, bin_ms", [(0, 0.0, 10.0, 1.0), (5, 10.0, 10.0, 1.0), (5, 0, 10, 0)]
)
def test_population_rate_rejects_an_empty_window(n_cells, t_start, t_stop, bin_ms):
    with pytest.raises(ValueError, match="n_cells > 0"):
        population_rate(np.array([1.0]), n_cells, t_start, t_stop, bin_ms)


def test_detect_bursts_on_synthetic_population_bursts():
    """Five 100-ms bursts (every cell fires 5 spikes) on a 2 Hz Poisson floor: found exactly."""
    n, rng = 80, np.random.default_rng(4)
    t, ids = _poisson(n, 2.0, 5000.0, 5)
    onsets = np.array([500.0, 1400.0, 2300.0, 3200.0, 4100.0])
    bt = np.concatenate([o + rng.uniform(0, 100, (n, 5)).ravel() for o in onsets])
    bid = np.tile(np.repeat(np.arange(n), 5), len(onsets))
    tt, ii = np.concatenate([t, bt]), np.concatenate([ids, bid])
    bursts = detect_bursts(tt, ii, n, 0.0, 5000.0)
    assert len(bursts) == 5
    for b, o in zip(bursts, onsets, strict=True):
        assert b.start_ms == pytest.approx(o, abs=25.0)
        assert b.duration_ms == pytest.approx(100.0, abs=40.0)
        assert b.participation == 1.0
    assert detect_bursts(t, ids, n, 0.0, 5000.0) == []
    feats, _ = network_features(
        {EXC: (tt, ii), INH: (np.array([]), np.array([], int))}, n, 4, 0.0, 5000.0
    )
    assert feats["n_bursts"] == 5 and feats["burst_rate_hz"] == pytest.approx(1.0)
    assert feats["ibi_ms"] == pytest.approx(900.0, abs=30.0)
    assert feats["burst_fraction"] == pytest.approx(5 * feats["burst_duration_ms"] / 5000.0)
    assert feats["synchrony"] > 0.5
    assert feats["rate_inh_hz"] == 0.0 and feats["n_spikes_inh"] == 0
