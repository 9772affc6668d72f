"""Each protocol's own configuration checks (``Protocol.check_condition``), run on every
condition before anything simulates: stimulus times before tstop, location rules that
match a segment of the condition's cell, values in range.
"""

from __future__ import annotations

import pytest

from mgneuron.errors import LocationError, ProtocolError
from mgneuron.runner import Params, get_protocol, run


def _check(name: str, **values) -> None:
    """Run ``name``'s check on the condition its defaults and ``values`` give."""
    cls = get_protocol(name)
    scalars, swept = cls.resolve(values)
    cond = cls.conditions(scalars, swept)[0]
    scalar = {k: v for k, v in scalars.items() if k not in swept}
    cls.check_condition(Params({**scalar, **cond, "condition_id": 0}, name))


def test_defaults_pass(h):
    for name in ("epsp_mg", "inhibition_mg", "nmda_iv", "release_mg", "conduction"):
        _check(name)
    assert sum(1 for _ in h.allsec()) == 0  # the cells built to resolve rules are gone


@pytest.mark.parametrize(
    ("name", "values", "match"),
    [
        ("epsp_mg", {"t_burst": 300.0}, "t_burst = 300.0 ms, not before tstop"),
        ("epsp_mg", {"synapses": "apical:5000-6000um"}, "parameter synapses="),
        ("inhibition_mg", {"t_transient": 1200.0}, "t_transient"),
        ("inhibition_mg", {"inh_soma_fraction": 1.5}, r"inh_soma_fraction must lie in \[0, 1\]"),
        ("inhibition_mg", {"inh_region": "basal:900-1000um"}, "parameter inh_region="),
        ("nmda_iv", {"t_event": 80.0}, "t_event = 80.0 ms must come before tstop"),
        ("nmda_iv", {"v_min": 0.0, "v_max": -10.0}, "v_max"),
        ("release_mg", {"U": 1.5}, r"U must lie in \[0, 1\]"),
        ("conduction", {"series": "demyelination", "extent": 30}, "longer than the axon"),
    ],
)
def test_bad_condition_refused(h, name, values, match):
    with pytest.raises((ProtocolError, LocationError), match=match):
        _check(name, **values)
    assert sum(1 for _ in h.allsec()) == 0


def test_rules_resolved_once_per_cell(h, monkeypatch):
    """A sweep over [Mg]o builds the cell once to check its synapse rule."""
    import mgneuron.preparations.sites as sites

    built = []
    real = sites.build_cell
    monkeypatch.setattr(sites, "build_cell", lambda spec: built.append(spec) or real(spec))
    sites._COUNTS.clear()
    for mg in (0.0, 0.5, 1.0):
        _check("epsp_mg", mg=mg, synapses="dendrite:50-250um")
    assert len(built) == 1


def test_swept_stimulus_time_checked_per_condition(tmp_path):
    """With tstop swept, each condition is checked with its own tstop (validate could
    not compare a list): the late one stops the run, naming it, before any simulation."""
    with pytest.raises(ProtocolError, match=r"condition 0 of 2 \(.*tstop=15.0\).*nothing"):
        run("nmda_iv", tmp_path / "iv.h5", mg=[1.0], block_model=[0], sweep={"tstop": [15, 80]})
    assert not (tmp_path / "iv.h5").exists()
