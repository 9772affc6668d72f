"""mgneuron: NEURON multicompartment models of extracellular magnesium.

The package never compiles or loads mechanisms at import time; call
:func:`mgneuron.mechanisms.load` (or run any protocol) to do so.
"""

from __future__ import annotations

import os as _os

# NEURON prints a DISPLAY warning on import when it may open a GUI; this package never does.
_os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

from mgneuron.environment import PRESETS, Environment, get_environment  # noqa: E402
from mgneuron.errors import (  # noqa: E402
    BathError,
    LocationError,
    MechanismBuildError,
    MechanismError,
    MgNeuronError,
    MorphologyError,
    PartialResultsError,
    ProtocolError,
    ResultsError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Environment",
    "PRESETS",
    "get_environment",
    "MgNeuronError",
    "MechanismError",
    "MechanismBuildError",
    "BathError",
    "ProtocolError",
    "ResultsError",
    "PartialResultsError",
    "MorphologyError",
    "LocationError",
]
