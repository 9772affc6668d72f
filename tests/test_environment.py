"""The bath as a description: presets and validation (pure Python; NEURON side: test_bath)."""

from __future__ import annotations

import warnings

import pytest

from mgneuron.environment import PRESETS, Environment, PhysiologyWarning, get_environment
from mgneuron.errors import BathError


def test_presets():
    assert {k: v.mg_mM for k, v in PRESETS.items()} == {
        "normal": 1.0,
        "hypomagnesemia": 0.5,
        "severe_hypomagnesemia": 0.2,
        "mg_free": 0.0,
        "therapeutic": 2.5,
    }
    assert all(v.ca_mM == 2.0 for v in PRESETS.values())
    assert get_environment("hypomagnesemia", ca_mM=1.0).ca_mM == 1.0
    with pytest.raises(BathError, match="unknown bath preset 'low'"):
        get_environment("low")


@pytest.mark.parametrize("field", ("mg_mM", "ca_mM", "na_mM", "k_mM"))
@pytest.mark.parametrize("bad", (-1.0, float("nan"), float("inf"), "abc"))
def test_invalid_values(field, bad):
    with pytest.raises(BathError, match=field):
        Environment(**{field: bad})


def test_unphysiological_warns():
    with pytest.warns(PhysiologyWarning, match="mg_mM = 20"):
        Environment(mg_mM=20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Environment(mg_mM=2.5)


def test_bad_mg_in_environment():
    with pytest.raises(BathError, match="mg_mM must be >= 0"):
        Environment(mg_mM=-1)
    with pytest.raises(BathError, match="finite"):
        Environment(mg_mM=float("nan"))


def test_environment_has_no_temperature():
    """The temperature belongs to the run (RunSettings.celsius), not to the bath."""
    with pytest.raises(TypeError):
        Environment(celsius=30.0)
    assert "celsius" not in Environment().as_dict()
