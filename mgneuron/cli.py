"""The ``mgneuron`` command: compile | run | sweep | info | plot | morph | report | protocols."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _cmd_compile(args) -> int:
    from mgneuron.mechanisms import build

    lib = build(extra_dirs=args.extra, coreneuron=args.coreneuron, quiet=not args.verbose)
    state = "compiled" if lib.compiled else "already in the cache"
    print(f"mechanisms {lib.key} {state}: {lib.library}")
    return 0


def _cmd_protocols(args) -> int:
    from mgneuron.protocol import get_protocol, list_protocols

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


def _cmd_run(argv: Sequence[str]) -> int:
    """``mgneuron run NAME ...``: the protocol's own options follow its name."""
    from mgneuron.errors import MgNeuronError
    from mgneuron.protocol import args_to_kwargs, build_parser, get_protocol, list_protocols

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: mgneuron run PROTOCOL [options]   (mgneuron run PROTOCOL --help)")
        print("protocols: " + ", ".join(list_protocols()))
        return 0 if argv else 2
    try:
        cls = get_protocol(argv[0])
    except MgNeuronError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = build_parser(
        cls, argparse.ArgumentParser(prog=f"mgneuron run {cls.name}", description=cls.title)
    )
    _add_run_extras(parser)
    args = parser.parse_args(argv[1:])
    try:
        overrides, sweep = args_to_kwargs(cls, args)
        path = _dispatch_run(cls, args, overrides, sweep)
    except MgNeuronError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if path is None:  # an MPI worker rank: rank 0 reports
        return 0
    print(f"wrote {path}")
    if args.plot:
        for fig in cls().plot(path, Path(path).parent):
            print(f"wrote {fig}")
    return 0


def _add_run_extras(parser: argparse.ArgumentParser) -> None:
    """Options handled by the parallel module when it is present (MPI, CoreNEURON)."""
    try:
        from mgneuron import parallel
    except ImportError:
        return
    parallel.add_arguments(parser)


def _dispatch_run(cls, args, overrides, sweep):
    from mgneuron.protocol import run_protocol

    try:
        from mgneuron import parallel
    except ImportError:
        parallel = None
    if parallel is not None:
        return parallel.run_from_args(cls, args, overrides, sweep)
    return run_protocol(
        cls,
        args.out,
        sweep=sweep,
        workers=args.workers,
        resume=args.resume,
        quiet=args.quiet,
        **overrides,
    )


def _cmd_info(args) -> int:
    import pandas as pd

    from mgneuron.results import read_attrs, read_conditions, read_features

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
    from mgneuron.protocol import get_protocol
    from mgneuron.results import read_attrs

    protocol = read_attrs(args.file)["protocol"]
    out_dir = Path(args.out) if args.out else Path(args.file).parent
    figs = get_protocol(protocol)().plot(args.file, out_dir)
    for fig in figs:
        print(f"wrote {fig}")
    return 0 if figs else 1


def _cmd_morph(args) -> int:
    from mgneuron.morphology import morph_command

    print(morph_command(args.file, args.png))
    return 0


def _cmd_report(argv: Sequence[str]) -> int:
    from mgneuron.report import main as report_main

    return report_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mgneuron`` console script."""
    from mgneuron.errors import MgNeuronError

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
