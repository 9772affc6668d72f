"""The protocol base class, what one condition returns, and the protocol registry.

A protocol is a subclass of :class:`Protocol` in ``protocols/<name>.py`` (installed as
``mgneuron.protocols.<name>``). It declares its parameters as
:class:`~mgneuron.runner.params.Param` objects and implements
:meth:`Protocol.run_condition`, which builds a fresh model for one condition, simulates
it and returns a :class:`ConditionResult`.

Any parameter can be swept (``--sweep mg=0,0.5,1 ca=1,2``); parameters declared with
``grid=True`` take a list of values by default. Conditions are the Cartesian product of
the swept parameters, in declaration order.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import math
import os
import pkgutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from mgneuron.errors import ProtocolError, UnknownParameterError
from mgneuron.results import Report, Spikes
from mgneuron.runner.params import COMMON_PARAMS, Param, Params

if TYPE_CHECKING:  # pandas is imported where it is used: worker processes skip it
    import pandas as pd

__all__ = [
    "ConditionResult",
    "Protocol",
    "get_protocol",
    "list_protocols",
    "check_parameter_names",
    "max_conditions",
]


@dataclass
class ConditionResult:
    """What one condition produced.

    Parameters
    ----------
    features : list of dict
        Feature rows (column names with units); several rows per condition are allowed.
    reports : dict of str to Report
        Compartment reports by population name.
    spikes : dict of str to Spikes
        Spike trains by population name.
    """

    features: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, Report] = field(default_factory=dict)
    spikes: dict[str, Spikes] = field(default_factory=dict)


class Protocol:
    """Base class of protocols. Subclasses set the class attributes and run_condition.

    Class attributes
    ----------------
    name : str
        Registry name (the file name in ``protocols/``).
    title : str
        One-line description.
    params : tuple of Param
        Protocol parameters (the common seed, dt, tstop are added, with the defaults
        given in ``defaults``).
    defaults : dict
        Overrides of the common parameters' defaults (e.g. ``{"tstop": 300}``).
    distributed : bool
        ``run_condition`` spreads one model over MPI ranks (cells dealt to ranks by gid,
        see :mod:`mgneuron.engine.ranks`): under ``--mpi`` every rank runs every
        condition together instead of each rank taking its own conditions.

    A subclass is checked when it is defined: every ``p.NAME`` (and ``p["NAME"]``) its
    methods and its module's functions read from a parameter argument named ``p`` must
    be a declared parameter (see :func:`check_parameter_names`), so a misspelt name
    fails at import, not inside every condition.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    distributed: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Check the parameter names a named subclass reads (:func:`check_parameter_names`)."""
        super().__init_subclass__(**kwargs)
        if cls.name:
            check_parameter_names(cls)

    # -- parameters -----------------------------------------------------------------------
    @classmethod
    def all_params(cls) -> list[Param]:
        """List the protocol's own parameters, then the common ones with ``defaults`` applied."""
        own = {p.name for p in cls.params}
        common = []
        for p in COMMON_PARAMS:
            if p.name in own:
                continue
            if p.name in cls.defaults:
                p = Param(**{**p.__dict__, "default": cls.defaults[p.name]})
            common.append(p)
        return list(cls.params) + common

    @classmethod
    def param(cls, name: str) -> Param:
        """Find a parameter by name, alias or flag (without dashes); ProtocolError if unknown."""
        for p in cls.all_params():
            if name == p.name or name in p.aliases or name == p.cli_flag.lstrip("-"):
                return p
        known = ", ".join(p.name for p in cls.all_params())
        raise ProtocolError(f"unknown parameter {name!r} for protocol {cls.name}; known: {known}")

    @classmethod
    def resolve(
        cls, overrides: Mapping[str, Any] | None = None, sweep: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """Merge defaults, overrides and sweeps into (parameters, swept names).

        Values of swept parameters are lists; all others are scalars.
        """
        values: dict[str, Any] = {}
        swept: list[str] = []
        for p in cls.all_params():
            values[p.name] = list(p.default) if p.grid else p.default
            if p.grid:
                swept.append(p.name)
        given: dict[str, str] = {}  # parameter -> how the caller named it
        for source, force_list in ((overrides or {}, False), (sweep or {}, True)):
            what = "a sweep" if force_list else "a value"
            for key, value in source.items():
                p = cls.param(key)
                if p.name in given:
                    raise ProtocolError(
                        f"{cls.name}: parameter {p.name} is given twice ({given[p.name]} "
                        f"and {what} as {key!r}); give it once: one value, or one list to "
                        "sweep"
                    )
                given[p.name] = f"{what} as {key!r}"
                is_list = isinstance(value, list | tuple | np.ndarray)
                if force_list or p.grid or is_list:
                    seq = list(value) if is_list else [value]
                    if not seq:
                        raise ProtocolError(f"{cls.name}: empty list of values for {p.name}")
                    values[p.name] = [p.convert(v, cls.name) for v in seq]
                    _refuse_repeats(cls.name, p.name, values[p.name])
                    if p.name not in swept:
                        swept.append(p.name)
                else:
                    values[p.name] = p.convert(value, cls.name)
        for p in cls.all_params():
            v = values[p.name]
            if isinstance(v, list):
                values[p.name] = [p.convert(x, cls.name) for x in v]
            else:
                values[p.name] = p.convert(v, cls.name)
        order = [p.name for p in cls.all_params() if p.name in swept]
        _check_size(cls, values, order)  # before anything expands the grid
        cls.validate(values)
        return values, order

    @classmethod
    def validate(cls, values: dict[str, Any]) -> None:
        """Check combinations of parameters (a hook); raise ProtocolError on bad ones."""

    @classmethod
    def check_condition(cls, p: Params) -> None:
        """Check one condition's parameters before any condition is simulated (a hook).

        The runner calls this for every condition of a sweep, with its full parameters
        (every parameter as a scalar, and ``condition_id``; not ``condition_seed``),
        before it simulates anything or touches the output file: a configuration that
        would fail in every condition stops the run at once, with one clear message.
        Checks must be quick and need no NEURON objects. Override it to add a protocol's
        own checks and call ``super().check_condition(p)``.

        The base checks what the shared groups name (:mod:`mgneuron.runner.groups`): the
        morphology file exists and validates and the biophysics set is known or its
        JSON file loads (:func:`~mgneuron.runner.groups.check_cell_params`), the
        ``myelinated_axon`` option parses
        (:func:`~mgneuron.runner.groups.check_myelinated_axon`), and ``dt`` (ms) is not
        longer than ``tstop`` (ms).

        Parameters
        ----------
        p : Params
            The condition's parameters.

        Raises
        ------
        ProtocolError
            Naming the parameter and what is wrong with its value.
        """
        from mgneuron.runner.groups import check_cell_params, check_myelinated_axon

        check_cell_params(p)
        check_myelinated_axon(p)
        dt, tstop = p.get("dt"), p.get("tstop")
        if dt is not None and tstop is not None and dt > tstop:
            raise ProtocolError(
                f"parameter dt={dt} ms is longer than tstop={tstop} ms: the run would not "
                "take a single step; lower dt or raise tstop"
            )

    @classmethod
    def conditions(cls, values: dict[str, Any], swept: Sequence[str]) -> list[dict[str, Any]]:
        """Expand the swept parameters into condition dicts (Cartesian product)."""
        grids = [values[name] for name in swept]
        return [dict(zip(swept, combo, strict=True)) for combo in itertools.product(*grids)]

    # -- the work -------------------------------------------------------------------------
    def run_condition(self, p: Params) -> ConditionResult:
        """Build, simulate and measure one condition.

        ``p`` holds every parameter (scalars) as attributes, plus ``condition_id`` and
        ``condition_seed`` (an integer derived from ``seed`` and the condition id).
        """
        raise NotImplementedError

    def summarize(self, features: pd.DataFrame, values: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Derive further tables from all features (written under ``/tables``)."""
        return {}

    def plot(self, path: str | Path, out_dir: str | Path) -> list[Path]:
        """Write this protocol's figure(s) for a results file; return their paths."""
        return []


MAX_CONDITIONS = 100_000  # default of $MGNEURON_MAX_CONDITIONS


def max_conditions() -> int:
    """Give the most conditions one sweep may have: ``$MGNEURON_MAX_CONDITIONS`` or 100000.

    A guard against a mistyped grid (five parameters of 25 values are ~10 million
    conditions, gigabytes of memory before the first one runs); raise it by setting the
    variable.
    """
    raw = os.environ.get("MGNEURON_MAX_CONDITIONS", "")
    if not raw.strip():
        return MAX_CONDITIONS
    try:
        value = int(raw)
    except ValueError:
        raise ProtocolError(
            f"MGNEURON_MAX_CONDITIONS must be a whole number, got {raw!r}"
        ) from None
    if value < 1:
        raise ProtocolError(f"MGNEURON_MAX_CONDITIONS must be >= 1, got {value}")
    return value


def _check_size(cls: type[Protocol], values: Mapping[str, Any], swept: Sequence[str]) -> None:
    """Refuse a sweep of more than :func:`max_conditions` conditions, before expanding it."""
    sizes = {name: len(values[name]) for name in swept}
    n = math.prod(sizes.values())
    limit = max_conditions()
    if n > limit:
        grid = " x ".join(f"{k} {v}" for k, v in sizes.items())
        raise ProtocolError(
            f"{cls.name}: the sweep has {n} conditions ({grid}), more than the limit of "
            f"{limit}; sweep fewer values, or raise the limit with MGNEURON_MAX_CONDITIONS={n}"
        )


def _refuse_repeats(protocol: str, name: str, values: list) -> None:
    """Refuse a swept list that holds a value twice (two identical conditions)."""
    if len(values) < 2:
        return
    try:
        seen = set(values)
    except TypeError:  # pragma: no cover - converted values are numbers, str or bool
        return
    if len(seen) != len(values):
        repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
        raise ProtocolError(
            f"{protocol}: the values of {name} repeat {', '.join(map(str, repeated))}: each "
            "condition would run twice; give each value once"
        )


# -- parameter names, checked at definition ----------------------------------------------

# What a Params object has besides the parameters themselves.
_PARAMS_API = frozenset({"condition_id", "condition_seed", "replace", "as_dict", "get"})
_PARAMS_API |= frozenset({"keys", "items", "values"})


def check_parameter_names(cls: type[Protocol]) -> None:
    """Check every parameter name a protocol reads against its declarations.

    Reads the source of the protocol's module and looks, in the class's methods and in
    the module-level functions the class refers to, at every argument named ``p``: each
    ``p.NAME`` and ``p["NAME"]`` must name a declared parameter (or ``condition_id``,
    ``condition_seed``, or a method of :class:`~mgneuron.runner.params.Params`).
    A protocol whose source cannot be read (defined in an interactive session) is not
    checked here; its misspelt names still fail when read, with the known names.

    Raises
    ------
    UnknownParameterError
        Naming the file, line and name, and the declared parameters.
    """
    try:
        source = inspect.getsource(sys.modules[cls.__module__])
        path = inspect.getsourcefile(cls) or cls.__module__
        first_line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError, KeyError):
        return
    known = {p.name for p in cls.all_params()} | _PARAMS_API
    tree = ast.parse(source)
    classes = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ClassDef)
        and n.name == cls.__name__
        and min([n.lineno] + [d.lineno for d in n.decorator_list]) == first_line
    ]
    if not classes:
        return
    body = classes[0]
    used = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    helpers = [
        n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name in used
    ]
    for fn in [*ast.walk(body), *helpers]:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if "p" not in {a.arg for a in fn.args.args + fn.args.kwonlyargs}:
            continue
        for node in ast.walk(fn):
            name = None
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "p"
            ):
                name = node.attr
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id == "p"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                name = node.slice.value
            if name is not None and name not in known:
                raise UnknownParameterError(
                    f"{Path(path).name}:{node.lineno}: protocol {cls.name} reads parameter "
                    f"{name!r}, which it does not declare; declared: "
                    f"{', '.join(p.name for p in cls.all_params())}"
                )


# -- registry ---------------------------------------------------------------------------


def list_protocols() -> list[str]:
    """Names of the protocols shipped in ``mgneuron.protocols``."""
    import mgneuron.protocols as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def get_protocol(name: str | type[Protocol] | Protocol) -> type[Protocol]:
    """Find a protocol class by name (or return the class given)."""
    if isinstance(name, Protocol):
        return type(name)
    if isinstance(name, type) and issubclass(name, Protocol):
        return name
    module = sys.modules.get(f"mgneuron.protocols.{name}")
    found = _protocol_in(module, name) if module is not None else None
    if found is not None:  # imported already: no directory listing
        return found
    known = list_protocols()
    if name not in known:
        raise ProtocolError(f"unknown protocol {name!r}; known protocols: {', '.join(known)}")
    found = _protocol_in(importlib.import_module(f"mgneuron.protocols.{name}"), name)
    if found is None:
        raise ProtocolError(f"module mgneuron.protocols.{name} defines no Protocol named {name!r}")
    return found


def _protocol_in(module, name: str) -> type[Protocol] | None:
    for obj in vars(module).values():
        if isinstance(obj, type) and issubclass(obj, Protocol) and obj.name == name:
            return obj
    return None
