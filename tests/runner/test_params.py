"""Protocol parameters: declarations, values, sweeps and aliases, the typed Params."""

from __future__ import annotations

import pickle

import pytest

from mgneuron.errors import ProtocolError, UnknownParameterError
from mgneuron.results import read_attrs, read_conditions
from mgneuron.runner import Params, get_protocol, run


def test_unknown_protocol_parameter_is_a_clear_error(h):
    with pytest.raises(ProtocolError, match="unknown parameter 'bogus' for protocol nmda_iv"):
        run("nmda_iv", "x.h5", bogus=1)


def test_unknown_block_model_rejected_by_protocol():
    with pytest.raises(ProtocolError, match="block_model must be one of 0, 1, 2"):
        get_protocol("nmda_iv").resolve({"block_model": [5]})


@pytest.mark.parametrize("bad", (-0.5, float("nan"), float("inf")))
def test_bad_mg_in_protocol(bad):
    with pytest.raises(ProtocolError, match="mg_mM"):
        get_protocol("epsp_mg").resolve({"mg": [bad]})


def test_sweep_and_aliases():
    cls = get_protocol("epsp_mg")
    values, swept = cls.resolve({"mg": [0, 1]}, {"ca": [1, 2, 3]})
    conds = cls.conditions(values, swept)
    assert len(conds) == 6 and conds[0] == {"mg_mM": 0.0, "ca_mM": 1.0}


def test_seed_can_be_swept(tmp_path, h):
    out = run("nmda_iv", tmp_path / "s.h5", sweep={"seed": [1, 2]}, mg=[1.0],
              block_model=[0], quiet=True)  # fmt: skip
    assert read_attrs(out)["seed"] == [1, 2]
    assert list(read_conditions(out)["seed"]) == [1, 2]


def test_params_are_read_as_attributes_and_cannot_change():
    """A condition reads ``p.mg_mM`` (and ``p["mg_mM"]``); the values are its own copy."""
    p = Params({"mg_mM": 1.0, "tstop": 50.0, "condition_id": 3}, "demo")
    assert p.mg_mM == p["mg_mM"] == 1.0 and p.condition_id == 3
    assert dict(p) == p.as_dict() == {"mg_mM": 1.0, "tstop": 50.0, "condition_id": 3}
    assert len(p) == 3 and sorted(p) == ["condition_id", "mg_mM", "tstop"]
    with pytest.raises(ProtocolError, match="read-only"):
        p.mg_mM = 2.0
    q = p.replace(mg_mM=2.0)
    assert q.mg_mM == 2.0 and p.mg_mM == 1.0
    with pytest.raises(UnknownParameterError):
        p.replace(mgg_mM=2.0)
    again = pickle.loads(pickle.dumps(p))  # worker processes and MPI ranks get a copy
    assert again.as_dict() == p.as_dict() and again.tstop == 50.0


def test_misspelt_parameter_read_names_the_known_ones():
    """Reading an undeclared name at run time fails with the known names (an
    UnknownParameterError, which is a ProtocolError and an AttributeError)."""
    p = Params({"mg_mM": 1.0, "tstop": 50.0}, "demo")
    with pytest.raises(UnknownParameterError, match=r"demo: no parameter 'mgg_mM'.*mg_mM"):
        p.mgg_mM  # noqa: B018
    with pytest.raises(ProtocolError, match="known: mg_mM, tstop"):
        p.mgg_mM  # noqa: B018
    with pytest.raises(KeyError, match="demo: no parameter 'mgg_mM'"):
        p["mgg_mM"]  # the Mapping contract: a KeyError
    assert not hasattr(p, "mgg_mM")  # an AttributeError, as hasattr expects
    with pytest.raises(AttributeError):
        p.__deepcopy_hook__  # noqa: B018 - dunder look-ups stay plain AttributeErrors


def test_params_mapping_get_with_default_and_membership():
    """``p.get(name, default)`` and ``name in p`` answer for an undeclared name, as for any
    read-only mapping (:func:`mgneuron.runner.groups.cell_spec_from_params` relies on
    ``p.get("d_lambda", 0.1)``)."""
    p = Params({"mg_mM": 1.0}, "demo")
    assert p.get("mg_mM") == 1.0
    assert "mg_mM" in p
    assert "d_lambda" not in p
    assert p.get("d_lambda", 0.1) == 0.1
