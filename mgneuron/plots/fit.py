"""Figures and commands of the fits: ``mgneuron fit-block`` and ``mgneuron dose-response``.

``fit-block``: the data with every fitted block model (the best drawn solid) and the
residuals of the best model. ``dose-response``: each group's points and Hill curve, with
its IC50/EC50 and 95 % interval.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mgneuron.fit import BlockFit, dose_response, fit_block
from mgneuron.plots.common import figure, figure_path, mg_colors, save
from mgneuron.results import read_features
from mgneuron.results.tables import add_table

__all__ = [
    "plot_block_fit",
    "plot_dose_response",
    "fit_block_command",
    "dose_response_command",
]

_STYLES = ("-", "--", ":", "-.")


def plot_block_fit(fit: BlockFit, out_png: str | os.PathLike) -> Path:
    """Draw the data, every model's fit and the best model's residuals; write a PNG."""
    data = fit.data
    fig, ax = figure(ncols=2, width=4.6)
    top, bottom = ax[0]
    colors = mg_colors(data.mg_mM)
    v_grid = np.linspace(data.v_mV.min(), data.v_mV.max(), 200)
    best = fit.models[fit.best]
    is_current = data.kind == "current"
    for mg, color in colors.items():
        sel = data.mg_mM == mg
        top.errorbar(data.v_mV[sel], data.y[sel], yerr=data.s[sel] if data.sem_given else None,
                     fmt="o", ms=3.5, color=color, label=f"{mg:g} mM")  # fmt: skip
        for style, (key, m) in zip(_STYLES * 3, fit.models.items(), strict=False):
            curve = m.curve(v_grid, mg, fit.celsius)
            if is_current:
                curve = m.params["g_uS"] * (v_grid - data.e_rev_mV) * curve
            solid = key == fit.best
            top.plot(v_grid, curve, "-" if solid else style, color=color,
                     lw=1.6 if solid else 0.8, alpha=1.0 if solid else 0.6)  # fmt: skip
        res = best.residuals[best.residuals["mg_mM"] == mg]
        bottom.plot(res["v_mV"], res["residual"], "o", ms=3.5, color=color)
    top.set_xlabel("V (mV)")
    top.set_ylabel("I (nA)" if is_current else "unblocked fraction B")
    others = ", ".join(k for k in fit.models if k != fit.best)
    top.set_title(f"best (AIC): {fit.best}" + (f"; dashed: {others}" if others else ""),
                  fontsize=8)  # fmt: skip
    top.legend(title="[Mg]o", fontsize=7)
    bottom.axhline(0.0, color="0.5", lw=0.8)
    bottom.set_xlabel("V (mV)")
    bottom.set_ylabel("residual" + (" (nA)" if is_current else " (B)"))
    bottom.set_title(f"residuals of {fit.best}", fontsize=8)
    return save(fig, out_png)


def plot_dose_response(df, table, feature: str, x: str, by: str | None, out_png) -> Path:
    """Draw each group's points and fitted Hill curve, with its x50 and 95 % interval."""
    from mgneuron.fit import hill

    fig, ax = figure()
    axis = ax[0][0]
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=True))
    cmap = mg_colors(range(len(groups)))
    for k, (key, g) in enumerate(groups):
        row = table.iloc[k]
        color = cmap[float(k)]
        label = "" if by is None else f"{by} = {key}: "
        label += f"{row['kind']} {row['x50']:.3g} [{row['x50_low']:.3g}, {row['x50_high']:.3g}]"
        axis.plot(g[x], g[feature], "o", ms=3.5, color=color)
        xs = np.linspace(0.0, float(g[x].max()), 300)
        y0, y_inf = (row["top"], row["bottom"]) if row["kind"] == "IC50" else (
            row["bottom"], row["top"])  # fmt: skip
        axis.plot(xs, hill(xs, row["x50"], row["hill"], y0, y_inf), color=color, label=label)
        axis.axvspan(row["x50_low"], row["x50_high"], color=color, alpha=0.12)
    axis.set_xlabel(x)
    axis.set_ylabel(feature)
    axis.legend(fontsize=7)
    return save(fig, out_png)


def fit_block_command(
    data: str | os.PathLike,
    out: str | os.PathLike,
    models: str | None = None,
    celsius: float = 35.0,
    plot: str | os.PathLike | None = None,
    n_boot: int = 500,
    seed: int = 0,
    e_rev_mV: float | None = None,
) -> list[str]:
    """``mgneuron fit-block``: fit, write the JSON (and the figure); return the lines to print."""
    fit = fit_block(data, models, celsius=celsius, n_boot=n_boot, seed=seed, e_rev_mV=e_rev_mV)
    lines = [f"note: {n}" for n in fit.notes]
    for key, m in fit.models.items():
        ps = ", ".join(
            f"{p} = {v:.4g} [{m.ci95[p][0]:.4g}, {m.ci95[p][1]:.4g}]" for p, v in m.params.items()
        )
        mark = " (best)" if key == fit.best else ""
        lines.append(f"{key}{mark}: {ps}; AIC {m.aic:.2f}, BIC {m.bic:.2f}")
    lines.append(f"wrote {fit.write_json(out)}")
    if plot:
        lines.append(f"wrote {plot_block_fit(fit, plot)}")
    return lines


def dose_response_command(
    results: str | os.PathLike,
    feature: str,
    x: str = "mg_mM",
    by: str | None = None,
    plot: str | os.PathLike | None = None,
    n_boot: int = 500,
    seed: int = 0,
):
    """``mgneuron dose-response``: fit, store ``/tables/dose_response_<feature>``, draw.

    Returns
    -------
    table : DataFrame
        One Hill fit per group (:func:`mgneuron.fit.dose_response`).
    figure : pathlib.Path
        The PNG (``plot``, or ``<results stem>_dose_response_<feature>.png``).
    """
    df = read_features(results)
    table = dose_response(df, feature, x=x, by=by, n_boot=n_boot, seed=seed)
    add_table(results, f"dose_response_{feature}", table)
    png = Path(plot) if plot else figure_path(results, None, f"dose_response_{feature}")
    return table, plot_dose_response(df, table, feature, x, by, png)
