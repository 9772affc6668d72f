"""mgneuron.measures.baseline: rest, drift, spikes and the verdict before a stimulus.

References: closed forms on synthetic traces (a ramp of known slope, a flat line, a
spike of known time); tolerance 1e-12 mV (exact arithmetic up to rounding).
"""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.measures import Baseline, baseline

DT = 0.025


def _t(stop: float) -> np.ndarray:
    return np.arange(int(round(stop / DT)) + 1) * DT


def test_flat_trace_is_ok():
    t = _t(50.0)
    b = baseline(t, np.full_like(t, -71.5), 20.0)
    assert b == Baseline(-71.5, 0.0, 0.0, pytest.approx(10.0), 0, True)
    assert b.features() == {
        "rest_mV": -71.5,
        "baseline_drift_mV": 0.0,
        "baseline_ok": True,
        "spontaneous_spikes": 0,
    }


def test_ramp_gives_its_slope_times_the_window_and_fails_the_tolerance():
    """A ramp of -0.07 mV/ms moves by -0.7 mV over the 10 ms before 20 ms."""
    t = _t(50.0)
    v = -70.0 - 0.07 * t
    b = baseline(t, v, 20.0)
    k = int(round(20.0 / DT)) - 1  # the last sample before the stimulus
    assert b.rest_mV == pytest.approx(v[k], abs=1e-12)
    assert b.drift_mV == pytest.approx(-0.07 * 10.0, abs=1e-9)
    assert b.range_mV == pytest.approx(0.7, abs=1e-9) and not b.ok
    assert "moved by 0.7 mV" in b.describe()
    # the same ramp passes a looser tolerance, and a slower one the default
    assert baseline(t, v, 20.0, tol_mV=1.0).ok
    assert baseline(t, -70.0 - 0.005 * t, 20.0).ok


def test_spike_before_the_stimulus_is_counted_and_fails():
    t = _t(50.0)
    v = np.full_like(t, -65.0)
    v[(t > 3.0) & (t < 4.0)] = 20.0  # one spike at 3 ms, long before the window
    b = baseline(t, v, 20.0)
    assert b.spontaneous_spikes == 1 and not b.ok and b.range_mV == 0.0
    assert "fired 1 spike" in b.describe()
    assert baseline(t, v, 2.0).spontaneous_spikes == 0  # a stimulus before it


def test_early_stimulus_shortens_the_window():
    t = _t(20.0)
    b = baseline(t, -70.0 + 0.01 * t, 4.0)
    assert b.window_ms == pytest.approx(4.0 - DT)
    assert b.drift_mV == pytest.approx(0.01 * (4.0 - DT), abs=1e-9) and b.ok


def test_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        baseline(np.arange(3.0), np.arange(4.0), 1.0)


@pytest.mark.parametrize("stim_ms", [0.0, 0.013, 3.0, 10.0, 10.0125, 37.5, 500.0])
def test_drift_of_many_traces_equals_baseline_drift(stim_ms):
    """drift_mV (vectorised, no spike detection) takes the window of baseline(): equal
    drift on random traces, for stimulus times on, between and beyond the samples."""
    from mgneuron.measures.baseline import drift_mV

    rng = np.random.default_rng(3)
    dt = 0.025
    v = rng.normal(-70.0, 1.0, size=(4, 1601))  # 40 ms
    t = np.arange(v.shape[1]) * dt
    expected = [baseline(t, row, stim_ms).drift_mV for row in v]
    assert drift_mV(v, dt, stim_ms) == pytest.approx(expected, abs=0)
