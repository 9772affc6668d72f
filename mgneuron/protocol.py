"""The protocol runner: conditions -> build -> simulate -> measure -> one HDF5 file.

A protocol is a subclass of :class:`Protocol` in ``protocols/<name>.py`` (installed as
``mgneuron.protocols.<name>``). It declares its parameters as :class:`Param` objects and
implements :meth:`Protocol.run_condition`, which builds a fresh model for one condition,
simulates it and returns a :class:`ConditionResult`. The runner expands the parameter grid
into conditions, runs them (in this process or in worker processes), writes each to the
results file as soon as it is done, records a failing condition with its error and goes on,
and marks the file complete at the end.

Any parameter can be swept (``--sweep mg=0,0.5,1 ca=1,2``); parameters declared with
``grid=True`` take a list of values by default. Conditions are the Cartesian product of
the swept parameters, in declaration order.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import itertools
import json
import math
import os
import pkgutil
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from mgneuron.errors import MgNeuronError, ProtocolError
from mgneuron.results import Report, ResultsWriter, Spikes, partial_path

if TYPE_CHECKING:  # pandas is imported where it is used: worker processes skip it
    import pandas as pd

__all__ = [
    "Param",
    "ConditionResult",
    "Protocol",
    "get_protocol",
    "list_protocols",
    "run_protocol",
    "build_parser",
    "cli_main",
    "COMMON_PARAMS",
    "mg_param",
    "ca_param",
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
    """The swept [Mg]o parameter every protocol shares (``--mg``, alias ``mg``, mM, >= 0)."""
    return Param(
        "mg_mM", tuple(default), "mM", help, float, grid=True, flag="--mg", aliases=("mg",),
        minimum=0.0,
    )  # fmt: skip


def ca_param(default: float | Sequence[float] = 2.0, help: str = "[Ca]o") -> Param:
    """The [Ca]o parameter of every protocol (``--ca``, alias ``ca``, mM, >= 0); swept over
    its default values when ``default`` is a sequence."""
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
        ``run_condition`` spreads one model over MPI ranks (cells round-robin by gid,
        see :mod:`mgneuron.parallel`): under ``--mpi`` every rank runs every condition
        together instead of each rank taking its own conditions.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    distributed: ClassVar[bool] = False

    # -- parameters -----------------------------------------------------------------------
    @classmethod
    def all_params(cls) -> list[Param]:
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
        for source, force_list in ((overrides or {}, False), (sweep or {}, True)):
            for key, value in source.items():
                p = cls.param(key)
                is_list = isinstance(value, list | tuple | np.ndarray)
                if force_list or p.grid or is_list:
                    seq = list(value) if is_list else [value]
                    if not seq:
                        raise ProtocolError(f"{cls.name}: empty list of values for {p.name}")
                    values[p.name] = [p.convert(v, cls.name) for v in seq]
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
        cls.validate(values)
        return values, order

    @classmethod
    def validate(cls, values: dict[str, Any]) -> None:
        """Hook for cross-parameter checks; raise ProtocolError on bad combinations."""

    @classmethod
    def conditions(cls, values: dict[str, Any], swept: Sequence[str]) -> list[dict[str, Any]]:
        """Expand the swept parameters into condition dicts (Cartesian product)."""
        grids = [values[name] for name in swept]
        return [dict(zip(swept, combo, strict=True)) for combo in itertools.product(*grids)]

    # -- the work -------------------------------------------------------------------------
    def run_condition(self, p: dict[str, Any]) -> ConditionResult:
        """Build, simulate and measure one condition.

        ``p`` holds every parameter (scalars), plus ``condition_id`` and
        ``condition_seed`` (an integer derived from ``seed`` and the condition id).
        """
        raise NotImplementedError

    def summarize(self, features: pd.DataFrame, values: dict[str, Any]) -> dict[str, pd.DataFrame]:
        """Derive further tables from all features (written under ``/tables``)."""
        return {}

    def plot(self, path: str | Path, out_dir: str | Path) -> list[Path]:
        """Write this protocol's figure(s) for a results file; return their paths."""
        return []


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


# -- running ----------------------------------------------------------------------------


def condition_seed(seed: int, condition_id: int) -> int:
    """Per-condition seed: the same in serial, worker and MPI runs."""
    return _condition_seed(int(seed), int(condition_id))


@functools.lru_cache(maxsize=1 << 16)
def _condition_seed(seed: int, condition_id: int) -> int:
    ss = np.random.SeedSequence([seed, condition_id])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(values), default=str))


