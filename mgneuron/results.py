"""HDF5 results files: the writer and the pandas readers.

Layout (SONATA-compatible where SONATA has a convention)::

    /                 attrs: mgneuron_version, neuron_version, protocol, created, command,
                             seed, mechanisms_hash, object_type="mgneuron.results",
                             status ("running", "partial", "complete")
    /parameters       JSON text of every parameter of the run
    /conditions/<col> 1-D columns: condition_id, the swept values, status, error, run_s
    /features/<col>   1-D columns: condition_id + one column per measure (may hold several
                      rows per condition)
    /tables/<name>/<col>   further tables a protocol derives from the features
    /runs/<cid>/report/<population>/data        float32 [n_times, n_elements], attr units
    /runs/<cid>/report/<population>/mapping/{node_ids, index_pointers, index_pointer,
                                             element_ids, time}
    /runs/<cid>/spikes/<population>/{timestamps, node_ids}, attr sorting (enum)

A run writes to ``<name>.partial`` beside the target and renames it to the target only
when every condition is done; the status attribute says "complete" only then. Readers
refuse a file that is not complete unless ``allow_partial=True``.

Column names carry their units (``mg_mM``, ``v_mV``, ``t_ms``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import shlex
import sys
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from mgneuron.errors import PartialResultsError, ResultsError

if TYPE_CHECKING:  # pandas is imported where it is used: worker processes skip it
    import pandas as pd

__all__ = [
    "Report",
    "Spikes",
    "ResultsWriter",
    "ReportStream",
    "ReportFile",
    "StreamedReport",
    "read_conditions",
    "read_features",
    "read_table",
    "read_traces",
    "read_spikes",
    "read_parameters",
    "read_attrs",
    "sonata_view",
    "partial_path",
]

OBJECT_TYPE = "mgneuron.results"
SORTING = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")
_STR = h5py.string_dtype()


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
        N+1 offsets into the columns, one range per node; default: columns in
        node order, counted from ``node_ids`` and ``element_counts``.
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
    """

    timestamps: np.ndarray
    node_ids: np.ndarray
    sorting: str = field(default="by_time")

    def __post_init__(self) -> None:
        t = np.asarray(self.timestamps, dtype=np.float64)
        n = np.asarray(self.node_ids, dtype=np.uint64)
        order = np.lexsort((n, t)) if self.sorting == "by_time" else np.lexsort((t, n))
        self.timestamps, self.node_ids = t[order], n[order]


def partial_path(path: str | os.PathLike) -> Path:
    """Where the unfinished file of a run writing ``path`` lives."""
    path = Path(path)
    return path.with_name(path.name + ".partial")


def _kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, str):
        return "str"
    raise ResultsError(f"cannot store value {value!r} of type {type(value).__name__} in a table")


_DTYPES = {"bool": np.bool_, "int": np.int64, "float": np.float64, "str": _STR}
_FILL = {"bool": False, "int": -1, "float": np.nan, "str": ""}


def _append_rows(
    group: h5py.Group, rows: list[Mapping[str, Any]], cache: dict | None = None
) -> None:
    """Append rows to a columnar table group (one resizable 1-D dataset per column).

    ``cache`` (a dict owned by the writer) keeps the table's row count, columns, column
    kinds and datasets between calls, so appending does not re-read HDF5 attributes
    (each read costs ~0.2 ms, which adds up over thousands of conditions).
    """
    if not rows:
        return
    names: dict[str, None] = {}  # the columns, in order of first appearance
    for row in rows:
        names.update(dict.fromkeys(row))
    columns = {k: [row.get(k) for row in rows] for k in names}
    _append_columns(group, columns, len(rows), cache)


