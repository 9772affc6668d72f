"""Conduction experiments on a built axon; each one runs NEURON simulations.

:func:`run_conduction` injects current pulses at a node and records the membrane
potential at every node; :func:`propagates` asks whether a pulse gives a spike at a far
node; :func:`threshold_nA` (bisection on the current), :func:`refractory_period_ms`
(bisection on the interval of a pulse pair) and :func:`lesion_safety_factor` (bisection
on the nodal Na conductances at a lesion; safety factor in the sense of Tasaki 1953) are
built on them. The pure measures (arrival times, bisections, the safety factor) are in
:mod:`mgneuron.measures`.

Every run is one :class:`~mgneuron.engine.Simulation` whose
:class:`~mgneuron.engine.RunSettings` hold the step, the temperature (37 degC by
default, as MRG 2002) and ``secondorder=0``: the extracellular layers of the double
cable need backward Euler (docs/guide.md, "Myelinated axon and conduction"). A bath is
applied to the axon's sections before initialisation (:func:`mgneuron.bath.apply_bath`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mgneuron.axon.builder import MyelinatedAxon
from mgneuron.axon.spec import MyelinatedAxonSpec
from mgneuron.bath import apply_bath
from mgneuron.engine import RunSettings, Simulation, short_pieces
from mgneuron.environment import Environment
from mgneuron.measures import (
    arrival_times,
    bisect_boundary,
    bisect_threshold,
    crossing_times,
    safety_factor,
)

__all__ = [
    "DEFAULT_DT_MS",
    "FAIL_AFTER_MS",
    "ConductionTrace",
    "run_conduction",
    "propagates",
    "threshold_nA",
    "refractory_period_ms",
    "lesion_nodes",
    "lesion_safety_factor",
]

#: Default time step (ms): MRG 2002's (ModelDB 3810, ``dt = 0.005``). Halving it moves
#: the CV of the default (mrg2002) 10 um fibre by < 0.5 % (tests/axon/test_experiments.py).
DEFAULT_DT_MS = 0.005

#: A run has clearly failed when no node has been above -20 mV for this long (ms) after
#: the last stimulus onset and after the last moment one was (the ``watchdog_ms`` of
#: :func:`run_conduction`): the longest gap between two active nodes of a conducting
#: fibre of the conduction protocol's grids is well under it (docs/guide.md, "Myelinated
#: axon and conduction").
FAIL_AFTER_MS = 2.0

#: Runs that may stop early integrate in pieces of this much simulated time (ms), so
#: that they end within it of the moment the answer was known
#: (:func:`mgneuron.engine.short_pieces`).
STOP_PIECE_MS = 0.05


@dataclass
class ConductionTrace:
    """What one conduction run recorded.

    Attributes
    ----------
    t_ms : numpy.ndarray
        Sample times (ms).
    v_mV : numpy.ndarray
        Membrane potential at each node centre, shape (n_nodes, n_t).
    node_x_um : numpy.ndarray
        Node positions along the axon (um).
    stim_times_ms : tuple of float
        Onsets of the stimulus pulses.
    """

    t_ms: np.ndarray
    v_mV: np.ndarray
    node_x_um: np.ndarray
    stim_times_ms: tuple[float, ...]


def run_conduction(
    axon: MyelinatedAxon,
    *,
    tstop_ms: float,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    stim_node: int = 0,
    amp_nA: float = 2.0,
    dur_ms: float = 0.1,
    stim_times_ms: Sequence[float] = (0.1,),
    amps_nA: Sequence[float] | None = None,
    bath: Environment | None = None,
    steady_state: bool = False,
    stop_at_node: int | None = None,
    stop_count: int = 1,
    watchdog_ms: float | None = None,
) -> ConductionTrace:
    """Stimulate one node with current pulses and record the membrane potential at every node.

    Parameters
    ----------
    axon : MyelinatedAxon
    tstop_ms, dt_ms : float
        Simulated time and fixed step (ms).
    celsius : float
        Temperature of the run (degC; its RunSettings); MRG 2002 used 37.
    stim_node : int
        Node receiving the intracellular pulses.
    amp_nA, dur_ms : float
        Amplitude and duration of each pulse.
    stim_times_ms : sequence of float
        Pulse onsets (ms).
    amps_nA : sequence of float, optional
        One amplitude per pulse (overrides ``amp_nA``).
    bath : Environment, optional
        Ion concentrations, applied to the axon's sections before initialisation
        (:func:`mgneuron.bath.apply_bath`).
    stop_at_node : int, optional
        End the run as soon as this node has crossed -20 mV ``stop_count`` times (the
        traces are then shorter).
    stop_count : int
        See ``stop_at_node``.
    watchdog_ms : float, optional
        End the run when no node has been above -20 mV for this long after the last
        stimulus onset and after the last moment one was (upward crossings are caught
        at the step they happen, the potentials are looked at every 0.1 ms): the spike
        has died out (see ``FAIL_AFTER_MS``).
    steady_state : bool
        Start from the steady state of the axon in its bath instead of ``v_init``
        (:mod:`mgneuron.engine.steady_state`). Every function here takes it and passes it
        on. Default False.
    """
    from neuron import h

    # Backward Euler (secondorder 0): the extracellular layers need it (module docstring).
    settings = RunSettings(
        tstop=tstop_ms, dt=dt_ms, celsius=celsius, v_init=axon.spec.biophysics.v_init,
        secondorder=0, steady_state=steady_state,
    )  # fmt: skip
    sim = Simulation(settings)
    amps = list(amps_nA) if amps_nA is not None else [amp_nA] * len(stim_times_ms)
    stims = [
        axon.iclamp(stim_node, a, t0, dur_ms) for a, t0 in zip(amps, stim_times_ms, strict=True)
    ]
    # One NetCon per watched node: NEURON keeps one record callback per source, so the
    # stop node's callback does both jobs (arrival count and the watchdog's clock).
    n_nodes = len(axon.nodes)
    stop_j = None if stop_at_node is None else stop_at_node % n_nodes
    t_last_pulse = float(max(stim_times_ms))
    last = [t_last_pulse]
    count = [0]

    def crossed(j: int, _last=last, _count=count) -> None:
        _last[0] = h.t
        if j == stop_j:
            _count[0] += 1
            if _count[0] >= stop_count:
                h.stoprun = 1

    watched = (
        range(n_nodes) if watchdog_ms is not None else ([stop_j] if stop_j is not None else [])
    )
    watchers = []
    for j in watched:
        nc = h.NetCon(axon.nodes[j](0.5)._ref_v, None, sec=axon.nodes[j])
        nc.threshold = -20.0
        nc.record(lambda _j=j: crossed(_j))
        watchers.append(nc)
    events = []
    nodes_held: list = []
    if watchdog_ms is not None:
        # Emptied after the run: a run that stopped early leaves its later checks queued,
        # and they must not keep the sections alive.
        nodes_held.extend(node(0.5) for node in axon.nodes)

        def check(_last=last, _segs=nodes_held) -> None:
            if any(seg.v > -20.0 for seg in _segs):
                _last[0] = h.t
            elif h.t - max(_last[0], t_last_pulse) > watchdog_ms:
                h.stoprun = 1

        t_check = float(min(stim_times_ms)) + 0.1  # every 0.1 ms from the first pulse
        while t_check < tstop_ms:
            events.append((t_check, check))
            t_check += 0.1
    t_vec = sim.record(h._ref_t, dt_ms)
    v_vecs = [sim.record(n(0.5)._ref_v, dt_ms) for n in axon.nodes]
    before = (lambda: apply_bath(bath, axon.all_sections)) if bath is not None else None
    stopping = stop_at_node is not None or watchdog_ms is not None
    try:
        # stoprun ends a fixed-step run only between psolve pieces: short ones here.
        with short_pieces(STOP_PIECE_MS) if stopping else contextlib.nullcontext():
            sim.run(before_init=before, events=events)
    finally:
        nodes_held.clear()
        for s in stims:
            axon._point_processes.remove(s)
    del watchers
    # Copies: a view would keep its Vector recording (and reallocating) in later runs.
    n_t = min([t_vec.size()] + [vv.size() for vv in v_vecs])
    t = np.array(t_vec)[:n_t]
    v = np.array([np.asarray(vv)[:n_t] for vv in v_vecs])
    trace = ConductionTrace(t, v, axon.node_x_um.copy(), tuple(float(x) for x in stim_times_ms))
    return trace


def propagates(
    axon: MyelinatedAxon,
    amp_nA: float,
    *,
    stim_node: int = 0,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    tstop_ms: float | None = None,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    threshold_mV: float = -20.0,
    bath: Environment | None = None,
    steady_state: bool = False,
    watchdog_ms: float | None = FAIL_AFTER_MS,
    early_stop: bool = True,
) -> bool:
    """Whether a pulse of ``amp_nA`` at ``stim_node`` gives a spike at ``detect_node``.

    The run stops when the spike arrives, or when no node has been above -20 mV for
    ``watchdog_ms`` (the spike failed), or at ``tstop_ms`` (default: the travel time at
    2 m/s + 2 ms). ``early_stop=False`` runs to ``tstop_ms`` whatever happens (the
    full-length control of the early stops).
    """
    if tstop_ms is None:
        tstop_ms = _travel_time_ms(axon, stim_node, detect_node) + 2.0
    tr = run_conduction(
        axon, tstop_ms=tstop_ms, dt_ms=dt_ms, celsius=celsius, stim_node=stim_node,
        amp_nA=amp_nA, dur_ms=dur_ms, stim_times_ms=(0.1,), bath=bath,
        stop_at_node=detect_node if early_stop else None,
        watchdog_ms=watchdog_ms if early_stop else None, steady_state=steady_state,
    )  # fmt: skip
    times = arrival_times(tr.t_ms, tr.v_mV[[detect_node]], threshold_mV, after_ms=0.1)
    return bool(np.isfinite(times[0]))


def _travel_time_ms(axon: MyelinatedAxon, a: int, b: int, slowest_m_per_s: float = 2.0) -> float:
    """Generous time for a spike to go from node a to node b (at >= 2 m/s)."""
    x = axon.node_x_um
    return abs(x[b] - x[a]) / (slowest_m_per_s * 1e3)


def threshold_nA(
    axon: MyelinatedAxon,
    *,
    stim_node: int | None = None,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    rel_tol: float = 0.01,
    start_nA: float = 1.0,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    tstop_ms: float | None = None,
    bath: Environment | None = None,
    steady_state: bool = False,
    early_stop: bool = True,
) -> float:
    """Threshold current (nA) of a ``dur_ms`` pulse at a node, by bisection to ``rel_tol``.

    The criterion is a propagated spike at ``detect_node``. Default stimulus site: the
    middle node. Returns the upper end of the final bracket (a current that works).
    Each trial stops as :func:`propagates` says (``early_stop``).
    """
    if stim_node is None:
        stim_node = axon.n_nodes // 2

    def ok(a: float) -> bool:
        return propagates(
            axon, a, stim_node=stim_node, detect_node=detect_node, dur_ms=dur_ms,
            dt_ms=dt_ms, celsius=celsius, tstop_ms=tstop_ms, bath=bath,
            steady_state=steady_state, early_stop=early_stop,
        )  # fmt: skip

    return bisect_threshold(ok, start=start_nA, rel_tol=rel_tol)


def refractory_period_ms(
    axon: MyelinatedAxon,
    amp_nA: float,
    *,
    stim_node: int = 0,
    detect_node: int = -1,
    dur_ms: float = 0.1,
    max_interval_ms: float = 10.0,
    abs_tol_ms: float = 0.01,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    bath: Environment | None = None,
    steady_state: bool = False,
    tstop_ms: float | None = None,
    early_stop: bool = True,
) -> float:
    """Shortest interval between two pulses of ``amp_nA`` whose second spike propagates.

    With ``amp_nA`` several times threshold this is the absolute refractory period of
    conduction. Bisection on the interval to ``abs_tol_ms``; NaN if even
    ``max_interval_ms`` fails. A trial runs until the second spike arrives or none has
    been above -20 mV for ``FAIL_AFTER_MS`` (``early_stop``), at most ``tstop_ms``
    (default: the second pulse + the travel time at 2 m/s + 2 ms).
    """
    travel = _travel_time_ms(axon, stim_node, detect_node)

    def second_arrives(interval: float) -> bool:
        t0 = 0.1
        tstop = tstop_ms if tstop_ms is not None else t0 + interval + travel + 2.0
        tr = run_conduction(
            axon, tstop_ms=tstop, dt_ms=dt_ms, celsius=celsius,
            stim_node=stim_node, amp_nA=amp_nA, dur_ms=dur_ms,
            stim_times_ms=(t0, t0 + interval),
            stop_at_node=detect_node if early_stop else None, stop_count=2,
            watchdog_ms=FAIL_AFTER_MS if early_stop else None, bath=bath,
            steady_state=steady_state,
        )  # fmt: skip
        # Two spikes must reach the far node (the first may arrive after the second pulse).
        return crossing_times(tr.t_ms, tr.v_mV[detect_node], -20.0).size >= 2

    if not second_arrives(max_interval_ms):
        return math.nan
    return bisect_boundary(second_arrives, low=dur_ms, high=max_interval_ms, abs_tol=abs_tol_ms)


def lesion_nodes(spec: MyelinatedAxonSpec) -> list[int]:
    """Nodes bordering the lesioned internodes (both ends of each).

    For an axon without a lesion, the two nodes of its middle internode.
    """
    hit = spec.lesioned or ((spec.n_nodes - 1) // 2,)
    return sorted({j for i in hit for j in (i, i + 1)})


def lesion_safety_factor(
    axon: MyelinatedAxon,
    nodes: Sequence[int] | None = None,
    *,
    stim_node: int = 0,
    detect_node: int | None = None,
    amp_nA: float = 3.0,
    dt_ms: float = DEFAULT_DT_MS,
    celsius: float = 37.0,
    rel_tol: float = 0.01,
    max_factor: float = 100.0,
    ms_per_internode: float = 1.0,
    bath: Environment | None = None,
    steady_state: bool = False,
    early_stop: bool = True,
) -> float:
    """Safety factor of conduction across a lesion (see :func:`mgneuron.measures.safety_factor`).

    The fast and persistent Na conductances of ``nodes`` (default :func:`lesion_nodes`)
    are scaled by k; k* is the smallest k for which a spike started at ``stim_node``
    still reaches ``detect_node`` (default: two nodes past the last scaled node), found by
    bisection to ``rel_tol`` (k above 1 when the lesion blocks at nominal density).
    Each trial runs until the spike arrives, or for ``ms_per_internode`` per internode
    from the last node before the lesion to ``detect_node``, after which it counts as
    blocked (``early_stop``: a trial also ends when no node has been above -20 mV for
    ``FAIL_AFTER_MS``; ``False`` runs every trial to that time). Returns 1 / k*: inf if
    the spike crosses with those nodes silenced, NaN if even ``max_factor`` times the
    density does not restore conduction or the stimulus fails before the lesion.
    """
    nodes = sorted(nodes if nodes is not None else lesion_nodes(axon.spec))
    n = axon.n_nodes
    before = max(min(nodes) - 1, stim_node)
    if detect_node is None:
        detect_node = min(max(nodes) + 2, n - 1)
    detect_node %= n
    secs = [axon.nodes[j] for j in nodes]
    saved = [[(seg.mrg_node.gnafbar, seg.mrg_node.gnapbar) for seg in sec] for sec in secs]
    t0 = 0.1
    first = run_conduction(
        axon, tstop_ms=t0 + _travel_time_ms(axon, stim_node, before) + 1.0, dt_ms=dt_ms,
        celsius=celsius, stim_node=stim_node, amp_nA=amp_nA, stim_times_ms=(t0,),
        bath=bath, stop_at_node=before if early_stop else None, steady_state=steady_state,
    )  # fmt: skip
    t_before = arrival_times(first.t_ms, first.v_mV[[before]], -20.0, after_ms=t0)[0]
    if not np.isfinite(t_before):
        return math.nan
    tstop = t_before + ms_per_internode * max(detect_node - before, 1) + 0.5

    def conducts(k: float) -> bool:
        for sec, vals in zip(secs, saved, strict=True):
            for seg, (gnaf, gnap) in zip(sec, vals, strict=True):
                seg.mrg_node.gnafbar, seg.mrg_node.gnapbar = k * gnaf, k * gnap
        return propagates(
            axon, amp_nA, stim_node=stim_node, detect_node=detect_node, dt_ms=dt_ms,
            celsius=celsius, tstop_ms=tstop, bath=bath, steady_state=steady_state,
            early_stop=early_stop,
        )  # fmt: skip

    try:
        if conducts(0.0):
            k_star = 0.0
        else:
            k_star = bisect_threshold(conducts, start=1.0, rel_tol=rel_tol, max_value=max_factor)
    finally:
        for sec, vals in zip(secs, saved, strict=True):
            for seg, (gnaf, gnap) in zip(sec, vals, strict=True):
                seg.mrg_node.gnafbar, seg.mrg_node.gnapbar = gnaf, gnap
    return safety_factor(k_star)
