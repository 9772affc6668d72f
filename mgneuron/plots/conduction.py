"""Figure of the ``conduction`` protocol: CV vs fibre diameter, CV and safety factor vs myelin.

Three panels: CV of healthy fibres vs diameter by [Mg]o, with Hursh's (1939) 6 m/s per um;
CV across the lesion vs the lamellae fraction left, one line per lesion extent (at 1 mM
Mg when it was run); the safety factor at the lesion vs the lamellae fraction, or, when no
safety factor was measured, CV by myelin state (remyelination series) vs [Mg]o.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.plots.common import figure, save
from mgneuron.results import read_features

__all__ = ["plot_conduction"]


def plot_conduction(path: str | Path, out: str | Path) -> Path:
    """CV vs diameter, CV vs lamellae fraction per extent, safety factor vs fraction."""
    df = read_features(path)
    fig, axes = figure(ncols=3, width=13 / 3, height=3.8)
    axes = axes[0]
    d = df[df["series"] == "diameter"]
    for mg, g in d.groupby("mg_mM"):
        g = g.sort_values("fiber_diameter_um")
        axes[0].plot(g["fiber_diameter_um"], g["cv_m_per_s"], "o-", label=f"{mg:g} mM Mg")
    if len(d):
        x = np.array([d["fiber_diameter_um"].min(), d["fiber_diameter_um"].max()])
        axes[0].plot(x, 6 * x, "k:", label="Hursh 6 m/s/um")
    axes[0].set(xlabel="fibre diameter (um)", ylabel="CV (m/s)", title="healthy fibres")
    dm = df[(df["series"] == "demyelination") & np.isclose(df["mg_mM"], 1.0)]
    if dm.empty:
        dm = df[df["series"] == "demyelination"]
    for extent, g in dm.groupby("extent"):
        g = g.sort_values("lamellae_fraction")
        label = "all internodes" if extent == 0 else f"{extent} internode(s)"
        axes[1].plot(g["lamellae_fraction"], g["cv_m_per_s"], "o-", label=label)
        axes[2].plot(g["lamellae_fraction"], g["safety_factor"].replace(np.inf, np.nan), "o-",
                     label=label)  # fmt: skip
    axes[1].set(xlabel="lamellae fraction", ylabel="CV across the lesion (m/s)",
                title="demyelination at 1 mM Mg (blocked: no point)")  # fmt: skip
    if "safety_factor" in dm and np.isfinite(dm["safety_factor"]).any():
        axes[2].axhline(1.0, color="k", lw=0.8, ls=":")
        axes[2].set(xlabel="lamellae fraction", ylabel="safety factor (1 = block)",
                    title="safety factor at the lesion", yscale="log")  # fmt: skip
        log_axes = axes[1:]
    else:
        # no safety factors measured (--safety 0): CV by myelin state and [Mg]o instead
        axes[2].cla()
        r = df[df["series"] == "remyelination"]
        for preset, g in r.groupby("preset"):
            g = g.sort_values("mg_mM")
            axes[2].plot(g["mg_mM"], g["cv_m_per_s"], "o-", label=str(preset))
        axes[2].set(xlabel="[Mg]o (mM)", ylabel="CV (m/s)", title="CV by myelin state")
        log_axes = axes[1:2]
    for a in log_axes:
        a.set_xscale("symlog", linthresh=0.01)
        a.set_xlim(0.0, 1.1)
    for a in axes:
        a.legend(fontsize=7)
    return save(fig, out)
