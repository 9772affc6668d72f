"""Plain NEURON doing what ``protocols/nmda_iv.py`` does with its defaults.

The reference of ``benchmarks/overhead.py``: per condition ([Mg]o x block model), one
voltage-clamped compartment with one NMDAMg synapse per holding potential (-100 to +40 mV),
one presynaptic event; peak current, unblocked fraction at the conductance peak; the IC50
fit over [Mg]o per voltage; saved with h5py (features, IC50 table, current traces).

Run alone: ``python benchmarks/raw_nmda_iv.py out.h5``.
"""

from __future__ import annotations

import sys

import h5py
import numpy as np
from _common import plain_integrate

PROTOCOL = "nmda_iv"
KWARGS: dict = {}  # the protocol's defaults
MG_MM = (0.0, 0.1, 0.3, 1.0, 2.0, 3.0)
MODELS = (0, 1, 2)


def one_condition(h, mg_mM: float, model: int) -> tuple[list[dict], np.ndarray]:
    dt, tstop = 0.025, 80.0
    h.dt, h.steps_per_ms, h.celsius, h.tstop = dt, 1 / dt, 34.0, tstop
    voltages = np.arange(-100.0, 40.0 + 5.0, 10.0)
    secs, clamps, syns = [], [], []
    for k, vh in enumerate(voltages):
        sec = h.Section(name=f"cell_{k}")
        sec.L = sec.diam = 10.0
        clamp = h.SEClamp(sec(0.5))
        clamp.rs, clamp.dur1, clamp.amp1 = 1e-3, 1e9, float(vh)
        syn = h.NMDAMg(sec(0.5))
        syn.gmax, syn.block_model = 0.001, model
        secs.append(sec)
        clamps.append(clamp)
        syns.append(syn)
    stim = h.NetStim()
    stim.start, stim.number = 20.0, 1
    ncs = [h.NetCon(stim, s, 0, 0, 1.0) for s in syns]  # noqa: F841
    vecs = []
    for s, sec in zip(syns, secs, strict=True):
        rec = [h.Vector() for _ in range(4)]
        rec[0].record(s._ref_i)
        rec[1].record(s._ref_B)
        rec[2].record(sec(0.5)._ref_v)
        rec[3].record(s._ref_g)
        vecs.append(rec)
    for sec in secs:
        sec(0.5).mgo, sec(0.5).cao = mg_mM, 2.0
    h.finitialize(-70.0)
    plain_integrate(h, tstop)
    rows = []
    for vh, (iv, bv, vv, gv) in zip(voltages, vecs, strict=True):
        i, b, v, g = (np.asarray(x) for x in (iv, bv, vv, gv))
        k_g, k_i = int(np.argmax(g)), int(np.argmax(np.abs(i)))
        rows.append(
            {
                "mg_mM": mg_mM,
                "block_model": model,
                "v_mV": float(vh),
                "v_measured_mV": float(v[k_g]),
                "i_peak_nA": float(i[k_i]),
                "g_peak_uS": float(g[k_g]),
                "B": float(b[k_g]),
            }
        )
    traces = np.stack([np.asarray(rec[0])[::4] for rec in vecs], axis=1).astype(np.float32)
    return rows, traces


def ic50_table(rows: list[dict]) -> dict[str, np.ndarray]:
    out = {"block_model": [], "v_mV": [], "ic50_mM": []}
    keys = sorted({(r["block_model"], r["v_mV"]) for r in rows})
    for model, v in keys:
        sel = [r for r in rows if r["block_model"] == model and r["v_mV"] == v and r["mg_mM"] > 0]
        mg = np.array([r["mg_mM"] for r in sel])
        b = np.clip(np.array([r["B"] for r in sel]), 1e-12, 1.0)
        slope = float(np.sum(mg * (1.0 / b - 1.0)) / np.sum(mg * mg))
        out["block_model"].append(model)
        out["v_mV"].append(v)
        out["ic50_mM"].append(1.0 / slope if slope > 0 else np.inf)
    return {k: np.array(v) for k, v in out.items()}


def main(out: str) -> None:
    from neuron import h

    h.load_file("stdrun.hoc")
    rows, traces = [], []
    for mg in MG_MM:
        for model in MODELS:
            r, tr = one_condition(h, mg, model)
            rows += r
            traces.append(tr)
    with h5py.File(out, "w") as f:
        for key in rows[0]:
            f.create_dataset(f"features/{key}", data=np.array([r[key] for r in rows]))
        for key, col in ic50_table(rows).items():
            f.create_dataset(f"ic50/{key}", data=col)
        for i, tr in enumerate(traces):
            f.create_dataset(f"traces/{i}", data=tr, chunks=True)


if __name__ == "__main__":
    from mgneuron.mechanisms import load

    load()
    main(sys.argv[1] if len(sys.argv) > 1 else "raw_nmda_iv.h5")
