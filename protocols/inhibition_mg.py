"""Excitation and GABA-A inhibition of a pyramidal cell vs [Mg]o.

Methods
-------
A pyramidal cell (default: mgneuron's stylized layer-5 pyramid with the Mainen & Sejnowski
1996 active set; ``--morphology`` / ``--biophysics`` swap either) sits in a bath of the
given [Mg]o and [Ca]o. It carries ``n_exc`` excitatory ``GluSynMg`` synapses (AMPA + NMDA)
at random dendritic sites (``exc_region``, length-weighted) and ``n_inh`` inhibitory
``GabaASynMg`` synapses, a fraction ``inh_soma_fraction`` on the soma and the rest at
random sites of ``inh_region`` (proximal dendrites by default). Both share the release
model of ``mechanisms/release.inc``: [Ca]o and [Mg]o set every synapse's baseline release
probability (Dodge & Rahamimoff 1967); [Mg]o also blocks NMDA receptors (Jahr & Stevens
1990) and scales the GABA-A conductance (saturating, 1 at 1 mM; ``--mg-modulation 0``
switches it off).

Each condition runs two simulations of the same cell, both from the steady state of the
cell in its bath (``steady_state``, default true: large backward-Euler steps before
``t = 0``, :mod:`mgneuron.engine.steady_state`; a cell with an MRG axon settles its
parts' different resting potentials there):

1. **IPSP**: no background input. A control run, and a run in which every inhibitory
   synapse receives one spike at ``t_ipsp``; ``ipsp_mV`` is the largest difference
   control - volley in the ``ipsp_window`` after it (positive mV: hyperpolarising), with
   ``v_rest_mV`` the control potential at ``t_ipsp``. The control run's baseline over
   the 10 ms before the volley is checked (:mod:`mgneuron.measures.baseline`):
   ``baseline_drift_mV``, ``baseline_ok`` (moves by at most ``baseline_tol_mV``, no
   spike; a warning otherwise), ``spontaneous_spikes`` (before the volley). A cell that
   fires without input (``spontaneous_hz`` > 0, upward crossings of -20 mV in the
   control run) and spikes in the 10 ms before the volley or after it has no defined
   IPSP: ``ipsp_mV`` is NaN then.
2. **Background**: every synapse receives an independent Poisson train (``rate_exc_hz``,
   ``rate_inh_hz``) for ``tstop`` ms, from ``t = 0``: there is no quiet baseline, and the
   start-up transient (from rest to the driven state) is left out: ``rate_hz`` is the
   somatic firing rate (upward crossings of -20 mV) after ``t_transient``; ``ei_ratio``
   is the mean total excitatory conductance (AMPA + unblocked NMDA) over the mean total
   inhibitory conductance in that window, with both means as ``g_exc_nS`` and
   ``g_inh_nS``.

Before anything simulates, every condition is checked: ``t_transient`` before ``tstop``,
and the synapse rules match segments of the cell (built once per distinct cell,
:mod:`mgneuron.preparations.sites`).

The input is the same in every condition: synapse sites, spike trains (numpy
``SeedSequence(seed)``) and, in the stochastic mode, the Random123 release streams
(seed, 0, synapse index) do not depend on the bath, so differences between conditions are
due to [Mg]o and [Ca]o only.

Features: ``mg_mM, rate_hz, ei_ratio, ipsp_mV`` and ``ca_mM, v_rest_mV, spontaneous_hz,
g_exc_nS, g_inh_nS, n_spikes, glu_release_prob, gaba_release_prob, gaba_mg_mod,
baseline_drift_mV, baseline_ok, spontaneous_spikes, axon_stub_added``.
Report ``soma``: the somatic potential of the background run; spikes ``cell``: its spike
times. Typical values: docs/guide.md, "Protocol notes: inhibition_mg".
"""

from __future__ import annotations

import warnings

import numpy as np

