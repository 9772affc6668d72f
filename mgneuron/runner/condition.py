"""One condition, the unit of work: reset NEURON, run the protocol's condition, check.

Every backend (in-process, worker processes, MPI bulletin board, lockstep) calls
:func:`execute_condition` and nothing else to simulate, so a condition sees the same
state wherever it runs, and its seed depends only on the base seed and its id.
"""

from __future__ import annotations

import functools
import gc
import time
import traceback
from typing import Any

import numpy as np

from mgneuron.engine import reset
from mgneuron.engine.state import hoc
from mgneuron.errors import ProtocolError
from mgneuron.mechanisms import require
from mgneuron.runner.params import Params
from mgneuron.runner.protocol import ConditionResult, Protocol

__all__ = ["condition_seed", "execute_condition"]


def condition_seed(seed: int, condition_id: int) -> int:
    """Per-condition seed: the same in serial, worker and MPI runs."""
    return _condition_seed(int(seed), int(condition_id))


@functools.lru_cache(maxsize=1 << 16)
def _condition_seed(seed: int, condition_id: int) -> int:
    ss = np.random.SeedSequence([seed, condition_id])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def execute_condition(
    protocol_cls: type[Protocol], params: dict[str, Any], condition_id: int
) -> tuple[int, ConditionResult | None, str | None, float]:
    """Run one condition, catching its error: the unit of work of every backend.

    Before the condition NEURON's globals and every mechanism GLOBAL are put back to a
    fresh process's values (:func:`mgneuron.engine.reset`); after it no section may be
    left alive (the model is dropped with the condition's objects, recordings included).

    Parameters
    ----------
    protocol_cls : Protocol subclass
        The protocol.
    params : dict
        Every parameter's value for this condition (scalars).
    condition_id : int
        The condition's index in the sweep.

    Returns
    -------
    tuple
        ``(condition_id, ConditionResult or None, error text or None, run_s)``.

    Raises
    ------
    ProtocolError
        The protocol left sections alive: the next condition would not start clean.
    """
    h = hoc()
    require()
    reset()  # every condition starts from a fresh process's NEURON globals
    start = time.perf_counter()
    p = dict(params)
    p["condition_id"] = condition_id
    p["condition_seed"] = condition_seed(p.get("seed", 0), condition_id)
    try:
        result = protocol_cls().run_condition(Params(p, protocol_cls.name))
        error = None
    except Exception as exc:  # noqa: BLE001 - any failure of one condition is recorded
        result = None
        error = f"{type(exc).__name__}: {exc}\n" + "".join(
            traceback.format_exception(exc, limit=-3)
        )
    leftover = sum(1 for _ in h.allsec())
    if leftover:
        # Reference counting frees a dropped model at once; only reference cycles need the
        # (slow, ~0.1 s in a large process) full collection.
        gc.collect()
        leftover = sum(1 for _ in h.allsec())
    if leftover:
        # A protocol kept NEURON objects alive: the next condition would not start clean.
        names = [s.name() for _, s in zip(range(5), h.allsec(), strict=False)]
        raise ProtocolError(
            f"protocol {protocol_cls.name} left {leftover} sections alive after condition "
            f"{condition_id} (e.g. {', '.join(names)}); drop every reference to the model "
            "before returning from run_condition"
        )
    return condition_id, result, error, time.perf_counter() - start
