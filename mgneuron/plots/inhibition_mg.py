"""Figure of the ``inhibition_mg`` protocol: firing rate, E/I ratio and IPSP vs [Mg]o."""

from __future__ import annotations

from pathlib import Path

from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features

__all__ = ["plot_inhibition_mg"]

PANELS = (
    ("rate_hz", "firing rate (Hz)"),
    ("ei_ratio", "mean gE / gI"),
    ("ipsp_mV", "compound IPSP (mV)"),
)


def plot_inhibition_mg(path: str | Path, out: str | Path) -> Path:
    """Plot firing rate, E/I conductance ratio and IPSP vs [Mg]o, a colour per [Mg]o."""
    df = read_features(path).sort_values("mg_mM")
    colors = mg_colors(df["mg_mM"])
    fig, axes = figure(ncols=3, width=10 / 3, height=3.2)
    for ax, (col, label) in zip(axes[0], PANELS, strict=True):
        ax.plot(df["mg_mM"], df[col], "-", color="0.6", lw=1)
        for mg, value in zip(df["mg_mM"], df[col], strict=True):
            ax.plot(mg, value, "o", color=colors[float(mg)], label=f"{mg:g} mM")
        ax.set(xlabel="[Mg]o (mM)", ylabel=label)
    axes[0][0].legend(title="[Mg]o", fontsize=7, title_fontsize=7)
    return save(fig, out)
