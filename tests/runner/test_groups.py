"""The shared parameter groups' checks (mgneuron.runner.groups), without NEURON.

Issue 15, problem 2: a missing --morphology file, an unknown --biophysics or myelin
preset, a negative fibre diameter failed only inside each condition (the run exited 0,
status complete). These checks find each before the first condition.
"""

from __future__ import annotations

import json

import pytest

from mgneuron.errors import ProtocolError
from mgneuron.runner import Params, groups
from mgneuron.runner.groups import check_cell_params, check_myelinated_axon
from tests.conftest import DATA


def _cell(**kw) -> Params:
    values = {"morphology": "", "biophysics": "pyramidal", "d_lambda": 0.1}
    return Params({**values, **kw}, "test")


def test_good_cell_passes():
    check_cell_params(_cell())  # the shipped default
    check_cell_params(_cell(morphology="l5_pyramid_stylized", biophysics="passive"))
    check_cell_params(_cell(morphology=str(DATA / "morphologies" / "ca1_pyramidal_n120.swc")))
    check_cell_params(Params({"mg_mM": 1.0}, "test"))  # no cell parameters: nothing to check


def test_missing_morphology_file(tmp_path):
    with pytest.raises(ProtocolError, match="morphology='nope.swc'.*no such file"):
        check_cell_params(_cell(morphology="nope.swc"))
    with pytest.raises(ProtocolError, match="morphology="):
        check_cell_params(_cell(morphology=str(tmp_path / "missing.swc")))


def test_malformed_morphology_names_the_line(tmp_path):
    bad = tmp_path / "bad.swc"
    bad.write_text("1 1 0 0 0 5 -1\n2 3 0 10 0 oops 1\n")
    with pytest.raises(ProtocolError, match=r"bad\.swc:2"):
        check_cell_params(_cell(morphology=str(bad)))


def test_morphology_is_validated_once_per_file_version(tmp_path, monkeypatch):
    swc = tmp_path / "ok.swc"
    swc.write_text("1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n")
    seen = []
    real = groups.validate_morphology
    monkeypatch.setattr(groups, "validate_morphology", lambda p: seen.append(p) or real(p))
    for _ in range(50):
        check_cell_params(_cell(morphology=str(swc)))
    assert len(seen) == 1
    swc.write_text("1 1 0 0 0 5 -1\n2 3 0 10 0 oops 1\n")  # edited: read again
    with pytest.raises(ProtocolError):
        check_cell_params(_cell(morphology=str(swc)))
    assert len(seen) == 2


def test_unknown_biophysics_and_bad_json(tmp_path):
    with pytest.raises(ProtocolError, match="biophysics='nope': unknown biophysics"):
        check_cell_params(_cell(biophysics="nope"))
    bad = tmp_path / "bio.json"
    bad.write_text(json.dumps({"regions": "not a list"}))
    with pytest.raises(ProtocolError, match="biophysics="):
        check_cell_params(_cell(biophysics=str(bad)))
    with pytest.raises(ProtocolError, match="biophysics="):
        check_cell_params(_cell(biophysics=str(tmp_path / "missing.json")))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "fiber diameter must be a positive"),
        ("10:nopreset", "unknown myelin preset 'nopreset'"),
        ("ten", "DIAMETER"),
        ("10:demyelinated,wrong_key=1", "wrong_key"),
    ],
)
def test_bad_myelinated_axon(value, message):
    with pytest.raises(ProtocolError, match=message):
        check_myelinated_axon(Params({"myelinated_axon": value}, "test"))


def test_good_myelinated_axon_passes():
    for value in ("", "10", "10:demyelinated,severity=0.9,lesion=3"):
        check_myelinated_axon(Params({"myelinated_axon": value}, "test"))
    check_myelinated_axon(Params({"mg_mM": 1.0}, "test"))
