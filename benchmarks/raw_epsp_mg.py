"""Plain NEURON doing what ``protocols/epsp_mg.py`` does with its defaults.

The reference of ``benchmarks/overhead.py``. Per [Mg]o condition (the bath presets): read
the shipped ball-and-stick SWC with NEURON's Import3d, give every section the passive
membrane of Mainen & Sejnowski 1996 (cm 0.75 uF/cm2, Ra 150 Ohm cm, Rm 30 kOhm cm2,
E_leak -70 mV), discretise by the d_lambda rule (0.1 at 100 Hz), put 10 AMPA + NMDA pairs
on the protocol's synaptic sites, drive them with one burst, run 300 ms, measure the same
features, and save features and traces with h5py. Only two things come from mgneuron: the
compiled mechanisms (as a user compiles them with ``nrnivmodl``) and the 10 synaptic
sites, which the protocol draws at random (seeded) from its location rule: they are
drawn once, outside the timing, and given to this script as (section, x) pairs.

Run alone: ``python benchmarks/raw_epsp_mg.py out.h5``.
"""

from __future__ import annotations

import math
import sys

import h5py
import numpy as np
from _common import plain_integrate

PROTOCOL = "epsp_mg"
KWARGS: dict = {}  # the protocol's defaults
MG_MM = (0.0, 0.2, 0.5, 1.0, 2.5)  # the bath presets
FARADAY = 96485.33212
_SITES: list[tuple[str, float]] = []


def protocol_sites() -> list[tuple[str, float]]:
    """The protocol's 10 synaptic sites as (section name within the cell, x), drawn once."""
    if not _SITES:
        from mgneuron.cell import build_cell, cell_spec
        from mgneuron.locations import RegionSites, parse_location

        cell = build_cell(cell_spec("ball_and_stick", "passive"))
        rule = parse_location("dendrite:100-300um")
        rule = RegionSites(rule.region, rule.min_um, rule.max_um, 10, 1)  # seed 1
        for seg in cell.segments(rule):
            _SITES.append((seg.sec.name().rsplit(".", 1)[1], float(seg.x)))
        cell.delete()
    return _SITES


class _Cell:
    """Import3d fills this object with its section lists (soma, apic, ...)."""


def one_condition(h, swc: str, sites, mg_mM: float) -> tuple[dict, np.ndarray]:
    dt, tstop, t_burst = 0.025, 300.0, 20.0
    h.dt, h.steps_per_ms, h.celsius, h.tstop = dt, 1 / dt, 34.0, tstop
    # 1. The cell: Import3d, passive membrane, d_lambda.
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(swc)
    cell = _Cell()
    h.Import3d_GUI(reader, 0).instantiate(cell)
    secs = {sec.name().rsplit(".", 1)[1]: sec for sec in h.allsec()}
    for sec in secs.values():
        sec.Ra, sec.cm = 150.0, 0.75
        lam = 1e5 * math.sqrt(sec.diam / (4 * math.pi * 100.0 * sec.Ra * sec.cm))
        sec.nseg = int((sec.L / (0.1 * lam) + 0.9) / 2) * 2 + 1
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 1.0 / 30000.0, -70.0
    # 2. Synapses at the protocol's sites; 3. one burst.
    segs = [secs[name](x) for name, x in sites]
    ampas, nmdas = [], []
    for seg in segs:
        a = h.AMPASyn(seg)
        a.gmax = 0.0001
        n = h.NMDAMg(seg)
        n.gmax, n.block_model = 0.0001, 0
        ampas.append(a)
        nmdas.append(n)
    stim = h.NetStim()
    stim.start, stim.number, stim.interval, stim.noise = t_burst, 5, 20.0, 0
    ncs = [h.NetCon(stim, s, 0, 0, 1.0) for s in ampas + nmdas]  # noqa: F841
    # 4. Record soma and first site; 5. bath; run.
    v_soma, v_dend = h.Vector(), h.Vector()
    v_soma.record(secs["soma[0]"](0.5)._ref_v)
    v_dend.record(segs[0]._ref_v)
    for sec in secs.values():
        for seg in sec:
            for ion, value in (("mgo", mg_mM), ("cao", 2.0)):
                if hasattr(seg, ion):
                    setattr(seg, ion, value)
    h.finitialize(-70.0)
    plain_integrate(h, tstop)
    # 6. Measures.
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
    del segs, ampas, nmdas, stim, ncs
    for sec in list(secs.values()):
        h.delete_section(sec=sec)
    return features, traces


def main(out: str) -> None:
    from neuron import h

    from mgneuron.morphology import shipped_morphology

    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    swc = str(shipped_morphology("ball_and_stick"))
    sites = protocol_sites()
    rows, traces = [], []
    for mg in MG_MM:
        f, tr = one_condition(h, swc, sites, mg)
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
