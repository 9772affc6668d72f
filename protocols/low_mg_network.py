"""Seizure-like population bursts of a recurrent cortical network in low [Mg]o.

Methods
-------
A recurrent network of ``n_exc`` reduced pyramidal cells (soma, basal dendrite, apical
trunk and tuft; NaT, Kdr, Km and a spike-triggered slow AHP) and ``n_inh`` fast-spiking
basket cells (:func:`mgneuron.network.default_network`) is wired at random with fixed
in-degrees from ``seed``: E->E synapses are ``GluSynMg`` (AMPA + NMDA) on the dendrites,
E->I ``GluSynMg`` on the basket-cell soma, I->E and I->I ``GabaASynMg`` on the soma. Every
synapse has its own depressing release (Tsodyks-Markram) whose baseline probability
follows [Ca]o and [Mg]o (Dodge & Rahamimoff); [Mg]o also blocks the NMDA conductance
(Jahr & Stevens) and scales the GABA-A one; [Mg]o and [Ca]o shift the gating of every
Na/K channel through divalent surface-charge screening. Each cell receives an independent
Poisson background (AMPA, static release: the same in every bath). The network, its
wiring and its background depend on ``seed`` only, so every condition runs the same
"slice" in another bath.

Per condition the network is simulated for ``tstop`` ms (fixed step ``dt``). It is not
brought to a steady state first: driven by its background from the first step it has no
rest to settle to (and settling a model spread over MPI ranks would need spike exchange
at negative times). Every cell starts at ``v_init`` (-70 mV) instead, and the first
``t_discard`` ms (the start-up transient, when all cells leave that start together) are
left out of the measures. Population bursts are epochs in which the excitatory population rate
(1 ms bins, Gaussian smoothing 10 ms) exceeds ``burst_threshold_hz`` per cell and at least
20 % of the pyramidal cells fire (:func:`mgneuron.measures.network.detect_bursts`).
``nmda_scale`` 0 is the D-APV experiment (no NMDA conductance anywhere), ``gaba_scale`` 0
bicuculline.

Default conditions: the six [Mg]o values at 2 mM Ca; ``--sweep mg=0,0.1,0.3,0.5,1,2
ca=1,2,3`` adds the [Ca]o dependence.

With ``mpiexec -n N mgneuron run low_mg_network --mpi`` the cells of every condition are
dealt to the N ranks by their estimated cost (compartments + synapses,
:func:`mgneuron.network.builder.cell_costs`; ``distributed``), spikes cross ranks through
``ParallelContext``, and rank 0 gathers the spikes and writes the file; the spikes are
the same as in a serial run.

Features: ``mg_mM, ca_mM, nmda_scale, drug, drug_um, rate_exc_hz, rate_inh_hz, n_bursts,
burst_rate_hz, burst_duration_ms, burst_fraction, burst_participation, ibi_ms, synchrony,
n_spikes_exc, n_spikes_inh, lfp_event_rate_hz, lfp_n_events, lfp_rms_uV,
lfp_power_<band>`` (band: delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-80 Hz;
uV^2), ``lfp_eeg_rms_uV, n_synapses, sim_s, gather_s``: every one but the timings
``sim_s`` (initialisation + integration) and ``gather_s`` (rank 0 collecting spikes and
LFP) is the same on any number of ranks (``n_synapses`` counts the synapses of all ranks). The
number of ranks is the file attribute ``mpi_ranks``. Spikes of both populations are stored in the
SONATA layout (``/runs/<id>/spikes/excitatory``, ``.../inhibitory``).

Space and field potential: the cells lie in a layer-2/3 slab (:mod:`mgneuron.network.space`;
``--density-per-mm3``) and connect preferably to near partners (Gaussian profiles of
180 um from pyramidal, 100 um from basket cells). With ``--lfp`` (default on) the
extracellular potential of every segment's membrane current (line sources, 0.3 S/m;
:mod:`mgneuron.network.lfp`) is recorded at a 16-contact laminar probe through the slab
and an "EEG" point 10 mm above it, box-averaged over ``--lfp-interval`` ms, summed over
the ranks and stored as the report ``lfp`` (uV, one column per electrode, labelled
``probe_<depth>um`` and ``eeg``); the ``lfp_*`` features come from the contact at 550 um
(:func:`mgneuron.measures.lfp.lfp_features`).

Expected (in vitro: Isaev et al. 2012, J Neurophysiol 107:417; model precedent: Golomb
and colleagues): asynchronous firing at 1 mM Mg / 2 mM Ca; recurrent population bursts at
low [Mg]o that disappear when NMDA receptors are blocked; fewer bursts at 3 mM Ca.
Typical values and run times: docs/guide.md, "Protocol notes: low_mg_network".
"""

from __future__ import annotations

import time

from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, rank_info
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.measures.lfp import lfp_features
from mgneuron.measures.network import network_features
from mgneuron.network import EXC, INH, build, default_network, population_spikes, simulate
from mgneuron.network.lfp import LfpRecorder, default_electrodes, gather_lfp
from mgneuron.results import Report, Spikes
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import drug_group
from mgneuron.runner.params import celsius_param

MG_GRID = (0.0, 0.1, 0.3, 0.5, 1.0, 2.0)
# [Ca]o is a grid parameter with one default value: six conditions by default;
# --sweep ca=1,2,3 gives the full 18-condition grid.
CA_GRID = (2.0,)
# LFP features come from probe contact 10 (550 um deep), the one nearest the pyramidal
# somata's mean depth (415-667 um, mean 541 um; mgneuron.network.space).
LFP_CHANNEL = 10


