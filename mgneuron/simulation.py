"""Time stepping: the one owner of dt, tstop, celsius, v_init and the integrator.

Every condition calls :func:`run` with its own :class:`RunSettings`, which sets NEURON's
globals afresh (dt, tstop, celsius, the integrator, the Random123 global index), so
nothing leaks from one condition to the next or differs between the main process, a
worker process and an MPI rank.

Two engines run the same model: NEURON itself (default) and CoreNEURON (online mode,
``pc.psolve``), chosen per process with :func:`use_coreneuron` (``--coreneuron`` on the
command line, or ``MGNEURON_CORENEURON=1``). Protocols do not change: :func:`run` and
:func:`record` hide the differences (CoreNEURON records every time step only, so every
recording is taken every step and thinned to its interval after the run; callbacks at
given times run between successive ``psolve`` segments instead of inside
``CVode.event``).

Long recordings can be streamed to HDF5 in chunks during the run
(:class:`StreamingRecorder`), so memory is bounded by the chunk, not the run length.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "RunSettings",
    "run",
    "record",
    "sample_interval",
    "use_coreneuron",
    "coreneuron_active",
    "StreamingRecorder",
    "n_samples",
    "reset_globals",
    "set_globals",
]

# Process-level engine choice (None: read $MGNEURON_CORENEURON). Python state, not h state.
_ENGINE: dict[str, bool | None] = {"coreneuron": None}
# Recordings made by record() since the last run, by interval: [(Vector, reference)];
# run() thins them to their interval (fixed steps) or records them at it (CVODE).
_THIN: dict[float, list[tuple[Any, Any]]] = {}
# Pointers to NEURON's global variables, by name (see set_globals).
_GLOBAL_REFS: dict[str, Any] = {}
# Called between the psolve pieces of fixed-step runs (see between_pieces) and the wall
# time (s) a piece may take; the MPI bulletin-board master serves the other ranks there.
_PIECES: dict[str, Callable[[], object] | float | None] = {
    "hook": None,
    "wall_s": 0.1,
    "s_per_step": None,  # wall time of one step in the last piece (s)
}


@contextlib.contextmanager
def between_pieces(hook: Callable[[], object], wall_s: float = 0.005):
    """Call ``hook`` between the pieces of every fixed-step run in this block.

    Fixed-step runs integrate in compiled ``psolve`` pieces (:func:`run`); inside this
    block each piece takes at most about ``wall_s`` seconds of wall time and ``hook()``
    runs after it. The MPI bulletin board uses it: NEURON's master rank answers the
    other ranks (hands out the next condition, takes a result) only when hoc code runs
    or the bulletin board is called, never inside compiled ``psolve``, so without it a
    rank that finished its condition would wait for the master to finish its own.

    Parameters
    ----------
    hook : callable
        Called with no arguments; its return value is ignored.
    wall_s : float
        Target wall time of one piece (s).
    """
    saved = {"hook": _PIECES["hook"], "wall_s": _PIECES["wall_s"]}
    _PIECES.update(hook=hook, wall_s=float(wall_s))
    try:
        yield
    finally:
        _PIECES.update(saved)


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
    """

    tstop: float
    dt: float = 0.025
    celsius: float = 34.0
    v_init: float = -70.0
    cvode: bool = False
    random123_globalindex: int = 0

    def __post_init__(self) -> None:
        from mgneuron.errors import ProtocolError

        if not (np.isfinite(self.tstop) and self.tstop > 0):
            raise ProtocolError(f"tstop must be a positive number of ms, got {self.tstop}")
        if not (np.isfinite(self.dt) and 0 < self.dt <= self.tstop):
            raise ProtocolError(f"dt must be in (0, tstop] ms, got {self.dt}")
        if int(self.random123_globalindex) < 0:
            raise ProtocolError("random123_globalindex must be >= 0")


# -- engine -------------------------------------------------------------------------------


def use_coreneuron(enable: bool = True) -> None:
    """Run every later :func:`run` of this process with CoreNEURON (or with NEURON).

    Also exported as ``MGNEURON_CORENEURON`` so worker processes started afterwards (and
    :func:`mgneuron.mechanisms.load`) follow. The mechanisms must be built for CoreNEURON:
    call this before the first model is built, or the NEURON-only library is loaded.
    """
    _ENGINE["coreneuron"] = bool(enable)
    os.environ["MGNEURON_CORENEURON"] = "1" if enable else "0"


def coreneuron_active() -> bool:
    """Whether :func:`run` uses CoreNEURON in this process."""
    flag = _ENGINE["coreneuron"]
    if flag is None:
        return os.environ.get("MGNEURON_CORENEURON", "0") == "1"
    return flag


