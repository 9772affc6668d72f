"""Where conditions run: in this process, in worker processes, or over MPI ranks.

Each backend takes ``(protocol class, {condition_id: parameters})`` and yields
:func:`~mgneuron.runner.condition.execute_condition` results as conditions finish; the
sweep (:func:`mgneuron.runner.run`) writes each as it arrives. Every backend gives the
same file (the same conditions, features and traces; only the order in which conditions
were written and their ``run_s`` differ, and the readers sort by condition id).

- **in-process** (:func:`in_process`): conditions one after the other;
- **local worker processes** (:func:`run_workers`, ``--workers N``): spawned processes,
  each loading its own NEURON and mechanisms; every condition resets NEURON's globals
  (:func:`mgneuron.engine.reset`), so no condition inherits a state another process
  would not have. A worker process that dies (NEURON aborting, the OOM killer) breaks
  only its own conditions: they are retried alone, and recorded as failed if they kill
  their process again. Workers die with the process that started them (killed,
  crashed: :func:`die_with_parent`), never see Ctrl-C (the terminal sends it to the
  whole process group; NEURON's own SIGINT handler would make each print a traceback),
  and are stopped at once when the sweep is interrupted or abandoned;
- **MPI bulletin board** (:func:`bulletin_board`, ``mpiexec -n N ... --mpi``): rank 0
  submits one task per condition (``pc.submit``) and collects the results
  (``pc.working`` / ``pc.pyret``), taking tasks itself while it waits. Rank 0 is also
  the bulletin-board server, and NEURON answers the other ranks only while hoc code or a
  bulletin-board call runs on it, never inside compiled ``psolve``; so rank 0 serves
  them between the short ``psolve`` pieces of its own conditions (:func:`serve_ranks`);
- **lockstep** (:func:`lockstep`, :func:`lockstep_follower`): protocols that spread one
  model over the ranks (``distributed = True``) run every condition on all ranks at once.

A failing condition (a NEURON error, a non-converging model, any exception) is recorded
with its error and the sweep goes on, with every backend.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping

from mgneuron.engine import coreneuron_active, use_coreneuron
from mgneuron.errors import ProtocolError
from mgneuron.mechanisms import require
from mgneuron.runner.condition import execute_condition

__all__ = [
    "in_process",
    "run_workers",
    "bulletin_board",
    "lockstep",
    "lockstep_follower",
    "serve_ranks",
    "die_with_parent",
]

# prctl(2) option: the signal the kernel sends this process when its parent dies.
_PR_SET_PDEATHSIG = 1
# Longest wait (s) for a worker's result in one go. Ctrl-C may be delivered to another
# thread of the process (the pool's); a main thread blocked on a lock without a timeout
# would then never see the KeyboardInterrupt and the sweep could not be stopped.
_WAKE_S = 0.25


def in_process(cls, tasks: Mapping[int, dict]) -> Iterator[tuple]:
    """Run the conditions one after the other in this process."""
    for cid, p in tasks.items():
        yield execute_condition(cls, p, cid)


def _task(cls, params: dict, cid: int):
    """Run one condition anywhere (worker process, MPI rank); never raise.

    Returns ``("ok", execute_condition(...))`` or ``("raise", exception, traceback)`` for
    an error that must stop the sweep as it would in-process (e.g. leaked sections).
    """
    try:
        return ("ok", execute_condition(cls, params, cid))
    except BaseException as exc:  # noqa: BLE001 - forwarded to the writing process
        tb = "".join(traceback.format_exception(exc))
        try:
            import pickle

            pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            exc = ProtocolError(f"{type(exc).__name__}: {exc}")
        return ("raise", exc, f"condition {cid} failed in another process:\n{tb}")


def _bb_task(packed: tuple):
    cls, params, cid = packed
    return _task(cls, params, int(cid))


def _unwrap(out):
    if out[0] == "ok":
        return out[1]
    _, exc, tb = out
    if hasattr(exc, "add_note"):
        exc.add_note(tb)
    raise exc


def _crashed(cid: int) -> tuple[int, None, str, float]:
    return (
        cid,
        None,
        "WorkerCrash: the worker process died while running this condition (NEURON "
        "aborted, a segmentation fault, or the process was killed, e.g. out of memory); "
        "it was retried alone in a fresh process and died again",
        float("nan"),
    )


def _set_pdeathsig(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval_s: float) -> None:
    """Body of the watchdog thread: end this process once its parent is gone."""
    if hasattr(signal, "pthread_sigmask"):  # signals are for the main thread
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    stop = threading.Event()
    while not stop.wait(interval_s):
        if os.getppid() != parent_pid:
            os._exit(1)


def die_with_parent(parent_pid: int, interval_s: float = 1.0, pdeathsig: bool = True) -> None:
    """Make this process end when the process ``parent_pid`` (its parent) ends.

    A worker whose sweep was killed (SIGKILL, the OOM killer, a crash) would otherwise
    go on simulating conditions nobody will write, holding CPUs and memory. On Linux the
    kernel kills it (``prctl(PR_SET_PDEATHSIG, SIGKILL)``; the signal comes when the
    thread that spawned it ends, and the pool spawns workers from the thread running
    the sweep, which outlives them). Everywhere, a daemon thread also checks every
    ``interval_s`` whether the parent changed (an orphan is adopted by another process)
    and ends the process.

    Parameters
    ----------
    parent_pid : int
        The pid of the parent, taken in the parent (a parent that died before this call
        is then noticed at once).
    interval_s : float
        Period (s) of the watchdog's check.
    pdeathsig : bool
        Use ``prctl`` where there is one (tests turn it off to check the watchdog alone).
    """
    if pdeathsig:
        _set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent_pid:  # died before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid, interval_s), name="mgneuron-watchdog", daemon=True
    ).start()


def _worker_init(coreneuron: bool, parent_pid: int) -> None:
    # Ctrl-C is for the sweep, which stops the workers: a blocked signal stays blocked
    # when NEURON installs its SIGINT handler during a run (an ignored one would not).
    # Blocked first, so the watchdog thread inherits the mask.
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    die_with_parent(parent_pid)
    use_coreneuron(coreneuron)
    require()


def _stop_workers(ex: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what waits, terminate what runs (Ctrl-C, an abandoned sweep).

    ``shutdown(wait=True)`` would wait for the conditions in flight to finish, which
    can take minutes after the user asked to stop.
    """
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)


