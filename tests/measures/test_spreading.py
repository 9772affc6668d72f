"""Spreading-depolarization measures against synthetic waves of known speed and duration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures.spreading import (
    arrival_times,
    depolarization_duration_s,
    sd_features,
    wave_speed_mm_per_min,
)


def _wave(speed_mm_per_min=4.0, duration_s=12.0, n=30, dx=50.0, dt=10.0, tstop=40000.0):
    """A front moving at a known speed: each place at -70 mV, then -5 mV for duration_s."""
    x = (np.arange(n) + 0.5) * dx
    t = np.arange(0.0, tstop + dt, dt)
    c = speed_mm_per_min / 60.0  # um/ms
    arrive = x / c
    up = (t[:, None] >= arrive[None, :]) & (t[:, None] < arrive[None, :] + 1e3 * duration_s)
    v = np.where(up, -5.0, -70.0)
    ko = np.where(up, 50.0, 3.5)
    return x, t, v, ko, arrive


def test_speed_and_duration_of_a_known_wave():
    x, t, v, ko, arrive = _wave()
    arr = arrival_times(t, v)
    # the crossing is interpolated between the samples before and at the front
    assert np.all(np.abs(arr - arrive) <= 10.0)
    assert wave_speed_mm_per_min(x, arr) == pytest.approx(4.0, rel=0.01)
    f = sd_features(x, t, v, t, ko, 500.0, 1350.0)
    assert f["sd_started"] is True
    assert f["sd_speed_mm_per_min"] == pytest.approx(4.0, rel=0.01)
    assert f["depolarization_s"] == pytest.approx(12.0, abs=0.02)
    assert f["k_peak_mM"] == 50.0


def test_interpolated_crossing_is_exact_for_a_ramp():
    t = np.array([0.0, 10.0, 20.0])
    v = np.array([[-70.0], [-50.0], [-10.0]])
    assert arrival_times(t, v, -30.0)[0] == pytest.approx(15.0)
    assert depolarization_duration_s(t, v[:, 0]) != depolarization_duration_s(t, v[:, 0])  # NaN


def test_a_wobble_on_the_way_up_does_not_end_the_depolarization():
    t = np.arange(0.0, 10001.0, 10.0)
    v = np.full(t.size, -70.0)
    v[(t >= 1000) & (t < 8000)] = -5.0
    v[(t >= 1000) & (t < 1020)] = -29.0  # up through -30 mV ...
    v[(t >= 1020) & (t < 1040)] = -31.0  # ... a dip back below it ...
    assert depolarization_duration_s(t, v) == pytest.approx(7.0, abs=0.02)


def test_no_wave_no_speed():
    x, t, v, ko, _ = _wave(speed_mm_per_min=1.0)  # reaches only 667 um in 40 s
    f = sd_features(x, t, v, t, ko, 500.0, 1350.0)
    assert f["sd_started"] is False
    assert math.isnan(f["sd_speed_mm_per_min"]) and math.isnan(f["depolarization_s"])
    assert math.isnan(wave_speed_mm_per_min(x, np.full(x.size, np.nan)))
    # a depolarization that outlasts the run has no duration
    x, t, v, ko, _ = _wave(duration_s=100.0)
    assert math.isnan(sd_features(x, t, v, t, ko, 500.0, 1350.0)["depolarization_s"])
