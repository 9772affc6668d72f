"""NMDA receptor I-V curves and Mg2+ block under voltage clamp.

Methods
-------
One isopotential compartment per holding potential (``v_min`` to ``v_max`` in ``v_step``
mV steps), each clamped by an SEClamp (series resistance 1 kOhm;
:func:`mgneuron.preparations.clamp.clamped_compartments`) and carrying one ``NMDAMg``
synapse. All compartments receive one presynaptic event at ``t_event``. Per compartment
we measure the peak NMDA current and the unblocked fraction ``B`` recorded by the
mechanism at the time of the peak conductance. Conditions: [Mg]o x Mg-block model
(0 Jahr & Stevens 1990, 1 Woodhull with Spruston et al. 1995 parameters, 2 the kinetic
scheme of Kampa et al. 2004). A derived table ``ic50`` gives, per voltage and model, the
[Mg]o that halves the current, fitted from the sweep (B = 1 / (1 + Mg / IC50), least
squares), beside the model's closed-form value (:func:`mgneuron.mgblock.ic50_formula`).

No steady-state settling is needed: the compartments carry no membrane mechanism, each
clamp (series resistance 1 kOhm, a time constant of nanoseconds) holds its compartment at
its holding potential from the first step, and the synapse is closed until ``t_event``.
``baseline_drift_mV`` verifies it: the change of each compartment's potential over the
10 ms before the event (:mod:`mgneuron.measures.baseline`).

Features: ``mg_mM, block_model, v_mV, v_measured_mV, i_peak_nA, g_peak_uS, B,
baseline_drift_mV``.
Report ``nmda``: the NMDA current of every compartment. Typical values: docs/guide.md,
"Protocol notes: nmda_iv".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgneuron.bath import apply_bath
from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, Simulation
from mgneuron.environment import Environment
from mgneuron.fit import block_mechanism_params
from mgneuron.measures.baseline import drift_mV
from mgneuron.mgblock import BLOCK_MODEL_CHOICES, ic50_formula
from mgneuron.preparations.clamp import clamped_compartments
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.params import celsius_param, record_every_param
from mgneuron.runner.reports import stacked_report


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
            "Mg-block model: 0 Jahr-Stevens, 1 Woodhull, 2 kinetic, 3 Vargas-Caballero-Robinson, "
            "4 permeant",
            int,
            grid=True,
            aliases=("model",),
            choices=BLOCK_MODEL_CHOICES,
        ),  # fmt: skip
        ca_param(),
        Param(
            "block_params",
            "",
            "",
            "JSON of `mgneuron fit-block`: the fitted block of block_model is set on every "
            "NMDA synapse (empty: the model's published defaults)",
            str,
        ),
        Param("v_min", -100.0, "mV", "lowest holding potential", float),
        Param("v_max", 40.0, "mV", "highest holding potential", float),
        Param("v_step", 10.0, "mV", "holding potential step", float, minimum=1e-3),
        Param("gmax_uS", 0.001, "uS", "NMDA peak conductance", float, minimum=0.0),
        Param("t_event", 20.0, "ms", "time of the presynaptic event", float, minimum=0.0),
        celsius_param(),
        record_every_param(help="sampling interval of the stored currents"),
    )
    defaults = {"tstop": 80.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse an empty voltage range and an event at or after tstop."""
        from mgneuron.errors import ProtocolError

        super().check_condition(p)
        if p.block_params:  # a fit of this block_model, readable
            block_mechanism_params(p.block_params, p.block_model)
        if p.v_max < p.v_min:
            raise ProtocolError(f"nmda_iv: v_max ({p.v_max} mV) must be >= v_min ({p.v_min} mV)")
        if p.t_event >= p.tstop:
            raise ProtocolError(
                f"nmda_iv: the event at t_event = {p.t_event} ms must come before tstop = "
                f"{p.tstop} ms; raise --tstop or lower --t-event"
            )

    def run_condition(self, p):
        from neuron import h

        settings = RunSettings(tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=-70)
        voltages = np.arange(p.v_min, p.v_max + 0.5 * p.v_step, p.v_step)

        # 1. One clamped compartment with one NMDA synapse per holding potential.
        cells = clamped_compartments(voltages)
        #    A fitted block (--block-params) goes on each synapse: RANGE parameters, so
        #    nothing outlives this condition.
        fitted = block_mechanism_params(p.block_params, p.block_model) if p.block_params else {}
        syns = cells.place("NMDAMg", gmax=p.gmax_uS, block_model=p.block_model, **fitted)

        # 2. One presynaptic event at t_event into every synapse.
        stim = h.NetStim()
        stim.start, stim.number = p.t_event, 1
        _netcons = [h.NetCon(stim, syn, 0, 0, 1.0) for syn in syns]

        # 3. Record the NMDA current, the unblocked fraction, the membrane potential and
        #    the conductance at every step.
        sim = Simulation(settings)
        i_vecs = [sim.record(s._ref_i) for s in syns]
        b_vecs = [sim.record(s._ref_B) for s in syns]
        v_vecs = [sim.record(seg._ref_v) for seg in cells.segments]
        g_vecs = [sim.record(s._ref_g) for s in syns]

        # 4. Bath, then run.
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        sim.run(before_init=lambda: apply_bath(bath, cells.sections))

        # 5. Peak current; B, V and g at the time of the peak conductance.
        rows = []
        drifts = drift_mV(np.array(v_vecs), settings.dt, p.t_event)
        for vh, iv, bv, vv, gv, drift in zip(
            voltages, i_vecs, b_vecs, v_vecs, g_vecs, drifts, strict=True
        ):
            i, b, v, g = (np.asarray(x) for x in (iv, bv, vv, gv))
            k_g = int(np.argmax(g))
            k_i = int(np.argmax(np.abs(i)))
            rows.append(
                {
                    "mg_mM": p.mg_mM,
                    "block_model": p.block_model,
                    "v_mV": float(vh),
                    "v_measured_mV": float(v[k_g]),
                    "i_peak_nA": float(i[k_i]),
                    "g_peak_uS": float(g[k_g]),
                    "B": float(b[k_g]),
                    "baseline_drift_mV": float(drift),
                }
            )
        labels = [f"clamp at {vh:g} mV" for vh in voltages]
        report = stacked_report(i_vecs, p.record_every, settings.dt, labels, "i_nmda", "nA")
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
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.nmda_iv import plot_nmda_iv

        return [plot_nmda_iv(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(NmdaIV, argv)


if __name__ == "__main__":
    raise SystemExit(main())
