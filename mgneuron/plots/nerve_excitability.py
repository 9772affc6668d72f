"""Figure of the ``nerve_excitability`` protocol: SD, threshold electrotonus, I/V, recovery."""

from __future__ import annotations

from pathlib import Path

from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_table

__all__ = ["plot_nerve_excitability"]

_STYLE = {"motor": "-", "sensory": "--"}


def plot_nerve_excitability(path: str | Path, out: str | Path) -> Path:
    """Four panels, one curve per fibre and [Mg]o (at the run's first [Ca]o).

    Strength-duration (threshold charge vs duration), threshold electrotonus (threshold
    reduction vs time, both polarities), current-threshold relation and recovery cycle.
    """
    df = read_table(path, "curves")
    ca0 = sorted(df["ca_mM"].unique())[0] if len(df) else 2.0
    df = df[df["ca_mM"] == ca0]
    fig, axes = figure(nrows=2, ncols=2)
    colors = mg_colors(df["mg_mM"]) if len(df) else {}
    panels = {
        "sd": (axes[0][0], "pulse duration (ms)", "threshold charge (pC)", "strength-duration"),
        "te": (axes[0][1], "delay from conditioning onset (ms)", "threshold reduction (%)",
               "threshold electrotonus (+/-40 %)"),
        "iv": (axes[1][0], "threshold reduction (%)", "conditioning current (%)",
               "current-threshold (200 ms)"),
        "rc": (axes[1][1], "conditioning-test interval (ms)", "threshold change (%)",
               "recovery cycle"),
    }  # fmt: skip
    for (fibre, mg, test), g in df.groupby(["fibre", "mg_mM", "test"]):
        g = g.sort_values("x")
        key = "te" if test.startswith("te_") else test
        ax = panels[key][0]
        label = f"{fibre} {mg:g} mM" if test not in ("te_hyperpolarising",) else None
        x, y = g["x"], g["y"]
        if key == "sd":
            y = g["x"] * g["y"]  # ms x nA = pC
        if key == "iv":
            x, y = g["y"], g["x"]
        ax.plot(x, y, _STYLE.get(fibre, ":"), marker="o", ms=3, color=colors[float(mg)],
                label=label)  # fmt: skip
    for key, (ax, xlabel, ylabel, title) in panels.items():
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.axhline(0.0, color="0.7", lw=0.6)
        if key == "rc":
            ax.set_xscale("log")
    axes[0][0].legend(fontsize=6, title=f"fibre, [Mg]o ([Ca]o {ca0:g} mM)", title_fontsize=6)
    return save(fig, out)
