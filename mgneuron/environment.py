"""The extracellular bath: [Mg]o, [Ca]o, monovalent salt and temperature.

[Mg]o and [Ca]o are NEURON ion concentrations (``mgo`` of the ``mg`` ion, valence 2, and
``cao``), so every Mg-aware mechanism reads them with ``USEION mg READ mgo VALENCE 2`` and
a per-section (or per-segment) value works as well as a global one.

NEURON takes a new ion's default concentration (``mgo0_mg_ion``) when the ion is first
inserted into a section; changing the global later does not reach existing sections.
:meth:`Environment.apply` therefore sets the globals *and* the value in every segment that
carries the ion.

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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from mgneuron.errors import BathError

__all__ = ["Environment", "PRESETS", "get_environment", "set_section_bath", "PhysiologyWarning"]


class PhysiologyWarning(UserWarning):
    """A value is valid but outside the range seen in physiology or in vitro practice."""


# (low, high) of what is seen in serum, CSF or in vitro solutions; outside gives a warning.
_PHYSIOLOGICAL = {
    "mg_mM": (0.0, 10.0),
    "ca_mM": (0.2, 10.0),
    "na_mM": (50.0, 200.0),
    "k_mM": (1.0, 20.0),
    "celsius": (5.0, 42.0),
}


def _check(name: str, value: float, unit: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise BathError(f"{name} must be a number in {unit}, got {value!r}") from None
    if not math.isfinite(value):
        raise BathError(f"{name} must be finite, got {value} {unit}")
    if name != "celsius" and value < 0:
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
    celsius : float
        Temperature (degC). Default 34 (mammalian slice).
    name : str
        Label of the bath (a preset name or "custom").
    """

    mg_mM: float = 1.0
    ca_mM: float = 2.0
    na_mM: float = 145.0
    k_mM: float = 3.0
    celsius: float = 34.0
    name: str = "custom"

    def __post_init__(self) -> None:
        units = {"mg_mM": "mM", "ca_mM": "mM", "na_mM": "mM", "k_mM": "mM", "celsius": "degC"}
        for field, unit in units.items():
            object.__setattr__(self, field, _check(field, getattr(self, field), unit))

    def with_(self, **changes: float) -> Environment:
        """Return a copy with some values changed (validated again); name becomes 'custom'."""
        changes.setdefault("name", "custom")
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """Plain-dict view (for HDF5 parameters and pickling)."""
        return asdict(self)

    def apply(self, sections: Iterable | None = None) -> int:
        """Set the bath in NEURON: globals, temperature, and every segment with the ions.

        Also sets the monovalent salt ([Na]o + [K]o) of the surface-charge screening model
        in every mechanism that includes surface_charge.inc (see :mod:`mgneuron.screening`).

        Parameters
        ----------
        sections : iterable of nrn.Section, optional
            Sections to set; default all sections that exist.

        Returns
        -------
        int
            Number of segments whose ``mgo`` was set.
        """
        from neuron import h

        from mgneuron.mechanisms import require
        from mgneuron.screening import set_monovalent
        from mgneuron.simulation import set_globals

        require()  # the mg ion is declared by the mechanisms
        set_globals(
            {
                "celsius": self.celsius,
                "mgo0_mg_ion": self.mg_mM,
                "cao0_ca_ion": self.ca_mM,
                "nao0_na_ion": self.na_mM,
                "ko0_k_ion": self.k_mM,
            }
        )
        # NMODL cannot see the Environment: hand the monovalent salt to the screening model
        set_monovalent(self.na_mM + self.k_mM)
        n = 0
        for sec in h.allsec() if sections is None else sections:
            n += set_section_bath(sec, mg_mM=self.mg_mM, ca_mM=self.ca_mM, _checked=True)
        return n


def set_section_bath(
    sec, mg_mM: float | None = None, ca_mM: float | None = None, _checked: bool = False
) -> int:
    """Set [Mg]o and/or [Ca]o in every segment of one section that carries the ion.

    Parameters
    ----------
    sec : nrn.Section
    mg_mM, ca_mM : float, optional
        Concentrations (mM); None leaves the value as it is.

    Returns
    -------
    int
        Number of segments whose ``mgo`` was set (those that carry the mg ion).
    """

    if not _checked:
        if mg_mM is not None:
            mg_mM = _check("mg_mM", mg_mM, "mM")
        if ca_mM is not None:
            ca_mM = _check("ca_mM", ca_mM, "mM")
    # Point processes carry their ions only in the segment they sit in, so ask per segment.
    n = 0
    for seg in sec:
        if mg_mM is not None:
            try:
                seg.mgo = mg_mM
                n += 1
            except AttributeError:
                pass
        if ca_mM is not None:
            try:
                seg.cao = ca_mM
            except AttributeError:
                pass
    return n


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
