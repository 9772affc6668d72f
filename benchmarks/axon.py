"""Myelinated axon: mgneuron's builder and run against a plain NEURON script, same axon.

The work: build a 51-node, 10 um MRG fibre (converged discretization of
:mod:`mgneuron.axon.spec`: 1 node segment, 3 per MYSA, 11 per FLUT, 1 per STIN, double
cable through ``extracellular``), inject 10 nA x 0.1 ms into node 0, record the membrane
potential at every node every step and run 20 ms at dt = 1 us (37 degC, backward Euler).
mgneuron does it with ``build_axon`` + ``run_conduction`` (one engine Simulation with
``RunSettings(secondorder=0)``); the plain script below creates the same
sections with ``h.Section`` calls from the MRG 2002 numbers written out by hand. Both use
the compiled ``mrg_node`` mechanism. Before timing, the two node traces are compared (they
must agree to round-off, or the timing compares different models). Interleaved repeats
(A B, B A, ...), medians, ratio mgneuron / plain (target <= 1.05).
"""

from __future__ import annotations

import gc
import math
import sys

import numpy as np
from _common import (
    INTEGRATORS,
    PLAIN_INTEGRATOR,
    ROOT,
    emit,
    fmt_s,
    interleaved,
    median,
    parse_args,
    plain_integrate,
    ratio_entry,
)

N_NODES = 51
TSTOP, DT, CELSIUS, V_INIT = 20.0, 0.001, 37.0, -80.0
AMP, DUR, DELAY = 10.0, 0.1, 0.1


def plain_neuron(h) -> tuple[np.ndarray, object]:
    """Build and run the axon with plain NEURON calls; return (v at nodes, keep-alive)."""
    # MRG 2002 Table 1, 10 um row, and the fixed numbers of the model.
    D, deltax, nl, d_ax, d_node, flut_L = 10.0, 1150.0, 120.0, 6.9, 3.3, 46.0
    ra, cm, mysa_L, node_L = 70.0, 2.0, 3.0, 1.0
    gap = {"mysa": 0.002, "flut": 0.004, "stin": 0.004}
    stin_L = (deltax - node_L - 2 * mysa_L - 2 * flut_L) / 6

    def rgap(d, w):  # MOhm/cm
        return ra / (math.pi * ((d / 2 + w) ** 2 - (d / 2) ** 2) * 1e-8) * 1e-6

    xg_my = 0.001 / (2 * nl)
    xc_my = 0.1 / (2 * nl)
    secs, nodes = [], []
    prev = None
    for j in range(N_NODES):
        node = h.Section(name=f"node{j}")
        node.L, node.diam, node.nseg, node.Ra, node.cm = node_L, d_node, 1, ra, cm
        node.insert("mrg_node")
        node.insert("extracellular")
        for seg in node:
            seg.xraxial[0], seg.xg[0], seg.xc[0] = rgap(d_node, gap["mysa"]), 1e10, 0.0
            seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
        if prev is not None:
            node.connect(prev(1))
        prev = node
        secs.append(node)
        nodes.append(node)
        if j == N_NODES - 1:
            break
        layout = (
            [("mysa", d_node, mysa_L, 3, 0.001), ("flut", d_ax, flut_L, 11, 0.0001)]
            + [("stin", d_ax, stin_L, 1, 0.0001)] * 6
            + [("flut", d_ax, flut_L, 11, 0.0001), ("mysa", d_node, mysa_L, 3, 0.001)]
        )
        for k, (kind, diam, L, nseg, gpas) in enumerate(layout):
            sec = h.Section(name=f"{kind}{j}_{k}")
            sec.L, sec.diam, sec.nseg, sec.Ra, sec.cm = L, diam, nseg, ra, cm
            sec.insert("pas")
            sec.insert("extracellular")
            for seg in sec:
                seg.g_pas, seg.e_pas = gpas, -80.0
                seg.xraxial[0] = rgap(diam, gap[kind])
                seg.xg[0], seg.xc[0] = xg_my * D / diam, xc_my * D / diam
                seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
            sec.connect(prev(1))
            prev = sec
            secs.append(sec)
    stim = h.IClamp(nodes[0](0.5))
    stim.amp, stim.dur, stim.delay = AMP, DUR, DELAY
    t_vec = h.Vector().record(h._ref_t, DT)
    vecs = [h.Vector().record(n(0.5)._ref_v, DT) for n in nodes]
    h.dt, h.steps_per_ms, h.celsius, h.tstop = DT, 1 / DT, CELSIUS, TSTOP
    h.secondorder = 0
    h.finitialize(V_INIT)
    plain_integrate(h, TSTOP)
    v = np.array([np.asarray(x) for x in vecs])
    return v, (secs, stim, t_vec, vecs)


