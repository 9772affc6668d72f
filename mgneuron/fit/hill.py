"""Dose-response: a Hill function of any feature against [Mg]o (or another swept column).

Model (Hill 1910; the four-parameter logistic of pharmacology)::

    y(x) = y0 + (y_inf - y0) * x**h / (x**h + x50**h),   x >= 0, h > 0, x50 > 0

``y0`` is the response at x = 0 and ``y_inf`` its limit at large x; a falling response
(``y_inf < y0``) makes ``x50`` an IC50, a rising one an EC50. ``bottom`` and ``top`` are
the smaller and the larger of the two. Fitted by least squares from a grid of starting
points; 95 % intervals are percentiles of a seeded residual bootstrap
(:func:`mgneuron.fit.leastsq.residual_bootstrap`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mgneuron.errors import FitDataError
from mgneuron.fit.leastsq import multistart, residual_bootstrap

__all__ = ["HillFit", "hill", "fit_hill", "dose_response"]

N_PARAMS = 4


def hill(x: np.ndarray, x50: float, h: float, y0: float, y_inf: float) -> np.ndarray:
    """Evaluate the Hill function above (``x`` and ``x50`` in the same unit, e.g. mM)."""
    x = np.asarray(x, dtype=float)
    xh = np.power(x, h)
    return y0 + (y_inf - y0) * xh / (xh + x50**h)


def _pred(x: np.ndarray):
    xx = x[None, :]

    def pred(u: np.ndarray) -> np.ndarray:
        x50, h = np.exp(u[:, 0:1]), np.exp(u[:, 1:2])
        with np.errstate(divide="ignore"):
            # (x / x50)^h through logs: x = 0 gives 0 for any h > 0
            r = np.exp(h * (np.log(xx) - np.log(x50)))
        return u[:, 2:3] + (u[:, 3:4] - u[:, 2:3]) * r / (1.0 + r)

    return pred


@dataclass(frozen=True)
class HillFit:
    """A fitted Hill function with bootstrap 95 % intervals.

    Attributes
    ----------
    x50, hill, y0, y_inf, bottom, top : float
        Fitted values (``x50`` in the unit of x).
    ci95 : dict
        ``name -> (low, high)`` for ``x50, hill, bottom, top``.
    kind : str
        ``"IC50"`` (falling response) or ``"EC50"`` (rising).
    n : int
        Number of points.
    rss : float
        Residual sum of squares.
    """

    x50: float
    hill: float
    y0: float
    y_inf: float
    ci95: dict[str, tuple[float, float]]
    n: int
    rss: float

    @property
    def kind(self) -> str:
        """IC50 when the response falls with x, EC50 when it rises."""
        return "IC50" if self.y_inf < self.y0 else "EC50"

    @property
    def bottom(self) -> float:
        """The lower plateau."""
        return min(self.y0, self.y_inf)

    @property
    def top(self) -> float:
        """The upper plateau."""
        return max(self.y0, self.y_inf)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate the fitted curve at ``x``."""
        return hill(x, self.x50, self.hill, self.y0, self.y_inf)


