"""Compartment reports and spike trains of one condition, held or streamed.

:class:`Report` and :class:`Spikes` hold what a condition recorded, in memory, in the
SONATA "report" and "spikes" layouts. A long recording is streamed instead: a
:class:`ReportFile` receives it in chunks during the run (in a temporary HDF5 file, so a
worker process or MPI rank hands back only a :class:`StreamedReport`, a path), and a
:class:`ReportStream` appends chunks to a report inside an open results file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from mgneuron.errors import ResultsError
from mgneuron.results._hdf5 import write_mapping

__all__ = ["Report", "Spikes", "ReportStream", "StreamedReport", "ReportFile"]


@dataclass
class Report:
    """A compartment report of one population (SONATA "report" layout).

    Parameters
    ----------
    data : ndarray, shape (n_times, n_elements)
        Recorded values (stored as float32).
    time : tuple of float
        (start, stop, step) in ms; ``n_times = round((stop - start) / step)``.
    node_ids : ndarray of int
        One id per recorded node (cell, axon...).
    element_ids : ndarray of int
        Segment (element) id of every column of ``data``.
    index_pointers : ndarray of int, optional
        N+1 offsets into the columns, one range per node; required for several nodes,
        default for one node: every column (``[0, n_elements]``).
    variable : str
        Name of the recorded variable (e.g. "v", "i").
    units : str
        Units of ``data`` (e.g. "mV").
    element_labels : list of str, optional
        Human-readable location of each column (e.g. "soma[0](0.5)").
    """

    data: np.ndarray
    time: tuple[float, float, float]
    node_ids: np.ndarray
    element_ids: np.ndarray
    index_pointers: np.ndarray | None = None
    variable: str = "v"
    units: str = "mV"
    element_labels: list[str] | None = None

    def __post_init__(self) -> None:
        """Convert the arrays to their stored dtypes and check their shapes agree."""
        self.data = np.asarray(self.data, dtype=np.float32)
        if self.data.ndim == 1:
            self.data = self.data[:, None]
        self.node_ids = np.asarray(self.node_ids, dtype=np.uint64)
        self.element_ids = np.asarray(self.element_ids, dtype=np.uint32)
        if self.index_pointers is None:
            if len(self.node_ids) != 1:
                raise ResultsError("index_pointers is required for a report of several nodes")
            self.index_pointers = np.array([0, self.data.shape[1]], dtype=np.uint64)
        self.index_pointers = np.asarray(self.index_pointers, dtype=np.uint64)
        if len(self.index_pointers) != len(self.node_ids) + 1:
            raise ResultsError("index_pointers must have one more entry than node_ids")
        if self.data.shape[1] != len(self.element_ids):
            raise ResultsError(
                f"report has {self.data.shape[1]} columns but {len(self.element_ids)} element ids"
            )


@dataclass
class Spikes:
    """Spike times of one population (SONATA "spikes" layout).

    Parameters
    ----------
    timestamps : ndarray of float
        Spike times (ms).
    node_ids : ndarray of int
        Node id of each spike.
    sorting : str
        ``"by_time"`` (default): sorted by time, then node id; otherwise by node id,
        then time.
    """

    timestamps: np.ndarray
    node_ids: np.ndarray
    sorting: str = field(default="by_time")

    def __post_init__(self) -> None:
        """Convert the arrays to their stored dtypes and sort them as ``sorting`` says."""
        t = np.asarray(self.timestamps, dtype=np.float64)
        n = np.asarray(self.node_ids, dtype=np.uint64)
        order = np.lexsort((n, t)) if self.sorting == "by_time" else np.lexsort((t, n))
        self.timestamps, self.node_ids = t[order], n[order]


class ReportStream:
    """Append a report to HDF5 in chunks during a run, so memory stays bounded.

    Obtained from :meth:`mgneuron.results.ResultsWriter.stream_report`; call
    :meth:`append` with blocks of rows (time steps) and :meth:`close` at the end.
    """

    def __init__(self, group: h5py.Group, n_elements: int, chunk_rows: int) -> None:
        self._ds = group.create_dataset(
            "data",
            shape=(0, n_elements),
            maxshape=(None, n_elements),
            dtype=np.float32,
            chunks=(max(1, min(chunk_rows, 4096)), max(1, min(n_elements, 256))),
        )
        self.n_rows = 0

    @property
    def dataset(self) -> h5py.Dataset:
        """The HDF5 dataset the rows go to, shape (n_rows, n_elements), float32."""
        return self._ds

    def append(self, block: np.ndarray) -> None:
        """Append rows (time steps) of shape (n, n_elements)."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[None, :]
        n = self.n_rows + block.shape[0]
        self._ds.resize((n, self._ds.shape[1]))
        self._ds[self.n_rows : n] = block
        self.n_rows = n