def _append_columns(
    group: h5py.Group, columns: Mapping[str, list], n_add: int, cache: dict | None = None
) -> None:
    """Append ``n_add`` rows given as columns (lists of values, None where missing)."""
    meta = None if cache is None else cache.get(group.name)
    if meta is None:
        meta = {
            "n_rows": int(group.attrs.get("n_rows", 0)),
            "columns": list(group.attrs.get("columns", [])),
            "kinds": {},
            "ds": {},
            "has_columns": "columns" in group.attrs,
        }
        meta["on_disk"] = set(meta["columns"])  # columns that may exist in the file
        # What this writer appended, column by column: the whole table when it started
        # empty here (see _table_columns), else None.
        meta["mirror"] = {} if meta["n_rows"] == 0 else None
        if cache is not None:
            cache[group.name] = meta
    n_old = meta["n_rows"]
    n_new = n_old + n_add
    keys: list[str] = meta["columns"]
    n_keys = len(keys)
    known = set(keys)
    keys.extend(k for k in columns if k not in known)
    for key in keys:
        values = columns.get(key)
        if values is None:
            values = [None] * n_add
        # Kinds from the set of Python types (one C-level pass), not value by value.
        types = set(map(type, values))
        has_none = _NONE_TYPE in types
        kinds = {_type_kind(t, values) for t in types if t is not _NONE_TYPE}
        mirror = meta["mirror"]
        ds = meta["ds"].get(key)
        if ds is None and key in meta["on_disk"]:
            ds = group[key]
            meta["kinds"][key] = ds.attrs["kind"]
            if mirror is not None and key not in mirror:
                if n_old:  # rows this writer did not append: no mirror
                    mirror = meta["mirror"] = None
                else:
                    mirror[key] = []
        if ds is not None:
            kind = meta["kinds"][key]
            allowed = {kind, "int" if kind == "bool" else kind}
            if kind in ("int", "bool") and (has_none or not kinds <= allowed):
                if kind == "int" and kinds <= {"int", "float"}:
                    ds = _promote_to_float(group, key)
                    kind = "float"
                    if mirror is not None:
                        mirror[key] = [np.concatenate(mirror[key]).astype(np.float64)]
        else:
            first = next((v for v in values if v is not None), None)
            kind = _type_kind(type(first), values) if first is not None else "float"
            if kind == "int" and (has_none or "float" in kinds):
                kind = "float"
            ds = _new_column(group, key, kind, n_old)
            if n_old:
                ds[:] = _FILL[kind]
            if mirror is not None:
                mirror[key] = [np.full(n_old, _FILL[kind], dtype=_DTYPES[kind])]
        meta["ds"][key], meta["kinds"][key] = ds, kind
        if has_none:
            values = [_FILL[kind] if v is None else v for v in values]
        column = np.array(values, dtype=_DTYPES[kind])
        _write_at(ds, n_old, column)
        if mirror is not None:
            mirror[key].append(column)
    meta["n_rows"] = n_new
    _int_attr(group.id, "n_rows", n_new)
    if len(keys) != n_keys or not meta["has_columns"]:
        group.attrs["columns"] = keys
        meta["has_columns"] = True


def _table_columns(meta: dict) -> dict[str, np.ndarray] | None:
    """A table's columns as :func:`_read_columns` would read them, from what the writer
    appended (no HDF5 reads); None when the table had rows before this writer opened it."""
    if meta.get("mirror") is None:
        return None
    data = {}
    for col in meta["columns"]:
        values = np.concatenate(meta["mirror"][col])
        if values.dtype.kind == "O":  # strings, as _read_columns decodes them
            values = np.array(values.tolist())
        data[col] = values
    return data


_TYPE_KINDS: dict[type, str] = {}
_NONE_TYPE = type(None)


def _type_kind(tp: type, values: list) -> str:
    """:func:`_kind` of the values of Python type ``tp`` among ``values``, remembered per
    type (tables hold thousands of values)."""
    kind = _TYPE_KINDS.get(tp)
    if kind is None:
        kind = _TYPE_KINDS[tp] = _kind(next(v for v in values if type(v) is tp))
    return kind


def _new_column(group: h5py.Group, key: str, kind: str, n_rows: int) -> h5py.Dataset:
    """A resizable 1-D column (chunks of 1024) with its ``kind`` attribute.

    The same as ``create_dataset(key, shape, maxshape=(None,), chunks=(1024,))`` plus
    ``attrs["kind"]``, through the low-level API (~0.1 ms less per column).
    """
    space = h5py.h5s.create_simple((n_rows,), (h5py.h5s.UNLIMITED,))
    dsid = h5py.h5d.create(group.id, key.encode(), _KIND_TIDS[kind], space, dcpl=_COLUMN_DCPL)
    _str_attr(dsid, "kind", kind)
    return h5py.Dataset(dsid)


def _int_attr(obj_id, name: str, value: int) -> None:
    """``obj.attrs[name] = int(value)`` (an int64 scalar) through the low-level API."""
    data = np.array(value, dtype=np.int64)
    if h5py.h5a.exists(obj_id, name.encode()):
        attr = h5py.h5a.open(obj_id, name.encode())
        if attr.dtype == data.dtype and attr.shape == ():
            attr.write(data)
            return
        h5py.h5a.delete(obj_id, name.encode())
    attr = h5py.h5a.create(obj_id, name.encode(), _KIND_TIDS["int"], _SCALAR)
    attr.write(data)


