"""Excitability vs [Mg]o: rheobase, voltage threshold, F-I curve, after-discharge, spontaneous rate.

Methods
-------
Two preparations (:mod:`mgneuron.preparations.current_clamp`), each in a bath of [Mg]o
(swept) and [Ca]o:

``pyramidal``
    The cortical pyramidal cell of :mod:`mgneuron.cell` (default: the stylized layer-5
    pyramid with the Mainen & Sejnowski 1996 set; ``--morphology`` / ``--biophysics`` swap
    either), 34 degC, current injected and potential recorded at the soma. Variable-step
    integration (CVODE) by default.
``axon``
    A free myelinated motor/sensory fibre (McIntyre, Richardson & Grill 2002 double cable,
    :mod:`mgneuron.axon`; default 10 um, 21 nodes, the published one-compartment-per-
    segment discretization), 37 degC, current injected into the middle node; spikes are
    counted where they have propagated 4 nodes away. Fixed backward-Euler steps.

Every trial starts from the steady state in that bath (Carnevale & Hines 2006, ch. 8;
:mod:`mgneuron.engine.steady_state`); ``baseline_drift_mV`` and ``baseline_ok`` check it
over the window before a pulse's onset (:mod:`mgneuron.measures.baseline`, 0.1 mV).

1. *Spontaneous firing* ``spontaneous_rate_hz`` over ``spont_ms`` from rest (0 unless the
   bath makes the resting state unstable: the model has no noise).
2. *Rheobase*: pyramidal cell, the smallest step of ``step_ms`` that evokes a spike
   (bracketing + bisection to ``rel_tol``); axon, the rheobase of Weiss's law
   ``I_th(t) = I_rh (1 + tau_SD / t)`` through the thresholds of a ``brief`` and a
   ``long`` pulse (Bostock 1983, J Physiol 341:59; Mogyoros, Kiernan & Burke 1996, Brain
   119:439), which also gives the strength-duration time constant ``sdtc_ms``.
3. *Voltage threshold* ``threshold_mV``: the potential at which dV/dt rises through a
   criterion (Sekerli, Del Negro, Lee & Butera 2004, IEEE Trans Biomed Eng 51:1665).
   Pyramidal cell: ``dvdt_mV_ms`` at the soma, first spike of the rheobase step. Axon:
   ``axon_dvdt_mV_ms`` on the spike of the brief pulse at ``1 + axon_threshold_margin``
   times its threshold, at the node where that spike starts (``threshold_site``); the
   margin makes it independent of the bisection tolerance (the node has only FitzHugh's
   quasi-threshold, Bull Math Biophys 1955, 17:257).
4. *After-discharge* ``n_spikes``: spikes in ``after_ms`` after a brief pulse at
   ``brief_factor`` times its threshold. A preparation that fires spontaneously has
   ``rheobase_nA`` = 0, no pulse thresholds, and its spontaneous spikes in that window.
5. *F-I curve*: steps of ``fi_ms`` at ``fi_points`` currents evenly spaced up to
   ``fi_max_nA`` (pyramidal) / ``axon_fi_max_nA`` (axon); rates in
   ``fi_current{k}_nA``/``fi_rate{k}_hz``, the tidy table ``/tables/fi``, and the slope
   ``fi_gain_hz_per_nA`` through the firing points.

[Ca]o is ``ca_mM``, or with coupled hypocalcaemia (``hypocalcaemia`` > 0, mM of Ca per
mM of Mg) ``ca_mM - hypocalcaemia * (1 - mg_mM)`` below the normal 1 mM Mg (never below
0; Rude, Oldham & Singer 1976, Clin Endocrinol 5:209): a scenario knob, not a fit.

Mg acts here only through divalent surface-charge screening (:mod:`mgneuron.screening`):
less Mg (or Ca) shifts the gating of every voltage-gated channel by ``shift_mV`` (the
Python reference of the shift), while the leak, the internodal membrane and every
reversal potential stay put. Controls: ``shift_reversals`` moves every reversal potential
and v_init with the gating (threshold must move by exactly ``shift_mV``, rheobase not at
all); ``screening="off"`` removes the shift ([Mg]o must then change nothing). Findings:
docs/guide.md, "Excitability and threshold".

Features (one row per condition): ``cell, mg_mM, ca_mM, shift_mV, rheobase_nA,
threshold_mV, threshold_site, latency_ms, rest_mV, brief_threshold_nA, long_threshold_nA,
sdtc_ms, n_spikes, after_spikes, spontaneous_rate_hz, fi_gain_hz_per_nA,
fi_current{k}_nA, fi_rate{k}_hz, baseline_drift_mV, baseline_ok, axon_stub_added``.
Tables: ``fi`` and ``threshold_shift`` (per cell and [Mg]o: threshold and shift relative
to the normal bath).
"""

