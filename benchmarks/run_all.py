"""Run every benchmark and write ``benchmarks/RESULTS.md`` (``make bench``).

Every ``benchmarks/<name>.py`` that does not start with ``_`` or ``raw_`` (and is not this
file) is a benchmark: it is run in its own process with ``--json FILE`` (see
``_common.py`` for the contract), so a benchmark added by anyone is picked up with no
change here. ``raw_<protocol>.py`` files are plain NEURON references used by
``overhead.py``. The report starts with the machine, the versions and a summary of every
ratio against its target, then each benchmark's own section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import ROOT, machine  # noqa: E402


def benchmark_scripts() -> list[Path]:
    return sorted(
        p
        for p in HERE.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith(("_", "raw_"))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="report to write")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per benchmark")
    args = parser.parse_args()

    # Compile the mechanisms once, outside every timing.
    subprocess.run([sys.executable, "-m", "mgneuron.cli", "compile"], check=True, cwd=ROOT)
    start = time.perf_counter()
    load_before = os.getloadavg()
    sections, failures = [], []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    for script in benchmark_scripts():
        if args.only and script.stem not in args.only:
            continue
        print(f"== {script.name}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, str(script), "--json", str(out)]
            if args.quick:
                cmd.append("--quick")
            t0 = time.perf_counter()
            plain = None
            try:
                res = subprocess.run(
                    cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=args.timeout
                )
                if res.returncode == 2 and "unrecognized arguments: --json" in res.stderr:
                    # A script that does not follow the --json contract: run it as is and
                    # report what it prints.
                    res = subprocess.run(
                        cmd[:2],
                        capture_output=True,
                        text=True,
                        env=env,
                        cwd=tmp,
                        timeout=args.timeout,
                    )
                    plain = res.stdout
                ok = res.returncode == 0 and (out.exists() or plain is not None)
                log = (res.stdout + res.stderr)[-3000:]
            except subprocess.TimeoutExpired as exc:
                ok, log = False, f"timed out after {exc.timeout:.0f} s"
            elapsed = time.perf_counter() - t0
            if ok and plain is not None:
                sections.append(
                    {
                        "title": script.stem,
                        "order": 90,
                        "markdown": f"(`{script.name}` prints its own report; it does not "
                        f"take `--json`)\n\n```\n{plain.strip()}\n```",
                        "ratios": [],
                        "elapsed": elapsed,
                    }
                )
                print(f"   done in {elapsed:.0f} s (plain output)", flush=True)
            elif ok:
                payload = json.loads(out.read_text())
                payload["elapsed"] = elapsed
                sections.append(payload)
                print(f"   done in {elapsed:.0f} s", flush=True)
            else:
                failures.append((script.name, log))
                print(f"   FAILED after {elapsed:.0f} s\n{log}", flush=True)
    total = time.perf_counter() - start
    load_after = os.getloadavg()

    sections.sort(key=lambda s: (s.get("order", 100), s["title"]))
    info = machine()
    lines = [
        "# mgneuron benchmarks",
        "",
        f"Written by `make bench` (`benchmarks/run_all.py`) on "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; all benchmarks took "
        f"{total / 60:.1f} min{' (--quick)' if args.quick else ''}.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        f"| load average (1, 5, 15 min) before | {', '.join(f'{x:.1f}' for x in load_before)} |",
        f"| load average after | {', '.join(f'{x:.1f}' for x in load_after)} |",
        "",
        "Timings are wall-clock medians of interleaved repeats; a load average above the "
        "number of cores means other processes shared the machine and inflates them.",
        "",
        "## Summary",
        "",
        "| measure | value | target | met |",
        "|---|---:|---|---|",
    ]
    for s in sections:
        for r in s.get("ratios", []):
            met = {True: "yes", False: "**no**", None: "(report)"}[r["ok"]]
            lines.append(f"| {r['name']} | {r['value']:.3f} | {r['target'] or '-'} | {met} |")
    for name, _ in failures:
        lines.append(f"| {name} | failed | | **no** |")
    lines.append("")
    for s in sections:
        lines += [
            f"## {s['title']}",
            "",
            s["markdown"].rstrip(),
            "",
            f"*({s['elapsed']:.0f} s)*",
            "",
        ]
    for name, log in failures:
        lines += [f"## {name}: FAILED", "", "```", log.rstrip(), "```", ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out} ({total / 60:.1f} min)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
