"""EPSPs through AMPA + NMDA synapses on dendrites, vs [Mg]o.

Methods
-------
1. *Cell.* The shipped ball-and-stick by default (soma 20 um + one 600 um x 2 um
   dendrite, passive biophysics); any SWC/ASC with ``--morphology``, any set with
   ``--biophysics`` (a set with ``axon_stub`` gives an axon-less morphology a Mainen &
   Sejnowski 1996 stub: feature ``axon_stub_added``, and a warning in the log), and
   ``--myelinated-axon DIAMETER[:PRESET]`` to replace its axon beyond the initial
   segment by an MRG myelinated axon.
2. *Synapses.* ``n_syn`` AMPA (``AMPASyn``) + NMDA (``NMDAMg``) pairs at the sites of a
   location rule (default: 10 random dendritic sites 100-300 um from the soma, seeded);
   the NMDA Mg2+ block follows ``block_model`` (default 0, Jahr & Stevens 1990; 3 is the
   two-component kinetic block of Vargas-Caballero & Robinson 2004). An NMDA antagonist
   may be added beside Mg2+: ``drug`` (memantine, ketamine, MK-801: open-channel
   trapping blockers competing with Mg2+ for the channel; apv: the competitive
   antagonist D-APV) at ``drug_um`` (uM), with the published rates of
   :data:`mgneuron.nmda.DRUGS`; a channel blocker starts at its open-channel
   equilibrium at rest (a slice after wash-in). Every pair is driven by the same
   presynaptic burst (``n_spikes`` spikes at ``burst_hz`` from ``t_burst``).
3. *Rest.* The cell is brought to the steady state of the bath before ``t = 0``
   (``steady_state``, default true; :mod:`mgneuron.engine.steady_state`): parts with
   different resting potentials (a cell at -70 mV, an MRG axon at -80 mV) have settled
   before the burst, with either integrator and with CoreNEURON.
4. *Baseline check.* Over the 10 ms before the burst the soma's potential is
   ``rest_mV`` at its end, moves by ``baseline_drift_mV`` and is flat when it moves by at
   most ``baseline_tol_mV`` (0.1 mV) with no spike; ``baseline_ok`` says so, and a
   condition that fails it is reported with a warning. A cell that fires before the
   burst (``spontaneous_spikes`` > 0) has no EPSP: its EPSP measures are NaN.
5. *Measures,* per [Mg]o: at the soma the EPSP peak above ``rest_mV`` and its area, at
   the first synapse the local peak depolarisation, and over all synapses the NMDA
   charge and its Ca2+ part (the Ca2+ entry through NMDA receptors: the GHK Ca2+
   current of the channel, about 10 % of the NMDA current at -60 mV in 2 mM [Ca]o,
   :mod:`mgneuron.nmda`).

Before anything simulates, every condition is checked: the burst must start before
``tstop``, and the synapse rule must match a segment of the cell (built once per
distinct cell, :mod:`mgneuron.preparations.sites`).

Features: ``mg_mM, drug, drug_um, epsp_peak_mV, epsp_area_mV_ms, dend_peak_mV, nmda_charge_pC,
ca_entry_pC, ca_entry_amol, rest_mV, baseline_drift_mV, baseline_ok,
spontaneous_spikes, axon_stub_added``. Report ``cell``: the potential at the soma and at
the first synapse. Typical values: docs/guide.md, "Protocol notes: epsp_mg".
"""

from __future__ import annotations

import warnings

import numpy as np

from mgneuron.axon import apply_myelinated_axon
from mgneuron.bath import apply_bath
from mgneuron.cell import build_cell
from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, Simulation
from mgneuron.environment import PRESETS, Environment
from mgneuron.errors import ProtocolError
from mgneuron.fit import block_mechanism_params
from mgneuron.locations import RegionSites, parse_location
from mgneuron.measures.baseline import BaselineWarning, baseline
from mgneuron.mgblock import BLOCK_MODEL_CHOICES
from mgneuron.nmda import drug_params
from mgneuron.preparations.sites import check_sites
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import (
    cell_params,
    cell_spec_from_params,
    drug_group,
    myelinated_axon_param,
    rest_params,
)
from mgneuron.runner.params import celsius_param, record_every_param
from mgneuron.runner.reports import stacked_report

FARADAY = 96485.33212  # C/mol
PRESET_MG = tuple(sorted({env.mg_mM for env in PRESETS.values()}))