def _write_at(ds: h5py.Dataset, start: int, column: np.ndarray) -> None:
    """Grow a 1-D dataset and write ``column`` at ``start``.

    Numbers go through h5py's low-level API: the high-level ``resize`` + slice
    assignment costs ~0.3 ms per call in Python, paid per column per condition.
    """
    n = len(column)
    ds.id.set_extent((start + n,))
    if column.dtype.kind in "iuf":
        fspace = ds.id.get_space()
        fspace.select_hyperslab((start,), (n,))
        ds.id.write(h5py.h5s.create_simple((n,)), fspace, np.ascontiguousarray(column))
    else:
        ds[start : start + n] = column


def _mapping_digest(rep: Report) -> bytes:
    """A digest of everything a report's ``/mapping`` group holds."""
    h = hashlib.blake2b(digest_size=16)
    # Report has already given the id arrays their stored dtypes (__post_init__).
    time = np.asarray(rep.time, dtype=np.float64)
    for arr in (rep.node_ids, rep.element_ids, rep.index_pointers, time):
        a = np.ascontiguousarray(arr)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    labels = rep.element_labels
    h.update(b"\0none" if labels is None else "\0".join(map(str, labels)).encode() + b"\1")
    return h.digest()


def _small_dataset(group: h5py.Group, name: str, data: np.ndarray) -> None:
    """Create a small contiguous numeric dataset through h5py's low-level API.

    Half the cost of ``create_dataset`` (~0.09 vs 0.18 ms), which is paid for every
    mapping dataset of every condition.
    """
    data = np.ascontiguousarray(data)
    tid = h5py.h5t.py_create(data.dtype, logical=True)
    dsid = h5py.h5d.create(group.id, name.encode(), tid, h5py.h5s.create_simple(data.shape))
    if data.size:
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)


@functools.cache
def _neuron_version() -> str:
    """NEURON's version as installed (looked up once: ~0.5 ms per lookup)."""
    try:
        from importlib.metadata import version

        return version("neuron")
    except Exception:  # pragma: no cover - neuron is a dependency
        return "unknown"


# Low-level objects every write reuses (HDF5 copies them into what it creates).
_LCPL = h5py.h5p.create(h5py.h5p.LINK_CREATE)
_LCPL.set_create_intermediate_group(True)
_LCPL.set_char_encoding(h5py.h5t.CSET_UTF8)
_STR_TID = h5py.h5t.py_create(_STR, logical=True)
_SCALAR = h5py.h5s.create(h5py.h5s.SCALAR)
_COLUMN_DCPL = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
_COLUMN_DCPL.set_chunk((1024,))
_KIND_TIDS = {k: h5py.h5t.py_create(np.dtype(t), logical=True) for k, t in _DTYPES.items()}


def _new_group(parent: h5py.Group, path: str) -> h5py.Group:
    """Create the group ``path`` under ``parent``, with any missing groups on the way.

    One low-level call instead of a ``require_group`` per level (~25 vs ~110 us for
    ``runs/<id>/report/<population>``).
    """
    return h5py.Group(h5py.h5g.create(parent.id, path.encode(), lcpl=_LCPL))


def _str_attr(obj_id, name: str, value: str) -> None:
    """Set a string attribute as ``obj.attrs[name] = value`` would (variable-length
    UTF-8 scalar, replacing one of that name), through the low-level API (~20 vs ~40 us)."""
    bname = name.encode()
    if h5py.h5a.exists(obj_id, bname):
        h5py.h5a.delete(obj_id, bname)
    attr = h5py.h5a.create(obj_id, bname, _STR_TID, _SCALAR)
    attr.write(np.array(value, dtype=_STR))


def _promote_to_float(group: h5py.Group, key: str) -> h5py.Dataset:
    old = group[key][:].astype(np.float64)
    attrs = dict(group[key].attrs)
    del group[key]
    ds = group.create_dataset(key, data=old, maxshape=(None,), dtype=np.float64, chunks=(1024,))
    for k, v in attrs.items():
        ds.attrs[k] = v
    ds.attrs["kind"] = "float"
    return ds


def _write_table(group: h5py.Group, df: pd.DataFrame) -> None:
    # Column by column: Series.tolist() gives Python scalars, as rows would.
    if len(df):
        _append_columns(group, {str(c): df[c].tolist() for c in df.columns}, len(df))


def _read_table(group: h5py.Group) -> pd.DataFrame:
    import pandas as pd

    data = _read_columns(group)
    return pd.DataFrame(data, columns=list(data))


