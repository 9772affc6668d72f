"""Protocol parameters: declarations (:class:`Param`), typed values, shared groups.

A protocol declares its parameters once, as :class:`Param` objects; from them come the
command-line options, the checks of every value, the sweep grid and the typed object a
condition reads (:class:`Params`: ``p.mg_mM``, not ``p["mg_mM"]``). A misspelt name in a
protocol fails when the protocol class is defined (see
:meth:`mgneuron.runner.Protocol.__init_subclass__`), not inside every condition.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mgneuron.errors import ProtocolError, UnknownParameterError
from mgneuron.screening import SCREENING_CHOICES

__all__ = [
    "Param",
    "Params",
    "COMMON_PARAMS",
    "mg_param",
    "ca_param",
    "celsius_param",
    "record_every_param",
]


@dataclass(frozen=True)
class Param:
    """One protocol parameter.

    Parameters
    ----------
    name : str
        Name with its unit suffix (``mg_mM``, ``tstop_ms`` is spelled ``tstop``...).
    default : Any
        Default value; for ``grid=True`` a sequence of values.
    unit : str
        Unit, shown in ``--help``.
    help : str
        One line of help.
    kind : type
        float, int, str or bool; values are converted to it.
    grid : bool
        Swept by default (the default is a list of values, each a condition).
    flag : str, optional
        Command-line flag; default ``--`` + name with dashes.
    aliases : tuple of str
        Other names accepted by ``--sweep`` and the Python API (``mg`` for ``mg_mM``).
    choices : tuple, optional
        Allowed values.
    minimum : float, optional
        Smallest allowed value (inclusive) for numbers.
    """

    name: str
    default: Any
    unit: str = ""
    help: str = ""
    kind: type = float
    grid: bool = False
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    choices: tuple | None = None
    minimum: float | None = None

    @property
    def cli_flag(self) -> str:
        """Command-line flag: ``flag``, or ``--`` + the name with dashes."""
        return self.flag or "--" + self.name.replace("_", "-")

    def convert(self, value: Any, protocol: str) -> Any:
        """Convert and validate one value (not a list)."""
        try:
            if self.kind is bool and isinstance(value, str):
                low = value.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                out = low in ("1", "true", "yes", "on")
            elif self.kind is int and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            else:
                out = self.kind(value)
        except (TypeError, ValueError):
            raise ProtocolError(
                f"{protocol}: parameter {self.name} must be {self.kind.__name__}"
                f"{' (' + self.unit + ')' if self.unit else ''}, got {value!r}"
            ) from None
        if self.kind in (int, float):
            if not math.isfinite(out):
                raise ProtocolError(f"{protocol}: parameter {self.name} must be finite, got {out}")
            if self.minimum is not None and out < self.minimum:
                raise ProtocolError(
                    f"{protocol}: parameter {self.name} must be >= {self.minimum} "
                    f"{self.unit}, got {out}"
                )
        if self.choices is not None and out not in self.choices:
            raise ProtocolError(
                f"{protocol}: parameter {self.name} must be one of "
                f"{', '.join(map(str, self.choices))}; got {out!r}"
            )
        return out


def mg_param(default: Sequence[float], help: str = "[Mg]o") -> Param:
    """Declare the swept [Mg]o parameter of every protocol (``--mg``, alias ``mg``, mM, >= 0)."""
    return Param(
        "mg_mM", tuple(default), "mM", help, float, grid=True, flag="--mg", aliases=("mg",),
        minimum=0.0,
    )  # fmt: skip


def ca_param(default: float | Sequence[float] = 2.0, help: str = "[Ca]o") -> Param:
    """Declare the [Ca]o parameter of every protocol (``--ca``, alias ``ca``, mM, >= 0).

    Swept over its default values when ``default`` is a sequence.
    """
    grid = not isinstance(default, int | float)
    return Param(
        "ca_mM", tuple(default) if grid else float(default), "mM", help, float, grid=grid,
        flag="--ca", aliases=("ca",), minimum=0.0,
    )  # fmt: skip


COMMON_PARAMS: tuple[Param, ...] = (
    Param("seed", 1, "", "base random seed (each condition derives its own)", int, minimum=0),
    Param("dt", 0.025, "ms", "integration time step", float, minimum=1e-6),
    Param("tstop", 100.0, "ms", "simulated time per condition", float, minimum=1e-6),
)


def celsius_param(default: float = 34.0, help: str = "temperature") -> Param:
    """Declare the run's temperature (``--celsius``, degC): the engine's one source of celsius."""
    return Param("celsius", float(default), "degC", help, float)


def screening_param() -> Param:
    """Declare the run's screening set-up (``--screening``, default ``current``).

    One of :data:`mgneuron.screening.SCREENING_CHOICES`, turned into parameter changes by
    :func:`mgneuron.screening.screening_changes`.
    """
    return Param("screening", "current", "",
                 "screening for the run: current (as configured), gcg, gcg_binding (McLaughlin "
                 "binding, Ca2+ 1.45x Mg2+), empirical, off", str,
                 choices=SCREENING_CHOICES)  # fmt: skip


def record_every_param(default: float = 0.1, help: str = "sampling interval of stored traces"):
    """Declare the sampling interval of stored traces (``--record-every``, ms, >= 0)."""
    return Param("record_every", float(default), "ms", help, float, minimum=0.0)


class Params(Mapping):
    """The parameters of one condition, read as attributes: ``p.mg_mM``, ``p.tstop``.

    Built by the runner from a protocol's :class:`Param` declarations, plus
    ``condition_id`` and ``condition_seed``. Reading a name that is not declared raises
    :class:`~mgneuron.errors.UnknownParameterError` (a ProtocolError and an
    AttributeError) naming the known ones; values cannot be
    changed (a condition works on its own copy: ``p.replace(tstop=10)``). It is also a
    read-only mapping, for code that takes parameters by name (``p.get("dt")``).

    Parameters
    ----------
    values : mapping
        Name -> value (scalars).
    protocol : str
        Protocol name, for error messages.
    """

    __slots__ = ("_values", "_protocol")

    def __init__(self, values: Mapping[str, Any], protocol: str = "") -> None:
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_protocol", protocol)

    def __getattr__(self, name: str) -> Any:
        """Return the value of parameter ``name``; UnknownParameterError if undeclared."""
        try:
            return self._values[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            known = ", ".join(sorted(self._values))
            raise UnknownParameterError(
                f"{self._protocol or 'protocol'}: no parameter {name!r}; known: {known}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse to set anything: parameters are read-only (ProtocolError)."""
        raise ProtocolError(f"parameters are read-only (use p.replace({name}=...))")

    def __getitem__(self, name: str) -> Any:
        """Return the value of parameter ``name``; KeyError if undeclared.

        A KeyError (not UnknownParameterError) keeps the Mapping contract, so
        ``p.get(name, default)`` and ``name in p`` work; protocols read ``p.name``.
        """
        try:
            return self._values[name]
        except KeyError:
            raise KeyError(f"{self._protocol or 'protocol'}: no parameter {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        """Iterate over the parameter names."""
        return iter(self._values)

    def __len__(self) -> int:
        """Return the number of parameters."""
        return len(self._values)

    def __repr__(self) -> str:
        """Return ``Params({...})`` with every value."""
        return f"Params({self._values!r})"

    def __reduce__(self):
        """Pickle as the values and the protocol name."""
        return (Params, (self._values, self._protocol))

    def replace(self, **changes: Any) -> Params:
        """Return a copy with some values changed (names must exist)."""
        for name in changes:
            self.__getattr__(name)
        return Params({**self._values, **changes}, self._protocol)

    def as_dict(self) -> dict[str, Any]:
        """Return a plain dict of every value."""
        return dict(self._values)
