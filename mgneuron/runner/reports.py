"""Reports a protocol builds from its recorded traces.

:func:`stacked_report` turns vectors recorded every time step into one
:class:`~mgneuron.results.Report`: every trace thinned to the stored sampling interval,
one column each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgneuron.errors import ProtocolError
from mgneuron.results import Report

__all__ = ["stacked_report"]


def stacked_report(
    vectors: Sequence,
    every_ms: float,
    dt_ms: float,
    labels: Sequence[str],
    variable: str,
    units: str,
    node_ids: Sequence[int] | None = None,
) -> Report:
    """Stack traces recorded every ``dt_ms`` into one report, kept every ``every_ms``.

    Parameters
    ----------
    vectors : sequence of Vector or array
        Traces sampled every time step from ``t = 0``, all of one length.
    every_ms : float
        Sampling interval of the report (ms), rounded to a whole number of steps as the
        engine rounds a recording interval (:func:`mgneuron.engine.sample_interval`):
        every ``round(every_ms / dt_ms)``-th sample, at least every one.
    dt_ms : float
        The time step of the traces (ms).
    labels : sequence of str
        A label per trace (``element_labels``).
    variable, units : str
        What the traces hold and its units (``"i_nmda"``, ``"nA"``).
    node_ids : sequence of int, optional
        Default: every trace is its own node (ids 0, 1, ...), element 0. One id: every
        trace is an element (0, 1, ...) of that one node (e.g. places in one cell).

    Returns
    -------
    Report
        ``time = (0, n_times * every, every)``.
    """
    stride = max(1, int(round(every_ms / dt_ms)))
    every = dt_ms * stride
    data = np.stack([np.asarray(v)[::stride] for v in vectors], axis=1)
    n = data.shape[1]
    if len(labels) != n:
        raise ProtocolError(f"stacked_report: {len(labels)} labels for {n} traces")
    if node_ids is None:
        nodes, elements, pointers = np.arange(n), np.zeros(n), np.arange(n + 1)
    elif len(node_ids) == 1:
        nodes, elements, pointers = np.asarray(node_ids), np.arange(n), None
    else:
        raise ProtocolError("stacked_report: node_ids is None (a node per trace) or one id")
    return Report(
        data=data,
        time=(0.0, data.shape[0] * every, every),
        node_ids=nodes,
        element_ids=elements,
        index_pointers=pointers,
        variable=variable,
        units=units,
        element_labels=list(labels),
    )
