"""Bisections: the threshold of a stimulus and the boundary of a monotone predicate.

The predicate runs a simulation (a NEURON model, built by the caller); this module only
brackets and halves, so it is tested against closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["bisect_threshold", "bisect_boundary"]


def bisect_threshold(
    responds: Callable[[float], bool],
    start: float = 1.0,
    rel_tol: float = 0.01,
    max_value: float = 1e4,
    max_iter: int = 100,
    min_ratio: float = 1e-6,
) -> float:
    """Smallest stimulus that gives a response, by bracketing then bisection.

    Parameters
    ----------
    responds : callable(float) -> bool
        Monotone predicate: False below threshold, True at and above.
    start : float
        First value tried; the bracket grows or shrinks by factors of 2 from it.
    rel_tol : float
        Stop when (high - low) / high <= rel_tol.
    max_value : float
        Give up (return NaN) if even this value gives no response.
    min_ratio : float
        Return 0 if even ``start * min_ratio`` responds.

    Returns
    -------
    float
        The upper end of the final bracket (a value that responds).
    """
    if start <= 0:
        raise ValueError(f"start must be positive, got {start}")
    lo, hi = None, None
    x = start
    if responds(x):
        hi = x
        while lo is None:
            x /= 2
            if x < start * min_ratio:
                return 0.0
            if responds(x):
                hi = x
            else:
                lo = x
    else:
        lo = x
        while hi is None:
            x *= 2
            if x > max_value:
                return math.nan
            if responds(x):
                hi = x
            else:
                lo = x
    return _narrow(responds, lo, hi, lambda lo, hi: (hi - lo) / hi <= rel_tol, max_iter)


def bisect_boundary(
    ok: Callable[[float], bool], low: float, high: float, abs_tol: float, max_iter: int = 100
) -> float:
    """Boundary of a monotone predicate on [low, high] (False at low, True at high).

    Returns the upper end of the final bracket (a value where ``ok`` holds), within
    ``abs_tol`` of the boundary. If ``ok(low)`` already holds, returns ``low``.
    """
    if ok(low):
        return low
    return _narrow(ok, low, high, lambda lo, hi: hi - lo <= abs_tol, max_iter)


def _narrow(
    ok: Callable[[float], bool],
    lo: float,
    hi: float,
    done: Callable[[float, float], bool],
    max_iter: int,
) -> float:
    """Run the one bisection loop: halve [lo, hi] (ok False at lo, True at hi) until ``done``."""
    for _ in range(max_iter):
        if done(lo, hi):
            break
        mid = 0.5 * (lo + hi)
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