@functools.cache
def _hoc():
    """NEURON's ``h`` (a function-level ``from neuron import h`` costs ~1 us per call)."""
    from neuron import h

    return h


@functools.cache
def _cvode():
    """The CVode object (one per process; ``h.CVode()`` makes a new Python wrapper)."""
    return _hoc().CVode()


@functools.cache
def _random():
    """A Random object kept for ``Random123_globalindex``, which is process-wide state."""
    return _hoc().Random()


def set_globals(values: Mapping[str, float]) -> None:
    """Set NEURON global variables, exactly as ``setattr(h, name, value)`` does.

    ``h.name = value`` looks ``name`` up in hoc's symbol table at every call (~2 us)
    and then writes the double it names. That double never moves, so the first call per
    name keeps a pointer to it (``h._ref_name``) and later calls write through it
    (~0.05 us). Every condition sets about fifteen globals, which made this lookup a
    measurable part of a sweep of short conditions.

    Parameters
    ----------
    values : mapping
        Global name (``"celsius"``, ``"mgo0_mg_ion"`` ...) -> value. A name that does
        not exist yet is created, as ``setattr`` would.
    """
    refs = _GLOBAL_REFS
    for name, value in values.items():
        ref = refs.get(name)
        if ref is None:
            h = _hoc()
            setattr(h, name, value)
            refs[name] = getattr(h, "_ref_" + name)
        else:
            ref[0] = value


def get_global(name: str) -> float:
    """A NEURON global variable's value, read through the pointer of :func:`set_globals`."""
    ref = _GLOBAL_REFS.get(name)
    if ref is None:
        ref = _GLOBAL_REFS[name] = getattr(_hoc(), "_ref_" + name)
    return float(ref[0])


def _apply(settings: RunSettings) -> None:
    from mgneuron.mechanisms import require

    require()
    set_globals(
        {
            "dt": settings.dt,
            "steps_per_ms": 1.0 / settings.dt,
            "celsius": settings.celsius,
            "tstop": settings.tstop,
        }
    )
    _cvode().active(1 if settings.cvode else 0)
    _random().Random123_globalindex(int(settings.random123_globalindex))


# NEURON's values in a fresh process (a worker process or MPI rank starts with these).
_FRESH = {"dt": 0.025, "steps_per_ms": 40.0, "celsius": 6.3, "tstop": 5.0, "v_init": -65.0}


def reset_globals() -> None:
    """Put NEURON's globals back to a fresh process's values.

    The runner calls it before every condition, so a condition sees the same globals
    while it builds its model (before :func:`run` sets its own) in the main process, in
    a worker process and on an MPI rank: dt, steps_per_ms, celsius, tstop, v_init, the
    integrator (fixed step) and the Random123 global index (0).
    """
    set_globals(_FRESH)
    _cvode().active(0)
    _random().Random123_globalindex(0)


def n_samples(tstop: float, interval: float) -> int:
    """Number of samples of a recording every ``interval`` ms over [0, tstop] (both ends)."""
    return int(math.floor(tstop / interval + 1e-6)) + 1


