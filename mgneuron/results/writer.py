"""The writer of results files: one protocol run, condition by condition, into one HDF5 file.

Why hand-written low-level h5py and not a higher-level library
--------------------------------------------------------------
The writer is on the path of every condition, and sweeps are often many short
conditions, so its cost per condition is most of mgneuron's overhead over a plain NEURON
script. "Overhead vs plain NEURON" in ``benchmarks/RESULTS.md`` times whole sweeps
(build, simulate, measure, write every condition safely) against plain scripts that
integrate with ``ParallelContext.psolve`` and write nothing: the ratio stays near 1. The
margin is made of the savings measured and noted beside each low-level call here and in
``_hdf5.py``, each against h5py's own high-level API: datasets created at half the cost
of ``create_dataset``, ~25 vs ~110 us for a nested group, ~20 vs ~40 us for a string
attribute, ~0.1 ms less per new column, ~0.3 ms per column per condition saved by not
growing columns with ``resize`` + slice assignment, ~0.2 ms per attribute read saved by
keeping table metadata in memory, and ~1 ms per condition by sharing one report mapping
through hard links. A library built on top of h5py would add its own layer to each of
those calls instead.

The layout is fixed by what other tools read, too: reports and spikes follow SONATA
(``mapping/{node_ids, index_pointers, element_ids, time}``, an ``index_pointer`` hard link
for bmtk, an enum ``sorting`` attribute), and libsonata reads a condition through
:func:`mgneuron.results.sonata_view` (``tests/results/test_writer.py`` checks it), which
libraries with layouts of their own (pandas' HDFStore/PyTables, netCDF/xarray) would not
give. A report held in memory is written whole, as one contiguous dataset; only streamed
reports (:class:`~mgneuron.results.ReportFile`) are chunked, so that memory stays bounded
while they grow ("Memory: streamed vs held recording" in ``benchmarks/RESULTS.md``).

The writer takes what it records about the software that made a file
(``mgneuron_version``, ``mechanisms_hash``) from its caller as ``provenance``: this
layer imports no other part of mgneuron than :mod:`mgneuron.errors`.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from mgneuron.errors import ResultsError
from mgneuron.results._hdf5 import (
    OBJECT_TYPE,
    SCALAR,
    STR,
    STR_TID,
    int_attr,
    read_columns,
    str_attr,
    write_mapping,
)
from mgneuron.results.reports import Report, ReportStream, Spikes, StreamedReport

if TYPE_CHECKING:  # pandas is imported where it is used: worker processes skip it
    import pandas as pd

__all__ = ["ResultsWriter", "partial_path", "SORTING"]

SORTING = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")


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


_DTYPES = {"bool": np.bool_, "int": np.int64, "float": np.float64, "str": STR}
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
    int_attr(group.id, "n_rows", n_new)
    if len(keys) != n_keys or not meta["has_columns"]:
        group.attrs["columns"] = keys
        meta["has_columns"] = True


def _table_columns(meta: dict) -> dict[str, np.ndarray] | None:
    """Rebuild a table's columns as :func:`read_columns` would read them, without HDF5 reads.

    From what the writer appended; None when the table had rows before this writer opened
    it.
    """
    if meta.get("mirror") is None:
        return None
    data = {}
    for col in meta["columns"]:
        values = np.concatenate(meta["mirror"][col])
        if values.dtype.kind == "O":  # strings, as read_columns decodes them
            values = np.array(values.tolist())
        data[col] = values
    return data


_TYPE_KINDS: dict[type, str] = {}
_NONE_TYPE = type(None)


def _type_kind(tp: type, values: list) -> str:
    """Give the :func:`_kind` of the values of Python type ``tp`` among ``values``.

    Remembered per type (tables hold thousands of values).
    """
    kind = _TYPE_KINDS.get(tp)
    if kind is None:
        kind = _TYPE_KINDS[tp] = _kind(next(v for v in values if type(v) is tp))
    return kind


def _new_column(group: h5py.Group, key: str, kind: str, n_rows: int) -> h5py.Dataset:
    """Create a resizable 1-D column (chunks of 1024) with its ``kind`` attribute.

    The same as ``create_dataset(key, shape, maxshape=(None,), chunks=(1024,))`` plus
    ``attrs["kind"]``, through the low-level API (~0.1 ms less per column).
    """
    space = h5py.h5s.create_simple((n_rows,), (h5py.h5s.UNLIMITED,))
    dsid = h5py.h5d.create(group.id, key.encode(), _KIND_TIDS[kind], space, dcpl=_COLUMN_DCPL)
    str_attr(dsid, "kind", kind)
    return h5py.Dataset(dsid)


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
    """Hash everything a report's ``/mapping`` group holds."""
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
_COLUMN_DCPL = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
_COLUMN_DCPL.set_chunk((1024,))
_KIND_TIDS = {k: h5py.h5t.py_create(np.dtype(t), logical=True) for k, t in _DTYPES.items()}


