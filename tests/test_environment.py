"""The bath: presets, validation, and that a changed [Mg]o reaches every segment."""

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


def test_apply_reaches_every_segment(h):
    """Sections built before and after a bath change all see the new [Mg]o and [Ca]o."""
    a = h.Section(name="a")
    a.nseg = 5
    syn_a = [h.NMDAMg(seg) for seg in a]  # point processes bring the ions to their segment
    Environment(mg_mM=0.3, ca_mM=1.5).apply()
    b = h.Section(name="b")
    b.nseg = 3
    syn_b = [h.NMDAMg(seg) for seg in b]
    assert all(seg.mgo == 1.0 for seg in b)  # new ions start from NEURON's default...
    Environment(mg_mM=0.7, ca_mM=3.0).apply()  # ...until the bath is applied again
    for sec in (a, b):
        for seg in sec:
            assert seg.mgo == 0.7 and seg.cao == 3.0
    # and finitialize does not reset them
    h.finitialize(-65)
    assert all(seg.mgo == 0.7 for seg in a)
    # per-section value
    from mgneuron.environment import set_section_bath

    set_section_bath(b, mg_mM=0.1)
    assert all(seg.mgo == 0.1 for seg in b) and all(seg.mgo == 0.7 for seg in a)
    Environment().apply()
    del syn_a, syn_b