def run(
    settings: RunSettings,
    before_init: Callable[[], None] | None = None,
    events: Sequence[tuple[float, Callable[[], None]]] | None = None,
) -> None:
    """Initialise and integrate to ``settings.tstop``.

    Parameters
    ----------
    settings : RunSettings
    before_init : callable, optional
        Called after the globals are set and before ``finitialize`` (e.g. to apply the bath).
    events : list of (t_ms, callable), optional
        Callbacks at given simulated times (progress, streaming). With NEURON they are
        ``CVode.event`` callbacks scheduled after initialisation; with CoreNEURON the run
        is split into ``psolve`` segments and each callback runs at the end of its
        segment. A callback must not schedule further events itself.
    """
    from neuron import h

    from mgneuron import progress

    cn = coreneuron_active()
    if cn and settings.cvode:
        from mgneuron.errors import ProtocolError

        raise ProtocolError(
            "CoreNEURON integrates with a fixed time step only; run without --coreneuron "
            "or with cvode=False"
        )
    _apply(settings)
    if before_init is not None:
        before_init()
    if settings.cvode and not cn:
        # Variable steps: record() vectors sample at their interval (NEURON's own
        # interpolation of the CVODE solution), not at every step, which is not a grid.
        for interval, recs in _THIN.items():
            for vec, ref in recs:
                vec.record(ref, max(interval, settings.dt))
    bar_events, bar_close = progress.time_events(settings.tstop)
    todo = sorted(list(events or []) + bar_events, key=lambda e: e[0])
    distributed = _distributed()
    try:
        if cn:
            _run_coreneuron(settings, todo)
        elif settings.cvode and not distributed:
            # Variable step: continuerun's steps, taken from Python (psolve in pieces would
            # stop CVode at every piece boundary and change its steps).
            h.finitialize(settings.v_init)
            cvode = _cvode()
            for t, fn in todo:
                cvode.event(t, fn)
            _cvode_steps(cvode, settings.tstop)
        else:
            # ParallelContext's solver: over several MPI ranks it exchanges spikes (one
            # psolve, which every rank must call alike); in one process it is the compiled
            # fixed-step loop, and maxstep only caps the pieces.
            pc = h.ParallelContext()
            pc.set_maxstep(10)
            h.stoprun = 0
            h.finitialize(settings.v_init)
            cvode = _cvode()
            for t, fn in todo:
                cvode.event(t, fn)
            if distributed:
                pc.psolve(settings.tstop)
            else:
                _psolve_in_pieces(pc, settings.tstop)
    finally:
        bar_close()
        thin = dict(_THIN)
        _THIN.clear()
        _restore_sigint()
    _thin_recordings(thin, settings, fixed_step=not settings.cvode or cn)


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
    import time

    from neuron import h

    hook = _PIECES["hook"]
    wall_s = float(_PIECES["wall_s"])
    per_step = _PIECES.get("s_per_step")
    steps = 64 if not per_step else int(min(4096, max(64, 0.5 * wall_s / per_step)))
    dt = float(h.dt)  # the step NEURON takes (a protocol may have changed it)
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
            _PIECES["s_per_step"] = elapsed * dt / (float(h.t) - t_before)
            if elapsed < wall_s and steps < 1 << 30:
                steps *= 2
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
    import time

    from neuron import h

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


def _distributed() -> bool:
    from mgneuron.parallel import rank_info

    return rank_info().nhost > 1


def _run_coreneuron(settings: RunSettings, todo) -> None:
    from neuron import coreneuron, h

    _prepare_coreneuron()
    pc = h.ParallelContext()
    _cvode().cache_efficient(1)
    coreneuron.enable = True
    coreneuron.verbose = 0
    lockstep = _distributed()
    try:
        # CoreNEURON needs a positive minimum NetCon delay between ranks; with no
        # inter-rank connections this only caps the integration interval.
        pc.set_maxstep(10)
        h.stoprun = 0
        h.finitialize(settings.v_init)
        for t, fn in todo:
            if t >= settings.tstop:
                continue
            if t > h.t:
                _coreneuron_to(pc, t, lockstep)
            fn()
        _coreneuron_to(pc, settings.tstop, lockstep)
    finally:
        coreneuron.enable = False


def _coreneuron_to(pc, t_end: float, lockstep: bool) -> None:
    """``pc.psolve(t_end)`` with CoreNEURON, in pieces of about a second of wall time.

    A CoreNEURON ``psolve`` never returns to Python before its end, so one call for a
    whole run left Ctrl-C unanswered until the run was over. Each call hands the model
    to CoreNEURON and back (~3 ms for the 400-synapse L5PC, measured; 1, 4 or 16 pieces
    gave the same trace bit for bit), so pieces grow (doubling from 1024 steps, or from
    the size the last run's speed gives) while one takes under 1 s, or under the
    ``wall_s`` of :func:`between_pieces` whose hook runs after each. The run ends at the
    grid point nearest ``t_end``, as one call from t = 0 ends it for a ``t_end`` on the
    grid (tested bit for bit) and as the NEURON engine ends it otherwise. A callback that
    sets ``h.stoprun`` ends the run at its event, as with NEURON. Models spread over MPI
    ranks (``lockstep``) make one call: every rank must make the same calls.
    """
    import time

    if lockstep:
        pc.psolve(t_end)
        return
    h = _hoc()
    hook = _PIECES["hook"]
    wall_s = float(_PIECES["wall_s"]) if hook is not None else 1.0
    dt = float(h.dt)
    per_step = _PIECES.get("cn_s_per_step")
    steps = int(min(1 << 30, max(1024, 0.5 * wall_s / per_step))) if per_step else 1024
    while not h.stoprun:
        t_before = float(h.t)
        target = min(t_before + steps * dt, t_end)
        start = time.perf_counter()
        pc.psolve(target)
        elapsed = time.perf_counter() - start
        if target >= t_end or h.t <= t_before:
            break
        _PIECES["cn_s_per_step"] = elapsed * dt / (float(h.t) - t_before)
        if elapsed < wall_s and steps < 1 << 30:
            steps *= 2
        if hook is not None:
            hook()
    if h.t < t_end - 0.5 * dt and not h.stoprun:
        # CoreNEURON stops a step short of t_end when the t it is handed carries rounding
        # from earlier pieces (1000 ms ended at 999.975), or when t_end is off the grid by
        # over half a step. One more step ends at the grid point nearest t_end, where one
        # call from t = 0 ends on the grid, and where the NEURON engine ends off it.
        pc.psolve(t_end + 0.5 * dt)