from __future__ import annotations

import math
import re
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pandas as pd

from mgneuron.axon import parse_myelinated_axon
from mgneuron.cli import protocol_main
from mgneuron.engine import coreneuron_active
from mgneuron.environment import PRESETS, Environment
from mgneuron.errors import ProtocolError
from mgneuron.measures import baseline, fi_gain, find_rheobase, firing_rate_hz, weiss_fit
from mgneuron.measures.threshold import threshold_shift_table
from mgneuron.preparations.current_clamp import CurrentClamp, Trace, current_clamp
from mgneuron.results import Report
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.groups import cell_params, cell_spec_from_params, myelinated_axon_param
from mgneuron.runner.params import celsius_param, record_every_param, screening_param

NORMAL_MG_MM = PRESETS["normal"].mg_mM
#: Default [Mg]o grid: the bath presets and 0-3 mM in steps of 0.25 mM.
MG_GRID = tuple(sorted({env.mg_mM for env in PRESETS.values()} | {k * 0.25 for k in range(13)}))
CELLS = ("pyramidal", "axon")
DEFAULT_AXON = "10:healthy,discretization=mrg2002"
#: What ``quick=True`` replaces (durations, tolerance, axon time step; at most 2 F-I points).
QUICK = {
    "step_ms": 200.0, "spont_ms": 100.0, "after_ms": 50.0, "fi_ms": 100.0, "fi_points": 2,
    "rel_tol": 0.02, "axon_dt": 0.02, "axon_spont_ms": 20.0, "axon_after_ms": 20.0,
    "axon_fi_ms": 20.0,
}  # fmt: skip


def coupled_ca_mM(mg_mM: float, ca_mM: float, hypocalcaemia: float) -> float:
    """[Ca]o (mM) of the bath: lowered by ``hypocalcaemia`` mM per mM of Mg below 1 mM."""
    deficit = max(NORMAL_MG_MM - mg_mM, 0.0)
    return max(ca_mM - hypocalcaemia * deficit, 0.0)


#: What one condition measures (quick substitutions made): pulse onset, rheobase step, brief
#: and (axon) long pulses, windows, F-I currents, bisection tolerance, dV/dt criterion,
#: after-discharge factor, threshold-pulse margin, the bisections' first guesses.
_Plan = namedtuple(
    "_Plan", "delay_ms step_ms brief_ms long_ms spont_ms after_ms fi_ms fi_currents rel_tol dvdt "
    "brief_factor threshold_margin guess_rheobase_nA guess_brief_nA",
)  # fmt: skip


def _quick(p):
    """``p`` with the quick substitutions made (quick never adds F-I points)."""
    if not p.quick:
        return p
    return p.replace(**{**QUICK, "fi_points": min(p.fi_points, QUICK["fi_points"])})


def _plan(p) -> _Plan:
    pyr = p.cell == "pyramidal"
    top, n = (p.fi_max_nA if pyr else p.axon_fi_max_nA), p.fi_points
    return _Plan(
        delay_ms=10.0 if pyr else 0.5,
        step_ms=p.step_ms if pyr else math.nan,
        brief_ms=p.brief_ms if pyr else p.axon_brief_ms,
        long_ms=math.nan if pyr else p.axon_long_ms,
        spont_ms=p.spont_ms if pyr else p.axon_spont_ms,
        after_ms=p.after_ms if pyr else p.axon_after_ms,
        fi_ms=p.fi_ms if pyr else p.axon_fi_ms,
        fi_currents=tuple(top * (k + 1) / n for k in range(n)),
        rel_tol=p.rel_tol,
        dvdt=p.dvdt_mV_ms if pyr else p.axon_dvdt_mV_ms,
        brief_factor=p.brief_factor,
        threshold_margin=0.0 if pyr else p.axon_threshold_margin,
        guess_rheobase_nA=0.06 if pyr else 0.3,
        guess_brief_nA=1.1 if pyr else 1.0,
    )


