"""Export a results file to Neurodata Without Borders (NWB 2, with pynwb).

One NWB file per run, not one per condition: a run is one session of one model (one
mgneuron and NEURON version, one parameter set, one seed), its conditions are the
variants of that session, and the conditions and features tables only make sense
whole. One file keeps the provenance once and the sweep's structure queryable (every
trace, unit and row carries its ``condition_id``), and it is one asset on DANDI.
Conditions are not NWB trials: each condition is a separate simulation starting at
t = 0, not an epoch of one continuous recording, so they are a table.

Layout of the NWB file::

    session_description   "mgneuron <protocol>: <n> conditions (<n_failed> failed)"
    identifier            a UUID derived from the results file's creation time and command
    session_start_time    the run's creation time (``created`` attribute)
    source_script         the command that made the run
    notes                 JSON provenance: mgneuron_version, neuron_version, protocol,
                          seed, command, mechanisms_hash, status, parameters (every one)
    processing/simulation/
        conditions        DynamicTable: condition_id, the swept values, status, error, run_s
        features          DynamicTable: every feature row (with its condition_id)
        table_<name>      DynamicTable: each derived table of /tables
        compartments      DynamicTable, one row per recorded element of every trace:
                          series, column, condition_id, population, node_id, element_id,
                          location (the element's label, e.g. "soma(0.5)")
        <population>_condition<cid>   TimeSeries [time x element]: the data as stored
                          (float32, the report's units), ``unit`` in SI with
                          ``conversion`` (mV -> volts 1e-3, nA -> amperes 1e-9, uS ->
                          siemens 1e-6), starting_time (s) and rate (Hz)
    units                 one unit per (condition, population, node) that spiked:
                          spike_times (s), condition_id, population, node_id

Data are copied as stored; times are converted from ms to s (so they read back equal to
the results file's within float64 rounding).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mgneuron.errors import ResultsError
from mgneuron.results.readers import (
    _open,
    _read_table,
    read_attrs,
    read_conditions,
    read_features,
    read_parameters,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["export_nwb", "nwb_errors", "SI_UNITS"]

# Units of mgneuron's reports -> (NWB unit, conversion to it).
SI_UNITS: dict[str, tuple[str, float]] = {
    "mV": ("volts", 1e-3),
    "V": ("volts", 1.0),
    "nA": ("amperes", 1e-9),
    "pA": ("amperes", 1e-12),
    "mA/cm2": ("amperes/meter^2", 10.0),
    "uS": ("siemens", 1e-6),
    "nS": ("siemens", 1e-9),
    "mM": ("mol/meter^3", 1.0),
    "ms": ("seconds", 1e-3),
    "1": ("dimensionless", 1.0),
    "": ("n.a.", 1.0),
}


def _pynwb():
    try:
        import pynwb
    except ImportError:  # pragma: no cover - pynwb is in the nwb and test extras
        raise ResultsError(
            "NWB export needs pynwb: pip install 'mgneuron[nwb]' (or pip install pynwb)"
        ) from None
    return pynwb


def _table(name: str, df: pd.DataFrame, description: str):
    """Make a DynamicTable of a DataFrame: strings for object columns, numbers as they are."""
    from hdmf.common import DynamicTable, VectorData

    columns = []
    for col in df.columns:
        values = df[col].to_numpy()
        if values.dtype == object:
            values = np.array(["" if v is None else str(v) for v in values], dtype=object)
        columns.append(VectorData(name=str(col), description=str(col), data=values.tolist()))
    return DynamicTable(
        name=name,
        description=description,
        columns=columns,
        id=list(range(len(df))),
    )


def _start_time(created: str) -> _dt.datetime:
    try:
        t = _dt.datetime.fromisoformat(created)
    except (TypeError, ValueError):
        t = _dt.datetime.now(_dt.UTC)
    return t if t.tzinfo else t.replace(tzinfo=_dt.UTC)


def export_nwb(results: str | os.PathLike, out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a finished results file as one NWB file (see the module for the layout).

    Parameters
    ----------
    results : path
        An mgneuron results file whose run is complete (any protocol).
    out : path
        The NWB file to write (``.nwb``).
    overwrite : bool
        Replace an existing ``out``.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    ResultsError
        ``results`` is missing, not a results file or not complete, ``out`` exists
        without ``overwrite``, or pynwb is not installed.
    """
    pynwb = _pynwb()
    results, out = Path(results), Path(out)
    if out.exists() and not overwrite:
        raise ResultsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    if out.resolve() == results.resolve():
        raise ResultsError(f"the NWB file {out} would replace the results file it reads")
    attrs = read_attrs(results)
    if attrs.get("status") != "complete":
        raise ResultsError(
            f"{results} has status {attrs.get('status')!r}: only a complete run is exported"
        )
    conds = read_conditions(results)
    feats = read_features(results)
    provenance = {
        k: attrs.get(k, "")
        for k in (
            "mgneuron_version",
            "neuron_version",
            "protocol",
            "seed",
            "command",
            "mechanisms_hash",
            "created",
            "status",
            "n_conditions",
            "n_failed",
        )
    }
    provenance["parameters"] = read_parameters(results)
    protocol = str(attrs.get("protocol", ""))
    command = str(attrs.get("command", ""))
    key = f"{attrs.get('created', '')}|{protocol}|{command}|{attrs.get('mechanisms_hash', '')}"
    nwb = pynwb.NWBFile(
        session_description=(
            f"mgneuron {protocol}: {len(conds)} conditions "
            f"({int(attrs.get('n_failed', 0))} failed), simulated with NEURON "
            f"{attrs.get('neuron_version', '?')}"
        ),
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, "mgneuron:" + key)),
        session_start_time=_start_time(str(attrs.get("created", ""))),
        experiment_description=f"NEURON simulation of the mgneuron protocol {protocol}",
        source_script=command or "mgneuron",
        source_script_file_name="mgneuron",
        notes=json.dumps(provenance, sort_keys=True, default=str),
        data_collection=(
            f"simulated: mgneuron {attrs.get('mgneuron_version', '?')}, NEURON "
            f"{attrs.get('neuron_version', '?')}, mechanisms {attrs.get('mechanisms_hash', '?')}"
        ),
    )
    # NWB (and DANDI) expect a subject; a simulated model is one, with no species to
    # invent: it is named, described, and its age and sex are stated as not applicable.
    nwb.subject = pynwb.file.Subject(
        subject_id=f"mgneuron-{protocol}",
        description=(
            f"a NEURON model (mgneuron protocol {protocol}; its parameters are in the "
            "notes), not an animal"
        ),
        sex="U",
    )
    sim = nwb.create_processing_module(
        name="simulation", description=f"mgneuron {protocol}: conditions, features, traces"
    )
    sim.add(_table("conditions", conds, "one row per condition: swept values, status, error"))
    sim.add(_table("features", feats, "feature rows of the finished conditions"))
    element_rows: list[dict] = []
    spikes: list[tuple[int, str, int, np.ndarray]] = []
    with _open(results, allow_partial=False) as f:
        for name in sorted(f["tables"]):
            table = _read_table(f["tables"][name])
            sim.add(_table(f"table_{name}", table, f"derived table {name} of the run"))
        for cid in sorted(int(k) for k in f["runs"]):
            run = f["runs"][str(cid)]
            for pop, g in run.get("report", {}).items():
                series = f"{pop}_condition{cid}"
                m = g["mapping"]
                start, _stop, step = (float(x) for x in m["time"][:])
                units = str(g["data"].attrs.get("units", ""))
                var = str(g["data"].attrs.get("variable", "value"))
                unit, conversion = SI_UNITS.get(units, (units, 1.0))
                ptr = m["index_pointers"][:].astype(np.int64)
                nodes = np.repeat(m["node_ids"][:], np.diff(ptr))
                labels = (
                    [x.decode() if isinstance(x, bytes) else str(x) for x in m["element_labels"]]
                    if "element_labels" in m
                    else [""] * len(nodes)
                )
                for col, (node, elem, label) in enumerate(
                    zip(nodes, m["element_ids"][:], labels, strict=True)
                ):
                    element_rows.append(
                        {
                            "series": series,
                            "column": col,
                            "condition_id": cid,
                            "population": pop,
                            "node_id": int(node),
                            "element_id": int(elem),
                            "location": label,
                        }
                    )
                sim.add(
                    pynwb.TimeSeries(
                        name=series,
                        data=g["data"][:],
                        unit=unit,
                        conversion=conversion,
                        starting_time=start * 1e-3,
                        rate=1e3 / step,
                        description=(
                            f"{var} ({units}) of population {pop}, condition {cid}; one "
                            "column per recorded element, described in the table "
                            "'compartments' (series, column)"
                        ),
                        comments=f"stored in {units}; multiply by conversion for {unit}",
                    )
                )
            for pop, g in run.get("spikes", {}).items():
                ts, ids = g["timestamps"][:], g["node_ids"][:].astype(np.int64)
                for node in np.unique(ids):
                    spikes.append((cid, pop, int(node), np.sort(ts[ids == node])))
    if element_rows:
        import pandas as pd

        sim.add(
            _table(
                "compartments",
                pd.DataFrame(element_rows),
                "every recorded element: which TimeSeries and column holds it, its "
                "condition, population, node (cell) id, element id and location",
            )
        )
    if spikes:
        nwb.add_unit_column(name="condition_id", description="condition of the run")
        nwb.add_unit_column(name="population", description="population of the cell")
        nwb.add_unit_column(name="node_id", description="cell id (gid) in its population")
        for cid, pop, node, ts in spikes:
            nwb.add_unit(spike_times=ts * 1e-3, condition_id=cid, population=pop, node_id=node)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.stem}.partial{out.suffix or '.nwb'}")
    with pynwb.NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)
    os.replace(tmp, out)
    return out


def nwb_errors(path: str | os.PathLike) -> list[str]:
    """Check an NWB file against the schema (pynwb's validator); return its errors.

    Parameters
    ----------
    path : path
        The NWB file.

    Returns
    -------
    list of str
        One line per schema error; empty when the file is valid.
    """
    pynwb = _pynwb()
    result = pynwb.validate(path=str(path))
    errors = result[0] if isinstance(result, tuple) else result
    return [str(e) for e in errors]
