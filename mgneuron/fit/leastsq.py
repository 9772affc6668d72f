"""Batched nonlinear least squares: one Levenberg-Marquardt run over many data sets at once.

The fits of :mod:`mgneuron.fit` are small (2-4 parameters, tens of points) and the
bootstrap repeats each one hundreds of times. Solving all of them as one batch of
Levenberg-Marquardt iterations (Levenberg 1944; Marquardt 1963, J Soc Ind Appl Math
11:431), with numpy arrays of shape ``(batch, points)``, costs about as much as a few
single fits. Pure numpy: no SciPy needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Predictor", "lm_batch", "multistart", "gaussian_ic", "residual_bootstrap"]

#: predict(U) -> model values; U has shape (batch, k), the result (batch, n).
Predictor = Callable[[np.ndarray], np.ndarray]


def _cost(pred: Predictor, u: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        r = (y - pred(u)) / s
        c = np.sum(r * r, axis=1)
    return np.where(np.isfinite(c), c, np.inf)


def lm_batch(
    pred: Predictor,
    u0: np.ndarray,
    y: np.ndarray,
    s: np.ndarray | float = 1.0,
    max_iter: int = 200,
    tol: float = 1e-12,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``sum(((y - pred(u)) / s)**2)`` for every row of a batch.

    Parameters
    ----------
    pred : callable
        ``pred(U)`` with ``U`` of shape ``(m, k)`` returns the model, shape ``(m, n)``.
    u0 : ndarray, shape (m, k)
        Starting points (unconstrained parameters).
    y : ndarray, shape (m, n) or (n,)
        Data of each batch row (broadcast when 1-D).
    s : ndarray or float
        Standard deviations of the points (weights ``1/s**2``), broadcast like ``y``.
    max_iter : int
        Iterations at most.
    tol : float
        Relative change of the cost below which a row has converged.

    Returns
    -------
    u : ndarray, shape (m, k)
        The minimisers.
    cost : ndarray, shape (m,)
        Weighted residual sums of squares at ``u`` (``inf`` where the model was not finite).
    """
    u = np.array(u0, dtype=float, copy=True)
    m, k = u.shape
    y = np.broadcast_to(np.asarray(y, dtype=float), (m, np.shape(y)[-1]))
    s = np.broadcast_to(np.asarray(s, dtype=float), y.shape)
    lam = np.full(m, 1e-3)
    cost = _cost(pred, u, y, s)
    active = np.isfinite(cost)
    eye = np.eye(k)
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        ua, ya, sa = u[idx], y[idx], s[idx]
        with np.errstate(all="ignore"):
            p0 = pred(ua)
            r = (ya - p0) / sa
            jac = np.empty((idx.size, y.shape[1], k))
            for j in range(k):
                h = 1e-7 * (1.0 + np.abs(ua[:, j]))
                up = ua.copy()
                up[:, j] += h
                jac[:, :, j] = (pred(up) - p0) / sa / h[:, None]
        jac = np.nan_to_num(jac, nan=0.0, posinf=0.0, neginf=0.0)
        a = np.einsum("bni,bnj->bij", jac, jac)
        g = np.einsum("bni,bn->bi", jac, r)
        diag = np.einsum("bii->bi", a)
        damp = lam[idx, None, None] * (diag[:, :, None] * eye + 1e-12 * eye)
        try:
            step = np.linalg.solve(a + damp, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(a[b] + damp[b], g[b], rcond=None)[0] for b in
                             range(idx.size)])  # fmt: skip
        trial = ua + step
        new = _cost(pred, trial, ya, sa)
        better = new < cost[idx]
        rel = (cost[idx] - new) / np.maximum(cost[idx], 1e-300)
        u[idx[better]] = trial[better]
        done = better & (rel < tol)
        cost[idx[better]] = new[better]
        lam[idx] = np.where(better, np.maximum(lam[idx] / 3.0, 1e-12), lam[idx] * 4.0)
        # A row converges when a step no longer lowers its cost, or damping has run away.
        active[idx[done | (lam[idx] > 1e12)]] = False
    return u, cost


