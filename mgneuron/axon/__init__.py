"""Myelinated axons: the double cable of McIntyre, Richardson & Grill (2002), with myelin damage.

- :mod:`~mgneuron.axon.geometry`: the MRG 2002 table, fibre diameter -> geometry
- :mod:`~mgneuron.axon.myelin`: myelin states (healthy, demyelinated, remyelinated ...), presets
- :mod:`~mgneuron.axon.spec`: MyelinatedAxonSpec, biophysics, the ``--myelinated-axon`` option
- :mod:`~mgneuron.axon.builder`: the double-cable axon built in NEURON
- :mod:`~mgneuron.axon.graft`: a myelinated axon on a cell or a bare soma
- :mod:`~mgneuron.axon.experiments`: conduction runs, threshold, refractory period, safety factor
"""

from mgneuron.axon.builder import MyelinatedAxon, build_axon
from mgneuron.axon.experiments import (
    DEFAULT_DT_MS,
    FAIL_AFTER_MS,
    ConductionTrace,
    lesion_nodes,
    lesion_safety_factor,
    propagates,
    refractory_period_ms,
    run_conduction,
    threshold_nA,
)
from mgneuron.axon.geometry import MRG_TABLE, MRGGeometry, fiber_diameter_for_axon, mrg_geometry
from mgneuron.axon.graft import apply_myelinated_axon, attach_myelinated_axon, myelinate_cell
from mgneuron.axon.myelin import (
    MYELIN_PRESETS,
    MyelinState,
    demyelinated,
    healthy,
    myelin_preset,
    paranodal_retraction,
    remyelinated,
)
from mgneuron.axon.spec import (
    AXON_OPTION_HELP,
    OUTER_DIAMETERS,
    AISSpec,
    MRGBiophysics,
    MyelinatedAxonSpec,
    parse_myelinated_axon,
)
from mgneuron.errors import AxonError

__all__ = [
    "AxonError",
    "DEFAULT_DT_MS",
    "FAIL_AFTER_MS",
    "MRG_TABLE",
    "MRGGeometry",
    "mrg_geometry",
    "fiber_diameter_for_axon",
    "MyelinState",
    "MRGBiophysics",
    "MyelinatedAxonSpec",
    "OUTER_DIAMETERS",
    "AISSpec",
    "healthy",
    "demyelinated",
    "paranodal_retraction",
    "remyelinated",
    "MYELIN_PRESETS",
    "myelin_preset",
    "MyelinatedAxon",
    "build_axon",
    "attach_myelinated_axon",
    "myelinate_cell",
    "parse_myelinated_axon",
    "AXON_OPTION_HELP",
    "apply_myelinated_axon",
    "ConductionTrace",
    "run_conduction",
    "propagates",
    "threshold_nA",
    "refractory_period_ms",
    "lesion_nodes",
    "lesion_safety_factor",
]
