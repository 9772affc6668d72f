"""A streamed compartment report: the engine's chunked recorder writing a report file.

The engine records in chunks and writes nothing itself
(:class:`mgneuron.engine.StreamingRecorder`); the results layer knows the temporary
report file (:class:`mgneuron.results.ReportFile`). This joins the two for a condition.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mgneuron.engine import RunSettings, StreamingRecorder
from mgneuron.results import ReportFile

__all__ = ["streaming_recorder"]


def streaming_recorder(
    refs: Sequence,
    settings: RunSettings,
    interval: float,
    chunk_ms: float = 100.0,
    *,
    node_ids,
    element_ids,
    index_pointers=None,
    variable: str = "v",
    units: str = "mV",
    element_labels: list[str] | None = None,
    directory: str | os.PathLike | None = None,
) -> StreamingRecorder:
    """Record ``refs`` and stream them, chunk by chunk, into a temporary report file.

    Parameters
    ----------
    refs : sequence
        NEURON references to record (``seg._ref_v`` ...), one report column each.
    settings : RunSettings
        The run's settings (dt, tstop).
    interval : float
        Sampling interval (ms); a whole number of time steps.
    chunk_ms : float
        Simulated time between flushes (ms). Memory per chunk is about
        ``len(refs) * chunk_ms / dt * 8`` bytes.
    node_ids, element_ids, index_pointers : array-like
        SONATA mapping of the columns (see :class:`mgneuron.results.Report`).
    variable, units : str
        Name and units of the recorded variable.
    element_labels : list of str, optional
        Readable location of each column.
    directory : path, optional
        Where the temporary report lives; default ``$MGNEURON_STREAM_DIR`` (set by the
        sweep to the results file's folder) or the system temporary folder.

    Returns
    -------
    StreamingRecorder
        Pass ``rec.events()`` to the run; ``rec.finish()`` returns the
        :class:`~mgneuron.results.StreamedReport` for ``ConditionResult.reports``.
    """
    if directory is None:
        directory = os.environ.get("MGNEURON_STREAM_DIR") or None
    sink = ReportFile(
        len(refs),
        node_ids=node_ids,
        element_ids=element_ids,
        index_pointers=index_pointers,
        variable=variable,
        units=units,
        element_labels=element_labels,
        directory=Path(directory) if directory else None,
        chunk_rows=max(1, int(round(chunk_ms / interval))),
    )
    return StreamingRecorder(refs, settings, interval, chunk_ms, sink=sink)
