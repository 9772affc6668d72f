"""Adding a derived table to a finished results file (``/tables/<name>``).

Analyses that run after a sweep (a dose-response fit, a sensitivity analysis) store their
tables beside the protocol's own, in the writer's column layout, so
:func:`mgneuron.results.read_table` reads them like any other.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import h5py

from mgneuron.errors import ResultsError
from mgneuron.results._hdf5 import OBJECT_TYPE
from mgneuron.results.writer import _write_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_table"]


def add_table(path: str | os.PathLike, name: str, df: pd.DataFrame) -> None:
    """Write (or replace) ``/tables/<name>`` of a complete results file.

    Parameters
    ----------
    path : path
        A results file whose run is complete.
    name : str
        Table name: letters, digits, ``_``, ``-`` and ``.``.
    df : DataFrame
        Columns of bool, int, float or str values.

    Raises
    ------
    ResultsError
        The file is missing, not a results file or not complete, or the name is bad.
    """
    path = Path(path)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ResultsError(f"table name {name!r}: use letters, digits, '_', '-', '.' only")
    if not path.is_file():
        raise ResultsError(f"results file {path} does not exist")
    try:
        f = h5py.File(path, "r+")
    except OSError as exc:
        raise ResultsError(f"{path} cannot be opened for writing: {exc}") from None
    with f:
        if f.attrs.get("object_type") != OBJECT_TYPE:
            raise ResultsError(f"{path} is not an mgneuron results file (no object_type tag)")
        if f.attrs.get("status") != "complete":
            raise ResultsError(
                f"{path} is not complete (status {f.attrs.get('status')!r}): finish the run "
                "before adding tables to it"
            )
        tables = f.require_group("tables")
        if name in tables:
            del tables[name]
        _write_table(tables.create_group(name), df)
