"""What validating a morphology file found (:class:`ValidationReport`), and bounds.

The bounds are those both file grammars (SWC and Neurolucida) check against: plausibility
bounds (beyond them a file is corrupt), NEURON's own limits (beyond them NEURON crashes or
silently loses information) and size limits (beyond them Import3d, which is interpreted
hoc, takes minutes and gigabytes). Each says how it was measured. :func:`progress` prints
the progress lines of large files.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ValidationReport",
    "MAX_COORD_UM",
    "MAX_RADIUS_UM",
    "MAX_TYPE_CODE",
    "MAX_PT3D",
    "MAX_SAMPLE_ID",
    "MAX_POINTS",
    "MAX_SECTIONS",
    "MAX_FILE_BYTES",
    "PROGRESS_BYTES",
    "NONFINITE",
    "progress",
]

# Plausibility bounds: beyond them a file is corrupt, and NEURON would overflow or allocate
# absurd amounts of memory (Import3d indexes SWC samples by id).
MAX_COORD_UM = 1e6
MAX_RADIUS_UM = 1e4
MAX_TYPE_CODE = 1000  # Import3d allocates one slot per code between the extremes

# NEURON's limits. A section holds at most 32,767 3-D points: ``Section.npt3d`` is a C
# ``short`` (nrn/src/nrnoc/section.h); the 32,768th ``pt3dadd`` wraps it to -32,768 and
# writes outside the point buffer (SIGSEGV), measured in NEURON 9.0.2 by
# tests/morphology/test_limits.py. Every hoc number is a double, exact for integers below
# 2**53: larger SWC ids or parents cannot be told apart (and >= 2**63 overflow int64).
MAX_PT3D = 32767
MAX_SAMPLE_ID = 2**53 - 1

# Size limits: Import3d is interpreted hoc. Measured on a 2-core machine (NEURON 9.0.2):
# ~36 us and ~0.5 kB per point (a 10^6-line SWC of 19,795 sections: 45 s, 0.9 GB peak),
# and ~150 us and ~4.6 kB per section (a 10^6-line random tree of 999,985 sections:
# 152 s, 4.6 GB). At these limits a load stays within ~1.5 GB and about a minute or two.
MAX_POINTS = 1_000_000
MAX_SECTIONS = 100_000
MAX_FILE_BYTES = 128 * 2**20  # read whole: the checker holds ~7 bytes per byte of file
PROGRESS_BYTES = 4 * 2**20  # files from here on print what is happening on stderr

NONFINITE = re.compile(r"[+-]?(nan|inf|infinity)\Z", re.IGNORECASE)


@dataclass
class ValidationReport:
    """What validation found in a morphology file (no NEURON objects).

    Attributes
    ----------
    path : str
        The file.
    format : str
        ``"swc"`` or ``"asc"``.
    n_points : int
        Samples (SWC) or 3-D points on trees and soma contours (ASC; markers and spines not
        counted).
    soma : str
        ``"point"`` (one SWC point), ``"three-point"``, ``"points"`` (a stack of SWC
        points), ``"contour"``, ``"contour-stack"``, ``"zero-size"`` or ``"none"``.
    type_counts : dict
        Points per SWC type code (ASC: per tree type, 0 for untagged trees).
    warnings : list of str
        Warnings (unknown types, missing soma...), also issued at load time.
    needs_renumbering : bool
        SWC only: parents do not all precede children or ids are sparse, so Import3d gets a
        renumbered copy.
    needs_rewriting : bool
        SWC only: Import3d reads a rewritten copy (renumbered, and without the blank lines
        and odd whitespace its reader refuses), not the file.
    root_xyz : tuple of float
        Coordinates (um) of the root sample (SWC) or first tree point (ASC).
    soma_xyz : tuple of float or None
        Centre (um) of the soma points or contour(s), None without a soma.
    """

    path: str
    format: str
    n_points: int = 0
    soma: str = "none"
    type_counts: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    needs_renumbering: bool = False
    needs_rewriting: bool = False
    root_xyz: tuple = (0.0, 0.0, 0.0)
    soma_xyz: tuple | None = None
    # SWC samples in file order (kept for renumbering): id, type, x, y, z, r, parent
    _swc_table: np.ndarray | None = field(default=None, repr=False)


def progress(path: str, message: str) -> None:
    """Print one progress line about a large morphology file on stderr.

    Parameters
    ----------
    path : str
        The file.
    message : str
        What is happening (``"checking 46.9 MB..."``).
    """
    print(f"mgneuron: {path}: {message}", file=sys.stderr, flush=True)
