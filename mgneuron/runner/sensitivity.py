"""Global sensitivity of a protocol: draw a sample, run it as a sweep, store the indices.

:func:`run_sensitivity` draws a Sobol (Saltelli) or Morris design over the varied
parameters (:mod:`mgneuron.analysis.sensitivity`), runs its points as the conditions of
an ordinary sweep (:func:`mgneuron.runner.run` with ``conditions=``: the same backends,
workers, MPI, failures and ``--resume`` as any sweep; the design is drawn from its seed,
so a resumed run finds the same points), and, before the file is marked complete,
derives the indices of every numeric feature into two tables:

- ``/tables/sensitivity``: one tidy row per feature and index (``feature, method,
  parameter, parameter2, index, value, ci95, low, high, n_blocks, n_used, n_dropped,
  note``), see :func:`mgneuron.analysis.sensitivity.analyze`;
- ``/tables/sensitivity_design``: the varied parameters, their ranges and units, the
  method, base sample size and seed.

A failed condition drops its block of the design from every feature's indices (stated in
``n_dropped`` and ``note``; nothing is imputed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mgneuron.analysis.sensitivity import Factor, analyze, parse_factor, sample
from mgneuron.errors import ProtocolError
from mgneuron.runner.protocol import Protocol, get_protocol
from mgneuron.runner.sweep import run

__all__ = ["run_sensitivity", "sensitivity_tables"]

# Columns of the features frame that describe the condition, not a measure.
_CONDITION_COLUMNS = {"condition_id", "status", "error", "run_s"}


def _factors(cls: type[Protocol], vary: Sequence[Factor | str]) -> list[Factor]:
    """Parse the varied parameters and name each by the protocol's own parameter name."""
    out = []
    for item in vary:
        f = parse_factor(item) if isinstance(item, str) else item
        p = cls.param(f.name)
        if p.kind is not float:
            raise ProtocolError(
                f"{cls.name}: --vary {f.name}: parameter {p.name} takes "
                f"{p.kind.__name__} values; only real-valued parameters can be varied "
                "continuously (sweep the others with --set NAME=VALUE, one run each)"
            )
        if p.minimum is not None and f.low < p.minimum:
            raise ProtocolError(
                f"{cls.name}: --vary {f.name}={f.low}:{f.high} goes below the smallest "
                f"allowed {p.name} ({p.minimum})"
            )
        out.append(Factor(p.name, f.low, f.high))
    return out


def sensitivity_tables(
    features,
    design: np.ndarray,
    factors: Sequence[Factor],
    method: str,
    *,
    seed: int = 0,
    second_order: bool = True,
    num_levels: int = 4,
    num_resamples: int = 1000,
    names: Sequence[str] | None = None,
    where: Mapping[str, float] | None = None,
):
    """Compute the indices of every feature from the features of a run of the design.

    Parameters
    ----------
    features : pandas.DataFrame
        Features of the finished conditions, with ``condition_id`` (condition ``k`` is
        row ``k`` of ``design``); a missing condition is a failed point.
    design : array, shape (n_points, D)
        The sample, in condition order.
    factors, method, seed, second_order, num_levels, num_resamples
        As for :func:`mgneuron.analysis.sensitivity.analyze`.
    names : list of str, optional
        Features to analyse (default: every numeric column that is not a condition
        column or a varied parameter).
    where : dict, optional
        Keep only feature rows whose column equals the value (e.g. ``{"v_mV": -60}``),
        for protocols that measure several rows per condition.

    Returns
    -------
    pandas.DataFrame
        The tidy ``sensitivity`` table, with a ``feature`` column in front. A feature
        with several rows per condition (after ``where``) gets one row with a note saying
        which ``where`` would choose one.
    """
    import pandas as pd

    df = features
    for col, value in (where or {}).items():
        if col not in df:
            raise ProtocolError(f"--where {col}={value}: no feature column {col!r}")
        df = df[np.isclose(df[col].to_numpy(dtype=float), float(value))]
    skip = _CONDITION_COLUMNS | {f.name for f in factors} | set(where or {})
    if names is None:
        names = [
            c
            for c in df.columns
            if c not in skip
            and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
        ]
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise ProtocolError(
            f"no feature {missing}; the features are: {', '.join(map(str, df.columns))}"
        )
    n_points = len(design)
    ids = df["condition_id"].to_numpy(dtype=np.int64) if len(df) else np.array([], int)
    repeated = len(np.unique(ids)) != len(ids)
    frames = []
    for name in names:
        if repeated:
            varies = [c for c in df.columns if c not in skip and c != name]
            note = (
                f"several rows per condition: choose one with where (e.g. one of "
                f"{', '.join(varies[:4])})"
            )
            frames.append(pd.DataFrame({"feature": [name], "method": [method], "note": [note]}))
            continue
        y = np.full(n_points, np.nan)
        y[ids] = df[name].to_numpy(dtype=np.float64)
        table = analyze(
            factors,
            method,
            design,
            y,
            seed,
            second_order=second_order,
            num_levels=num_levels,
            num_resamples=num_resamples,
        )
        table.insert(0, "feature", name)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["feature", "method", "note"])
    return pd.concat(frames, ignore_index=True)


