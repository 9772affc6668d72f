"""Readers: a written file read back, partial and foreign files refused."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mgneuron.errors import PartialResultsError, ResultsError
from mgneuron.results import (
    ResultsWriter,
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


def _failed_file(path):
    """A run whose two conditions both failed, finished with status ``failed``."""
    w = ResultsWriter(path, "demo", {"a": 1}, command="test")
    for cid in (1, 0):  # written out of order: the first error is condition 0's
        w.write_condition(cid, {"mg_mM": float(cid)}, error=f"RuntimeError: broke {cid}\n  at x")
    w.set_attr("n_conditions", 2)
    w.set_attr("n_failed", w.n_failed)
    return w.finish(status="failed")


def test_failed_file_reads_its_errors_and_refuses_its_features(tmp_path):
    """Issue 15: a run whose every condition failed is `failed`, not `complete`."""
    path = _failed_file(tmp_path / "f.h5")
    attrs = read_attrs(path)
    assert attrs["status"] == "failed" and attrs["n_failed"] == 2
    assert read_parameters(path) == {"a": 1}
    conds = read_conditions(path)  # no allow_partial needed: the errors are the content
    assert list(conds["status"]) == ["failed", "failed"]
    assert conds.loc[0, "error"].startswith("RuntimeError: broke 0")
    for reader in (read_features, read_traces, read_spikes):
        with pytest.raises(ResultsError, match=r"every condition .* failed \(first error: Runtime"):
            reader(path)
    assert not isinstance(_raised(read_features, path), PartialResultsError)
    assert read_features(path, allow_partial=True).empty
    assert len(read_features(path, allow_partial=True, failed=True)) == 2


def _raised(fn, *args):
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - returned for the test to look at
        return exc
    return None


def test_finish_takes_only_complete_or_failed(tmp_path):
    w = ResultsWriter(tmp_path / "x.h5", "demo", {}, command="test")
    with pytest.raises(ResultsError, match="not 'partial'"):
        w.finish(status="partial")
    w.close()


def test_partial_file_with_no_finished_condition_reads_empty(tmp_path):
    """Issue 15: `mgneuron info` crashed on a partial file with no finished condition."""
    w = ResultsWriter(tmp_path / "e.h5", "demo", {}, command="test")
    part = w.close()
    conds = read_conditions(part, allow_partial=True)
    assert conds.empty and {"condition_id", "status", "error"} <= set(conds.columns)
    assert read_features(part, allow_partial=True).empty
