"""The bath in NEURON: ion concentrations in every segment and the screening model's GLOBALs.

An :class:`~mgneuron.environment.Environment` is a description; :func:`apply_bath` puts
it into NEURON. NEURON takes a new ion's default concentration (``mgo0_mg_ion``) when the
ion is first inserted into a section; changing the global later does not reach existing
sections, so the bath sets the globals *and* the value in every segment that carries the
ion. The surface-charge screening model of the Na/K channels (formulas in
:mod:`mgneuron.screening`) reads its parameters from NMODL GLOBALs; this module sets them
(:func:`configure_screening`) and hands it the monovalent salt (:func:`set_monovalent`).
Every one of these GLOBALs is put back before each condition by
:func:`mgneuron.engine.reset`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import fields, replace

from mgneuron.engine.state import get_global, hoc, set_globals
from mgneuron.environment import Environment, check_concentration
from mgneuron.errors import BathError, MechanismError
from mgneuron.mechanisms import mechanism_names, require
from mgneuron.screening import MODELS, NMODL_EPOCH, NMODL_GLOBALS, ScreeningParams, check_salt

# screened_mechanisms() memo: {"key": (n density, n point mechanisms), "names": [...]}
_SCREENED: dict = {}

__all__ = [
    "apply_bath",
    "set_section_bath",
    "screened_mechanisms",
    "current_screening",
    "configure_screening",
    "set_monovalent",
]


def apply_bath(environment: Environment, sections: Iterable | None = None) -> int:
    """Put the bath into NEURON: ion defaults, the screening salt, every segment's ions.

    Sets the concentrations only: the temperature belongs to the run's
    :class:`~mgneuron.engine.RunSettings`. Also sets the monovalent salt ([Na]o + [K]o)
    of the surface-charge screening model in every mechanism that includes
    surface_charge.inc (:func:`set_monovalent`).

    Parameters
    ----------
    environment : Environment
        The bath ([Mg]o, [Ca]o, [Na]o, [K]o in mM).
    sections : iterable of nrn.Section, optional
        Sections to set; default all sections that exist.

    Returns
    -------
    int
        Number of segments whose ``mgo`` was set.
    """
    h = hoc()
    require()  # the mg ion is declared by the mechanisms
    env = environment
    set_globals(
        {
            "mgo0_mg_ion": env.mg_mM,
            "cao0_ca_ion": env.ca_mM,
            "nao0_na_ion": env.na_mM,
            "ko0_k_ion": env.k_mM,
        }
    )
    # NMODL cannot see the Environment: hand the monovalent salt to the screening model
    set_monovalent(env.na_mM + env.k_mM)
    n = 0
    for sec in h.allsec() if sections is None else sections:
        n += set_section_bath(sec, mg_mM=env.mg_mM, ca_mM=env.ca_mM, _checked=True)
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
            mg_mM = check_concentration("mg_mM", mg_mM, "mM")
        if ca_mM is not None:
            ca_mM = check_concentration("ca_mM", ca_mM, "mM")
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


def screened_mechanisms() -> list[str]:
    """Names of the loaded mechanisms (density and point) that include surface_charge.inc.

    Returns
    -------
    list of str
        Sorted mechanism names, e.g. ``["screen_probe", ...]``; loads the mechanism
        library first if needed.
    """
    h = hoc()
    require()
    density, point = mechanism_names()
    key = (len(density), len(point))  # the set of mechanisms (see mechanism_names)
    if _SCREENED.get("key") != key:
        names = sorted(n for n in density + point if hasattr(h, f"{NMODL_EPOCH}_{n}"))
        _SCREENED.update(key=key, names=names)
    return list(_SCREENED["names"])


def current_screening() -> ScreeningParams:
    """Read the screening parameters from the NEURON GLOBALs.

    Returns
    -------
    ScreeningParams
        The values of the first mechanism of :func:`screened_mechanisms`; a warning names
        the mechanisms whose values differ (set by hand; :func:`configure_screening` aligns them).

    Raises
    ------
    MechanismError
        If no loaded mechanism includes surface_charge.inc.
    """
    h = hoc()

    mechs = screened_mechanisms()
    if not mechs:
        raise MechanismError("no loaded mechanism includes surface_charge.inc")

    def read(mech: str) -> dict:
        return {f: getattr(h, f"{g}_{mech}") for f, g in NMODL_GLOBALS.items()}

    first = read(mechs[0])
    differ = [m for m in mechs[1:] if read(m) != first]
    if differ:
        warnings.warn(
            f"screening GLOBALs of {', '.join(differ)} differ from those of {mechs[0]}; "
            "call mgneuron.bath.configure_screening() to set them all",
            stacklevel=2,
        )
    first["model"] = int(first["model"])
    return ScreeningParams(**first)


def configure_screening(
    params: ScreeningParams | None = None, **changes: float | str
) -> ScreeningParams:
    """Set the screening model and parameters in every mechanism that includes the file.

    Writes the GLOBALs ``screening_<name>_<mechanism>`` and increments
    ``screening_epoch_<mechanism>``, so every instance recomputes its cached shift at its
    next call; no other call is needed.

    Parameters
    ----------
    params : ScreeningParams, optional
        Full parameter set. Default: the values now in NEURON (see :func:`current_screening`), so
        ``configure_screening(sigma_e_per_nm2=-0.8)`` changes that value only.
    **changes
        Fields of :class:`ScreeningParams` to change, e.g. ``model="empirical"``,
        ``monovalent_mM=150``, ``k_ca_per_M=12, k_mg_per_M=8``.

    Returns
    -------
    ScreeningParams
        The parameters now in force.

    Raises
    ------
    BathError
        For an unknown field or an invalid value.
    MechanismError
        If no loaded mechanism includes surface_charge.inc.

    Examples
    --------
    >>> from mgneuron.bath import configure_screening
    >>> configure_screening(model="empirical", slope_mV=25)            # doctest: +SKIP
    >>> configure_screening(ScreeningParams())                         # doctest: +SKIP
    """
    h = hoc()

    unknown = set(changes) - {f.name for f in fields(ScreeningParams)}
    if unknown:
        raise BathError(
            f"unknown screening parameter(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(f.name for f in fields(ScreeningParams))}"
        )
    mechs = screened_mechanisms()
    if not mechs:
        raise MechanismError("no loaded mechanism includes surface_charge.inc")
    base = params if params is not None else current_screening()
    new = replace(base, **changes) if changes else base
    values = new.as_dict()
    values["model"] = MODELS[new.model]
    for mech in mechs:
        for field_name, glob in NMODL_GLOBALS.items():
            setattr(h, f"{glob}_{mech}", values[field_name])
        setattr(h, f"{NMODL_EPOCH}_{mech}", getattr(h, f"{NMODL_EPOCH}_{mech}") + 1)
    return new


def set_monovalent(monovalent_mM: float) -> bool:
    """Set the monovalent salt of the screening model in every mechanism, if it changed.

    Called by :func:`apply_bath` with [Na]o + [K]o, because
    NMODL cannot read the Environment. Other parameters are left as they are.

    Parameters
    ----------
    monovalent_mM : float
        Monovalent 1:1 salt (mM).

    Returns
    -------
    bool
        True if a GLOBAL was changed (and the caches invalidated), False if every
        mechanism had the value already or none includes surface_charge.inc.
    """
    value = check_salt("monovalent_mM", monovalent_mM)
    glob = NMODL_GLOBALS["monovalent_mM"]
    stale = [m for m in screened_mechanisms() if get_global(f"{glob}_{m}") != value]
    for mech in stale:
        epoch = f"{NMODL_EPOCH}_{mech}"
        set_globals({f"{glob}_{mech}": value, epoch: get_global(epoch) + 1})
    return bool(stale)
