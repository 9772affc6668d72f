"""The TROND indices against closed forms (mgneuron.measures.nerve_excitability)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures.nerve_excitability import (
    iv_slope,
    threshold_change_pct,
    value_at,
    window_extreme,
    window_mean,
)


def test_threshold_change():
    assert threshold_change_pct(1.5, 1.0) == pytest.approx(50.0)
    assert np.allclose(threshold_change_pct([0.5, 2.0], 2.0), [-75.0, 0.0])
    assert math.isnan(threshold_change_pct(1.0, 0.0))
    assert np.isnan(threshold_change_pct([1.0, 2.0], math.nan)).all()


def test_windows_and_interpolation():
    x = [2.0, 5.0, 10.0, 15.0, 20.0, 90.0, 95.0]
    y = [1.0, 2.0, 3.0, 4.0, math.nan, 6.0, 8.0]
    assert window_mean(x, y, 10.0, 20.0) == pytest.approx(3.5)  # NaN left out
    assert window_mean(x, y, 90.0, 100.0) == pytest.approx(7.0)
    assert math.isnan(window_mean(x, y, 30.0, 40.0))
    assert window_extreme(x, y, 0.0, 12.0, "min") == 1.0
    assert window_extreme(x, y, 0.0, 12.0, "max") == 3.0
    with pytest.raises(ValueError, match="kind"):
        window_extreme(x, y, 0.0, 1.0, "mean")
    assert value_at([2.0, 3.0], [10.0, 20.0], 2.5) == pytest.approx(15.0)
    assert math.isnan(value_at([2.0, 3.0], [10.0, 20.0], 1.0))


def test_iv_slope_of_a_linear_relation():
    """A threshold reduction of k % per % of current gives a slope of exactly 1 / k; only
    the points within +/- 10 % count."""
    current = np.array([50.0, 20.0, 10.0, 0.0, -10.0, -50.0, -100.0])
    reduction = 1.6 * current
    reduction[0], reduction[-1] = 400.0, -900.0  # far points (nonlinear) are ignored
    assert iv_slope(current, reduction) == pytest.approx(1 / 1.6, rel=1e-12)
    assert math.isnan(iv_slope([0.0, 50.0], [0.0, 10.0]))
