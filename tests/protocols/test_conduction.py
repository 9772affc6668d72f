"""conduction: every run starts from the axon's steady state in its bath.

At 0 mM Mg surface-charge screening moves the node's rest from the -80 mV of ``v_init``
to about -76.4 mV; started at ``v_init`` (``steady_state=False``, the control) the first
pulse at 0.1 ms meets an axon still relaxing. Budget: a few seconds (quick grid, one
fibre, no safety factor).
"""

from __future__ import annotations

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
