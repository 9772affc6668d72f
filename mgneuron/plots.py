"""One figure function per protocol (matplotlib, Agg backend, no display needed).

Every function reads a results file through :mod:`mgneuron.results`, labels its axes with
units, gives [Mg]o a legend, writes a PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path

from mgneuron.results import read_features, read_table

__all__ = ["figure", "mg_colors", "plot_nmda_iv", "plot_epsp_mg", "save"]


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4):
    """A new figure with the Agg backend (never opens a window)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def mg_colors(values) -> dict[float, tuple]:
    """A colour per [Mg]o value, dark = high Mg, light = low Mg."""
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    vals = sorted(set(float(v) for v in values))
    n = max(len(vals) - 1, 1)
    return {v: cmap(0.9 - 0.8 * k / n) for k, v in enumerate(vals)}


def save(fig, out: str | Path) -> Path:
    """Write the figure as PNG (120 dpi) and close it."""
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_nmda_iv(path: str | Path, out: str | Path) -> Path:
    """I-V curves by [Mg]o (one panel per block model) and IC50 vs voltage."""
    from mgneuron.protocols.nmda_iv import BLOCK_MODELS

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
