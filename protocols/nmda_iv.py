"""NMDA receptor I-V curves and Mg2+ block under voltage clamp.

Methods
-------
One isopotential compartment per holding potential (``v_min`` to ``v_max`` in ``v_step``
mV steps), each clamped by an SEClamp (series resistance 1 kOhm) and carrying one
``NMDAMg`` synapse. All compartments receive one presynaptic event at ``t_event``. Per
compartment we measure the peak NMDA current and the unblocked fraction ``B`` recorded by
the mechanism at that time. Conditions: [Mg]o x Mg-block model (0 Jahr-Stevens,
1 Woodhull, 2 kinetic). A derived table ``ic50`` gives, per voltage and model, the [Mg]o
that halves the current, fitted from the sweep (B = 1 / (1 + Mg / IC50), least squares),
beside the model's closed-form value.

Features: ``mg_mM, block_model, v_mV, i_peak_nA, g_peak_uS, B``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mgneuron.environment import Environment
from mgneuron.mgblock import ic50_formula
from mgneuron.protocol import ConditionResult, Param, Protocol, ca_param, cli_main, mg_param
from mgneuron.results import Report
from mgneuron.simulation import RunSettings, record, run, sample_interval

class NmdaIV(Protocol):
    """NMDA I-V curves at several [Mg]o, for each Mg-block model."""

    name = "nmda_iv"
    title = "NMDA receptor I-V and Mg2+ block under voltage clamp"
    params = (
        mg_param((0.0, 0.1, 0.3, 1.0, 2.0, 3.0)),
        Param(
            "block_model",
            (0, 1, 2),
            "",
            "Mg-block model: 0 Jahr-Stevens, 1 Woodhull, 2 kinetic",
            int,
            grid=True,
            aliases=("model",),
            choices=(0, 1, 2),
        ),
        ca_param(),
        Param("v_min", -100.0, "mV", "lowest holding potential", float),
        Param("v_max", 40.0, "mV", "highest holding potential", float),
        Param("v_step", 10.0, "mV", "holding potential step", float, minimum=1e-3),
        Param("gmax_uS", 0.001, "uS", "NMDA peak conductance", float, minimum=0.0),
        Param("t_event", 20.0, "ms", "time of the presynaptic event", float, minimum=0.0),
        Param("celsius", 34.0, "degC", "temperature", float),
        Param(
            "record_every",
            0.1,
            "ms",
            "sampling interval of the stored currents",
            float,
            minimum=0.0,
        ),
    )
    defaults = {"tstop": 80.0}

    @classmethod
    def validate(cls, values):
        from mgneuron.errors import ProtocolError

        if values["v_max"] < values["v_min"]:
            raise ProtocolError("nmda_iv: v_max must be >= v_min")
        if values["t_event"] >= values["tstop"]:
            raise ProtocolError("nmda_iv: t_event must come before tstop")

    def run_condition(self, p):
        from neuron import h

        settings = RunSettings(tstop=p["tstop"], dt=p["dt"], celsius=p["celsius"], v_init=-70)
        voltages = np.arange(p["v_min"], p["v_max"] + 0.5 * p["v_step"], p["v_step"])

        # 1. One clamped compartment with one NMDA synapse per holding potential.
        secs, clamps, syns = [], [], []
        for k, vh in enumerate(voltages):
            sec = h.Section(name=f"cell_{k}")
            sec.L = sec.diam = 10.0
            clamp = h.SEClamp(sec(0.5))
            clamp.rs, clamp.dur1, clamp.amp1 = 1e-3, 1e9, float(vh)
            syn = h.NMDAMg(sec(0.5))
            syn.gmax, syn.block_model = p["gmax_uS"], p["block_model"]
            secs.append(sec), clamps.append(clamp), syns.append(syn)

        # 2. One presynaptic event at t_event into every synapse.
        stim = h.NetStim()
        stim.start, stim.number = p["t_event"], 1
        _netcons = [h.NetCon(stim, syn, 0, 0, 1.0) for syn in syns]

        # 3. Record the NMDA current, the unblocked fraction and the membrane potential.
        every = sample_interval(settings, p["record_every"])
        i_vecs = [record(s._ref_i, settings.dt) for s in syns]
        b_vecs = [record(s._ref_B, settings.dt) for s in syns]
        v_vecs = [record(sec(0.5)._ref_v, settings.dt) for sec in secs]
        g_vecs = [record(s._ref_g, settings.dt) for s in syns]

        # 4. Bath, then run.
        bath = Environment(mg_mM=p["mg_mM"], ca_mM=p["ca_mM"], celsius=p["celsius"])
        run(settings, before_init=lambda: bath.apply(secs))

        # 5. Peak current and B at the time of the peak conductance.
        rows = []
        for vh, iv, bv, vv, gv in zip(voltages, i_vecs, b_vecs, v_vecs, g_vecs, strict=True):
            i, b, v, g = (np.asarray(x) for x in (iv, bv, vv, gv))
            k_g = int(np.argmax(g))
            k_i = int(np.argmax(np.abs(i)))
            rows.append(
                {
                    "mg_mM": p["mg_mM"],
                    "block_model": p["block_model"],
                    "v_mV": float(vh),
                    "v_measured_mV": float(v[k_g]),
                    "i_peak_nA": float(i[k_i]),
                    "g_peak_uS": float(g[k_g]),
                    "B": float(b[k_g]),
                }
            )
        stride = int(round(every / settings.dt))
        data = np.stack([np.asarray(iv)[::stride] for iv in i_vecs], axis=1)
        report = Report(
            data=data,
            time=(0.0, data.shape[0] * every, every),
            node_ids=np.arange(len(voltages)),
            element_ids=np.zeros(len(voltages)),
            index_pointers=np.arange(len(voltages) + 1),
            variable="i_nmda",
            units="nA",
            element_labels=[f"clamp at {vh:g} mV" for vh in voltages],
        )
        return ConditionResult(features=rows, reports={"nmda": report})

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """IC50 of [Mg]o per voltage and block model, fitted from B over the swept [Mg]o."""
        if features.empty:
            return {}
        sel = features["mg_mM"].to_numpy() > 0
        model = features["block_model"].to_numpy()[sel]
        v = features["v_mV"].to_numpy()[sel]
        mg = features["mg_mM"].to_numpy()[sel]
        b = np.clip(features["B"].to_numpy()[sel], 1e-12, 1.0)
        if not len(mg):
            return {"ic50": pd.DataFrame(columns=["block_model", "v_mV", "ic50_mM"])}
        # Groups (block model, voltage) in sorted order; numpy, not a pandas groupby,
        # which cost more than the rest of the summary.
        order = np.lexsort((v, model))
        model, v, mg, b = model[order], v[order], mg[order], b[order]
        new = np.r_[True, (model[1:] != model[:-1]) | (v[1:] != v[:-1])]
        starts = np.flatnonzero(new)
        # B = 1 / (1 + mg / IC50)  <=>  1/B - 1 = mg / IC50: least squares through 0.
        slope = np.add.reduceat(mg * (1.0 / b - 1.0), starts) / np.add.reduceat(mg * mg, starts)
        with np.errstate(divide="ignore"):
            ic50 = np.where(slope > 0, 1.0 / slope, np.inf)
        models, volts = model[starts].astype(int), v[starts].astype(float)
        table = pd.DataFrame(
            {
                "block_model": models,
                "v_mV": volts,
                "ic50_mM": ic50,
                "ic50_formula_mM": [
                    ic50_formula(int(m), float(x), values["celsius"])
                    for m, x in zip(models, volts, strict=True)
                ],
                "n_mg": np.diff(np.r_[starts, len(mg)]),
            }
        )
        return {"ic50": table}

    def plot(self, path, out_dir):
        from mgneuron.plots.nmda_iv import plot_nmda_iv

        return [plot_nmda_iv(path, Path(out_dir) / "nmda_iv.png")]




def main(argv=None) -> int:
    return cli_main(NmdaIV, argv)


if __name__ == "__main__":
    raise SystemExit(main())
