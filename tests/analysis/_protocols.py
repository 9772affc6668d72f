"""Test protocols of the sensitivity tests: closed-form functions run as conditions.

Importable as ``tests.analysis._protocols`` so that worker processes can unpickle them.
"""

from __future__ import annotations

import math

from mgneuron.runner import ConditionResult, Param, Protocol

# Ishigami & Homma (1990), a = 7, b = 0.1, X_i ~ U(-pi, pi); analytic indices from
# Sobol' & Levitan (1999) / Saltelli et al. (2008, Global Sensitivity Analysis: The
# Primer, section 4.7): V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2,
# V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V13 = b^2 pi^8 (1/18 - 1/50).
A, B = 7.0, 0.1


def ishigami_indices(a: float = A, b: float = B) -> dict[str, tuple[float, ...]]:
    """Analytic first-order and total indices of the Ishigami function."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": (v1 / v, v2 / v, 0.0), "ST": ((v1 + v13) / v, v2 / v, v13 / v)}


class Ishigami(Protocol):
    """Y = sin x1 + a sin^2 x2 + b x3^4 sin x1, computed per condition (no NEURON)."""

    name = "ishigami"
    title = "test protocol: the Ishigami function"
    params = (
        Param("x1", 0.0, "", "first input", float),
        Param("x2", 0.0, "", "second input", float),
        Param("x3", 0.0, "", "third input", float),
        Param("fail_above", 99.0, "", "x1 above which a condition raises", float),
    )

    def run_condition(self, p):
        if p.x1 > p.fail_above:
            raise RuntimeError(f"x1 = {p.x1} fails on purpose")
        y = math.sin(p.x1) + A * math.sin(p.x2) ** 2 + B * p.x3**4 * math.sin(p.x1)
        return ConditionResult(features=[{"y": y, "y_squared": y * y}])