def multistart(
    pred: Predictor, starts: np.ndarray, y: np.ndarray, s: np.ndarray | float = 1.0
) -> tuple[np.ndarray, float]:
    """Fit from several starting points at once and keep the lowest cost.

    Returns
    -------
    u : ndarray, shape (k,)
        The best minimiser.
    cost : float
        Its weighted residual sum of squares.
    """
    u, cost = lm_batch(pred, starts, y, s)
    best = int(np.argmin(cost))
    return u[best], float(cost[best])


def gaussian_ic(
    cost: float, n: int, k: int, sem_given: bool, s: np.ndarray | None = None
) -> tuple[float, float]:
    """AIC and BIC of a least-squares fit under Gaussian errors.

    With stated standard errors (``sem_given``) the errors are known:
    ``-2 ln L = chi2 + sum(ln(2 pi s_i^2))`` and ``k`` parameters. Without, the error
    variance is estimated by maximum likelihood (``RSS / n``):
    ``-2 ln L = n (ln(2 pi RSS / n) + 1)`` and ``k + 1`` parameters (Akaike 1974, IEEE
    Trans Autom Control 19:716; Schwarz 1978, Ann Stat 6:461).

    Returns
    -------
    aic, bic : float
    """
    if sem_given:
        m2ll = cost + float(np.sum(np.log(2 * np.pi * np.asarray(s, dtype=float) ** 2)))
        npar = k
    else:
        m2ll = n * (np.log(2 * np.pi * max(cost, 1e-300) / n) + 1.0)
        npar = k + 1
    return float(m2ll + 2 * npar), float(m2ll + npar * np.log(n))


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap replicates of a fit.

    Attributes
    ----------
    u : ndarray, shape (n_boot, k)
        The refitted (unconstrained) parameters of each replicate that converged.
    n_failed : int
        Replicates whose refit gave a non-finite cost (left out).
    """

    u: np.ndarray
    n_failed: int


def residual_bootstrap(
    pred: Predictor,
    u_hat: np.ndarray,
    y: np.ndarray,
    s: np.ndarray,
    n_boot: int,
    seed: int,
) -> Bootstrap:
    """Residual bootstrap of a weighted least-squares fit (Efron & Tibshirani 1993, ch. 9).

    The design (voltages, concentrations) is fixed by the experimenter, so the data are
    resampled through their residuals: the standardised residuals ``(y - y_hat) / s``,
    centred and inflated by ``sqrt(n / (n - k))`` for the degrees of freedom the fit used
    (Davison & Hinkley 1997, eq. 6.9), are drawn with replacement and added back,
    ``y* = y_hat + s e*``; every replicate is refitted from ``u_hat``.

    Parameters
    ----------
    pred : callable
        The model (see :func:`lm_batch`).
    u_hat : ndarray, shape (k,)
        The fitted parameters.
    y, s : ndarray, shape (n,)
        The data and their standard deviations (ones for an unweighted fit).
    n_boot : int
        Number of replicates.
    seed : int
        Seed of the resampling (numpy ``default_rng``).
    """
    rng = np.random.default_rng(seed)
    n, k = y.size, u_hat.size
    y_hat = pred(u_hat[None, :])[0]
    e = (y - y_hat) / s
    e = (e - e.mean()) * np.sqrt(n / max(n - k, 1))
    draw = rng.integers(0, n, size=(n_boot, n))
    y_star = y_hat[None, :] + s[None, :] * e[draw]
    u, cost = lm_batch(pred, np.tile(u_hat, (n_boot, 1)), y_star, s)
    ok = np.isfinite(cost)
    return Bootstrap(u=u[ok], n_failed=int((~ok).sum()))
