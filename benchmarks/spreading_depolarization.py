"""spreading_depolarization: cost of one condition and convergence in voxel size and dt.

Cost: one condition at the defaults (1 mM Mg, 2 mM Ca; the stored run at a 20 mM bolus,
then the bisection of the threshold to 0.25 mM), in this process on one core, timed end
to end by the runner (``run_s``); target <= 180 s. The stored run alone is also timed.

Convergence: the same condition with the voxel edge and the time step both halved
(dx 50 -> 25 um, dt 0.5 -> 0.25 ms: twice the voxels, twice the steps) and each halved
alone; the speed and the threshold must change by < 10 %. The convergence runs bisect to
0.05 mM (the default 0.25 mM puts all of them in one bracket of the bisection grid).
``--quick`` skips the threshold of the refined runs (speed only).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import emit, fmt_s, parse_args, ratio_entry


def _condition(tmp: Path, name: str, **kw) -> dict:
    from mgneuron.results import read_features
    from mgneuron.runner import run

    start = time.perf_counter()
    out = run("spreading_depolarization", tmp / f"{name}.h5", mg=[1.0], quiet=True, **kw)
    wall = time.perf_counter() - start
    row = read_features(out).iloc[0].to_dict()
    row["wall_s"] = wall
    return row


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = _condition(tmp, "base")
        stored = _condition(tmp, "stored", threshold=False)
        thr = not args.quick
        fine = {"threshold": thr, "threshold_tol_mM": 0.05}
        ref = _condition(tmp, "ref", **fine)
        cases = {
            "dx 25 um, dt 0.25 ms": _condition(tmp, "both", dx_um=25.0, dt=0.25, **fine),
            "dx 25 um": _condition(tmp, "dx", dx_um=25.0, **fine),
            "dt 0.25 ms": _condition(tmp, "dt", dt=0.25, **fine),
        }
    lines = [
        f"One condition at the defaults (1 mM Mg, 2 mM Ca, strip 1.5 mm x 50 um voxels, "
        f"dt 0.5 ms, 40 s simulated): {fmt_s(base['wall_s'])} with the threshold "
        f"bisection, {fmt_s(stored['wall_s'])} for the stored run alone (one core, this "
        "process).",
        "",
        "Convergence (threshold bisected to 0.05 mM):",
        "",
        "| refinement | speed (mm/min) | change | k_threshold (mM) | change | wall |",
        "|---|---|---|---|---|---|",
        f"| defaults (dx 50 um, dt 0.5 ms) | {ref['sd_speed_mm_per_min']:.3f} | | "
        f"{ref['k_threshold_mM']:.3f} | | {fmt_s(ref['wall_s'])} |",
    ]
    ratios = [ratio_entry("spreading_depolarization: one condition (s)", base["wall_s"], "<= 180")]
    for name, row in cases.items():
        ds = row["sd_speed_mm_per_min"] / ref["sd_speed_mm_per_min"] - 1
        dk = row["k_threshold_mM"] / ref["k_threshold_mM"] - 1
        lines.append(
            f"| {name} | {row['sd_speed_mm_per_min']:.3f} | {100 * ds:+.1f} % | "
            f"{row['k_threshold_mM']:.3f} | {100 * dk:+.1f} % | {fmt_s(row['wall_s'])} |"
        )
        ratios.append(ratio_entry(f"SD speed change, {name} (%)", abs(100 * ds), "<= 10"))
        if thr:
            ratios.append(ratio_entry(f"SD threshold change, {name} (%)", abs(100 * dk), "<= 10"))
    emit(args, "Spreading depolarization: cost and convergence", 60, "\n".join(lines), ratios)


if __name__ == "__main__":
    main()
