"""Streamed reports (mgneuron.runner.streaming_recorder): same samples, bounded memory."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from mgneuron.engine import RunSettings
from mgneuron.engine import run as simulate
from mgneuron.results import read_traces
from mgneuron.runner import run, streaming_recorder
from tests.runner._protocols import Spiky, hh_cell


def test_streamed_report_equals_held_report_and_is_bounded(tmp_path, h):
    """Streaming in 7 ms chunks gives the held-in-memory samples, with bounded blocks."""
    held = run(Spiky, tmp_path / "held.h5", amp_nA=[0.4], tstop=100.0)
    streamed = run(Spiky, tmp_path / "st.h5", amp_nA=[0.4], tstop=100.0, stream=True)
    a, b = read_traces(held), read_traces(streamed)
    assert len(a) == 2 * 1001  # t = 0, 0.1, ..., 100 ms
    pd.testing.assert_frame_equal(a, b)
    with h5py.File(streamed) as f:
        assert f["runs/0/report/cell/data"].chunks[0] <= 70  # 7 ms of 0.1 ms samples


def test_streaming_recorder_memory_is_one_chunk(h):
    settings = RunSettings(tstop=200.0, dt=0.025, celsius=6.3, v_init=-65)
    sec, clamp = hh_cell(h, 0.3)
    rec = streaming_recorder(
        [seg._ref_v for seg in sec], settings, 0.05, 10.0, node_ids=[0], element_ids=[0]
    )
    simulate(settings, events=rec.events())
    rep = rec.finish()
    with h5py.File(rep.path) as f:
        assert f["report/data"].shape == (4001, 1)  # t = 0 ... 200 ms
        assert np.allclose(f["report/mapping/time"][:], [0, 4001 * 0.05, 0.05])
    Path(rep.path).unlink()
    # One 10 ms chunk at dt 0.025 is 400 steps (+1 at the first flush) of 8 bytes.
    assert rec.peak_block_bytes <= 401 * 8
