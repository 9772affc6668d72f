"""Sensitivity indices (mgneuron.analysis.sensitivity), pure: no runner, no NEURON.

References: the Ishigami function's analytic indices (Saltelli et al. 2008, section 4.7;
``tests.analysis._protocols.ishigami_indices``) and a linear model, whose first-order
indices are a_i^2 var(x_i) / sum_j a_j^2 var(x_j) (no interactions, so S1 = ST).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgneuron.analysis.sensitivity import (
    Factor,
    analyze,
    block_size,
    complete_blocks,
    parse_factor,
    sample,
)
from mgneuron.errors import ProtocolError
from tests.analysis._protocols import A, B, ishigami_indices

PI = math.pi


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_analytic_ishigami_values():
    # Published values for a = 7, b = 0.1 (Saltelli et al. 2008): to 4 decimals.
    ref = ishigami_indices()
    assert np.allclose(ref["S1"], (0.3139, 0.4424, 0.0), atol=5e-5)
    assert np.allclose(ref["ST"], (0.5576, 0.4424, 0.2437), atol=5e-5)


def test_parse_factor():
    assert parse_factor("mg=0.1:2.5") == Factor("mg", 0.1, 2.5)
    assert parse_factor("gmax-uS = 1e-3:2e-3") == Factor("gmax_uS", 1e-3, 2e-3)
    for bad in ("mg", "mg=1", "mg=a:b", "mg=1:2:3"):
        with pytest.raises(ProtocolError, match="NAME=LOW:HIGH|numbers"):
            parse_factor(bad)
    with pytest.raises(ProtocolError, match="empty"):
        parse_factor("mg=2:1")


def test_sample_shapes_and_errors():
    fs = [Factor("a", 0, 1), Factor("b", -1, 1)]
    assert sample(fs, "sobol", 8).shape == (8 * 6, 2)
    assert sample(fs, "sobol", 8, second_order=False).shape == (8 * 4, 2)
    assert sample(fs, "morris", 5).shape == (5 * 3, 2)
    x = sample(fs, "sobol", 16, seed=3)
    assert np.array_equal(x, sample(fs, "sobol", 16, seed=3))  # a resumed run's design
    assert (x[:, 1] >= -1).all() and (x[:, 1] <= 1).all()
    with pytest.raises(ProtocolError, match="power of two"):
        sample(fs, "sobol", 10)
    with pytest.raises(ProtocolError, match="unknown sensitivity method"):
        sample(fs, "fast", 8)
    with pytest.raises(ProtocolError, match="twice"):
        sample([fs[0], fs[0]], "sobol", 8)


def test_sobol_linear_model():
    # y = 1 x1 + 2 x2 + 0 x3 on U(0, 1): S1 = ST = (1, 4, 0) / 5.
    fs = [Factor(f"x{i}", 0.0, 1.0) for i in range(3)]
    x = sample(fs, "sobol", 512, seed=1)
    t = analyze(fs, "sobol", x, x @ np.array([1.0, 2.0, 0.0]), seed=1)
    for k in ("S1", "ST"):
        v = t[t["index"] == k]["value"].to_numpy()
        assert np.allclose(v, [0.2, 0.8, 0.0], atol=0.03)


def test_sobol_ishigami_within_intervals():
    # 19 of 20 seeds put all six indices within their 95 % intervals at N = 256.
    fs = [Factor(f"x{i}", -PI, PI) for i in (1, 2, 3)]
    x = sample(fs, "sobol", 256, seed=0)
    t = analyze(fs, "sobol", x, ishigami(x), seed=0)
    ref = ishigami_indices()
    for k in ("S1", "ST"):
        r = t[t["index"] == k]
        assert (np.abs(r["value"].to_numpy() - ref[k]) <= r["ci95"].to_numpy()).all(), k


def test_morris_ranks_ishigami():
    # mu_star ranks x1 and x2 far above nothing; x3 acts only with x1 (sigma > 0).
    fs = [Factor(f"x{i}", -PI, PI) for i in (1, 2, 3)]
    x = sample(fs, "morris", 60, seed=2)
    t = analyze(fs, "morris", x, ishigami(x), seed=2).set_index(["parameter", "index"])
    assert t.loc[("x3", "sigma"), "value"] > 0.5
    assert t.loc[("x1", "mu_star"), "value"] > 3 * t.loc[("x1", "mu_star"), "ci95"]


def test_failed_points_drop_their_blocks():
    fs = [Factor(f"x{i}", -PI, PI) for i in (1, 2, 3)]
    x = sample(fs, "sobol", 64, seed=0)
    y = ishigami(x)
    size = block_size("sobol", 3)
    y_failed = y.copy()
    y_failed[[5, 6, 100]] = np.nan  # blocks 0 and 12
    keep = complete_blocks(y_failed, size)
    assert keep.sum() == 62 and not keep[0] and not keep[100 // size]
    t = analyze(fs, "sobol", x, y_failed, seed=0)
    assert (t["n_used"] == 62).all() and (t["n_dropped"] == 2).all()
    # The indices are those of the design without the dropped blocks.
    rows = np.repeat(keep, size)
    ref = analyze(fs, "sobol", x[rows], y[rows], seed=0)
    assert np.allclose(t["value"], ref["value"], equal_nan=True)
    # control: the full design gives other numbers
    full = analyze(fs, "sobol", x, y, seed=0)
    assert not np.allclose(t["value"], full["value"])


def test_constant_or_empty_feature_is_stated():
    fs = [Factor("a", 0, 1)]
    x = sample(fs, "sobol", 8)
    t = analyze(fs, "sobol", x, np.ones(len(x)))
    assert t["value"].isna().all() and t["note"].str.contains("does not vary").all()
    t = analyze(fs, "sobol", x, np.full(len(x), np.nan))
    assert t["value"].isna().all() and t["note"].str.contains("too few").all()
