"""Dose-response (Hill) fits: noisy Hill data, and nmda_iv's B([Mg]o) vs its closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mgneuron.errors import FitDataError
from mgneuron.fit import dose_response, fit_hill, hill

X = np.repeat([0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], 3)


def test_noise_free_hill_is_recovered():
    y = hill(X, 0.5, 1.4, 10.0, 2.0)
    fit = fit_hill(X, y, n_boot=50)
    assert fit.x50 == pytest.approx(0.5, rel=1e-5)
    assert fit.hill == pytest.approx(1.4, rel=1e-5)
    assert (fit.bottom, fit.top) == pytest.approx((2.0, 10.0), rel=1e-6)
    assert fit.kind == "IC50"
    rising = fit_hill(X, hill(X, 0.5, 1.4, 2.0, 10.0), n_boot=50)
    assert rising.kind == "EC50" and rising.x50 == pytest.approx(0.5, rel=1e-5)


@pytest.mark.validation
def test_ic50_inside_its_interval_over_50_noisy_replicates():
    """IC50 = 0.5 inside the 95 % bootstrap interval in >= 45 of 50 seeded replicates."""
    truth = hill(X, 0.5, 1.0, 10.0, 2.0)
    hits = 0
    for seed in range(50):
        y = truth + np.random.default_rng(seed).normal(0.0, 0.3, X.size)
        lo, hi = fit_hill(X, y, n_boot=300, seed=seed).ci95["x50"]
        hits += lo <= 0.5 <= hi
    print("IC50 coverage", hits, "of 50")
    assert hits >= 45


def test_interval_excludes_a_wrong_ic50():
    """Control: with this noise, a two-fold wrong IC50 lies outside the interval."""
    y = hill(X, 0.5, 1.0, 10.0, 2.0) + np.random.default_rng(3).normal(0.0, 0.3, X.size)
    lo, hi = fit_hill(X, y, n_boot=300).ci95["x50"]
    assert lo <= 0.5 <= hi and not lo <= 1.0 <= hi and not lo <= 0.25 <= hi


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([0, 1, 2, 3], [1, 2, 3, 4], "4 points"),
        ([0, 1, -2, 3, 4], [1, 2, 3, 4, 5], "point 2 is -2 < 0"),
        ([0, 1, np.nan, 3, 4], [1, 2, 3, 4, 5], "x of point 2 is not finite"),
        ([0, 0, 1, 1, 1], [1, 2, 3, 4, 5], "3 distinct"),
        ([0, 1, 2, 3, 4], [1, 1, 1, 1, 1], "flat"),
    ],
)
def test_bad_dose_response_data(x, y, match):
    with pytest.raises(FitDataError, match=match):
        fit_hill(np.asarray(x, float), np.asarray(y, float))


def test_dose_response_by_group_and_bad_columns():
    df = pd.DataFrame({"mg_mM": np.tile(X, 2), "v_mV": np.repeat([-60.0, -30.0], X.size)})
    df["B"] = 1.0 / (1.0 + df["mg_mM"] / (3.57 * np.exp(0.062 * df["v_mV"])))
    table = dose_response(df, "B", by="v_mV", n_boot=50)
    assert list(table["v_mV"]) == [-60.0, -30.0]
    expected = 3.57 * np.exp(0.062 * table["v_mV"])
    assert np.allclose(table["x50"], expected, rtol=1e-5)
    assert (table["kind"] == "IC50").all()
    with pytest.raises(FitDataError, match="no column 'epsp'"):
        dose_response(df, "epsp")
