"""mgneuron: NEURON multicompartment models of extracellular magnesium.

The workflow a user does, in a few names::

    import mgneuron
    path = mgneuron.run("epsp_mg", "epsp.h5", sweep={"mg": [0.5, 1, 2]}, workers=2)
    df = mgneuron.read_features(path)            # pandas, one row per measure

    cell = mgneuron.build_cell(mgneuron.cell_spec(morphology="l5_pyramid_stylized"))
    bath = mgneuron.get_environment("hypomagnesemia")

The package never compiles or loads mechanisms at import time; call
:func:`mgneuron.mechanisms.load` (or run any protocol) to do so. The layers, from the
top: face (``cli``, ``report``, ``plots``) -> ``runner`` -> ``results`` -> builders and
``engine`` (the only code that creates NEURON objects) -> descriptions and ``measures``
-> ``errors``; see ``docs/architecture.md``.
"""

from __future__ import annotations

import os as _os

# NEURON prints a DISPLAY warning on import when it may open a GUI; this package never does.
_os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")

from mgneuron._version import __version__  # noqa: E402
from mgneuron.cell import Cell, CellSpec, build_cell, cell_spec  # noqa: E402
from mgneuron.engine import RunSettings, Simulation  # noqa: E402
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
from mgneuron.results import (  # noqa: E402
    read_conditions,
    read_features,
    read_spikes,
    read_table,
    read_traces,
)
from mgneuron.runner import get_protocol, list_protocols, run  # noqa: E402

__all__ = [
    "__version__",
    "run",
    "list_protocols",
    "get_protocol",
    "read_conditions",
    "read_features",
    "read_traces",
    "read_spikes",
    "read_table",
    "Environment",
    "PRESETS",
    "get_environment",
    "CellSpec",
    "Cell",
    "cell_spec",
    "build_cell",
    "RunSettings",
    "Simulation",
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
