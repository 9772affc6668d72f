"""The sweep: conditions -> backend -> one HDF5 file. One entry point, :func:`run`.

:func:`run` resolves the parameters (defaults, overrides, the sweep grid), chooses a
backend (:mod:`mgneuron.runner.backends`: this process, worker processes, the MPI
bulletin board, or lockstep for protocols that spread one model over the ranks), writes
each condition as soon as it is done, records a failing condition with its error and
goes on, derives the protocol's summary tables and marks the file complete at the end.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mgneuron import progress
from mgneuron._version import __version__
from mgneuron.engine import between_pieces, coreneuron_active, use_coreneuron
from mgneuron.engine.ranks import init_mpi, launched_by_mpiexec, parallel_context
from mgneuron.errors import MgNeuronError, ProtocolError
from mgneuron.mechanisms import require
from mgneuron.results import ResultsWriter
from mgneuron.runner.backends import (
    bulletin_board,
    in_process,
    lockstep,
    lockstep_follower,
    run_workers,
    serve_ranks,
)
from mgneuron.runner.output import claim_output
from mgneuron.runner.params import Params
from mgneuron.runner.protocol import Protocol, get_protocol, max_conditions

__all__ = ["run"]


def _check_conditions(
    cls: type[Protocol], scalar: Mapping[str, Any], conds: list[dict[str, Any]]
) -> None:
    """Run :meth:`Protocol.check_condition` on every condition; the first failure stops all.

    Raises
    ------
    ProtocolError
        Naming the protocol, the condition (id and swept values, when there are several)
        and what is wrong.
    """
    for cid, cond in enumerate(conds):
        try:
            cls.check_condition(Params({**scalar, **cond, "condition_id": cid}, cls.name))
        except MgNeuronError as exc:
            where = ""
            if len(conds) > 1:
                named = ", ".join(f"{k}={v}" for k, v in cond.items())
                where = f" condition {cid} of {len(conds)} ({named}):"
            msg = str(exc)
            if msg.startswith(f"{cls.name}: "):  # the protocol named itself already
                msg = msg[len(cls.name) + 2 :]
            raise ProtocolError(f"{cls.name}:{where} {msg}; nothing was simulated") from None


def run(
    protocol,
    out: str | os.PathLike | None = None,
    *,
    sweep: Mapping[str, Any] | None = None,
    workers: int = 1,
    mpi: bool = False,
    coreneuron: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
    command: str | None = None,
    conditions: Sequence[Mapping[str, Any]] | None = None,
    derive: Callable | None = None,
    **overrides: Any,
) -> Path | None:
    """Run a protocol over its conditions and write one HDF5 file: the one sweep entry point.

    In this process, in worker processes or under MPI; every way gives the same file.

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
        Finish an interrupted sweep from its partial file (``<out>.partial``).
    overwrite : bool
        Replace an existing results file ``out`` (when the run finishes), and discard
        an unfinished ``<out>.partial`` unless ``resume``. Without it an existing file,
        or a partial file holding finished conditions, stops the run before it starts.
    quiet : bool
        No progress bars.
    command : str, optional
        Command line stored in the file.
    conditions : list of dict, optional
        An explicit design instead of a grid: one dict per condition, each naming the
        same parameters (e.g. the points of a sensitivity sample). Exclusive with
        ``sweep``; every other parameter must then have one value.
    derive : callable, optional
        ``derive(features, values) -> {name: DataFrame}``: further tables written under
        ``/tables`` after the protocol's own summary, from the features of the finished
        conditions (the same frame the summary gets, ``condition_id`` included), before
        the file is marked complete (so a resumed run derives them too).
    **overrides
        Scalar parameter values (or lists, swept).

    Returns
    -------
    pathlib.Path or None
        The results file on rank 0 (and without MPI); None on the other MPI ranks. Its
        ``status`` attribute is ``"complete"``, or ``"failed"`` when every condition
        failed; ``n_failed`` counts the failed conditions (their errors are in
        :func:`~mgneuron.results.read_conditions`).

    Raises
    ------
    ProtocolError
        Before anything is simulated or written: a parameter, a sweep or a condition is
        invalid (:meth:`Protocol.check_condition`), the sweep has more than
        ``$MGNEURON_MAX_CONDITIONS`` conditions (default 100000), or the output cannot
        be claimed (:func:`~mgneuron.runner.output.claim_output`: not a regular file,
        not writable, locked by another run, or an existing file or unfinished run
        without ``overwrite`` / ``resume``).

    Examples
    --------
    >>> run("nmda_iv", "iv.h5", sweep={"mg": [0, 1, 2]}, workers=2)  # doctest: +SKIP
    """
    cls = get_protocol(protocol)
    if workers < 1:
        raise ProtocolError(f"workers must be >= 1, got {workers}")
    if coreneuron:
        use_coreneuron(True)
    if mpi:
        return _run_mpi(
            cls, out, (sweep, conditions, derive), (resume, overwrite), quiet, command, overrides
        )
    if launched_by_mpiexec():
        raise ProtocolError(
            "this process is one of several MPI ranks but --mpi was not given: every rank "
            "would run the whole sweep and write the same file; add --mpi"
        )
    backend = None if workers == 1 else _workers_backend(workers)
    design = (sweep, conditions, derive)
    return _sweep(cls, out, backend, design, (resume, overwrite), quiet, command, overrides)


def _workers_backend(workers: int) -> Callable:
    """Make a backend running conditions in ``workers`` local processes (one condition: here)."""

    def backend(cls, tasks):
        return run_workers(cls, tasks, workers)

    backend.local_fallback = True  # a single condition is not worth a process
    return backend


def _run_mpi(cls, out, sweep, resume, quiet, command, overrides) -> Path | None:
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
    args = (sweep, resume, quiet, command, overrides)  # sweep: (grid, conditions, derive)
    if distributed:
        if int(pc.id()) != 0:
            lockstep_follower(pc, cls)
            return None
        try:
            return _sweep(cls, out, lockstep(pc), *args)
        finally:
            pc.py_broadcast(None, 0)
    pc.subworlds(1)  # each rank simulates alone; the bulletin board spans the ranks
    pc.runworker()  # ranks > 0 serve tasks here until rank 0 calls pc.done()
    if int(pc.id_world()) != 0:  # pragma: no cover - NEURON ends workers in runworker
        return None
    try:
        with between_pieces(serve_ranks(pc)):
            return _sweep(cls, out, bulletin_board(pc), *args)
    finally:
        pc.done()


def _mpi_ranks() -> int:
    """Count the MPI ranks of this run (1 without MPI)."""
    pc = parallel_context()
    return 1 if pc is None else int(pc.nhost_world())


def _explicit_conditions(
    cls: type[Protocol], overrides: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
    """Resolve an explicit list of conditions into (values, swept names, conditions).

    Raises
    ------
    ProtocolError
        The list is empty or longer than :func:`~mgneuron.runner.protocol.max_conditions`,
        a condition names other parameters than the first, a value does not convert, or
        a parameter outside the list still has several values (a default grid).
    """
    conditions = list(conditions)
    if not conditions:
        raise ProtocolError(f"{cls.name}: the list of conditions is empty")
    if len(conditions) > max_conditions():
        raise ProtocolError(
            f"{cls.name}: {len(conditions)} conditions, more than the limit of "
            f"{max_conditions()}; raise it with MGNEURON_MAX_CONDITIONS={len(conditions)}"
        )
    params = {key: cls.param(key) for key in conditions[0]}
    names = [p.name for p in params.values()]
    if len(set(names)) != len(names):
        raise ProtocolError(f"{cls.name}: condition 0 names a parameter twice: {list(params)}")
    clash = sorted(set(names) & {cls.param(k).name for k in overrides})
    if clash:
        raise ProtocolError(
            f"{cls.name}: {', '.join(clash)} given both as a value and in the conditions"
        )
    values, grid = cls.resolve(overrides, None)
    for g in grid:  # a grid parameter given one value is a scalar here
        if g not in names and len(values[g]) == 1:
            values[g] = values[g][0]
    still = [g for g in grid if g not in names and isinstance(values[g], list)]
    if still:
        shown = ", ".join(f"{g}={','.join(map(str, values[g]))}" for g in still)
        raise ProtocolError(
            f"{cls.name}: with an explicit list of conditions every other parameter needs "
            f"one value, but {shown} is a list (a default grid); give it one value, e.g. "
            f"{still[0]}={values[still[0]][0]}"
        )
    conds = []
    for cid, cond in enumerate(conditions):
        if set(cond) != set(params):
            raise ProtocolError(
                f"{cls.name}: condition {cid} names {sorted(cond)}, condition 0 names "
                f"{sorted(params)}; every condition must name the same parameters"
            )
        conds.append({p.name: p.convert(cond[k], cls.name) for k, p in params.items()})
    swept = [p.name for p in cls.all_params() if p.name in names]
    conds = [{n: c[n] for n in swept} for c in conds]
    for n in swept:
        values[n] = [c[n] for c in conds]
    cls.validate(values)
    return values, swept, conds


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(values), default=str))


def _sweep(
    cls: type[Protocol],
    out: str | Path | None,
    backend: Callable | None,
    design: tuple[Mapping[str, Any] | None, Sequence[Mapping[str, Any]] | None, Callable | None],
    resume: tuple[bool, bool],
    quiet: bool,
    command: str | None,
    overrides: Mapping[str, Any],
) -> Path:
    """Expand the conditions, run them through ``backend`` and write the file.

    ``backend(cls, {condition_id: params})`` yields
    :func:`~mgneuron.runner.condition.execute_condition` results (default: in this
    process, with the simulated-time progress bar). ``resume`` is (resume, overwrite);
    ``design`` is (sweep grid, explicit conditions, derive); see :func:`run`.
    Every condition is checked, then the output claimed, before the first simulation.
    """
    resume, overwrite = resume
    sweep, explicit, derive = design
    if explicit is None:
        values, swept = cls.resolve(overrides, sweep)  # refuses a sweep too large to expand
        conds = cls.conditions(values, swept)
    elif sweep:
        raise ProtocolError(f"{cls.name}: give a sweep grid or a list of conditions, not both")
    else:
        values, swept, conds = _explicit_conditions(cls, overrides, explicit)
    scalar = {k: v for k, v in values.items() if k not in swept}
    _check_conditions(cls, scalar, conds)
    out = Path(out) if out is not None else Path("results") / f"{cls.name}.h5"
    lib = require()
    stored = {"protocol": cls.name, "values": values, "swept": swept}
    if explicit is not None:
        stored["design"] = "explicit conditions"
    lock = claim_output(out, cls.name, resume, overwrite)
    try:
        writer = ResultsWriter(
            out,
            cls.name,
            _jsonable(stored),
            seed=values.get("seed", 0),
            command=command if command is not None else shlex.join(sys.argv),
            resume=resume,
            provenance={
                "mgneuron_version": __version__,
                "mechanisms_hash": lib.key,
                "mpi_ranks": _mpi_ranks(),
            },
        )
    except BaseException:
        lock.release()
        raise

    # Reports streamed during a run go to temporary files beside the output (a folder
    # every worker process and MPI rank can reach), from which the writer copies them.
    old_stream_dir = os.environ.get("MGNEURON_STREAM_DIR")
    os.environ["MGNEURON_STREAM_DIR"] = str(out.resolve().parent)
    try:
        done = writer.completed_ids()
        todo = [i for i in range(len(conds)) if i not in done]
        tasks = {i: {**scalar, **conds[i]} for i in todo}
        bar = progress.condition_bar(len(conds), len(done), cls.name, quiet)
        here = backend is None or len(tasks) < 2 and getattr(backend, "local_fallback", False)
        results = in_process(cls, tasks) if here else backend(cls, tasks)
        # Simulated-time bar: only for conditions simulated in this process.
        with progress.simulated_time(here and not quiet):
            for cid, result, error, run_s in results:
                writer.write_condition(
                    cid,
                    conds[cid],
                    features=result.features if result else (),
                    reports=result.reports if result else None,
                    spikes=result.spikes if result else None,
                    error=error,
                    run_s=run_s,
                )
                if bar is not None:
                    bar.update(1, failed=error is not None)
        if bar is not None:
            bar.close()
        all_failed = bool(conds) and writer.n_failed >= len(conds)
        # Summaries of nothing would fail in the protocol's own code: none then.
        summarize = cls.summarize is not Protocol.summarize
        if (summarize or derive is not None) and not all_failed:
            import pandas as pd

            feats = writer.columns("features")
            if feats and len(feats["condition_id"]):
                # Rows of finished conditions, with the conditions' columns they lack (an
                # inner merge on condition_id), in numpy: a fifth of DataFrame.merge.
                conds_cols = writer.columns("conditions")
                ids = conds_cols["condition_id"]
                keep = np.isin(feats["condition_id"], ids[conds_cols["status"] == "ok"])
                feats = {k: v[keep] for k, v in feats.items()}
                order = np.argsort(ids, kind="stable")
                row = order[np.searchsorted(ids, feats["condition_id"], sorter=order)]
                feats.update({k: v[row] for k, v in conds_cols.items() if k not in feats})
            feats = pd.DataFrame(feats, columns=list(feats))
            tables = dict(cls().summarize(feats, values)) if summarize else {}
            if derive is not None:
                tables.update(derive(feats, values))
            for name, table in tables.items():
                writer.write_table(name, table)
        writer.set_attr("n_conditions", len(conds))
        writer.set_attr("n_failed", writer.n_failed)
        return writer.finish(status="failed" if all_failed else "complete")
    except BaseException:
        writer.close()
        raise
    finally:
        lock.release()
        if old_stream_dir is None:
            os.environ.pop("MGNEURON_STREAM_DIR", None)
        else:
            os.environ["MGNEURON_STREAM_DIR"] = old_stream_dir
