"""Reports: streamed into the results file, streamed into a temporary file, validated."""

from __future__ import annotations

import numpy as np
import pytest

from mgneuron.errors import ResultsError
from mgneuron.results import Report, ReportFile, ResultsWriter, StreamedReport, read_traces


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


def test_report_file_is_copied_into_the_results_and_removed(tmp_path):
    """A ReportFile filled in chunks becomes a StreamedReport; the writer copies it (with
    its mapping and labels) into the run and deletes the temporary file."""
    rf = ReportFile(
        3,
        node_ids=[5],
        element_ids=[0, 1, 2],
        variable="i",
        units="nA",
        element_labels=["soma[0](0.5)", "dend[0](0.1)", "dend[0](0.9)"],
        directory=tmp_path / "tmp",
    )
    rows = np.arange(12, dtype=np.float32).reshape(4, 3)
    rf.append(rows[:3])
    rf.append(rows[3])
    streamed = rf.close((0.0, 0.4, 0.1))
    assert isinstance(streamed, StreamedReport)
    assert (streamed.n_times, streamed.n_elements) == (4, 3)
    w = ResultsWriter(tmp_path / "r.h5", "demo", {})
    w.write_condition(0, {}, reports={"cell": streamed})
    w.finish()
    assert not streamed.path.exists()
    tr = read_traces(tmp_path / "r.h5", 0)
    np.testing.assert_array_equal(tr["i_nA"].to_numpy().reshape(4, 3), rows)
    assert set(tr["node_id"]) == {5}
    assert list(tr["location"][:3]) == ["soma[0](0.5)", "dend[0](0.1)", "dend[0](0.9)"]
    np.testing.assert_allclose(tr["t_ms"].to_numpy()[::3], [0.0, 0.1, 0.2, 0.3])


def test_report_checks_its_shape():
    with pytest.raises(ResultsError, match="index_pointers is required"):
        Report(np.zeros((2, 2)), (0.0, 0.2, 0.1), node_ids=[0, 1], element_ids=[0, 0])
    with pytest.raises(ResultsError, match="2 columns but 3 element ids"):
        Report(np.zeros((2, 2)), (0.0, 0.2, 0.1), node_ids=[0], element_ids=[0, 1, 2])
    with pytest.raises(ResultsError, match="2 columns but 3 element ids"):
        ReportFile(2, node_ids=[0], element_ids=[0, 1, 2])