def execute_condition(
    protocol_cls: type[Protocol], params: dict[str, Any], condition_id: int
) -> tuple[int, ConditionResult | None, str | None, float]:
    """Run one condition, catching its error; used in-process and by every backend."""
    from neuron import h

    from mgneuron.mechanisms import require
    from mgneuron.simulation import reset_globals

    require()
    reset_globals()  # every condition starts from a fresh process's NEURON globals
    start = time.perf_counter()
    p = dict(params)
    p["condition_id"] = condition_id
    p["condition_seed"] = condition_seed(p.get("seed", 0), condition_id)
    try:
        result = protocol_cls().run_condition(p)
        error = None
    except Exception as exc:  # noqa: BLE001 - any failure of one condition is recorded
        result = None
        error = f"{type(exc).__name__}: {exc}\n" + "".join(
            traceback.format_exception(exc, limit=-3)
        )
    leftover = sum(1 for _ in h.allsec())
    if leftover:
        # Reference counting frees a dropped model at once; only reference cycles need the
        # (slow, ~0.1 s in a large process) full collection.
        gc.collect()
        leftover = sum(1 for _ in h.allsec())
    if leftover:
        # A protocol kept NEURON objects alive: the next condition would not start clean.
        names = [s.name() for _, s in zip(range(5), h.allsec(), strict=False)]
        raise ProtocolError(
            f"protocol {protocol_cls.name} left {leftover} sections alive after condition "
            f"{condition_id} (e.g. {', '.join(names)}); drop every reference to the model "
            "before returning from run_condition"
        )
    return condition_id, result, error, time.perf_counter() - start


def run_protocol(
    protocol: str | type[Protocol],
    out: str | Path | None = None,
    *,
    sweep: Mapping[str, Any] | None = None,
    workers: int = 1,
    resume: bool = False,
    quiet: bool = True,
    command: str | None = None,
    backend: Callable | None = None,
    **overrides: Any,
) -> Path:
    """Run a protocol over its conditions and write one HDF5 file.

    Parameters
    ----------
    protocol : str or Protocol subclass
        Protocol name (see :func:`list_protocols`) or class.
    out : path, optional
        Output file; default ``results/<protocol>.h5``.
    sweep : dict, optional
        Parameters to sweep: name (or alias) -> list of values.
    workers : int
        Number of local worker processes (1 = run in this process).
    resume : bool
        Continue an interrupted run from its partial file, skipping finished conditions.
    quiet : bool
        No progress bar.
    command : str, optional
        Command line to store in the file.
    backend : callable, optional
        Alternative executor: ``backend(protocol_cls, params, ids) -> iterator of
        execute_condition results`` (used for MPI).
    **overrides
        Parameter values (name or alias -> value or list of values).

    Returns
    -------
    pathlib.Path
        The complete results file.
    """
    from mgneuron.mechanisms import require

    cls = get_protocol(protocol)
    values, swept = cls.resolve(overrides, sweep)
    conds = cls.conditions(values, swept)
    out = Path(out) if out is not None else Path("results") / f"{cls.name}.h5"
    if workers < 1:
        raise ProtocolError(f"workers must be >= 1, got {workers}")
    require()
    stored = {"protocol": cls.name, "values": values, "swept": swept}
    writer = ResultsWriter(
        out,
        cls.name,
        _jsonable(stored),
        seed=values.get("seed", 0),
        command=command if command is not None else shlex.join(sys.argv),
        resume=resume,
    )
    from mgneuron import progress

    # Reports streamed during a run go to temporary files beside the output (a folder
    # every worker process and MPI rank can reach), from which the writer copies them.
    old_stream_dir = os.environ.get("MGNEURON_STREAM_DIR")
    os.environ["MGNEURON_STREAM_DIR"] = str(out.resolve().parent)
    try:
        done = writer.completed_ids()
        todo = [i for i in range(len(conds)) if i not in done]
        scalar = {k: v for k, v in values.items() if k not in swept}
        tasks = {i: {**scalar, **conds[i]} for i in todo}
        bar = progress.condition_bar(len(conds), len(done), cls.name, quiet)
        in_process = backend is None and not (workers > 1 and len(tasks) > 1)
        if backend is not None:
            results = backend(cls, tasks)
        elif not in_process:
            results = _run_workers(cls, tasks, workers)
        else:
            results = (execute_condition(cls, tasks[i], i) for i in todo)
        # Simulated-time bar: only for conditions simulated in this process.
        with progress.simulated_time(in_process and not quiet):
            for cid, result, error, run_s in results:
                writer.write_condition(
                    cid,
                    conds[cid],
                    features=result.features if result else (),
                    reports=result.reports if result else None,
                    spikes=result.spikes if result else None,
                    error=error,
                    run_s=run_s,
                )
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
        if cls.summarize is not Protocol.summarize:  # only then gather all the features
            import pandas as pd

            feats = writer.columns("features")
            if feats and len(feats["condition_id"]):
                # Rows of finished conditions, with the conditions' columns they lack (an
                # inner merge on condition_id), in numpy: a fifth of DataFrame.merge.
                conds_cols = writer.columns("conditions")
                ids = conds_cols["condition_id"]
                keep = np.isin(feats["condition_id"], ids[conds_cols["status"] == "ok"])
                feats = {k: v[keep] for k, v in feats.items()}
                order = np.argsort(ids, kind="stable")
                row = order[np.searchsorted(ids, feats["condition_id"], sorter=order)]
                feats.update({k: v[row] for k, v in conds_cols.items() if k not in feats})
            feats = pd.DataFrame(feats, columns=list(feats))
            for name, table in cls().summarize(feats, values).items():
                writer.write_table(name, table)
        writer.set_attr("n_conditions", len(conds))
        writer.set_attr("n_failed", writer.n_failed)
    except BaseException:
        writer.close()
        raise
    finally:
        if old_stream_dir is None:
            os.environ.pop("MGNEURON_STREAM_DIR", None)
        else:
            os.environ["MGNEURON_STREAM_DIR"] = old_stream_dir
    return writer.finish()