@contextmanager
def prepared(p):
    """The preparation of one condition, at rest in its bath, and its plan.

    Yields ``(prep, plan)``; ``prep.bath`` and ``prep.shift_mV`` are the bath and the
    gating shift. ``p`` holds one value per parameter; the preparation is released on exit.
    """
    p = _quick(p)
    bath = Environment(mg_mM=p.mg_mM, ca_mM=coupled_ca_mM(p.mg_mM, p.ca_mM, p.hypocalcaemia))
    if p.cell == "pyramidal":
        model, celsius, dt, cvode = cell_spec_from_params(p), p.celsius, p.dt, p.cvode
    else:
        model = parse_myelinated_axon(p.myelinated_axon or DEFAULT_AXON)[0]
        celsius, dt, cvode = p.axon_celsius, p.axon_dt, False
    with current_clamp(
        model, bath, celsius=celsius, dt=dt, cvode=cvode, screening=p.screening,
        translate=p.shift_reversals,
    ) as prep:  # fmt: skip
        yield prep, _plan(p)


def _per_cell(name, pyramidal, axon, unit, what, minimum) -> tuple[Param, Param]:
    """The pyramidal cell's parameter ``name`` and the axon's ``axon_<name>``."""
    return (Param(name, pyramidal, unit, f"pyramidal: {what}", float, minimum=minimum),
            Param(f"axon_{name}", axon, unit, f"axon: {what}", float, minimum=minimum))  # fmt: skip


