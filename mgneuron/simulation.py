"""Time stepping: the one owner of dt, tstop, celsius, v_init and the integrator.

Every condition calls :func:`run` with its own :class:`RunSettings`, which sets NEURON's
globals afresh, so nothing leaks from one condition to the next or differs between the
main process and a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["RunSettings", "run", "record", "sample_interval"]


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
        Use the variable-step integrator (CVODE) instead of fixed steps.
    """

    tstop: float
    dt: float = 0.025
    celsius: float = 34.0
    v_init: float = -70.0
    cvode: bool = False

    def __post_init__(self) -> None:
        from mgneuron.errors import ProtocolError

        if not (np.isfinite(self.tstop) and self.tstop > 0):
            raise ProtocolError(f"tstop must be a positive number of ms, got {self.tstop}")
        if not (np.isfinite(self.dt) and 0 < self.dt <= self.tstop):
            raise ProtocolError(f"dt must be in (0, tstop] ms, got {self.dt}")


def _apply(settings: RunSettings) -> None:
    from neuron import h

    from mgneuron.mechanisms import require

    require()
    h.dt = settings.dt
    h.steps_per_ms = 1.0 / settings.dt
    h.celsius = settings.celsius
    h.tstop = settings.tstop
    h.CVode().active(1 if settings.cvode else 0)


def run(
    settings: RunSettings,
    before_init: Callable[[], None] | None = None,
    events: list[tuple[float, Callable[[], None]]] | None = None,
) -> None:
    """Initialise and integrate to ``settings.tstop``.

    Parameters
    ----------
    settings : RunSettings
    before_init : callable, optional
        Called after the globals are set and before ``finitialize`` (e.g. to apply the bath).
    events : list of (t_ms, callable), optional
        Callbacks scheduled with ``CVode.event`` after initialisation (progress, streaming).
    """
    from neuron import h

    _apply(settings)
    if before_init is not None:
        before_init()
    h.finitialize(settings.v_init)
    for t, fn in events or []:
        h.CVode().event(t, fn)
    h.continuerun(settings.tstop)


def sample_interval(settings: RunSettings, every: float | None = None) -> float:
    """The recording interval (ms): ``every`` rounded to a whole number of steps, or dt."""
    if every is None or every <= settings.dt:
        return settings.dt
    return settings.dt * round(every / settings.dt)


def record(ref, interval: float):
    """Record a NEURON range-variable reference (``seg._ref_v``) every ``interval`` ms."""
    from neuron import h

    vec = h.Vector()
    vec.record(ref, interval)
    return vec
