"""Figure of the ``excitability_mg`` protocol: rheobase, threshold, after-discharge, F-I."""

from __future__ import annotations

from pathlib import Path

from mgneuron.environment import PRESETS
from mgneuron.plots.common import figure, mg_colors, save
from mgneuron.results import read_features, read_table

__all__ = ["plot_excitability_mg"]

_MARKERS = {"pyramidal": "o", "axon": "s"}


def plot_excitability_mg(path: str | Path, out: str | Path) -> Path:
    """Rheobase, voltage threshold (vs the screening shift), after-discharge and F-I curves.

    Parameters
    ----------
    path : path
        An ``excitability_mg`` results file.
    out : path
        The PNG to write.

    Returns
    -------
    pathlib.Path
        The PNG written.
    """
    normal = PRESETS["normal"].mg_mM
    df = read_features(path).sort_values("mg_mM")
    fig, axes = figure(ncols=2, nrows=2)
    (ax_rh, ax_thr), (ax_n, ax_fi) = axes
    for cell, grp in df.groupby("cell"):
        mk = _MARKERS.get(cell, "^")
        ax_rh.plot(grp["mg_mM"], grp["rheobase_nA"], mk + "-", ms=4, label=cell)
        ax_thr.plot(grp["mg_mM"], grp["threshold_mV"], mk + "-", ms=4, label=f"{cell}")
        ref = grp.iloc[(grp["mg_mM"] - normal).abs().argsort()[:1]].iloc[0]
        ax_thr.plot(
            grp["mg_mM"], ref["threshold_mV"] + grp["shift_mV"] - ref["shift_mV"], ":",
            color="0.4", lw=1,
        )  # fmt: skip
        ax_n.plot(grp["mg_mM"], grp["n_spikes"], mk + "-", ms=4, label=cell)
    labels = (
        (ax_rh, "rheobase (nA)", "Rheobase"),
        (ax_thr, "voltage threshold (mV)", "Threshold (dotted: + screening shift)"),
        (ax_n, "spikes after a brief pulse", "After-discharge"),
    )
    for ax, ylabel, title in labels:
        ax.set_xlabel("[Mg]o (mM)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(title="cell", fontsize=7, title_fontsize=7)
    ax_rh.set_yscale("log")
    try:
        _fi_panel(ax_fi, path)
    except Exception:  # no F-I table (no condition finished, or no F-I points)
        ax_fi.set_axis_off()
    return save(fig, out)


def _fi_panel(ax, path) -> None:
    """F-I curves by [Mg]o of the pyramidal cell (else the first cell in the table)."""
    fi = read_table(path, "fi")
    cell = "pyramidal" if (fi["cell"] == "pyramidal").any() else fi["cell"].iloc[0]
    fi = fi[fi["cell"] == cell]
    colors = mg_colors(fi["mg_mM"])
    for mg, grp in fi.groupby("mg_mM"):
        grp = grp.sort_values("current_nA")
        ax.plot(
            grp["current_nA"], grp["rate_hz"], "o-", ms=3, color=colors[float(mg)],
            label=f"{mg:g} mM",
        )  # fmt: skip
    ax.set_title(f"F-I curve ({cell})")
    ax.set_xlabel("injected current (nA)")
    ax.set_ylabel("firing rate (Hz)")
    ax.legend(title="[Mg]o", fontsize=6, title_fontsize=7, ncol=2)
