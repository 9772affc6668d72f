"""Scenario report: normal vs deficient vs therapeutic [Mg]o, from seed symptom to measure.

``mgneuron report --out DIR`` runs every protocol at each scenario's [Mg]o through the
sweep API (one HDF5 file per protocol), draws each protocol's figure, and writes a
self-contained ``report.html`` (figures embedded as PNG, no network access needed) with

* a summary table, one row per symptom of the seed's deficiency table, giving the model
  measure that stands for it, its value per scenario (read back from the HDF5 files), the
  direction the seed predicts in deficiency and the direction the model gives; symptoms the
  model does not cover are said to be not covered, with no invented proxy;
* one figure per protocol;
* provenance: versions, parameters, seeds, run time per protocol.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import json
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mgneuron.environment import PRESETS
from mgneuron.errors import MgNeuronError, ProtocolError
from mgneuron.results import read_attrs, read_features, read_parameters
from mgneuron.runner import get_protocol, list_protocols, run

__all__ = [
    "ReportStep",
    "Measure",
    "STEPS",
    "MEASURES",
    "DEFAULT_SCENARIOS",
    "build_report",
    "measure_values",
    "main",
]

DEFAULT_SCENARIOS = ("normal", "hypomagnesemia", "severe_hypomagnesemia", "therapeutic")


@dataclass(frozen=True)
class ReportStep:
    """How the report runs one protocol.

    Parameters
    ----------
    protocol : str
        Protocol name.
    quick, full : dict
        Parameter overrides for ``--quick`` and for the full report.
    mg_param : str or None
        Parameter that receives the scenarios' [Mg]o values (None: leave the protocol's).
    extra_mg : tuple of float
        [Mg]o values added to the scenarios' (e.g. 0.1 mM for the network raster).
    """

    protocol: str
    quick: dict[str, Any] = field(default_factory=dict)
    full: dict[str, Any] = field(default_factory=dict)
    mg_param: str | None = "mg_mM"
    extra_mg: tuple[float, ...] = ()


@dataclass(frozen=True)
class Measure:
    """A model measure standing for one symptom of the seed's deficiency table.

    Parameters
    ----------
    symptom : str
        Symptom as named in the seed.
    seed_cause : str
        The neurological cause the seed gives.
    protocol : str or None
        Protocol whose features hold the measure (None: not covered).
    feature : str
        Feature column.
    where : dict
        Equality filters on feature rows (e.g. ``{"cell": "axon"}``).
    label : str
        What the measure is, in words, with its unit.
    predicted : int
        Direction the seed predicts in deficiency vs normal: +1 up, -1 down, 0 none.
    note : str
        Why this measure, or why the symptom is not covered.
    """

    symptom: str
    seed_cause: str
    protocol: str | None
    feature: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    predicted: int = 0
    note: str = ""


STEPS: tuple[ReportStep, ...] = (
    ReportStep("nmda_iv", quick={"block_model": [0], "v_step": 20.0}, full={}),
    ReportStep("epsp_mg", quick={"tstop": 200.0}, full={}),
    ReportStep("release_mg", quick={"ca_mM": [1.0, 2.0, 4.0]}, full={}),
    ReportStep("inhibition_mg", quick={"tstop": 1000.0}, full={}),
    ReportStep("excitability_mg", quick={"quick": True}, full={}),
    ReportStep(
        "conduction",
        quick={"quick": True, "discretization": "mrg2002", "threshold": False, "safety": False},
        full={},
    ),
    ReportStep(
        "low_mg_network", quick={"tstop": 2000.0, "ca": [2.0]}, full={"ca": [2.0]}, extra_mg=(0.1,)
    ),
)

MEASURES: tuple[Measure, ...] = (
    Measure(
        "Muscle cramps and spasms",
        "Impaired muscle relaxation: too little Mg2+ to counteract Ca2+ (seed)",
        "excitability_mg",
        "rheobase_nA",
        {"cell": "axon"},
        "rheobase of a 10 um myelinated motor axon (nA, Weiss's law); lower = fires more easily",
        -1,
        "Muscle contraction itself is not modelled; the nerve side of cramps, a motor axon "
        "that fires more easily, is. Repetitive after-discharge (excitability_mg n_spikes) "
        "appears only near 0 mM Mg at 2 mM Ca, or with coupled hypocalcaemia "
        "(--hypocalcaemia).",
    ),
    Measure(
        "Numbness and tingling",
        "Neuromuscular hyperexcitability and impaired nerve signal transmission (seed)",
        "excitability_mg",
        "threshold_mV",
        {"cell": "axon"},
        "voltage threshold of a myelinated axon's node (mV; dV/dt 100 mV/ms, 0.1 ms pulse "
        "2 % above threshold); lower = more excitable",
        -1,
        "Paraesthesia arises from ectopic firing of sensory axons; the model gives the "
        "threshold change from divalent surface-charge screening. The node's threshold moves "
        "1.3-1.6 times the gating shift, because the fibre's rest is held by the unscreened "
        "internodal membrane (docs/guide.md, 'Excitability and threshold').",
    ),
    Measure(
        "Anxiety and restlessness",
        "Overactive nerve activity from GABA/glutamate imbalance (seed)",
        "inhibition_mg",
        "rate_hz",
        {},
        "firing rate of a pyramidal cell under balanced E/I Poisson input (Hz)",
        +1,
        "Behaviour is not modelled; the cellular correlate, cortical output firing under "
        "excitation and inhibition, is.",
    ),
    Measure(
        "Migraine headaches",
        "Excessive vasodilation or nerve excitability (seed)",
        None,
        note="Not covered. The model has no blood vessels (vasodilation), no cortical "
        "spreading depression and no trigeminovascular system. The excitability part is the "
        "same measure as in the rows above and is not repeated as a migraine proxy.",
    ),
    Measure(
        "Seizures (in severe cases)",
        "Severe hyperexcitability: too little Mg2+ to control firing (seed)",
        "low_mg_network",
        "burst_rate_hz",
        {},
        "population burst rate of a recurrent E/I network (bursts/s)",
        +1,
        "Low-Mg seizure-like events in slices are NMDA-driven recurrent population bursts "
        "(Isaev et al. 2012). In this network they need [Mg]o <= 0.1 mM (the extra 0.1 mM "
        "run in the raster figure), as in 'Mg-free' ACSF; at the 0.2 mM scenario activity "
        "stays asynchronous, so a 'no change' here is the model's answer, not a failure "
        "to run. The figure's bottom row shows the field potential (LFP at the laminar "
        "probe, uV) of the same conditions: each population burst is a field event "
        "(lfp_event_rate_hz), the slice correlate of an electrographic seizure.",
    ),
    Measure(
        "Excitotoxicity (seed: NMDA over-activation)",
        "Mg2+ no longer blocks NMDA receptors: uncontrolled Ca2+ entry (seed)",
        "epsp_mg",
        "ca_entry_pC",
        {},
        "Ca2+ charge entering through NMDA receptors during a synaptic burst (pC)",
        +1,
        "Not in the seed's symptom table, but its first mechanism.",
    ),
)


def _scenario_mg(names: Sequence[str]) -> dict[str, float]:
    out = {}
    for name in names:
        if name not in PRESETS:
            raise ProtocolError(f"unknown scenario {name!r}; known scenarios: {', '.join(PRESETS)}")
        out[name] = PRESETS[name].mg_mM
    return out


def run_steps(
    out_dir: Path,
    scenarios: dict[str, float],
    quick: bool,
    workers: int = 1,
    steps: Sequence[ReportStep] = STEPS,
    log=print,
    overwrite: bool = False,
) -> dict[str, dict[str, Any]]:
    """Run every available protocol of the plan; return per protocol its file and time.

    ``overwrite`` replaces results files a previous report left in ``out_dir``; without
    it an existing one stops the report before anything runs (ProtocolError).
    """
    available = set(list_protocols())
    if not overwrite:  # before the first protocol runs, not after several
        there = [
            out_dir / f"{s.protocol}.h5"
            for s in steps
            if s.protocol in available and (out_dir / f"{s.protocol}.h5").exists()
        ]
        if there:
            raise ProtocolError(
                f"{out_dir} holds results of an earlier report ({', '.join(p.name for p in there)}"
                "); pass --overwrite to replace them, or choose another --out"
            )
    done: dict[str, dict[str, Any]] = {}
    for step in steps:
        if step.protocol not in available:
            done[step.protocol] = {"missing": True}
            log(f"[report] {step.protocol}: protocol not available, skipped")
            continue
        overrides = dict(step.quick if quick else step.full)
        if step.mg_param is not None:
            mgs = sorted(set(scenarios.values()) | set(step.extra_mg))
            overrides[step.mg_param] = mgs
        path = out_dir / f"{step.protocol}.h5"
        log(f"[report] {step.protocol}: running ...")
        start = time.perf_counter()
        run(
            step.protocol,
            path,
            workers=workers,
            quiet=True,
            command=f"mgneuron report ({step.protocol})",
            overwrite=overwrite,
            **overrides,
        )
        seconds = time.perf_counter() - start
        figs = get_protocol(step.protocol)().plot(path, out_dir)
        done[step.protocol] = {"path": path, "seconds": seconds, "figures": figs}
        log(f"[report] {step.protocol}: {seconds:.1f} s -> {path.name}")
    return done


def measure_values(measure: Measure, path: Path, scenarios: dict[str, float]) -> dict[str, float]:
    """Mean of the measure's feature over the rows of each scenario's [Mg]o (NaN if none).

    Rows at [Ca]o other than 2 mM are left out when the features have a ``ca_mM`` column.
    """
    df = read_features(path)
    for key, value in measure.where.items():
        if key in df:
            df = df[df[key] == value]
    if "ca_mM" in df:
        df = df[np.isclose(df["ca_mM"], 2.0)]
    out = {}
    for name, mg in scenarios.items():
        rows = df[np.isclose(df["mg_mM"], mg)] if "mg_mM" in df else df.iloc[0:0]
        vals = pd.to_numeric(rows[measure.feature], errors="coerce") if len(rows) else []
        out[name] = float(np.nanmean(vals)) if len(vals) else float("nan")
    return out


def _direction(values: dict[str, float], scenarios: dict[str, float]) -> int | None:
    """Sign of (most deficient scenario - normal), or None if not computable."""
    if "normal" not in values:
        return None
    low = [n for n, mg in scenarios.items() if mg < scenarios["normal"]]
    if not low:
        return None
    worst = min(low, key=lambda n: scenarios[n])
    a, b = values[worst], values["normal"]
    if not (np.isfinite(a) and np.isfinite(b)):
        return None
    scale = max(abs(a), abs(b), 1e-12)
    if abs(a - b) <= 1e-6 * scale:
        return 0
    return 1 if a > b else -1


_ARROW = {1: "up", -1: "down", 0: "no change", None: "n/a"}


def summary_table(runs: dict[str, dict[str, Any]], scenarios: dict[str, float]) -> pd.DataFrame:
    """Build the symptom table: one row per measure, values per scenario, directions."""
    rows = []
    for m in MEASURES:
        row: dict[str, Any] = {
            "symptom": m.symptom,
            "seed_cause": m.seed_cause,
            "measure": m.label,
            "protocol": m.protocol or "",
            "feature": m.feature,
            "note": m.note,
        }
        info = runs.get(m.protocol or "", {})
        if m.protocol is None:
            row.update({n: float("nan") for n in scenarios})
            row.update(predicted="n/a", model="not covered", agrees="not covered")
        elif "path" not in info:
            row.update({n: float("nan") for n in scenarios})
            row.update(predicted=_ARROW[m.predicted], model="protocol not run", agrees="not run")
        else:
            values = measure_values(m, info["path"], scenarios)
            row.update(values)
            d = _direction(values, scenarios)
            row["predicted"] = _ARROW[m.predicted]
            row["model"] = _ARROW[d]
            row["agrees"] = "yes" if d == m.predicted else ("n/a" if d is None else "no")
        rows.append(row)
    return pd.DataFrame(rows)


def _img(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img class="figure" alt="{html.escape(Path(path).stem)}" src="data:image/png;base64,{data}">'


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("mgneuron", "neuron", "numpy", "h5py", "pandas", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "unknown"
    return out


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #bbb;padding:4px 8px;vertical-align:top}
th{background:#eee} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.yes{background:#e3f4e3} td.no{background:#f8e0e0} td.nc{background:#f3f3f3;color:#666}
img.figure{max-width:100%;border:1px solid #ddd;margin:0.5em 0}
pre{background:#f6f6f6;padding:0.5em;white-space:pre-wrap;word-break:break-all;font-size:0.8em;margin:0}
"""


