"""Myelin states of the internodes and the named presets of myelin damage.

One :class:`MyelinState` per internode, relative to the healthy MRG fibre
(:mod:`mgneuron.axon.geometry`):

- ``lamellae_fraction`` f scales the number of lamellae (nl -> f nl) and, by default,
  the sheath thickness (outer diameter d + f (D - d); ``outer_diameter="kept"`` of
  :class:`~mgneuron.axon.spec.MyelinatedAxonSpec` keeps it at D); f = 0 leaves the bare
  axolemma;
- ``paranodal_seal_fraction`` s multiplies the periaxonal resistance of the paranodal
  seal by s: along the MYSA (as if its 2 nm gap widened to ~2/s nm) and at the junction
  between the node and the MYSA (a node takes the looser seal of its two internodes);
- ``internode_length_factor`` scales the node-to-node distance (the STIN segments take
  the change; MYSA and FLUT keep their lengths);
- ``node_length_factor`` widens the nodes at both ends of the internode (a node takes
  the larger factor of its two internodes), the number of nodal channels conserved.

Presets (``MYELIN_PRESETS``, :func:`myelin_preset` by name): :func:`healthy`,
:func:`demyelinated` (lamellae lost on every, a fraction of, or a contiguous lesion of
internodes), :func:`paranodal_retraction`, :func:`remyelinated` (short, thin internodes
in place of the originals; PLoS One 2018, e0191106, and references there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mgneuron.errors import AxonError

__all__ = [
    "MyelinState",
    "HEALTHY",
    "healthy",
    "demyelinated",
    "paranodal_retraction",
    "remyelinated",
    "MYELIN_PRESETS",
    "myelin_preset",
]


@dataclass(frozen=True)
class MyelinState:
    """State of the myelin of one internode (all fractions/factors relative to healthy).

    Parameters
    ----------
    lamellae_fraction : float
        Fraction of the healthy lamellae left, 0..1 (1 healthy, 0 bare axon).
    paranodal_seal_fraction : float
        Tightness of the paranodal seal, (0, 1]: multiplies the periaxonal resistance
        of the MYSA and of the node-MYSA junction.
    internode_length_factor : float
        Node-to-node distance relative to the healthy one (> 0).
    node_length_factor : float
        Length of the nodes at either end relative to 1 um (>= 1 widens them; the number
        of nodal channels is conserved).
    """

    lamellae_fraction: float = 1.0
    paranodal_seal_fraction: float = 1.0
    internode_length_factor: float = 1.0
    node_length_factor: float = 1.0

    def __post_init__(self) -> None:
        """Check every fraction and factor (AxonError names the bad one)."""
        checks = {
            "lamellae_fraction": (0.0, 1.0, True),
            "paranodal_seal_fraction": (0.0, 1.0, False),
        }
        for name, (low, high, closed) in checks.items():
            v = float(getattr(self, name))
            ok = math.isfinite(v) and (low <= v if closed else low < v) and v <= high
            if not ok:
                span = f"[{low}, {high}]" if closed else f"({low}, {high}]"
                raise AxonError(f"MyelinState.{name} must be in {span}, got {v}")
            object.__setattr__(self, name, v)
        for name in ("internode_length_factor", "node_length_factor"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise AxonError(f"MyelinState.{name} must be a positive factor, got {v}")
            object.__setattr__(self, name, v)

    @property
    def is_healthy(self) -> bool:
        """True if every field is at its healthy value."""
        return self == MyelinState()


HEALTHY = MyelinState()


def healthy(n_internodes: int) -> tuple[MyelinState, ...]:
    """``n_internodes`` healthy internodes."""
    _check_count(n_internodes)
    return (HEALTHY,) * int(n_internodes)


def _check_count(n: int) -> None:
    if int(n) != n or n < 1:
        raise AxonError(f"the number of internodes must be a positive integer, got {n}")


def _select(
    n: int,
    fraction: float | None,
    lesion: int | None,
    start: int | None,
    seed: int | None,
) -> list[int]:
    """Return the indices of the affected internodes (see :func:`demyelinated`)."""
    if fraction is not None and lesion is not None:
        raise AxonError("give either fraction (of internodes) or lesion (contiguous), not both")
    if lesion is not None:
        k = int(lesion)
        if k != lesion or not 0 <= k <= n:
            raise AxonError(
                f"lesion must be an integer number of internodes in 0..{n}, got {lesion}"
            )
        first = (n - k) // 2 if start is None else int(start)
        if not 0 <= first <= n - k:
            raise AxonError(f"a lesion of {k} internodes starting at {start} does not fit in {n}")
        return list(range(first, first + k))
    if fraction is None:
        return list(range(n))
    if not 0.0 <= fraction <= 1.0:
        raise AxonError(f"fraction of internodes must be in [0, 1], got {fraction}")
    k = int(round(fraction * n))
    if k == 0:
        return []
    if seed is not None:
        rng = np.random.default_rng(seed)
        return sorted(int(i) for i in rng.choice(n, size=k, replace=False))
    # Evenly spread, deterministic: the centres of k equal bins.
    return sorted({int((j + 0.5) * n / k) for j in range(k)})


def _affect(
    bad: MyelinState,
    n: int,
    fraction: float | None,
    lesion: int | None,
    start: int | None,
    seed: int | None,
) -> tuple[MyelinState, ...]:
    """Put ``bad`` on the internodes :func:`_select` picks and leave the others healthy."""
    hit = set(_select(n, fraction, lesion, start, seed))
    return tuple(bad if i in hit else HEALTHY for i in range(n))


def demyelinated(
    n_internodes: int,
    severity: float = 0.5,
    *,
    fraction: float | None = None,
    lesion: int | None = None,
    start: int | None = None,
    seed: int | None = None,
    paranodal_seal_fraction: float = 1.0,
) -> tuple[MyelinState, ...]:
    """Internodes that lost a fraction ``severity`` of their lamellae.

    Parameters
    ----------
    n_internodes : int
        Number of internodes of the axon.
    severity : float
        Fraction of lamellae lost, 0..1 (lamellae_fraction = 1 - severity).
    fraction : float, optional
        Affect this fraction of the internodes, spread evenly (or at random with ``seed``).
    lesion : int, optional
        Affect a contiguous lesion of this many internodes, centred unless ``start``.
    start : int, optional
        First internode of the lesion.
    seed : int, optional
        Random choice of the affected internodes with ``fraction``.
    paranodal_seal_fraction : float
        Seal of the affected internodes (1 = intact).

    With neither ``fraction`` nor ``lesion`` every internode is affected.
    """
    _check_count(n_internodes)
    if not 0.0 <= severity <= 1.0:
        raise AxonError(f"severity (fraction of lamellae lost) must be in [0, 1], got {severity}")
    bad = MyelinState(
        lamellae_fraction=1.0 - severity, paranodal_seal_fraction=paranodal_seal_fraction
    )
    return _affect(bad, n_internodes, fraction, lesion, start, seed)


def paranodal_retraction(
    n_internodes: int,
    node_length_factor: float = 3.0,
    paranodal_seal_fraction: float = 0.5,
    *,
    fraction: float | None = None,
    lesion: int | None = None,
    start: int | None = None,
    seed: int | None = None,
) -> tuple[MyelinState, ...]:
    """Paranodal myelin retracts: widened nodes and a loosened paranodal seal.

    The defaults (nodes 3 um, seal halved) are illustrative values of a moderate
    retraction, not fitted to data; sweep them. Selection of internodes as in
    :func:`demyelinated` (default: all).
    """
    _check_count(n_internodes)
    bad = MyelinState(
        paranodal_seal_fraction=paranodal_seal_fraction, node_length_factor=node_length_factor
    )
    return _affect(bad, n_internodes, fraction, lesion, start, seed)


def remyelinated(
    n_internodes: int,
    *,
    n_short: int = 3,
    lamellae_fraction: float = 0.5,
    fraction: float | None = None,
    lesion: int | None = 1,
    start: int | None = None,
    seed: int | None = None,
) -> tuple[MyelinState, ...]:
    """Remyelination: each affected internode is replaced by ``n_short`` short, thin ones.

    Remyelinated internodes are shorter and thinner than the originals (PLoS One 2018,
    e0191106, and references there); here each affected internode becomes ``n_short``
    internodes of 1/``n_short`` of its length and ``lamellae_fraction`` of the healthy
    lamellae, so the axon gains ``n_short - 1`` nodes per affected internode while its
    length is unchanged. Selection as in :func:`demyelinated` (default: one internode in
    the middle).
    """
    _check_count(n_internodes)
    if int(n_short) != n_short or n_short < 1:
        raise AxonError(f"n_short must be a positive integer, got {n_short}")
    short = MyelinState(lamellae_fraction=lamellae_fraction, internode_length_factor=1 / n_short)
    hit = set(_select(n_internodes, fraction, lesion, start, seed))
    out: list[MyelinState] = []
    for i in range(n_internodes):
        out.extend([short] * int(n_short) if i in hit else [HEALTHY])
    return tuple(out)


MYELIN_PRESETS = {
    "healthy": healthy,
    "demyelinated": demyelinated,
    "paranodal_retraction": paranodal_retraction,
    "remyelinated": remyelinated,
}


def myelin_preset(name: str, n_internodes: int, **options: Any) -> tuple[MyelinState, ...]:
    """Internode states of a named preset (see ``MYELIN_PRESETS``) with its options."""
    try:
        fn = MYELIN_PRESETS[name]
    except KeyError:
        raise AxonError(
            f"unknown myelin preset {name!r}; known: {', '.join(MYELIN_PRESETS)}"
        ) from None
    try:
        return fn(n_internodes, **options)
    except TypeError as exc:
        raise AxonError(f"myelin preset {name!r}: {exc}") from None
