"""The ``mgneuron`` command and every protocol's command line.

``mgneuron compile | run | sweep | info | plot | morph | report | protocols | fit-block |
dose-response | sensitivity | export-nwb``; a protocol script's ``main`` is
:func:`protocol_main`, the same path as ``mgneuron run NAME``.

Errors never end in a Python traceback: the package's own errors and file errors print
``mgneuron: error: MESSAGE`` and exit 2 (a configuration error: a parameter, a value, a
morphology, a location) or 1 (a run error: mechanisms, results files, files); anything
else prints a one-line summary and how to see the traceback (``--debug`` or
``MGNEURON_DEBUG=1``). Ctrl-C prints how many conditions were saved and the command that
resumes the run, and exits 130.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mgneuron.errors import MgNeuronError, ProtocolError, ResultsError
from mgneuron.results import partial_path, read_attrs, read_conditions
from mgneuron.runner import Protocol, get_protocol, list_protocols, run

__all__ = ["main", "protocol_main", "build_parser", "args_to_kwargs", "exit_code"]

# Exit status of an interrupted command (128 + SIGINT), as a shell reports it.
EXIT_INTERRUPTED = 130
DEBUG_HINT = "run with --debug (or MGNEURON_DEBUG=1) for the traceback"


def _cmd_compile(args) -> int:
    from mgneuron.mechanisms import build

    lib = build(extra_dirs=args.extra, coreneuron=args.coreneuron, quiet=not args.verbose)
    state = "compiled" if lib.compiled else "already in the cache"
    print(f"mechanisms {lib.key} {state}: {lib.library}")
    return 0


def _cmd_protocols(args) -> int:
    for name in list_protocols():
        print(f"{name:20s} {get_protocol(name).title}")
    return 0


def _sweep_to_run(argv: Sequence[str]) -> list[str]:
    """``sweep PROTOCOL a=1,2 b=3,4 [options]`` -> ``run PROTOCOL [options] --sweep a=1,2 b=3,4``.

    The NAME=VALUES tokens right after the protocol name are the grid; everything from
    the first option on is passed to ``run`` unchanged.
    """
    argv = list(argv)
    if not argv or argv[0].startswith("-"):
        return argv
    grid = []
    k = 1
    while k < len(argv) and not argv[k].startswith("-"):
        if "=" not in argv[k]:
            raise SystemExit(
                f"mgneuron sweep: expected NAME=V1,V2 after the protocol name, got {argv[k]!r}"
            )
        grid.append(argv[k])
        k += 1
    rest = argv[k:]
    return [argv[0], *rest, *(["--sweep", *grid] if grid else [])]


def protocol_main(cls: type[Protocol] | str, argv: Sequence[str] | None = None) -> int:
    """Run a protocol from its command line: ``python protocols/<name>.py [options]``.

    The same path as ``mgneuron run NAME [options]``: build the parser from the
    protocol's parameters, run the sweep, print where the file went (and the figures
    with ``--plot``).

    Parameters
    ----------
    cls : Protocol subclass or str
        The protocol (a script passes its own class).
    argv : sequence of str, optional
        The options (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a configuration error, 1 on a run error
        (:func:`exit_code`; printed without a traceback), 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    script = sys.argv[0] if sys.argv and sys.argv[0].endswith(".py") else None
    command = ["python", script] if script else ["mgneuron", "run", getattr(cls, "name", cls)]
    return _guarded(lambda args: _protocol_main(cls, args), argv, command)


def _protocol_main(cls: type[Protocol] | str, argv: list[str]) -> int:
    """:func:`protocol_main` without the error handling (errors propagate)."""
    try:
        # The class from the installed package, not from __main__, so worker processes
        # can unpickle it.
        cls = get_protocol(cls.name if isinstance(cls, type) else cls)
    except MgNeuronError:
        if isinstance(cls, str):
            raise
    prog = f"{cls.name}.py" if sys.argv and sys.argv[0].endswith(".py") else None
    parser = build_parser(
        cls,
        argparse.ArgumentParser(
            prog=prog or f"mgneuron run {cls.name}",
            description=f"{cls.title}\n\n{cls.__doc__ or ''}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        ),
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    overrides, sweep = args_to_kwargs(cls, args)
    try:
        path = run_from_args(cls, args, overrides, sweep)
    except KeyboardInterrupt as exc:
        out = Path(args.out) if args.out else Path("results") / f"{cls.name}.h5"
        raise _Interrupted(out, _n_conditions(cls, overrides, sweep)) from exc
    if path is None:  # an MPI rank other than 0: rank 0 reports
        return 0
    print(f"wrote {path}")
    if args.plot:
        for fig in cls().plot(path, Path(path).parent):
            print(f"wrote {fig}")
    return 0


def _cmd_run(argv: Sequence[str]) -> int:
    """``mgneuron run NAME ...``: the protocol's own options follow its name."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: mgneuron run PROTOCOL [options]   (mgneuron run PROTOCOL --help)")
        print("protocols: " + ", ".join(list_protocols()))
        return 0 if argv else 2
    return _protocol_main(argv[0], argv[1:])


# -- a protocol's command line ----------------------------------------------------------


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
    # A value that starts with a negative number is a value, lists too: --delta-t-ms -10,10
    # (argparse's own pattern accepts a single number only; no flag starts with a digit).
    parser._negative_number_matcher = re.compile(r"^-\.?\d[\d.,eE+-]*$")
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
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing results file, and discard an unfinished run's "
        "FILE.partial (unless --resume)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="also write the figure(s), beside the output and named after it "
        "(results/x.h5 -> results/x.png)",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    return parser


def args_to_kwargs(cls: type[Protocol], args: argparse.Namespace) -> tuple[dict, dict]:
    """Turn parsed arguments into (overrides, sweep) for :func:`mgneuron.runner.run`."""
    overrides: dict[str, Any] = {}
    for p in cls.all_params():
        raw = getattr(args, p.name, None)
        if raw is None:
            continue
        overrides[p.name] = _split_list(raw) if p.grid else raw
    sweep: dict[str, Any] = {}
    named: dict[str, str] = {}  # parameter -> the --sweep item that named it
    for item in args.sweep or []:
        if "=" not in item:
            raise ProtocolError(f"--sweep expects NAME=V1,V2,..., got {item!r}")
        key, vals = item.split("=", 1)
        name = cls.param(key.strip()).name
        if name in named:
            raise ProtocolError(
                f"--sweep names {name} twice ({named[name]!r} and {item!r}); give its values once"
            )
        named[name] = item
        sweep[name] = _split_list(vals)
    return overrides, sweep


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mpi`` and ``--coreneuron`` to a protocol's parser.

    ``--workers``, ``--resume``, ``--quiet`` and ``--sweep`` come with every protocol.
    """
    parser.add_argument(
        "--mpi",
        action="store_true",
        help="run under MPI through NEURON's ParallelContext: "
        "mpiexec -n N mgneuron run PROTOCOL --mpi (needs the mpi extra)",
    )
    parser.add_argument(
        "--coreneuron",
        action="store_true",
        help="simulate with CoreNEURON (builds the CoreNEURON mechanisms on first use)",
    )


def run_from_args(cls, args: argparse.Namespace, overrides: dict, sweep: dict) -> Path | None:
    """Run a protocol from parsed command-line arguments (``mgneuron run`` and scripts).

    Returns the output path on rank 0 (or without MPI) and None on other MPI ranks.
    """
    path = run(
        cls,
        args.out,
        sweep=sweep,
        workers=getattr(args, "workers", 1),
        mpi=getattr(args, "mpi", False),
        coreneuron=getattr(args, "coreneuron", False),
        resume=getattr(args, "resume", False),
        overwrite=getattr(args, "overwrite", False),
        quiet=getattr(args, "quiet", False),
        **overrides,
    )
    if path is not None:
        _report_failures(path)
    return path


def _report_failures(path: Path) -> None:
    """Say how many conditions of a finished run failed, with the first error.

    Raises
    ------
    ResultsError
        Every condition failed (the file's status is ``"failed"``): the command exits 1.
    """
    attrs = read_attrs(path)
    n_failed, n = int(attrs.get("n_failed", 0)), int(attrs.get("n_conditions", 0))
    if not n_failed:
        return
    conds = read_conditions(path)
    errors = conds.loc[conds["status"] != "ok", ["condition_id", "error"]]
    cid, text = errors.iloc[0] if len(errors) else (None, "")
    lines = str(text).strip().splitlines()
    first = f"condition {cid}: {lines[0]}" if lines else "no error text stored"
    where = f"the errors are in {path} (mgneuron info {path})"
    if attrs.get("status") == "failed":
        raise ResultsError(f"every condition failed ({n} of {n}): first error {first}; {where}")
    print(
        f"mgneuron: warning: {n_failed} of {n} conditions failed: first error {first}; {where}",
        file=sys.stderr,
    )


def _cmd_info(args) -> int:
    import pandas as pd

    from mgneuron.results import read_conditions, read_features

    attrs = read_attrs(args.file, allow_partial=True)
    for k in sorted(attrs):
        print(f"{k:18s} {attrs[k]}")
    allow = attrs.get("status") != "complete"
    conds = read_conditions(args.file, allow_partial=allow)
    if conds.empty:  # an unfinished run that has not finished a condition yet
        print(f"\nconditions: none finished yet (status {attrs.get('status')!r})")
        return 0
    feats = read_features(args.file, allow_partial=allow)
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        print(f"\nconditions: {len(conds)} ({int((conds['status'] != 'ok').sum())} failed)")
        print(conds.head(20).to_string(index=False))
        print(f"\nfeatures: {len(feats)} rows")
        print(feats.head(20).to_string(index=False))
    return 0


def _cmd_plot(args) -> int:
    protocol = read_attrs(args.file)["protocol"]
    out_dir = Path(args.out) if args.out else Path(args.file).parent
    figs = get_protocol(protocol)().plot(args.file, out_dir)
    for fig in figs:
        print(f"wrote {fig}")
    return 0 if figs else 1


def _cmd_morph(args) -> int:
    from mgneuron.plots.morphology import morph_command

    print(morph_command(args.file, args.png))
    return 0


def _cmd_report(argv: Sequence[str]) -> int:
    from mgneuron.report import main as report_main

    return report_main(argv)


def _cmd_fit_block(args) -> int:
    from mgneuron.plots.fit import fit_block_command

    for line in fit_block_command(
        args.data, args.out, args.models, args.celsius, args.plot, args.n_boot, args.seed,
        args.e_rev,
    ):  # fmt: skip
        print(line)
    return 0


def _cmd_dose_response(args) -> int:
    import pandas as pd

    from mgneuron.plots.fit import dose_response_command

    table, png = dose_response_command(
        args.file, args.feature, args.x, args.by, args.plot, args.n_boot, args.seed
    )
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        print(table.to_string(index=False))
    print(f"wrote table /tables/dose_response_{args.feature} in {args.file}")
    print(f"wrote {png}")
    return 0


def _key_values(items: Sequence[str] | None, option: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; ProtocolError naming the option."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ProtocolError(f"{option} expects NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _cmd_sensitivity(args) -> int:
    import pandas as pd

    from mgneuron.runner.sensitivity import run_sensitivity

    where = {k: float(v) for k, v in _key_values(args.where, "--where").items()}
    path = run_sensitivity(
        args.protocol,
        args.out,
        vary=args.vary,
        method=args.method,
        samples=args.samples,
        seed=args.seed,
        second_order=not args.no_second_order,
        num_levels=args.num_levels,
        features=args.feature,
        where=where,
        workers=args.workers,
        mpi=args.mpi,
        resume=args.resume,
        overwrite=args.overwrite,
        quiet=args.quiet,
        command=shlex.join(["mgneuron", *sys.argv[1:]]),
        **_key_values(args.set, "--set"),
    )
    if path is None:  # an MPI rank other than 0
        return 0
    _report_failures(path)
    from mgneuron.plots.sensitivity import plot_sensitivity
    from mgneuron.results import read_table

    table = read_table(path, "sensitivity")
    main_rows = table[table["index"].isin(["S1", "ST", "mu_star"])]
    cols = ["feature", "parameter", "index", "value", "ci95", "n_used", "n_dropped"]
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(main_rows[[c for c in cols if c in main_rows]].to_string(index=False))
    print(f"wrote tables /tables/sensitivity and /tables/sensitivity_design in {path}")
    if args.plot:
        print(f"wrote {plot_sensitivity(path)}")
    return 0


def _cmd_export_nwb(args) -> int:
    from mgneuron.results.nwb import export_nwb, nwb_errors

    out = export_nwb(args.results, args.out, overwrite=args.overwrite)
    errors = nwb_errors(out)
    if errors:
        raise ResultsError(f"{out} fails NWB validation: {errors[0]} ({len(errors)} errors)")
    print(f"wrote {out} (NWB schema-valid)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mgneuron`` console script.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a configuration error, 1 on a run error
        (:func:`exit_code`; printed without a traceback), 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    return _guarded(_main, argv, ["mgneuron"])


def _main(argv: list[str]) -> int:
    """:func:`main` without the error handling (errors propagate)."""
    if argv and argv[0] == "run":
        return _cmd_run(argv[1:])
    if argv and argv[0] == "sweep":
        return _cmd_run(_sweep_to_run(argv[1:]))
    if argv and argv[0] == "report":
        return _cmd_report(argv[1:])
    parser = argparse.ArgumentParser(
        prog="mgneuron",
        description="NEURON models of extracellular magnesium: compile mechanisms, run "
        "protocols, inspect and plot results. `mgneuron run PROTOCOL --help` lists a "
        "protocol's options; `mgneuron report --help` the scenario report.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compile", help="compile the NMODL mechanisms into the cache")
    p.add_argument("--coreneuron", action="store_true", help="also build for CoreNEURON")
    p.add_argument("--extra", nargs="*", default=None, help="directories of your own .mod files")
    p.add_argument("--verbose", action="store_true", help="show nrnivmodl output")
    p.set_defaults(fn=_cmd_compile)
    sub.add_parser("run", help="run a protocol (mgneuron run PROTOCOL --help)")
    sub.add_parser(
        "sweep", help="run a protocol over a grid: mgneuron sweep PROTOCOL mg=0,1 ca=1,2 [options]"
    )
    sub.add_parser("report", help="scenario report over every protocol")
    p = sub.add_parser("protocols", help="list the protocols")
    p.set_defaults(fn=_cmd_protocols)
    p = sub.add_parser("info", help="summarise a results file")
    p.add_argument("file")
    p.set_defaults(fn=_cmd_info)
    p = sub.add_parser(
        "plot", help="write the figure(s) of a results file: FILE.h5 -> FILE.png (FILE_NAME.png)"
    )
    p.add_argument("file")
    p.add_argument("--out", default=None, help="output directory [beside the file]")
    p.set_defaults(fn=_cmd_plot)
    p = sub.add_parser("morph", help="summarise a morphology and draw it")
    p.add_argument("file")
    p.add_argument("--png", default=None, help="output PNG [FILE stem + .png]")
    p.set_defaults(fn=_cmd_morph)
    p = sub.add_parser(
        "fit-block",
        help="fit Mg-block models to a CSV (v_mV, mg_mM, B or i_nA[, sem]) -> JSON",
    )
    p.add_argument("data", help="CSV with v_mV, mg_mM and B or i_nA; optional sem")
    p.add_argument("--out", required=True, help="output JSON (what --block-params reads)")
    p.add_argument("--models", default="0,1,2,3,4", help="block models to fit [0,1,2,3,4]")
    p.add_argument("--celsius", type=float, default=35.0, help="temperature (degC) [35]")
    p.add_argument("--plot", default=None, metavar="FIG.png", help="also draw the fits")
    p.add_argument("--e-rev", type=float, default=None, help="reversal (mV) of i_nA data")
    p.add_argument("--n-boot", type=int, default=500, help="bootstrap replicates [500]")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed [0]")
    p.set_defaults(fn=_cmd_fit_block)
    p = sub.add_parser(
        "dose-response",
        help="Hill fit of a feature vs [Mg]o with bootstrap CIs -> /tables/dose_response_F",
    )
    p.add_argument("file", help="results file (HDF5)")
    p.add_argument("feature", help="feature column to fit")
    p.add_argument("--x", default="mg_mM", help="concentration column [mg_mM]")
    p.add_argument("--by", default=None, help="fit separately per value of this column")
    p.add_argument("--plot", default=None, metavar="FIG.png", help="figure [beside the file]")
    p.add_argument("--n-boot", type=int, default=500, help="bootstrap replicates [500]")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed [0]")
    p.set_defaults(fn=_cmd_dose_response)
    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity (Sobol or Morris, SALib) of a protocol's features, run as "
        "a sweep -> /tables/sensitivity",
    )
    p.add_argument("protocol", help="protocol name")
    p.add_argument(
        "--vary", nargs="+", required=True, metavar="NAME=LOW:HIGH",
        help="varied parameters and their ranges, e.g. --vary mg=0.1:2.5 ca=1:3",
    )  # fmt: skip
    p.add_argument("--method", choices=("sobol", "morris"), default="sobol", help="[sobol]")
    p.add_argument(
        "--samples", type=int, default=64,
        help="Sobol base points (a power of 2; N(2D+2) runs) or Morris trajectories "
        "(N(D+1) runs) [64]",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="seed of the design and bootstrap [0]")
    p.add_argument("--set", nargs="+", metavar="NAME=VALUE", help="fixed parameter values")
    p.add_argument("--feature", nargs="+", default=None, help="features [every numeric one]")
    p.add_argument(
        "--where", nargs="+", metavar="COLUMN=VALUE",
        help="keep one feature row per condition, e.g. --where v_mV=-60",
    )  # fmt: skip
    p.add_argument("--no-second-order", action="store_true", help="Sobol: no S2 (N(D+2) runs)")
    p.add_argument("--num-levels", type=int, default=4, help="Morris grid levels [4]")
    p.add_argument("--out", default=None, help="results file [results/PROTOCOL_sensitivity.h5]")
    p.add_argument("--workers", type=int, default=1, help="local worker processes")
    p.add_argument("--mpi", action="store_true", help="run under MPI (mpiexec -n N ...)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted run")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--plot", action="store_true", help="also draw FILE_sensitivity.png")
    p.set_defaults(fn=_cmd_sensitivity)
    p = sub.add_parser("export-nwb", help="export a results file to NWB (pynwb): traces, "
                       "spikes, conditions, provenance")  # fmt: skip
    p.add_argument("results", help="results file (HDF5), any protocol")
    p.add_argument("out", help="NWB file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing NWB file")
    p.set_defaults(fn=_cmd_export_nwb)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    args = parser.parse_args(argv)
    return args.fn(args)


# -- errors and Ctrl-C --------------------------------------------------------------------


class _Interrupted(Exception):
    """A run stopped by Ctrl-C: where its partial file is and how many conditions it has.

    Parameters
    ----------
    out : pathlib.Path
        The results file the run was writing.
    total : int or None
        Number of conditions of the run (None when it could not be worked out).
    """

    def __init__(self, out: Path, total: int | None) -> None:
        super().__init__(f"interrupted while writing {out}")
        self.out = out
        self.total = total


def _n_conditions(cls: type[Protocol], overrides: dict, sweep: dict) -> int | None:
    """Count the conditions of a run (None if its parameters do not resolve)."""
    try:
        values, swept = cls.resolve(overrides, sweep)
        return len(cls.conditions(values, swept))
    except Exception:  # noqa: BLE001 - only for a message
        return None


def exit_code(exc: BaseException) -> int:
    """Exit status of the command line for an error.

    2 for a configuration error (a parameter, a value, a bath, a morphology, a location,
    a biophysics or axon spec: mgneuron's errors that are also ``ValueError``s, as
    argparse's usage errors), 1 for a run error (mechanisms, results files, files and
    anything unexpected), 130 for Ctrl-C.
    """
    if isinstance(exc, KeyboardInterrupt | _Interrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, MgNeuronError) and isinstance(exc, ValueError):
        return 2
    return 1


def _debug_requested(argv: list[str]) -> bool:
    """``--debug`` among the arguments, or ``MGNEURON_DEBUG`` set to anything but 0."""
    return "--debug" in argv or os.environ.get("MGNEURON_DEBUG", "0") not in ("", "0")


def _report_interrupt(exc: BaseException, argv: list[str], command: list[str]) -> None:
    """Say what an interrupted run saved and the command that finishes it."""
    print("\nmgneuron: interrupted (Ctrl-C)", file=sys.stderr)
    if not isinstance(exc, _Interrupted):
        return
    partial = partial_path(exc.out)
    if not partial.exists():
        if exc.out.exists():  # interrupted once the file was complete (while plotting)
            print(f"mgneuron: the results file {exc.out} is complete", file=sys.stderr)
        else:
            print(f"mgneuron: no condition was saved (no {partial})", file=sys.stderr)
        return
    try:
        saved = str(len(read_conditions(partial, allow_partial=True)))
    except (MgNeuronError, OSError, KeyError, ValueError):  # only for the message
        saved = "the finished"
    of = f" of {exc.total}" if exc.total is not None else ""
    resume = [*command, *argv, *([] if "--resume" in argv else ["--resume"])]
    print(
        f"mgneuron: {saved}{of} conditions saved in {partial}; to finish the run:\n"
        f"  {shlex.join(resume)}",
        file=sys.stderr,
    )


def _guarded(fn: Callable[[list[str]], int], argv: list[str], command: list[str]) -> int:
    """Run a command line's body; turn its errors and Ctrl-C into messages and exit codes.

    Parameters
    ----------
    fn : callable
        The body: takes the arguments, returns the exit status.
    argv : list of str
        The arguments.
    command : list of str
        The words before the arguments (``mgneuron``, ``python protocols/x.py``): with
        the arguments and ``--resume`` they make the command that resumes a run.
    """
    debug = _debug_requested(argv)
    try:
        # --debug is taken anywhere (mgneuron --debug run ..., a protocol's options)
        return fn([a for a in argv if a != "--debug"])
    except (KeyboardInterrupt, _Interrupted) as exc:
        if debug:
            traceback.print_exc()
        _report_interrupt(exc, argv, command)
        return EXIT_INTERRUPTED
    except (MgNeuronError, OSError) as exc:
        if debug:
            traceback.print_exc()
        print(f"mgneuron: error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except Exception as exc:  # noqa: BLE001 - the command line never ends in a traceback
        if debug:
            traceback.print_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
        print(f"mgneuron: internal error: {type(exc).__name__}: {exc}{at}", file=sys.stderr)
        if not debug:
            print(f"mgneuron: {DEBUG_HINT}", file=sys.stderr)
        return exit_code(exc)


if __name__ == "__main__":
    raise SystemExit(main())