def _new_group(parent: h5py.Group, path: str) -> h5py.Group:
    """Create the group ``path`` under ``parent``, with any missing groups on the way.

    One low-level call instead of a ``require_group`` per level (~25 vs ~110 us for
    ``runs/<id>/report/<population>``).
    """
    return h5py.Group(h5py.h5g.create(parent.id, path.encode(), lcpl=_LCPL))


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
    provenance : mapping, optional
        What made the file, stored as root attributes of the same names:
        ``mgneuron_version`` and ``mechanisms_hash`` (the key of the loaded mechanisms
        library); a missing key is stored as ""; ``mpi_ranks`` (int, default 1): the
        number of MPI ranks that ran it. The runner passes them: this layer does
        not look them up. A resumed file keeps the ones it was started with.
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
        *,
        provenance: Mapping[str, str] | None = None,
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
            held = self._f.attrs.get("protocol")
            if held != protocol:
                self._f.close()
                raise ResultsError(
                    f"cannot resume {self.partial}: it holds protocol {held!r}, not "
                    f"{protocol!r}; discard it with --overwrite (without --resume), or "
                    "choose another --out"
                )
            old = self._f["parameters"][()]
            old = old.decode() if isinstance(old, bytes) else old
            if old != params_json:
                self._f.close()
                raise ResultsError(
                    f"cannot resume {self.partial}: it was started with other parameters; "
                    "resume it with the same parameters, or discard it with --overwrite "
                    "instead of --resume"
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
        prov = provenance or {}
        attrs = {
            "object_type": OBJECT_TYPE,
            "mgneuron_version": str(prov.get("mgneuron_version", "")),
            "neuron_version": _neuron_version(),
            "protocol": protocol,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "command": command if command is not None else shlex.join(sys.argv),
            # a swept seed is stored as the list of its values
            "seed": np.asarray(seed, dtype=np.int64) if np.ndim(seed) else int(seed),
            "mechanisms_hash": str(prov.get("mechanisms_hash", "")),
            # how many MPI ranks ran it (1 without MPI): a fact about the run, not a
            # result, so it is not a feature column (features must not depend on it)
            "mpi_ranks": int(prov.get("mpi_ranks", 1)),
            "status": "running",
        }
        fid = self._f.id
        for k, v in attrs.items():
            if isinstance(v, str):
                str_attr(fid, k, v)
            elif isinstance(v, int):
                int_attr(fid, k, v)
            else:
                self._f.attrs[k] = v
        dsid = h5py.h5d.create(fid, b"parameters", STR_TID, SCALAR)
        dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array(params_json, dtype=STR))
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
        return data if data is not None else read_columns(self._f[name])

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
        write_mapping(g, node_ids, element_ids, index_pointers, time)
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
            int_attr(self._f.id, name, value)
        else:
            self._f.attrs[name] = value

    def finish(self, status: str = "complete") -> Path:
        """Mark the file finished, close it and rename it to its final path.

        Parameters
        ----------
        status : {"complete", "failed"}
            ``"failed"`` when every condition failed: the file then holds only their
            errors, and the readers of features refuse it (see
            :func:`~mgneuron.results.read_features`).
        """
        if status not in ("complete", "failed"):
            raise ResultsError(f"a finished run is 'complete' or 'failed', not {status!r}")
        self.flush()
        str_attr(self._f.id, "status", status)
        str_attr(self._f.id, "finished", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
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
        """Return the writer itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the file as partial if :meth:`finish` has not closed it (see :meth:`close`)."""
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

    def _write_report(self, g: h5py.Group, rep: Report) -> None:
        # h5py's low-level API: the same dataset as create_dataset(data=...) and
        # attrs[...] = str, at half the cost, paid for every condition. The whole report
        # is here, so it is stored contiguous (streamed reports grow in chunks instead).
        space = h5py.h5s.create_simple(rep.data.shape)
        dsid = h5py.h5d.create(g.id, b"data", h5py.h5t.IEEE_F32LE, space)
        if rep.data.size:
            data = np.ascontiguousarray(rep.data, dtype=np.float32)
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
        str_attr(dsid, "units", rep.units)
        str_attr(dsid, "variable", rep.variable)
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
        write_mapping(
            g, rep.node_ids, rep.element_ids, rep.index_pointers, rep.time, rep.element_labels
        )
        self._mappings[key] = g["mapping"].name

    @staticmethod
    def _write_spikes(g: h5py.Group, sp: Spikes) -> None:
        g.attrs.create("sorting", {"none": 0, "by_id": 1, "by_time": 2}[sp.sorting], dtype=SORTING)
        ts = g.create_dataset("timestamps", data=sp.timestamps, dtype=np.float64)
        ts.attrs["units"] = "ms"
        g.create_dataset("node_ids", data=sp.node_ids, dtype=np.uint64)
