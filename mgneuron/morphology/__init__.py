"""Reconstructed morphologies (SWC, Neurolucida ASCII): check, load into NEURON, discretise.

- :mod:`~mgneuron.morphology.validation`: the validation report, ``validate_morphology``, SWC checks
- :mod:`~mgneuron.morphology.report`: ``ValidationReport`` and the plausibility bounds
- :mod:`~mgneuron.morphology.neurolucida`: the Neurolucida ASCII grammar and checks
- :mod:`~mgneuron.morphology.loader`: ``MorphologySpec``, ``Morphology``, Import3d, soma policies
- :mod:`~mgneuron.morphology.discretize`: the d_lambda rule and the discretisation report
- :mod:`~mgneuron.morphology.summary`: lengths, areas and segments per region
- :mod:`~mgneuron.morphology.shipped`: the morphologies shipped with mgneuron

Drawing a morphology (``mgneuron morph``) is :mod:`mgneuron.plots.morphology`.
"""

from mgneuron.morphology.discretize import (
    DiscretizationReport,
    DLambda,
    discretization_report,
    discretize,
    lambda_f,
)
from mgneuron.morphology.loader import (
    REGIONS,
    Morphology,
    MorphologySpec,
    MorphologyWarning,
    load_morphology,
)
from mgneuron.morphology.shipped import (
    default_morphology_path,
    list_shipped_morphologies,
    shipped_morphology,
)
from mgneuron.morphology.summary import MorphologySummary, summarize
from mgneuron.morphology.validation import ValidationReport, validate_morphology

__all__ = [
    "REGIONS",
    "MorphologyWarning",
    "ValidationReport",
    "validate_morphology",
    "MorphologySpec",
    "Morphology",
    "load_morphology",
    "DLambda",
    "DiscretizationReport",
    "lambda_f",
    "discretize",
    "discretization_report",
    "MorphologySummary",
    "summarize",
    "shipped_morphology",
    "list_shipped_morphologies",
    "default_morphology_path",
]
