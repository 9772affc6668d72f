"""MPI scaling: a sweep and one network condition on 1, 2, ... ranks, against the machine.

For every rank count N of ``--ranks`` (default 1,2) three things are timed:

- the sweep: ``mpiexec -n N mgneuron run epsp_mg --sweep mg=... ca=... --mpi`` (16
  conditions farmed out by the bulletin board), the whole command end to end;
- the network: ``mpiexec -n N mgneuron run low_mg_network --mg 0 --n-exc E --n-inh I
  --mpi`` (one condition spread over the N ranks, cells dealt by cost); the whole
  command and the condition's own ``sim_s`` (initialisation + integration on rank 0)
  and ``gather_s`` (rank 0 collecting spikes and LFP);
- the machine's own ceiling: a pure CPU loop run once in 1 process and once in each of
  N processes at the same time; ceiling = N * t(1) / t(N), i.e. N on N idle cores and
  less when other processes share them.

Speed-up = time on 1 rank / time on N ranks; parallel efficiency = speed-up / ceiling
(1.0: the code scales as well as the machine allows). The features of every rank count
must equal those of 1 rank (timing columns aside): the table says so. Prints a markdown
table to paste into RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _common import ROOT, emit, ratio_entry

TIMING = ["run_s", "sim_s", "gather_s"]


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - t0


def ceiling(nproc: int, n: int = 20_000_000) -> float:
    """N * t(one loop in one process) / t(N loops in N processes at once); 1 for N = 1."""
    if nproc == 1:
        return 1.0
    with ProcessPoolExecutor(nproc) as ex:
        list(ex.map(_spin, [1000] * nproc))  # start the processes outside the timing
        t0 = time.perf_counter()
        list(ex.map(_spin, [n]))
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        list(ex.map(_spin, [n] * nproc))
        many = time.perf_counter() - t0
    return nproc * one / many


def _mpirun(n: int, args: list[str], out: Path) -> float:
    from mgneuron.engine.ranks import mpiexec_command

    cmd = mpiexec_command(n) + [sys.executable, "-m", "mgneuron.cli", "run", *args]
    cmd += ["--mpi", "--quiet", "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return wall


def _features(path: Path):
    from mgneuron.results import read_features

    df = read_features(path)
    return df.drop(columns=[c for c in TIMING if c in df.columns])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", default="1,2", help="rank counts, e.g. 1,2,4,8,16")
    parser.add_argument("--sweep-tstop", type=float, default=4000.0, help="ms per condition")
    parser.add_argument("--n-exc", type=int, default=400)
    parser.add_argument("--n-inh", type=int, default=100)
    parser.add_argument("--tstop", type=float, default=600.0, help="network condition (ms)")
    parser.add_argument("--json", default=None, help="write the result here (run_all.py)")
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    args = parser.parse_args()
    ranks = sorted({int(r) for r in args.ranks.split(",")})
    if ranks[0] != 1:
        ranks = [1, *ranks]
    if args.quick:
        args.sweep_tstop, args.n_exc, args.n_inh, args.tstop = 1000.0, 80, 20, 400.0
    from mgneuron.mechanisms import load

    load()  # compile outside the timing
    sweep = ["epsp_mg", "--sweep", "mg=0,0.5,1,2", "ca=1,1.5,2,3"]
    sweep += ["--tstop", f"{args.sweep_tstop:g}"]
    net = ["low_mg_network", "--mg", "0", "--n-exc", str(args.n_exc), "--n-inh"]
    net += [str(args.n_inh), "--tstop", f"{args.tstop:g}", "--t-discard", "100"]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref = {}
        for n in ranks:
            c = ceiling(n)
            s_out, n_out = Path(tmp) / f"s{n}.h5", Path(tmp) / f"n{n}.h5"
            t_sweep = _mpirun(n, sweep, s_out)
            t_net = _mpirun(n, net, n_out)
            from mgneuron.results import read_features

            nf = read_features(n_out).iloc[0]
            feats = (_features(s_out), _features(n_out))
            if n == 1:
                ref = feats
            same = all(a.equals(b) for a, b in zip(feats, ref, strict=True))
            rows[n] = {
                "ceiling": min(c, ceiling(n)),
                "sweep": t_sweep,
                "net": t_net,
                "sim": float(nf["sim_s"]),
                "gather": float(nf["gather_s"]),
                "same": same,
            }
    base = rows[1]
    lines = [
        "| ranks | CPU-loop ceiling | sweep (s) | sweep speed-up | sweep eff. | network (s) "
        "| network sim_s | network speed-up (sim_s) | network eff. | rank-0 gather (s) "
        "| same features |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    ratios = []
    for n, r in rows.items():
        su_s = base["sweep"] / r["sweep"]
        su_n = base["sim"] / r["sim"]
        eff_s, eff_n = su_s / r["ceiling"], su_n / r["ceiling"]
        lines.append(
            f"| {n} | {r['ceiling']:.2f} | {r['sweep']:.1f} | {su_s:.2f} | {eff_s:.0%} "
            f"| {r['net']:.1f} | {r['sim']:.2f} | {su_n:.2f} | {eff_n:.0%} "
            f"| {r['gather']:.3f} | {r['same']} |"
        )
        if n > 1:
            ratios.append(ratio_entry(f"sweep parallel efficiency, {n} ranks", eff_s, ">= 0.9"))
            ratios.append(ratio_entry(f"network parallel efficiency, {n} ranks", eff_n, ">= 0.9"))
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    md = (
        f"Sweep: `mgneuron run {' '.join(sweep)} --mpi` (16 conditions, whole command). "
        f"Network: `mgneuron run {' '.join(net)} --mpi` ({args.n_exc + args.n_inh} cells, "
        "one condition; speed-up from the condition's sim_s, the whole command in "
        "'network (s)'). Ceiling: a pure CPU loop in N processes vs 1 at the same time; "
        f"efficiency = speed-up / ceiling. Load average at the end: {load_avg}.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    emit(args, "MPI scaling: sweep and network vs the machine's ceiling", 21, md, ratios)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
