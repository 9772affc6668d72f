"""The ``mgneuron`` command and every protocol's command line.

``mgneuron compile | run | sweep | info | plot | morph | report | protocols``; a protocol
script's ``main`` is :func:`protocol_main`, the same path as ``mgneuron run NAME``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mgneuron.errors import MgNeuronError, ProtocolError
from mgneuron.results import read_attrs
from mgneuron.runner import Protocol, get_protocol, list_protocols, run

__all__ = ["main", "protocol_main", "build_parser", "args_to_kwargs"]


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
        The exit status: 0 on success, 2 on an error (printed without a traceback).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        # The class from the installed package, not from __main__, so worker processes
        # can unpickle it.
        cls = get_protocol(cls.name if isinstance(cls, type) else cls)
    except MgNeuronError as exc:
        if isinstance(cls, str):
            print(f"error: {exc}", file=sys.stderr)
            return 2
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
    try:
        overrides, sweep = args_to_kwargs(cls, args)
        path = run_from_args(cls, args, overrides, sweep)
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


def _cmd_run(argv: Sequence[str]) -> int:
    """``mgneuron run NAME ...``: the protocol's own options follow its name."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: mgneuron run PROTOCOL [options]   (mgneuron run PROTOCOL --help)")
        print("protocols: " + ", ".join(list_protocols()))
        return 0 if argv else 2
    return protocol_main(argv[0], argv[1:])


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
    """Turn parsed arguments into (overrides, sweep) for :func:`mgneuron.runner.run`."""
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
        workers=getattr(args, "workers", 1) or 1,
        mpi=getattr(args, "mpi", False),
        coreneuron=getattr(args, "coreneuron", False),
        resume=getattr(args, "resume", False),
        quiet=getattr(args, "quiet", False),
        **overrides,
    )
    if path is not None:
        attrs = read_attrs(path)
        n_failed, n = int(attrs.get("n_failed", 0)), int(attrs.get("n_conditions", 0))
        if n_failed:
            print(
                f"warning: {n_failed} of {n} conditions failed; their errors are in the "
                f"conditions table (mgneuron info {path})",
                file=sys.stderr,
            )
    return path


def _cmd_info(args) -> int:
    import pandas as pd

    from mgneuron.results import read_conditions, read_features

    attrs = read_attrs(args.file, allow_partial=True)
    for k in sorted(attrs):
        print(f"{k:18s} {attrs[k]}")
    allow = attrs.get("status") != "complete"
    conds = read_conditions(args.file, allow_partial=allow)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mgneuron`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
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
    p = sub.add_parser("plot", help="write the figure(s) of a results file")
    p.add_argument("file")
    p.add_argument("--out", default=None, help="output directory [beside the file]")
    p.set_defaults(fn=_cmd_plot)
    p = sub.add_parser("morph", help="summarise a morphology and draw it")
    p.add_argument("file")
    p.add_argument("--png", default=None, help="output PNG [FILE stem + .png]")
    p.set_defaults(fn=_cmd_morph)
    args = parser.parse_args(argv)
    try:
        return args.fn(args)
    except MgNeuronError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