def _run_workers(cls: type[Protocol], tasks: dict[int, dict], workers: int) -> Iterable:
    """Run conditions in local worker processes (see :func:`mgneuron.parallel.run_workers`)."""
    from mgneuron.parallel import run_workers

    return run_workers(cls, tasks, workers)


# -- command line -----------------------------------------------------------------------


def _split_list(text: str) -> list[str]:
    return [x for x in (s.strip() for s in text.split(",")) if x != ""]


def build_parser(cls: type[Protocol], parser: argparse.ArgumentParser | None = None):
    """Build (or extend) an argument parser from a protocol's parameters."""
    if parser is None:
        parser = argparse.ArgumentParser(
            prog=f"{cls.name}.py",
            description=f"{cls.title}\n\n{cls.__doc__ or ''}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    for p in cls.all_params():
        unit = f" ({p.unit})" if p.unit else ""
        if p.grid:
            default = ",".join(map(str, p.default))
            text = f"{p.help}{unit}; comma-separated list [default: {default}]"
        else:
            text = f"{p.help}{unit} [default: {p.default}]"
        # argparse expands %-formats in help texts: keep literal percent signs
        text = text.replace("%", "%%")
        parser.add_argument(p.cli_flag, dest=p.name, default=None, metavar="VALUE", help=text)
    parser.add_argument("--out", default=None, help="output HDF5 file [results/<name>.h5]")
    parser.add_argument(
        "--sweep",
        nargs="+",
        default=None,
        metavar="NAME=V1,V2",
        help="sweep parameters, e.g. --sweep mg=0,0.5,1 ca=1,2,3",
    )
    parser.add_argument("--workers", type=int, default=1, help="local worker processes")
    parser.add_argument("--resume", action="store_true", help="finish an interrupted run")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--plot", action="store_true", help="also write the figure(s)")
    return parser


def args_to_kwargs(cls: type[Protocol], args: argparse.Namespace) -> tuple[dict, dict]:
    """Turn parsed arguments into (overrides, sweep) for :func:`run_protocol`."""
    overrides: dict[str, Any] = {}
    for p in cls.all_params():
        raw = getattr(args, p.name, None)
        if raw is None:
            continue
        overrides[p.name] = _split_list(raw) if p.grid else raw
    sweep: dict[str, Any] = {}
    for item in args.sweep or []:
        if "=" not in item:
            raise ProtocolError(f"--sweep expects NAME=V1,V2,..., got {item!r}")
        key, vals = item.split("=", 1)
        sweep[cls.param(key.strip()).name] = _split_list(vals)
    return overrides, sweep


def cli_main(cls: type[Protocol], argv: Sequence[str] | None = None) -> int:
    """Entry point of a standalone protocol script (``python protocols/<name>.py``)."""
    # Use the class from the installed package, not from __main__, so worker processes
    # can unpickle it.
    try:
        cls = get_protocol(cls.name)
    except ProtocolError:
        pass
    from mgneuron import parallel

    parser = build_parser(cls)
    parallel.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        overrides, sweep = args_to_kwargs(cls, args)
        path = parallel.run_from_args(cls, args, overrides, sweep)
    except MgNeuronError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if path is None:  # an MPI rank other than 0: rank 0 reports
        return 0
    print(f"wrote {path}")
    if args.plot:
        for fig in cls().plot(path, Path(path).parent):
            print(f"wrote {fig}")
    return 0


def partial_exists(out: str | Path) -> bool:
    """Whether an interrupted run left a partial file for ``out``."""
    return partial_path(out).exists()
