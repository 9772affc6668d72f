"""Figure of the ``epsp_mg`` protocol: EPSP, NMDA charge and Ca2+ entry vs [Mg]o."""

from __future__ import annotations

from pathlib import Path

from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features

__all__ = ["plot_epsp_mg"]


def plot_epsp_mg(path: str | Path, out: str | Path) -> Path:
    """EPSP amplitude and area, NMDA charge and Ca2+ entry vs [Mg]o."""
    df = read_features(path).sort_values("mg_mM")
    fig, axes = figure(ncols=3)
    colors = mg_colors(df["mg_mM"])
    panels = [
        ("epsp_peak_mV", "EPSP peak at soma (mV)"),
        ("nmda_charge_pC", "NMDA charge (pC)"),
        ("ca_entry_pC", "NMDA Ca2+ charge (pC)"),
    ]
    for ax, (col, label) in zip(axes[0], panels, strict=True):
        ax.plot(df["mg_mM"], df[col], "-", color="0.6", lw=1)
        for _, r in df.iterrows():
            ax.plot(
                r["mg_mM"], r[col], "o", color=colors[float(r["mg_mM"])], label=f"{r['mg_mM']:g} mM"
            )
        ax.set_xlabel("[Mg]o (mM)")
        ax.set_ylabel(label)
    handles, labels = axes[0][0].get_legend_handles_labels()
    axes[0][0].legend(handles, labels, title="[Mg]o", fontsize=7, title_fontsize=7)
    axes[0][0].set_title("EPSP vs [Mg]o")
    return save(fig, out)
