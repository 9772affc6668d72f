"""How long a piece of compiled integration may run before Python gets control back.

Fixed-step and CoreNEURON runs integrate in ``psolve`` pieces (see
:mod:`mgneuron.engine.stepping`); between pieces Python answers Ctrl-C and a hook may run
(the MPI bulletin board's master serves the other ranks there). This module holds that
hook, the target wall time of a piece, and the speed measured in the last run (used to
size the first piece of the next one). It is Python state, not NEURON state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

__all__ = ["between_pieces", "short_pieces", "PIECES"]

# Called between the psolve pieces of fixed-step runs (see between_pieces) and the wall
# time (s) a piece may take; the MPI bulletin-board master serves the other ranks there.
PIECES: dict[str, Callable[[], object] | float | None] = {
    "hook": None,
    "wall_s": 0.1,
    "s_per_step": None,  # wall time of one step in the last piece (s)
    "cn_s_per_step": None,  # the same for CoreNEURON pieces
    "max_ms": None,  # longest piece in simulated time (ms), see short_pieces
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
    saved = {"hook": PIECES["hook"], "wall_s": PIECES["wall_s"]}
    PIECES.update(hook=hook, wall_s=float(wall_s))
    try:
        yield
    finally:
        PIECES.update(saved)


@contextlib.contextmanager
def short_pieces(max_ms: float):
    """Cap every fixed-step ``psolve`` piece of this block at ``max_ms`` of simulated time.

    A callback that sets ``h.stoprun`` (a NetCon record or a CVode event, e.g. "the spike
    has arrived") ends a fixed-step run only between pieces: compiled ``psolve`` does not
    look at it. Runs that stop when their answer is known
    (:func:`mgneuron.axon.run_conduction`) therefore integrate in short pieces, so that
    they end within ``max_ms`` of the moment the callback fired (measured: a few % more
    wall time per step for a 21-node MRG axon at 0.05 ms pieces).

    Parameters
    ----------
    max_ms : float
        Longest piece (ms of simulated time; at least one step).
    """
    saved = PIECES["max_ms"]
    PIECES["max_ms"] = float(max_ms)
    try:
        yield
    finally:
        PIECES["max_ms"] = saved