class ExcitabilityMg(Protocol):
    """Rheobase, voltage threshold, F-I curve and after-discharge vs [Mg]o (module notes)."""

    name = "excitability_mg"
    title = "Excitability of a pyramidal cell and a myelinated axon vs [Mg]o"
    params = (
        Param("cell", CELLS, "", "preparations: pyramidal, axon", str, grid=True, choices=CELLS),
        mg_param(MG_GRID, "[Mg]o (default: presets + 0-3 mM by 0.25)"),
        ca_param(2.0, "[Ca]o (at normal [Mg]o)"),
        Param("hypocalcaemia", 0.0, "mM/mM",
              "coupled hypocalcaemia: [Ca]o falls by this per mM of [Mg]o below 1 mM", float,
              minimum=0.0),
        screening_param(),
        Param("shift_reversals", False, "",
              "control: move every reversal potential and v_init by the gating shift", bool),
        Param("quick", False, "", "short windows, <= 2 F-I points, 2 % tolerance, axon dt 0.02 ms",
              bool),
        *cell_params(default_morphology="", default_biophysics="pyramidal"),
        replace(myelinated_axon_param(), default=DEFAULT_AXON,
                help=myelinated_axon_param().help + f" [{DEFAULT_AXON}]"),
        celsius_param(34.0, "temperature of the pyramidal cell"),
        Param("axon_celsius", 37.0, "degC", "temperature of the axon (MRG 2002: 37)", float),
        Param("cvode", True, "", "variable-step integration of the pyramidal cell", bool),
        Param("axon_dt", 0.005, "ms", "fixed time step of the axon", float, minimum=1e-5),
        Param("rel_tol", 0.005, "", "relative tolerance of the threshold bisections", float,
              minimum=1e-6),
        Param("step_ms", 1000.0, "ms", "pyramidal: rheobase step duration", float, minimum=1.0),
        *_per_cell("brief_ms", 1.0, 0.1, "ms", "brief pulse duration", minimum=0.01),
        Param("axon_long_ms", 1.0, "ms", "axon: long pulse duration (Weiss's law)", float,
              minimum=0.01),
        Param("brief_factor", 2.0, "", "after-discharge pulse / its threshold", float,
              minimum=1.0),
        *_per_cell("spont_ms", 1000.0, 50.0, "ms", "window for spontaneous firing", minimum=1.0),
        *_per_cell("after_ms", 200.0, 50.0, "ms", "window after the brief pulse", minimum=1.0),
        Param("fi_points", 6, "", "currents of the F-I curve (0: none)", int, minimum=0),
        *_per_cell("fi_max_nA", 0.3, 0.6, "nA", "largest F-I current", minimum=0.0),
        *_per_cell("fi_ms", 500.0, 100.0, "ms", "F-I step duration", minimum=1.0),
        *_per_cell("dvdt_mV_ms", 20.0, 100.0, "mV/ms", "dV/dt threshold criterion", minimum=0.0),
        Param("axon_threshold_margin", 0.02, "",
              "axon: voltage threshold on a brief pulse this fraction above its threshold",
              float, minimum=0.0),
        Param("dt", 0.025, "ms", "pyramidal: fixed time step (F-I steps; all with --cvode false)",
              float, minimum=1e-6),
        Param("tstop", 100.0, "ms", "unused: every measure has its own window", float,
              minimum=1e-6),
        replace(record_every_param(0.1, "pyramidal: sampling of stored traces (axon: every step)"),
                minimum=1e-4),
    )  # fmt: skip

    @classmethod
    def validate(cls, values):
        if values["axon_long_ms"] <= values["axon_brief_ms"]:
            raise ProtocolError(
                "excitability_mg: axon_long_ms must be longer than axon_brief_ms (Weiss's law "
                "needs two different pulse durations)"
            )

    def run_condition(self, p):
        if coreneuron_active():
            raise ProtocolError(
                "excitability_mg stops trials at the first spike and integrates the pyramidal "
                "cell with CVODE, which CoreNEURON does not do; run it without --coreneuron"
            )
        with prepared(p) as (prep, plan):
            # Stored traces: every record_every ms (pyramidal), every time step (axon).
            every = p.record_every if p.cell == "pyramidal" else prep.settings.dt
            row, reports = _measure(prep, plan, p.cell, every)
            head = {"cell": p.cell, "mg_mM": p.mg_mM, "ca_mM": prep.bath.ca_mM}
            stub = bool(getattr(prep.owner, "stub_added", False))
            row = {**head, "shift_mV": prep.shift_mV, **row, "axon_stub_added": stub}
        return ConditionResult(features=[row], reports=reports)

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """The tidy F-I table and the threshold change vs the shift change per cell."""
        if features.empty:
            return {}
        ks = sorted(int(c[10:-3]) for c in features if re.fullmatch(r"fi_current\d+_nA", c))
        fi = [
            {"cell": r["cell"], "mg_mM": r["mg_mM"], "ca_mM": r["ca_mM"], "current_nA": float(i),
             "rate_hz": float(r[f"fi_rate{k}_hz"])}
            for _, r in features.iterrows() for k in ks
            if (i := r.get(f"fi_current{k}_nA")) is not None and np.isfinite(i)
        ]  # fmt: skip
        shift = threshold_shift_table(features, NORMAL_MG_MM)
        return {**({"fi": pd.DataFrame(fi)} if fi else {}), "threshold_shift": shift}

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.excitability_mg import plot_excitability_mg

        return [plot_excitability_mg(path, figure_path(path, out_dir))]


