"""The exception hierarchy of mgneuron.

Every error the package raises on purpose derives from :class:`MgNeuronError`, so a caller
can catch the package's errors without catching NEURON's or Python's own.
"""

from __future__ import annotations

__all__ = [
    "UnknownParameterError",
    "MgNeuronError",
    "MechanismError",
    "MechanismBuildError",
    "EnvironmentError_",
    "BathError",
    "ProtocolError",
    "ResultsError",
    "PartialResultsError",
    "MorphologyError",
    "LocationError",
    "BiophysicsError",
    "AxonError",
    "FitDataError",
]


class MgNeuronError(Exception):
    """Base class of every error raised by mgneuron."""


class MechanismError(MgNeuronError):
    """The compiled NMODL mechanisms are missing, cannot be built or cannot be loaded."""


class MechanismBuildError(MechanismError):
    """``nrnivmodl`` failed; the message names the .mod file and quotes the compiler lines."""

    def __init__(self, message: str, mod_file: str | None = None, output: str = ""):
        super().__init__(message)
        self.mod_file = mod_file
        self.output = output


class BathError(MgNeuronError, ValueError):
    """An extracellular concentration or temperature is invalid (negative, not finite...)."""


# Kept as an alias with a trailing underscore so it does not shadow the builtin.
EnvironmentError_ = BathError


class ProtocolError(MgNeuronError, ValueError):
    """A protocol name, parameter or value is unknown or invalid."""


class UnknownParameterError(ProtocolError, AttributeError):
    """A protocol read or declared a parameter name that it does not have."""


class ResultsError(MgNeuronError):
    """An HDF5 results file is missing, malformed or of the wrong kind."""


class PartialResultsError(ResultsError):
    """A results file was not marked complete (the run was interrupted or is still going)."""


class MorphologyError(MgNeuronError, ValueError):
    """A morphology file is malformed; the message names the file and the line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.problem = message


class LocationError(MgNeuronError, ValueError):
    """A location rule (synapse or recording site) matches nothing on the given cell."""


class BiophysicsError(MgNeuronError, ValueError):
    """A biophysics spec is malformed: unknown region, key, unit or mechanism."""


class AxonError(MgNeuronError, ValueError):
    """A myelinated-axon specification is invalid (diameter out of table, bad state...)."""


class FitDataError(MgNeuronError, ValueError):
    """Data given to a fit are malformed; the message names the column and the row."""
