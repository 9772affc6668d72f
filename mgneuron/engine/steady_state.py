"""The steady state before t = 0: large backward-Euler steps, then time starts at 0.

A model assembled from parts with different resting potentials (a cell and an MRG axon,
a leak and an active membrane) is not at rest at ``v_init``: left alone it drifts for
tens of milliseconds, and a response measured on that drift is wrong. With
``RunSettings(steady_state=True)`` every run brings the model to the steady state of its
bath before ``t = 0`` (Carnevale & Hines 2006, The NEURON Book, ch. 8, "Initializing to
steady state"):

1. ``finitialize`` sets ``v_init`` and every mechanism's INITIAL state as usual.
2. Inside it (an ``FInitializeHandler`` of type 1: after the INITIAL blocks, before the
   recordings and the events of ``t = 0``), the model takes fixed backward-Euler steps
   of ``dt = 1e9`` ms from ``t = -1e12`` ms, with CVODE off and ``secondorder = 0``
   (Crank-Nicolson does not damp the stiff modes of such a step), until the largest
   change of the membrane potential over every segment of the model in one step is below
   ``steady_tol_mV`` (at most ``steady_max_steps`` steps). A step of 1e9 ms is a
   fixed-point iteration: each step solves the linearised steady-state equations, so it
   converges in a few steps for a stable rest and also finds an unstable one (a cell
   that fires spontaneously then leaves it after ``t = 0``, visibly).
3. ``t``, ``dt``, ``secondorder`` and the integrator are put back, the currents are
   recomputed (``fcurrent``; CVODE re-initialises from the new state), and
   ``finitialize`` goes on: recordings start at ``t = 0`` and every event of the run
   (NetStim spikes, ``CVode.event`` callbacks) happens at its own time, none of them
   during the settling (the last settling step ends at ``t < -8e11`` ms).

CoreNEURON runs settle in NEURON the same way, inside the ``finitialize`` that precedes
the hand-over, and start from that state. Models spread over MPI ranks are refused (the
settling would need spike exchange between ranks at negative times).

What the settling cannot know: a mechanism that integrates a current that is not zero at
rest (a running charge of a tonic current) accumulates during it. mgneuron's running
integrals (the AMPA and NMDA charges) are of synaptic currents, zero at rest.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from mgneuron.engine.state import cvode, hoc

__all__ = [
    "SteadyState",
    "SteadyStateWarning",
    "STEADY_DT_MS",
    "STEADY_T0_MS",
    "settle",
    "SettleHandler",
]

STEADY_DT_MS = 1e9  # the backward-Euler step of the settling (ms)
STEADY_T0_MS = -1e12  # where the settling starts (ms); it never reaches t = 0


class SteadyStateWarning(UserWarning):
    """The settling before ``t = 0`` did not converge: the run starts off its steady state."""


@dataclass(frozen=True)
class SteadyState:
    """What the steady-state start of a run found.

    Attributes
    ----------
    change_mV : float
        Largest change of the membrane potential over every segment in the last step
        (mV); below the tolerance the start is the steady state.
    steps : int
        Backward-Euler steps taken.
    converged : bool
        ``change_mV`` fell below the tolerance within the allowed steps.
    """

    change_mV: float
    steps: int
    converged: bool


def settle(tol_mV: float = 1e-9, max_steps: int = 200) -> SteadyState:
    """Bring the instantiated model to its steady state at ``t = 0`` (module notes).

    Call it inside ``finitialize`` (as :class:`SettleHandler` does); called after it,
    recordings would hold the settling steps.

    Parameters
    ----------
    tol_mV : float
        Convergence: the largest change of v over every segment in one step (mV).
    max_steps : int
        Most steps taken.

    Returns
    -------
    SteadyState
    """
    h = hoc()
    cv = cvode()
    segments = [seg for sec in h.allsec() for seg in sec]
    if not segments:
        return SteadyState(0.0, 0, True)
    ptrs = h.PtrVector(len(segments))
    for k, seg in enumerate(segments):
        ptrs.pset(k, seg._ref_v)
    now, last = h.Vector(len(segments)), h.Vector(len(segments))
    active, order, dt = cv.active(), int(h.secondorder), float(h.dt)
    if active:
        cv.active(0)
    h.secondorder = 0
    ptrs.gather(last)
    change, steps = math.inf, 0
    try:
        h.t, h.dt = STEADY_T0_MS, STEADY_DT_MS
        while steps < max_steps:
            h.fadvance()
            steps += 1
            ptrs.gather(now)
            change = float(np.max(np.abs(now.as_numpy() - last.as_numpy())))
            if not change >= tol_mV:  # below tolerance (or NaN: stop, reported)
                break
            last.copy(now)
    finally:
        h.t, h.dt = 0.0, dt
        h.secondorder = order
        if active:
            cv.active(1)  # re-initialises CVODE from the settled state
        else:
            h.fcurrent()
    converged = bool(change < tol_mV)
    if not converged:
        warnings.warn(
            f"the steady state was not reached in {steps} backward-Euler steps (the last "
            f"moved a segment by {change:.3g} mV, tolerance {tol_mV:g} mV): the run starts "
            "off rest; raise RunSettings.steady_max_steps or check the model for a rest",
            SteadyStateWarning,
            stacklevel=2,
        )
    return SteadyState(change, steps, converged)


class SettleHandler:
    """An ``FInitializeHandler`` that runs :func:`settle` inside ``finitialize``.

    Parameters
    ----------
    tol_mV : float
        See :func:`settle`.
    max_steps : int
        See :func:`settle`.

    Attributes
    ----------
    result : SteadyState or None
        What the last ``finitialize`` found.
    """

    def __init__(self, tol_mV: float, max_steps: int) -> None:
        self.tol_mV, self.max_steps = tol_mV, max_steps
        self.result: SteadyState | None = None
        self._fih = hoc().FInitializeHandler(1, self._settle)

    def _settle(self) -> None:
        self.result = settle(self.tol_mV, self.max_steps)

    def release(self) -> None:
        """Remove the handler (a later ``finitialize`` no longer settles)."""
        self._fih = None
