"""Plain NEURON doing what ``protocols/epsp_mg.py`` does with its defaults.

The reference of ``benchmarks/overhead.py``: the same ball-and-stick cell, the same AMPA +
NMDA synapses and burst, the same [Mg]o conditions, run and measured with NEURON's Python
API directly, and saved with h5py (features and the two voltage traces per condition).
Only the compiled mechanisms come from mgneuron (as a user would compile them with
``nrnivmodl``).

Run alone: ``python benchmarks/raw_epsp_mg.py out.h5``.
"""

from __future__ import annotations

import sys

import h5py
import numpy as np

PROTOCOL = "epsp_mg"
KWARGS: dict = {}  # the protocol's defaults
MG_MM = (0.0, 0.2, 0.5, 1.0, 2.5)  # the bath presets
FARADAY = 96485.33212


def one_condition(h, mg_mM: float) -> tuple[dict, np.ndarray]:
    dt, tstop, t_burst = 0.025, 300.0, 20.0
    h.dt, h.steps_per_ms, h.celsius, h.tstop = dt, 1 / dt, 34.0, tstop
    soma = h.Section(name="soma")
    soma.L = soma.diam = 20.0
    dend = h.Section(name="dend")
    dend.L, dend.diam = 300.0, 2.0
    dend.connect(soma(1))
    for sec in (soma, dend):
        sec.Ra, sec.cm = 150.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1.0 / 15000.0, -70.0
    dend.nseg = 31
    xs = np.linspace(0.6, 0.9, 10)
    ampas, nmdas = [], []
    for x in xs:
        a = h.AMPASyn(dend(x))
        a.gmax = 0.0001
        n = h.NMDAMg(dend(x))
        n.gmax, n.block_model = 0.0001, 0
        ampas.append(a)
        nmdas.append(n)
    stim = h.NetStim()
    stim.start, stim.number, stim.interval, stim.noise = t_burst, 5, 20.0, 0
    ncs = [h.NetCon(stim, s, 0, 0, 1.0) for s in ampas + nmdas]  # noqa: F841
    v_soma, v_dend = h.Vector(), h.Vector()
    v_soma.record(soma(0.5)._ref_v)
    x_mid = float(xs[len(xs) // 2])
    v_dend.record(dend(x_mid)._ref_v)
    for sec in (soma, dend):
        for seg in sec:
            for ion, value in (("mgo", mg_mM), ("cao", 2.0)):
                if hasattr(seg, ion):
                    setattr(seg, ion, value)
    h.finitialize(-70.0)
    h.continuerun(tstop)
    vs, vd = np.array(v_soma), np.array(v_dend)
    k0 = int(t_burst / dt)
    dv = vs - vs[k0 - 1]
    qca = sum(n.qca for n in nmdas)
    features = {
        "mg_mM": mg_mM,
        "epsp_peak_mV": float(dv[k0:].max()),
        "epsp_area_mV_ms": float(np.trapezoid(dv[k0:], dx=dt)),
        "dend_peak_mV": float((vd - vd[k0 - 1])[k0:].max()),
        "nmda_charge_pC": float(sum(n.q for n in nmdas)),
        "ca_entry_pC": float(qca),
        "ca_entry_amol": float(qca * 1e-12 / (2 * FARADAY) * 1e18),
    }
    traces = np.stack([vs[::4], vd[::4]], axis=1).astype(np.float32)  # every 0.1 ms
    return features, traces


def main(out: str) -> None:
    from neuron import h

    h.load_file("stdrun.hoc")
    rows, traces = [], []
    for mg in MG_MM:
        f, tr = one_condition(h, mg)
        rows.append(f)
        traces.append(tr)
    with h5py.File(out, "w") as f:
        for key in rows[0]:
            f.create_dataset(f"features/{key}", data=np.array([r[key] for r in rows]))
        for i, tr in enumerate(traces):
            f.create_dataset(f"traces/{i}", data=tr, chunks=True)


if __name__ == "__main__":
    from mgneuron.mechanisms import load

    load()
    main(sys.argv[1] if len(sys.argv) > 1 else "raw_epsp_mg.h5")
