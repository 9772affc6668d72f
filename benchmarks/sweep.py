"""Sweep scaling: 16 conditions with 1 vs 2 worker processes, and mpiexec -n 1 vs -n 2.

Each run is the command a user types (``mgneuron run epsp_mg --sweep ...``) in a fresh
process, timed end to end (interpreter start, mechanism loading, worker start-up, all
conditions, the HDF5 file). The four variants run interleaved; speed-up = median time of
the 1-process variant / median time of the 2-process variant (target >= 1.8 on 2 cores).
The files of all variants must hold the same features.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, emit, fmt_s, median, parse_args, ratio_entry

# 16 conditions of epsp_mg: [Mg]o x [Ca]o, each ~2 s of simulation on one core, so the
# start-up of processes (~1 s) is small next to the work, as in a real sweep. (10 s of
# simulated time since fixed-step runs use psolve: 4 s took only 0.75 s per condition,
# and mpiexec -n 2 then gained 1.59x, its ~1.5 s start-up and rank 0's writing
# weighing on 12 s of work.)
SWEEP = ["--sweep", "mg=0,0.5,1,2", "ca=1,1.5,2,3", "--tstop", "10000", "--quiet"]


def _cmd(variant: str, out: Path) -> list[str]:
    from mgneuron.engine.ranks import mpiexec_command

    exe = [sys.executable, "-m", "mgneuron.cli", "run", "epsp_mg", *SWEEP, "--out", str(out)]
    if variant == "1 process":
        return exe
    if variant == "2 workers":
        return exe + ["--workers", "2"]
    n = 1 if variant == "mpiexec -n 1" else 2
    return mpiexec_command(n) + exe + ["--mpi"]


def _run(variant: str, out: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    res = subprocess.run(_cmd(variant, out), capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return elapsed


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t0


def parallel_ceiling(n: int = 30_000_000) -> float:
    """What 2 processes can gain on this machine right now: a pure CPU loop, 2 vs 1.

    On an idle 2-core machine it is ~2; other busy processes lower it, and every
    2-process speed-up measured at the same time is bounded by it.
    """
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    _spin(n), _spin(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as ex:
        t0 = time.perf_counter()
        list(ex.map(_spin, [n, n]))
        parallel = time.perf_counter() - t0
    return serial / parallel


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = 1 if args.quick else 2
    from mgneuron.mechanisms import load
    from mgneuron.results import read_features

    load()  # compile outside the timing
    variants = ["1 process", "2 workers"]
    mpi_note = ""
    try:
        import mpi4py  # noqa: F401

        from mgneuron.engine.ranks import mpi_library

        mpi_library()
        variants += ["mpiexec -n 1", "mpiexec -n 2"]
    except Exception as exc:  # noqa: BLE001
        mpi_note = f"\n\nMPI variants skipped: {exc}"
    ceiling_before = parallel_ceiling()
    times: dict[str, list[float]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {v: Path(tmp) / f"{v.replace(' ', '_')}.h5" for v in variants}
        for k in range(repeats):
            for v in variants if k % 2 == 0 else variants[::-1]:
                outs[v].unlink(missing_ok=True)
                times[v].append(_run(v, outs[v]))
        ref = read_features(outs["1 process"]).drop(columns="run_s")
        same = all(read_features(outs[v]).drop(columns="run_s").equals(ref) for v in variants)
        n_cond = len(ref)
    ceiling = min(ceiling_before, parallel_ceiling())
    med = {v: median(t) for v, t in times.items()}
    rows = [f"| {v} | {fmt_s(med[v])} | {', '.join(fmt_s(t) for t in times[v])} |" for v in med]
    ratios = [
        ratio_entry(
            "sweep speed-up, 2 workers vs 1 process", med["1 process"] / med["2 workers"], ">= 1.8"
        )
    ]
    lines = [
        f"- 2 workers vs 1 process: **{ratios[0]['value']:.2f}x**",
    ]
    if "mpiexec -n 2" in med:
        r = med["mpiexec -n 1"] / med["mpiexec -n 2"]
        ratios.append(ratio_entry("sweep speed-up, mpiexec -n 2 vs -n 1", r, ">= 1.8"))
        lines.append(f"- mpiexec -n 2 vs -n 1: **{r:.2f}x**")
    lines.append(
        f"- ceiling on this machine during the run (a pure CPU loop in 2 processes vs 1, "
        f"measured before and after, lower value): **{ceiling:.2f}x**; a ceiling well "
        "below 2 means other processes were using the cores and no 2-process speed-up "
        "could be measured"
    )
    ratios.append(ratio_entry("2-process ceiling of the machine during the sweeps", ceiling, None))
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    md = (
        f"`mgneuron run epsp_mg {' '.join(SWEEP)}`: {n_cond} conditions, whole command "
        f"timed in a fresh process, {repeats} interleaved repeat(s) per variant, median. "
        f"Same features in every variant: **{same}**. Load average at the end: {load_avg}."
        "\n\n| variant | median | runs |\n|---|---:|---|\n"
        + "\n".join(rows)
        + "\n\n"
        + "\n".join(lines)
        + mpi_note
        + "\n"
    )
    emit(args, "Sweep scaling (16 conditions)", 20, md, ratios)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
