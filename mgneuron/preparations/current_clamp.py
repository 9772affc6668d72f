"""A cell or a myelinated axon at rest in its bath, under current clamp, with spike detection.

:func:`current_clamp` builds the preparation of an excitability measurement: the model
(a :class:`~mgneuron.cell.CellSpec`, stimulated and recorded at the soma, or a
:class:`~mgneuron.axon.MyelinatedAxonSpec`, stimulated at its middle node and recorded 4
nodes away), the screening model of its bath, one ``IClamp``, a spike detector and the
potential of every candidate site of spike initiation. Each :meth:`CurrentClamp.trial`
is one run of the engine (:func:`mgneuron.engine.run`) from the preparation's steady
state in its bath.

Steady-state start
------------------
Every trial runs with ``RunSettings(steady_state=True)``: before ``t = 0`` the engine
takes large backward-Euler steps (``dt = 1e9`` ms from ``t = -1e12``) until no segment's
potential changes by more than 1e-9 mV per step (at most 200 steps; Carnevale & Hines
2006, The NEURON Book, ch. 8; :mod:`mgneuron.engine.steady_state`), so a trial starts at
the rest the bath sets, whatever ``v_init`` was, with fixed steps and with CVODE. The
last step's change is :attr:`CurrentClamp.rest` ``.drift_mV``.

Recording
---------
Time and the potentials are recorded at every step the integrator takes (fixed steps of
``dt``, or CVODE's own steps), so dV/dt thresholds are measured on the steps themselves;
:meth:`Trace.on_grid` resamples a trace for storage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from mgneuron.axon import MyelinatedAxonSpec, build_axon
from mgneuron.bath import apply_bath, configure_screening
from mgneuron.cell import CellSpec
from mgneuron.engine import RunSettings, run
from mgneuron.engine.state import hoc
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.measures.threshold import threshold_at_initiation
from mgneuron.screening import ScreeningParams, screening_changes, shift_mV

__all__ = [
    "SPIKE_MV",
    "REVERSALS",
    "Trace",
    "Rest",
    "Threshold",
    "CurrentClamp",
    "current_clamp",
    "translate_membrane",
]

SPIKE_MV = -20.0  # spike detection level (mV)
#: The reversal potentials :func:`translate_membrane` can move: the node's leak (``leak``),
#: every passive membrane (``pas``: the pyramidal cell's leak, the internodal axolemma),
#: Na (``na``) and K (``k``).
REVERSALS = ("leak", "pas", "na", "k")
_KNOWN_MECHS = {"pas", "NaT", "Kdr", "Km", "mrg_node", "extracellular", "screen_probe"}
_STEADY_TOL_MV = 1e-9  # steady state: change per backward-Euler step below this (mV)
_STEADY_MAX_STEPS = 200


@dataclass
class Trace:
    """One trial of a preparation.

    Sample times (ms), potential at the stimulation and detection sites (mV), spike times
    (ms) at the detection site, and the potential at every candidate site of spike
    initiation (mV, one row per site).
    """

    t: np.ndarray
    v_stim: np.ndarray
    v_detect: np.ndarray
    spikes: np.ndarray
    v_sites: np.ndarray

    def on_grid(self, step: float) -> tuple[np.ndarray, np.ndarray]:
        """Both sites interpolated on ``0, step, ...`` up to the last sample.

        Returns
        -------
        tuple of numpy.ndarray
            ``(grid, data)``; ``data`` has one column per site (stimulation, detection).
        """
        stop = float(self.t[-1]) if self.t.size else 0.0
        grid = np.arange(0.0, stop + 1e-9, step)
        if grid.size == 0:
            grid = np.array([0.0])
        v = [np.interp(grid, self.t, self.v_stim), np.interp(grid, self.t, self.v_detect)]
        return grid, np.stack(v, 1)


@dataclass(frozen=True)
class Rest:
    """The steady-state start of the last trial.

    Potential at the stimulation site at ``t = 0`` (mV), the largest change of any
    segment's potential over the last backward-Euler step (mV; below 1e-9 the start is the
    steady state) and the number of steps taken.
    """

    v_mV: float
    drift_mV: float
    steps: int


class Threshold(NamedTuple):
    """Voltage threshold of a trial's first spike.

    The threshold (mV), the site the spike starts at, its latency (ms, at the detection
    site after the pulse onset) and the trial.
    """

    mV: float
    site: str
    latency_ms: float
    trace: Trace


class CurrentClamp:
    """A built cell or axon with an IClamp, recordings and a steady-state start.

    Built by :func:`current_clamp`; use it as a context manager (or call
    :meth:`release`) so that its sections go when the measurement ends.

    Attributes
    ----------
    sections : list of nrn.Section
        Every section (the bath is applied to them before each trial).
    settings : RunSettings
        The run settings of a trial (``tstop`` is replaced per trial).
    bath : Environment
    labels : list of str
        Names of the stimulation and detection sites.
    site_names : list of str
        Candidate sites of spike initiation (the soma; every node of an axon).
    screening : ScreeningParams
        The screening model configured for the bath.
    shift_mV : float
        The gating shift of that model in this bath (Python reference).
    rest : Rest or None
        The steady-state start of the last trial.
    """

    def __init__(self, owner, sections, stim_seg, detect_seg, sites, labels, settings, bath):
        h = hoc()
        self.owner, self.sections, self.labels = owner, sections, labels
        self.stim_seg, self.detect_seg = stim_seg, detect_seg
        self.settings, self.bath = settings, bath
        self.site_names = list(sites)
        self.screening: ScreeningParams | None = None
        self.shift_mV = 0.0
        self.rest: Rest | None = None
        self.stim = h.IClamp(stim_seg)
        self.stim.amp = 0.0
        self._stop = False
        self._spikes: list[float] = []
        self._nc = h.NetCon(detect_seg._ref_v, None, sec=detect_seg.sec)
        self._nc.threshold = SPIKE_MV
        self._nc.record(self._on_spike)
        # Every step is recorded (fixed steps of dt, or CVODE's own steps), so one set of
        # vectors serves both integrators.
        self._t = h.Vector().record(h._ref_t)
        self._vs = h.Vector().record(stim_seg._ref_v)
        self._vd = h.Vector().record(detect_seg._ref_v)
        self._vsites = [h.Vector().record(seg._ref_v) for seg in sites.values()]

    def __enter__(self) -> CurrentClamp:
        """Use the preparation in a ``with`` block."""
        return self

    def __exit__(self, *exc) -> None:
        """Release the preparation (:meth:`release`)."""
        self.release()

    def _on_spike(self) -> None:
        h = hoc()
        self._spikes.append(h.t)
        if self._stop:
            h.stoprun = 1

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
        steady = run(settings, before_init=lambda: apply_bath(self.bath, self.sections))
        self.rest = Rest(float(self._vs[0]), float(steady.change_mV), int(steady.steps))
        return Trace(
            np.array(self._t),
            np.array(self._vs),
            np.array(self._vd),
            np.array([s for s in self._spikes if 0.0 <= s <= tstop_ms]),
            np.array([np.asarray(v) for v in self._vsites]),
        )

    def first_spike_ms(self, amp_nA: float, delay_ms: float, dur_ms: float, wait_ms: float):
        """Time (ms) of the first spike of a pulse, waiting ``wait_ms`` after it (NaN: none).

        The run stops at that spike.
        """
        spikes = self.trial(amp_nA, delay_ms, dur_ms, delay_ms + dur_ms + wait_ms, stop=True)
        return float(spikes.spikes[0]) if spikes.spikes.size else math.nan

    def threshold(self, trace: Trace, dvdt_mV_ms: float, start_ms: float) -> tuple[float, str]:
        """Voltage threshold of the first spike after ``start_ms``, and where it starts.

        Returns the dV/dt threshold (mV) at the site of initiation and that site's name
        ("" if no site spikes). The site of initiation is the candidate site whose
        potential first crosses the spike level (for the axon, the stimulated node, unless
        the bath makes another node fire first: near instability the sealed end nodes of a
        short fibre can).
        """
        thr, k = threshold_at_initiation(trace.t, trace.v_sites, dvdt_mV_ms, SPIKE_MV, start_ms)
        return thr, ("" if k is None else self.site_names[k])

    def voltage_threshold(
        self, amp_nA: float, delay_ms: float, dur_ms: float, tstop_ms: float, dvdt_mV_ms: float
    ) -> Threshold:
        """Run one pulse to ``tstop_ms``; the threshold of its first spike, site and latency.

        See :meth:`threshold`.
        """
        tr = self.trial(amp_nA, delay_ms, dur_ms, tstop_ms)
        thr, site = self.threshold(tr, dvdt_mV_ms, delay_ms)
        after = tr.spikes[tr.spikes >= delay_ms]
        latency = float(after[0] - delay_ms) if after.size else math.nan
        return Threshold(thr, site, latency, tr)

    def release(self) -> None:
        """Drop every NEURON object (the sections go with the owner)."""
        self._nc = self.stim = None
        self._t = self._vs = self._vd = self._vsites = None
        _drop(self.owner)
        self.owner = self.sections = self.stim_seg = self.detect_seg = None


def current_clamp(
    model: CellSpec | MyelinatedAxonSpec,
    bath: Environment,
    *,
    celsius: float,
    dt: float,
    cvode: bool = False,
    screening: str = "current",
    translate: bool = False,
) -> CurrentClamp:
    """Build a preparation for current clamp in ``bath``, with its screening model.

    Parameters
    ----------
    model : CellSpec or MyelinatedAxonSpec
        A cell (current injected and spikes detected at the soma, the threshold measured
        there) or a free myelinated axon of at least 7 nodes (current into the middle
        node, spikes detected 4 nodes away or at the last node but one; the threshold at
        whichever node a spike starts). The axon runs with backward Euler
        (``secondorder = 0``, which its extracellular layers need).
    bath : Environment
    celsius : float
        Temperature (degC): the run's and the screening model's.
    dt : float
        Fixed time step (ms).
    cvode : bool
        Variable-step integration by default (a trial may override it).
    screening : str
        ``"current"`` keeps the configured screening model, or ``"gcg"``,
        ``"gcg_binding"``, ``"empirical"``, ``"off"``
        (:func:`mgneuron.screening.screening_changes`); its monovalent salt is the bath's
        [Na]o + [K]o. Set through
        :func:`mgneuron.bath.configure_screening`; the engine puts the GLOBALs back
        before the next condition.
    translate : bool
        Control: move every reversal potential and ``v_init`` by the gating shift, which
        translates the membrane along the voltage axis (:func:`translate_membrane`).
    """
    changes = screening_changes(screening)
    params = configure_screening(monovalent_mM=bath.na_mM + bath.k_mM, **changes)
    shift = float(shift_mV(bath.mg_mM, bath.ca_mM, params, celsius))
    if isinstance(model, CellSpec):
        cell = model.build()
        v_init, owner, sections = cell.v_init, cell, cell.sections
        stim = detect = cell.soma
        labels, sites = [cell.label(cell.soma)] * 2, {"soma": cell.soma}
    elif isinstance(model, MyelinatedAxonSpec):
        if model.n_nodes < 7:
            raise ProtocolError(
                f"a current-clamp axon needs at least 7 nodes (stimulus in the middle, "
                f"detection 3-4 nodes away); got {model.n_nodes}"
            )
        axon = build_axon(model, name="axon")
        v_init, owner, sections = model.biophysics.v_init, axon, axon.sections
        mid = axon.n_nodes // 2
        far = min(mid + 4, axon.n_nodes - 2)
        stim, detect = axon.node_segment(mid), axon.node_segment(far)
        labels = [f"node[{mid}]", f"node[{far}]"]
        sites = {f"node[{j}]": axon.node_segment(j) for j in range(axon.n_nodes)}
    else:
        raise ProtocolError(f"current_clamp: expected a CellSpec or MyelinatedAxonSpec: {model!r}")
    if translate:
        try:
            translate_membrane(sections, shift)
        except BaseException:
            _drop(owner)
            raise
        v_init += shift
    # Backward Euler for both: the axon's extracellular layers need it (mgneuron.axon).
    settings = RunSettings(
        tstop=1.0, dt=dt, celsius=celsius, v_init=v_init, cvode=cvode, secondorder=0,
        steady_state=True, steady_tol_mV=_STEADY_TOL_MV, steady_max_steps=_STEADY_MAX_STEPS,
    )  # fmt: skip
    prep = CurrentClamp(owner, sections, stim, detect, sites, labels, settings, bath)
    prep.screening, prep.shift_mV = params, shift
    return prep


def _drop(owner) -> None:
    """Delete a Cell's sections, or release a MyelinatedAxon's."""
    if hasattr(owner, "delete"):
        owner.delete()
    elif hasattr(owner, "release"):
        owner.release()


def translate_membrane(sections, shift: float, parts=REVERSALS) -> None:
    """Move reversal potentials of the membrane by ``shift`` mV (control, attribution).

    With every part moved, the gating shift and v_init moved by the same amount, the
    membrane is translated along the voltage axis. A subset of :data:`REVERSALS` moves only
    those (the attribution of a threshold change to the reversals that screening leaves
    in place). Supports the mechanisms of the built-in sets (pas, NaT, Kdr, Km,
    mrg_node); refuses others, whose reversal it cannot know.
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
                if not name.endswith("_ion") and name not in _KNOWN_MECHS:
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
