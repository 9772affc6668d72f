"""EPSPs through AMPA + NMDA synapses on a dendrite, vs [Mg]o.

Methods
-------
A passive ball-and-stick cell (soma 20 x 20 um; dendrite 300 um x 2 um; Rm 15 kOhm cm2,
Cm 1 uF/cm2, Ra 150 Ohm cm, E_leak -70 mV) receives ``n_syn`` AMPA + NMDA synapse pairs
spread evenly between 60 % and 90 % of the dendrite. Every pair is driven by the same
presynaptic burst (``n_spikes`` spikes at ``burst_hz`` from ``t_burst``). Per [Mg]o we
measure at the soma the EPSP peak (above rest) and area, and at the synapses the NMDA charge
and its Ca2+ part (the Ca2+ entry through NMDA receptors).

Features: ``mg_mM, epsp_peak_mV, epsp_area_mV_ms, dend_peak_mV, nmda_charge_pC,
ca_entry_pC, ca_entry_amol``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mgneuron.environment import PRESETS, Environment
from mgneuron.protocol import ConditionResult, Param, Protocol, cli_main
from mgneuron.results import Report
from mgneuron.simulation import RunSettings, record, run, sample_interval

FARADAY = 96485.33212  # C/mol
PRESET_MG = tuple(sorted({env.mg_mM for env in PRESETS.values()}))


def build_ball_and_stick(h):
    """The passive ball-and-stick cell of this protocol; returns (soma, dend)."""
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
    return soma, dend


class EpspMg(Protocol):
    """EPSP amplitude/area, NMDA charge and Ca2+ entry vs [Mg]o."""

    name = "epsp_mg"
    title = "AMPA + NMDA EPSPs vs [Mg]o"
    params = (
        Param(
            "mg_mM",
            PRESET_MG,
            "mM",
            "[Mg]o (default: the bath presets)",
            float,
            grid=True,
            flag="--mg",
            aliases=("mg",),
            minimum=0.0,
        ),
        Param("ca_mM", 2.0, "mM", "[Ca]o", float, aliases=("ca",), minimum=0.0),
        Param("n_syn", 10, "", "number of AMPA+NMDA synapse pairs", int, minimum=1),
        Param(
            "gmax_ampa_uS", 0.0001, "uS", "AMPA peak conductance per synapse", float, minimum=0.0
        ),
        Param("nmda_ampa_ratio", 1.0, "", "NMDA/AMPA peak conductance ratio", float, minimum=0.0),
        Param(
            "block_model",
            0,
            "",
            "NMDA Mg-block model (0 JS, 1 Woodhull, 2 kinetic)",
            int,
            choices=(0, 1, 2),
        ),
        Param("n_spikes", 5, "", "presynaptic spikes in the burst", int, minimum=1),
        Param("burst_hz", 50.0, "Hz", "burst frequency", float, minimum=1e-3),
        Param("t_burst", 20.0, "ms", "time of the first presynaptic spike", float, minimum=0.0),
        Param("celsius", 34.0, "degC", "temperature", float),
        Param("record_every", 0.1, "ms", "sampling interval of stored traces", float, minimum=0.0),
    )
    defaults = {"tstop": 300.0}

    def run_condition(self, p):
        from neuron import h

        settings = RunSettings(tstop=p["tstop"], dt=p["dt"], celsius=p["celsius"], v_init=-70)

        # 1. The cell.
        soma, dend = build_ball_and_stick(h)

        # 2. AMPA + NMDA synapse pairs spread over 60-90 % of the dendrite.
        xs = np.linspace(0.6, 0.9, p["n_syn"])
        ampas, nmdas = [], []
        for x in xs:
            a = h.AMPASyn(dend(x))
            a.gmax = p["gmax_ampa_uS"]
            n = h.NMDAMg(dend(x))
            n.gmax = p["gmax_ampa_uS"] * p["nmda_ampa_ratio"]
            n.block_model = p["block_model"]
            ampas.append(a), nmdas.append(n)

        # 3. One presynaptic burst drives every synapse.
        stim = h.NetStim()
        stim.start, stim.number = p["t_burst"], p["n_spikes"]
        stim.interval, stim.noise = 1000.0 / p["burst_hz"], 0
        _netcons = [h.NetCon(stim, s, 0, 0, 1.0) for s in ampas + nmdas]

        # 4. Record soma and synaptic-site voltage.
        every = sample_interval(settings, p["record_every"])
        v_soma = record(soma(0.5)._ref_v, settings.dt)
        x_mid = float(xs[len(xs) // 2])
        v_dend = record(dend(x_mid)._ref_v, settings.dt)

        # 5. Bath, run.
        bath = Environment(mg_mM=p["mg_mM"], ca_mM=p["ca_mM"], celsius=p["celsius"])
        run(settings, before_init=lambda: bath.apply([soma, dend]))

        # 6. Measures.
        vs, vd = np.asarray(v_soma), np.asarray(v_dend)
        k0 = int(p["t_burst"] / settings.dt)
        rest = float(vs[max(k0 - 1, 0)])
        dv = vs - rest
        qca = sum(n.qca for n in nmdas)
        features = {
            "mg_mM": p["mg_mM"],
            "epsp_peak_mV": float(dv[k0:].max()),
            "epsp_area_mV_ms": float(np.trapezoid(dv[k0:], dx=settings.dt)),
            "dend_peak_mV": float((vd - vd[max(k0 - 1, 0)])[k0:].max()),
            "nmda_charge_pC": float(sum(n.q for n in nmdas)),
            "ca_entry_pC": float(qca),
            # pC / (2 F) -> mol; x 1e-12 (pC) x 1e18 (amol)
            "ca_entry_amol": float(qca * 1e-12 / (2 * FARADAY) * 1e18),
        }
        stride = int(round(every / settings.dt))
        data = np.stack([vs[::stride], vd[::stride]], axis=1)
        report = Report(
            data=data,
            time=(0.0, data.shape[0] * every, every),
            node_ids=[0],
            element_ids=[0, 1],
            variable="v",
            units="mV",
            element_labels=["soma(0.5)", f"dend({x_mid:.3g})"],
        )
        return ConditionResult(features=[features], reports={"cell": report})

    def plot(self, path, out_dir):
        from mgneuron.plots import plot_epsp_mg

        return [plot_epsp_mg(path, Path(out_dir) / "epsp_mg.png")]


def main(argv=None) -> int:
    return cli_main(EpspMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
