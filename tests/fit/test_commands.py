"""The fit commands end to end: fit-block's JSON and figure, dose-response on an nmda_iv
run (IC50 vs the closed form, VALIDATION.md: 3.57 exp(0.062 V) mM, within 2 %), and a
fitted block used by the next simulation (--block-params)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mgneuron.cli import main
from mgneuron.fit import example_block_csv
from mgneuron.mgblock import ic50_formula
from mgneuron.results import read_features, read_table
from mgneuron.runner import run

IV = {"block_model": 0, "v_min": -60.0, "v_max": -30.0, "v_step": 30.0, "tstop": 30.0,
      "t_event": 5.0}  # fmt: skip
MG = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def test_fit_block_command(tmp_path, capsys):
    out, png = tmp_path / "fit.json", tmp_path / "fit.png"
    rc = main(["fit-block", str(example_block_csv()), "--out", str(out), "--plot", str(png),
               "--n-boot", "100"])  # fmt: skip
    assert rc == 0 and png.stat().st_size > 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"best", "models"}
    assert set(doc["models"]) == {"jahr_stevens", "woodhull", "kinetic", "trapping", "permeant"}
    # The example is Woodhull's model with delta = 0.8 (and K0 = 4.1 mM): inside the CIs.
    wh = doc["models"]["woodhull"]
    assert wh["ci95"]["delta"][0] <= 0.8 <= wh["ci95"]["delta"][1]
    assert wh["ci95"]["K0_mM"][0] <= 4.1 <= wh["ci95"]["K0_mM"][1]
    assert "left out: v_mV = 0" in capsys.readouterr().out


def test_fit_block_command_bad_csv(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("v_mV,mg_mM,B\n-60,1,0.1\n-40,-0.5,0.2\n")
    rc = main(["fit-block", str(bad), "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "line 3" in err and "negative" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def iv_file(tmp_path_factory, h):
    out = tmp_path_factory.mktemp("dr") / "iv.h5"
    return run("nmda_iv", out, quiet=True, sweep={"mg_mM": MG}, **IV)


@pytest.mark.validation
def test_dose_response_of_nmda_iv_matches_the_closed_form(iv_file, capsys):
    rc = main(["dose-response", str(iv_file), "B", "--by", "v_mV", "--n-boot", "100"])
    assert rc == 0
    table = read_table(iv_file, "dose_response_B")
    assert list(table["v_mV"]) == [-60.0, -30.0]
    for v, x50, lo, hi in table[["v_mV", "x50", "x50_low", "x50_high"]].itertuples(False):
        ref = ic50_formula(0, v)
        assert x50 == pytest.approx(ref, rel=0.02)
        assert lo <= x50 <= hi
    assert (iv_file.parent / "iv_dose_response_B.png").is_file()


def test_block_params_set_the_fitted_block(iv_file, tmp_path):
    """nmda_iv with a fitted block: B at -60 mV is the fitted curve, not the default."""
    fit = {
        "best": "jahr_stevens",
        "models": {
            "jahr_stevens": {
                "params": {"K0_mM": 1.0, "slope_per_mV": 0.08},
                "ci95": {},
                "aic": 0.0,
                "bic": 0.0,
            }
        },
    }
    path = tmp_path / "fit.json"
    path.write_text(json.dumps(fit))
    out = run("nmda_iv", tmp_path / "fitted.h5", quiet=True, mg_mM=[1.0],
              block_params=str(path), **IV)  # fmt: skip
    df = read_features(out).set_index("v_mV")
    for v in (-60.0, -30.0):
        assert df.loc[v, "B"] == pytest.approx(1 / (1 + np.exp(-0.08 * v) / 1.0), rel=1e-6)
    # the next condition without the file is back at Jahr & Stevens's defaults
    plain = read_features(iv_file)
    b = plain[(plain["mg_mM"] == 1.0) & (plain["v_mV"] == -60.0)]["B"].item()
    assert b == pytest.approx(1 / (1 + np.exp(0.062 * 60) / 3.57), rel=1e-6)


def test_block_params_without_the_model_is_refused(tmp_path, h):
    from mgneuron.errors import ProtocolError

    path = tmp_path / "fit.json"
    path.write_text(json.dumps({"best": "woodhull", "models": {"woodhull": {
        "params": {"K0_mM": 1.0, "delta": 0.8}}}}))  # fmt: skip
    with pytest.raises(ProtocolError, match="no fit of block_model 0.*nothing was simulated"):
        run("nmda_iv", tmp_path / "x.h5", quiet=True, mg_mM=[1.0], block_params=str(path), **IV)
