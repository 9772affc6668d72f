"""Time stepping: initialise, integrate to tstop, and give Ctrl-C back to Python.

Every condition runs with its own :class:`~mgneuron.engine.RunSettings`, written into
NEURON at the start of the run (:func:`mgneuron.engine.state.apply_settings`), so
nothing leaks from one condition to the next or differs between the main process, a
worker process and an MPI rank.

Two engines run the same model: NEURON itself (default) and CoreNEURON (online mode,
``pc.psolve``; :mod:`mgneuron.engine.coreneuron`). Protocols do not change:
:class:`Simulation` and :func:`run` hide the differences (CoreNEURON records every time
step only, so every recording is taken every step and thinned to its interval after the
run; callbacks at given times run between successive ``psolve`` segments instead of
inside ``CVode.event``).

With ``RunSettings(steady_state=True)`` the model is brought to the steady state of its
bath inside ``finitialize``, before ``t = 0`` (:mod:`mgneuron.engine.steady_state`), with
either engine and either integrator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from mgneuron import progress
from mgneuron.engine.coreneuron import coreneuron_active, run_coreneuron
from mgneuron.engine.pieces import PIECES
from mgneuron.engine.ranks import distributed
from mgneuron.engine.recording import Recordings
from mgneuron.engine.settings import RunSettings, sample_interval
from mgneuron.engine.state import apply_settings, cvode, hoc
from mgneuron.engine.steady_state import SettleHandler, SteadyState
from mgneuron.errors import ProtocolError

__all__ = ["Simulation", "run"]


class Simulation:
    """One simulation: its settings and the recordings it owns.

    Parameters
    ----------
    settings : RunSettings
        dt, tstop, celsius, v_init, secondorder and the integrator of this run.

    Examples
    --------
    >>> sim = Simulation(RunSettings(tstop=50.0))                     # doctest: +SKIP
    >>> v = sim.record(soma(0.5)._ref_v, every=0.1)                   # doctest: +SKIP
    >>> sim.run(before_init=lambda: apply_bath(bath, cell.sections))  # doctest: +SKIP
    >>> np.asarray(v)                    # 501 samples at t = 0, 0.1 ... 50 ms
    """

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.recordings = Recordings()
        self.steady: SteadyState | None = None

    def record(self, ref, every: float | None = None):
        """Record ``ref`` (``seg._ref_v`` ...) every ``every`` ms (default: every step).

        ``every`` is rounded to a whole number of steps (:func:`sample_interval`).

        Returns
        -------
        neuron.hoc.HocObject
            The Vector, holding the samples after :meth:`run`.
        """
        return self.recordings.record(ref, sample_interval(self.settings, every))

    def run(
        self,
        before_init: Callable[[], None] | None = None,
        events: Sequence[tuple[float, Callable[[], None]]] | None = None,
    ) -> SteadyState | None:
        """Initialise and integrate to ``tstop`` (see :func:`run`).

        The steady-state start (``settings.steady_state``) is also kept as
        :attr:`steady`.
        """
        self.steady = run(self.settings, before_init, events, self.recordings)
        return self.steady


def run(
    settings: RunSettings,
    before_init: Callable[[], None] | None = None,
    events: Sequence[tuple[float, Callable[[], None]]] | None = None,
    recordings: Recordings | None = None,
) -> SteadyState | None:
    """Initialise and integrate to ``settings.tstop``.

    Parameters
    ----------
    settings : RunSettings
        dt, tstop, celsius, v_init, secondorder, integrator: set afresh for this run.
    before_init : callable, optional
        Called after the globals are set and before ``finitialize`` (e.g. to apply the bath).
    events : list of (t_ms, callable), optional
        Callbacks at given simulated times (progress, streaming). With NEURON they are
        ``CVode.event`` callbacks scheduled after initialisation; with CoreNEURON the run
        is split into ``psolve`` segments and each callback runs at the end of its
        segment. A callback must not schedule further events itself.
    recordings : Recordings, optional
        The vectors of this run (:meth:`Simulation.record`), thinned to their intervals
        after it.

    Returns
    -------
    SteadyState or None
        With ``settings.steady_state``, what the settling before ``t = 0`` found
        (:mod:`mgneuron.engine.steady_state`); None without.
    """
    h = hoc()
    cn = coreneuron_active()
    if cn and settings.cvode:
        raise ProtocolError(
            "CoreNEURON integrates with a fixed time step only; run without --coreneuron "
            "or with cvode=False"
        )
    spread = distributed()
    if settings.steady_state and spread:
        raise ProtocolError(
            "a steady-state start (steady_state=True) is not available for a model spread "
            "over MPI ranks: run without --mpi, or start at v_init and discard a transient"
        )
    apply_settings(settings)
    if before_init is not None:
        before_init()
    fixed_step = not settings.cvode or cn
    if recordings is not None:
        # Variable steps: vectors sample at their interval (NEURON's own interpolation
        # of the CVODE solution), not at every step, which is not a grid.
        recordings.prepare(settings, fixed_step)
    bar_events, bar_close = progress.time_events(settings.tstop)
    todo = sorted(list(events or []) + bar_events, key=lambda e: e[0])
    settler = None
    if settings.steady_state:
        settler = SettleHandler(settings.steady_tol_mV, settings.steady_max_steps)
    try:
        if cn:
            run_coreneuron(settings, todo)
        elif settings.cvode and not spread:
            # Variable step: continuerun's steps, taken from Python (psolve in pieces would
            # stop CVode at every piece boundary and change its steps).
            h.finitialize(settings.v_init)
            cv = cvode()
            for t, fn in todo:
                cv.event(t, fn)
            _cvode_steps(cv, settings.tstop)
        else:
            # ParallelContext's solver: over several MPI ranks it exchanges spikes (one
            # psolve, which every rank must call alike); in one process it is the compiled
            # fixed-step loop, and maxstep only caps the pieces.
            pc = h.ParallelContext()
            pc.set_maxstep(10)
            h.stoprun = 0
            h.finitialize(settings.v_init)
            cv = cvode()
            for t, fn in todo:
                cv.event(t, fn)
            if spread:
                pc.psolve(settings.tstop)
            else:
                _psolve_in_pieces(pc, settings.tstop)
    finally:
        bar_close()
        _restore_sigint()
        if settler is not None:
            settler.release()
    if recordings is not None:
        recordings.finish(settings, fixed_step)
    return settler.result if settler is not None else None


def _psolve_in_pieces(pc, tstop: float) -> None:
    """Fixed-step integration to ``tstop`` by ``pc.psolve``, in pieces Ctrl-C can end.

    ``ParallelContext.psolve`` steps in compiled code. stdrun's ``continuerun`` calls
    hoc procedures at every step (``step``, ``advance``, ``Plot``, a clock check), which
    costs more than the whole step of a small model: the 15 clamped compartments of
    ``nmda_iv`` run 80 ms in 12.6 ms instead of 26 ms, with identical values at every
    step (benchmarks/RESULTS.md). Piecewise solving changes nothing with a fixed step
    (tested bit for bit), and between pieces Python runs its signal handlers, so Ctrl-C
    raises KeyboardInterrupt within about 0.1 s instead of after the run (psolve itself
    never looks at SIGINT). Pieces double while one takes under 0.1 s (or the ``wall_s``
    of :func:`between_pieces`, whose hook runs after every piece). The first piece is
    sized from the previous run's wall time per step (half of ``wall_s``, 64 to 4096
    steps), so the short conditions of a sweep take one or two ``psolve`` calls (each
    costs ~20 us); it may take longer than ``wall_s`` when the model is much larger than
    the last one. ``stoprun`` (set by a callback to end a run early) is honoured as by
    ``continuerun``.
    """
    h = hoc()

    hook = PIECES["hook"]
    wall_s = float(PIECES["wall_s"])
    per_step = PIECES.get("s_per_step")
    steps = 64 if not per_step else int(min(4096, max(64, 0.5 * wall_s / per_step)))
    dt = float(h.dt)  # the step NEURON takes (a protocol may have changed it)
    cap = PIECES.get("max_ms")
    most = max(1, int(round(float(cap) / dt))) if cap else 1 << 30  # short_pieces
    steps = min(steps, most)
    end = tstop - 0.5 * dt  # continuerun's end: the grid point nearest tstop
    while h.t < end and not h.stoprun:
        t_before = float(h.t)
        start = time.perf_counter()
        pc.psolve(min(h.t + steps * dt, tstop))
        elapsed = time.perf_counter() - start
        if h.t == t_before:
            # psolve stops at the last step that does not pass tstop; continuerun takes one
            # more when tstop is off the time grid by more than dt / 2. Same step here.
            h.fadvance()
        else:
            PIECES["s_per_step"] = elapsed * dt / (float(h.t) - t_before)
            if elapsed < wall_s and steps < most:
                steps = min(2 * steps, most)
        if hook is not None:
            hook()


def _cvode_steps(cvode, tstop: float) -> None:
    """Variable-step integration to ``tstop``: stdrun's ``continuerun``, looped in Python.

    CVODE is switched on with ``CVode.active(1)`` (not stdrun's ``cvode_active``), so
    ``continuerun`` takes its fixed-step path: ``fadvance`` (one CVODE step) while
    ``t < tstop - dt/2`` and ``stoprun`` is not set, the last step passing ``tstop``.
    This does exactly that (tested step for step against ``continuerun``) in a small hoc
    loop of at most N steps (N doubling while a call takes under 0.1 s), and between
    calls Python runs its signal handlers, so Ctrl-C raises KeyboardInterrupt within
    about 0.1 s; inside ``continuerun`` it went unnoticed until the end of the run. The
    loop skips continuerun's per-step clock and plot calls, so it is also faster.
    """
    h = hoc()

    h.stoprun = 0
    if cvode.use_local_dt() or h.using_cvode_:  # continuerun's CVODE branch: keep it
        h.continuerun(tstop)
        return
    if not hasattr(h, "mgneuron_steps"):
        # continuerun's loop without the clock and the plots, at most $1 steps at a time
        h(
            "func mgneuron_steps() { local n, i\n"
            "  n = 0\n"
            "  while (n < $1 && t < $2 && stoprun == 0) {\n"
            "    for i = 1, nstep_steprun { advance() }\n"
            "    n += 1\n"
            "  }\n"
            "  return n\n"
            "}\n"
        )
    _restore_sigint()  # Ctrl-C must reach Python, not NEURON's handler
    end = tstop - 0.5 * h.dt
    steps = 64
    while h.t < end and not h.stoprun:
        start = time.perf_counter()
        h.mgneuron_steps(steps, end)
        if time.perf_counter() - start < 0.1 and steps < 1 << 30:
            steps *= 2


def _restore_sigint() -> None:
    """Give Ctrl-C back to Python after a NEURON run.

    NEURON installs its own SIGINT handler while it integrates and leaves it in place, so
    afterwards Python never sees Ctrl-C (a sweep could not be interrupted between
    simulations). Only the main thread may set signal handlers.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
