"""The writer: SONATA layout (libsonata), resume, tables, provenance attributes."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from mgneuron.errors import ResultsError
from mgneuron.results import ResultsWriter, read_attrs, read_features, sonata_view
from mgneuron.results.readers import _read_table
from tests.results._demo import write


def test_sonata_layout_and_libsonata(tmp_path):
    """libsonata reads the spikes and the report of a condition and gets the same numbers."""
    libsonata = pytest.importorskip("libsonata")
    rng = np.random.default_rng(1)
    path = tmp_path / "s.h5"
    reps, spikes = write(path, rng)
    with h5py.File(path) as f:
        m = f["runs/1/report/cell/mapping"]
        assert len(m["index_pointers"]) == len(m["node_ids"]) + 1
        assert m["index_pointer"].id == m["index_pointers"].id  # hard link for bmtk
        assert h5py.check_enum_dtype(f["runs/1/spikes/exc"].attrs.get_id("sorting").dtype)
        assert f["runs/1/spikes/exc/timestamps"].attrs["units"] == "ms"
        assert f["runs/1/report/cell/data"].dtype == np.float32
        assert f["runs/1/report/cell/data"].chunks is None  # whole in memory: contiguous
    view = sonata_view(path, 1)
    sr = libsonata.SpikeReader(str(view))
    pop = sr["exc"]
    got = np.array(pop.get())
    np.testing.assert_allclose(np.sort(got[:, 1]), np.sort(spikes[1].timestamps))
    er = libsonata.ElementReportReader(str(view))
    rp = er["cell"]
    frame = rp.get(node_ids=[0, 1])
    np.testing.assert_allclose(np.asarray(frame.data), reps[1].data, rtol=0, atol=0)
    assert rp.times == pytest.approx((0.0, 5.0, 0.1))


def test_resume_keeps_conditions(tmp_path):
    path = tmp_path / "r.h5"
    w = ResultsWriter(path, "demo", {"a": 1})
    w.write_condition(0, {"x": 1.0}, features=[{"y": 1.0}])
    w.close()
    w = ResultsWriter(path, "demo", {"a": 1}, resume=True)
    assert w.completed_ids() == {0}
    w.write_condition(1, {"x": 2.0}, features=[{"y": 2.0}])
    w.finish()
    assert list(read_features(path)["y"]) == [1.0, 2.0]
    with pytest.raises(ResultsError, match="other parameters"):
        w = ResultsWriter(path, "demo", {"a": 2}, resume=True)
        ResultsWriter(path, "demo", {"a": 1}).close()
        ResultsWriter(path, "demo", {"a": 2}, resume=True)


def test_tables_from_the_writer_equal_the_tables_read_back(tmp_path):
    """ResultsWriter.table (built from what it appended, no HDF5 reads) equals reading the
    file: columns appearing later (filled), an int column promoted to float by a None or
    a float, strings, bools; and a resumed writer reads the file instead."""
    w = ResultsWriter(tmp_path / "t.h5", "demo", {"a": 1}, flush_s=0)
    w.write_condition(0, {"mg_mM": 0.0}, features=[{"n": 1, "ok": True, "s": "x"}])
    w.write_condition(1, {"mg_mM": 1.0}, features=[{"n": 2, "ok": False, "late": 3}])
    w.write_condition(2, {"mg_mM": 2.0}, features=[{"n": None, "s": "yz"}], error="boom")
    w.write_condition(3, {"mg_mM": 3.0}, features=[{"n": 2.5, "late": 1, "ok": True}])
    for name in ("features", "conditions"):
        mine = w.table(name)
        pd.testing.assert_frame_equal(mine, _read_table(w.file[name]))
    feats = w.table("features")
    assert feats["n"].dtype == float and np.isnan(feats["n"][2]) and feats["n"][3] == 2.5
    # "late" came in as int (row 0 filled with -1), became float with row 2's None
    np.testing.assert_array_equal(feats["late"], [-1.0, 3.0, np.nan, 1.0])
    assert list(feats["s"]) == ["x", "", "yz", ""] and list(feats["ok"]) == [1, 0, 0, 1]
    w.close()
    r = ResultsWriter(tmp_path / "t.h5", "demo", {"a": 1}, resume=True, flush_s=0)
    r.write_condition(4, {"mg_mM": 4.0}, features=[{"n": 7.0}])
    pd.testing.assert_frame_equal(r.table("features"), _read_table(r.file["features"]))
    assert len(r.table("features")) == 5
    r.close()


def test_provenance_is_written_as_root_attributes(tmp_path):
    """The runner's provenance becomes the root attributes of the same names (strings);
    a missing key, or no provenance at all, is stored as ""."""
    prov = {"mgneuron_version": "x", "mechanisms_hash": "y"}
    ResultsWriter(tmp_path / "p.h5", "demo", {}, provenance=prov).finish()
    attrs = read_attrs(tmp_path / "p.h5")
    assert attrs["mgneuron_version"] == "x" and attrs["mechanisms_hash"] == "y"
    with h5py.File(tmp_path / "p.h5") as f:
        assert h5py.check_string_dtype(f.attrs.get_id("mgneuron_version").dtype)
    ResultsWriter(tmp_path / "q.h5", "demo", {}, provenance={"mgneuron_version": "x"}).finish()
    ResultsWriter(tmp_path / "r.h5", "demo", {}).finish()
    assert read_attrs(tmp_path / "q.h5")["mechanisms_hash"] == ""
    attrs = read_attrs(tmp_path / "r.h5")
    assert attrs["mgneuron_version"] == "" and attrs["mechanisms_hash"] == ""
    assert attrs["neuron_version"] not in ("", "unknown")
