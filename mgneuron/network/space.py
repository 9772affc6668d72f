"""The network in space: a slab of layer 2/3, cell positions, segment geometry.

Pure functions of the description (no NEURON objects): every rank computes the same
positions from the seed, so the network is the same on any number of ranks.

Coordinates (um): ``x, y`` lateral, ``z`` vertical with the pia at ``z = 0`` and the
white matter below (``z < 0``); a pyramidal cell's apical trunk and tuft point up
(``+z``, toward the pia), its basal dendrite down.

The slab
--------
Layer 2/3 of the rat somatosensory cortex lies 165 to 667 um below the pia (layer 1 is
165 um thick, layer 2 149 um, layer 3 353 um; Markram et al. 2015, Cell 163:456, the
mean thicknesses of their reconstructed column). Cells are placed uniformly at random
in a box of that depth whose square side follows from the number of cells and the
density (default 100,000 neurons per mm3, the mean neuron density of that column:
31,000 neurons in 0.29 mm3). A 100-cell network is then a box 45 um wide; a 10,000-cell
network 446 um wide.

The reduced pyramidal cell's apical tree is 400 um long (trunk 250 um + tuft 150 um,
:func:`~mgneuron.network.cells.pyramidal_cell`); its somata are placed in the lower part
of the layer (depth 415-667 um) so that the tuft ends in layer 1 or layer 2 and never
above the pia. Basket cells fill the whole layer (165-667 um).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mgneuron.network.cells import NetworkError, ReducedCellSpec

__all__ = ["Slab", "place_cells", "segment_geometry", "weighted_choice"]


@dataclass(frozen=True)
class Slab:
    """A slab of cortex holding the network.

    Parameters
    ----------
    density_per_mm3 : float
        Cells per mm3 (default 1e5, Markram et al. 2015).
    top_um, bottom_um : float
        Depth of the layer's top and bottom below the pia (um; default layer 2/3,
        165-667 um, Markram et al. 2015).
    apical_margin_um : float
        Pyramidal somata lie at least this far below the pia plus the apical length
        (um), so the tuft stays in the cortex.
    """

    density_per_mm3: float = 1.0e5
    top_um: float = 165.0
    bottom_um: float = 667.0
    apical_margin_um: float = 15.0

    def __post_init__(self) -> None:
        """Check density and depths."""
        if not self.density_per_mm3 > 0:
            raise NetworkError(f"cell density must be > 0 per mm3, got {self.density_per_mm3}")
        if not 0 <= self.top_um < self.bottom_um:
            raise NetworkError(
                f"slab depths must satisfy 0 <= top < bottom um, got {self.top_um}, "
                f"{self.bottom_um}"
            )

    @property
    def thickness_um(self) -> float:
        """Thickness of the layer (um)."""
        return self.bottom_um - self.top_um

    def side_um(self, n_cells: int) -> float:
        """Side of the square slab that holds ``n_cells`` at this density (um)."""
        volume_um3 = n_cells / self.density_per_mm3 * 1e9
        return float(np.sqrt(volume_um3 / self.thickness_um))


def _apical_length(cell: ReducedCellSpec) -> float:
    """Length of the path from the soma to the farthest apical tip (um)."""
    by = {s.name: s for s in cell.sections}
    best = 0.0
    for s in cell.sections[1:]:
        if s.region != "apical":
            continue
        total, cur = 0.0, s
        while cur.parent is not None:
            total += cur.length_um
            cur = by[cur.parent]
        best = max(best, total)
    return best


def place_cells(
    n_exc: int,
    n_inh: int,
    exc_cell: ReducedCellSpec,
    slab: Slab,
    seed: int,
) -> np.ndarray:
    """Draw the soma position of every cell (gid order), shape ``(n_exc + n_inh, 3)`` (um).

    Uniform in the slab's square (side :meth:`Slab.side_um`) and depth range: pyramidal
    cells (gids ``0 .. n_exc-1``) between ``apical length + apical_margin_um`` (or the
    layer's top, if deeper) and the layer's bottom, basket cells in the whole layer.
    Stream ``SeedSequence([seed, 2000])``.

    Raises
    ------
    NetworkError
        The pyramidal cells' apical tree does not fit in the slab.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2000]))
    n = n_exc + n_inh
    side = slab.side_um(n)
    top_exc = max(slab.top_um, _apical_length(exc_cell) + slab.apical_margin_um)
    if top_exc >= slab.bottom_um:
        raise NetworkError(
            f"the pyramidal cells' apical tree ({_apical_length(exc_cell):.0f} um) does not "
            f"fit above a soma in the slab (bottom {slab.bottom_um} um below the pia)"
        )
    xy = rng.uniform(0.0, side, size=(n, 2))
    depth = np.concatenate(
        (
            rng.uniform(top_exc, slab.bottom_um, size=n_exc),
            rng.uniform(slab.top_um, slab.bottom_um, size=n_inh),
        )
    )
    return np.column_stack((xy, -depth))


def segment_geometry(cell: ReducedCellSpec, soma_xyz: np.ndarray) -> tuple[np.ndarray, ...]:
    """Start and end points (um) and diameters of every segment of one placed cell.

    Segments in NEURON's order within a cell: sections in the spec's order, segments
    from 0 to 1 along each. The root (soma) is a vertical cylinder centred on
    ``soma_xyz``; a section of region ``basal`` points straight down (``-z``) from its
    attachment point, every other section straight up (``+z``): the reduced cells are
    unbranched, so the straight vertical lines are exact for them.

    Returns
    -------
    (start, end, diam) : ndarrays, shapes (n_seg, 3), (n_seg, 3), (n_seg,)
    """
    soma_xyz = np.asarray(soma_xyz, float)
    ends: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    starts, stops, diams = [], [], []
    up = np.array([0.0, 0.0, 1.0])
    for i, s in enumerate(cell.sections):
        if i == 0:
            a = soma_xyz - 0.5 * s.length_um * up
            direction = up
        else:
            pa, pb = ends[s.parent]
            a = pa + s.parent_x * (pb - pa)
            direction = -up if s.region == "basal" else up
        b = a + s.length_um * direction
        ends[s.name] = (a, b)
        f = np.linspace(0.0, 1.0, s.nseg + 1)
        pts = a + f[:, None] * (b - a)
        starts.append(pts[:-1])
        stops.append(pts[1:])
        diams.append(np.full(s.nseg, s.diam_um))
    return np.concatenate(starts), np.concatenate(stops), np.concatenate(diams)


def weighted_choice(rng: np.random.Generator, log_weights: np.ndarray, k: int) -> np.ndarray:
    """Draw ``k`` distinct indices with probabilities proportional to ``exp(log_weights)``.

    Successive sampling without replacement (each draw proportional to the weights of
    the indices not yet drawn), by the exponential-key method of Efraimidis & Spirakis
    (2006, Inf Process Lett 97:181): the ``k`` indices of smallest ``E_i / w_i`` with
    ``E_i`` standard exponential, compared as ``log E_i - log w_i`` so that weights too
    small for a float (distant cells) keep their order. Indices of weight 0
    (``log_weights = -inf``) are never drawn.

    Returns
    -------
    ndarray of int
        Sorted indices.
    """
    log_weights = np.asarray(log_weights, float)
    allowed = np.isfinite(log_weights)
    if k > np.count_nonzero(allowed):
        raise NetworkError(f"cannot draw {k} distinct partners from {np.count_nonzero(allowed)}")
    keys = np.log(rng.standard_exponential(len(log_weights)))
    keys = np.where(allowed, keys - np.where(allowed, log_weights, 0.0), np.inf)
    if k == 0:
        return np.zeros(0, np.int64)
    return np.sort(np.argpartition(keys, k - 1)[:k]).astype(np.int64)