@dataclass
class StreamedReport:
    """A report written to a temporary HDF5 file during the run (see :class:`ReportFile`).

    Put it in ``ConditionResult.reports`` like a :class:`Report`; the writer copies it
    into the results file chunk by chunk and deletes the temporary file. It is a path,
    so it crosses process boundaries (worker processes, MPI ranks on a shared file
    system) without carrying the data.

    Parameters
    ----------
    path : path
        The temporary HDF5 file; its group ``report`` holds ``data`` and ``mapping``.
    n_times, n_elements : int
        Shape of the data.
    """

    path: Path
    n_times: int
    n_elements: int


class ReportFile:
    """A temporary HDF5 file that receives one report in chunks during a run.

    Parameters
    ----------
    n_elements : int
        Number of columns (recorded variables).
    node_ids, element_ids, index_pointers, variable, units, element_labels
        As in :class:`Report`.
    directory : path, optional
        Folder of the temporary file (default: the system temporary folder).
    chunk_rows : int
        Rows (time samples) per HDF5 chunk.
    """

    def __init__(
        self,
        n_elements: int,
        *,
        node_ids,
        element_ids,
        index_pointers=None,
        variable: str = "v",
        units: str = "mV",
        element_labels: list[str] | None = None,
        directory: Path | None = None,
        chunk_rows: int = 1024,
    ) -> None:
        import tempfile

        node_ids = np.asarray(node_ids, dtype=np.uint64)
        element_ids = np.asarray(element_ids, dtype=np.uint32)
        if len(element_ids) != n_elements:
            raise ResultsError(f"{n_elements} columns but {len(element_ids)} element ids")
        if index_pointers is None:
            if len(node_ids) != 1:
                raise ResultsError("index_pointers is required for a report of several nodes")
            index_pointers = np.array([0, n_elements], dtype=np.uint64)
        self._mapping = (node_ids, element_ids, np.asarray(index_pointers, np.uint64))
        self._labels = element_labels
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=".mgneuron-stream-", suffix=".h5", dir=str(directory) if directory else None
        )
        os.close(fd)
        self.path = Path(name)
        self._f = h5py.File(self.path, "w")
        g = self._f.create_group("report")
        self._stream = ReportStream(g, n_elements, chunk_rows)
        self._stream.dataset.attrs["units"] = units
        self._stream.dataset.attrs["variable"] = variable

    def __del__(self) -> None:
        """Close and delete the temporary file if the report was never closed."""
        # Dropped without close (the condition failed): remove the temporary file.
        f = getattr(self, "_f", None)
        if f is not None and f.id.valid:
            f.close()
            Path(self.path).unlink(missing_ok=True)

    def append(self, block: np.ndarray) -> None:
        """Append rows (time samples) of shape (n, n_elements) and flush them to disk."""
        self._stream.append(block)
        self._f.flush()

    def close(self, time: tuple[float, float, float]) -> StreamedReport:
        """Write the mapping (with the time axis ``(start, stop, step)`` in ms) and close."""
        g = self._f["report"]
        write_mapping(g, *self._mapping, time, self._labels)
        shape = self._stream.dataset.shape
        self._f.close()
        return StreamedReport(self.path, int(shape[0]), int(shape[1]))