from mgneuron.axon import apply_myelinated_axon
from mgneuron.bath import apply_bath
from mgneuron.cell import build_cell
from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, Simulation, sample_interval
from mgneuron.environment import PRESETS, Environment
from mgneuron.errors import ProtocolError
from mgneuron.locations import RegionSites, parse_location
from mgneuron.measures import crossing_times
from mgneuron.measures.baseline import BaselineWarning, baseline
from mgneuron.preparations.sites import check_sites
from mgneuron.release import RELEASE_MODELS
from mgneuron.results import Spikes
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import (
    cell_params,
    cell_spec_from_params,
    myelinated_axon_param,
    rest_params,
)
from mgneuron.runner.params import celsius_param, record_every_param
from mgneuron.runner.reports import stacked_report
from mgneuron.synapses import (
    GABA_RELEASE,
    GLU_RELEASE,
    EventDriver,
    SpikeTrain,
    gabaergic,
    glutamatergic,
    instantiate,
    poisson_trains,
)

PRESET_MG = tuple(sorted({env.mg_mM for env in PRESETS.values()}))
SPIKE_THRESHOLD_MV = -20.0


class InhibitionMg(Protocol):
    """Firing, E/I conductance ratio and IPSP of a pyramidal cell vs the [Mg]o presets."""

    name = "inhibition_mg"
    title = "Excitatory and GABA-A inhibitory input to a pyramidal cell vs [Mg]o"
    params = (
        mg_param(PRESET_MG, "[Mg]o (default: the bath presets)"),
        ca_param(),
        *cell_params(default_morphology="", default_biophysics="pyramidal"),
        myelinated_axon_param(),
        Param("n_exc", 200, "", "excitatory synapses", int, minimum=0),
        Param("n_inh", 60, "", "inhibitory synapses", int, minimum=0),
        Param(
            "exc_region",
            "dendrite",
            "",
            "location rule of the excitatory synapses (random sites are drawn from it)",
            str,
        ),
        Param(
            "inh_region",
            "dendrite:0-150um",
            "",
            "location rule of the dendritic inhibitory synapses",
            str,
        ),
        Param(
            "inh_soma_fraction",
            0.3,
            "",
            "fraction of inhibitory synapses on the soma",
            float,
            minimum=0.0,
        ),
        Param("rate_exc_hz", 10.0, "Hz", "Poisson rate per excitatory synapse", float, minimum=0.0),
        Param("rate_inh_hz", 10.0, "Hz", "Poisson rate per inhibitory synapse", float, minimum=0.0),
        Param(
            "gmax_exc_uS",
            0.001,
            "uS",
            "AMPA peak conductance of a full release",
            float,
            minimum=0.0,
        ),
        Param("nmda_ratio", 0.5, "", "NMDA/AMPA peak conductance ratio", float, minimum=0.0),
        Param(
            "gmax_inh_uS",
            0.002,
            "uS",
            "GABA-A peak conductance of a full release at 1 mM Mg",
            float,
            minimum=0.0,
        ),
        Param("e_gaba", -75.0, "mV", "GABA-A reversal potential", float),
        Param("mg_modulation", True, "", "[Mg]o modulates the GABA-A conductance", bool),
        Param(
            "release_model",
            "dodge_rahamimoff",
            "",
            "bath scaling of release (both synapse types)",
            str,
            choices=tuple(RELEASE_MODELS),
        ),
        Param("stochastic", False, "", "binomial release (5 sites per synapse)", bool),
        Param(
            "t_ipsp",
            150.0,
            "ms",
            "time of the inhibitory volley in the IPSP run",
            float,
            minimum=1.0,
        ),
        Param("ipsp_window", 50.0, "ms", "IPSP search window after the volley", float, minimum=1.0),
        Param("t_transient", 100.0, "ms", "start of the analysis window", float, minimum=0.0),
        celsius_param(),
        record_every_param(0.5, "sampling of stored traces and conductances"),
        *rest_params(),
    )
    defaults = {"tstop": 1100.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse an analysis window after tstop, a bad somatic fraction, and synapse
        rules that match no segment of the cell."""
        super().check_condition(p)
        if p.t_transient >= p.tstop:
            raise ProtocolError(
                f"inhibition_mg: t_transient ({p.t_transient} ms) must come before tstop "
                f"({p.tstop} ms)"
            )
        if not 0.0 <= p.inh_soma_fraction <= 1.0:
            raise ProtocolError("inhibition_mg: inh_soma_fraction must lie in [0, 1]")
        n_dend_inh = p.n_inh - int(round(p.inh_soma_fraction * p.n_inh))
        rules = {"exc_region": (p.exc_region, p.n_exc), "inh_region": (p.inh_region, n_dend_inh)}
        rules = {name: rule for name, (rule, n) in rules.items() if n > 0}
        check_sites(cell_spec_from_params(p), p.myelinated_axon, rules)

    def run_condition(self, p):
        seed = p.seed
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)

        # 1. The cell, and its myelinated axon if one is asked for.
        cell = build_cell(cell_spec_from_params(p))
        _axon = apply_myelinated_axon(cell, p.myelinated_axon)

        # 2. Synapse sites (rules drawn with the run's seed: the same in every condition).
        exc_sites = _draw(cell, p.exc_region, p.n_exc, seed)
        n_soma = int(round(p.inh_soma_fraction * p.n_inh))
        inh_sites = [cell.soma] * n_soma + _draw(cell, p.inh_region, p.n_inh - n_soma, seed + 1)

        # 3. Synapses; Random123 release streams (seed, 0, index) for the stochastic mode.
        release = {"model": p.release_model, "stochastic": p.stochastic, "n_sites": 5}
        glu = glutamatergic(
            p.gmax_exc_uS, nmda_ratio=p.nmda_ratio, release=GLU_RELEASE.with_(**release)
        )
        gaba = gabaergic(
            p.gmax_inh_uS, e_gaba_mV=p.e_gaba, mg_modulation=p.mg_modulation,
            release=GABA_RELEASE.with_(**release),
        )  # fmt: skip
        exc = [instantiate(glu, seg, seed, 0, k) for k, seg in enumerate(exc_sites)]
        inh = [instantiate(gaba, seg, seed, 0, len(exc) + k) for k, seg in enumerate(inh_sites)]
        apply_bath(bath, cell.sections)  # after the synapses: they inserted the ions

        # 4. Inputs: one synchronous inhibitory volley (IPSP run); Poisson trains
        #    (background run), train k from SeedSequence(seed).spawn(...)[k].
        volley = EventDriver()
        for syn in inh:
            volley.add(syn, SpikeTrain((p.t_ipsp,)))
        background = EventDriver()
        trains_e = poisson_trains(len(exc), p.rate_exc_hz, p.tstop, seed)
        trains_i = poisson_trains(len(inh), p.rate_inh_hz, p.tstop, seed + 1)
        for syn, train in zip(exc + inh, trains_e + trains_i, strict=True):
            background.add(syn, train)

        def run_bath(sim):
            sim.run(before_init=lambda: apply_bath(bath, cell.sections))

        # 5. IPSP: a quiet control run and a run with the volley; the IPSP is the largest
        #    difference control - volley in the window after the volley, undefined when
        #    the cell fires near the volley.
        soma, v_init = cell.soma, cell.v_init
        t_ipsp = p.t_ipsp
        ipsp_settings = RunSettings(
            tstop=t_ipsp + p.ipsp_window, dt=p.dt, celsius=p.celsius, v_init=v_init,
            steady_state=p.steady_state,
        )  # fmt: skip
        background.enabled = False
        quiet = {}
        for name, on in (("control", False), ("volley", True)):
            volley.enabled = on
            sim = Simulation(ipsp_settings)
            v_vec = sim.record(soma._ref_v)
            run_bath(sim)
            quiet[name] = np.array(v_vec)
        tq = np.arange(len(quiet["control"])) * ipsp_settings.dt
        k0 = int(round(t_ipsp / ipsp_settings.dt))
        v_rest = float(quiet["control"][k0])
        base = baseline(tq, quiet["control"], tq[k0], tol_mV=p.baseline_tol_mV)
        if not base.ok:
            warnings.warn(f"inhibition_mg, [Mg]o = {p.mg_mM} mM: {base.describe()}",
                          BaselineWarning, stacklevel=2)  # fmt: skip
        spont = crossing_times(tq, quiet["control"], SPIKE_THRESHOLD_MV)
        fired = any(
            (crossing_times(tq, quiet[n], SPIKE_THRESHOLD_MV) >= t_ipsp - 10.0).any() for n in quiet
        )
        diff = quiet["control"][k0:] - quiet["volley"][k0:]
        ipsp = float("nan") if fired else float(diff.max())

        # 6. Background run: soma potential (every step), spikes, summed conductances.
        settings = RunSettings(tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=v_init,
                               steady_state=p.steady_state)  # fmt: skip
        every = sample_interval(settings, p.record_every)
        background.enabled, volley.enabled = True, False
        sim = Simulation(settings)
        v_vec = sim.record(soma._ref_v)
        ge = [sim.record(s.pp._ref_g, every) for s in exc]
        gi = [sim.record(s.pp._ref_g, every) for s in inh]
        run_bath(sim)
        v = np.asarray(v_vec)
        t = np.arange(len(v)) * settings.dt
        spikes = crossing_times(t, v, SPIKE_THRESHOLD_MV)
        window = p.tstop - p.t_transient
        n_spk = int((spikes >= p.t_transient).sum())
        tg = np.arange(len(ge[0]) if ge else len(gi[0]) if gi else 0) * every
        keep = tg >= p.t_transient
        g_exc = float(np.sum([np.asarray(x)[keep] for x in ge], axis=0).mean()) if ge else 0.0
        g_inh = float(np.sum([np.asarray(x)[keep] for x in gi], axis=0).mean()) if gi else 0.0

        nan = float("nan")
        row = {
            "mg_mM": p.mg_mM,
            "ca_mM": p.ca_mM,
            "rate_hz": 1000.0 * n_spk / window,
            "ei_ratio": g_exc / g_inh if g_inh > 0 else nan,
            "ipsp_mV": ipsp,
            "v_rest_mV": v_rest,
            "spontaneous_hz": 1000.0 * len(spont) / ipsp_settings.tstop,
            "g_exc_nS": 1000.0 * g_exc,
            "g_inh_nS": 1000.0 * g_inh,
            "n_spikes": n_spk,
            "glu_release_prob": float(exc[0].pp.release_prob) if exc else nan,
            "gaba_release_prob": float(inh[0].pp.release_prob) if inh else nan,
            "gaba_mg_mod": float(inh[0].pp.mg_mod) if inh else nan,
            "baseline_drift_mV": base.drift_mV,
            "baseline_ok": base.ok,
            "spontaneous_spikes": base.spontaneous_spikes,
            "axon_stub_added": bool(cell.stub_added),
        }
        report = stacked_report([v], p.record_every, settings.dt, ["soma"], "v", "mV", [0])
        spk = Spikes(spikes, np.zeros(len(spikes), dtype=np.uint64))
        del volley, background, exc, inh, ge, gi, v_vec, soma, sim
        cell.delete()
        return ConditionResult(features=[row], reports={"soma": report}, spikes={"cell": spk})

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.inhibition_mg import plot_inhibition_mg

        return [plot_inhibition_mg(path, figure_path(path, out_dir))]


def _draw(cell, rule: str, n: int, seed: int) -> list:
    """``n`` random sites of a location rule (length-weighted), reproducible from seed."""
    if n <= 0:
        return []
    base = parse_location(rule)
    if not isinstance(base, RegionSites):
        return [base.segment(cell)] * n  # a point rule (soma, ais): all n there
    return RegionSites(base.region, base.min_um, base.max_um, n, seed).segments(cell)


def main(argv=None) -> int:
    return protocol_main(InhibitionMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
