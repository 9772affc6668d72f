"""Figure of the ``nmda_iv`` protocol: I-V curves by [Mg]o and the IC50 of [Mg]o."""

from __future__ import annotations

from pathlib import Path

from mgneuron.mgblock import BLOCK_MODELS
from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features, read_table

__all__ = ["plot_nmda_iv"]


def plot_nmda_iv(path: str | Path, out: str | Path) -> Path:
    """I-V curves by [Mg]o (one panel per block model) and IC50 vs voltage."""
    df = read_features(path)
    models = sorted(df["block_model"].unique())
    fig, axes = figure(ncols=len(models) + 1)
    colors = mg_colors(df["mg_mM"])
    for ax, model in zip(axes[0], models, strict=False):
        sub = df[df["block_model"] == model]
        for mg, grp in sub.groupby("mg_mM"):
            grp = grp.sort_values("v_mV")
            ax.plot(
                grp["v_mV"],
                grp["i_peak_nA"],
                "o-",
                ms=3,
                color=colors[float(mg)],
                label=f"{mg:g} mM",
            )
        ax.axhline(0, color="0.7", lw=0.8)
        ax.set_title(f"NMDA I-V, {BLOCK_MODELS.get(int(model), model)}")
        ax.set_xlabel("holding potential (mV)")
        ax.set_ylabel("peak NMDA current (nA)")
        ax.legend(title="[Mg]o", fontsize=7, title_fontsize=7)
    ax = axes[0][-1]
    try:
        ic = read_table(path, "ic50")
        for model, grp in ic.groupby("block_model"):
            grp = grp.sort_values("v_mV")
            ax.semilogy(
                grp["v_mV"],
                grp["ic50_mM"],
                "o",
                ms=3,
                label=f"{BLOCK_MODELS.get(int(model), model)} (fit)",
            )
            ax.semilogy(grp["v_mV"], grp["ic50_formula_mM"], "-", lw=1, color="0.4")
        ax.set_xlabel("membrane potential (mV)")
        ax.set_ylabel("IC50 of [Mg]o (mM)")
        ax.set_title("Mg2+ IC50 (lines: closed form)")
        ax.legend(fontsize=7)
    except Exception:  # no IC50 table when the sweep had a single [Mg]o
        ax.set_axis_off()
    return save(fig, out)
