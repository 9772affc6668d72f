"""Figure of the ``low_mg_network`` protocol.

Rasters at 1 mM and at the lowest [Mg]o (at 2 mM Ca where present), the burst rate and
synchrony vs [Mg]o, one line per [Ca]o, and (when recorded) the field potential of the
same two conditions at the probe contact among the pyramidal somata (550 um deep, uV).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.measures.network import EXC, INH
from mgneuron.plots.common import figure, save
from mgneuron.results import read_features, read_parameters, read_spikes, read_traces

__all__ = ["plot_low_mg_network"]

#: Probe contact shown (the one the protocol's lfp_* features come from).
LFP_CONTACT = "probe_550um"


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
    has_lfp = "lfp_n_events" in df
    fig, axes = figure(ncols=2, nrows=3 if has_lfp else 2, width=5.0, height=3.2)
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
    if has_lfp:
        for ax, mg in zip(axes[2], picks, strict=True):
            cid = _pick(df, mg, ca_ref)
            tr = read_traces(path, cid, population="lfp")
            ch = tr[(tr["location"] == LFP_CONTACT) & (tr.t_ms >= t0) & (tr.t_ms < t1)]
            ax.plot(ch.t_ms, ch.lfp_uV, color="k", lw=0.6)
            row = df[df["condition_id"] == cid].iloc[0]
            ax.set_title(
                f"LFP {LFP_CONTACT}, {row['mg_mM']:g} mM Mg: "
                f"{row['lfp_event_rate_hz']:.2f} field events/s",
                fontsize=8,
            )
            ax.set_xlabel("t (ms)")
            ax.set_ylabel("LFP (uV)")
            ax.set_xlim(t0, t1)
    return save(fig, out)
