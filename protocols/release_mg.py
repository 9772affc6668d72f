"""Transmitter release vs [Ca]o and [Mg]o: first EPSC, paired-pulse ratio, train depression.

Methods
-------
An isopotential compartment (20 x 20 um) is voltage-clamped at ``v_hold`` (SEClamp,
series resistance 1 kOhm; :func:`mgneuron.preparations.clamp.clamped_compartments`) and
receives one ``GluSynMg`` synapse. NMDA receptors are off by default (``nmda_ratio`` 0,
as with D-APV in the bath) so that the EPSC measures release only: the NMDA Mg2+ block
would otherwise add a postsynaptic Mg dependence. The presynaptic fibre fires
``n_pulses`` spikes every ``isi_ms`` from ``t_first``: at 20 ms the first pair is the
20-ms paired pulse; at 50 ms the train is the 10-pulse 20 Hz train, whose first pair is
the 50-ms paired pulse (later spikes cannot change the first two EPSCs).
The release model (``mechanisms/release.inc``) scales the baseline release probability by
the bath: Dodge & Rahamimoff 1967 competition (default) or the Markram et al. 2015 Hill
form (``--release-model markram_hill``; no Mg term).

No steady-state settling is needed: the compartments carry no membrane mechanism and
each clamp (series resistance 1 kOhm, a time constant of nanoseconds) holds its
compartment at ``v_hold`` from the first step; the synapses are closed until the first
spike. ``baseline_drift_mV`` verifies it on the deterministic compartment: the change of
its potential over the 10 ms before the first spike (:mod:`mgneuron.measures.baseline`).

Per condition ([Ca]o x [Mg]o x ISI) we measure the EPSC peaks (nA, positive inward) in a
window after each spike, and report

``epsc1_nA``            first EPSC amplitude
``ppr``                 EPSC2 / EPSC1
``steady_state_ratio``  mean of the last three EPSCs / EPSC1 (end of the train)
``release_prob``        baseline release probability in the bath (the mechanism's value)
``train_epsc<k>_nA``    the EPSC of spike k of the train
``baseline_drift_mV``   change of the clamped potential before the first spike (mV)

Stochastic mode (``--stochastic 1``): ``n_trials`` independent copies of the compartment in
one simulation, each synapse with ``n_sites`` binomial release sites and its own Random123
stream (ids: seed, trial, 0). The same streams serve every bath of the grid (common random
numbers), so differences across the grid are due to the bath, not to resampling. Features
are trial means, with ``n_trials``, ``epsc1_sem_nA`` and the deterministic model's
``epsc1_det_nA`` from an extra compartment in the same run.

Derived table ``dose_response`` (Dodge-Rahamimoff model): per [Mg]o and ISI, the log-log
slope of epsc1 between the two lowest [Ca]o beside the formula's, and the factor by which
[Mg]o shifts the Ca dose-response right relative to 0 mM Mg (log-log interpolation at the
geometric-mean response of the overlap) beside 1 + Mg/K2.

Report ``clamp``: the clamp current of the deterministic compartment and of the first
``n_stored_trials`` trials. Typical values: docs/guide.md, "Protocol notes: release_mg".
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from mgneuron.bath import apply_bath
from mgneuron.cli import protocol_main
from mgneuron.engine import RunSettings, Simulation
from mgneuron.environment import Environment
from mgneuron.measures import baseline
from mgneuron.preparations.clamp import clamped_compartments
from mgneuron.release import RELEASE_MODELS, ReleaseSpec, dodge_rahamimoff_factor
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.params import celsius_param, record_every_param
from mgneuron.runner.reports import stacked_report
from mgneuron.synapses import EventDriver, glutamatergic, instantiate, regular_train

N_STEADY = 3  # EPSCs averaged for the steady-state ratio


def epsc_peaks(t: np.ndarray, i: np.ndarray, times, window_ms: float) -> np.ndarray:
    """Inward EPSC peak (nA, positive) after each spike, baseline = current just before it.

    Parameters
    ----------
    t : ndarray, shape (n_t,)
        Sample times (ms).
    i : ndarray, shape (n_t,) or (n_cells, n_t)
        Clamp current (nA; NEURON's electrode convention, negative for an inward EPSC).
    times : sequence of float
        Spike times (ms).
    window_ms : float
        Search window after each spike (ms).

    Returns
    -------
    ndarray, shape (n_cells, n_spikes) or (n_spikes,)
    """
    i2 = np.atleast_2d(i)
    out = np.empty((i2.shape[0], len(times)))
    for k, t0 in enumerate(times):
        base = i2[:, max(int(np.searchsorted(t, t0)) - 1, 0)]
        m = (t > t0) & (t <= t0 + window_ms)
        out[:, k] = base - i2[:, m].min(axis=1)
    return out if np.ndim(i) == 2 else out[0]


class ReleaseMg(Protocol):
    """First EPSC, paired-pulse ratio and train depression over a [Ca]o x [Mg]o grid."""

    name = "release_mg"
    title = "Transmitter release vs [Ca]o and [Mg]o (Dodge-Rahamimoff) under voltage clamp"
    params = (
        ca_param((0.5, 1.0, 2.0, 3.0, 4.0)),
        mg_param((0.0, 0.5, 1.0, 2.0, 3.0)),
        Param(
            "isi_ms",
            (20.0, 50.0),
            "ms",
            "inter-spike interval of the train",
            float,
            grid=True,
            aliases=("isi",),
            minimum=1.0,
        ),
        Param("n_pulses", 10, "", "spikes per train", int, minimum=2),
        Param("t_first", 10.0, "ms", "time of the first spike", float, minimum=0.0),
        Param(
            "release_model",
            "dodge_rahamimoff",
            "",
            "bath scaling of release",
            str,
            choices=tuple(RELEASE_MODELS),
        ),
        Param("U", 0.5, "", "baseline release probability at 2 mM Ca, 1 mM Mg", float, minimum=0.0),
        Param("tau_rec", 671.0, "ms", "recovery from depression", float, minimum=0.0),
        Param("tau_facil", 17.0, "ms", "facilitation decay (0: none)", float, minimum=0.0),
        Param("dr_k1", 1.1, "mM", "Dodge-Rahamimoff K1 (CaX)", float, minimum=1e-9),
        Param("dr_k2", 3.0, "mM", "Dodge-Rahamimoff K2 (MgX)", float, minimum=1e-9),
        Param("dr_n", 4.0, "", "Dodge-Rahamimoff cooperativity n", float, minimum=0.0),
        Param("hill_khalf", 2.79, "mM", "Markram 2015 Hill K_half", float, minimum=1e-9),
        Param("stochastic", False, "", "binomial release from n_sites sites", bool),
        Param("n_trials", 200, "", "trials of the stochastic mode", int, minimum=2),
        Param("n_sites", 5, "", "release sites per synapse (stochastic mode)", int, minimum=1),
        Param(
            "gmax_uS", 0.001, "uS", "AMPA peak conductance of a full release", float, minimum=0.0
        ),
        Param(
            "nmda_ratio", 0.0, "", "NMDA/AMPA peak conductance ratio (0: D-APV)", float, minimum=0.0
        ),
        Param("v_hold", -70.0, "mV", "holding potential", float),
        Param("window_ms", 10.0, "ms", "EPSC search window after each spike", float, minimum=0.1),
        celsius_param(),
        record_every_param(help="sampling interval of the stored currents"),
        Param(
            "n_stored_trials", 5, "", "stochastic trials whose traces are stored", int, minimum=0
        ),
    )
    # tstop is extended to the last spike + window when shorter (the default).
    defaults = {"tstop": 1.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse a release probability outside [0, 1] (tstop grows to the last spike)."""
        from mgneuron.errors import ProtocolError

        super().check_condition(p)
        if not 0 <= p.U <= 1:
            raise ProtocolError(f"release_mg: U must lie in [0, 1], got {p.U}")

    def run_condition(self, p):
        from neuron import h

        # 1. The presynaptic train; simulate at least to the last spike plus the window.
        train = regular_train(p.n_pulses, p.isi_ms, p.t_first)
        tstop = max(p.tstop, train.times_ms[-1] + p.window_ms + 1.0)
        settings = RunSettings(tstop=tstop, dt=p.dt, celsius=p.celsius, v_init=p.v_hold)

        # 2. Release and synapse descriptions.
        release = ReleaseSpec(
            U=p.U, tau_rec_ms=p.tau_rec, tau_facil_ms=p.tau_facil, model=p.release_model,
            dr_n=p.dr_n, dr_k1_mM=p.dr_k1, dr_k2_mM=p.dr_k2, hill_khalf_mM=p.hill_khalf,
        )  # fmt: skip
        det_spec = glutamatergic(p.gmax_uS, nmda_ratio=p.nmda_ratio, release=release)
        stoch_spec = det_spec.with_(release=release.with_(stochastic=True, n_sites=p.n_sites))

        # 3. Clamped compartments (20 x 20 um) at v_hold, one synapse each: the
        #    deterministic one first, then the stochastic trials; the train drives all.
        specs = [det_spec] + ([stoch_spec] * p.n_trials if p.stochastic else [])
        cells = clamped_compartments([p.v_hold] * len(specs), L_um=20.0, diam_um=20.0)
        syns = [
            instantiate(spec, seg, seed=p.seed, gid=k, index=0)
            for k, (spec, seg) in enumerate(zip(specs, cells.segments, strict=True))
        ]
        driver = EventDriver()
        for syn in syns:
            driver.add(syn, train)

        # 4. Record the clamp currents at every step; the bath in every compartment; run.
        sim = Simulation(settings)
        i_vecs = [sim.record(c._ref_i) for c in cells.clamps]
        t_vec = sim.record(h._ref_t)
        v_vec = sim.record(cells.segments[0]._ref_v)  # the deterministic compartment
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        sim.run(before_init=partial(apply_bath, bath, cells.sections))

        # 5. EPSC peaks per spike; deterministic and trial statistics.
        traces = np.array([np.asarray(v) for v in i_vecs])
        peaks = epsc_peaks(np.asarray(t_vec), traces, train.times_ms, p.window_ms)
        det = peaks[0]
        trials = peaks[1:] if p.stochastic else peaks[:1]
        mean = trials.mean(axis=0)
        n = trials.shape[0]
        sem = trials[:, 0].std(ddof=1) / np.sqrt(n) if p.stochastic else float("nan")
        ratio = mean / mean[0] if mean[0] > 0 else np.full_like(mean, np.nan)
        row = {
            "ca_mM": p.ca_mM,
            "mg_mM": p.mg_mM,
            "isi_ms": p.isi_ms,
            "epsc1_nA": float(mean[0]),
            "ppr": float(ratio[1]),
            "steady_state_ratio": float(ratio[-min(N_STEADY, len(ratio)) :].mean()),
            "release_prob": float(syns[0].pp.release_prob),
            "stochastic": int(bool(p.stochastic)),
            "n_trials": int(n) if p.stochastic else 0,
            "epsc1_sem_nA": float(sem),
            "epsc1_det_nA": float(det[0]),
            "baseline_drift_mV": baseline(np.asarray(t_vec), np.asarray(v_vec),
                                          train.times_ms[0]).drift_mV,
        }  # fmt: skip
        # The (mean) EPSC of every spike of the train, for train plots.
        for k, value in enumerate(mean, start=1):
            row[f"train_epsc{k}_nA"] = float(value)

        # 6. Store the current of the deterministic compartment and a few trials.
        n_store = 1 + (min(p.n_stored_trials, n) if p.stochastic else 0)
        labels = ["deterministic"] + [f"trial {k}" for k in range(n_store - 1)]
        report = stacked_report(
            traces[:n_store], p.record_every, settings.dt, labels, "i_clamp", "nA"
        )
        del driver, syns, cells, i_vecs, t_vec, v_vec, sim
        return ConditionResult(features=[row], reports={"clamp": report})

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """Low-Ca log-log slope and Mg shift of the Ca dose-response vs the formula."""
        if features.empty or values["release_model"] != "dodge_rahamimoff":
            return {}
        n, k1, k2 = values["dr_n"], values["dr_k1"], values["dr_k2"]
        rows = []
        for (mg, isi), grp in features.groupby(["mg_mM", "isi_ms"]):
            grp = grp.sort_values("ca_mM")
            ca = grp["ca_mM"].to_numpy()
            e1 = grp["epsc1_nA"].to_numpy()
            row = {"mg_mM": float(mg), "isi_ms": float(isi), "n_ca": len(ca)}
            ok = (ca > 0) & (e1 > 0)
            if ok.sum() >= 2:
                c, e = ca[ok][:2], e1[ok][:2]
                row["ca_low_mM"], row["ca_high_mM"] = float(c[0]), float(c[1])
                row["slope_low_ca"] = float(np.log(e[1] / e[0]) / np.log(c[1] / c[0]))
                f = dodge_rahamimoff_factor(c, mg, n, k1, k2)
                row["slope_formula"] = float(np.log(f[1] / f[0]) / np.log(c[1] / c[0]))
            ref = features[(features["mg_mM"] == 0.0) & (features["isi_ms"] == isi)]
            row["ca_shift"] = _ca_shift(ref, grp) if mg > 0 and len(ref) >= 2 else np.nan
            row["ca_shift_formula"] = 1.0 + mg / k2
            rows.append(row)
        return {"dose_response": pd.DataFrame(rows)}

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.release_mg import plot_release_mg

        return [plot_release_mg(path, figure_path(path, out_dir))]


def _ca_shift(ref: pd.DataFrame, grp: pd.DataFrame) -> float:
    """[Ca]o ratio giving the same epsc1 with and without Mg (below the P = 1 clip)."""
    curves = []
    for df in (ref, grp):
        df = df[(df["release_prob"] < 1) & (df["epsc1_nA"] > 0)].sort_values("ca_mM")
        curves.append((np.log(df["ca_mM"].to_numpy()), np.log(df["epsc1_nA"].to_numpy())))
    (c0, e0), (c1, e1) = curves
    if len(c0) < 2 or len(c1) < 2:
        return float("nan")
    lo, hi = max(e0.min(), e1.min()), min(e0.max(), e1.max())
    if lo >= hi:
        return float("nan")
    level = 0.5 * (lo + hi)
    return float(np.exp(np.interp(level, e1, c1) - np.interp(level, e0, c0)))


def main(argv=None) -> int:
    return protocol_main(ReleaseMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
