"""Peak memory of recording every segment of the largest morphology: streamed vs held.

Every segment's membrane potential of the largest morphology (the shared layer-5
pyramidal reconstruction when present; HH in soma and axon, passive dendrites, a somatic
current step) is stored every 0.1 ms, through the protocol runner into an HDF5 file,
either held in memory until the end of the run (``Simulation.record`` + ``Report``) or
streamed in 100 ms chunks (``mgneuron.runner.streaming_recorder``). Each case runs in a
fresh process that reports its peak resident memory (``ru_maxrss``) and its memory just
before the run, for 1 s and 10 s of simulated time. Target: the streamed peak does not
grow with duration.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import LARGE_MORPHOLOGY, ROOT, emit, fmt_s, parse_args, ratio_entry

INTERVAL_MS, CHUNK_MS = 0.1, 100.0


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(mode: str, tstop: float, out: str) -> None:
    """One measurement (run in its own process)."""
    import numpy as np
    import pandas  # noqa: F401 - the runner's summary imports it; count it in the baseline

    from mgneuron.engine import RunSettings, Simulation
    from mgneuron.engine import run as simulate
    from mgneuron.results import Report
    from mgneuron.runner import ConditionResult, Param, Protocol, run, streaming_recorder

    state: dict = {}

    class AllSegments(Protocol):
        name = "memory_bench"
        params = (Param("mode", mode, "", "held or streamed", str),)

        def run_condition(self, p):
            from _common import large_cell
            from neuron import h

            cell = large_cell(h, n_syn=0, hh_everywhere=False)
            clamp = h.IClamp(cell["soma"](0.5))
            clamp.delay, clamp.dur, clamp.amp = 10.0, 1e9, 1.0
            settings = RunSettings(tstop=p.tstop, dt=0.025, celsius=6.3, v_init=-65.0)
            segs = [seg for sec in cell["morph"].sections for seg in sec]
            n = len(segs)
            state["n_segments"] = n
            mapping = {"node_ids": [0], "element_ids": range(n)}
            if p.mode == "streamed":
                rec = streaming_recorder(
                    [s._ref_v for s in segs], settings, INTERVAL_MS, CHUNK_MS, **mapping
                )
                state["base_mb"] = _rss_mb()
                simulate(settings, events=rec.events())
                report = rec.finish()
            else:
                sim = Simulation(settings)
                vecs = [sim.record(s._ref_v, INTERVAL_MS) for s in segs]
                state["base_mb"] = _rss_mb()
                sim.run()
                data = np.stack([np.asarray(v) for v in vecs], axis=1)
                del vecs, sim
                report = Report(data, (0.0, len(data) * INTERVAL_MS, INTERVAL_MS), [0], range(n))
            del clamp
            cell["morph"].delete()
            return ConditionResult(features=[{"n": n}], reports={"cell": report})

    t0 = time.perf_counter()
    run(AllSegments, out, tstop=tstop, quiet=True, command="benchmark")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "tstop": tstop,
                "peak_mb": peak_mb,
                "base_mb": state["base_mb"],
                "wall_s": time.perf_counter() - t0,
                "n_segments": state["n_segments"],
                "file_mb": Path(out).stat().st_size / 2**20,
            }
        )
    )
    Path(out).unlink()


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    durations = (500.0, 2000.0) if args.quick else (1000.0, 10000.0)
    from mgneuron.mechanisms import load

    load()
    results = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for tstop in durations:
        for mode in ("streamed", "held"):
            out = Path(os.environ.get("TMPDIR", "/tmp")) / f"mgneuron-mem-{os.getpid()}.h5"
            res = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(tstop), str(out)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if res.returncode != 0:
                raise RuntimeError(f"{mode} {tstop} ms failed:\n{res.stderr[-3000:]}")
            results.append(json.loads(res.stdout.strip().splitlines()[-1]))
    by = {(r["mode"], r["tstop"]): r for r in results}
    short, long_ = durations
    grow_streamed = by[("streamed", long_)]["peak_mb"] / by[("streamed", short)]["peak_mb"]
    grow_held = by[("held", long_)]["peak_mb"] / by[("held", short)]["peak_mb"]
    rows = [
        f"| {r['mode']} | {r['tstop'] / 1000:g} s | {r['base_mb']:.0f} MB | "
        f"**{r['peak_mb']:.0f} MB** | {r['peak_mb'] - r['base_mb']:.0f} MB | "
        f"{r['file_mb']:.0f} MB | {fmt_s(r['wall_s'])} |"
        for r in results
    ]
    n = results[0]["n_segments"]
    md = (
        f"`{LARGE_MORPHOLOGY}`, all {n} segments, v every {INTERVAL_MS} ms (dt 0.025 ms), "
        f"streamed in {CHUNK_MS:g} ms chunks or held until the end; written through the "
        "protocol runner into one HDF5 file; one fresh process per row.\n\n"
        "| mode | simulated | RSS before run | peak RSS | peak - before | file | wall |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n\n"
        f"- peak growth from {short / 1000:g} s to {long_ / 1000:g} s: streamed "
        f"**{grow_streamed:.2f}x**, held {grow_held:.2f}x\n"
    )
    emit(
        args,
        "Memory: streamed vs held recording",
        40,
        md,
        [
            ratio_entry(
                f"streamed peak memory, {long_ / 1000:g} s / {short / 1000:g} s run",
                grow_streamed,
                "<= 1.05",
            ),
            ratio_entry(
                f"held peak memory, {long_ / 1000:g} s / {short / 1000:g} s run", grow_held, None
            ),
        ],
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        from mgneuron.mechanisms import load

        load()
        child(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        main()