class EpspMg(Protocol):
    """EPSP amplitude/area, NMDA charge and Ca2+ entry vs [Mg]o."""

    name = "epsp_mg"
    title = "AMPA + NMDA EPSPs vs [Mg]o"
    params = (
        mg_param(PRESET_MG, "[Mg]o (default: the bath presets)"),
        ca_param(),
        *cell_params(default_morphology="ball_and_stick", default_biophysics="passive"),
        myelinated_axon_param(),
        Param(
            "synapses",
            "dendrite:100-300um",
            "",
            "location rule of the synapses (n_syn random sites among its segments, seeded)",
            str,
        ),
        Param("n_syn", 10, "", "number of AMPA+NMDA synapse pairs", int, minimum=1),
        Param(
            "gmax_ampa_uS", 0.0001, "uS", "AMPA peak conductance per synapse", float, minimum=0.0
        ),
        Param("nmda_ampa_ratio", 1.0, "", "NMDA/AMPA peak conductance ratio", float, minimum=0.0),
        Param(
            "block_model",
            0,
            "",
            "NMDA Mg-block model (0 JS, 1 Woodhull, 2 kinetic, 3 Vargas-Caballero-Robinson, "
            "4 permeant)",
            int,
            choices=BLOCK_MODEL_CHOICES,
        ),
        *drug_group(),
        Param(
            "block_params",
            "",
            "",
            "JSON of `mgneuron fit-block`: the fitted block of block_model is set on every "
            "NMDA synapse (empty: the model's published defaults)",
            str,
        ),
        Param("n_spikes", 5, "", "presynaptic spikes in the burst", int, minimum=1),
        Param("burst_hz", 50.0, "Hz", "burst frequency", float, minimum=1e-3),
        Param("t_burst", 20.0, "ms", "time of the first presynaptic spike", float, minimum=0.0),
        celsius_param(),
        record_every_param(),
        *rest_params(),
    )
    defaults = {"tstop": 300.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse a burst at or after tstop and a synapse rule that matches no segment."""
        super().check_condition(p)
        if p.t_burst >= p.tstop:
            raise ProtocolError(
                f"epsp_mg: the burst starts at t_burst = {p.t_burst} ms, not before tstop = "
                f"{p.tstop} ms; raise --tstop or lower --t-burst"
            )
        if p.block_params:  # a fit of this block_model, readable
            block_mechanism_params(p.block_params, p.block_model)
        check_sites(cell_spec_from_params(p), p.myelinated_axon, {"synapses": p.synapses})

    def run_condition(self, p):
        from neuron import h

        # 1. The cell, and its myelinated axon if one is asked for.
        cell = build_cell(cell_spec_from_params(p))
        myelinated = apply_myelinated_axon(cell, p.myelinated_axon)
        settings = RunSettings(
            tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=cell.v_init,
            steady_state=p.steady_state,
        )  # fmt: skip

        # 2. AMPA + NMDA synapse pairs at n_syn random sites of the rule (seeded).
        rule = parse_location(p.synapses)
        if isinstance(rule, RegionSites):
            rule = RegionSites(rule.region, rule.min_um, rule.max_um, p.n_syn, p.seed)
        sites = cell.segments(rule)
        sites = [sites[k % len(sites)] for k in range(p.n_syn)]
        #    A fitted block (--block-params) is set on each NMDA synapse (RANGE).
        fitted = block_mechanism_params(p.block_params, p.block_model) if p.block_params else {}
        ampas, nmdas = [], []
        for seg in sites:
            a = h.AMPASyn(seg)
            a.gmax = p.gmax_ampa_uS
            n = h.NMDAMg(seg)
            n.gmax = p.gmax_ampa_uS * p.nmda_ampa_ratio
            n.block_model = p.block_model
            for name, value in drug_params(p.drug, p.drug_um).items():
                setattr(n, name, value)
            for name, value in fitted.items():
                setattr(n, name, value)
            ampas.append(a), nmdas.append(n)

        # 3. One presynaptic burst drives every synapse.
        stim = h.NetStim()
        stim.start, stim.number = p.t_burst, p.n_spikes
        stim.interval, stim.noise = 1000.0 / p.burst_hz, 0
        _netcons = [h.NetCon(stim, s, 0, 0, 1.0) for s in ampas + nmdas]

        # 4. Record soma and synaptic-site voltage at every step.
        sim = Simulation(settings)
        v_soma = sim.record(cell.soma._ref_v)
        v_dend = sim.record(sites[0]._ref_v)

        # 5. Bath; steady state in it (step 3 of the methods); run.
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        sim.run(before_init=lambda: apply_bath(bath, cell.sections))

        # 6. Baseline over the 10 ms before the burst: flat, and no spike?
        vs, vd = np.asarray(v_soma), np.asarray(v_dend)
        k0 = int(p.t_burst / settings.dt)
        base = baseline(np.arange(vs.size) * settings.dt, vs, k0 * settings.dt,
                        tol_mV=p.baseline_tol_mV)  # fmt: skip
        if not base.ok:
            warnings.warn(
                f"epsp_mg, [Mg]o = {p.mg_mM} mM: {base.describe()} (baseline_ok false"
                + ("" if p.steady_state else "; --steady-state is off") + ")",
                BaselineWarning, stacklevel=2,
            )  # fmt: skip

        # 7. Measures: EPSP above the potential just before the burst, NMDA charges.
        #    A cell that fired before the burst has no EPSP to measure.
        dv = vs - float(vs[max(k0 - 1, 0)])
        epsp = {
            "epsp_peak_mV": float(dv[k0:].max()),
            "epsp_area_mV_ms": float(np.trapezoid(dv[k0:], dx=settings.dt)),
            "dend_peak_mV": float((vd - vd[max(k0 - 1, 0)])[k0:].max()),
        }
        if base.spontaneous_spikes:
            epsp = dict.fromkeys(epsp, float("nan"))
        qca = sum(n.qca for n in nmdas)
        features = {
            "mg_mM": p.mg_mM,
            "drug": p.drug,
            "drug_um": p.drug_um if p.drug != "none" else 0.0,
            **epsp,
            "nmda_charge_pC": float(sum(n.q for n in nmdas)),
            "ca_entry_pC": float(qca),
            # pC / (2 F) -> mol; x 1e-12 (pC) x 1e18 (amol)
            "ca_entry_amol": float(qca * 1e-12 / (2 * FARADAY) * 1e18),
            **base.features(),
            "axon_stub_added": bool(cell.stub_added),
        }
        labels = [cell.label(cell.soma), cell.label(sites[0])]
        report = stacked_report(
            [vs, vd], p.record_every, settings.dt, labels, "v", "mV", node_ids=[0]
        )
        del myelinated
        cell.delete()
        return ConditionResult(features=[features], reports={"cell": report})

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.epsp_mg import plot_epsp_mg

        return [plot_epsp_mg(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(EpspMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