class LowMgNetwork(Protocol):
    """Population bursting of a recurrent E/I network vs [Mg]o and [Ca]o."""

    name = "low_mg_network"
    title = "Low-Mg2+ seizure-like population bursts in a recurrent E/I network"
    distributed = True
    params = (
        mg_param(MG_GRID),
        ca_param(CA_GRID, "[Ca]o (sweep 1,2,3 for the Ca2+ dependence)"),
        Param("nmda_scale", 1.0, "", "NMDA conductance factor (0 = D-APV)", float, minimum=0.0),
        *drug_group(),
        Param(
            "gaba_scale", 1.0, "", "GABA-A conductance factor (0 = bicuculline)", float, minimum=0.0
        ),
        Param("n_exc", 80, "", "pyramidal cells", int, minimum=2),
        Param("n_inh", 20, "", "basket cells", int, minimum=1),
        Param(
            "density_per_mm3", 1.0e5, "1/mm3", "cells per mm3 of the layer-2/3 slab", float,
            minimum=1.0,
        ),
        Param(
            "g_ee_uS", 0.0015, "uS", "E->E AMPA peak conductance per release", float, minimum=0.0
        ),
        Param("nmda_ratio", 1.0, "", "E->E NMDA/AMPA peak conductance ratio", float, minimum=0.0),
        Param(
            "bg_rate_exc_hz", 200.0, "Hz", "background rate onto each pyramidal cell", float,
            minimum=0.0,
        ),
        celsius_param(),
        Param(
            "t_discard", 250.0, "ms", "start-up transient left out of the measures", float,
            minimum=0.0,
        ),
        Param("lfp", True, "", "record the LFP / EEG proxy (lfp_* features)", bool),
        Param(
            "lfp_interval", 1.0, "ms", "LFP sampling interval (box average)", float,
            minimum=0.025,
        ),
        Param(
            "burst_threshold_hz", 20.0, "Hz", "population-rate threshold of a burst", float,
            minimum=0.0,
        ),
    )  # fmt: skip
    defaults = {"tstop": 5000.0}

    @classmethod
    def validate(cls, values):
        def as_list(v):
            return v if isinstance(v, list) else [v]

        for dt in as_list(values["dt"]):
            for li in as_list(values["lfp_interval"]):
                if abs(li / dt - round(li / dt)) > 1e-6:
                    raise ProtocolError(
                        f"{cls.name}: --lfp-interval ({li} ms) must be a whole number of "
                        f"time steps (dt = {dt} ms)"
                    )
        tstop, discard = min(as_list(values["tstop"])), max(as_list(values["t_discard"]))
        if tstop <= discard:
            raise ProtocolError(
                f"{cls.name}: tstop ({tstop} ms) must be longer than t_discard "
                f"({discard} ms); lower --t-discard or raise --tstop"
            )

    def run_condition(self, p):
        # 1. The network: the same cells, wiring and background in every condition.
        spec = (
            default_network(
                p.n_exc,
                p.n_inh,
                seed=p.seed,
                g_ee_uS=p.g_ee_uS,
                nmda_ratio=p.nmda_ratio,
                bg_rate_exc_hz=p.bg_rate_exc_hz,
                density_per_mm3=p.density_per_mm3,
            )
            .scaled(nmda=p.nmda_scale, gaba=p.gaba_scale)
            .with_drug(p.drug, p.drug_um)
        )
        info = rank_info()

        # 2. Build this rank's cells, bathe them, simulate.
        settings = RunSettings(tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=-70.0)
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        electrodes = default_electrodes(spec.slab.side_um(spec.n_cells))
        with build(spec, info) as net:
            rec = LfpRecorder(net, electrodes, settings, p.lfp_interval) if p.lfp else None
            sim_s = simulate(net, settings, bath, events=rec.events() if rec else None)
            n_syn = net.n_synapses
            t_gather = time.perf_counter()
            lfp = gather_lfp(rec.finish()) if rec else None
            spikes = population_spikes(net)
            gather_s = time.perf_counter() - t_gather
        if spikes is None:  # not rank 0: rank 0 gathers and writes
            return ConditionResult()

        # 3. Measures, after the start-up transient.
        feats, _ = network_features(
            spikes, spec.n_exc, spec.n_inh, p.t_discard, p.tstop, threshold_hz=p.burst_threshold_hz
        )
        row = {"mg_mM": p.mg_mM, "ca_mM": p.ca_mM, "nmda_scale": p.nmda_scale, "drug": p.drug}
        row["drug_um"] = p.drug_um if p.drug != "none" else 0.0
        row.update(feats)
        reports = {}
        if lfp is not None:
            # Features of the contact nearest the pyramidal somata's mean depth (541 um).
            ch = LFP_CHANNEL
            lf, _ = lfp_features(lfp[:, ch], p.lfp_interval, p.t_discard, p.tstop)
            row.update(lf)
            row["lfp_eeg_rms_uV"] = float(lfp[int(p.t_discard / p.lfp_interval) :, -1].std())
            n = lfp.shape[0]
            reports["lfp"] = Report(
                lfp,
                (0.0, n * p.lfp_interval, p.lfp_interval),
                [0],
                list(range(electrodes.n)),
                variable="lfp",
                units="uV",
                element_labels=list(electrodes.names),
            )
        row.update({"n_synapses": n_syn, "sim_s": sim_s, "gather_s": gather_s})
        return ConditionResult(
            features=[row],
            spikes={pop: Spikes(*spikes[pop]) for pop in (EXC, INH)},
            reports=reports,
        )

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.low_mg_network import plot_low_mg_network

        return [plot_low_mg_network(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(LowMgNetwork, argv)


if __name__ == "__main__":
    raise SystemExit(main())
