"""Tests of mgneuron.measures.conduction: arrival, velocity, block, latency, safety factor,
checked against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures import (
    arrival_times,
    conduction_velocity,
    cv_nodes,
    is_blocked,
    latency_ms,
    safety_factor,
)


def test_arrival_times_nan_where_no_spike_and_after_filter():
    t = np.linspace(0.0, 10.0, 1001)
    v = np.full((3, t.size), -80.0)
    v[0, t >= 2.0] = 20.0
    v[2, (t >= 1.0) & (t < 3.0)] = 20.0
    v[2, t >= 5.0] = 20.0
    out = arrival_times(t, v, -20.0, after_ms=4.0)
    assert math.isnan(out[1]) and math.isnan(out[0])
    assert out[2] == pytest.approx(4.995, abs=0.006)


def test_conduction_velocity_recovers_a_uniform_speed():
    x = np.arange(21) * 1150.0  # um
    cv = 55.0  # m/s = 55 um/us = 55e3 um/ms
    t = 0.3 + x / (cv * 1e3)
    assert conduction_velocity(t, x, 3, 17) == pytest.approx(cv, rel=1e-12)
    t[17] = np.nan
    assert math.isnan(conduction_velocity(t, x, 3, 17))


def test_cv_nodes_stay_away_from_the_ends():
    assert cv_nodes(21) == (3, 17)
    assert cv_nodes(7) == (2, 4)
    with pytest.raises(ValueError, match="too short"):
        cv_nodes(5)


def test_block_and_latency():
    t = np.array([0.2, 0.3, np.nan])
    assert is_blocked(t)
    assert not is_blocked(np.array([np.nan, np.nan, np.nan]))  # never started
    assert not is_blocked(np.array([0.2, 0.3, 0.4]))
    assert latency_ms(np.array([0.2, 0.3, 0.45]), 0.1) == pytest.approx(0.35)


def test_safety_factor_is_the_inverse_critical_fraction():
    assert safety_factor(0.25) == pytest.approx(4.0)
    assert safety_factor(2.0) == pytest.approx(0.5)
    assert safety_factor(0.0) == math.inf
    assert math.isnan(safety_factor(float("nan")))
