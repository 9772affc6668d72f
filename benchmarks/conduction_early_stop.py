"""Conduction protocol: the default grid before and after issue 17, side by side.

The work: a representative subset of the default ``conduction`` grid at 1 mM Mg (fibres
of 5.7, 10 and 16 um; a 10 um fibre with 100 %, 5 % and 2 % of its lamellae on one and on
all internodes; healthy and remyelinated), run in this process three ways:

* **before**: the previous defaults, ``--discretization converged --dt 0.001`` with
  full-length runs (``--early-stop false``: every run lasts ``tstop`` = 20 ms);
* **full-length**: today's defaults (the published ``mrg2002`` fibre at MRG's 5 us) with
  full-length runs;
* **now**: today's defaults, every run stopping when its answer is known.

Each condition measures what the interface command ``mgneuron run conduction --series
diameter --mg 1 --threshold false --refractory false --safety false`` measures (the spike
run: CV, latency, block). ``--bisections`` adds threshold, safety factor and refractory
period as the default run does (slow: "before" then takes minutes per condition);
``--quick`` keeps 3 conditions (smoke test). The three variants run interleaved; the
answers of "full-length" and "now" must agree (block decisions identical, CV within
0.5 %). Ratios: before / now (target >= 5, the issue's) and full-length / now (what early
stopping alone gains).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import ROOT, emit, fmt_s, interleaved, median, ratio_entry

sys.path.insert(0, str(ROOT))

SUBSET = {
    "series": ["diameter", "demyelination", "remyelination"],
    "mg": [1.0],
    "fiber_diameter_um": [5.7, 10.0, 16.0],
    "lamellae_fraction": [1.0, 0.05, 0.02],
    "extent": [1, 0],
}
QUICK_SUBSET = {
    "series": ["diameter", "demyelination"],
    "mg": [1.0],
    "fiber_diameter_um": [10.0],
    "lamellae_fraction": [0.05, 0.02],
    "extent": [0],
}
VARIANTS = {
    "before": {"discretization": "converged", "dt": 0.001, "early_stop": False},
    "full-length": {"early_stop": False},
    "now": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the result here (run_all.py)")
    parser.add_argument("--quick", action="store_true", help="3 conditions (smoke test)")
    parser.add_argument("--bisections", action="store_true", help="also threshold, safety "
                        "factor and refractory period (slow)")  # fmt: skip
    args = parser.parse_args()
    from mgneuron.results import read_features
    from mgneuron.runner import run

    off = {"threshold": False, "refractory": False, "safety": False}
    measures = {} if args.bisections else off
    subset = QUICK_SUBSET if args.quick else SUBSET
    tmp = Path(tempfile.mkdtemp(prefix="mgneuron-bench-"))
    results = {}

    def variant(name):
        def go():
            out = tmp / f"{name.replace(' ', '_')}.h5"
            kw = {**subset, **measures, **VARIANTS[name]}
            results[name] = read_features(run("conduction", out, overwrite=True, quiet=True, **kw))

        return go

    times = interleaved({name: variant(name) for name in VARIANTS}, repeats=1)
    full, now = results["full-length"], results["now"]
    same_block = list(full["blocked"]) == list(now["blocked"])
    cv_f, cv_n = full["cv_m_per_s"].to_numpy(), now["cv_m_per_s"].to_numpy()
    ok = np.isfinite(cv_f) & np.isfinite(cv_n)
    cv_dev = float(np.max(np.abs(cv_n[ok] / cv_f[ok] - 1))) if ok.any() else 0.0
    same_nan = bool(np.array_equal(np.isfinite(cv_f), np.isfinite(cv_n)))
    t = {name: median(v) for name, v in times.items()}
    speedup, early = t["before"] / t["now"], t["full-length"] / t["now"]
    n = len(now)
    what = (
        "spike run, threshold, safety factor, refractory period"
        if args.bisections
        else "spike run: CV, latency, block"
    )
    md = [
        f"{n} conditions of the default conduction grid ({what}), one process:",
        "",
        "| variant | wall time | per condition |",
        "|---|---:|---:|",
        *[f"| {name} | {fmt_s(t[name])} | {fmt_s(t[name] / n)} |" for name in VARIANTS],
        "",
        f"Speed-up of the default grid (before / now): {speedup:.1f}x (target >= 5); early "
        f"stopping alone (full-length / now): {early:.1f}x. Full-length vs early-stopped "
        f"answers: block decisions {'identical' if same_block and same_nan else 'DIFFER'}, "
        f"largest CV difference {100 * cv_dev:.3f} % (limit 0.5 %).",
    ]
    ratios = [
        ratio_entry("conduction grid, before / now", speedup, ">= 5"),
        ratio_entry("conduction grid, full-length / early stop", early, None),
    ]
    emit(args, "Conduction runs that stop when the answer is known", 90, "\n".join(md), ratios)
    if not (same_block and same_nan and cv_dev <= 0.005):
        raise SystemExit("early-stopped answers differ from the full-length ones")


if __name__ == "__main__":
    main()