def run_sensitivity(
    protocol: str | type[Protocol],
    out: str | os.PathLike | None = None,
    *,
    vary: Sequence[Factor | str],
    method: str = "sobol",
    samples: int = 64,
    seed: int = 0,
    second_order: bool = True,
    num_levels: int = 4,
    num_resamples: int = 1000,
    features: Sequence[str] | None = None,
    where: Mapping[str, float] | None = None,
    workers: int = 1,
    mpi: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
    command: str | None = None,
    **overrides: Any,
) -> Path | None:
    """Run a global sensitivity analysis of a protocol and write one results file.

    Parameters
    ----------
    protocol : str or Protocol subclass
        The protocol.
    out : path, optional
        Results file (default ``results/<protocol>_sensitivity.h5``).
    vary : list of str or Factor
        Varied parameters, ``NAME=LOW:HIGH`` (e.g. ``"mg=0.1:2.5"``), uniform over the
        range, in the parameter's units. Real-valued parameters only.
    method : {"sobol", "morris"}
        See :mod:`mgneuron.analysis.sensitivity`.
    samples : int
        Sobol: base points ``N`` (a power of two; ``N (2D + 2)`` conditions, ``N (D + 2)``
        without ``second_order``). Morris: trajectories (``N (D + 1)`` conditions).
    seed : int
        Seed of the design and of the bootstrap (the protocol's own ``seed`` is an
        ordinary override).
    second_order, num_levels, num_resamples
        As for :func:`mgneuron.analysis.sensitivity.analyze`.
    features : list of str, optional
        Features to analyse (default: every numeric one).
    where : dict, optional
        Column -> value selecting one feature row per condition (e.g. ``{"v_mV": -60}``
        for ``nmda_iv``).
    workers, mpi, resume, overwrite, quiet, command
        As for :func:`mgneuron.runner.run`.
    **overrides
        Fixed values of other parameters (each must have one value).

    Returns
    -------
    pathlib.Path or None
        The results file (None on MPI ranks other than 0), with the tables
        ``sensitivity`` and ``sensitivity_design``.

    Raises
    ------
    ProtocolError
        A bad varied parameter, method, sample size, or a parameter left with a list of
        values; before anything runs.

    Examples
    --------
    >>> run_sensitivity("nmda_iv", "s.h5", vary=["mg=0.1:2.5", "gmax_uS=5e-4:2e-3"],
    ...                 samples=64, block_model=0, v_min=-60, v_max=-60)  # doctest: +SKIP
    """
    import pandas as pd

    cls = get_protocol(protocol)
    factors = _factors(cls, vary)
    design = sample(
        factors, method, samples, seed, second_order=second_order, num_levels=num_levels
    )
    conditions = [{f.name: float(x) for f, x in zip(factors, row, strict=True)} for row in design]

    def derive(feats, values):
        table = sensitivity_tables(
            feats,
            design,
            factors,
            method,
            seed=seed,
            second_order=second_order,
            num_levels=num_levels,
            num_resamples=num_resamples,
            names=features,
            where=where,
        )
        info = pd.DataFrame(
            {
                "parameter": [f.name for f in factors],
                "low": [f.low for f in factors],
                "high": [f.high for f in factors],
                "units": [cls.param(f.name).unit for f in factors],
                "method": method,
                "samples": int(samples),
                "n_points": len(design),
                "seed": int(seed),
                "second_order": bool(second_order and method == "sobol"),
                "where": ", ".join(f"{k}={v}" for k, v in (where or {}).items()),
            }
        )
        return {"sensitivity": table, "sensitivity_design": info}

    out = Path(out) if out is not None else Path("results") / f"{cls.name}_sensitivity.h5"
    return run(
        cls,
        out,
        workers=workers,
        mpi=mpi,
        resume=resume,
        overwrite=overwrite,
        quiet=quiet,
        command=command,
        conditions=conditions,
        derive=derive,
        **overrides,
    )