def _read_columns(group: h5py.Group) -> dict[str, np.ndarray]:
    """A table group's columns, in order, as numpy arrays (strings decoded)."""
    columns = list(group.attrs.get("columns", list(group.keys())))
    data = {}
    for col in columns:
        # Low-level reads (half the time of ds[:] + attrs); strings come back as bytes.
        dsid = h5py.h5d.open(group.id, col.encode())
        values = np.empty(dsid.shape, dtype=dsid.dtype)
        if values.size:
            dsid.read(h5py.h5s.ALL, h5py.h5s.ALL, values)
        if values.dtype.kind == "O":
            values = np.array([v.decode() if isinstance(v, bytes) else v for v in values])
        data[col] = values
    return data


class ReportStream:
    """Append a report to HDF5 in chunks during a run, so memory stays bounded.

    Obtained from :meth:`ResultsWriter.stream_report`; call :meth:`append` with blocks of
    rows (time steps) and :meth:`close` at the end.
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
        ResultsWriter._write_mapping(g, *self._mapping, time, self._labels)
        shape = self._stream.dataset.shape
        self._f.close()
        return StreamedReport(self.path, int(shape[0]), int(shape[1]))


class ResultsWriter:
    """Write one protocol run to one HDF5 file, condition by condition.

    Parameters
    ----------
    path : path
        Final file path. Work happens in ``<path>.partial``; :meth:`finish` renames it.
    protocol : str
        Protocol name.
    parameters : dict
        Every parameter of the run (stored as JSON).
    seed : int
        Base random seed.
    command : str, optional
        The command line that started the run; default ``sys.argv``.
    resume : bool
        Reopen an existing partial file of the same protocol and keep its conditions.
    flush_s : float, optional
        Longest time (s) a finished condition waits in memory before it is written
        (default ``$MGNEURON_FLUSH_S`` or 1 s). Writing conditions in batches costs less
        than one at a time between simulations (HDF5 and NEURON then take turns with the
        CPU caches: 18 nmda_iv conditions ran 10 ms slower in all), and between batches
        the file is untouched and consistent on disk. A run killed outright loses at most
        the conditions finished in the last ``flush_s`` (they run again on
        ``--resume``); an interrupted run (Ctrl-C, an exception) writes everything before
        closing. 0 writes after every condition.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        protocol: str,
        parameters: Mapping[str, Any],
        seed: int = 0,
        command: str | None = None,
        resume: bool = False,
        flush_s: float | None = None,
    ) -> None:
        if flush_s is None:
            flush_s = float(os.environ.get("MGNEURON_FLUSH_S", "1.0"))
        self.flush_s = float(flush_s)
        self._pending_runs: list[tuple[int, Mapping | None, Mapping | None]] = []
        self._pending_features: list[dict] = []
        self._pending_conditions: list[dict] = []
        self._last_flush = _time.monotonic()
        # digest of a report mapping -> HDF5 path of the group that holds it (see _write_report)
        self._mappings: dict[bytes, str] = {}
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        params_json = json.dumps(parameters, sort_keys=True, default=str)
        if resume and self.partial.exists():
            self._f = h5py.File(self.partial, "a")
            if self._f.attrs.get("protocol") != protocol:
                self._f.close()
                raise ResultsError(
                    f"cannot resume {self.partial}: it holds protocol "
                    f"{self._f.attrs.get('protocol')!r}, not {protocol!r}"
                )
            old = self._f["parameters"][()]
            old = old.decode() if isinstance(old, bytes) else old
            if old != params_json:
                self._f.close()
                raise ResultsError(
                    f"cannot resume {self.partial}: it was started with other parameters; "
                    "run again without --resume (or with the same parameters)"
                )
            self._f.attrs["status"] = "running"
            self._drop_unfinished()
            self._tables: dict = {}
            self._done = self._read_completed_ids()
            g = self._f["conditions"]
            self.n_failed = int(np.sum(g["status"][:] != b"ok")) if "status" in g else 0
            return
        if self.partial.exists():
            self.partial.unlink()
        self._f = h5py.File(self.partial, "w")
        from mgneuron import __version__
        from mgneuron.mechanisms import loaded

        nrn_version = _neuron_version()
        lib = loaded()
        attrs = {
            "object_type": OBJECT_TYPE,
            "mgneuron_version": __version__,
            "neuron_version": nrn_version,
            "protocol": protocol,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command if command is not None else shlex.join(sys.argv),
            # a swept seed is stored as the list of its values
            "seed": np.asarray(seed, dtype=np.int64) if np.ndim(seed) else int(seed),
            "mechanisms_hash": lib.key if lib else "",
            "status": "running",
        }
        fid = self._f.id
        for k, v in attrs.items():
            if isinstance(v, str):
                _str_attr(fid, k, v)
            elif isinstance(v, int):
                _int_attr(fid, k, v)
            else:
                self._f.attrs[k] = v
        dsid = h5py.h5d.create(fid, b"parameters", _STR_TID, _SCALAR)
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array(params_json, dtype=_STR))
        for name in ("conditions", "features", "runs", "tables"):
            _new_group(self._f, name)
        self._tables = {}
        self._done: set[int] = set()
        self.n_failed = 0  # conditions written with an error
        self._f.flush()  # a run killed from here on leaves a readable partial file

    # -- state ----------------------------------------------------------------------------
    @property
    def file(self) -> h5py.File:
        """The open h5py file (the partial one), with every finished condition written."""
        self.flush()
        return self._f

    def flush(self) -> None:
        """Write the finished conditions held in memory and flush the file to disk.

        Run data first, then feature rows, then conditions rows: a condition counts as
        done (and is skipped by ``--resume``) only once its conditions row is on disk,
        and a run killed in between leaves only what ``--resume`` drops and redoes.
        """
        for cid, reports, spikes in self._pending_runs:
            self._write_run(cid, reports, spikes)
        self._pending_runs = []
        if self._pending_features:
            _append_rows(self._f["features"], self._pending_features, self._tables)
        if self._pending_conditions:
            _append_rows(self._f["conditions"], self._pending_conditions, self._tables)
        self._pending_features, self._pending_conditions = [], []
        self._f.flush()
        self._last_flush = _time.monotonic()

    def table(self, name: str) -> pd.DataFrame:
        """``/conditions`` or ``/features`` with every finished condition, as a DataFrame.

        Built from what this writer appended when the table started empty here (a fresh
        run: no reading back), else read from the file (a resumed run).
        """
        import pandas as pd

        data = self.columns(name)
        return pd.DataFrame(data, columns=list(data))

    def columns(self, name: str) -> dict[str, np.ndarray]:
        """:meth:`table` as a dict of numpy arrays (column name -> values), in order."""
        if self._pending_runs or self._pending_features or self._pending_conditions:
            self.flush()
        meta = self._tables.get("/" + name.strip("/"))  # the group's HDF5 path
        data = _table_columns(meta) if meta is not None else None
        return data if data is not None else _read_columns(self._f[name])

    def completed_ids(self) -> set[int]:
        """Condition ids already written (ok or failed)."""
        return set(self._done)

    def _read_completed_ids(self) -> set[int]:
        g = self._f["conditions"]
        if "condition_id" not in g:
            return set()
        return {int(x) for x in g["condition_id"][:]}

    # -- writing --------------------------------------------------------------------------
    def write_condition(
        self,
        condition_id: int,
        condition: Mapping[str, Any],
        features: Iterable[Mapping[str, Any]] = (),
        reports: Mapping[str, Report] | None = None,
        spikes: Mapping[str, Spikes] | None = None,
        error: str | None = None,
        run_s: float = float("nan"),
    ) -> None:
        """Take everything about one condition; it is written at most ``flush_s`` later.

        The condition is held in memory until the next :meth:`flush` (see ``flush_s``),
        which writes the run data first and the conditions row last: a condition
        appears in ``/conditions`` only once all of it is on disk.
        """
        cid = int(condition_id)
        if cid in self._done:
            raise ResultsError(f"condition {cid} is already in {self.partial}")
        self._pending_runs.append((cid, reports, spikes))
        self._pending_features += [{"condition_id": cid, **dict(r)} for r in features]
        row = {"condition_id": cid, **dict(condition)}
        row["status"] = "failed" if error else "ok"
        self.n_failed += bool(error)
        row["error"] = error or ""
        row["run_s"] = float(run_s)
        self._pending_conditions.append(row)
        self._done.add(cid)
        if _time.monotonic() - self._last_flush >= self.flush_s:
            self.flush()

    def _write_run(self, cid: int, reports: Mapping | None, spikes: Mapping | None) -> None:
        base = f"runs/{cid}"
        for pop, rep in (reports or {}).items():
            if isinstance(rep, StreamedReport):
                self._copy_streamed(self._f.require_group(f"{base}/report"), pop, rep)
            else:  # one call makes runs/<id>/report/<pop> and whatever is missing above
                self._write_report(_new_group(self._f, f"{base}/report/{pop}"), rep)
        for pop, sp in (spikes or {}).items():
            self._write_spikes(_new_group(self._f, f"{base}/spikes/{pop}"), sp)
        if not (reports or spikes) and not self._f.id.links.exists(base.encode()):
            _new_group(self._f, base)  # a condition with no run data still has its group

    def stream_report(
        self,
        condition_id: int,
        population: str,
        node_ids: np.ndarray,
        element_ids: np.ndarray,
        index_pointers: np.ndarray,
        time: tuple[float, float, float],
        variable: str = "v",
        units: str = "mV",
        chunk_rows: int = 1024,
    ) -> ReportStream:
        """Open a report to be filled in chunks during the run (see :class:`ReportStream`)."""
        g = self._f["runs"].require_group(str(int(condition_id)))
        g = g.require_group("report").create_group(population)
        stream = ReportStream(g, len(element_ids), chunk_rows)
        self._write_mapping(g, node_ids, element_ids, index_pointers, time)
        stream.dataset.attrs["units"] = units
        stream.dataset.attrs["variable"] = variable
        return stream

    def write_table(self, name: str, df: pd.DataFrame) -> None:
        """Write (replace) a derived table under ``/tables/<name>``."""
        g = self._f["tables"]
        if name in g:
            del g[name]
        _write_table(g.create_group(name), df)

    def set_attr(self, name: str, value: Any) -> None:
        """Set a root attribute (e.g. run time)."""
        if type(value) is int:
            _int_attr(self._f.id, name, value)
        else:
            self._f.attrs[name] = value

    def finish(self) -> Path:
        """Mark the file complete, close it and rename it to its final path."""
        self.flush()
        _str_attr(self._f.id, "status", "complete")
        _str_attr(self._f.id, "finished", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
        self._f.close()
        os.replace(self.partial, self.path)
        return self.path

    def close(self) -> Path:
        """Close without completing (interrupted run): the partial file stays for --resume."""
        if self._f.id.valid:
            self.flush()
            self._f.attrs["status"] = "partial"
            self._f.close()
        return self.partial

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._f.id.valid:
            self.close()

    # -- helpers --------------------------------------------------------------------------
    def _drop_unfinished(self) -> None:
        """Remove what an interrupted condition left half-written (runs, feature rows).

        A condition is finished once its row is in ``/conditions`` (written last), so
        run groups and feature rows of any other condition are leftovers of a run killed
        while writing it; they are removed before the condition runs again.
        """
        done = self._read_completed_ids()
        for key in list(self._f["runs"]):
            if int(key) not in done:
                del self._f["runs"][key]
        feats = self._f["features"]
        n_rows = int(feats.attrs.get("n_rows", 0))
        if n_rows and "condition_id" in feats:
            keep = np.isin(feats["condition_id"][:n_rows], list(done))
            if not keep.all():
                for key in feats.attrs.get("columns", []):
                    ds = feats[key]
                    values = ds[:n_rows][keep]
                    ds.resize((len(values),))
                    ds[:] = values
                feats.attrs["n_rows"] = int(keep.sum())
        self._f.flush()

    @staticmethod
    def _copy_streamed(report_group: h5py.Group, population: str, rep: StreamedReport) -> None:
        path = Path(rep.path)
        if not path.exists():
            raise ResultsError(
                f"the streamed report {path} is gone: a report streamed by a worker must be "
                "on a file system the writing process sees (under MPI, write the results "
                "to a shared folder)"
            )
        with h5py.File(path, "r") as src:
            # H5Ocopy moves a chunked dataset chunk by chunk: memory stays bounded.
            report_group.copy(src["report"], report_group, name=population)
        path.unlink()

    @staticmethod
    def _write_mapping(g, node_ids, element_ids, index_pointers, time, labels=None) -> None:
        m = g.create_group("mapping")
        _small_dataset(m, "node_ids", np.asarray(node_ids, dtype=np.uint64))
        _small_dataset(m, "index_pointers", np.asarray(index_pointers, np.uint64))
        m["index_pointer"] = m["index_pointers"]  # hard link: the name bmtk reads
        _small_dataset(m, "element_ids", np.asarray(element_ids, dtype=np.uint32))
        _small_dataset(m, "time", np.asarray(time, dtype=np.float64))
        m["time"].attrs["units"] = "ms"
        if labels is not None:
            m.create_dataset("element_labels", data=np.array(labels, dtype=object), dtype=_STR)

    def _write_report(self, g: h5py.Group, rep: Report) -> None:
        # h5py's low-level API: the same dataset as create_dataset(data=...) and
        # attrs[...] = str, at half the cost, paid for every condition. The whole report
        # is here, so it is stored contiguous (streamed reports grow in chunks instead).
        space = h5py.h5s.create_simple(rep.data.shape)
        dsid = h5py.h5d.create(g.id, b"data", h5py.h5t.IEEE_F32LE, space)
        if rep.data.size:
            data = np.ascontiguousarray(rep.data, dtype=np.float32)
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
        _str_attr(dsid, "units", rep.units)
        _str_attr(dsid, "variable", rep.variable)
        # Conditions of a sweep usually share one mapping (same cells, same sampling): it
        # is written once and every later report gets a hard link to the same group. A
        # reader sees an ordinary /mapping group; deleting one run's link (an unfinished
        # condition dropped on --resume) leaves the group alive for the others. Saves
        # ~1 ms per condition, which matters for sweeps of many short conditions. (A
        # writer deletes runs only when it opens a file to resume, before this memo fills.)
        key = _mapping_digest(rep)
        shared = self._mappings.get(key)
        if shared is not None:
            g.id.links.create_hard(b"mapping", self._f.id, shared.encode())
            return
        self._write_mapping(
            g, rep.node_ids, rep.element_ids, rep.index_pointers, rep.time, rep.element_labels
        )
        self._mappings[key] = g["mapping"].name

    @staticmethod
    def _write_spikes(g: h5py.Group, sp: Spikes) -> None:
        g.attrs.create("sorting", {"none": 0, "by_id": 1, "by_time": 2}[sp.sorting], dtype=SORTING)
        ts = g.create_dataset("timestamps", data=sp.timestamps, dtype=np.float64)
        ts.attrs["units"] = "ms"
        g.create_dataset("node_ids", data=sp.node_ids, dtype=np.uint64)


# -- readers ------------------------------------------------------------------------------


def _open(path: str | os.PathLike, allow_partial: bool) -> h5py.File:
    path = Path(path)
    if not path.exists():
        part = partial_path(path)
        hint = f" (an unfinished run left {part}; resume it with --resume)" if part.exists() else ""
        raise ResultsError(f"results file {path} does not exist{hint}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultsError(f"{path} is not a readable HDF5 file: {exc}") from None
    if f.attrs.get("object_type") != OBJECT_TYPE:
        f.close()
        raise ResultsError(f"{path} is not an mgneuron results file (no object_type tag)")
    status = f.attrs.get("status")
    if status != "complete" and not allow_partial:
        f.close()
        raise PartialResultsError(
            f"{path} is not complete (status {status!r}): the run was interrupted or is still "
            "going. Finish it with `mgneuron run ... --resume`, or pass allow_partial=True "
            "to read what is there"
        )
    return f


def read_attrs(path: str | os.PathLike, allow_partial: bool = False) -> dict:
    """Root attributes (versions, protocol, seed, status...) as a dict."""
    with _open(path, allow_partial) as f:
        return {
            k: (
                v.item()
                if np.size(v) == 1 and hasattr(v, "item")
                else v.tolist()
                if hasattr(v, "tolist")
                else v
            )
            for k, v in f.attrs.items()
        }


def read_parameters(path: str | os.PathLike, allow_partial: bool = False) -> dict:
    """Every parameter of the run, as stored in ``/parameters``."""
    with _open(path, allow_partial) as f:
        raw = f["parameters"][()]
        return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def read_conditions(path: str | os.PathLike, allow_partial: bool = False) -> pd.DataFrame:
    """The conditions table: one row per condition (ids, swept values, status, error)."""
    with _open(path, allow_partial) as f:
        conds = _read_table(f["conditions"])
    # Conditions are stored in the order they finished (workers, MPI, resume); read
    # them in condition order so every backend gives the same table.
    if "condition_id" in conds:
        conds = conds.sort_values("condition_id", kind="stable", ignore_index=True)
    return conds


def read_features(
    path: str | os.PathLike, allow_partial: bool = False, failed: bool = False
) -> pd.DataFrame:
    """The features table joined with the conditions on ``condition_id``.

    Parameters
    ----------
    failed : bool
        Also return rows of failed conditions (their features are missing).
    """
    import pandas as pd

    with _open(path, allow_partial) as f:
        feats = _read_table(f["features"])
        conds = _read_table(f["conditions"])
    if "condition_id" in conds:
        conds = conds.sort_values("condition_id", kind="stable", ignore_index=True)
    if "condition_id" in feats:
        feats = feats.sort_values("condition_id", kind="stable", ignore_index=True)
    if feats.empty:
        feats = pd.DataFrame({"condition_id": np.array([], dtype=np.int64)})
    overlap = [c for c in conds.columns if c in feats.columns and c != "condition_id"]
    how = "outer" if failed else "left"
    df = feats.merge(conds.drop(columns=overlap), on="condition_id", how=how)
    if not failed and "status" in df:
        df = df[df["status"] == "ok"]
    front = [c for c in conds.columns if c in df.columns]
    return df[front + [c for c in df.columns if c not in front]].reset_index(drop=True)


def read_table(path: str | os.PathLike, name: str, allow_partial: bool = False) -> pd.DataFrame:
    """A derived table from ``/tables/<name>``."""
    with _open(path, allow_partial) as f:
        if name not in f["tables"]:
            raise ResultsError(
                f"{path} has no table {name!r}; it has: {', '.join(f['tables']) or 'none'}"
            )
        return _read_table(f["tables"][name])


def read_traces(
    path: str | os.PathLike,
    condition_id: int | Iterable[int] | None = None,
    population: str | None = None,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Recorded traces in long form.

    Returns
    -------
    DataFrame
        Columns ``condition_id, population, node_id, element_id, t_ms`` and one value
        column named ``<variable>_<units>`` (e.g. ``v_mV``), plus ``location`` when the
        report stored element labels.
    """
    import pandas as pd

    frames = []
    with _open(path, allow_partial) as f:
        runs = f["runs"]
        if condition_id is None:
            ids = sorted(int(k) for k in runs)
        elif isinstance(condition_id, int | np.integer):
            ids = [int(condition_id)]
        else:
            ids = [int(c) for c in condition_id]
        for cid in ids:
            if str(cid) not in runs:
                raise ResultsError(f"{path} has no run for condition {cid}")
            rep = runs[str(cid)].get("report")
            if rep is None:
                continue
            for pop in rep:
                if population is not None and pop != population:
                    continue
                g = rep[pop]
                data = g["data"][:]
                m = g["mapping"]
                start, _stop, step = m["time"][:]
                t = start + step * np.arange(data.shape[0])
                nodes = m["node_ids"][:]
                ptr = m["index_pointers"][:]
                node_of_col = np.repeat(nodes, np.diff(ptr).astype(np.int64))
                var = g["data"].attrs.get("variable", "value")
                units = g["data"].attrs.get("units", "")
                col = f"{var}_{units}" if units else var
                n_t, n_e = data.shape
                frame = {
                    "condition_id": np.full(n_t * n_e, cid, dtype=np.int64),
                    "population": pop,
                    "node_id": np.tile(node_of_col, n_t),
                    "element_id": np.tile(m["element_ids"][:], n_t),
                    "t_ms": np.repeat(t, n_e),
                    col: data.reshape(-1),
                }
                if "element_labels" in m:
                    labels = np.array(
                        [x.decode() if isinstance(x, bytes) else x for x in m["element_labels"][:]]
                    )
                    frame["location"] = np.tile(labels, n_t)
                frames.append(pd.DataFrame(frame))
    if not frames:
        return pd.DataFrame(columns=["condition_id", "population", "node_id", "element_id", "t_ms"])
    return pd.concat(frames, ignore_index=True)


def read_spikes(
    path: str | os.PathLike,
    condition_id: int | None = None,
    population: str | None = None,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Spikes in long form: ``condition_id, population, node_id, t_ms``."""
    import pandas as pd

    frames = []
    with _open(path, allow_partial) as f:
        for cid_s, run in f["runs"].items():
            cid = int(cid_s)
            if condition_id is not None and cid != int(condition_id):
                continue
            for pop, g in run.get("spikes", {}).items():
                if population is not None and pop != population:
                    continue
                ts = g["timestamps"][:]
                frames.append(
                    pd.DataFrame(
                        {
                            "condition_id": np.full(len(ts), cid, dtype=np.int64),
                            "population": pop,
                            "node_id": g["node_ids"][:].astype(np.int64),
                            "t_ms": ts,
                        }
                    )
                )
    if not frames:
        return pd.DataFrame(columns=["condition_id", "population", "node_id", "t_ms"])
    return pd.concat(frames, ignore_index=True).sort_values(
        ["condition_id", "t_ms", "node_id"], ignore_index=True
    )


def sonata_view(
    path: str | os.PathLike, condition_id: int, out: str | os.PathLike | None = None
) -> Path:
    """Make a small SONATA file for one condition, for libsonata, bmtk or neurodamus tools.

    SONATA readers expect ``/report`` and ``/spikes`` at the root of a file; mgneuron keeps
    one run per condition under ``/runs/<condition_id>``. The view holds HDF5 external
    links to that run, so nothing is copied.

    Returns
    -------
    pathlib.Path
        The view file (default ``<path stem>.cond<id>.sonata.h5`` beside ``path``).
    """
    path = Path(path).resolve()
    with _open(path, allow_partial=False) as f:
        run = f["runs"].get(str(int(condition_id)))
        if run is None:
            raise ResultsError(f"{path} has no run for condition {condition_id}")
        groups = [g for g in ("report", "spikes") if g in run]
    out = Path(out) if out else path.with_name(f"{path.stem}.cond{int(condition_id)}.sonata.h5")
    with h5py.File(out, "w") as v:
        for g in groups:
            v[g] = h5py.ExternalLink(str(path), f"/runs/{int(condition_id)}/{g}")
    return out
