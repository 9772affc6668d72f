"""The settings of one simulation: time, step, temperature, start, integrator.

A plain, picklable description; :func:`mgneuron.engine.state.apply_settings` writes it
into NEURON at the start of every run, so the settings are the only place these values
come from (no other module sets dt, tstop, celsius, v_init or secondorder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import ProtocolError

__all__ = ["RunSettings", "n_samples", "sample_interval"]


@dataclass(frozen=True)
class RunSettings:
    """Integrator settings of one simulation.

    Parameters
    ----------
    tstop : float
        Simulated time (ms).
    dt : float
        Fixed time step (ms). Default 0.025.
    celsius : float
        Temperature (degC). Default 34.
    v_init : float
        Initial membrane potential (mV). Default -70.
    cvode : bool
        Use the variable-step integrator (CVODE) instead of fixed steps (NEURON engine only).
    random123_globalindex : int
        Global index of every Random123 stream (NMODL ``RANDOM`` variables, ``h.Random``
        in Random123 mode). Set afresh for each condition so a worker process or MPI rank
        draws the same numbers as a serial run. Default 0.
    secondorder : int
        NEURON's ``secondorder``: 0 backward Euler (default), 1 Crank-Nicolson, 2
        Crank-Nicolson with second-order ion currents. Myelinated axons with the
        ``extracellular`` layers need 0 (see :mod:`mgneuron.axon`).
    steady_state : bool
        Bring the model to the steady state of its bath before ``t = 0`` (large
        backward-Euler steps inside ``finitialize``; :mod:`mgneuron.engine.steady_state`),
        so the run starts at rest whatever ``v_init`` is. Default False: the run starts
        at ``v_init`` with every mechanism's INITIAL state.
    steady_tol_mV : float
        Settling ends when no segment's potential changes by this much (mV) in one
        step. Default 1e-9.
    steady_max_steps : int
        Most settling steps. Default 200.
    """

    tstop: float
    dt: float = 0.025
    celsius: float = 34.0
    v_init: float = -70.0
    cvode: bool = False
    random123_globalindex: int = 0
    secondorder: int = 0
    steady_state: bool = False
    steady_tol_mV: float = 1e-9
    steady_max_steps: int = 200

    def __post_init__(self) -> None:
        """Reject bad values (tstop, dt, random123_globalindex, secondorder, settling)."""
        if not (np.isfinite(self.tstop) and self.tstop > 0):
            raise ProtocolError(f"tstop must be a positive number of ms, got {self.tstop}")
        if not (np.isfinite(self.dt) and 0 < self.dt <= self.tstop):
            raise ProtocolError(f"dt must be in (0, tstop] ms, got {self.dt}")
        if int(self.random123_globalindex) < 0:
            raise ProtocolError("random123_globalindex must be >= 0")
        if self.secondorder not in (0, 1, 2):
            raise ProtocolError(f"secondorder must be 0, 1 or 2, got {self.secondorder}")
        if not (self.steady_tol_mV > 0 and int(self.steady_max_steps) >= 1):
            raise ProtocolError(
                "steady_tol_mV must be > 0 mV and steady_max_steps >= 1, got "
                f"{self.steady_tol_mV} and {self.steady_max_steps}"
            )


def n_samples(tstop: float, interval: float) -> int:
    """Count the samples of a recording every ``interval`` ms over [0, tstop] (both ends)."""
    return int(math.floor(tstop / interval + 1e-6)) + 1


def sample_interval(settings: RunSettings, every: float | None = None) -> float:
    """Round a recording interval (ms) to a whole number of steps; dt when ``every`` is None."""
    if every is None or every <= settings.dt:
        return settings.dt
    return settings.dt * round(every / settings.dt)
