"""Fitting the Mg2+ block models to measured block: parameters, bootstrap CIs, AIC/BIC.

Statistics
----------
* Weighted least squares (weights ``1/sem**2`` when a ``sem`` column is given),
  Levenberg-Marquardt from a grid of starting points (:mod:`mgneuron.fit.leastsq`);
  positive parameters are fitted on a log scale.
* 95 % confidence intervals: percentile intervals of a residual bootstrap (fixed design:
  the potentials and concentrations are set by the experimenter), seeded.
* AIC and BIC from the Gaussian likelihood (:func:`mgneuron.fit.leastsq.gaussian_ic`);
  the best model has the lowest AIC, ties (models 0-2 are one curve at steady state,
  :mod:`mgneuron.fit.models`) going to the model listed first.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mgneuron.errors import FitDataError
from mgneuron.fit.data import BlockData, read_block_data
from mgneuron.fit.leastsq import gaussian_ic, multistart, residual_bootstrap
from mgneuron.fit.models import FIT_MODELS, BlockModel, model_by_key

__all__ = [
    "ModelFit",
    "BlockFit",
    "fit_block",
    "parse_models",
    "read_block_params",
    "block_mechanism_params",
]

#: AIC differences below this are ties (the same curve written another way)
AIC_TIE = 1e-4


@dataclass(frozen=True)
class ModelFit:
    """The fit of one block model.

    Attributes
    ----------
    model : BlockModel
    params : dict
        Fitted parameters by name (units in the name; ``g_uS`` for currents).
    ci95 : dict
        Bootstrap 95 % percentile interval ``[low, high]`` of every parameter.
    aic, bic : float
    residuals : DataFrame
        ``v_mV, mg_mM, observed, fitted, residual`` (``B`` or nA).
    rss : float
        Weighted residual sum of squares.
    n_boot_failed : int
        Bootstrap replicates whose refit failed (left out of the intervals).
    """

    model: BlockModel
    params: dict[str, float]
    ci95: dict[str, list[float]]
    aic: float
    bic: float
    residuals: pd.DataFrame
    rss: float
    n_boot_failed: int = 0

    def curve(self, v_mV: np.ndarray, mg_mM: float, celsius: float) -> np.ndarray:
        """Return the fitted unblocked fraction B(V) at one [Mg]o."""
        theta = np.array([[self.params[p] for p in self.model.params]])
        v = np.asarray(v_mV, dtype=float)[None, :]
        return self.model.unblocked(theta, v, np.full_like(v, mg_mM), celsius)[0]


@dataclass(frozen=True)
class BlockFit:
    """Fits of several block models to one data set; ``best`` has the lowest AIC."""

    models: dict[str, ModelFit]
    best: str
    data: BlockData
    celsius: float
    n_boot: int
    seed: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """``{"best": KEY, "models": {KEY: {"params", "ci95", "aic", "bic"}}}``."""
        return {
            "best": self.best,
            "models": {
                k: {"params": m.params, "ci95": m.ci95, "aic": m.aic, "bic": m.bic}
                for k, m in self.models.items()
            },
        }

    def write_json(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` as JSON (what ``--block-params`` reads)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path


def parse_models(models: str | Iterable[str | int] | None) -> list[BlockModel]:
    """Models from ``"0,1,2"``, names or numbers (default: every fit model).

    Raises
    ------
    FitDataError
        An unknown model, or a model named twice.
    """
    if models is None:
        return list(FIT_MODELS)
    items = [x.strip() for x in models.split(",")] if isinstance(models, str) else list(models)
    out: list[BlockModel] = []
    for item in items:
        if item == "":
            continue
        try:
            m = model_by_key(item)
        except KeyError as exc:
            raise FitDataError(str(exc.args[0])) from None
        if m in out:
            raise FitDataError(f"block model {item!r} is named twice")
        out.append(m)
    if not out:
        raise FitDataError("no block model to fit")
    return out


def _predictor(model: BlockModel, data: BlockData, celsius: float):
    pos = np.array(model.positive + ((True,) if data.kind == "current" else ()))
    v, mg = data.v_mV[None, :], data.mg_mM[None, :]
    k = len(model.params)

    def to_theta(u: np.ndarray) -> np.ndarray:
        return np.where(pos, np.exp(np.where(pos, u, 0.0)), u)

    def pred(u: np.ndarray) -> np.ndarray:
        theta = to_theta(u)
        b = model.unblocked(theta[:, :k], v, mg, celsius)
        if data.kind == "current":
            return theta[:, k : k + 1] * (v - data.e_rev_mV) * b
        return b

    return pred, pos, to_theta


def _starts(model: BlockModel, data: BlockData, pos: np.ndarray) -> np.ndarray:
    grids = list(model.guesses)
    if data.kind == "current":
        drive = np.abs(data.v_mV - data.e_rev_mV)
        g0 = float(np.max(np.abs(data.y)) / max(float(np.max(drive)), 1e-9))
        grids.append((g0, 3 * g0, 10 * g0))
    theta = np.array(list(itertools.product(*grids)), dtype=float)
    return np.where(pos, np.log(np.where(pos, theta, 1.0)), theta)


def _fit_one(
    model: BlockModel, data: BlockData, celsius: float, n_boot: int, seed: int
) -> ModelFit:
    pred, pos, to_theta = _predictor(model, data, celsius)
    names = list(model.params) + (["g_uS"] if data.kind == "current" else [])
    k = len(names)
    if data.n <= k:
        raise FitDataError(
            f"{model.key} has {k} parameters ({', '.join(names)}) but the data have only "
            f"{data.n} points: it needs at least {k + 1}"
        )
    u_hat, rss = multistart(pred, _starts(model, data, pos), data.y, data.s)
    if not np.isfinite(rss):
        raise FitDataError(f"{model.key}: the fit did not converge from any starting point")
    theta = to_theta(u_hat[None, :])[0]
    boot = residual_bootstrap(pred, u_hat, data.y, data.s, n_boot, seed)
    th_boot = to_theta(boot.u)
    lo, hi = np.percentile(th_boot, [2.5, 97.5], axis=0)
    aic, bic = gaussian_ic(rss, data.n, k, data.sem_given, data.s)
    fitted = pred(u_hat[None, :])[0]
    residuals = pd.DataFrame(
        {
            "v_mV": data.v_mV,
            "mg_mM": data.mg_mM,
            "observed": data.y,
            "fitted": fitted,
            "residual": data.y - fitted,
        }
    )
    return ModelFit(
        model=model,
        params={n: float(x) for n, x in zip(names, theta, strict=True)},
        ci95={n: [float(a), float(b)] for n, a, b in zip(names, lo, hi, strict=True)},
        aic=aic,
        bic=bic,
        residuals=residuals,
        rss=rss,
        n_boot_failed=boot.n_failed,
    )


def fit_block(
    data: pd.DataFrame | str | os.PathLike | BlockData,
    models: str | Sequence[str | int] | None = None,
    celsius: float = 35.0,
    n_boot: int = 500,
    seed: int = 0,
    e_rev_mV: float | None = None,
) -> BlockFit:
    """Fit Mg2+ block models to measured block and pick the best by AIC.

    Parameters
    ----------
    data : DataFrame, path or BlockData
        Columns ``v_mV, mg_mM`` and ``B`` or ``i_nA``, optional ``sem``
        (:func:`mgneuron.fit.data.read_block_data`).
    models : str or sequence, optional
        Models to fit, by number or name (``"0,1,2"``; default all).
    celsius : float
        Temperature (degC) of the Woodhull model's RT/F (default 35).
    n_boot : int
        Bootstrap replicates for the 95 % intervals (default 500).
    seed : int
        Seed of the bootstrap.
    e_rev_mV : float, optional
        Reversal potential (mV) of a linear unblocked current, for ``i_nA`` data.

    Returns
    -------
    BlockFit

    Raises
    ------
    FitDataError
        Malformed data (with the row), an unknown model, fewer points than a model's
        parameters plus one.

    Examples
    --------
    >>> fit = fit_block("block.csv", models="0,1")          # doctest: +SKIP
    >>> fit.best, fit.models[fit.best].params               # doctest: +SKIP
    """
    if n_boot < 10:
        raise FitDataError(f"n_boot = {n_boot}: use at least 10 bootstrap replicates")
    block = data if isinstance(data, BlockData) else read_block_data(data, e_rev_mV)
    chosen = parse_models(models)
    fits = {m.key: _fit_one(m, block, celsius, n_boot, seed) for m in chosen}
    aics = np.array([f.aic for f in fits.values()])
    best = next(k for k, f in fits.items() if f.aic <= aics.min() + AIC_TIE)
    notes = list(block.notes)
    perm = fits.get("permeant")
    if perm is not None and (
        perm.ci95["Kp_mM"][0] <= 1e-3 * perm.params["Kp_mM"] or perm.params["slope_p_per_mV"] < 1e-3
    ):
        notes.append(
            "permeant: the permeation term is not resolved by these data (its interval "
            f"reaches 0 or its slope vanishes; lowest potential {float(block.v_mV.min()):g} "
            "mV): Mg2+ permeation shows only at strongly negative potentials"
        )
    return BlockFit(fits, best, block, celsius, n_boot, seed, notes)


# -- the fitted block in a simulation ---------------------------------------------------


def read_block_params(source: str | os.PathLike | dict) -> dict:
    """Read and check a fit's JSON (``mgneuron fit-block --out``).

    Raises
    ------
    FitDataError
        Not JSON, or not ``{"best": ..., "models": {KEY: {"params": {...}}}}`` with known
        models and their parameters.
    """
    if isinstance(source, dict):
        doc, where = source, "block parameters"
    else:
        where = str(source)
        try:
            doc = json.loads(Path(source).read_text())
        except FileNotFoundError:
            raise FitDataError(f"block parameters {where}: no such file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FitDataError(f"block parameters {where}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), dict):
        raise FitDataError(
            f"block parameters {where}: expected {{'best': MODEL, 'models': {{MODEL: "
            "{'params': {...}}}}, as mgneuron fit-block writes"
        )
    for key, entry in doc["models"].items():
        try:
            model = model_by_key(key)
        except KeyError as exc:
            raise FitDataError(f"block parameters {where}: {exc.args[0]}") from None
        params = entry.get("params") if isinstance(entry, dict) else None
        missing = [p for p in model.params if not isinstance((params or {}).get(p), int | float)]
        if missing:
            raise FitDataError(
                f"block parameters {where}: model {key!r} lacks numeric params {', '.join(missing)}"
            )
    return doc


def block_mechanism_params(source: str | os.PathLike | dict, block_model: int) -> dict[str, float]:
    """Return the NMDA mechanism PARAMETERs that put a fitted block into a simulation.

    Parameters
    ----------
    source : path or dict
        A fit's JSON (:func:`read_block_params`).
    block_model : int
        The ``block_model`` the synapses use; its fit is taken from the file.

    Returns
    -------
    dict
        Mechanism parameter name (``js_k0``, ``wh_delta``, ``kin_kon0`` ...) -> value, to
        set on every NMDA synapse (RANGE variables: nothing outlives the condition).

    Raises
    ------
    FitDataError
        The file has no fit of that model (the message lists those it has).
    """
    doc = read_block_params(source)
    for key, entry in doc["models"].items():
        model = model_by_key(key)
        if model.block_model == int(block_model):
            return {k: float(v) for k, v in model.mechanism(entry["params"]).items()}
    have = ", ".join(f"{model_by_key(k).block_model} ({k})" for k in doc["models"])
    raise FitDataError(
        f"block parameters {source if not isinstance(source, dict) else ''}: no fit of "
        f"block_model {block_model}; the file has {have or 'none'} (best: {doc.get('best')})"
    )
