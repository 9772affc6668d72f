"""Block data for a fit: a CSV or DataFrame checked row by row, as fractions or currents.

Columns: ``v_mV`` (holding potential), ``mg_mM`` ([Mg]o), and either ``B`` (unblocked
fraction) or ``i_nA`` (current); optional ``sem`` (standard error of ``B`` or ``i_nA``,
used as weights ``1/sem**2``). Currents become fractions through the 0-Mg rows at the
same potential (``B = i / i(0 Mg)``), or are fitted as ``g (V - E_rev) B`` when a linear
reversal potential is stated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mgneuron.errors import FitDataError

__all__ = ["BlockData", "read_block_data", "checked_column", "example_block_csv"]

#: rows whose 0-Mg current is below this fraction of the largest are too close to the
#: reversal potential for i / i(0 Mg) to mean anything
NEAR_REVERSAL = 0.05


def example_block_csv() -> Path:
    """Return the path of the example block data shipped with mgneuron.

    ``mgneuron/data/block_example.csv``: synthetic NMDA currents (not a recording) of a
    conductance of 0.01 uS reversing at 0 mV, blocked as in Woodhull's model with Spruston
    et al. 1995's K0 = 4.1 mM and delta = 0.8 at 35 degC, with noise of sd 0.02 nA, at 0,
    0.3, 1 and 2 mM [Mg]o and -100 to +40 mV.
    """
    from importlib.resources import files

    return Path(str(files("mgneuron") / "data" / "block_example.csv"))


@dataclass(frozen=True)
class BlockData:
    """Checked block data, ready to fit.

    Attributes
    ----------
    v_mV, mg_mM, y : ndarray
        Potential (mV), [Mg]o (mM) and the fitted quantity: B (kind ``"B"``) or the
        current in nA (kind ``"current"``).
    s : ndarray
        Standard deviation of each ``y`` (ones when no ``sem`` was given).
    sem_given : bool
        Whether ``s`` came from the data.
    kind : str
        ``"B"`` or ``"current"`` (fitted as ``g (V - E_rev) B``).
    e_rev_mV : float or None
        The stated reversal potential (kind ``"current"``).
    notes : list of str
        What was done to the data (rows dropped near the reversal...).
    """

    v_mV: np.ndarray
    mg_mM: np.ndarray
    y: np.ndarray
    s: np.ndarray
    sem_given: bool
    kind: str
    e_rev_mV: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.y.size)


def _row_label(df: pd.DataFrame, k: int, from_file: bool) -> str:
    # In a file the header is line 1: data row k (from 0) is on line k + 2.
    if from_file:
        return f"line {k + 2}"
    label = df.index[k]
    return f"row {label.item() if hasattr(label, 'item') else label!r}"


def checked_column(df: pd.DataFrame, name: str, where: str, from_file: bool = False) -> np.ndarray:
    """Return a column as finite floats, or raise an error naming the first bad row.

    Raises
    ------
    FitDataError
        The column is missing, or a cell is empty, not a number or not finite.
    """
    if name not in df.columns:
        raise FitDataError(
            f"{where}: no column {name!r}; the columns are {', '.join(map(str, df.columns))}"
        )
    raw = df[name]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(num))
    if bad.size:
        k = int(bad[0])
        cell = raw.iloc[k]
        what = "an empty cell" if pd.isna(cell) or str(cell).strip() == "" else repr(cell)
        more = f" ({bad.size} bad cells in all)" if bad.size > 1 else ""
        raise FitDataError(
            f"{where}, {_row_label(df, k, from_file)}: column {name!r} holds {what}, "
            f"not a finite number{more}"
        )
    return num


def _read(source: pd.DataFrame | str | os.PathLike) -> tuple[pd.DataFrame, str, bool]:
    if isinstance(source, pd.DataFrame):
        return source, "data", False
    path = Path(source)
    if not path.is_file():
        raise FitDataError(f"block data {path}: no such file")
    try:
        df = pd.read_csv(path, dtype=str, skipinitialspace=True, comment="#")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FitDataError(f"{path}: not a readable CSV file: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, str(path), True


def read_block_data(
    source: pd.DataFrame | str | os.PathLike, e_rev_mV: float | None = None
) -> BlockData:
    """Read and check block data from a CSV file or a DataFrame.

    Parameters
    ----------
    source : DataFrame or path
        Columns ``v_mV, mg_mM`` and ``B`` or ``i_nA``; optional ``sem``.
    e_rev_mV : float, optional
        Reversal potential (mV) of a linear unblocked current, for ``i_nA`` data without
        0-Mg rows (or to fit the currents themselves with them).

    Returns
    -------
    BlockData

    Raises
    ------
    FitDataError
        A column is missing or both ``B`` and ``i_nA`` are given; a cell is empty or not a
        number; [Mg]o is negative; a ``sem`` is not positive; an ``i_nA`` row has no 0-Mg
        reference at its potential (without ``e_rev_mV``); or no point is left. The
        message names the row (``line N`` of a file, counting the header as line 1).
    """
    df, where, from_file = _read(source)
    has_b, has_i = "B" in df.columns, "i_nA" in df.columns
    if has_b and has_i:
        raise FitDataError(f"{where}: give either a 'B' or an 'i_nA' column, not both")
    if not (has_b or has_i):
        raise FitDataError(
            f"{where}: needs a column 'B' (unblocked fraction) or 'i_nA' (current); "
            f"the columns are {', '.join(map(str, df.columns))}"
        )
    if len(df) == 0:
        raise FitDataError(f"{where}: no data rows")
    v = checked_column(df, "v_mV", where, from_file)
    mg = checked_column(df, "mg_mM", where, from_file)
    y = checked_column(df, "B" if has_b else "i_nA", where, from_file)
    neg = np.flatnonzero(mg < 0)
    if neg.size:
        k = int(neg[0])
        raise FitDataError(
            f"{where}, {_row_label(df, k, from_file)}: [Mg]o (mg_mM) = {mg[k]:g} mM is negative"
        )
    sem_given = "sem" in df.columns
    s = checked_column(df, "sem", where, from_file) if sem_given else np.ones_like(y)
    nonpos = np.flatnonzero(s <= 0)
    if nonpos.size:
        k = int(nonpos[0])
        raise FitDataError(f"{where}, {_row_label(df, k, from_file)}: sem = {s[k]:g} must be > 0")
    if has_b:
        return BlockData(v, mg, y, s, sem_given, "B")
    if e_rev_mV is not None:
        return BlockData(v, mg, y, s, sem_given, "current", float(e_rev_mV),
                         [f"currents fitted as g (V - {e_rev_mV:g} mV) B"])  # fmt: skip
    return _fraction_from_zero_mg(df, where, from_file, v, mg, y, s, sem_given)


def _fraction_from_zero_mg(df, where, from_file, v, mg, y, s, sem_given) -> BlockData:
    """B = i / i(0 Mg) at the same potential (the mean of that potential's 0-Mg rows)."""
    zero = mg == 0
    if not zero.any():
        raise FitDataError(
            f"{where}: currents (i_nA) need 0-Mg rows (mg_mM = 0) as the unblocked "
            "reference, or a stated linear reversal potential (--e-rev / e_rev_mV)"
        )
    ref: dict[float, float] = {}
    for vv in np.unique(np.round(v[zero], 6)):
        ref[float(vv)] = float(np.mean(y[zero & (np.round(v, 6) == vv)]))
    i_max = max(abs(x) for x in ref.values())
    keep, b, sb, notes = [], [], [], []
    dropped = []
    for k in np.flatnonzero(~zero):
        vv = float(np.round(v[k], 6))
        if vv not in ref:
            raise FitDataError(
                f"{where}, {_row_label(df, k, from_file)}: no 0-Mg row at v_mV = {v[k]:g} "
                "to divide this current by; add one, or state a linear reversal potential"
            )
        i0 = ref[vv]
        if abs(i0) < NEAR_REVERSAL * i_max:
            dropped.append(v[k])
            continue
        keep.append(k)
        b.append(y[k] / i0)
        sb.append(s[k] / abs(i0))
    if dropped:
        notes.append(
            f"{len(dropped)} rows near the reversal potential (|i(0 Mg)| < "
            f"{NEAR_REVERSAL:.0%} of the largest) left out: v_mV = "
            + ", ".join(f"{x:g}" for x in sorted(set(dropped)))
        )
    keep_a = np.asarray(keep, dtype=int)
    if not keep_a.size:
        raise FitDataError(f"{where}: no row with [Mg]o > 0 left to fit")
    return BlockData(v[keep_a], mg[keep_a], np.asarray(b), np.asarray(sb), sem_given, "B",
                     None, notes)  # fmt: skip
