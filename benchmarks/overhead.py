"""mgneuron's overhead: each protocol against a plain NEURON script doing the same work.

For every ``benchmarks/raw_<protocol>.py`` (a plain NEURON script defining ``PROTOCOL``,
``KWARGS`` and ``main(out_path)``), this runs, in one process with the mechanisms loaded
once, ``mgneuron.runner.run(PROTOCOL, out, **KWARGS)`` and ``main(out)`` in turn
(interleaved repeats, alternating order), and reports the median wall times and their
ratio (target: mgneuron / plain <= 1.05). Both build the model, simulate every
condition, measure and write an HDF5 file. Before timing, the features of the two are
compared: the plain script must compute the same numbers, or the timing compares
different work.

To add a protocol, add its ``benchmarks/raw_<protocol>.py``; nothing else changes.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import h5py
import numpy as np
from _common import (
    INTEGRATORS,
    PLAIN_INTEGRATOR,
    ROOT,
    emit,
    fmt_s,
    interleaved,
    median,
    parse_args,
    ratio_entry,
)

HERE = Path(__file__).resolve().parent


def raw_scripts() -> list[Path]:
    return sorted(HERE.glob("raw_*.py"))


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compare_features(mg_file: Path, raw_file: Path) -> float:
    """Largest relative difference between the two files' feature columns."""
    from mgneuron.results import read_features

    df = read_features(mg_file)
    worst = 0.0
    with h5py.File(raw_file) as f:
        for key in f["features"]:
            raw = f["features"][key][:]
            if key not in df or raw.dtype.kind not in "fiu":
                continue
            ours = df[key].to_numpy(dtype=float)
            if ours.shape != raw.shape:
                return float("inf")
            scale = np.maximum(np.abs(raw), 1e-12)
            worst = max(worst, float(np.max(np.abs(ours - raw) / scale)))
    return worst


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = 2 if args.quick else 15  # the medians of 9 moved by +-3 % between runs
    from mgneuron.mechanisms import load
    from mgneuron.runner import run

    load()
    rows, ratios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for path in raw_scripts():
            mod = load_module(path)
            name, kwargs = mod.PROTOCOL, dict(getattr(mod, "KWARGS", {}))
            ours, theirs = tmp / f"{name}.h5", tmp / f"{name}.raw.h5"

            def run_ours(name=name, kwargs=kwargs, ours=ours):
                run(name, ours, quiet=True, command="benchmark", overwrite=True, **kwargs)

            def run_raw(mod=mod, theirs=theirs, integrator="continuerun"):
                PLAIN_INTEGRATOR["name"] = integrator
                try:
                    mod.main(str(theirs))
                finally:
                    PLAIN_INTEGRATOR["name"] = "continuerun"

            variants = {"mgneuron": run_ours}
            for integ in INTEGRATORS:
                variants[f"plain {integ}"] = lambda run_raw=run_raw, i=integ: run_raw(integrator=i)
            diff = 0.0
            run_ours()  # warm-up, and the output to compare
            for integ in INTEGRATORS:
                variants[f"plain {integ}"]()
                diff = max(diff, compare_features(ours, theirs))
            times = interleaved(variants, repeats)
            t_ours = median(times["mgneuron"])
            t_raw = {i: median(times[f"plain {i}"]) for i in INTEGRATORS}
            from mgneuron.results import read_conditions

            n_cond = len(read_conditions(ours))
            r = {i: t_ours / t_raw[i] for i in INTEGRATORS}
            rows.append(
                f"| {name} | {n_cond} | {fmt_s(t_ours)} | {fmt_s(t_raw['continuerun'])} | "
                f"{fmt_s(t_raw['psolve'])} | **{r['continuerun']:.3f}** | **{r['psolve']:.3f}** "
                f"| {diff:.1e} |"
            )
            ratios.append(
                ratio_entry(
                    f"overhead {name} (mgneuron / plain NEURON, same psolve loop)",
                    r["psolve"],
                    "<= 1.05",
                )
            )
            ratios.append(
                ratio_entry(
                    f"overhead {name} (mgneuron / plain NEURON with continuerun)",
                    r["continuerun"],
                    "<= 1.05",
                )
            )
    md = (
        f"Whole sweep with the protocol's defaults (build, simulate, measure, write HDF5), "
        f"median of {repeats} interleaved repeats in one process. The plain scripts are "
        f"`benchmarks/raw_<protocol>.py`, timed twice: integrating with stdrun's "
        f"`continuerun` (what most hand-written scripts do) and with `ParallelContext.psolve` "
        f"(the compiled loop mgneuron uses for fixed steps; same values at every step), so "
        f"*vs psolve* is mgneuron's own cost (set-up, bookkeeping, writing every condition "
        f"safely) on top of the same simulation. *features diff* is the largest relative "
        f"difference between the plain scripts' features and mgneuron's.\n\n"
        "| protocol | conditions | mgneuron | plain, continuerun | plain, psolve | "
        "ratio vs continuerun | ratio vs psolve | features diff |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n"
    )
    emit(args, "Overhead vs plain NEURON", 10, md, ratios)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    main()