def _prepare_coreneuron() -> None:
    """Point CoreNEURON at the loaded library and refuse mechanisms it would abort on."""
    from mgneuron.errors import MechanismError
    from mgneuron.mechanisms import loaded

    lib = loaded()
    corelib = None
    if lib is not None:
        corelib = lib.library.parent / "libcorenrnmech.so"
    if lib is None or not lib.coreneuron or not corelib.exists():
        raise MechanismError(
            "CoreNEURON needs the mechanisms built for it, but this process loaded the "
            "NEURON-only build; use --coreneuron (or mgneuron.simulation.use_coreneuron() / "
            "MGNEURON_CORENEURON=1) before the first model is built"
        )
    os.environ["CORENEURONLIB"] = str(corelib)
    from mgneuron.parallel import check_coreneuron_model

    check_coreneuron_model()


def _thin_recordings(thin, settings: RunSettings, fixed_step: bool = True) -> None:
    """Cut the vectors of :func:`record` to ``t = 0, interval, ... <= tstop``.

    With fixed steps a vector holds every step: it keeps every ``interval / dt``-th
    value. With CVODE it was recorded at its interval already (see :func:`run`) and
    only what passes ``tstop`` is cut.
    """
    from mgneuron.errors import ProtocolError

    if not thin:
        return
    h = _hoc()
    # A vector recorded every step since finitialize holds at most this many values
    # (those kept every step need no cut when that is not more than they keep).
    most = int(round(float(h.t) / float(h.dt))) + 1 if fixed_step else None
    for interval, recs in thin.items():
        every = max(interval, settings.dt)
        n = n_samples(settings.tstop, every)
        stride = every / settings.dt
        if not fixed_step:
            stride = 1
        elif abs(stride - round(stride)) > 1e-6:
            raise ProtocolError(
                f"a recording interval must be a whole number of time steps; {every} ms "
                f"is not a multiple of dt = {settings.dt} ms (see sample_interval)"
            )
        stride = int(round(stride))
        if stride > 1:
            for vec, _ref in recs:
                vec.from_python(np.array(np.asarray(vec)[::stride][:n]))
        elif most is None or most > n:
            for vec, _ref in recs:
                if vec.size() > n:
                    vec.resize(n)


def sample_interval(settings: RunSettings, every: float | None = None) -> float:
    """The recording interval (ms): ``every`` rounded to a whole number of steps, or dt."""
    if every is None or every <= settings.dt:
        return settings.dt
    return settings.dt * round(every / settings.dt)


def record(ref, interval: float):
    """Record a NEURON range-variable reference (``seg._ref_v``) every ``interval`` ms.

    The Vector receives every time step during the run (the one recording mode both
    NEURON and CoreNEURON support, and cheaper than one event per sample), and
    :func:`run` thins it to ``t = 0, interval, 2 interval, ... <= tstop`` at the end
    (:func:`n_samples` values). ``interval`` must be a whole number of time steps
    (:func:`sample_interval` rounds it). With ``RunSettings(cvode=True)``, whose steps
    are no grid, :func:`run` records the Vector at ``interval`` instead (NEURON
    interpolates the CVODE solution at those times); the sample at ``tstop`` itself
    may then be missing, when the last step ends before it. For long recordings of
    many variables use :class:`StreamingRecorder`, which keeps only one chunk in memory.
    """
    vec = _hoc().Vector()
    vec.record(ref)
    _THIN.setdefault(float(interval), []).append((vec, ref))
    return vec


# -- streaming ----------------------------------------------------------------------------


