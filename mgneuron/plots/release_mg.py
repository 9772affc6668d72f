"""Figure of the ``release_mg`` protocol: first EPSC vs [Ca]o and paired-pulse ratio vs [Mg]o."""

from __future__ import annotations

from pathlib import Path

from mgneuron.plots.common import figure, save
from mgneuron.results import read_features

__all__ = ["plot_release_mg"]


def plot_release_mg(path: str | Path, out: str | Path) -> Path:
    """Plot the first EPSC vs [Ca]o and the paired-pulse ratio vs [Mg]o.

    Log-log EPSC curves, one line per [Mg]o; PPR, one line per [Ca]o; both at the shortest
    inter-spike interval of the sweep.
    """
    df = read_features(path)
    isi = sorted(df["isi_ms"].unique())[0]
    df = df[df["isi_ms"] == isi]
    fig, axes = figure(ncols=2, width=4.5, height=3.6)
    ax1, ax2 = axes[0]
    for mg, grp in df.groupby("mg_mM"):
        grp = grp.sort_values("ca_mM")
        ax1.loglog(grp["ca_mM"], grp["epsc1_nA"], "o-", label=f"{mg:g} mM Mg")
    ax1.set(xlabel="[Ca]o (mM)", ylabel="first EPSC (nA)")
    ax1.legend(fontsize=7)
    for ca, grp in df.groupby("ca_mM"):
        grp = grp.sort_values("mg_mM")
        ax2.plot(grp["mg_mM"], grp["ppr"], "o-", label=f"{ca:g} mM Ca")
    ax2.set(xlabel="[Mg]o (mM)", ylabel=f"PPR ({isi:g} ms)")
    ax2.legend(fontsize=7)
    return save(fig, out)