def render_html(
    table: pd.DataFrame,
    runs: dict[str, dict[str, Any]],
    scenarios: dict[str, float],
    quick: bool,
    total_s: float,
) -> str:
    """Render the self-contained HTML page."""
    esc = html.escape
    head = "".join(f"<th>{esc(n)}<br>{mg:g} mM</th>" for n, mg in scenarios.items())
    body = []
    for _, r in table.iterrows():
        cls = {"yes": "yes", "no": "no"}.get(r["agrees"], "nc")
        vals = "".join(
            f'<td class="num">{"" if not np.isfinite(r[n]) else f"{r[n]:.4g}"}</td>'
            for n in scenarios
        )
        body.append(
            f"<tr><td><b>{esc(r['symptom'])}</b><br><small>{esc(r['seed_cause'])}</small></td>"
            f"<td>{esc(r['measure'] or '—')}<br><small>{esc(r['protocol'])}"
            f"{' / ' + esc(r['feature']) if r['feature'] else ''}</small></td>{vals}"
            f"<td>{esc(r['predicted'])}</td><td>{esc(r['model'])}</td>"
            f'<td class="{cls}">{esc(r["agrees"])}</td><td><small>{esc(r["note"])}</small></td></tr>'
        )
    figures, prov = [], []
    for name, info in runs.items():
        if "path" not in info:
            figures.append(f"<h3>{esc(name)}</h3><p>Protocol not available in this build.</p>")
            continue
        title = get_protocol(name).title
        figures.append(f"<h3>{esc(name)}: {esc(title)}</h3>")
        figures.extend(_img(p) for p in info["figures"])
        attrs = read_attrs(info["path"])
        params = read_parameters(info["path"])
        prov.append(
            f"<tr><td>{esc(name)}</td><td class='num'>{info['seconds']:.1f}</td>"
            f"<td>{esc(str(attrs.get('seed')))}</td><td>{esc(Path(info['path']).name)}</td>"
            f"<td>{esc(str(attrs.get('mechanisms_hash')))}</td>"
            f"<td><pre>{esc(json.dumps(params.get('values', params), indent=None))}</pre></td></tr>"
        )
    versions = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in _versions().items()
    )
    created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mgneuron scenario report</title><style>{_CSS}</style></head>
