"""The nmda_iv protocol end to end: HDF5 features, IC50 table, I-V shape."""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.results import read_features, read_table
from mgneuron.runner import run


@pytest.fixture(scope="module")
def iv_file(tmp_path_factory, h):
    out = tmp_path_factory.mktemp("iv") / "nmda_iv.h5"
    return run("nmda_iv", out, quiet=True)


def test_features_and_conditions(iv_file):
    df = read_features(iv_file)
    assert set(df["mg_mM"]) == {0.0, 0.1, 0.3, 1.0, 2.0, 3.0}
    assert set(df["block_model"]) == {0, 1, 2}
    assert len(df) == 6 * 3 * 15
    for col in ("mg_mM", "v_mV", "i_peak_nA", "B"):
        assert col in df


@pytest.mark.validation
def test_unblocked_fraction_in_protocol_matches_jahr_stevens(iv_file):
    """Protocol B vs Jahr & Stevens closed form, within 1 % absolute."""
    df = read_features(iv_file)
    js = df[df["block_model"] == 0]
    ref = 1.0 / (1.0 + np.exp(-0.062 * js["v_mV"]) * js["mg_mM"] / 3.57)
    assert np.max(np.abs(js["B"] - ref)) < 0.01


@pytest.mark.validation
def test_ic50_table_matches_closed_form(iv_file):
    """IC50 fitted from the [Mg]o sweep vs 3.57 exp(0.062 V) mM (VALIDATION.md): 1 %."""
    ic = read_table(iv_file, "ic50")
    js = ic[ic["block_model"] == 0].set_index("v_mV")
    for v, expected in ((-80, 0.0250), (-60, 0.0865), (-40, 0.299), (0, 3.57)):
        assert js.loc[float(v), "ic50_mM"] == pytest.approx(expected, rel=0.01)


def test_negative_slope_region_at_1mM(iv_file):
    """At 1 mM the NMDA I-V has a negative-slope region between -80 and -30 mV."""
    df = read_features(iv_file)
    for model in (0, 1, 2):
        iv = df[(df["block_model"] == model) & (df["mg_mM"] == 1.0)].sort_values("v_mV")
        part = iv[(iv["v_mV"] >= -80) & (iv["v_mV"] <= -30)]
        slopes = np.diff(part["i_peak_nA"]) / np.diff(part["v_mV"])
        assert (slopes < 0).any(), f"model {model}: no negative slope"
        # and without Mg the I-V is ohmic (positive slope everywhere)
        iv0 = df[(df["block_model"] == model) & (df["mg_mM"] == 0.0)].sort_values("v_mV")
        assert (np.diff(iv0["i_peak_nA"]) > 0).all()


def test_zero_mg_means_no_block(iv_file):
    df = read_features(iv_file)
    assert np.allclose(df.loc[df["mg_mM"] == 0, "B"], 1.0)


@pytest.mark.validation
def test_ic50_fit_equals_closed_form_for_every_model(iv_file):
    """The fitted IC50 equals the model's closed form (mgblock.ic50_formula) at every
    voltage, for the three block models (JS 3.57 mM, Woodhull 4.1 mM, kinetic 10.4 mM at
    0 mV): 0.1 %. The kinetic model is at its equilibrium at the peak conductance."""
    ic = read_table(iv_file, "ic50")
    assert sorted(ic["block_model"].unique()) == [0, 1, 2]
    np.testing.assert_allclose(ic["ic50_mM"], ic["ic50_formula_mM"], rtol=1e-3)
    at0 = ic[ic["v_mV"] == 0.0].set_index("block_model")["ic50_mM"]
    np.testing.assert_allclose(at0.loc[[0, 1, 2]], [3.57, 4.1, 10.435], rtol=1e-3)