def _measure(prep: CurrentClamp, plan: _Plan, cell: str, record_every: float):
    """Every measure of one condition on a built preparation; (feature row, reports)."""
    d0, nan, row = plan.delay_ms, math.nan, {}
    # 1. Spontaneous firing from rest.
    tr = prep.trial(0.0, 0.0, 0.0, plan.spont_ms)
    spont = tr.spikes
    row["rest_mV"] = float(tr.v_stim[0])
    base = baseline(tr.t, tr.v_stim, d0)  # flat over the window before a pulse's onset?
    row.update(baseline_drift_mV=base.drift_mV, baseline_ok=base.ok)
    row["spontaneous_rate_hz"] = firing_rate_hz(spont, 0.0, plan.spont_ms)
    reports = {"spontaneous": _report(prep, tr, record_every)}
    first_spike: dict[tuple[float, float], float] = {}

    def fires(amp: float, dur: float, wait: float) -> bool:
        first_spike[amp, dur] = prep.first_spike_ms(amp, d0, dur, wait)
        return bool(np.isfinite(first_spike[amp, dur]))

    if spont.size:
        # A spontaneously firing preparation: no rheobase to find, no pulse threshold.
        row.update(rheobase_nA=0.0, brief_threshold_nA=nan, long_threshold_nA=nan, sdtc_ms=nan)
        row["threshold_mV"], row["threshold_site"] = prep.threshold(tr, plan.dvdt, 0.0)
        row["latency_ms"] = nan
        window = min(plan.after_ms, plan.spont_ms)
        row["n_spikes"] = int(round(row["spontaneous_rate_hz"] * window / 1e3))
    else:
        # 2. Thresholds. Brief pulse (both cells); rheobase: long step (pyramidal) or
        #    Weiss's law through the brief and long pulses (axon). The pyramidal cell's
        #    brief threshold only scales the after-discharge pulse: 5 % is enough.
        pyr = cell == "pyramidal"
        wait = 20.0 if pyr else 2.0
        brief_tol = max(plan.rel_tol, 0.05) if pyr else plan.rel_tol
        brief = find_rheobase(lambda a: fires(a, plan.brief_ms, wait), plan.guess_brief_nA,
                              brief_tol)  # fmt: skip
        row["brief_threshold_nA"] = brief
        if pyr:
            rheo = find_rheobase(
                lambda a: fires(a, plan.step_ms, 5.0), plan.guess_rheobase_nA, plan.rel_tol
            )
            row.update(long_threshold_nA=nan, sdtc_ms=nan, rheobase_nA=rheo)
            thr_amp, thr_dur = rheo, plan.step_ms
        else:
            long_ = find_rheobase(lambda a: fires(a, plan.long_ms, wait), 0.35 * brief,
                                  plan.rel_tol)  # fmt: skip
            rheo, sdtc = weiss_fit(plan.brief_ms, brief, plan.long_ms, long_)
            row.update(long_threshold_nA=long_, sdtc_ms=sdtc, rheobase_nA=rheo)
            thr_amp, thr_dur = brief, plan.brief_ms
        # 3. Voltage threshold: the trial at threshold again (axon: threshold_margin above
        #    it), run to 5 ms past its spike (its time known at threshold itself).
        t_end = first_spike.get((thr_amp, thr_dur), nan)
        if plan.threshold_margin > 0 or not np.isfinite(t_end):
            t_end = d0 + thr_dur + wait
        amp = thr_amp * (1.0 + plan.threshold_margin)
        thr, site, latency, tr = prep.voltage_threshold(amp, d0, thr_dur, t_end + 5.0, plan.dvdt)
        row.update(threshold_mV=thr, threshold_site=site, latency_ms=latency)
        reports["threshold"] = _report(prep, tr, record_every)
        # 4. After-discharge: brief pulse at brief_factor x its threshold.
        tr = prep.trial(plan.brief_factor * brief, d0, plan.brief_ms, d0 + plan.after_ms)
        row["n_spikes"] = int(np.count_nonzero(tr.spikes >= d0))
        reports["after_discharge"] = _report(prep, tr, record_every)
    row["after_spikes"] = max(row["n_spikes"] - 1, 0)
    # 5. F-I curve.
    rates = []
    for k, amp in enumerate(plan.fi_currents, start=1):
        tr = prep.trial(amp, d0, plan.fi_ms, d0 + plan.fi_ms, cvode=False)
        rates.append(firing_rate_hz(tr.spikes, d0, d0 + plan.fi_ms))
        row[f"fi_current{k}_nA"], row[f"fi_rate{k}_hz"] = float(amp), rates[-1]
    row["fi_gain_hz_per_nA"] = fi_gain(plan.fi_currents, rates)
    return row, reports


def _report(prep: CurrentClamp, tr: Trace, every: float) -> Report:
    """The two recorded sites on a uniform grid of ``every`` ms (CVODE samples interpolated)."""
    step = max(every, prep.settings.dt)
    grid, data = tr.on_grid(step)
    return Report(
        data=data, time=(0.0, grid.size * step, step), node_ids=[0], element_ids=[0, 1],
        variable="v", units="mV", element_labels=list(prep.labels),
    )  # fmt: skip


def main(argv=None) -> int:
    return protocol_main(ExcitabilityMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
