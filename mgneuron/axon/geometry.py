"""Geometry of an MRG fibre from its diameter (McIntyre, Richardson & Grill 2002, Table 1).

Each internode, between two nodes of Ranvier (1 um long), is
``MYSA | FLUT | STIN x 6 | FLUT | MYSA``: the myelin attachment segment (3 um, the node
diameter, periaxonal gap 2 nm), the paranode main segment (FLUT, the axon diameter, gap
4 nm) and six internodal segments (STIN, the axon diameter, gap 4 nm). The node-to-node
distance, number of myelin lamellae, axon and node diameters and FLUT length come from
the fibre diameter through ``MRG_TABLE``: every column is interpolated piecewise-linearly
in fibre diameter between adjacent rows (5.7-16 um). A diameter outside the table is
refused unless ``extrapolate=True``; then the nearest end row is scaled by geometric
similarity (every length, diameter and the number of lamellae in proportion to the fibre
diameter; MYSA length and gap widths fixed), never extrapolated linearly (why:
docs/guide.md, "Myelinated axon and conduction").

Reference: McIntyre CC, Richardson AG, Grill WM (2002) Modeling the excitability of
mammalian nerve fibers: influence of afterpotentials on the recovery cycle. J
Neurophysiol 87:995-1006.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import AxonError

__all__ = ["MRG_TABLE", "MRGGeometry", "mrg_geometry", "fiber_diameter_for_axon"]

#: MRG 2002 Table 1. Columns: fibre diameter (um), node-to-node distance (um), lamellae,
#: axon (= FLUT, STIN) diameter (um), node (= MYSA) diameter (um), FLUT length (um).
MRG_TABLE: tuple[tuple[float, float, float, float, float, float], ...] = (
    (5.7, 500.0, 80.0, 3.4, 1.9, 35.0),
    (7.3, 750.0, 100.0, 4.6, 2.4, 38.0),
    (8.7, 1000.0, 110.0, 5.8, 2.8, 40.0),
    (10.0, 1150.0, 120.0, 6.9, 3.3, 46.0),
    (11.5, 1250.0, 130.0, 8.1, 3.7, 50.0),
    (12.8, 1350.0, 135.0, 9.2, 4.2, 54.0),
    (14.0, 1400.0, 140.0, 10.4, 4.7, 56.0),
    (15.0, 1450.0, 145.0, 11.5, 5.0, 58.0),
    (16.0, 1500.0, 150.0, 12.7, 5.5, 60.0),
)


@dataclass(frozen=True)
class MRGGeometry:
    """Geometry of a healthy MRG fibre of one diameter (lengths and diameters in um).

    Attributes
    ----------
    fiber_diameter_um : float
        Outer diameter of the myelinated fibre.
    node_to_node_um : float
        Distance between node centres of a healthy internode.
    lamellae : float
        Number of myelin lamellae (interpolated values are not rounded).
    axon_diameter_um : float
        Diameter of the FLUT and STIN axolemma.
    node_diameter_um : float
        Diameter of the node and the MYSA axolemma.
    flut_length_um : float
        Length of one FLUT segment.
    node_length_um, mysa_length_um : float
        1 and 3 um.
    mysa_gap_um, flut_gap_um, stin_gap_um : float
        Periaxonal gap widths: 0.002, 0.004, 0.004 um.
    interpolated : bool
        The diameter is not a row of the table.
    """

    fiber_diameter_um: float
    node_to_node_um: float
    lamellae: float
    axon_diameter_um: float
    node_diameter_um: float
    flut_length_um: float
    node_length_um: float = 1.0
    mysa_length_um: float = 3.0
    mysa_gap_um: float = 0.002
    flut_gap_um: float = 0.004
    stin_gap_um: float = 0.004
    interpolated: bool = False


def mrg_geometry(fiber_diameter_um: float, extrapolate: bool = False) -> MRGGeometry:
    """Geometry of an MRG fibre from its diameter, interpolated in ``MRG_TABLE``.

    Parameters
    ----------
    fiber_diameter_um : float
        Fibre diameter (um).
    extrapolate : bool
        Allow diameters outside the table (5.7-16 um): the nearest end row is scaled in
        proportion to the diameter.

    Returns
    -------
    MRGGeometry

    Raises
    ------
    AxonError
        If the diameter is outside the table and ``extrapolate`` is False, or if
        extrapolation gives a non-positive length or diameter.
    """
    d = float(fiber_diameter_um)
    table = np.asarray(MRG_TABLE)
    dmin, dmax = table[0, 0], table[-1, 0]
    if not math.isfinite(d) or d <= 0:
        raise AxonError(f"fiber diameter must be a positive number of um, got {fiber_diameter_um}")
    exact = np.isclose(table[:, 0], d, rtol=0, atol=1e-9)
    if exact.any():
        return MRGGeometry(*table[int(np.argmax(exact))])
    if not dmin <= d <= dmax:
        if not extrapolate:
            raise AxonError(
                f"fiber diameter {d:g} um is outside the MRG 2002 table ({dmin:g}-{dmax:g} "
                "um); choose a diameter inside it, or pass extrapolate=True to extend the "
                "end rows linearly"
            )
        # Geometric similarity to the nearest end row: every length and diameter, and the
        # number of lamellae (the sheath thickness), scale with the fibre diameter.
        row = table[0] if d < dmin else table[-1]
        values = row[1:] * (d / row[0])
    else:
        values = np.array([np.interp(d, table[:, 0], table[:, k]) for k in range(1, 6)])
    if np.any(values <= 0) or values[2] >= d or values[3] > values[2]:
        raise AxonError(
            f"extrapolating the MRG table to {d:g} um gives an impossible geometry "
            f"(node-to-node {values[0]:.3g}, lamellae {values[1]:.3g}, axon {values[2]:.3g}, "
            f"node {values[3]:.3g} um); use a diameter closer to 5.7-16 um"
        )
    return MRGGeometry(d, *map(float, values), interpolated=True)


def fiber_diameter_for_axon(axon_diameter_um: float) -> float:
    """Fibre diameter (um) whose MRG axon (FLUT/STIN) diameter is the one given.

    The inverse of the table's axon-diameter column (piecewise linear, 3.4-12.7 um), and
    geometric similarity to the end rows outside it (fibre = axon x 5.7/3.4 below,
    x 16/12.7 above), matching :func:`mrg_geometry`. Use it to give a cell a myelinated
    axon as thick as its initial segment; diameters outside 5.7-16 um then need
    ``extrapolate=True`` in the spec.
    """
    d = float(axon_diameter_um)
    if not (math.isfinite(d) and d > 0):
        raise AxonError(f"axon diameter must be a positive number of um, got {axon_diameter_um}")
    table = np.asarray(MRG_TABLE)
    fib, ax_d = table[:, 0], table[:, 3]
    if d < ax_d[0]:
        return d * fib[0] / ax_d[0]
    if d > ax_d[-1]:
        return d * fib[-1] / ax_d[-1]
    return float(np.interp(d, ax_d, fib))
