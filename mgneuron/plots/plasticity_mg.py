"""Figure of the ``plasticity_mg`` protocol: STDP and frequency-response curves per [Mg]o."""

from __future__ import annotations

from pathlib import Path

from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features

__all__ = ["plot_plasticity_mg"]


def plot_plasticity_mg(path: str | Path, out: str | Path) -> Path:
    """dw_pct vs delta_t (STDP) and vs train frequency, one curve per [Mg]o.

    A run holds one induction; the other panel then says it has no data.
    """
    df = read_features(path)
    fig, axes = figure(ncols=2)
    colors = mg_colors(df["mg_mM"])
    panels = [
        ("stdp", "delta_t_ms", "delta t, post - pre (ms)", "STDP"),
        ("frequency", "freq_hz", "presynaptic frequency (Hz)", "frequency response"),
    ]
    for ax, (induction, col, xlabel, title) in zip(axes[0], panels, strict=True):
        sub = df[df["induction"] == induction]
        for mg, group in sub.groupby("mg_mM"):
            g = group.sort_values(col)
            ax.plot(g[col], g["dw_pct"], "o-", color=colors[float(mg)], label=f"{mg:g} mM")
        ax.axhline(0.0, color="0.6", lw=0.8)
        if induction == "frequency" and len(sub):
            ax.set_xscale("log")
        if sub.empty:
            ax.text(0.5, 0.5, f"no {induction} conditions in this run", ha="center",
                    va="center", transform=ax.transAxes, fontsize=8)  # fmt: skip
        else:
            ax.legend(title="[Mg]o", fontsize=7, title_fontsize=7)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("weight change dw (%)")
        ax.set_title(title)
    return save(fig, out)
