"""CoreNEURON vs NEURON on the largest shipped morphology with >= 200 synapses.

The largest morphology (the shared layer-5 pyramidal reconstruction when present;
d_lambda 0.1), HH in every section, 200 synaptic sites
(AMPA + NMDA, or AMPA only when NMDAMg is not CoreNEURON-compatible) driven by regular
NetStims; 1 s of simulated time at dt = 0.025 ms, the soma voltage recorded. The same
model in one process is run through mgneuron's ``engine.Simulation`` with NEURON and with
CoreNEURON (``pc.psolve``, online mode), interleaved, medians; the traces are compared.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import (
    LARGE_MORPHOLOGY,
    ROOT,
    emit,
    fmt_s,
    interleaved,
    large_cell,
    median,
    parse_args,
    ratio_entry,
)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = 2 if args.quick else 3
    from mgneuron.engine import RunSettings, Simulation, use_coreneuron

    use_coreneuron(True)  # builds (or finds) the CoreNEURON flavour of the mechanisms
    from neuron import h

    from mgneuron.engine.coreneuron import coreneuron_compatibility
    from mgneuron.mechanisms import load

    load()
    nmda = "NMDAMg" not in coreneuron_compatibility()
    cell = large_cell(h, 200, nmda=nmda)
    settings = RunSettings(tstop=1000.0, dt=0.025, celsius=6.3, v_init=-65.0)
    traces = {}

    def simulate(engine: str):
        use_coreneuron(engine == "CoreNEURON")
        sim = Simulation(settings)
        v = sim.record(cell["soma"](0.5)._ref_v, settings.dt)
        sim.run()
        traces[engine] = np.asarray(v).copy()

    times = interleaved(
        {"NEURON": lambda: simulate("NEURON"), "CoreNEURON": lambda: simulate("CoreNEURON")},
        repeats,
    )
    t_nrn, t_cn = median(times["NEURON"]), median(times["CoreNEURON"])
    a, b = traces["NEURON"], traces["CoreNEURON"]
    diff = float(np.max(np.abs(a - b))) if len(a) == len(b) else float("inf")
    n_spikes = int(np.sum((a[1:] > 0) & (a[:-1] <= 0)))
    ratio = t_nrn / t_cn
    syn_text = (
        "AMPA + NMDA (NMDAMg)"
        if nmda
        else (
            "AMPA only: NMDAMg is not CoreNEURON-compatible in this build "
            f"({coreneuron_compatibility()['NMDAMg'][:120]}...)"
        )
    )
    md = (
        f"`{LARGE_MORPHOLOGY}`: {cell['n_sections']} sections, {cell['n_segments']} segments, "
        f"200 synaptic sites, {len(cell['syns'])} synapses ({syn_text}); 1 s at dt 0.025 ms, "
        f"{n_spikes} somatic spikes. Median of {repeats} interleaved runs, one thread each.\n\n"
        "| engine | median | runs |\n|---|---:|---|\n"
        f"| NEURON | {fmt_s(t_nrn)} | {', '.join(fmt_s(t) for t in times['NEURON'])} |\n"
        f"| CoreNEURON | {fmt_s(t_cn)} | {', '.join(fmt_s(t) for t in times['CoreNEURON'])} |\n\n"
        f"- speed-up CoreNEURON / NEURON: **{ratio:.2f}x** (CoreNEURON time includes handing "
        f"the model over at each run)\n- largest soma voltage difference: {diff:.2e} mV\n"
    )
    emit(
        args,
        "CoreNEURON vs NEURON (largest morphology)",
        30,
        md,
        [ratio_entry("CoreNEURON speed-up (NEURON time / CoreNEURON time)", ratio, None)],
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