class StreamingRecorder:
    """Record many variables and write them to HDF5 in chunks while the run goes on.

    Each reference is recorded every time step into a NEURON Vector (the cheap,
    per-step copy that both engines support); every ``chunk_ms`` of simulated time a
    callback thins the block to ``interval``, appends it to a temporary HDF5 report
    and empties the Vectors, so memory holds one chunk, whatever the run length. The
    finished report is handed to the results writer, which copies it into the results
    file (chunk by chunk) and deletes the temporary file; this works the same in the
    main process, in worker processes and on MPI ranks.

    Parameters
    ----------
    refs : sequence
        NEURON references to record (``seg._ref_v`` ...), one report column each.
    settings : RunSettings
        The run's settings (dt, tstop).
    interval : float
        Sampling interval (ms); a whole number of time steps.
    chunk_ms : float
        Simulated time between flushes (ms). Memory per chunk is about
        ``len(refs) * chunk_ms / dt * 8`` bytes.
    node_ids, element_ids, index_pointers : array-like
        SONATA mapping of the columns (see :class:`mgneuron.results.Report`).
    variable, units : str
        Name and units of the recorded variable.
    element_labels : list of str, optional
        Readable location of each column.
    directory : path, optional
        Where the temporary report lives; default ``$MGNEURON_STREAM_DIR`` (set by the
        runner to the results file's folder) or the system temporary folder.

    Examples
    --------
    >>> rec = StreamingRecorder([seg._ref_v for seg in segs], settings, 0.1, 100.0,
    ...                         node_ids=[0], element_ids=range(len(segs)))
    >>> run(settings, events=rec.events())
    >>> report = rec.finish()   # put it in ConditionResult.reports
    """

    def __init__(
        self,
        refs: Sequence,
        settings: RunSettings,
        interval: float,
        chunk_ms: float = 100.0,
        *,
        node_ids,
        element_ids,
        index_pointers=None,
        variable: str = "v",
        units: str = "mV",
        element_labels: list[str] | None = None,
        directory: str | os.PathLike | None = None,
    ) -> None:
        from neuron import h

        from mgneuron.errors import ProtocolError
        from mgneuron.results import ReportFile

        stride = interval / settings.dt
        if interval < settings.dt or abs(stride - round(stride)) > 1e-6:
            raise ProtocolError(
                f"streaming interval {interval} ms must be a whole number of steps of "
                f"dt = {settings.dt} ms"
            )
        if not chunk_ms > 0:
            raise ProtocolError(f"chunk_ms must be > 0, got {chunk_ms}")
        self.settings = settings
        self.interval = float(interval)
        self.stride = int(round(stride))
        self.chunk_ms = float(chunk_ms)
        self.n_total = n_samples(settings.tstop, interval)
        self._consumed = 0  # raw (per-step) samples handed over so far
        self._written = 0
        self._vecs = []
        for ref in refs:
            vec = h.Vector()
            vec.record(ref)
            self._vecs.append(vec)
        if directory is None:
            directory = os.environ.get("MGNEURON_STREAM_DIR") or None
        self._file = ReportFile(
            len(self._vecs),
            node_ids=node_ids,
            element_ids=element_ids,
            index_pointers=index_pointers,
            variable=variable,
            units=units,
            element_labels=element_labels,
            directory=Path(directory) if directory else None,
            chunk_rows=max(1, int(round(chunk_ms / interval))),
        )
        self.peak_block_bytes = 0

    def events(self) -> list[tuple[float, Callable[[], None]]]:
        """The flush callbacks to pass to :func:`run` (one every ``chunk_ms``)."""
        times = np.arange(self.chunk_ms, self.settings.tstop, self.chunk_ms)
        return [(float(t), self.flush) for t in times]

    def flush(self) -> None:
        """Move what the Vectors hold into the report and empty them."""
        if not self._vecs:
            return
        n_raw = len(self._vecs[0])
        if n_raw == 0:
            return
        # Rows of this block that fall on the sampling grid (k * stride overall).
        first = (-self._consumed) % self.stride
        idx = np.arange(first, n_raw, self.stride)
        idx = idx[: max(0, self.n_total - self._written)]
        block = np.empty((len(idx), len(self._vecs)), dtype=np.float32)
        for j, vec in enumerate(self._vecs):
            # np.asarray is a zero-copy view; Vector.as_numpy() leaks ~0.4 kB per call
            # in NEURON 9.0.2, which adds up over thousands of flushes.
            block[:, j] = np.asarray(vec)[idx]
            vec.resize(0)
        self.peak_block_bytes = max(self.peak_block_bytes, n_raw * len(self._vecs) * 8)
        self._consumed += n_raw
        if len(idx):
            self._file.append(block)
            self._written += len(idx)

    def finish(self):
        """Flush the rest, close the temporary file and return the streamed report.

        Returns
        -------
        mgneuron.results.StreamedReport
        """
        self.flush()
        for vec in self._vecs:
            vec.play_remove()
        self._vecs = []
        return self._file.close(time=(0.0, self._written * self.interval, self.interval))
