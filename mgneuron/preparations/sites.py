"""Location rules checked on the cell they will be used on, before a sweep simulates.

A location rule (``dendrite:100-300um``) can only be resolved on a built cell: path
distances come from NEURON. :func:`check_sites` builds the cell of a condition (its
morphology, biophysics, discretisation and myelinated axon), resolves every rule, and
deletes the cell; the answer is kept per distinct combination, so a sweep over [Mg]o
builds each cell once. A rule that matches no segment raises
:class:`~mgneuron.errors.LocationError`, which names what the morphology offers.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import replace

from mgneuron.axon import apply_myelinated_axon
from mgneuron.cell import CellSpec, build_cell
from mgneuron.errors import LocationError
from mgneuron.locations import RegionSites, parse_location
from mgneuron.morphology import MorphologyWarning

__all__ = ["check_sites", "count_sites"]

# (cell spec as JSON, axon option, rules) -> per rule, its segment count or why it
# matches nothing. Python values only: the cells themselves are deleted.
_COUNTS: dict[tuple[str, str, tuple[str, ...]], tuple[int | str, ...]] = {}


def count_sites(spec: CellSpec, myelinated_axon: str, rules: Mapping[str, str]) -> dict[str, int]:
    """Count the segments each rule matches on the built cell (memoised per cell).

    Parameters
    ----------
    spec : CellSpec
        The cell.
    myelinated_axon : str
        The ``--myelinated-axon`` option ("" for none).
    rules : mapping of str to str
        Parameter name -> location rule (:func:`mgneuron.locations.parse_location`),
        each resolved without its ``n=`` sampling.

    Returns
    -------
    dict of str to int
        Matching segments per parameter.

    Raises
    ------
    LocationError
        A rule matches nothing; the message names the parameter, its rule and what the
        morphology offers (regions, path distances).
    """
    names, texts = list(rules), tuple(str(r) for r in rules.values())
    key = (json.dumps(spec.as_dict(), sort_keys=True, default=str), myelinated_axon or "", texts)
    if key not in _COUNTS:
        _COUNTS[key] = _count(spec, key[1], texts)
    out = {}
    for name, text, n in zip(names, texts, _COUNTS[key], strict=True):
        if isinstance(n, str):
            raise LocationError(f"parameter {name}={text!r}: {n}")
        out[name] = n
    return out


def check_sites(spec: CellSpec, myelinated_axon: str, rules: Mapping[str, str]) -> None:
    """Raise :class:`~mgneuron.errors.LocationError` if a rule matches no segment.

    See :func:`count_sites` (same parameters).
    """
    count_sites(spec, myelinated_axon, rules)


def _count(spec: CellSpec, axon: str, rules: tuple[str, ...]) -> tuple[int | str, ...]:
    """Build the cell, resolve every rule (a count, or the error's text), delete the cell."""
    parsed: list = []
    for text in rules:  # a malformed rule needs no cell
        try:
            parsed.append(parse_location(text))
        except LocationError as exc:
            parsed.append(str(exc))
    with warnings.catch_warnings():
        # The morphology's warnings belong to the conditions' own builds, not to this one.
        warnings.simplefilter("ignore", MorphologyWarning)
        cell = build_cell(spec)
    myelinated = None
    try:
        myelinated = apply_myelinated_axon(cell, axon)
        return tuple(rule if isinstance(rule, str) else _n(rule, cell) for rule in parsed)
    finally:
        del myelinated
        cell.delete()


def _n(rule, cell) -> int | str:
    """Count the segments a rule could draw from, or say why it matches none."""
    if isinstance(rule, RegionSites) and rule.n is not None:
        rule = replace(rule, n=None)
    try:
        return len(rule.segments(cell))
    except LocationError as exc:
        return str(exc)
