"""Excitability vs [Mg]o: rheobase, voltage threshold, F-I curve, after-discharge, spontaneous rate.

Methods
-------
Two preparations, each in a bath of [Mg]o (swept) and [Ca]o:

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

Every run starts from the preparation's steady state in that bath (large backward-Euler
steps before t = 0, Carnevale & Hines 2006, The NEURON Book, ch. 8), so the rest the bath
sets is where the run begins.

1. *Spontaneous firing*: the preparation is left alone for ``spont_ms``; the rate of
   spikes is ``spontaneous_rate_hz`` (0 unless the bath makes the resting state unstable:
   the model has no noise).
2. *Rheobase*: pyramidal cell, the smallest step of ``step_ms`` that evokes a spike
   (bracketing + bisection to ``rel_tol``); axon, the rheobase of Weiss's law
   ``I_th(t) = I_rh (1 + tau_SD / t)`` through the thresholds of a ``brief`` and a
   ``long`` pulse (as in nerve excitability testing: Bostock 1983, J Physiol 341:59;
   Mogyoros, Kiernan & Burke 1996, Brain 119:439), which also gives the
   strength-duration time constant ``sdtc_ms``.
3. *Voltage threshold* ``threshold_mV``: the potential at which dV/dt rises through a
   criterion (the first-derivative method of Sekerli, Del Negro, Lee & Butera 2004, IEEE
   Trans Biomed Eng 51:1665). Pyramidal cell: ``dvdt_mV_ms`` at the soma, first spike of
   the rheobase step. Axon: ``axon_dvdt_mV_ms`` on the spike of the brief pulse at
   ``1 + axon_threshold_margin`` times its threshold, at the node where that spike starts
   (``threshold_site``, the stimulated node). The margin makes the number independent of
   the bisection tolerance: the node has no sharp voltage threshold (FitzHugh's
   quasi-threshold, Bull Math Biophys 1955, 17:257), so at threshold itself the latency
   and the potential where dV/dt takes off depend on how close the bisection came (at
   0 mM Mg, -72 mV at 0.1 % and -61 mV at 2 % above threshold, and within 0.5 % of it
   the spike starts at a sealed end node of the 21-node fibre).
4. *After-discharge*: a brief pulse (``brief_ms`` / ``axon_brief_ms``) at ``brief_factor``
   times its threshold; ``n_spikes`` counts the spikes in the following ``after_ms`` (1 =
   a single response, more = repetitive firing; for the axon, the nerve side of cramps).
   A preparation that fires spontaneously has ``rheobase_nA`` = 0, no pulse thresholds,
   and ``n_spikes`` = its spontaneous spikes in an equally long window.
5. *F-I curve*: steps of ``fi_ms`` at ``fi_points`` currents evenly spaced up to
   ``fi_max_nA`` (pyramidal) / ``axon_fi_max_nA`` (axon); rates in
   ``fi_current{k}_nA``/``fi_rate{k}_hz``, the tidy table ``/tables/fi``, and the slope
   ``fi_gain_hz_per_nA`` through the firing points.

[Ca]o is ``ca_mM``, or with coupled hypocalcaemia (``hypocalcaemia`` > 0, mM of Ca per
mM of Mg) ``ca_mM - hypocalcaemia * (1 - mg_mM)`` below the normal 1 mM Mg (never below
0): hypomagnesaemia impairs parathyroid hormone secretion and action, so Mg deficiency
often comes with hypocalcaemia (Rude, Oldham & Singer 1976, Clin Endocrinol 5:209). The
linear coupling is a scenario knob, not a fitted relation.

What makes the cells more excitable here
----------------------------------------
Only divalent surface-charge screening (:mod:`mgneuron.screening`): less Mg (or Ca)
shifts the gating of every voltage-gated channel (NaT, Kdr, Km; the node's fast Na,
persistent Na and slow K) to more negative potentials by ``shift_mV``, while the leak,
the internodal membrane and every reversal potential stay put, so threshold moves
towards rest. No other action of Mg2+ on these channels (open-channel block of Na or Ca
channels, effects on K channels) and no Ca2+ or Ca-activated currents are modelled;
``shift_mV`` is the Python reference :func:`mgneuron.screening.shift_mV` of the shift
every channel applies.

Features (one row per condition): ``cell, mg_mM, ca_mM, shift_mV, rheobase_nA,
threshold_mV, threshold_site, latency_ms`` (of the spike the threshold is measured on,
to the detection site), ``rest_mV, brief_threshold_nA, long_threshold_nA, sdtc_ms,
n_spikes, after_spikes, spontaneous_rate_hz, fi_gain_hz_per_nA, fi_current{k}_nA,
fi_rate{k}_hz``. Tables: ``fi`` (cell, mg_mM, ca_mM, current_nA, rate_hz) and
``threshold_shift`` (per cell and [Mg]o: threshold and shift relative to the normal bath).

Threshold vs shift
------------------
Pyramidal cell: ``threshold(Mg) - threshold(1 mM)`` follows ``shift(Mg) - shift(1 mM)``
within 0.33 mV over 0-3 mM (threshold set by NaT in the initial segment against a slow
leak). Myelinated axon: the node's threshold moves 1.3-1.6 times the shift (full
settings: deviation 0.8-1.1 mV at 0-2 mM, 1.4 mV at 3 mM), and this is the model's
physics, not the measure:

* *Why*: screening moves gating, not reversal potentials. If every reversal moved with
  the gating the membrane would be translated and threshold would move by exactly the
  shift (control below), so to first order ``d threshold / d shift = 1 - sum_i
  d threshold / d E_i`` over the reversals that stay put. In the normal bath (no shift
  involved) moving them by 1 mV moves the axon's threshold by: internodal axolemma
  (``pas``, -80 mV) -0.33 mV, Na -0.10, node leak (-90 mV) -0.06, K -0.03 mV; the sum
  predicts a ratio of 1.51, measured 1.51 between 0.75 and 1.25 mM Mg
  (tests/test_excitability.py). The dominant term is the rest. At rest the node's inward
  current is the window current of its fast Na channels (m^3 h g_Naf = 0.73 mS/cm2 at
  -80 mV, 9 times the persistent Na's), screened, held against the internodal axolemma,
  unscreened, whose reversal moves the fibre's rest 1.18 mV per mV. As [Mg]o falls the
  window current grows and the rest moves *against* the shift (-80.0 -> -77.0 mV at
  0 mM Mg, -81.1 mV at 3 mM; at 0 mM 5.8 mV closer to the gating's threshold), and a
  brief pulse from there takes off lower. Removing the shift from single gates (scratch
  variant of mrg_node, 2 mM) confirms it: without it on m the rest moves with the shift
  (ratio +0.32 instead of -0.36) and threshold against it; without it on the persistent
  Na's p the ratios change by < 0.05.
* *No definition removes it over 0-3 mM*. Ratio of threshold change to shift change at
  0 / 0.5 / 2 / 3 mM (0.1 ms pulse 2 % above threshold, dt 5 us; scratch analysis): dV/dt
  20 mV/ms 1.9-2.2, 50 mV/ms 1.6-1.9, 100 mV/ms 1.3-1.6, 200 mV/ms 0.95-1.3 (a point high
  on the upstroke, not a threshold); potential of the latency plateau at threshold (the
  "critical potential") 1.8-2.0, 4.0 at 0 mM; 0.02 ms pulses alike (1.2-1.7), 0.5 ms
  pulses worse (1.4-3.0). The peak of d2V/dt2 scatters (ratios -0.8 to 3.8): it is not
  resolved on an upstroke of several hundred mV/ms. At the next or a distant node the
  propagating spike's foot is charged axially and its dV/dt threshold does not follow the
  gating (ratios -2.8 to 0.1). Long steps (5-10 ms, 2-5 % above threshold) follow the
  shift within 0.4 mV at 0.5-3 mM at 100 mV/ms (0.9 mV at 20 mV/ms; a reversal that
  stays put adds a constant current, which changes the rheobase rather than the firing
  level), but closer to threshold or with 20 ms steps the deviation reaches 1.6-2.9 mV
  there, and at 0-0.25 mM the spike comes at the end of the step or at a sealed end
  node, the deviation running from -5.0 to +1.7 mV with step duration and margin. The
  steady-state I-V of the node in the fibre (node clamped, -90 to -40 mV) is monotonic
  at every [Mg]o (no saddle, no fold), so there is no stimulus-independent voltage
  threshold to appeal to. In the table
  ``threshold_shift`` the clause "threshold moves by the shift within 1 mV" therefore
  holds for the pyramidal cell only.

Controls: ``shift_reversals`` moves every reversal potential (leak, Na, K) and the
initial potential with the gating shift, translating the whole membrane along the
voltage axis, so threshold must move by exactly ``shift_mV`` and rheobase must not
change; ``screening="off"`` removes the shift, and [Mg]o must then change nothing
(tests/test_excitability.py).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from mgneuron.environment import PRESETS, Environment
from mgneuron.errors import ProtocolError
from mgneuron.excitability import (
    fi_gain,
    find_rheobase,
    firing_rate_hz,
    spike_times,
    threshold_dvdt,
)
from mgneuron.protocol import ConditionResult, Param, Protocol, ca_param, cli_main, mg_param
from mgneuron.results import Report
from mgneuron.simulation import RunSettings, run

NORMAL_MG_MM = PRESETS["normal"].mg_mM
#: Default [Mg]o grid: the bath presets and 0-3 mM in steps of 0.25 mM.
MG_GRID = tuple(sorted({env.mg_mM for env in PRESETS.values()} | {k * 0.25 for k in range(13)}))
SPIKE_MV = -20.0  # spike detection level (mV)
CELLS = ("pyramidal", "axon")
DEFAULT_AXON = "10:healthy,discretization=mrg2002"

#: What ``quick=True`` replaces (durations, grids, tolerance, axon time step).
QUICK = {
    "step_ms": 200.0,
    "spont_ms": 100.0,
    "after_ms": 50.0,
    "fi_ms": 100.0,
    "fi_points": 2,  # at most
    "rel_tol": 0.02,
    "axon_dt": 0.02,
    "axon_spont_ms": 20.0,
    "axon_after_ms": 20.0,
    "axon_fi_ms": 20.0,
}


def _axon_param() -> Param:
    try:
        from mgneuron.axon import myelinated_axon_param

        base = myelinated_axon_param()
        return replace(base, default=DEFAULT_AXON, help=base.help + f" [{DEFAULT_AXON}]")
    except ImportError:  # pragma: no cover - the axon module ships with mgneuron
        return Param("myelinated_axon", DEFAULT_AXON, "", "fibre DIAMETER[:PRESET]", str)


def coupled_ca_mM(mg_mM: float, ca_mM: float, hypocalcaemia: float) -> float:
    """[Ca]o (mM) of the bath: lowered by ``hypocalcaemia`` mM per mM of Mg below 1 mM."""
    deficit = max(NORMAL_MG_MM - mg_mM, 0.0)
    return max(ca_mM - hypocalcaemia * deficit, 0.0)


# ---------------------------------------------------------------------------------------
# The preparation: sections, one current clamp, recordings, steady-state initialisation
# ---------------------------------------------------------------------------------------


@dataclass
class Trace:
    """One trial: sample times (ms), potential at the stimulation and detection sites (mV),
    spike times (ms) at the detection site, and the potential at every candidate site of
    spike initiation (mV, one row per site)."""

    t: np.ndarray
    v_stim: np.ndarray
    v_detect: np.ndarray
    spikes: np.ndarray
    v_sites: np.ndarray


class Preparation:
    """A built cell or axon with an IClamp, recordings and a steady-state start.

    Parameters
    ----------
    sections : list of nrn.Section
        Every section (the bath is applied to them).
    stim_seg, detect_seg : nrn.Segment
        Where current is injected and where spikes are counted.
    settings : RunSettings
        Integrator settings (``tstop`` is replaced per trial).
    bath : Environment
    owner : object
        The object that keeps the sections alive (a Cell or MyelinatedAxon).
    labels : list of str
        Names of the stimulation and detection sites.
    sites : dict of str to nrn.Segment
        Where the voltage threshold may be measured: the site whose potential first
        crosses the spike level is taken as the site of spike initiation.
    """

    def __init__(self, sections, stim_seg, detect_seg, settings, bath, owner, labels, sites):
        from neuron import h

        self.sections = sections
        self.stim_seg, self.detect_seg = stim_seg, detect_seg
        self.settings, self.bath, self.owner, self.labels = settings, bath, owner, labels
        self.site_names = list(sites)
        self.stim = h.IClamp(stim_seg)
        self.stim.amp = 0.0
        self._stop = False
        self._spikes: list[float] = []
        self._nc = h.NetCon(detect_seg._ref_v, None, sec=detect_seg.sec)
        self._nc.threshold = SPIKE_MV
        self._nc.record(self._on_spike)
        # Every step is recorded (fixed steps of dt, or CVODE's own steps), so one set of
        # vectors serves both integrators; traces are resampled when stored.
        self._t = h.Vector().record(h._ref_t)
        self._vs = h.Vector().record(stim_seg._ref_v)
        self._vd = h.Vector().record(detect_seg._ref_v)
        self._vsites = [h.Vector().record(seg._ref_v) for seg in sites.values()]
        self._fih = h.FInitializeHandler(1, self._steady_state)

    def _on_spike(self) -> None:
        from neuron import h

        self._spikes.append(h.t)
        if self._stop:
            h.stoprun = 1

    def _steady_state(self) -> None:
        """Large backward-Euler steps to the resting state (NEURON book, chapter 8)."""
        from neuron import h

        cvode = h.CVode()
        active = cvode.active()
        if active:
            cvode.active(0)
        dt = h.dt
        h.t, h.dt = -1e12, 1e9
        last = (self.stim_seg.v, self.detect_seg.v)
        for _ in range(200):
            h.fadvance()
            now = (self.stim_seg.v, self.detect_seg.v)
            if max(abs(a - b) for a, b in zip(now, last, strict=True)) < 1e-9:
                break
            last = now
        h.t, h.dt = 0.0, dt
        if active:
            cvode.active(1)
        else:
            h.fcurrent()

    def trial(
        self,
        amp_nA: float,
        delay_ms: float,
        dur_ms: float,
        tstop_ms: float,
        stop: bool = False,
        cvode: bool | None = None,
    ) -> Trace:
        """One pulse of ``amp_nA`` from ``delay_ms`` for ``dur_ms``; run to ``tstop_ms``.

        With ``stop`` the run ends at the first spike at the detection site. ``cvode``
        overrides the preparation's integrator for this trial (fixed steps are cheaper
        for trials full of spikes, CVODE for trials near rest).
        """
        self.stim.amp, self.stim.delay, self.stim.dur = amp_nA, delay_ms, dur_ms
        self._spikes.clear()
        self._stop = stop
        settings = replace(self.settings, tstop=tstop_ms)
        if cvode is not None:
            settings = replace(settings, cvode=bool(cvode))
        run(settings, before_init=lambda: self.bath.apply(self.sections))
        return Trace(
            np.array(self._t),
            np.array(self._vs),
            np.array(self._vd),
            np.array([s for s in self._spikes if 0.0 <= s <= tstop_ms]),
            np.array([np.asarray(v) for v in self._vsites]),
        )

    def release(self) -> None:
        """Drop every NEURON object (the sections go with the owner)."""
        self._fih = self._nc = self.stim = None
        self._t = self._vs = self._vd = self._vsites = None
        if hasattr(self.owner, "delete"):
            self.owner.delete()
        elif hasattr(self.owner, "release"):
            self.owner.release()
        self.owner = self.sections = self.stim_seg = self.detect_seg = None


_KNOWN_MECHS = {"pas", "NaT", "Kdr", "Km", "mrg_node", "extracellular", "screen_probe"}
#: The reversal potentials :func:`translate_membrane` can move: the node's leak (``leak``),
#: every passive membrane (``pas``: the pyramidal cell's leak, the internodal axolemma),
#: Na (``na``) and K (``k``).
REVERSALS = ("leak", "pas", "na", "k")


def translate_membrane(sections, shift: float, parts=REVERSALS) -> None:
    """Move reversal potentials of the membrane by ``shift`` mV (control, attribution).

    With every part moved, the gating shift and v_init moved by the same amount, the
    membrane is translated along the voltage axis. A subset of :data:`REVERSALS` moves only
    those (the attribution of the axon's threshold excess, tests/test_excitability.py).
    Supports the mechanisms of the built-in sets (pas, NaT, Kdr, Km, mrg_node); refuses
    others, whose reversal it cannot know.
    """
    parts = set(parts)
    if not parts <= set(REVERSALS):
        raise ProtocolError(
            f"translate_membrane: unknown part(s) {sorted(parts - set(REVERSALS))}; "
            f"choose from {', '.join(REVERSALS)}"
        )
    for sec in sections:
        for seg in sec:
            for mech in seg:
                name = mech.name()
                if name.endswith("_ion"):
                    continue
                if name not in _KNOWN_MECHS:
                    raise ProtocolError(
                        f"shift_reversals: mechanism {name!r} in {sec.name()} is not one of "
                        f"{', '.join(sorted(_KNOWN_MECHS))}; its reversal potential cannot be "
                        "moved, so run the control with a built-in biophysics set"
                    )
            if hasattr(seg, "pas") and "pas" in parts:
                seg.pas.e += shift
            if hasattr(seg, "mrg_node"):
                m = seg.mrg_node
                if "na" in parts:
                    m.ena += shift
                if "k" in parts:
                    m.ek += shift
                if "leak" in parts:
                    m.el += shift
            for ion in ("na", "k"):
                if (
                    ion in parts
                    and hasattr(seg, f"e{ion}")
                    and (hasattr(seg, "NaT") or hasattr(seg, "Kdr"))
                ):
                    setattr(seg, f"e{ion}", getattr(seg, f"e{ion}") + shift)


# ---------------------------------------------------------------------------------------
# Per-cell settings
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What one condition measures, with the quick substitutions already made."""

    delay_ms: float
    step_ms: float  # pyramidal rheobase step
    brief_ms: float
    long_ms: float  # axon: second pulse of Weiss's law
    spont_ms: float
    after_ms: float
    fi_ms: float
    fi_currents: tuple[float, ...]
    rel_tol: float
    dvdt: float
    brief_factor: float
    threshold_margin: float  # voltage threshold on a pulse this fraction above threshold
    guess_rheobase_nA: float
    guess_brief_nA: float


def _value(p: dict, name: str):
    if not (p["quick"] and name in QUICK):
        return p[name]
    if name == "fi_points":  # quick never adds points (fi_points = 0 skips the F-I curve)
        return min(p[name], QUICK[name])
    return QUICK[name]


def _plan(p: dict) -> _Plan:
    n = int(_value(p, "fi_points"))
    if p["cell"] == "pyramidal":
        top = p["fi_max_nA"]
        return _Plan(
            delay_ms=10.0,
            step_ms=_value(p, "step_ms"),
            brief_ms=p["brief_ms"],
            long_ms=math.nan,
            spont_ms=_value(p, "spont_ms"),
            after_ms=_value(p, "after_ms"),
            fi_ms=_value(p, "fi_ms"),
            fi_currents=tuple(top * (k + 1) / n for k in range(n)),
            rel_tol=_value(p, "rel_tol"),
            dvdt=p["dvdt_mV_ms"],
            brief_factor=p["brief_factor"],
            threshold_margin=0.0,
            guess_rheobase_nA=0.06,
            guess_brief_nA=1.1,
        )
    top = p["axon_fi_max_nA"]
    return _Plan(
        delay_ms=0.5,
        step_ms=math.nan,
        brief_ms=p["axon_brief_ms"],
        long_ms=p["axon_long_ms"],
        spont_ms=_value(p, "axon_spont_ms"),
        after_ms=_value(p, "axon_after_ms"),
        fi_ms=_value(p, "axon_fi_ms"),
        fi_currents=tuple(top * (k + 1) / n for k in range(n)),
        rel_tol=_value(p, "rel_tol"),
        dvdt=p["axon_dvdt_mV_ms"],
        brief_factor=p["brief_factor"],
        threshold_margin=p["axon_threshold_margin"],
        guess_rheobase_nA=0.3,
        guess_brief_nA=1.0,
    )


def _build(p: dict, bath: Environment, shift: float) -> Preparation:
    """The preparation of ``p["cell"]`` in ``bath`` (reversals translated if asked)."""
    from neuron import h

    if p["cell"] == "pyramidal":
        from mgneuron.cell import cell_spec

        cell = cell_spec(p["morphology"] or None, p["biophysics"]).build()
        sections = cell.sections
        cell.apply_environment(bath)
        v_init = cell.v_init
        settings = RunSettings(
            tstop=1.0, dt=p["dt"], celsius=p["celsius"], v_init=v_init, cvode=p["cvode"]
        )
        stim = detect = cell.soma
        owner, labels = cell, [cell.label(cell.soma)] * 2
        sites = {"soma": cell.soma}  # threshold at the soma, as measured in slices
    else:
        from mgneuron.axon import build_axon, parse_myelinated_axon

        parsed = parse_myelinated_axon(p["myelinated_axon"] or DEFAULT_AXON)
        spec = parsed[0]
        if spec.n_nodes < 7:
            raise ProtocolError(
                f"excitability_mg needs a myelinated axon of at least 7 nodes (stimulus in the "
                f"middle, detection 3-4 nodes away); got {spec.n_nodes}"
            )
        axon = build_axon(spec, name="axon")
        sections = axon.sections
        bath.apply(sections)
        h.secondorder = 0  # the extracellular layers need backward Euler (mgneuron.axon)
        mid = axon.n_nodes // 2
        far = min(mid + 4, axon.n_nodes - 2)
        stim, detect = axon.node_segment(mid), axon.node_segment(far)
        v_init = spec.biophysics.v_init
        settings = RunSettings(
            tstop=1.0, dt=_value(p, "axon_dt"), celsius=p["axon_celsius"], v_init=v_init
        )
        owner, labels = axon, [f"node[{mid}]", f"node[{far}]"]
        sites = {f"node[{j}]": axon.node_segment(j) for j in range(axon.n_nodes)}
    if p["shift_reversals"]:
        translate_membrane(sections, shift)
        settings = replace(settings, v_init=settings.v_init + shift)
    return Preparation(sections, stim, detect, settings, bath, owner, labels, sites)


@contextmanager
def prepared(p: dict):
    """The preparation of one condition, at rest in its bath, with its screening model.

    Yields ``(prep, plan, bath, shift_mV)``; the screening model is configured for the
    condition (monovalent concentration of the bath, ``p["screening"]``) and restored, and
    the preparation released, on exit. ``p`` is a resolved parameter dict of
    :class:`ExcitabilityMg` (one value per parameter).
    """
    from mgneuron import screening

    plan = _plan(p)
    ca = coupled_ca_mM(p["mg_mM"], p["ca_mM"], p["hypocalcaemia"])
    celsius = p["celsius"] if p["cell"] == "pyramidal" else p["axon_celsius"]
    bath = Environment(mg_mM=p["mg_mM"], ca_mM=ca, celsius=celsius)
    saved = screening.current()
    model = saved if p["screening"] == "current" else replace(saved, model=p["screening"])
    params = replace(model, monovalent_mM=bath.na_mM + bath.k_mM)
    screening.configure(params)
    shift = float(screening.shift_mV(p["mg_mM"], ca, params, celsius))
    prep = None
    try:
        prep = _build(p, bath, shift)
        yield prep, plan, bath, shift
    finally:
        if prep is not None:
            prep.release()
        screening.configure(saved)


# ---------------------------------------------------------------------------------------
# The protocol
# ---------------------------------------------------------------------------------------


class ExcitabilityMg(Protocol):
    """Rheobase, voltage threshold, F-I curve and after-discharge vs [Mg]o (module notes)."""

    name = "excitability_mg"
    title = "Excitability of a pyramidal cell and a myelinated axon vs [Mg]o"
    params = (
        Param(
            "cell", CELLS, "", "preparations: pyramidal, axon", str, grid=True, choices=CELLS
        ),
        mg_param(MG_GRID, "[Mg]o (default: presets + 0-3 mM by 0.25)"),
        ca_param(2.0, "[Ca]o (at normal [Mg]o)"),
        Param(
            "hypocalcaemia", 0.0, "mM/mM",
            "coupled hypocalcaemia: [Ca]o falls by this per mM of [Mg]o below 1 mM", float,
            minimum=0.0,
        ),
        Param(
            "screening", "current", "", "screening model for the run (current = as configured)",
            str, choices=("current", "gcg", "empirical", "off"),
        ),
        Param(
            "shift_reversals", False, "",
            "control: move every reversal potential and v_init by the gating shift", bool,
        ),
        Param("quick", False, "", "short windows, <= 2 F-I points, 2 % tolerance, axon dt 0.02 ms",
              bool),
        Param(
            "morphology", "", "", "SWC/ASC file or shipped name (default: stylized L5 pyramid)",
            str,
        ),
        Param("biophysics", "pyramidal", "", "biophysics set name or JSON file", str),
        _axon_param(),
        Param("celsius", 34.0, "degC", "temperature of the pyramidal cell", float),
        Param("axon_celsius", 37.0, "degC", "temperature of the axon (MRG 2002: 37)", float),
        Param("cvode", True, "", "variable-step integration of the pyramidal cell", bool),
        Param("axon_dt", 0.005, "ms", "fixed time step of the axon", float, minimum=1e-5),
        Param("rel_tol", 0.005, "", "relative tolerance of the threshold bisections", float,
              minimum=1e-6),
        Param("step_ms", 1000.0, "ms", "pyramidal: rheobase step duration", float, minimum=1.0),
        Param("brief_ms", 1.0, "ms", "pyramidal: brief pulse duration", float, minimum=0.01),
        Param("axon_brief_ms", 0.1, "ms", "axon: brief pulse duration", float, minimum=0.01),
        Param("axon_long_ms", 1.0, "ms", "axon: long pulse duration (Weiss's law)", float,
              minimum=0.01),
        Param("brief_factor", 2.0, "", "after-discharge pulse / its threshold", float,
              minimum=1.0),
        Param("spont_ms", 1000.0, "ms", "pyramidal: window for spontaneous firing", float,
              minimum=1.0),
        Param("axon_spont_ms", 50.0, "ms", "axon: window for spontaneous firing", float,
              minimum=1.0),
        Param("after_ms", 200.0, "ms", "pyramidal: window after the brief pulse", float,
              minimum=1.0),
        Param("axon_after_ms", 50.0, "ms", "axon: window after the brief pulse", float,
              minimum=1.0),
        Param("fi_points", 6, "", "currents of the F-I curve (0: none)", int, minimum=0),
        Param("fi_max_nA", 0.3, "nA", "pyramidal: largest F-I current", float, minimum=0.0),
        Param("axon_fi_max_nA", 0.6, "nA", "axon: largest F-I current", float, minimum=0.0),
        Param("fi_ms", 500.0, "ms", "pyramidal: F-I step duration", float, minimum=1.0),
        Param("axon_fi_ms", 100.0, "ms", "axon: F-I step duration", float, minimum=1.0),
        Param("dvdt_mV_ms", 20.0, "mV/ms", "pyramidal: dV/dt threshold criterion", float,
              minimum=0.0),
        Param("axon_dvdt_mV_ms", 100.0, "mV/ms", "axon: dV/dt threshold criterion", float,
              minimum=0.0),
        Param("axon_threshold_margin", 0.02, "",
              "axon: voltage threshold on a brief pulse this fraction above its threshold",
              float, minimum=0.0),
        Param("dt", 0.025, "ms", "pyramidal: fixed time step (F-I steps; all with --cvode false)",
              float, minimum=1e-6),
        Param("tstop", 100.0, "ms", "unused: every measure has its own window", float,
              minimum=1e-6),
        Param("record_every", 0.1, "ms", "pyramidal: sampling of stored traces (axon: every step)",
              float, minimum=1e-4),
    )  # fmt: skip

    @classmethod
    def validate(cls, values):
        if values["axon_long_ms"] <= values["axon_brief_ms"]:
            raise ProtocolError(
                "excitability_mg: axon_long_ms must be longer than axon_brief_ms (Weiss's law "
                "needs two different pulse durations)"
            )

    def run_condition(self, p):
        from mgneuron.simulation import coreneuron_active

        if coreneuron_active():
            raise ProtocolError(
                "excitability_mg stops trials at the first spike and integrates the pyramidal "
                "cell with CVODE, which CoreNEURON does not do; run it without --coreneuron"
            )
        with prepared(p) as (prep, plan, bath, shift):
            # Stored traces: every record_every ms (pyramidal), every time step (axon).
            every = p["record_every"] if p["cell"] == "pyramidal" else prep.settings.dt
            row, reports = _measure(prep, plan, p["cell"], every)
        ca = bath.ca_mM
        row = {"cell": p["cell"], "mg_mM": p["mg_mM"], "ca_mM": ca, "shift_mV": shift, **row}
        return ConditionResult(features=[row], reports=reports)

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """The tidy F-I table and the threshold change vs the shift change per cell."""
        if features.empty:
            return {}
        fi_rows = []
        ks = sorted(
            int(c[len("fi_current") : -len("_nA")])
            for c in features
            if c.startswith("fi_current") and c.endswith("_nA")
        )
        for _, r in features.iterrows():
            for k in ks:
                i, f = r.get(f"fi_current{k}_nA"), r.get(f"fi_rate{k}_hz")
                if i is None or not np.isfinite(i):
                    continue
                fi_rows.append(
                    {"cell": r["cell"], "mg_mM": r["mg_mM"], "ca_mM": r["ca_mM"],
                     "current_nA": float(i), "rate_hz": float(f)}
                )  # fmt: skip
        out = {"fi": pd.DataFrame(fi_rows)} if fi_rows else {}
        shift_rows = []
        for cell, grp in features.groupby("cell"):
            ref = grp.iloc[(grp["mg_mM"] - NORMAL_MG_MM).abs().argsort()[:1]]
            if ref.empty:
                continue
            ref = ref.iloc[0]
            for _, r in grp.sort_values("mg_mM").iterrows():
                d_thr = r["threshold_mV"] - ref["threshold_mV"]
                d_shift = r["shift_mV"] - ref["shift_mV"]
                shift_rows.append(
                    {
                        "cell": cell,
                        "mg_mM": r["mg_mM"],
                        "ca_mM": r["ca_mM"],
                        "ref_mg_mM": ref["mg_mM"],
                        "d_shift_mV": d_shift,
                        "d_threshold_mV": d_thr,
                        "deviation_mV": d_thr - d_shift,
                        "rheobase_ratio": r["rheobase_nA"] / ref["rheobase_nA"]
                        if ref["rheobase_nA"] > 0
                        else math.nan,
                    }
                )
        if shift_rows:
            out["threshold_shift"] = pd.DataFrame(shift_rows)
        return out

    def plot(self, path, out_dir):
        return [plot_excitability_mg(path, Path(out_dir) / "excitability_mg.png")]


def _measure(prep: Preparation, plan: _Plan, cell: str, record_every: float):
    """Every measure of one condition on a built preparation; (feature row, reports)."""
    d0 = plan.delay_ms
    row: dict = {}

    # 2. Spontaneous firing from rest.
    tr = prep.trial(0.0, 0.0, 0.0, plan.spont_ms)
    spont = tr.spikes
    row["rest_mV"] = float(tr.v_stim[0])
    row["spontaneous_rate_hz"] = firing_rate_hz(spont, 0.0, plan.spont_ms)
    reports = {"spontaneous": _report(prep, tr, record_every)}

    first_spike: dict[tuple[float, float], float] = {}

    def fires(amp: float, dur: float, wait: float) -> bool:
        spikes = prep.trial(amp, d0, dur, d0 + dur + wait, stop=True).spikes
        if spikes.size:
            first_spike[(amp, dur)] = float(spikes[0])
        return spikes.size > 0

    nan = math.nan
    if spont.size:
        # A spontaneously firing preparation: no rheobase to find, no pulse threshold.
        row.update(rheobase_nA=0.0, brief_threshold_nA=nan, long_threshold_nA=nan, sdtc_ms=nan)
        row["threshold_mV"], row["threshold_site"] = _threshold(prep, tr, plan.dvdt, 0.0)
        row["latency_ms"] = nan
        window = min(plan.after_ms, plan.spont_ms)
        row["n_spikes"] = int(round(row["spontaneous_rate_hz"] * window / 1e3))
    else:
        # 3. Thresholds. Brief pulse (both cells); rheobase: long step (pyramidal) or
        #    Weiss's law through the brief and long pulses (axon). The pyramidal cell's
        #    brief threshold only scales the after-discharge pulse: 5 % is enough.
        wait = 20.0 if cell == "pyramidal" else 2.0
        brief_tol = max(plan.rel_tol, 0.05) if cell == "pyramidal" else plan.rel_tol
        brief = find_rheobase(
            lambda a: fires(a, plan.brief_ms, wait), plan.guess_brief_nA, brief_tol
        )
        row["brief_threshold_nA"] = brief
        if cell == "pyramidal":
            rheo = find_rheobase(
                lambda a: fires(a, plan.step_ms, 5.0), plan.guess_rheobase_nA, plan.rel_tol
            )
            row.update(long_threshold_nA=nan, sdtc_ms=nan, rheobase_nA=rheo)
            thr_amp, thr_dur = rheo, plan.step_ms
        else:
            long_ = find_rheobase(
                lambda a: fires(a, plan.long_ms, wait), 0.35 * brief, plan.rel_tol
            )
            rheo, sdtc = _weiss(plan.brief_ms, brief, plan.long_ms, long_)
            row.update(long_threshold_nA=long_, sdtc_ms=sdtc, rheobase_nA=rheo)
            thr_amp, thr_dur = brief, plan.brief_ms
        # 4. Voltage threshold: the trial at threshold again (axon: threshold_margin above
        #    it), run to 5 ms past its spike.
        t_first = first_spike.get((thr_amp, thr_dur), nan)
        thr, site, latency, tr = voltage_threshold(prep, plan, thr_amp, thr_dur, wait, t_first)
        row.update(threshold_mV=thr, threshold_site=site, latency_ms=latency)
        reports["threshold"] = _report(prep, tr, record_every)

        # 5. After-discharge: brief pulse at brief_factor x its threshold.
        amp = plan.brief_factor * brief
        tr = prep.trial(amp, d0, plan.brief_ms, d0 + plan.after_ms)
        row["n_spikes"] = int(np.count_nonzero(tr.spikes >= d0))
        reports["after_discharge"] = _report(prep, tr, record_every)
    row["after_spikes"] = max(row["n_spikes"] - 1, 0)

    # 6. F-I curve.
    rates = []
    for k, amp in enumerate(plan.fi_currents, start=1):
        tr = prep.trial(amp, d0, plan.fi_ms, d0 + plan.fi_ms, cvode=False)
        rate = firing_rate_hz(tr.spikes, d0, d0 + plan.fi_ms)
        row[f"fi_current{k}_nA"] = float(amp)
        row[f"fi_rate{k}_hz"] = rate
        rates.append(rate)
    row["fi_gain_hz_per_nA"] = fi_gain(plan.fi_currents, rates)
    return row, reports


def voltage_threshold(
    prep: Preparation,
    plan: _Plan,
    amp_nA: float,
    dur_ms: float,
    wait_ms: float,
    t_first_ms: float = math.nan,
) -> tuple[float, str, float, Trace]:
    """Voltage threshold (mV), its site, latency (ms) and trace of a pulse at threshold.

    The pulse is ``amp_nA * (1 + plan.threshold_margin)`` for ``dur_ms`` from
    ``plan.delay_ms``; the threshold is the dV/dt criterion ``plan.dvdt`` at the site where
    the first spike starts (:func:`_threshold`), the latency is that spike's time at the
    detection site after the pulse onset. ``t_first_ms``, the spike time already seen for
    this pulse (margin 0 only), shortens the run.
    """
    d0 = plan.delay_ms
    amp = amp_nA * (1.0 + plan.threshold_margin)
    if plan.threshold_margin > 0 or not np.isfinite(t_first_ms):
        t_first_ms = d0 + dur_ms + wait_ms
    tr = prep.trial(amp, d0, dur_ms, t_first_ms + 5.0)
    thr, site = _threshold(prep, tr, plan.dvdt, d0)
    after = tr.spikes[tr.spikes >= d0]
    latency = float(after[0] - d0) if after.size else math.nan
    return thr, site, latency, tr


def _threshold(prep: Preparation, tr: Trace, dvdt: float, start_ms: float) -> tuple:
    """dV/dt threshold (mV) of the first spike at the site where it starts, and that site.

    The site of initiation is the candidate site whose potential first crosses the spike
    level after ``start_ms`` (for the axon, the stimulated node, unless the bath makes
    another node fire first: near instability the sealed end nodes of a short fibre can).
    """
    first = [spike_times(tr.t, v, SPIKE_MV, start_ms) for v in tr.v_sites]
    times = [f[0] if f.size else math.inf for f in first]
    if not times or not np.isfinite(min(times)):
        return math.nan, ""
    k = int(np.argmin(times))
    return threshold_dvdt(tr.t, tr.v_sites[k], dvdt, SPIKE_MV, start_ms), prep.site_names[k]


def _weiss(t1: float, i1: float, t2: float, i2: float) -> tuple[float, float]:
    """Rheobase (nA) and strength-duration time constant (ms) of Weiss's law.

    Charge ``Q = I t = I_rh (t + tau_SD)`` is linear in the duration t; through two points
    ``I_rh = (I2 t2 - I1 t1) / (t2 - t1)`` and ``tau_SD = I1 t1 / I_rh - t1``.
    """
    if not (np.isfinite(i1) and np.isfinite(i2)):
        return math.nan, math.nan
    rh = (i2 * t2 - i1 * t1) / (t2 - t1)
    if rh <= 0:
        return math.nan, math.nan
    return float(rh), float(i1 * t1 / rh - t1)


def _report(prep: Preparation, tr: Trace, every: float) -> Report:
    """The two recorded sites on a uniform grid of ``every`` ms (CVODE samples interpolated)."""
    step = max(every, prep.settings.dt)
    stop = float(tr.t[-1]) if tr.t.size else 0.0
    grid = np.arange(0.0, stop + 1e-9, step)
    if grid.size == 0:
        grid = np.array([0.0])
    data = np.stack([np.interp(grid, tr.t, tr.v_stim), np.interp(grid, tr.t, tr.v_detect)], 1)
    return Report(
        data=data,
        time=(0.0, grid.size * step, step),
        node_ids=[0],
        element_ids=[0, 1],
        variable="v",
        units="mV",
        element_labels=list(prep.labels),
    )


# ---------------------------------------------------------------------------------------
# Figure
# ---------------------------------------------------------------------------------------


def plot_excitability_mg(path, out: Path) -> Path:
    """Rheobase, voltage threshold (vs the screening shift), after-discharge and F-I curves."""
    from mgneuron.plots import figure, mg_colors, save
    from mgneuron.results import read_features, read_table

    df = read_features(path).sort_values("mg_mM")
    fig, axes = figure(ncols=2, nrows=2)
    (ax_rh, ax_thr), (ax_n, ax_fi) = axes
    markers = {"pyramidal": "o", "axon": "s"}
    for cell, grp in df.groupby("cell"):
        mk = markers.get(cell, "^")
        ax_rh.plot(grp["mg_mM"], grp["rheobase_nA"], mk + "-", ms=4, label=cell)
        ax_thr.plot(grp["mg_mM"], grp["threshold_mV"], mk + "-", ms=4, label=f"{cell}")
        ref = grp.iloc[(grp["mg_mM"] - NORMAL_MG_MM).abs().argsort()[:1]].iloc[0]
        ax_thr.plot(
            grp["mg_mM"], ref["threshold_mV"] + grp["shift_mV"] - ref["shift_mV"], ":",
            color="0.4", lw=1,
        )  # fmt: skip
        ax_n.plot(grp["mg_mM"], grp["n_spikes"], mk + "-", ms=4, label=cell)
    ax_rh.set_xlabel("[Mg]o (mM)")
    ax_rh.set_ylabel("rheobase (nA)")
    ax_rh.set_yscale("log")
    ax_rh.set_title("Rheobase")
    ax_rh.legend(title="cell", fontsize=7, title_fontsize=7)
    ax_thr.set_xlabel("[Mg]o (mM)")
    ax_thr.set_ylabel("voltage threshold (mV)")
    ax_thr.set_title("Threshold (dotted: + screening shift)")
    ax_thr.legend(title="cell", fontsize=7, title_fontsize=7)
    ax_n.set_xlabel("[Mg]o (mM)")
    ax_n.set_ylabel("spikes after a brief pulse")
    ax_n.set_title("After-discharge")
    ax_n.legend(title="cell", fontsize=7, title_fontsize=7)
    try:
        fi = read_table(path, "fi")
        cell = "pyramidal" if (fi["cell"] == "pyramidal").any() else fi["cell"].iloc[0]
        fi = fi[fi["cell"] == cell]
        colors = mg_colors(fi["mg_mM"])
        for mg, grp in fi.groupby("mg_mM"):
            grp = grp.sort_values("current_nA")
            ax_fi.plot(
                grp["current_nA"], grp["rate_hz"], "o-", ms=3, color=colors[float(mg)],
                label=f"{mg:g} mM",
            )  # fmt: skip
        ax_fi.set_title(f"F-I curve ({cell})")
        ax_fi.set_xlabel("injected current (nA)")
        ax_fi.set_ylabel("firing rate (Hz)")
        ax_fi.legend(title="[Mg]o", fontsize=6, title_fontsize=7, ncol=2)
    except Exception:  # no F-I table (no condition finished)
        ax_fi.set_axis_off()
    return save(fig, out)


def main(argv=None) -> int:
    return cli_main(ExcitabilityMg, argv)


if __name__ == "__main__":
    raise SystemExit(main())
