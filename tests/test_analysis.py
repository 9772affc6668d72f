"""Tests of mgneuron.analysis: pure measures checked against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron import analysis as an


def test_crossing_times_interpolates_linearly():
    t = np.arange(0.0, 10.0, 0.5)
    v = -80.0 + 10.0 * t  # crosses -20 mV at the sample t = 6 ms
    assert an.crossing_times(t, v, -20.0) == pytest.approx([6.0])
    # A crossing between samples: v = -80 + 10 t crosses -23 mV at 5.7 ms.
    assert an.crossing_times(t, v, -23.0) == pytest.approx([5.7])


def test_crossing_times_counts_each_upward_crossing():
    t = np.linspace(0.0, 4.0 * np.pi, 4001)
    v = 50.0 * np.sin(t)
    c = an.crossing_times(t, v, 10.0)
    # sin(t) = 0.2 rising: t = asin(0.2) + 2 pi k
    assert c == pytest.approx([math.asin(0.2), math.asin(0.2) + 2 * np.pi], abs=1e-5)


def test_arrival_times_nan_where_no_spike_and_after_filter():
    t = np.linspace(0.0, 10.0, 1001)
    v = np.full((3, t.size), -80.0)
    v[0, t >= 2.0] = 20.0
    v[2, (t >= 1.0) & (t < 3.0)] = 20.0
    v[2, t >= 5.0] = 20.0
    out = an.arrival_times(t, v, -20.0, after_ms=4.0)
    assert math.isnan(out[1]) and math.isnan(out[0])
    assert out[2] == pytest.approx(4.995, abs=0.006)


def test_conduction_velocity_recovers_a_uniform_speed():
    x = np.arange(21) * 1150.0  # um
    cv = 55.0  # m/s = 55 um/us = 55e3 um/ms
    t = 0.3 + x / (cv * 1e3)
    assert an.conduction_velocity(t, x, 3, 17) == pytest.approx(cv, rel=1e-12)
    t[17] = np.nan
    assert math.isnan(an.conduction_velocity(t, x, 3, 17))


def test_cv_nodes_stay_away_from_the_ends():
    assert an.cv_nodes(21) == (3, 17)
    assert an.cv_nodes(7) == (2, 4)
    with pytest.raises(ValueError, match="too short"):
        an.cv_nodes(5)


def test_block_and_latency():
    t = np.array([0.2, 0.3, np.nan])
    assert an.is_blocked(t)
    assert not an.is_blocked(np.array([np.nan, np.nan, np.nan]))  # never started
    assert not an.is_blocked(np.array([0.2, 0.3, 0.4]))
    assert an.latency_ms(np.array([0.2, 0.3, 0.45]), 0.1) == pytest.approx(0.35)


def test_safety_factor_is_the_inverse_critical_fraction():
    assert an.safety_factor(0.25) == pytest.approx(4.0)
    assert an.safety_factor(2.0) == pytest.approx(0.5)
    assert an.safety_factor(0.0) == math.inf
    assert math.isnan(an.safety_factor(float("nan")))


@pytest.mark.parametrize("threshold", [0.0123, 0.7, 1.0, 3.7, 250.0])
def test_bisect_threshold_brackets_to_tolerance(threshold):
    calls = []

    def responds(x):
        calls.append(x)
        return x >= threshold

    found = an.bisect_threshold(responds, start=1.0, rel_tol=0.01)
    assert found >= threshold
    assert (found - threshold) / found <= 0.01
    assert len(calls) < 30


def test_bisect_threshold_gives_up_and_bottoms_out():
    assert math.isnan(an.bisect_threshold(lambda x: False, start=1.0, max_value=100.0))
    assert an.bisect_threshold(lambda x: True, start=1.0) == 0.0
    with pytest.raises(ValueError):
        an.bisect_threshold(lambda x: True, start=0.0)


def test_bisect_boundary_absolute_tolerance():
    found = an.bisect_boundary(lambda x: x >= 0.734, 0.1, 10.0, abs_tol=0.01)
    assert 0.734 <= found <= 0.744
    assert an.bisect_boundary(lambda x: True, 0.1, 10.0, 0.01) == 0.1
