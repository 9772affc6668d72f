"""Readers: a written file read back, partial and foreign files refused."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mgneuron.errors import PartialResultsError, ResultsError
from mgneuron.results import (
    read_attrs,
    read_conditions,
    read_features,
    read_parameters,
    read_spikes,
    read_table,
    read_traces,
)
from tests.results._demo import write


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "r.h5"
    reps, spikes = write(path, rng)
    attrs = read_attrs(path)
    assert attrs["status"] == "complete" and attrs["protocol"] == "demo" and attrs["seed"] == 7
    for key in ("mgneuron_version", "neuron_version", "created", "command", "mechanisms_hash"):
        assert key in attrs
    assert read_parameters(path) == {"a": 1, "b": [1, 2]}
    conds = read_conditions(path)
    assert list(conds["mg_mM"]) == [0.0, 1.0] and list(conds["label"]) == ["c0", "c1"]
    feats = read_features(path)
    assert list(feats["rate_hz"]) == [0.0, 1.5]
    assert feats["blocked"].dtype == bool and list(feats["n"]) == [0, 1]
    assert list(read_table(path, "extra")["ic50_mM"]) == [0.1, 3.5]
    tr = read_traces(path, condition_id=1)
    assert {"t_ms", "v_mV", "node_id", "element_id"} <= set(tr.columns)
    data = tr["v_mV"].to_numpy().reshape(50, 5)
    np.testing.assert_array_equal(data, reps[1].data)
    sp = read_spikes(path, condition_id=0)
    np.testing.assert_array_equal(np.sort(sp["t_ms"]), np.sort(spikes[0].timestamps))


def test_partial_file_is_refused(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "p.h5"
    write(path, rng, complete=False)
    partial = path.with_name("p.h5.partial")
    assert partial.exists() and not path.exists()
    with pytest.raises(ResultsError, match="--resume"):
        read_features(path)
    with pytest.raises(PartialResultsError, match="not complete"):
        read_features(partial)
    df = read_features(partial, allow_partial=True)
    assert len(df) == 2


def test_not_an_mgneuron_file(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f["x"] = 1
    with pytest.raises(ResultsError, match="not an mgneuron results file"):
        read_features(p)


def test_the_named_readers_are_importable_from_the_package():
    """read_conditions/read_features/read_traces/read_spikes are a named interface."""
    import mgneuron.results as results
    from mgneuron.results import readers

    for name in ("read_conditions", "read_features", "read_traces", "read_spikes"):
        assert getattr(results, name) is getattr(readers, name)
        assert name in results.__all__
