"""What validating a morphology file found (:class:`ValidationReport`), and bounds.

The plausibility bounds are those both file grammars (SWC and Neurolucida) check against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ValidationReport", "MAX_COORD_UM", "MAX_RADIUS_UM", "MAX_TYPE_CODE", "NONFINITE"]

# Plausibility bounds: beyond them a file is corrupt, and NEURON would overflow or allocate
# absurd amounts of memory (Import3d indexes SWC samples by id).
MAX_COORD_UM = 1e6
MAX_RADIUS_UM = 1e4
MAX_TYPE_CODE = 1000  # Import3d allocates one slot per code between the extremes

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
    root_xyz: tuple = (0.0, 0.0, 0.0)
    soma_xyz: tuple | None = None
    # SWC samples in file order (kept for renumbering): id, type, x, y, z, r, parent
    _swc_table: np.ndarray | None = field(default=None, repr=False)
