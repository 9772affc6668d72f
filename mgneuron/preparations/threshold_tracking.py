"""Threshold tracking on the human axon: a conditioning current, a test pulse, a spike or not.

:func:`threshold_tracking` builds the preparation of the nerve excitability tests
(:mod:`mgneuron.axon.human` in a bath, its screening model configured): two current
clamps at the node, one for the conditioning current (a polarising current of threshold
electrotonus and of the current-threshold relation, or the supramaximal pulse of the
recovery cycle) and one for the test pulse, and a spike detector at the node
(``SPIKE_MV``, upward crossing). The rest of the bath is found once, by
:meth:`Tracking.settle`: ``settle_ms`` of ordinary integration from ``v_rest_mV`` (not
the engine's steady-state start, whose large backward-Euler steps the slow Ks and HCN
gates, time constants up to hundreds of ms, defeat here), and its potentials and gates
are saved; every trial starts from them (restored at initialisation). Each
:meth:`Tracking.responds` is one such run, stopped at the first spike after the test
onset; :meth:`Tracking.threshold` is the smallest test current that fires, by the
package's bracketing bisection
(:func:`mgneuron.measures.find_rheobase`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from mgneuron.axon.human import HumanAxonSpec, build_human_axon
from mgneuron.bath import apply_bath, configure_screening
from mgneuron.engine import RunSettings, run
from mgneuron.engine.state import hoc
from mgneuron.environment import Environment
from mgneuron.measures import find_rheobase
from mgneuron.screening import screening_changes, shift_mV

__all__ = ["SPIKE_MV", "Tracking", "threshold_tracking"]

SPIKE_MV = -20.0  # spike detection level at the node (mV)
_GATES = ("m", "h", "n", "s", "q", "p")  # the states of mechanisms/human_axon.mod


class Tracking:
    """A built human axon with a conditioning and a test current clamp at its node.

    Attributes
    ----------
    axon : mgneuron.axon.human.HumanAxon
    bath : Environment
    settings : RunSettings
        The settings of a trial (``tstop`` replaced per trial).
    shift_mV : float
        The gating shift of the bath (Python reference of the screening model).
    rest_mV : float
        The node's resting potential of the last trial (mV).
    """

    def __init__(self, axon, bath: Environment, settings: RunSettings, shift: float) -> None:
        h = hoc()
        self.axon, self.bath, self.settings, self.shift_mV = axon, bath, settings, shift
        seg = axon.node(0.5)
        self.cond = h.IClamp(seg)
        self.test = h.IClamp(seg)
        for stim in (self.cond, self.test):
            stim.amp, stim.delay, stim.dur = 0.0, 0.0, 0.0
        self._spikes: list[float] = []
        self._after = math.inf
        self._nc = h.NetCon(seg._ref_v, None, sec=axon.node)
        self._nc.threshold = SPIKE_MV
        self._nc.record(self._on_spike)
        self._t = h.Vector()
        self._v = h.Vector()
        self.rest_mV = math.nan
        self.settle_spikes = 0
        self.settle_drift_mV = math.nan
        self._state = None
        self._restore = h.FInitializeHandler(1, self._restore_state)

    def _restore_state(self) -> None:
        if self._state is not None:
            for sec, values in zip(self.axon.sections, self._state, strict=True):
                seg = sec(0.5)
                seg.v = values[0]
                for name, value in zip(_GATES, values[1:], strict=True):
                    setattr(seg, f"{name}_human_axon", value)

    def settle(self, settle_ms: float) -> None:
        """Find the rest of the bath and save it as every trial's start.

        From ``v_rest_mV`` and the gates' steady states there, ``settle_ms`` without
        stimulus; ``settle_spikes`` counts
        the spikes of that last stretch (spontaneous firing: no rest), ``settle_drift_mV``
        is the node's change over its last 10 %.
        """
        h = hoc()
        self._state = None
        for stim in (self.cond, self.test):
            stim.amp, stim.delay, stim.dur = 0.0, 0.0, 0.0
        self._spikes.clear()
        self._after = math.inf
        v = h.Vector().record(self.axon.node(0.5)._ref_v)
        run(replace(self.settings, tstop=settle_ms),
            before_init=lambda: apply_bath(self.bath, self.axon.sections))  # fmt: skip
        arr = np.array(v)
        self.settle_spikes = len(self._spikes)
        tail = max(int(arr.size * 0.1), 1)
        self.settle_drift_mV = float(arr[-1] - arr[-tail - 1]) if arr.size > tail else math.nan
        self._state = [
            [sec(0.5).v] + [getattr(sec(0.5), f"{g}_human_axon") for g in _GATES]
            for sec in self.axon.sections
        ]

    def __enter__(self) -> Tracking:
        """Use the preparation in a ``with`` block."""
        return self

    def __exit__(self, *exc) -> None:
        """Release the preparation (:meth:`release`)."""
        self.release()

    def _on_spike(self) -> None:
        h = hoc()
        self._spikes.append(h.t)
        if h.t >= self._after:
            h.stoprun = 1

    def run(
        self,
        cond: tuple[float, float, float],
        test: tuple[float, float, float],
        tstop_ms: float,
        stop_after_ms: float = math.inf,
        record: bool = False,
    ) -> np.ndarray:
        """One trial; the spike times (ms) at the node.

        ``cond`` and ``test`` are ``(amp_nA, delay_ms, dur_ms)``. The run ends at
        ``tstop_ms`` or at the first spike at or after ``stop_after_ms``. With ``record``
        the node's potential is kept (:meth:`trace`).
        """
        h = hoc()
        for stim, (amp, delay, dur) in ((self.cond, cond), (self.test, test)):
            stim.amp, stim.delay, stim.dur = amp, delay, dur
        self._spikes.clear()
        self._after = stop_after_ms
        if record:
            self._t.record(h._ref_t)
            self._v.record(self.axon.node(0.5)._ref_v)
        else:
            self._t.play_remove()
            self._v.play_remove()
        settings = replace(self.settings, tstop=tstop_ms)
        run(settings, before_init=lambda: apply_bath(self.bath, self.axon.sections))
        if record:
            self.rest_mV = float(self._v[0])
        return np.array(self._spikes)

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """Time (ms) and node potential (mV) of the last recorded trial."""
        return np.array(self._t), np.array(self._v)

    def responds(
        self, amp_nA: float, test_ms: float, dur_ms: float, cond=(0.0, 0.0, 0.0), wait_ms=2.0
    ) -> bool:
        """Tell whether a test pulse of ``amp_nA`` at ``test_ms`` for ``dur_ms`` fires.

        A spike counts if it starts at or after the test onset and by ``wait_ms`` after
        the pulse ends, with the conditioning current ``cond`` = (nA, delay, duration).
        """
        end = test_ms + dur_ms + wait_ms
        spikes = self.run(cond, (amp_nA, test_ms, dur_ms), end, stop_after_ms=test_ms)
        return bool(np.any((spikes >= test_ms) & (spikes <= end)))

    def threshold(
        self,
        test_ms: float,
        dur_ms: float,
        guess_nA: float,
        rel_tol: float,
        cond=(0.0, 0.0, 0.0),
    ) -> float:
        """Threshold (nA) of the test pulse under ``cond`` (NaN: none up to 1 uA)."""
        return find_rheobase(
            lambda a: self.responds(a, test_ms, dur_ms, cond), guess_nA, rel_tol, max_nA=1e3
        )

    def release(self) -> None:
        """Drop every NEURON object."""
        self._nc = self.cond = self.test = None
        self._t = self._v = self._state = self._restore = None
        self.axon.release()


def threshold_tracking(
    spec: HumanAxonSpec,
    bath: Environment,
    *,
    celsius: float = 37.0,
    dt: float = 0.01,
    settle_ms: float = 2000.0,
    screening: str = "current",
) -> Tracking:
    """Build the human axon of ``spec`` in ``bath`` for threshold tracking.

    The screening model is the configured one changed as ``screening`` says
    (:func:`mgneuron.screening.screening_changes`: ``"current"`` keeps it), with the
    bath's monovalent salt (:func:`mgneuron.bath.configure_screening`); trials run with
    backward Euler steps of ``dt`` ms at ``celsius`` from the rest of the bath
    (:meth:`Tracking.settle` over ``settle_ms``).
    """
    changes = screening_changes(screening)
    params = configure_screening(monovalent_mM=bath.na_mM + bath.k_mM, **changes)
    shift = float(shift_mV(bath.mg_mM, bath.ca_mM, params, celsius))
    axon = build_human_axon(spec)
    settings = RunSettings(
        tstop=1.0, dt=dt, celsius=celsius, v_init=spec.v_rest_mV, secondorder=0,
    )  # fmt: skip
    tr = Tracking(axon, bath, settings, shift)
    try:
        tr.settle(settle_ms)
    except BaseException:
        tr.release()
        raise
    return tr
