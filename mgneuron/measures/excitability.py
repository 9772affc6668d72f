"""Excitability: rheobase by bisection over a simulated response, and the f-I gain.

Pure Python: :func:`find_rheobase` takes a callable that simulates one current step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from mgneuron.measures.bisection import bisect_boundary

__all__ = ["find_rheobase", "fi_gain"]


def find_rheobase(
    fires: Callable[[float], bool],
    guess_nA: float,
    rel_tol: float = 0.01,
    factor: float = 1.5,
    max_nA: float = 1e3,
    min_nA: float = 1e-6,
) -> float:
    """Smallest current (nA) for which ``fires(current)`` holds: bracket, then bisect.

    The bracket grows geometrically by ``factor`` from ``guess_nA`` (up, or down if the
    guess already fires), so a good guess costs one or two trials; the bisection
    (:func:`mgneuron.measures.bisect_boundary`) then narrows it to ``rel_tol`` of the
    lower end.

    Parameters
    ----------
    fires : callable(float) -> bool
        Monotone predicate: False below the rheobase, True at and above it.
    guess_nA : float
        First current tried (> 0).
    rel_tol : float
        Width of the final bracket relative to its lower end.
    factor : float
        Bracket growth factor (> 1).
    max_nA, min_nA : float
        Give up above ``max_nA`` (return NaN) or below ``min_nA`` (return 0: the
        predicate holds with no current, e.g. a spontaneously firing cell).

    Returns
    -------
    float
        The upper end of the final bracket (a current that fires), NaN or 0 as above.
    """
    if not guess_nA > 0:
        raise ValueError(f"guess_nA must be positive, got {guess_nA}")
    if not factor > 1:
        raise ValueError(f"factor must be > 1, got {factor}")
    seen: dict[float, bool] = {}

    def ask(current: float) -> bool:  # bisect_boundary re-asks its lower end
        if current not in seen:
            seen[current] = bool(fires(current))
        return seen[current]

    x = float(guess_nA)
    if ask(x):
        hi = x
        while True:
            x /= factor
            if x < min_nA:
                return 0.0
            if not ask(x):
                lo = x
                break
            hi = x
    else:
        lo = x
        while True:
            x *= factor
            if x > max_nA:
                return math.nan
            if ask(x):
                hi = x
                break
            lo = x
    return bisect_boundary(ask, lo, hi, abs_tol=rel_tol * lo)


def fi_gain(current_nA: Sequence[float], rate_hz: Sequence[float]) -> float:
    """F-I gain (Hz/nA): least-squares slope through the points with a non-zero rate.

    Parameters
    ----------
    current_nA, rate_hz : sequence of float
        Points of the F-I curve.

    Returns
    -------
    float
        Slope (Hz/nA); NaN with fewer than two firing points.
    """
    i = np.asarray(current_nA, dtype=float)
    f = np.asarray(rate_hz, dtype=float)
    ok = np.isfinite(i) & np.isfinite(f) & (f > 0)
    if np.count_nonzero(ok) < 2 or np.ptp(i[ok]) == 0:
        return math.nan
    return float(np.polyfit(i[ok], f[ok], 1)[0])
