"""Global sensitivity: Sobol indices and Morris elementary effects, on SALib.

A sensitivity analysis varies several parameters ("factors") at once over their ranges
and asks how much of a feature's variance each one explains. Two methods, both from
SALib (Herman & Usher 2017, J Open Source Softw 2:97; Iwanaga, Usher & Herman 2022,
Socio-Environ Syst Model 4:18155):

- ``sobol``: variance-based indices. The sample is Saltelli's extension of a scrambled
  Sobol' sequence (Saltelli 2002, Comput Phys Commun 145:280; Saltelli et al. 2010,
  Comput Phys Commun 181:259): ``N`` base points, each followed by its ``2D`` (or ``D``
  without second-order indices) cross points, ``N (2D + 2)`` points in all for ``D``
  factors. First-order ``S1`` (the share of the variance a factor explains alone),
  total ``ST`` (alone and with every other) and second-order ``S2`` indices, with 95 %
  bootstrap confidence intervals.
- ``morris``: elementary effects on ``N`` one-at-a-time trajectories of ``D + 1`` points
  on a ``num_levels`` grid (Morris 1991, Technometrics 33:161; ``mu_star`` of Campolongo,
  Cariboni & Saltelli 2007, Environ Model Softw 22:1509): a cheap screening, ``mu_star``
  ranks the factors, ``sigma`` flags non-linear or interacting ones.

Failed points. Both designs are made of blocks (a Saltelli base point with its cross
points; a Morris trajectory), and every estimator is a mean over blocks. A point that
failed, or whose feature is not a finite number, drops its whole block: the indices are
then those of the remaining ``n_used`` blocks, an unbiased estimate from a smaller sample,
and the table says how many blocks were dropped (:func:`complete_blocks`). Nothing is
imputed. Fewer than two usable blocks give no indices.

Everything here is pure (numpy, pandas, SALib): no NEURON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mgneuron.errors import ProtocolError

__all__ = [
    "METHODS",
    "Factor",
    "parse_factor",
    "block_size",
    "sample",
    "complete_blocks",
    "analyze",
]

METHODS = ("sobol", "morris")
COLUMNS = [
    "method",
    "parameter",
    "parameter2",
    "index",
    "value",
    "ci95",
    "low",
    "high",
    "n_blocks",
    "n_used",
    "n_dropped",
    "note",
]


@dataclass(frozen=True)
class Factor:
    """A parameter varied uniformly over ``[low, high]`` (in the parameter's own units).

    Parameters
    ----------
    name : str
        Parameter name (or alias) of the protocol, e.g. ``mg`` or ``mg_mM``.
    low, high : float
        Range, ``low < high``, both finite.
    """

    name: str
    low: float
    high: float

    def __post_init__(self) -> None:
        """Refuse an empty name, non-finite bounds and an empty range."""
        if not self.name:
            raise ProtocolError("a varied parameter needs a name (NAME=LOW:HIGH)")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ProtocolError(f"{self.name}: bounds must be finite, got {self.low}:{self.high}")
        if not self.low < self.high:
            raise ProtocolError(
                f"{self.name}: the range {self.low}:{self.high} is empty; give LOW < HIGH"
            )


_FACTOR = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=\s*([^:]+):([^:]+)\s*$")


def parse_factor(text: str) -> Factor:
    """Parse ``NAME=LOW:HIGH`` (e.g. ``mg=0.1:2.5``) into a :class:`Factor`.

    Raises
    ------
    ProtocolError
        Naming the text and the expected form.
    """
    m = _FACTOR.match(text)
    if m is None:
        raise ProtocolError(f"--vary expects NAME=LOW:HIGH (e.g. mg=0.1:2.5), got {text!r}")
    try:
        low, high = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise ProtocolError(
            f"--vary {text!r}: LOW and HIGH must be numbers (e.g. mg=0.1:2.5)"
        ) from None
    return Factor(m.group(1).replace("-", "_"), low, high)


def _problem(factors: Sequence[Factor]) -> dict:
    names = [f.name for f in factors]
    if not names:
        raise ProtocolError("a sensitivity analysis needs at least one varied parameter")
    if len(set(names)) != len(names):
        raise ProtocolError(f"a parameter is varied twice: {names}")
    return {"num_vars": len(names), "names": names, "bounds": [[f.low, f.high] for f in factors]}


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ProtocolError(f"unknown sensitivity method {method!r}; choose one of {METHODS}")


def block_size(method: str, n_factors: int, second_order: bool = True) -> int:
    """Points per block: ``2D + 2`` (Sobol with S2), ``D + 2`` (Sobol), ``D + 1`` (Morris)."""
    _check_method(method)
    if method == "morris":
        return n_factors + 1
    return 2 * n_factors + 2 if second_order else n_factors + 2


def sample(
    factors: Sequence[Factor],
    method: str,
    n: int,
    seed: int = 0,
    *,
    second_order: bool = True,
    num_levels: int = 4,
) -> np.ndarray:
    """Draw the design: one row per point, one column per factor (its units).

    Parameters
    ----------
    factors : list of Factor
        The varied parameters.
    method : {"sobol", "morris"}
        Saltelli's scheme on a scrambled Sobol' sequence, or Morris trajectories.
    n : int
        Base points (Sobol; a power of two, for the balance of the sequence) or
        trajectories (Morris; at least 2).
    seed : int
        Seed of the scrambling (Sobol) or of the trajectories (Morris): the same seed
        gives the same design, so an interrupted run resumes on it.
    second_order : bool
        Sobol only: include the points for second-order indices.
    num_levels : int
        Morris only: levels of the grid (even, at least 2).

    Returns
    -------
    numpy.ndarray
        Shape ``(n * block_size, D)``.

    Raises
    ------
    ProtocolError
        A bad method, ``n`` or factor list.
    """
    _check_method(method)
    problem = _problem(factors)
    n = int(n)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise ProtocolError(
                f"--samples {n}: Sobol needs a power of two (e.g. 64, 128, 256) of base "
                "points; each gives 2D+2 points to run"
            )
        from SALib.sample import sobol

        x = sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
    else:
        if n < 2:
            raise ProtocolError(f"--samples {n}: Morris needs at least 2 trajectories")
        if num_levels < 2 or num_levels % 2:
            raise ProtocolError(f"Morris num_levels must be even and >= 2, got {num_levels}")
        from SALib.sample import morris

        x = morris.sample(problem, n, num_levels=num_levels, seed=seed)
    return np.asarray(x, dtype=np.float64)


def complete_blocks(y: np.ndarray, size: int) -> np.ndarray:
    """Which blocks hold only finite values (a failed point is NaN).

    Parameters
    ----------
    y : array, shape (n_points,)
        The feature at each point of the design, NaN where the point failed.
    size : int
        Points per block (:func:`block_size`).

    Returns
    -------
    numpy.ndarray of bool
        One entry per block, True where every point of the block is finite.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size % size:
        raise ProtocolError(
            f"the design has {y.size} points, not a whole number of blocks of {size}"
        )
    return np.isfinite(y).reshape(-1, size).all(axis=1)


def analyze(
    factors: Sequence[Factor],
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    seed: int = 0,
    *,
    second_order: bool = True,
    num_levels: int = 4,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Sensitivity indices of one feature, with confidence intervals, as a tidy table.

    Parameters
    ----------
    factors, method, second_order, num_levels
        As given to :func:`sample` for the design ``x``.
    x : array, shape (n_points, D)
        The design.
    y : array, shape (n_points,)
        The feature at each point; NaN where the point failed (its block is dropped).
    seed : int
        Seed of the bootstrap.
    num_resamples : int
        Bootstrap resamples of the confidence intervals.
    conf_level : float
        Confidence level of the intervals (the column is called ``ci95`` at any level).

    Returns
    -------
    pandas.DataFrame
        One row per index: ``method, parameter, parameter2`` (the second factor of an
        ``S2``, else ""), ``index`` (``S1, ST, S2`` for Sobol; ``mu_star, mu, sigma`` for
        Morris), ``value``, ``ci95`` (half-width of the interval; NaN where SALib gives
        none), ``low, high``, ``n_blocks, n_used, n_dropped`` (blocks of the design,
        used, dropped for a failed point) and ``note``. A feature that does not vary over
        the used points has NaN indices and a note saying so.
    """
    _check_method(method)
    problem = _problem(factors)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != (y.size, len(factors)):
        raise ProtocolError(
            f"design of shape {x.shape} does not match {y.size} values of {len(factors)} factors"
        )
    size = block_size(method, len(factors), second_order)
    keep = complete_blocks(y, size)
    n_blocks, n_used = int(keep.size), int(keep.sum())
    rows_kept = np.repeat(keep, size)
    xk, yk = x[rows_kept], y[rows_kept]
    counts = {"n_blocks": n_blocks, "n_used": n_used, "n_dropped": n_blocks - n_used}
    names = problem["names"]
    note = ""
    if n_used < 2:
        note = f"{n_blocks - n_used} of {n_blocks} blocks hold a failed point: too few left"
    elif np.ptp(yk) == 0:
        note = "the feature does not vary over the sample: indices undefined"
    rows: list[dict] = []

    def add(index, name, value, conf=np.nan, name2=""):
        value, conf = float(value), float(conf)
        rows.append(
            {
                "method": method,
                "parameter": name,
                "parameter2": name2,
                "index": index,
                "value": value,
                "ci95": conf,
                "low": value - conf,
                "high": value + conf,
                **counts,
                "note": note,
            }
        )

    if note:
        kinds = ("S1", "ST") if method == "sobol" else ("mu_star", "mu", "sigma")
        for name in names:
            for k in kinds:
                add(k, name, np.nan)
        return pd.DataFrame(rows, columns=COLUMNS)
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem,
            yk,
            calc_second_order=second_order,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
        for i, name in enumerate(names):
            add("S1", name, res["S1"][i], res["S1_conf"][i])
            add("ST", name, res["ST"][i], res["ST_conf"][i])
        if second_order:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    add("S2", names[i], res["S2"][i, j], res["S2_conf"][i, j], names[j])
    else:
        from SALib.analyze import morris

        res = morris.analyze(
            problem,
            xk,
            yk,
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=seed,
        )
        for i, name in enumerate(names):
            add("mu_star", name, res["mu_star"][i], res["mu_star_conf"][i])
            add("mu", name, res["mu"][i])
            add("sigma", name, res["sigma"][i])
    return pd.DataFrame(rows, columns=COLUMNS)
