"""The extracellular bath: [Mg]o, [Ca]o and the monovalent salt, as a description.

[Mg]o and [Ca]o are NEURON ion concentrations (``mgo`` of the ``mg`` ion, valence 2, and
``cao``), so every Mg-aware mechanism reads them with ``USEION mg READ mgo VALENCE 2`` and
a per-section (or per-segment) value works as well as a global one.

The bath owns concentrations only; the temperature is a setting of the run
(:class:`mgneuron.engine.RunSettings`), which is its one owner. :func:`mgneuron.bath.apply_bath`
puts an Environment into NEURON.

Presets
-------
``normal``                 1.0 mM Mg, 2.0 mM Ca (ACSF and normal serum ionised Mg ~0.5-0.7;
                           1 mM is the usual in vitro reference)
``hypomagnesemia``         0.5 mM Mg
``severe_hypomagnesemia``  0.2 mM Mg
``mg_free``                0 mM Mg (nominally Mg-free ACSF; real "0 Mg" holds 50-80 uM)
``therapeutic``            2.5 mM Mg (upper range of MgSO4 therapy in pre-eclampsia,
                           serum 2-3.5 mM; Lu & Nightingale 2000, Clin Pharmacokinet 38:305)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, replace

from mgneuron.errors import BathError

__all__ = ["Environment", "PRESETS", "get_environment", "PhysiologyWarning", "check_concentration"]


class PhysiologyWarning(UserWarning):
    """A value is valid but outside the range seen in physiology or in vitro practice."""


# (low, high) of what is seen in serum, CSF or in vitro solutions; outside gives a warning.
_PHYSIOLOGICAL = {
    "mg_mM": (0.0, 10.0),
    "ca_mM": (0.2, 10.0),
    "na_mM": (50.0, 200.0),
    "k_mM": (1.0, 20.0),
}


def check_concentration(name: str, value: float, unit: str) -> float:
    """Check one bath concentration and return it as a float.

    Parameters
    ----------
    name : str
        Field name: ``mg_mM``, ``ca_mM``, ``na_mM`` or ``k_mM``.
    value : float
        The concentration, in ``unit``.
    unit : str
        Unit of ``value``, for the messages (mM).

    Returns
    -------
    float
        ``value`` as a float.

    Raises
    ------
    BathError
        Not a number, not finite, or negative.

    Warns
    -----
    PhysiologyWarning
        The value lies outside the range seen in physiology or in vitro practice.
    """
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise BathError(f"{name} must be a number in {unit}, got {value!r}") from None
    if not math.isfinite(value):
        raise BathError(f"{name} must be finite, got {value} {unit}")
    if value < 0:
        raise BathError(f"{name} must be >= 0 {unit}, got {value} {unit}")
    low, high = _PHYSIOLOGICAL[name]
    if not low <= value <= high:
        warnings.warn(
            f"{name} = {value} {unit} is outside the physiological range [{low}, {high}] {unit}",
            PhysiologyWarning,
            stacklevel=4,
        )
    return value


@dataclass(frozen=True)
class Environment:
    """The extracellular bath a model sits in.

    Parameters
    ----------
    mg_mM : float
        Extracellular Mg2+ concentration (mM). Default 1.0.
    ca_mM : float
        Extracellular Ca2+ concentration (mM). Default 2.0.
    na_mM : float
        Extracellular Na+ (mM); with ``k_mM`` the monovalent salt that sets the Debye
        length in surface-charge screening. Default 145.
    k_mM : float
        Extracellular K+ (mM). Default 3.0.
    name : str
        Label of the bath (a preset name or "custom").
    """

    mg_mM: float = 1.0
    ca_mM: float = 2.0
    na_mM: float = 145.0
    k_mM: float = 3.0
    name: str = "custom"

    def __post_init__(self) -> None:
        """Check every concentration (:func:`check_concentration`); store them as floats."""
        units = {"mg_mM": "mM", "ca_mM": "mM", "na_mM": "mM", "k_mM": "mM"}
        for field, unit in units.items():
            object.__setattr__(self, field, check_concentration(field, getattr(self, field), unit))

    def with_(self, **changes: float) -> Environment:
        """Return a copy with some values changed (validated again); name becomes 'custom'."""
        changes.setdefault("name", "custom")
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """Plain-dict view (for HDF5 parameters and pickling)."""
        return asdict(self)


PRESETS: dict[str, Environment] = {
    "normal": Environment(mg_mM=1.0, name="normal"),
    "hypomagnesemia": Environment(mg_mM=0.5, name="hypomagnesemia"),
    "severe_hypomagnesemia": Environment(mg_mM=0.2, name="severe_hypomagnesemia"),
    "mg_free": Environment(mg_mM=0.0, name="mg_free"),
    "therapeutic": Environment(mg_mM=2.5, name="therapeutic"),
}


def get_environment(name_or_env: str | Environment = "normal", **overrides: float) -> Environment:
    """Return a preset by name (or the given Environment), with optional overrides.

    Raises
    ------
    BathError
        For an unknown preset name or an invalid value.
    """
    if isinstance(name_or_env, Environment):
        env = name_or_env
    else:
        try:
            env = PRESETS[name_or_env]
        except KeyError:
            raise BathError(
                f"unknown bath preset {name_or_env!r}; known presets: {', '.join(PRESETS)}"
            ) from None
    return env.with_(**overrides) if overrides else env
