"""Tests of mgneuron.measures.bisection: brackets and tolerances on closed-form predicates."""

from __future__ import annotations

import math

import pytest

from mgneuron.measures import bisect_boundary, bisect_threshold


@pytest.mark.parametrize("threshold", [0.0123, 0.7, 1.0, 3.7, 250.0])
def test_bisect_threshold_brackets_to_tolerance(threshold):
    calls = []

    def responds(x):
        calls.append(x)
        return x >= threshold

    found = bisect_threshold(responds, start=1.0, rel_tol=0.01)
    assert found >= threshold
    assert (found - threshold) / found <= 0.01
    assert len(calls) < 30


def test_bisect_threshold_gives_up_and_bottoms_out():
    assert math.isnan(bisect_threshold(lambda x: False, start=1.0, max_value=100.0))
    assert bisect_threshold(lambda x: True, start=1.0) == 0.0
    with pytest.raises(ValueError):
        bisect_threshold(lambda x: True, start=0.0)


def test_bisect_boundary_absolute_tolerance():
    found = bisect_boundary(lambda x: x >= 0.734, 0.1, 10.0, abs_tol=0.01)
    assert 0.734 <= found <= 0.744
    assert bisect_boundary(lambda x: True, 0.1, 10.0, 0.01) == 0.1