def with_mgneuron() -> np.ndarray:
    from mgneuron import axon as ax

    spec = ax.MyelinatedAxonSpec(10.0, ax.healthy(N_NODES - 1), discretization="converged")
    axon = ax.build_axon(spec)
    tr = ax.run_conduction(
        axon, tstop_ms=TSTOP, dt_ms=DT, celsius=CELSIUS, stim_node=0, amp_nA=AMP,
        dur_ms=DUR, stim_times_ms=(DELAY,),
    )  # fmt: skip
    axon.release()
    return tr.v_mV


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = 2 if args.quick else 5
    from neuron import h

    from mgneuron.mechanisms import load

    load()

    def run_plain(integrator: str = "continuerun"):
        PLAIN_INTEGRATOR["name"] = integrator
        try:
            v, keep = plain_neuron(h)
        finally:
            PLAIN_INTEGRATOR["name"] = "continuerun"
        del keep
        gc.collect()
        return v

    def run_ours():
        v = with_mgneuron()
        gc.collect()
        return v

    ours = run_ours()  # warm-up and the check of sameness
    diff = 0.0
    for integ in INTEGRATORS:
        plain = run_plain(integ)
        n = min(ours.shape[1], plain.shape[1])
        diff = max(diff, float(np.max(np.abs(ours[:, :n] - plain[:, :n]))))
    if diff > 1e-6:
        raise SystemExit(f"the two axons differ (max |dv| = {diff:.3g} mV): not the same model")
    variants = {"mgneuron": run_ours}
    for integ in INTEGRATORS:
        variants[f"plain {integ}"] = lambda i=integ: run_plain(i)
    times = interleaved(variants, repeats)
    t_ours = median(times["mgneuron"])
    ratio = {i: t_ours / median(times[f"plain {i}"]) for i in INTEGRATORS}
    lines = "".join(
        f"| plain NEURON script, {i} | {fmt_s(median(times[f'plain {i}']))} | "
        f"{', '.join(fmt_s(x) for x in times[f'plain {i}'])} |\n"
        for i in INTEGRATORS
    )
    md = (
        f"Build + {TSTOP:g} ms run (dt {DT * 1e3:g} us, {N_NODES} nodes, 10 um MRG fibre, "
        f"{len(times['mgneuron'])} interleaved repeats, medians), membrane potential "
        f"recorded at every node. Node traces of the two agree to {diff:.1e} mV. The plain "
        f"script is timed with stdrun's `continuerun` and with `ParallelContext.psolve` "
        f"(the loop mgneuron uses; see the overhead section).\n\n"
        "| | median | all runs |\n|---|---:|---|\n"
        f"| mgneuron (`build_axon` + `run_conduction`) | {fmt_s(t_ours)} | "
        f"{', '.join(fmt_s(x) for x in times['mgneuron'])} |\n"
        + lines
        + f"| **ratio vs psolve** | **{ratio['psolve']:.3f}** | target <= 1.05 |\n"
        f"| **ratio vs continuerun** | **{ratio['continuerun']:.3f}** | target <= 1.05 |\n"
    )
    entries = [
        ratio_entry(
            "axon 51 nodes, 20 ms (mgneuron / plain NEURON, same psolve loop)",
            ratio["psolve"],
            "<= 1.05",
        ),
        ratio_entry(
            "axon 51 nodes, 20 ms (mgneuron / plain NEURON with continuerun)",
            ratio["continuerun"],
            "<= 1.05",
        ),
    ]
    emit(args, "Myelinated axon vs plain NEURON", 40, md, entries)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