<body>
<h1>mgneuron: magnesium scenarios, from symptom to model measure</h1>
<p>Scenarios (extracellular [Mg]o at 2 mM [Ca]o): {esc(", ".join(f"{n} {mg:g} mM" for n, mg in scenarios.items()))}.
{"Quick (reduced) grids." if quick else "Full grids."} Created {created}; total run time {total_s:.0f} s.
Every number in the table is read back from the HDF5 files beside this page.</p>
<h2>Deficiency symptoms and the model measures that stand for them</h2>
<table id="summary"><thead><tr><th>symptom (seed)</th><th>model measure</th>{head}
<th>seed predicts (deficiency)</th><th>model gives</th><th>agrees</th><th>note</th></tr></thead>
<tbody>{"".join(body)}</tbody></table>
<h2>Figures, one per protocol</h2>
{"".join(figures)}
<h2>Provenance</h2>
<table id="provenance"><thead><tr><th>protocol</th><th>run time (s)</th><th>seed</th><th>file</th>
<th>mechanisms</th><th>parameters</th></tr></thead><tbody>{"".join(prov)}</tbody></table>
<table id="versions"><thead><tr><th>software</th><th>version</th></tr></thead><tbody>{versions}</tbody></table>
<p id="render-check">figures decoded: <span id="decoded">0</span></p>
<script>
window.addEventListener('load', function () {{
  var n = 0; document.querySelectorAll('img.figure').forEach(function (im) {{
    if (im.complete && im.naturalWidth > 0) {{ n += 1; im.dataset.width = im.naturalWidth; }}
  }});
  document.getElementById('decoded').textContent = n + ' of ' +
    document.querySelectorAll('img.figure').length;
}});
</script>
</body></html>
"""


def build_report(
    out_dir: str | Path,
    scenarios: Sequence[str] = DEFAULT_SCENARIOS,
    quick: bool = False,
    workers: int = 1,
    steps: Sequence[ReportStep] = STEPS,
    log=print,
    overwrite: bool = False,
) -> Path:
    """Run the protocols, then write ``report.html`` and ``summary.csv`` into ``out_dir``.

    ``overwrite`` replaces the results files of an earlier report in ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mg = _scenario_mg(scenarios)
    if "normal" not in mg:
        raise ProtocolError("the scenarios must include 'normal' (the reference)")
    start = time.perf_counter()
    runs = run_steps(out_dir, mg, quick, workers, steps, log, overwrite=overwrite)
    table = summary_table(runs, mg)
    table.to_csv(out_dir / "summary.csv", index=False)
    page = render_html(table, runs, mg, quick, time.perf_counter() - start)
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``mgneuron report``."""
    parser = argparse.ArgumentParser(
        prog="mgneuron report",
        description="Run every protocol at each [Mg]o scenario and write an HTML report.",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(DEFAULT_SCENARIOS),
        help=f"comma-separated bath presets [default: {','.join(DEFAULT_SCENARIOS)}]",
    )
    parser.add_argument("--quick", action="store_true", help="reduced grids (< 5 min)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the results files an earlier report left in --out",
    )
    args = parser.parse_args(argv)
    try:
        names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        path = build_report(args.out, names, args.quick, args.workers, overwrite=args.overwrite)
    except MgNeuronError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {path.resolve()}")
    return 0
