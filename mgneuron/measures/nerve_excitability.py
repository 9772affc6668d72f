"""Indices of the nerve excitability tests (TROND) from threshold-tracking curves.

Pure functions of thresholds (any current unit) and times (ms), with the definitions of
the TROND protocol and its QTRAC analysis (Kiernan, Burke, Andersen & Bostock 2000,
Muscle Nerve 23:399; Bostock, Cikurel & Burke 1998, Muscle Nerve 21:137):

* threshold change of a test under a conditioning stimulus, ``100 (I - I0) / I0`` (%),
  with ``I0`` the unconditioned threshold; threshold electrotonus and the current-
  threshold relation report the *threshold reduction*, its negative;
* ``TEd(10-20 ms)`` / ``TEh(90-100 ms)``: mean threshold reduction over the test delays
  (from the onset of the 100-ms conditioning current) in that window;
* refractoriness: threshold change at a conditioning-test interval of 2.5 ms;
  superexcitability: the most negative threshold change over 4-15 ms (reported
  negative, as QTRAC does); late subexcitability: the largest threshold change over
  20-60 ms;
* resting I/V slope: the slope of conditioning current (% of I0) against threshold
  reduction (%) through the points at -10, 0 and +10 % (least squares), so that a
  passive, linear node gives the ratio of the current to the threshold change it causes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "threshold_change_pct",
    "window_mean",
    "window_extreme",
    "value_at",
    "iv_slope",
]


def threshold_change_pct(threshold, control: float):
    """Threshold change (%) of ``threshold`` (scalar or array) relative to ``control``.

    ``100 (threshold - control) / control``; NaN when ``control`` is not a positive number.
    """
    if not (np.isfinite(control) and control > 0):
        return np.full(np.shape(threshold), math.nan) if np.ndim(threshold) else math.nan
    return 100.0 * (np.asarray(threshold, dtype=float) - control) / control


def window_mean(x: Sequence[float], y: Sequence[float], lo: float, hi: float) -> float:
    """Mean of the finite ``y`` whose ``x`` lies in ``[lo, hi]`` (NaN if none)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    sel = (x >= lo) & (x <= hi) & np.isfinite(y)
    return float(y[sel].mean()) if sel.any() else math.nan


def window_extreme(x: Sequence[float], y: Sequence[float], lo: float, hi: float, kind: str):
    """``kind`` = "min" or "max" of the finite ``y`` whose ``x`` lies in ``[lo, hi]``."""
    if kind not in ("min", "max"):
        raise ValueError(f"kind must be 'min' or 'max', got {kind!r}")
    x, y = np.asarray(x, float), np.asarray(y, float)
    sel = (x >= lo) & (x <= hi) & np.isfinite(y)
    if not sel.any():
        return math.nan
    return float(y[sel].min() if kind == "min" else y[sel].max())


def value_at(x: Sequence[float], y: Sequence[float], x0: float) -> float:
    """``y`` at ``x0``, linearly interpolated between the measured points (NaN outside)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    if x.size == 0 or x0 < x[0] or x0 > x[-1]:
        return math.nan
    return float(np.interp(x0, x, y))


def iv_slope(current_pct: Sequence[float], reduction_pct: Sequence[float], half: float = 10.0):
    """Resting I/V slope: d(current %)/d(threshold reduction %) over ``|current| <= half``.

    Least-squares line through the points whose conditioning current lies within
    ``half`` % of zero (at least two with distinct threshold reductions; else NaN).
    """
    c, r = np.asarray(current_pct, float), np.asarray(reduction_pct, float)
    sel = (np.abs(c) <= half + 1e-9) & np.isfinite(r)
    if sel.sum() < 2 or np.ptp(r[sel]) == 0:
        return math.nan
    return float(np.polyfit(r[sel], c[sel], 1)[0])
