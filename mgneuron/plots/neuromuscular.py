"""Figure of the ``neuromuscular`` protocol: quantal content, EPP, safety factor, TOF vs [Mg]o."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.endplate import CLINICAL_SERUM_MG, IONIZED_FRACTION
from mgneuron.plots.common import figure, save
from mgneuron.results import read_features

__all__ = ["plot_neuromuscular"]


def plot_neuromuscular(path: str | Path, out: str | Path) -> Path:
    """Plot quantal content, EPP, safety factor and TOF ratio vs [Mg]o, one line per [Ca]o.

    The safety-factor panel shades the free [Mg2+] corresponding to the clinical total
    serum levels of loss of deep tendon reflexes and of respiratory paralysis (total x
    0.55-0.70 ionized).
    """
    df = read_features(path)
    fig, axes = figure(ncols=4, width=3.4, height=3.2)
    ax = axes[0]
    for ca, grp in df.groupby("ca_mM"):
        grp = grp.sort_values("mg_mM")
        lab = f"{ca:g} mM Ca"
        ax[0].plot(grp["mg_mM"], grp["quantal_content"], "o-", label=lab)
        ax[1].plot(grp["mg_mM"], grp["epp_mV"], "o-", label=lab)
        ax[2].plot(grp["mg_mM"], grp["safety_factor"], "o-", label=lab)
        ax[3].plot(grp["mg_mM"], grp["tof_ratio"], "o-", label=lab)
        none = grp[grp["response1"] == 0]
        if len(none):  # TOF count 0: no ratio
            ax[3].plot(none["mg_mM"], np.zeros(len(none)), "x", color="k")
    ax[0].set(xlabel="[Mg]o (mM)", ylabel="quantal content", yscale="log")
    ax[1].set(xlabel="[Mg]o (mM)", ylabel="EPP, Na+ blocked (mV)")
    ax[2].axhline(1.0, color="k", lw=0.8, ls="--")
    lo, hi = IONIZED_FRACTION
    for key, color in (("loss_of_deep_tendon_reflexes", "C1"), ("respiratory_paralysis", "C3")):
        a, b = CLINICAL_SERUM_MG[key]["mmol_L"]
        ax[2].axvspan(a * lo, b * hi, color=color, alpha=0.15, label=key.replace("_", " "))
    ax[2].set(xlabel="[Mg]o (mM, free)", ylabel="safety factor EPP/(E_AP-E_M)")
    ax[3].set(xlabel="[Mg]o (mM)", ylabel="TOF ratio (2 Hz); x: no response",
              ylim=(-0.05, 1.05), xlim=ax[0].get_xlim())  # fmt: skip
    for a in ax:
        a.legend(fontsize=6)
    return save(fig, out)
