"""Tests of mgneuron.measures.spikes: threshold crossings against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures import (
    count_spikes,
    crossing_times,
    firing_rate_hz,
    spike_times,
    threshold_dvdt,
)


def test_crossing_times_interpolates_linearly():
    t = np.arange(0.0, 10.0, 0.5)
    v = -80.0 + 10.0 * t  # crosses -20 mV at the sample t = 6 ms
    assert crossing_times(t, v, -20.0) == pytest.approx([6.0])
    # A crossing between samples: v = -80 + 10 t crosses -23 mV at 5.7 ms.
    assert crossing_times(t, v, -23.0) == pytest.approx([5.7])


def test_crossing_times_counts_each_upward_crossing():
    t = np.linspace(0.0, 4.0 * np.pi, 4001)
    v = 50.0 * np.sin(t)
    c = crossing_times(t, v, 10.0)
    # sin(t) = 0.2 rising: t = asin(0.2) + 2 pi k
    assert c == pytest.approx([math.asin(0.2), math.asin(0.2) + 2 * np.pi], abs=1e-5)


# dV/dt threshold, spike times, counts and rates (moved from tests/test_excitability.py)


def exp_runaway(t0=1.0, v0=-60.0, tau=1.0, dt=0.01, t_end=14.0, a=0.01):
    """v = v0 + a exp((t - t0)/tau) after t0 (flat v0 + a before): dV/dt = (v - v0)/tau."""
    t = np.arange(0.0, t_end, dt)
    v = v0 + a * np.exp(np.maximum(t - t0, 0.0) / tau)
    return t, np.minimum(v, 40.0)


def test_threshold_dvdt_closed_form():
    """dV/dt = (v - v0)/tau reaches c at v = v0 + c tau: -60 + 20 * 1 = -40 mV (1e-3 mV)."""
    t, v = exp_runaway()
    assert threshold_dvdt(t, v, 20.0) == pytest.approx(-40.0, abs=1e-3)
    assert threshold_dvdt(t, v, 10.0) == pytest.approx(-50.0, abs=1e-3)
    # non-uniform sampling (CVODE) gives the same answer
    keep = np.unique(np.concatenate([np.arange(0, t.size, 7), np.arange(t.size - 300, t.size)]))
    assert threshold_dvdt(t[keep], v[keep], 20.0) == pytest.approx(-40.0, abs=0.05)


def test_threshold_dvdt_skips_the_charging_transient_of_a_step():
    """A fast step onset (dV/dt 200 mV/ms, then falling back) is not the spike onset."""
    t, v = exp_runaway(t0=3.0)
    onset = (t >= 0.5) & (t < 0.55)
    jump = np.cumsum(np.where(onset, 200.0 * 0.01, 0.0))  # +10 mV in 0.05 ms at t = 0.5
    assert threshold_dvdt(t, v + jump, 20.0) == pytest.approx(-30.0, abs=1e-3)


def test_threshold_dvdt_nan_without_spike_or_onset():
    t = np.arange(0, 10, 0.01)
    assert math.isnan(threshold_dvdt(t, -70 + 0 * t, 20.0))
    # a trace that is already rising faster than the criterion when the window starts
    t2, v2 = exp_runaway()
    assert math.isnan(threshold_dvdt(t2, v2, 20.0, start_ms=float(t2[np.argmax(v2 > -40)])))


def test_spike_counting_and_rates():
    t = np.arange(0, 100, 0.1)
    v = -70 + 100 * ((t % 20) < 1)  # a 1-ms "spike" every 20 ms from t = 0
    assert count_spikes(t, v) == 4  # t = 20, 40, 60, 80 (t = 0 is not a crossing)
    assert np.allclose(spike_times(t, v, start_ms=30), [39.93, 59.93, 79.93], atol=0.08)
    assert firing_rate_hz(spike_times(t, v), 0.0, 100.0) == pytest.approx(40.0)
    with pytest.raises(ValueError):
        firing_rate_hz([], 5.0, 5.0)