def fit_hill(
    x: np.ndarray,
    y: np.ndarray,
    sem: np.ndarray | None = None,
    n_boot: int = 500,
    seed: int = 0,
    what: str = "dose-response",
) -> HillFit:
    """Fit the Hill function to ``y(x)`` with bootstrap 95 % intervals.

    Parameters
    ----------
    x : array
        Concentrations (>= 0; at least two distinct positive values).
    y : array
        Responses.
    sem : array, optional
        Standard errors of ``y`` (weights ``1/sem**2``).
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstrap.
    what : str
        Name of the data for error messages.

    Raises
    ------
    FitDataError
        Non-finite or negative x, non-finite y, fewer than 5 points, fewer than 3
        distinct x, or a flat response.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise FitDataError(f"{what}: x and y must be 1-D of one length")
    for name, arr in (("x", x), ("y", y)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise FitDataError(f"{what}: {name} of point {int(bad[0])} is not finite")
    if (x < 0).any():
        k = int(np.flatnonzero(x < 0)[0])
        raise FitDataError(f"{what}: x of point {k} is {x[k]:g} < 0")
    if x.size <= N_PARAMS:
        raise FitDataError(
            f"{what}: {x.size} points; a Hill fit has {N_PARAMS} parameters and needs >= 5"
        )
    xpos = np.unique(x[x > 0])
    if np.unique(x).size < 3 or xpos.size < 2:
        raise FitDataError(f"{what}: needs at least 3 distinct x values, 2 of them > 0")
    if np.ptp(y) == 0:
        raise FitDataError(f"{what}: the response is flat ({y[0]:g} everywhere): no Hill fit")
    s = np.ones_like(y) if sem is None else np.asarray(sem, dtype=float)
    if (~np.isfinite(s)).any() or (s <= 0).any():
        raise FitDataError(f"{what}: every sem must be finite and > 0")
    pred = _pred(x)
    lo_x, hi_x = np.log(xpos[0]), np.log(xpos[-1])
    y_lo, y_hi = y[x == x.min()].mean(), y[x == x.max()].mean()
    starts = np.array(
        list(
            itertools.product(
                np.linspace(lo_x - 0.5, hi_x + 0.5, 5),
                np.log([0.5, 1.0, 2.0]),
                [y_lo],
                [y_hi],
            )
        )
    )
    u_hat, rss = multistart(pred, starts, y, s)
    if not np.isfinite(rss):
        raise FitDataError(f"{what}: the Hill fit did not converge")
    boot = residual_bootstrap(pred, u_hat, y, s, n_boot, seed)
    bu = boot.u
    cols = {
        "x50": np.exp(bu[:, 0]),
        "hill": np.exp(bu[:, 1]),
        "bottom": np.minimum(bu[:, 2], bu[:, 3]),
        "top": np.maximum(bu[:, 2], bu[:, 3]),
    }
    ci = {k: tuple(float(q) for q in np.percentile(v, [2.5, 97.5])) for k, v in cols.items()}
    return HillFit(
        x50=float(np.exp(u_hat[0])),
        hill=float(np.exp(u_hat[1])),
        y0=float(u_hat[2]),
        y_inf=float(u_hat[3]),
        ci95=ci,
        n=int(x.size),
        rss=rss,
    )


def dose_response(
    df: pd.DataFrame,
    feature: str,
    x: str = "mg_mM",
    by: str | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Hill fits of ``feature`` against ``x``, one per value of ``by``.

    Parameters
    ----------
    df : DataFrame
        Features of a run (:func:`mgneuron.results.read_features`); every row is a point.
    feature : str
        The response column.
    x : str
        The concentration column (default ``mg_mM``).
    by : str, optional
        A column whose values get separate fits (e.g. ``v_mV`` of ``nmda_iv``).
    n_boot, seed : int
        Bootstrap replicates and seed.

    Returns
    -------
    DataFrame
        One row per group: ``[by], feature, x, kind, x50, x50_low, x50_high, hill,
        hill_low, hill_high, bottom, bottom_low, bottom_high, top, top_low, top_high,
        n_points, rss`` (``x50`` in the unit of ``x``). Rows whose feature is NaN are
        left out.

    Raises
    ------
    FitDataError
        A column is missing or not numeric, or a group cannot be fitted (the message
        names the group).
    """
    for col in (feature, x, *([by] if by else [])):
        if col not in df.columns:
            raise FitDataError(
                f"dose-response: no column {col!r}; the columns are {', '.join(map(str, df))}"
            )
    for col in (feature, x):
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise FitDataError(f"dose-response: column {col!r} is not numeric")
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=True))
    rows = []
    for key, g in groups:
        g = g[np.isfinite(g[feature].to_numpy(dtype=float))]
        label = f"{feature} vs {x}" + ("" if by is None else f" at {by} = {key}")
        fit = fit_hill(g[x].to_numpy(float), g[feature].to_numpy(float), None, n_boot, seed,
                       label)  # fmt: skip
        row: dict = {} if by is None else {by: key}
        row |= {"feature": feature, "x": x, "kind": fit.kind}
        for name in ("x50", "hill", "bottom", "top"):
            row[name] = getattr(fit, name)
            row[f"{name}_low"], row[f"{name}_high"] = fit.ci95[name]
        row |= {"n_points": fit.n, "rss": fit.rss}
        rows.append(row)
    return pd.DataFrame(rows)
