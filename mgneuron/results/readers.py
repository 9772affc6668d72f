"""The readers of results files: attributes, parameters and tables as pandas DataFrames.

Every reader opens the file through :func:`_open`, which refuses a file that is not an
mgneuron results file and, unless ``allow_partial=True``, one whose run is not complete.
A run whose every condition failed has status ``"failed"``: its attributes, parameters
and conditions (with each condition's error) still read, its features and the rest are
refused with the first error.
Tables come back in condition order whatever order the conditions were written in
(workers, MPI ranks, a resumed run); traces and spikes come back in long form, with the
units in the column names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from mgneuron.errors import PartialResultsError, ResultsError
from mgneuron.results._hdf5 import OBJECT_TYPE, read_columns
from mgneuron.results.writer import partial_path

if TYPE_CHECKING:  # pandas is imported where it is used: worker processes skip it
    import pandas as pd

__all__ = [
    "read_attrs",
    "read_parameters",
    "read_conditions",
    "read_features",
    "read_table",
    "read_traces",
    "read_spikes",
    "sonata_view",
]


def _first_error(f: h5py.File) -> str:
    """Return the error of the failed condition with the lowest id ("" when none is stored)."""
    g = f["conditions"]
    if "error" not in g or "condition_id" not in g:
        return ""
    n = int(g.attrs.get("n_rows", len(g["error"])))
    errors, ids = g["error"][:n], g["condition_id"][:n]
    for k in np.argsort(ids, kind="stable"):
        text = errors[k].decode() if isinstance(errors[k], bytes) else str(errors[k])
        if text:
            return text.strip().splitlines()[0]
    return ""


def _open(path: str | os.PathLike, allow_partial: bool, allow_failed: bool = False) -> h5py.File:
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
    if status == "failed" and not (allow_partial or allow_failed):
        first = _first_error(f) or "none stored"
        f.close()
        raise ResultsError(
            f"every condition of the run in {path} failed (first error: {first}): it holds "
            "no results. read_conditions shows each condition's error; pass "
            "allow_partial=True to read what is there"
        )
    if status not in ("complete", "failed") and not allow_partial:
        f.close()
        raise PartialResultsError(
            f"{path} is not complete (status {status!r}): the run was interrupted or is still "
            "going. Finish it with `mgneuron run ... --resume`, or pass allow_partial=True "
            "to read what is there"
        )
    return f


def _read_table(group: h5py.Group) -> pd.DataFrame:
    import pandas as pd

    data = read_columns(group)
    return pd.DataFrame(data, columns=list(data))


def read_attrs(path: str | os.PathLike, allow_partial: bool = False) -> dict:
    """Root attributes (versions, protocol, seed, status...) as a dict (of a failed run too)."""
    with _open(path, allow_partial, allow_failed=True) as f:
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
    """Every parameter of the run, as stored in ``/parameters`` (of a failed run too)."""
    with _open(path, allow_partial, allow_failed=True) as f:
        raw = f["parameters"][()]
        return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def read_conditions(path: str | os.PathLike, allow_partial: bool = False) -> pd.DataFrame:
    """Read the conditions table: one row per condition (ids, swept values, status, error).

    Reads the file of a run whose every condition failed (status ``"failed"``) without
    ``allow_partial``: its table holds the errors. A partial file with no finished
    condition gives an empty table with the columns ``condition_id, status, error,
    run_s``.
    """
    with _open(path, allow_partial, allow_failed=True) as f:
        conds = _read_table(f["conditions"])
    if conds.empty and "condition_id" not in conds:
        conds = _empty_conditions()
    # Conditions are stored in the order they finished (workers, MPI, resume); read
    # them in condition order so every backend gives the same table.
    if "condition_id" in conds:
        conds = conds.sort_values("condition_id", kind="stable", ignore_index=True)
    return conds


def read_features(
    path: str | os.PathLike, allow_partial: bool = False, failed: bool = False
) -> pd.DataFrame:
    """Read the features table joined with the conditions on ``condition_id``.

    Parameters
    ----------
    path : path
        The results file.
    allow_partial : bool
        Read a file whose run is not complete: interrupted, still going, or one whose
        every condition failed (status ``"failed"``, refused otherwise with its first
        error).
    failed : bool
        Also return rows of failed conditions (their features are missing).

    Raises
    ------
    ResultsError
        The file is missing or not a results file, every condition of its run failed,
        or (:class:`~mgneuron.errors.PartialResultsError`) its run is not finished.
    """
    import pandas as pd

    with _open(path, allow_partial) as f:
        feats = _read_table(f["features"])
        conds = _read_table(f["conditions"])
    if "condition_id" not in conds:  # no condition finished yet
        conds = _empty_conditions()
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


def _empty_conditions() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "condition_id": np.array([], dtype=np.int64),
            "status": np.array([], dtype=object),
            "error": np.array([], dtype=object),
            "run_s": np.array([], dtype=np.float64),
        }
    )


def read_table(path: str | os.PathLike, name: str, allow_partial: bool = False) -> pd.DataFrame:
    """Read a derived table from ``/tables/<name>``."""
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
    """Read recorded traces in long form.

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
