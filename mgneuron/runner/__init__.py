"""The runner: parameters, the protocol base, one condition, backends, one sweep entry point.

- :mod:`~mgneuron.runner.params`: Param declarations, typed Params, the shared [Mg]o/[Ca]o
- :mod:`~mgneuron.runner.groups`: parameter groups several protocols share (cell, axon)
- :mod:`~mgneuron.runner.protocol`: the Protocol base class, ConditionResult, the registry
- :mod:`~mgneuron.runner.condition`: one condition, the unit of work of every backend
- :mod:`~mgneuron.runner.backends`: in-process, worker processes, MPI bulletin board, lockstep
- :mod:`~mgneuron.runner.sweep`: :func:`run`, the one entry point of every sweep
- :mod:`~mgneuron.runner.streaming`: a streamed report for long recordings
"""

from mgneuron.runner.params import (
    COMMON_PARAMS,
    Param,
    Params,
    ca_param,
    celsius_param,
    mg_param,
    record_every_param,
)
from mgneuron.runner.protocol import ConditionResult, Protocol, get_protocol, list_protocols
from mgneuron.runner.streaming import streaming_recorder
from mgneuron.runner.sweep import run

__all__ = [
    "run",
    "Protocol",
    "ConditionResult",
    "Param",
    "Params",
    "COMMON_PARAMS",
    "mg_param",
    "ca_param",
    "celsius_param",
    "record_every_param",
    "get_protocol",
    "list_protocols",
    "streaming_recorder",
]
