"""Tests of mgneuron.measures.excitability: rheobase by bracketing + bisection, F-I gain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.measures import fi_gain, find_rheobase


@pytest.mark.parametrize("x0", [0.0123, 0.3, 4.7])
@pytest.mark.parametrize("guess", [0.05, 1.0])
def test_find_rheobase_brackets_and_bisects(x0, guess):
    """A step predicate at x0: the answer fires and lies within rel_tol above x0; no
    current is tried twice."""
    calls = []

    def fires(x):
        calls.append(x)
        return x >= x0

    r = find_rheobase(fires, guess, rel_tol=0.001)
    assert x0 <= r <= x0 * 1.001 * (1 + 1e-12)
    assert len(calls) == len(set(calls))


def test_find_rheobase_edge_cases():
    assert find_rheobase(lambda x: True, 1.0, min_nA=1e-3) == 0.0
    assert math.isnan(find_rheobase(lambda x: False, 1.0, max_nA=10.0))
    with pytest.raises(ValueError):
        find_rheobase(lambda x: True, 0.0)


def test_fi_gain_of_a_threshold_linear_curve():
    i = np.linspace(0, 1, 11)
    f = np.maximum(100.0 * (i - 0.25), 0.0)
    assert fi_gain(i, f) == pytest.approx(100.0)
    assert math.isnan(fi_gain([0.1, 0.2], [0.0, 5.0]))
