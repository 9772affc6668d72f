"""Figure of a sensitivity analysis: indices with 95 % intervals, one panel per feature.

Sobol: first-order (``S1``) and total (``ST``) indices side by side for every varied
parameter; Morris: ``mu_star`` (with its interval) and ``sigma``. Drawn from the
``sensitivity`` table that :func:`mgneuron.runner.sensitivity.run_sensitivity` writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.plots.common import figure, figure_path, save
from mgneuron.results import read_table

__all__ = ["plot_sensitivity"]

MAX_PANELS = 8


def plot_sensitivity(
    results: str | Path, out: str | Path | None = None, features: list[str] | None = None
) -> Path:
    """Draw the indices of a sensitivity run.

    Parameters
    ----------
    results : path
        A results file holding the table ``sensitivity``.
    out : path, optional
        PNG to write (default ``<results stem>_sensitivity.png`` beside it).
    features : list of str, optional
        Features to draw (default: those with indices, at most 8, in table order).

    Returns
    -------
    pathlib.Path
        The PNG.
    """
    table = read_table(results, "sensitivity")
    usable = table[np.isfinite(table["value"].to_numpy(dtype=float))] if len(table) else table
    if features is None:
        features = list(dict.fromkeys(usable["feature"]))[:MAX_PANELS]
    out = Path(out) if out is not None else figure_path(results, name="sensitivity")
    ncols = max(1, min(len(features), 4))
    nrows = max(1, -(-len(features) // 4))
    fig, axes = figure(ncols, nrows, width=3.6, height=3.0)
    for ax in axes.flat[len(features) :]:
        ax.set_visible(False)
    if not features:
        axes[0, 0].set_visible(True)
        axes[0, 0].text(0.5, 0.5, "no feature with indices", ha="center", va="center")
        axes[0, 0].set_axis_off()
        return save(fig, out)
    method = str(usable["method"].iloc[0])
    kinds = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    for ax, feature in zip(axes.flat, features, strict=False):
        rows = usable[usable["feature"] == feature]
        params = list(dict.fromkeys(rows["parameter"]))
        x = np.arange(len(params))
        for k, kind in enumerate(kinds):
            r = rows[(rows["index"] == kind) & (rows["parameter2"] == "")]
            r = r.set_index("parameter").reindex(params)
            err = r["ci95"].to_numpy(dtype=float)
            ax.bar(
                x + (k - 0.5) * 0.38,
                r["value"].to_numpy(dtype=float),
                0.38,
                yerr=np.where(np.isfinite(err), err, 0.0),
                capsize=3,
                label=kind,
            )
        ax.set_xticks(x, params, rotation=30, ha="right")
        ax.axhline(0.0, color="0.5", lw=0.6)
        n_used, n_blocks = int(rows["n_used"].iloc[0]), int(rows["n_blocks"].iloc[0])
        dropped = f", {n_blocks - n_used} dropped" if n_used < n_blocks else ""
        ax.set_title(f"{feature}\n({n_used} blocks{dropped})", fontsize=9)
        ax.set_ylabel("index" if method == "sobol" else "elementary effect")
    axes[0, 0].legend(fontsize=8, title=f"{method}, 95 % CI", title_fontsize=8)
    return save(fig, out)
