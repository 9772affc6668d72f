"""Figure of the ``spreading_depolarization`` protocol: [K+]o in space and time, threshold vs Mg.

Guide section: docs/guide.md, "Protocol notes: spreading_depolarization".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features, read_traces

__all__ = ["plot_spreading_depolarization", "space_time"]


def space_time(path: str | Path, condition_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_s, x_mm, ko_mM[t, x]) of one condition's ``ko`` report."""
    tr = read_traces(path, condition_id, population="ko")
    t_ms = np.unique(tr["t_ms"].to_numpy())
    x_mm = np.array([float(s[2:-2]) for s in tr["location"].iloc[: tr["element_id"].nunique()]])
    ko = tr["ko_mM"].to_numpy().reshape(len(t_ms), len(x_mm))
    return t_ms / 1000.0, x_mm / 1000.0, ko


def plot_spreading_depolarization(path: str | Path, out: str | Path) -> Path:
    """Space-time [K+]o of up to three conditions, and threshold and speed vs [Mg]o.

    In a space-time panel the wave is the edge of the bright band: its slope dx/dt is the
    speed (a dashed line drawn at the measured speed through the wave's middle).
    """
    df = read_features(path)
    shown = df.head(3)
    fig, axes = figure(ncols=len(shown) + 1, width=3.6, height=3.2)
    row = axes[0]
    for ax, (_, cond) in zip(row, shown.iterrows(), strict=False):
        t, x, ko = space_time(path, int(cond["condition_id"]))
        im = ax.pcolormesh(t, x, ko.T, shading="auto", cmap="magma", vmin=0.0,
                           vmax=max(20.0, float(np.nanmax(ko))))  # fmt: skip
        speed = float(cond["sd_speed_mm_per_min"])
        if np.isfinite(speed):
            # the line of the measured speed through the time x = L/2 was first above 10 mM
            mid = len(x) // 2
            above = np.flatnonzero(ko[:, mid] >= 10.0)
            if above.size:
                t0, x0 = t[above[0]], x[mid]
                tt = np.array([t[0], t[-1]])
                ax.plot(tt, x0 + speed / 60.0 * (tt - t0), "c--", lw=1)
                ax.set_ylim(x[0], x[-1])
        ax.set_xlabel("time (s)")
        ax.set_ylabel("x along the strip (mm)")
        what = f"{speed:.2f} mm/min" if np.isfinite(speed) else "no SD"
        ax.set_title(f"[Mg]o {cond['mg_mM']:g} mM: {what}", fontsize=8)
        fig.colorbar(im, ax=ax, label="[K+]o (mM)")
    ax = row[len(shown)]
    colors = mg_colors(df["mg_mM"])
    g = df.sort_values("mg_mM")
    ax.plot(g["mg_mM"], g["k_threshold_mM"], "k-", lw=0.8)
    for _, r in g.iterrows():
        ax.plot(r["mg_mM"], r["k_threshold_mM"], "o", color=colors[float(r["mg_mM"])])
    ax.set_xlabel("[Mg]o (mM)")
    ax.set_ylabel("threshold K+ bolus (mM)")
    twin = ax.twinx()
    twin.plot(g["mg_mM"], g["sd_speed_mm_per_min"], "s--", color="tab:blue", ms=4)
    twin.set_ylabel("SD speed (mm/min)", color="tab:blue")
    ax.set_title("threshold (circles), speed (squares)", fontsize=8)
    return save(fig, out)
