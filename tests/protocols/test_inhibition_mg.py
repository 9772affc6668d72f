"""inhibition_mg: both runs of a condition start from the cell's steady state in its bath.

Control: the same cell with an MRG axon (rest near -80 mV, the cell near -70 mV) started
at ``v_init`` drifts by > 1 mV over the 10 ms before an early volley, and the condition
is flagged (``baseline_ok`` false, a BaselineWarning). Budget: a few seconds (a small
synapse count, 100 ms runs).
"""

from __future__ import annotations

import warnings

import pytest

from mgneuron.measures import BaselineWarning
from mgneuron.results import read_features
from mgneuron.runner import run

SMALL = {
    "mg": [1.0], "tstop": 100.0, "t_transient": 50.0, "t_ipsp": 30.0, "ipsp_window": 20.0,
    "n_exc": 40, "n_inh": 12, "myelinated_axon": "10:healthy",
}  # fmt: skip


def test_steady_start_gives_a_flat_baseline_before_the_volley(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BaselineWarning)
        out = run("inhibition_mg", tmp_path / "i.h5", **SMALL)
    r = read_features(out).iloc[0]
    assert r["baseline_ok"] and abs(r["baseline_drift_mV"]) < 1e-6
    assert r["spontaneous_spikes"] == 0 and r["ipsp_mV"] > 0
    assert not r["axon_stub_added"]  # the default cell has an axon


def test_without_steady_state_the_drift_is_flagged(tmp_path):
    with pytest.warns(BaselineWarning, match="moved by"):
        out = run("inhibition_mg", tmp_path / "i.h5", steady_state=False, **SMALL)
    r = read_features(out).iloc[0]
    assert not r["baseline_ok"] and r["baseline_drift_mV"] < -1.0
