"""HDF5 results: round trip, SONATA compatibility (libsonata), partial files."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from mgneuron.errors import PartialResultsError, ResultsError
from mgneuron.results import (
    Report,
    ResultsWriter,
    Spikes,
    read_attrs,
    read_conditions,
    read_features,
    read_parameters,
    read_spikes,
    read_table,
    read_traces,
    sonata_view,
)


def _report(rng, n_t=50, sizes=(3, 2)):
    n_e = sum(sizes)
    return Report(
        data=rng.normal(size=(n_t, n_e)).astype(np.float32),
        time=(0.0, n_t * 0.1, 0.1),
        node_ids=np.arange(len(sizes)),
        element_ids=np.concatenate([np.arange(s) for s in sizes]),
        index_pointers=np.concatenate([[0], np.cumsum(sizes)]),
        variable="v",
        units="mV",
    )


def _write(path, rng, complete=True):
    w = ResultsWriter(path, "demo", {"a": 1, "b": [1, 2]}, seed=7, command="test")
    reps, spikes = [], []
    for cid, mg in enumerate((0.0, 1.0)):
        rep = _report(rng)
        sp = Spikes(rng.uniform(0, 100, 20), rng.integers(0, 5, 20))
        reps.append(rep), spikes.append(sp)
        w.write_condition(
            cid,
            {"mg_mM": mg, "label": f"c{cid}"},
            features=[{"rate_hz": 1.5 * cid, "n": cid, "blocked": bool(cid)}],
            reports={"cell": rep},
            spikes={"exc": sp},
            run_s=0.1,
        )
    w.write_table("extra", pd.DataFrame({"v_mV": [-60.0, 0.0], "ic50_mM": [0.1, 3.5]}))
    if complete:
        w.finish()
    else:
        w.close()
    return reps, spikes


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "r.h5"
    reps, spikes = _write(path, rng)
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


def test_sonata_layout_and_libsonata(tmp_path):
    """libsonata reads the spikes and the report of a condition and gets the same numbers."""
    libsonata = pytest.importorskip("libsonata")
    rng = np.random.default_rng(1)
    path = tmp_path / "s.h5"
    reps, spikes = _write(path, rng)
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


def test_partial_file_is_refused(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "p.h5"
    _write(path, rng, complete=False)
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


def test_stream_report_appends_in_chunks(tmp_path):
    path = tmp_path / "st.h5"
    w = ResultsWriter(path, "demo", {})
    stream = w.stream_report(0, "cell", [0], np.arange(4), [0, 4], (0.0, 1.0, 0.1))
    for k in range(10):
        stream.append(np.full((1, 4), k, dtype=np.float32))
    w.write_condition(0, {"x": 1.0}, features=[{"y": 1.0}])
    w.finish()
    tr = read_traces(path, 0)
    assert tr["v_mV"].to_numpy().reshape(10, 4)[:, 0].tolist() == list(range(10))


def test_tables_from_the_writer_equal_the_tables_read_back(tmp_path):
    """ResultsWriter.table (built from what it appended, no HDF5 reads) equals reading the
    file: columns appearing later (filled), an int column promoted to float by a None or
    a float, strings, bools; and a resumed writer reads the file instead."""
    import pandas as pd

    from mgneuron.results import ResultsWriter, _read_table

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