def run_workers(cls, tasks: Mapping[int, dict], workers: int) -> Iterator[tuple]:
    """Run conditions in ``workers`` spawned processes; yield results as they finish.

    At most ``workers`` conditions are in flight, so when a worker process dies only
    those are suspects: they are retried one by one in fresh processes and recorded as
    failed if they die again; the other conditions go on.

    Yields
    ------
    tuple
        ``(condition_id, ConditionResult or None, error or None, run_s)``.
    """
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")
    cn = coreneuron_active()

    def pool(n: int) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            n, mp_context=ctx, initializer=_worker_init, initargs=(cn, os.getpid())
        )

    pending = list(tasks.items())
    suspects: list[tuple[int, dict]] = []
    inflight: dict[cf.Future, tuple[int, dict]] = {}
    ex = pool(workers)
    try:
        while pending or inflight:
            broken = False
            while pending and len(inflight) < workers:
                try:
                    fut = ex.submit(_task, cls, pending[0][1], pending[0][0])
                except BrokenProcessPool:  # a worker died since the last wait
                    broken = True
                    break
                inflight[fut] = pending.pop(0)
            if not broken:
                done, _ = cf.wait(inflight, _WAKE_S, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    cid, p = inflight.pop(fut)
                    try:
                        out = fut.result()
                    except BrokenProcessPool:
                        suspects.append((cid, p))
                        broken = True
                        continue
                    yield _unwrap(out)
            if broken:
                suspects.extend(inflight.values())
                inflight.clear()
                ex.shutdown(wait=True, cancel_futures=True)
                ex = pool(workers)
    except BaseException:  # Ctrl-C, or the sweep closed this generator (GeneratorExit)
        _stop_workers(ex)
        raise
    ex.shutdown(wait=True, cancel_futures=True)
    for cid, p in sorted(suspects):
        solo = pool(1)
        try:
            fut = solo.submit(_task, cls, p, cid)
            while not cf.wait([fut], _WAKE_S).done:
                pass
            out = fut.result()
        except BrokenProcessPool:
            out = None
        except BaseException:
            _stop_workers(solo)
            raise
        solo.shutdown(wait=True)
        yield _crashed(cid) if out is None else _unwrap(out)


def bulletin_board(pc):
    """Make a backend that farms conditions out through pc.submit/pc.working."""

    def backend(cls, tasks: Mapping[int, dict]) -> Iterator[tuple]:
        for cid, p in tasks.items():
            # One tuple argument: hoc would turn a bare int into a float.
            pc.submit(_bb_task, (cls, p, int(cid)))
        while pc.working():
            yield _unwrap(pc.pyret())

    return backend


def lockstep(pc):
    """Make the backend of rank 0 that runs each condition on every rank at once."""

    def backend(cls, tasks: Mapping[int, dict]) -> Iterator[tuple]:
        for cid, p in tasks.items():
            pc.py_broadcast((cid, p), 0)
            yield _unwrap(_task(cls, p, cid))

    return backend


def lockstep_follower(pc, cls) -> None:
    """Ranks > 0 of a lockstep run: take each condition from rank 0 and run it."""
    while True:
        msg = pc.py_broadcast(None, 0)
        if msg is None:
            return
        cid, p = msg
        _task(cls, p, cid)


def serve_ranks(pc) -> Callable[[], None]:
    """Make what rank 0 calls between the psolve pieces of its own conditions.

    The master of NEURON's bulletin board answers the other ranks (a finished result, a
    request for the next condition) only inside bulletin-board calls or while hoc code
    runs; compiled ``psolve`` does neither. Without this a rank that finished a condition
    waited until rank 0 finished its own (16 conditions of 2.1 s on 2 ranks: rank 1 sat
    idle 2 s once and ~0.1 s at each hand-over; 20.3 s in all, 18.8 s with this).
    ``pc.look`` of a key nobody posts makes the master handle every pending request
    (``BBSDirectServer::handle``) and changes nothing else; it costs an ``MPI_Iprobe``,
    and :func:`mgneuron.engine.between_pieces` keeps the pieces to ~5 ms.
    """
    if pc.nhost_bbs() < 2:
        return lambda: None
    return lambda: pc.look("mgneuron: serve the other ranks")
