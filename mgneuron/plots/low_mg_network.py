"""Figure of the ``low_mg_network`` protocol.

Rasters at 1 mM and at the lowest [Mg]o (at 2 mM Ca where present), and the burst rate and
synchrony vs [Mg]o, one line per [Ca]o.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.measures.network import EXC, INH
from mgneuron.plots.common import figure, save
from mgneuron.results import read_features, read_parameters, read_spikes

__all__ = ["plot_low_mg_network"]


def _pick(df, mg: float, ca: float):
    """Condition id closest to (mg, ca) with NMDA intact, or None."""
    sub = df[np.isclose(df["nmda_scale"], 1.0)] if "nmda_scale" in df else df
    if sub.empty:
        sub = df
    d = (sub["mg_mM"] - mg).abs() + 10 * (sub["ca_mM"] - ca).abs()
    return int(sub.loc[d.idxmin(), "condition_id"])


def _scalar(df, values: dict, name: str, default: float) -> float:
    """Read a parameter's value: from the features table when swept, else from /parameters."""
    if name in df:
        return float(df[name].iloc[0])
    v = values.get(name, default)
    return float(v[0] if isinstance(v, list) else v)


def plot_low_mg_network(path: str | Path, out: str | Path, window_ms: float = 3000.0) -> Path:
    """Rasters (1 mM vs lowest [Mg]o) and burst rate / synchrony vs [Mg]o.

    Parameters
    ----------
    path : path
        Results file of ``low_mg_network``.
    out : path
        PNG to write.
    window_ms : float
        Length of the raster windows (ms), from the start of the analysed period.
    """
    df = read_features(path)
    fig, axes = figure(ncols=2, nrows=2, width=5.0, height=3.2)
    ca_ref = 2.0 if np.isclose(df["ca_mM"], 2.0).any() else float(df["ca_mM"].iloc[0])
    mgs = sorted(df["mg_mM"].unique())
    picks = [1.0, float(mgs[0])]
    values = read_parameters(path).get("values", {})
    t0 = _scalar(df, values, "t_discard", 0.0)
    t1 = min(t0 + window_ms, _scalar(df, values, "tstop", t0 + window_ms))
    for ax, mg in zip(axes[0], picks, strict=True):
        cid = _pick(df, mg, ca_ref)
        row = df[df["condition_id"] == cid].iloc[0]
        sp = read_spikes(path, condition_id=cid)
        n_exc = int(row["n_exc"]) if "n_exc" in row else int(_scalar(df, values, "n_exc", 80))
        for pop, color, offset in ((EXC, "tab:blue", 0), (INH, "tab:red", n_exc)):
            s = sp[(sp.population == pop) & (sp.t_ms >= t0) & (sp.t_ms < t1)]
            ax.plot(s.t_ms, s.node_id + offset, "|", color=color, ms=2, mew=0.6)
        ax.set_title(
            f"{row['mg_mM']:g} mM Mg, {row['ca_mM']:g} mM Ca: "
            f"{row['burst_rate_hz']:.2f} bursts/s, chi {row['synchrony']:.2f}",
            fontsize=8,
        )
        ax.set_xlabel("t (ms)")
        ax.set_ylabel("cell (E blue, I red)")
        ax.set_xlim(t0, t1)
    ctl = df[np.isclose(df["nmda_scale"], 1.0)] if "nmda_scale" in df else df
    for ca, sub in ctl.groupby("ca_mM"):
        sub = sub.sort_values("mg_mM")
        axes[1][0].plot(sub["mg_mM"], sub["burst_rate_hz"], "o-", label=f"{ca:g} mM Ca")
        axes[1][1].plot(sub["mg_mM"], sub["synchrony"], "o-", label=f"{ca:g} mM Ca")
    axes[1][0].set_xlabel("[Mg]o (mM)")
    axes[1][0].set_ylabel("population bursts (1/s)")
    axes[1][1].set_xlabel("[Mg]o (mM)")
    axes[1][1].set_ylabel("synchrony chi")
    axes[1][0].legend(fontsize=7)
    return save(fig, out)
