"""NEURON's process-wide state: the one owner of its global variables.

dt, tstop, celsius, v_init, ``secondorder``, the integrator (CVODE on or off) and the
Random123 global index are set here and nowhere else: :func:`apply_settings` at the start
of every run, :func:`reset` before every condition. Other modules that must change a
NEURON global (the bath's ion defaults, the screening mechanisms' parameters) go through
:func:`set_globals`.

What this module keeps between calls is a cache of handles, never a value: pointers to
NEURON's global doubles (they never move), the one ``CVode`` and ``Random`` wrapper of the
process. A condition cannot leave anything behind here that the next one would see.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FRESH",
    "FRESH_SECONDORDER",
    "hoc",
    "cvode",
    "set_globals",
    "get_global",
    "apply_settings",
    "reset",
    "snapshot",
]

# NEURON's values in a fresh process (a worker process or MPI rank starts with these).
FRESH: dict[str, float] = {
    "dt": 0.025,
    "steps_per_ms": 40.0,
    "celsius": 6.3,
    "tstop": 5.0,
    "v_init": -65.0,
}
# NEURON's ``secondorder`` is an int (``h._ref_secondorder`` is no double pointer), so it
# is set by name, apart from the doubles above; a fresh process has 0 (backward Euler).
FRESH_SECONDORDER = 0

# Pointers to NEURON's global variables, by name (see set_globals).
_GLOBAL_REFS: dict[str, Any] = {}
# mechanisms.global_defaults() and the mechanisms with screening epochs, read once.
_DEFAULTS: dict[str, Any] = {}


@functools.cache
def hoc():
    """NEURON's ``h`` (a function-level ``from neuron import h`` costs ~1 us per call)."""
    from neuron import h

    return h


@functools.cache
def cvode():
    """Return the CVode object (one per process; ``h.CVode()`` makes a new Python wrapper)."""
    return hoc().CVode()


@functools.cache
def _random():
    """Return a Random object kept for ``Random123_globalindex`` (process-wide state)."""
    return hoc().Random()


def set_globals(values: Mapping[str, float]) -> None:
    """Set NEURON global variables, exactly as ``setattr(h, name, value)`` does.

    ``h.name = value`` looks ``name`` up in hoc's symbol table at every call (~2 us)
    and then writes the double it names. That double never moves, so the first call per
    name keeps a pointer to it (``h._ref_name``) and later calls write through it
    (~0.05 us). Every condition sets about fifteen globals, which made this lookup a
    measurable part of a sweep of short conditions.

    Parameters
    ----------
    values : mapping
        Global name (``"celsius"``, ``"mgo0_mg_ion"`` ...) -> value. A name that does
        not exist yet is created, as ``setattr`` would.
    """
    refs = _GLOBAL_REFS
    for name, value in values.items():
        ref = refs.get(name)
        if ref is None:
            h = hoc()
            setattr(h, name, value)
            refs[name] = getattr(h, "_ref_" + name)
        else:
            ref[0] = value


def get_global(name: str) -> float:
    """Read a NEURON global variable through the pointer of :func:`set_globals`."""
    ref = _GLOBAL_REFS.get(name)
    if ref is None:
        ref = _GLOBAL_REFS[name] = getattr(hoc(), "_ref_" + name)
    return float(ref[0])


def apply_settings(settings) -> None:
    """Set every global a run depends on from its :class:`~mgneuron.engine.RunSettings`.

    Parameters
    ----------
    settings : RunSettings
        dt, tstop, celsius, v_init, secondorder, integrator and Random123 index.
    """
    from mgneuron.mechanisms import require

    require()
    set_globals(
        {
            "dt": settings.dt,
            "steps_per_ms": 1.0 / settings.dt,
            "celsius": settings.celsius,
            "tstop": settings.tstop,
            "v_init": settings.v_init,
        }
    )
    hoc().secondorder = int(settings.secondorder)
    cvode().active(1 if settings.cvode else 0)
    _random().Random123_globalindex(int(settings.random123_globalindex))


def reset() -> None:
    """Put NEURON's globals back to a fresh process's values.

    The runner calls it before every condition, so a condition sees the same globals
    while it builds its model (before its run sets its own) in the main process, in a
    worker process and on an MPI rank: dt, steps_per_ms, celsius, tstop, v_init,
    secondorder, the integrator (fixed step) and the Random123 global index (0).
    """
    set_globals(FRESH)
    hoc().secondorder = FRESH_SECONDORDER
    cvode().active(0)
    _random().Random123_globalindex(0)
    _restore_mechanism_globals()


def _restore_mechanism_globals() -> None:
    """Put every mechanism GLOBAL back to its value when the library was loaded.

    A screening GLOBAL that changes bumps its mechanism's ``screening_epoch_<mechanism>``
    so that instances recompute their cached shift (see :mod:`mgneuron.bath`).
    """
    from mgneuron.mechanisms import global_defaults, mechanism_names

    if "values" not in _DEFAULTS:
        defaults = global_defaults()
        if not defaults:  # the library is not loaded yet
            return
        h = hoc()
        density, point = mechanism_names()
        _DEFAULTS["values"] = defaults
        # mechanisms with a screening epoch, longest name first (mrg_node before node)
        _DEFAULTS["screened"] = sorted(
            (m for m in density + point if hasattr(h, f"screening_epoch_{m}")),
            key=len,
            reverse=True,
        )
    changed = {k: v for k, v in _DEFAULTS["values"].items() if get_global(k) != v}
    if not changed:
        return
    set_globals(changed)
    stale = set()
    for name in changed:
        if name.startswith("screening_"):
            for mech in _DEFAULTS["screened"]:
                if name.endswith(f"_{mech}"):
                    stale.add(mech)
                    break
    for mech in stale:
        epoch = f"screening_epoch_{mech}"
        set_globals({epoch: get_global(epoch) + 1})


def snapshot() -> dict[str, float]:
    """Read the globals :func:`reset` owns, as they are now (for tests and leak checks)."""
    out = {name: get_global(name) for name in FRESH}
    out["secondorder"] = float(hoc().secondorder)
    out["cvode_active"] = float(cvode().active())
    return out
