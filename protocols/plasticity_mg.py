"""Calcium-based synaptic plasticity (Graupner & Brunel 2012) vs [Mg]o: STDP and frequency.

Methods
-------
1. *Cell.* The default pyramidal cell (``l5_pyramid_stylized`` with the ``pyramidal``
   biophysics of Mainen & Sejnowski 1996: dendritic Na+ channels carry a
   back-propagating action potential); any morphology or biophysics with the usual options.
2. *Synapse.* One ``GluSynMg`` (AMPA + NMDA, Mg2+ block ``block_model``, deterministic
   depressing release) at a random site of the location rule ``synapse`` (seeded), with a
   ``CaPlasticity`` point process: spine Ca2+ from the synapse's NMDA Ca2+ current and the
   spine's HVA Ca2+ channels, driving the Graupner & Brunel (2012) rule with its cortical
   slice parameters; the efficacy w scales the AMPA conductance as it evolves
   (``mgneuron.synapses.attach_plasticity``; ``mechanisms/ca_plasticity.mod``).
3. *Rest.* The model is brought to the steady state of the bath before ``t = 0``; the rule
   is frozen during the settling (w = 1, rho = 0.5 at t = 0).
4. *Induction* from ``t = t_start``:
   ``stdp``: ``n_pairings`` pairings at ``pair_hz``: a presynaptic spike and, ``delta_t_ms``
   later (negative: earlier), a somatic current pulse (``post_amp_nA`` for ``post_dur_ms``)
   evoking one action potential that back-propagates into the dendrite. ``delta_t_ms`` is
   from the presynaptic spike to the onset of the pulse (the somatic spike follows the
   onset by about 1 ms).
   ``frequency``: ``n_pulses`` presynaptic spikes at ``freq_hz``, no postsynaptic
   stimulation. Slice protocols use 900 pulses at 1 Hz (Dudek & Bear 1992); 20 pulses are
   simulated here with the rule's own time constant (346 s), so |dw_pct| of slow trains is
   small: the sign is the result.
5. *Measures.* ``tstop`` after the last event the run ends; ``dw_pct`` is the change of
   w from t = 0 (100 (w_end - 1)); ``ca_peak_uM`` the peak spine Ca2+;
   ``time_above_theta_p_ms`` / ``time_above_theta_d_ms`` the time spent above the two
   thresholds; ``post_spikes`` the somatic spikes (n_pairings expected in ``stdp``).

Before anything simulates, every condition is checked: the synapse rule must match a
segment of the cell (built once per distinct cell).

Features: ``mg_mM, ca_mM, induction, delta_t_ms, freq_hz, dw_pct, ca_peak_uM,
time_above_theta_p_ms, time_above_theta_d_ms, post_spikes`` (``delta_t_ms`` is NaN for
``frequency``, ``freq_hz`` is ``pair_hz`` for ``stdp``). Typical values and the calcium
mapping: docs/guide.md, "Protocol notes: plasticity_mg".
"""

from __future__ import annotations

import numpy as np

from mgneuron.bath import apply_bath
from mgneuron.cell import build_cell
from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, Simulation
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.locations import RegionSites, parse_location
from mgneuron.measures.plasticity import (
    CA_SCALE_UM,
    PBAR_VGCC_UM3_MS,
    plasticity_features,
)
from mgneuron.measures.spikes import count_spikes
from mgneuron.mgblock import BLOCK_MODEL_CHOICES
from mgneuron.preparations.sites import check_sites
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import cell_params, cell_spec_from_params, drug_group, rest_params
from mgneuron.runner.params import celsius_param
from mgneuron.synapses import attach_plasticity, glutamatergic, instantiate


