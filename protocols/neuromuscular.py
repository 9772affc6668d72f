"""Neuromuscular transmission vs [Mg]o and [Ca]o: quantal content, safety factor, train-of-four.

Methods
-------
Model (:mod:`mgneuron.endplate`, built by :mod:`mgneuron.preparations.muscle`): a 50 um
mammalian muscle fibre (4 mm, Na+/K+ channels of Cannon, Brown & Corey 1993 with the
package's divalent screening (``screening``: as configured, or e.g. ``gcg_binding``),
``na_enrichment`` times the Na+ density over the
``na_zone`` um around the endplate) with its endplate in the middle. The motor nerve terminal
releases acetylcholine in quanta from ``n_sites`` release sites through the package's
release model (``mechanisms/release.inc``: Dodge & Rahamimoff 1967 competition of Mg2+
with Ca2+, depletion with recovery ``tau_rec``); each quantum opens ``quantal_nS`` of
nicotinic receptors. The nerve is stimulated with a train of four at 2 Hz (the
anaesthetist's TOF; ``isi_ms`` 500) from ``t_first``.

Per condition ([Mg]o x [Ca]o):

1. Threshold: the smallest endplate conductance (in quanta, fixed steps of ``dt``) that
   fires a propagated action potential 1 mm away, by bisection to 0.5 %; the
   Na+-blocked endplate potential of that conductance is the depolarisation needed,
   ``E_AP - E_M``.
2. Endplate potentials (fixed steps): the train of four on a Na+-blocked fibre with the
   mean release (the endplate potential as recorded under mu-conotoxin), one quantum on
   another (the miniature endplate potential), and an intact fibre (stored).
3. Train of four, variable-step integration (CVODE): ``n_trials`` intact fibres with
   binomial quanta (Random123 ids (seed, trial, 0): the same streams for every bath,
   common random numbers); only spike times and quanta are recorded.
Every run starts from the steady state of the fibre in its bath.

Features (one row per condition)::

    mg_mM, ca_mM            the bath (mM)
    quantal_content         quanta released by the first impulse (mean release: n_sites P)
    quantal_content_trials  mean quanta of the stochastic fibres (first impulse)
    epp_mV                  first endplate potential, Na+ blocked, mean release (mV)
    mepp_mV                 miniature endplate potential, Na+ blocked (mV)
    threshold_depol_mV      E_AP - E_M: the Na+-blocked EPP that just fires (mV)
    threshold_quanta        quanta of that EPP
    safety_factor           epp_mV / threshold_depol_mV (Wood & Slater 2001)
    response1..response4    fraction of fibres firing to each stimulus of the TOF
    tof_ratio               response4 / response1 (NaN when response1 = 0: TOF count 0)
    epp_tof_ratio           4th / 1st endplate potential (Na+ blocked): the run-down
    blocked                 1 when fewer than half the fibres fire to the first stimulus
    spontaneous             1 when the fibre fires with no transmitter, or more than once
                            per stimulus (then safety_factor and tof_ratio are NaN):
                            low [Ca]o + [Mg]o
    rest_mV                 resting potential of the fibre (mV)

Tables: ``calcium_dependence`` (per [Mg]o with >= 2 [Ca]o: the log-log slope of
quantal content and of the EPP vs [Ca]o, beside the Dodge-Rahamimoff formula's) and
``therapeutic_window`` (per [Ca]o: the [Mg]o where the safety factor falls below 1 and
where transmission blocks (response1 through 0.5, linear interpolation), with the total
serum Mg2+ they correspond to and the clinical
levels of Lu & Nightingale 2000). Report ``endplate``: the endplate potentials of step 2.
Typical values: docs/guide.md, "Protocol notes: neuromuscular".
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from mgneuron.bath import apply_bath, configure_screening
from mgneuron.cli import protocol_main
from mgneuron.endplate import (
    CLINICAL_SERUM_MG,
    EndplateSpec,
    MuscleFibreSpec,
    total_from_ionized,
)
from mgneuron.engine import RunSettings, Simulation
from mgneuron.engine.state import hoc
from mgneuron.environment import Environment
from mgneuron.measures.bisection import bisect_threshold
from mgneuron.measures.neuromuscular import (
    crossing,
    fired,
    loglog_slope,
    peaks_after,
    safety_factor,
    tof_ratio,
)
from mgneuron.preparations.muscle import build_fibre
from mgneuron.release import dodge_rahamimoff_factor
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.params import celsius_param, record_every_param, screening_param
from mgneuron.runner.reports import stacked_report
from mgneuron.screening import screening_changes
from mgneuron.synapses import EventDriver, regular_train

N_TOF = 4  # stimuli of a train of four
RESPONSE_MS = 20.0  # an action potential counts for the stimulus it follows within this
EPP_WINDOW_MS = 15.0  # search window of an endplate potential's peak


class Neuromuscular(Protocol):
    """Quantal content, endplate potential, safety factor and train-of-four vs [Mg]o, [Ca]o."""

    name = "neuromuscular"
    title = "Neuromuscular junction: quantal content, safety factor and train-of-four vs [Mg]o"
    params = (
        mg_param((0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)),
        ca_param((2.0,)),
        Param("isi_ms", 500.0, "ms", "interval of the train of four (2 Hz)", float, minimum=1.0),
        Param("t_first", 10.0, "ms", "time of the first stimulus", float, minimum=1.0),
        Param("n_trials", 40, "", "muscle fibres with stochastic quanta (TOF)", int, minimum=1),
        Param("n_sites", 500, "", "release sites of the nerve terminal", int, minimum=1),
        Param("U", 0.1, "", "release probability per site at 2 mM Ca, 1 mM Mg", float,
              minimum=0.0),
        Param("quantal_nS", EndplateSpec.quantal_conductance_nS, "nS",
              "receptor conductance opened by one quantum", float, minimum=1e-9),
        Param("tau_rec", 5000.0, "ms", "recovery of release sites from depletion", float,
              minimum=1e-9),
        Param("dr_k1", EndplateSpec.dr_k1_mM, "mM", "Dodge-Rahamimoff K1 (CaX)", float,
              minimum=1e-9),
        Param("dr_k2", EndplateSpec.dr_k2_mM, "mM", "Dodge-Rahamimoff K2 (MgX)", float,
              minimum=1e-9),
        Param("dr_n", EndplateSpec.dr_n, "", "Dodge-Rahamimoff cooperativity n", float,
              minimum=0.0),
        Param("gna", MuscleFibreSpec.gna_S_cm2, "S/cm2", "muscle Na+ conductance", float,
              minimum=0.0),
        Param("na_enrichment", MuscleFibreSpec.na_enrichment, "",
              "Na+ density around the endplate / elsewhere (1: uniform)", float,
              minimum=1e-9),
        Param("na_zone", MuscleFibreSpec.na_zone_um, "um",
              "length of fibre, centred on the endplate, with the enriched Na+ density",
              float, minimum=0.0),
        screening_param(),
        celsius_param(37.0),
        record_every_param(0.1, help="sampling interval of the stored endplate potentials"),
    )  # fmt: skip
    defaults = {"tstop": 1.0}  # extended to the last stimulus + 30 ms

    @classmethod
    def check_condition(cls, p):
        """Refuse a release probability outside [0, 1] (tstop grows to the train's end)."""
        from mgneuron.errors import ProtocolError

        super().check_condition(p)
        if not 0 <= p.U <= 1:
            raise ProtocolError(f"neuromuscular: U must lie in [0, 1], got {p.U}")
        if p.isi_ms < RESPONSE_MS:
            raise ProtocolError(
                f"neuromuscular: isi_ms must be >= {RESPONSE_MS:g} ms (the window in which an "
                f"action potential counts as the response to a stimulus), got {p.isi_ms}"
            )
        if p.na_zone > MuscleFibreSpec.length_um:
            raise ProtocolError(
                f"neuromuscular: na_zone must be <= the fibre length "
                f"({MuscleFibreSpec.length_um:g} um), got {p.na_zone}"
            )
        if p.ca_mM <= 0:
            raise ProtocolError(f"neuromuscular: [Ca]o must be > 0 mM for release, got {p.ca_mM}")

    def run_condition(self, p):
        h = hoc()
        # 1. The model and the bath (and the screening set-up); the train of four.
        if p.screening != "current":  # the engine puts the GLOBALs back after the condition
            configure_screening(**screening_changes(p.screening))
        fibre = MuscleFibreSpec(
            gna_S_cm2=p.gna, na_enrichment=p.na_enrichment, na_zone_um=p.na_zone
        )
        endplate = EndplateSpec(
            n_sites=p.n_sites, U=p.U, quantal_conductance_nS=p.quantal_nS, tau_rec_ms=p.tau_rec,
            dr_n=p.dr_n, dr_k1_mM=p.dr_k1, dr_k2_mM=p.dr_k2,
        )  # fmt: skip
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        train = regular_train(N_TOF, p.isi_ms, p.t_first)
        times = train.times_ms
        p_release = float(endplate.release().release_probability(p.ca_mM, p.mg_mM))
        m_expected = endplate.n_sites * p_release

        # 2. Threshold: the smallest endplate conductance (quanta) firing the fibre (built
        #    and dropped before the train's fibres exist, so its runs simulate two fibres).
        thr_q, thr_depol = self._threshold(fibre, endplate, bath, p, m_expected)

        # 3. Endplate potentials (fixed steps, recorded every step): the train of four on a
        #    Na+-blocked fibre with the mean release, one quantum on another, and an
        #    intact fibre with the mean release (stored for the figure).
        epp_fibre = build_fibre(fibre, endplate, na_blocked=True, gid=0)
        mepp_fibre = build_fibre(fibre, endplate, na_blocked=True, gid=1)
        intact = build_fibre(fibre, endplate, gid=2)
        driver = EventDriver()
        driver.add(epp_fibre.synapse, train)
        driver.add(intact.synapse, train)
        # One quantum on the mEPP fibre: the mean release of the first impulse, scaled.
        driver.add(
            mepp_fibre.synapse, times[:1], weight=1.0 / m_expected if m_expected > 0 else 0.0
        )
        tstop = max(p.tstop, times[-1] + RESPONSE_MS + 10.0)
        settings = RunSettings(tstop=tstop, dt=p.dt, celsius=p.celsius, v_init=-85.0,
                               steady_state=True)  # fmt: skip
        sim = Simulation(settings)
        t_vec = sim.record(h._ref_t)
        v_vecs = [sim.record(f.endplate._ref_v) for f in (epp_fibre, mepp_fibre, intact)]
        sections = [f.section for f in (epp_fibre, mepp_fibre, intact)]
        sim.run(before_init=partial(apply_bath, bath, sections))
        t = np.asarray(t_vec)
        traces = np.array([np.asarray(v) for v in v_vecs])
        epps = peaks_after(t, traces[0], times, EPP_WINDOW_MS)
        mepp = float(peaks_after(t, traces[1], times[:1], EPP_WINDOW_MS)[0])
        rest = float(traces[0][0])
        m_det = float(epp_fibre.synapse.pp.release_prob) * endplate.n_sites
        del driver, epp_fibre, mepp_fibre, intact, sim, t_vec, v_vecs

        # 4. Train of four on n_trials intact fibres with binomial quanta (CVODE; only
        #    spike times and quanta are recorded, so the integrator never stops to sample).
        trials = [
            build_fibre(fibre, endplate, stochastic=True, seed=p.seed, gid=k)
            for k in range(p.n_trials)
        ]
        driver = EventDriver()
        for f in trials:
            driver.add(f.synapse, train)
        quanta = np.zeros((p.n_trials, N_TOF))

        def read_quanta(k: int) -> None:
            for i, f in enumerate(trials):
                quanta[i, k] = f.synapse.pp.quanta

        events = [(t0 + 0.5, partial(read_quanta, k)) for k, t0 in enumerate(times)]
        sections = [f.section for f in trials]
        cv_settings = RunSettings(tstop=tstop, dt=p.dt, celsius=p.celsius, v_init=-85.0,
                                  cvode=True, steady_state=True)  # fmt: skip
        Simulation(cv_settings).run(before_init=partial(apply_bath, bath, sections), events=events)
        fires = np.array([fired(np.asarray(f.spikes), times, RESPONSE_MS) for f in trials])
        responses = fires.mean(axis=0)
        # A fibre that fires without transmitter (low divalents: screening moves Na+
        # activation to rest, as in hypocalcaemic tetany) has no threshold: so does one
        # with action potentials outside the responses (one per stimulus at most).
        extra = sum(len(f.spikes) for f in trials) - int(fires.sum())
        spontaneous = not np.isfinite(thr_depol) or extra > 0
        trials.clear()  # drop the fibres before the next condition
        del driver

        row = {
            "mg_mM": p.mg_mM,
            "ca_mM": p.ca_mM,
            "quantal_content": m_det,
            "quantal_content_trials": float(quanta[:, 0].mean()),
            "epp_mV": float(epps[0]),
            "mepp_mV": mepp,
            "threshold_depol_mV": thr_depol,
            "threshold_quanta": thr_q,
            "safety_factor": safety_factor(float(epps[0]), thr_depol)
            if not spontaneous
            else float("nan"),
            **{f"response{k + 1}": float(r) for k, r in enumerate(responses)},
            "tof_ratio": tof_ratio(responses) if not spontaneous else float("nan"),
            "epp_tof_ratio": float(epps[3] / epps[0]) if epps[0] > 0 else float("nan"),
            "blocked": int(responses[0] < 0.5 and not spontaneous),
            "spontaneous": int(spontaneous),
            "rest_mV": rest,
            "release_prob": p_release,
            "n_trials": int(p.n_trials),
        }
        labels = ["Na+ blocked, mean release", "Na+ blocked, one quantum", "intact, mean release"]
        report = stacked_report(traces, p.record_every, p.dt, labels, "v_endplate", "mV")
        return ConditionResult(features=[row], reports={"endplate": report})

    @staticmethod
    def _threshold(fibre, endplate, bath, p, m_expected: float) -> tuple[float, float]:
        """Quanta and Na+-blocked depolarisation (mV) of the smallest EPP that fires."""
        from mgneuron.engine import run

        h = hoc()
        intact = build_fibre(fibre, endplate, gid=0)
        blocked = build_fibre(fibre, endplate, na_blocked=True, gid=1)
        driver = EventDriver()
        t0 = 5.0
        ncs = [driver.add(f.synapse, [t0]) for f in (intact, blocked)]
        settings = RunSettings(tstop=t0 + RESPONSE_MS, dt=p.dt, celsius=p.celsius,
                               v_init=-85.0, steady_state=True)  # fmt: skip
        sections = [intact.section, blocked.section]
        scale = 1.0 / m_expected if m_expected > 0 else 0.0

        def fires(q: float) -> bool:
            for nc in ncs:
                nc.weight[0] = q * scale
            run(settings, before_init=partial(apply_bath, bath, sections))
            return len(intact.spikes) > 0

        if scale == 0.0 or fires(0.0):  # no release, or the fibre fires by itself
            return float("nan"), float("nan")
        q_th = bisect_threshold(
            fires, start=10.0, rel_tol=0.005, max_value=100.0 * endplate.n_sites
        )
        if not np.isfinite(q_th):
            return float("nan"), float("nan")
        sim_v = h.Vector()
        sim_v.record(blocked.endplate._ref_v)
        sim_t = h.Vector()
        sim_t.record(h._ref_t)
        fires(q_th)
        depol = float(peaks_after(np.asarray(sim_t), np.asarray(sim_v), [t0], EPP_WINDOW_MS)[0])
        return float(q_th), depol

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """Ca dependence (log-log slopes) and the therapeutic window ([Mg]o of SF = 1, block)."""
        if features.empty:
            return {}
        out = {}
        rows = []
        for mg, grp in features.groupby("mg_mM"):
            grp = grp.sort_values("ca_mM")
            if len(grp) < 2:
                continue
            ca = grp["ca_mM"].to_numpy()
            f = dodge_rahamimoff_factor(ca, mg, values["dr_n"], values["dr_k1"], values["dr_k2"])
            rows.append({
                "mg_mM": float(mg), "ca_low_mM": float(ca[0]), "ca_high_mM": float(ca[-1]),
                "slope_quantal_content": loglog_slope(ca, grp["quantal_content"]),
                "slope_epp": loglog_slope(ca, grp["epp_mV"]),
                "slope_formula": loglog_slope(ca, f),
            })  # fmt: skip
        if rows:
            out["calcium_dependence"] = pd.DataFrame(rows)
        rows = []
        for ca, grp in features.groupby("ca_mM"):
            grp = grp.sort_values("mg_mM")
            if len(grp) < 2:
                continue
            mg = grp["mg_mM"].to_numpy()
            mg_sf1 = crossing(mg, grp["safety_factor"].to_numpy(), 1.0)
            mg_block = crossing(mg, grp["response1"].to_numpy(), 0.5)
            row = {"ca_mM": float(ca), "mg_sf_below_1_mM": mg_sf1, "mg_block_mM": mg_block}
            for name, value in (("sf_below_1", mg_sf1), ("block", mg_block)):
                hi, lo = total_from_ionized(value) if np.isfinite(value) else (np.nan, np.nan)
                row[f"total_serum_{name}_low_mM"] = lo
                row[f"total_serum_{name}_high_mM"] = hi
            for key, level in CLINICAL_SERUM_MG.items():
                row[f"clinical_{key}_low_mM"], row[f"clinical_{key}_high_mM"] = level["mmol_L"]
            rows.append(row)
        if rows:
            out["therapeutic_window"] = pd.DataFrame(rows)
        return out

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.neuromuscular import plot_neuromuscular

        return [plot_neuromuscular(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(Neuromuscular, argv)


if __name__ == "__main__":
    raise SystemExit(main())
