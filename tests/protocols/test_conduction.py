"""conduction: every run starts from the axon's steady state in its bath.

At 0 mM Mg surface-charge screening moves the node's rest from the -80 mV of ``v_init``
to about -76.4 mV; started at ``v_init`` (``steady_state=False``, the control) the first
pulse at 0.1 ms meets an axon still relaxing. Budget: a few seconds (quick grid, one
fibre, no safety factor).
"""

from __future__ import annotations

import pandas as pd
import pytest

from mgneuron.results import read_features
from mgneuron.runner import run

ONE = {"series": ["diameter"], "fiber_diameter_um": [10.0], "quick": True, "safety": False}


def test_rest_is_the_bath_steady_state_not_v_init(tmp_path):
    settled = read_features(run("conduction", tmp_path / "a.h5", mg=[0.0, 1.0], **ONE))
    control = read_features(
        run("conduction", tmp_path / "b.h5", mg=[0.0, 1.0], steady_state=False, **ONE)
    )
    rest = dict(zip(settled["mg_mM"], settled["rest_mV"], strict=True))
    assert rest[0.0] == pytest.approx(-76.4, abs=0.3)  # screening shift at 0 Mg
    assert rest[1.0] == pytest.approx(-80.0, abs=0.2)
    assert (control["rest_mV"] == -80.0).all()
    # the start matters at 0 Mg (the axon relaxes 3.6 mV while it conducts), not at 1 mM
    a, b = settled.set_index("mg_mM"), control.set_index("mg_mM")
    assert abs(a.loc[0.0, "threshold_nA"] / b.loc[0.0, "threshold_nA"] - 1) > 0.1
    assert a.loc[1.0, "cv_m_per_s"] == pytest.approx(b.loc[1.0, "cv_m_per_s"], rel=0.01)


@pytest.mark.slow
def test_early_stop_gives_the_full_length_answers(tmp_path):
    """Runs that stop when the answer is known (default) against full-length runs to
    ``tstop`` over the three series (quick grid plus both sides of the block boundaries
    of a one-internode and an all-internode lesion): identical initiation and block
    decisions, CV and latency within 0.5 %, threshold within the bisection tolerance."""
    grid = {
        "series": ["diameter", "demyelination", "remyelination"], "mg": [1.0],
        "quick": True, "safety": False, "tstop": 8.0,
        "lamellae_fraction": [1.0, 0.04, 0.03, 0.005], "extent": [1, 0],
    }  # fmt: skip
    early = read_features(run("conduction", tmp_path / "e.h5", **grid))
    full = read_features(run("conduction", tmp_path / "f.h5", early_stop=False, **grid))
    assert len(early) == len(full) == 3 + 8 + 2
    assert list(early["initiated"]) == list(full["initiated"])
    assert list(early["blocked"]) == list(full["blocked"])
    # both sides of each boundary are in the grid: the test can see a changed decision
    dm = early[early["series"] == "demyelination"]
    assert dm["blocked"].any() and (~dm["blocked"]).sum() >= 4
    for col in ("cv_m_per_s", "latency_ms"):
        e, f = early[col].to_numpy(), full[col].to_numpy()
        assert list(pd.isna(e)) == list(pd.isna(f)), col
        ok = ~pd.isna(e)
        assert e[ok] == pytest.approx(f[ok], rel=0.005), col
    e, f = early["threshold_nA"].to_numpy(), full["threshold_nA"].to_numpy()
    ok = ~pd.isna(e)
    assert e[ok] == pytest.approx(f[ok], rel=0.05)  # quick grid: bisection to 5 %