class PlasticityMg(Protocol):
    """Weight change of a calcium-based plasticity rule after STDP or trains, vs [Mg]o."""

    name = "plasticity_mg"
    title = "Calcium-based plasticity (Graupner & Brunel 2012) vs [Mg]o"
    params = (
        mg_param((0.1, 0.5, 1.0, 2.5), "[Mg]o"),
        ca_param(),
        *cell_params(),
        Param("synapse", "apical:50-150um", "",
              "location rule of the synapse (one random site among its segments, seeded)",
              str),
        Param("induction", "stdp", "", "stdp (pre-post pairings) or frequency (trains)", str,
              choices=("stdp", "frequency")),
        Param("delta_t_ms", (10.0,), "ms",
              "stdp: from the presynaptic spike to the postsynaptic pulse", float, grid=True),
        Param("n_pairings", 60, "", "stdp: number of pairings", int, minimum=1),
        Param("pair_hz", 5.0, "Hz", "stdp: pairing frequency", float, minimum=1e-3),
        Param("post_amp_nA", 3.0, "nA", "stdp: somatic current pulse", float, minimum=0.0),
        Param("post_dur_ms", 2.0, "ms", "stdp: duration of the pulse", float, minimum=1e-3),
        Param("freq_hz", (1.0,), "Hz", "frequency: presynaptic train frequency", float,
              grid=True, minimum=1e-3),
        Param("n_pulses", 20, "", "frequency: presynaptic spikes per train", int, minimum=1),
        Param("gmax_uS", 0.001, "uS", "AMPA peak conductance of a full release", float,
              minimum=0.0),
        Param("nmda_ratio", 0.5, "", "NMDA/AMPA peak conductance ratio", float, minimum=0.0),
        Param("block_model", 0, "", "NMDA Mg-block model (0 JS, 1 Woodhull, 2 kinetic, 3 VCR)",
              int, choices=BLOCK_MODEL_CHOICES),
        *drug_group(),
        Param("ca_scale_uM", CA_SCALE_UM, "uM",
              "spine Ca2+ above rest per unit of the rule's c", float, minimum=1e-9),
        Param("pbar_vgcc", PBAR_VGCC_UM3_MS, "um3/ms",
              "permeability of the spine's HVA Ca2+ channels", float, minimum=0.0),
        Param("t_start", 50.0, "ms", "time of the first presynaptic spike", float, minimum=0.0),
        celsius_param(),
        *rest_params(baseline=False),
    )  # fmt: skip
    defaults = {"tstop": 300.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse a pairing period shorter than |delta_t| and a rule matching no segment."""
        super().check_condition(p)
        if p.induction == "stdp" and abs(p.delta_t_ms) + p.post_dur_ms >= 1000.0 / p.pair_hz:
            raise ProtocolError(
                f"plasticity_mg: |delta_t_ms| = {abs(p.delta_t_ms)} ms does not fit in a "
                f"pairing period of {1000.0 / p.pair_hz:g} ms; lower --pair-hz"
            )
        if p.induction == "stdp" and p.t_start + min(p.delta_t_ms, 0.0) < 0:
            raise ProtocolError(
                f"plasticity_mg: the first postsynaptic pulse would start before t = 0 "
                f"(t_start {p.t_start} ms, delta_t_ms {p.delta_t_ms}); raise --t-start"
            )
        check_sites(cell_spec_from_params(p), "", {"synapse": p.synapse})

    def run_condition(self, p):
        from neuron import h

        # 1. The cell.
        cell = build_cell(cell_spec_from_params(p))

        # 2. One GluSynMg with spine Ca2+ and the plasticity rule.
        rule = parse_location(p.synapse)
        if isinstance(rule, RegionSites):
            rule = RegionSites(rule.region, rule.min_um, rule.max_um, 1, p.seed)
        seg = cell.segments(rule)[0]
        spec = glutamatergic(
            p.gmax_uS, p.nmda_ratio, block_model=float(p.block_model), drug=p.drug,
            drug_um=p.drug_um,
        )  # fmt: skip
        syn = instantiate(spec, seg, seed=p.seed)
        plast = attach_plasticity(syn, ca_scale_uM=p.ca_scale_uM, pbar_vgcc_um3_ms=p.pbar_vgcc)

        # 3. The induction: presynaptic spikes (and somatic pulses for stdp).
        stdp = p.induction == "stdp"
        n = p.n_pairings if stdp else p.n_pulses
        period = 1000.0 / (p.pair_hz if stdp else p.freq_hz)
        stim = h.NetStim()
        stim.start, stim.number, stim.interval, stim.noise = p.t_start, n, period, 0
        netcon = h.NetCon(stim, syn.pp, 0, 0, 1.0)
        iclamp, tvec, avec = None, None, None
        if stdp:
            onsets = p.t_start + p.delta_t_ms + period * np.arange(n)
            times = np.column_stack([onsets, onsets + p.post_dur_ms]).ravel()
            amps = np.tile([p.post_amp_nA, 0.0], n)
            tvec, avec = h.Vector(np.r_[0.0, times]), h.Vector(np.r_[0.0, amps])
            iclamp = h.IClamp(cell.soma)
            iclamp.delay, iclamp.dur = 0.0, 1e9
            avec.play(iclamp._ref_amp, tvec)
        t_last = p.t_start + period * (n - 1) + max(p.delta_t_ms if stdp else 0.0, 0.0)
        settings = RunSettings(
            tstop=t_last + p.tstop, dt=p.dt, celsius=p.celsius, v_init=cell.v_init,
            steady_state=p.steady_state,
        )  # fmt: skip

        # 4. Record the soma; bath; steady state; run.
        sim = Simulation(settings)
        v_soma = sim.record(cell.soma._ref_v)
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        sim.run(before_init=lambda: apply_bath(bath, cell.sections))

        # 5. Measures.
        vs = np.asarray(v_soma)
        t = np.arange(vs.size) * settings.dt
        features = {
            "mg_mM": p.mg_mM,
            "ca_mM": p.ca_mM,
            "induction": p.induction,
            "delta_t_ms": p.delta_t_ms if stdp else float("nan"),
            "freq_hz": p.pair_hz if stdp else p.freq_hz,
            "drug": p.drug,
            "drug_um": p.drug_um if p.drug != "none" else 0.0,
            **plasticity_features(1.0, plast.w, plast.ca_peak, plast.t_p, plast.t_d),
            "post_spikes": count_spikes(t, vs, start_ms=p.t_start - 20.0),
        }
        del netcon, iclamp, tvec, avec, stim, plast, syn
        cell.delete()
        return ConditionResult(features=[features])

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.plasticity_mg import plot_plasticity_mg

        return [plot_plasticity_mg(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(PlasticityMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
