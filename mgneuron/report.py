"""Scenario report: normal vs deficient vs therapeutic [Mg]o, from seed symptom to measure.

``mgneuron report --out DIR`` runs every protocol at each scenario's [Mg]o through the
sweep API (one HDF5 file per protocol), draws each protocol's figure, and writes a
self-contained ``report.html`` (figures embedded as PNG, no network access needed) with

* a summary table, one row per symptom of the seed's deficiency table, giving the model
  measure that stands for it, its value per scenario (read back from the HDF5 files), the
  direction the seed predicts in deficiency and the direction the model gives; symptoms the
  model does not cover are said to be not covered, with no invented proxy;
* per symptom row whose measure is monotone in [Mg]o over at least five concentrations,
  a Hill fit of the measure against [Mg]o (IC50/EC50 with a bootstrap 95 % interval,
  :func:`mgneuron.fit.dose_response`), stored in the protocol's results file as
  ``/tables/dose_response_<feature>`` and drawn;
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
from mgneuron.errors import FitDataError, MgNeuronError, ProtocolError
from mgneuron.fit import dose_response
from mgneuron.plots.fit import plot_dose_response
from mgneuron.results import read_attrs, read_features, read_parameters
from mgneuron.results.tables import add_table
from mgneuron.runner import get_protocol, list_protocols, run

__all__ = [
    "ReportStep",
    "Measure",
    "STEPS",
    "MEASURES",
    "DEFAULT_SCENARIOS",
    "build_report",
    "measure_values",
    "measure_dose_response",
    "main",
]

DEFAULT_SCENARIOS = ("normal", "hypomagnesemia", "severe_hypomagnesemia", "therapeutic")
#: Distinct [Mg]o values a symptom measure needs for a Hill fit (4 parameters + 1)
DOSE_RESPONSE_MIN_MG = 5


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
    versus : str
        ``"deficiency"`` (default): the direction compares the lowest-[Mg]o scenario with
        normal; ``"excess"``: the highest-[Mg]o scenario with normal (rows about too much
        Mg2+, such as the therapeutic window).
    """

    symptom: str
    seed_cause: str
    protocol: str | None
    feature: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    predicted: int = 0
    note: str = ""
    versus: str = "deficiency"


STEPS: tuple[ReportStep, ...] = (
    ReportStep("nmda_iv", quick={"block_model": [0], "v_step": 20.0}, full={}),
    # four more [Mg]o values (under a second each) give the excitotoxicity row a Hill fit
    ReportStep("epsp_mg", quick={"tstop": 200.0}, full={}, extra_mg=(0.0, 0.1, 2.0, 4.0)),
    ReportStep("release_mg", quick={"ca_mM": [1.0, 2.0, 4.0]}, full={}),
    ReportStep("inhibition_mg", quick={"tstop": 1000.0}, full={}),
    ReportStep("excitability_mg", quick={"quick": True}, full={}),
    ReportStep(
        "conduction",
        quick={"quick": True, "discretization": "mrg2002", "threshold": False, "safety": False},
        full={},
    ),
    ReportStep("neuromuscular", quick={"n_trials": 10}, full={}, extra_mg=(2.0, 4.0, 6.0)),
    ReportStep("nerve_excitability", quick={"quick": True}, full={}),
    ReportStep(
        "low_mg_network", quick={"tstop": 2000.0, "ca": [2.0]}, full={"ca": [2.0]}, extra_mg=(0.1,)
    ),
    ReportStep(
        "spreading_depolarization",
        quick={"threshold_tol_mM": 1.0, "k_bolus_max_mM": 30.0, "tstop": 30000.0},
        full={},
    ),
)

MEASURES: tuple[Measure, ...] = (
    Measure(
        "Muscle cramps and spasms",
        "Impaired muscle relaxation: too little Mg2+ to counteract Ca2+ (seed)",
        "nerve_excitability",
        "rheobase_nA",
        {"fibre": "motor"},
        "rheobase of a human motor axon, threshold tracking (nA into the node, Weiss's law "
        "from 0.2 and 1 ms pulses); lower = fires more easily",
        -1,
        "Muscle contraction itself is not modelled; the nerve side of cramps, a motor axon "
        "that fires more easily, is (human node-internode axon, Howells et al. 2012, with "
        "divalent screening). Its after-discharge (nerve_excitability after_spikes: spikes "
        "after a supramaximal pulse) stays 0 in every scenario at 2 mM Ca: the model gives "
        "a lower threshold, not spontaneous or repetitive firing (docs/guide.md, "
        "'Protocol notes: nerve_excitability').",
    ),
    Measure(
        "Numbness and tingling",
        "Neuromuscular hyperexcitability and impaired nerve signal transmission (seed)",
        "nerve_excitability",
        "rheobase_nA",
        {"fibre": "sensory"},
        "rheobase of a human sensory axon, threshold tracking (nA into the node, Weiss's "
        "law from 0.2 and 1 ms pulses); lower = more excitable",
        -1,
        "Paraesthesia arises from ectopic firing of sensory axons; the model gives the "
        "excitability indices clinicians measure (TROND). Besides the rheobase, "
        "superexcitability grows and TEh deepens slightly at low [Mg]o; no spontaneous "
        "firing at 2 mM Ca (settle_spikes 0). Ca2+ moves every index more than Mg2+ "
        "(docs/guide.md, 'Protocol notes: nerve_excitability').",
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
        "spreading_depolarization",
        "k_threshold_mM",
        {},
        "threshold KCl bolus that starts cortical spreading depolarization (SD, the event "
        "behind migraine aura) in an rxd tissue strip ([K+]o, mM); lower = more susceptible",
        -1,
        "Covered through SD (Leao's spreading depression): K+ released by depolarized "
        "neurons diffusing in the extracellular space; low Mg2+ relieves the NMDA block and "
        "lowers the threshold (Mody, Lambert & Heinemann 1987: low Mg induces SD in slices). "
        "Vasodilation and the trigeminovascular system (the headache itself) are not "
        "modelled and stay out. The SD speed is the next row.",
    ),
    Measure(
        "Migraine headaches (SD speed)",
        "Excessive vasodilation or nerve excitability (seed)",
        "spreading_depolarization",
        "sd_speed_mm_per_min",
        {"sd_started": True},
        "propagation speed of the SD wave started by a 20 mM KCl bolus (mm/min; 2-9 mm/min "
        "in cortex)",
        +1,
        "Same runs as the row above; a faster wave is a more excitable tissue.",
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
    Measure(
        "Therapeutic window (seed: supplement 'under medical guidance')",
        "Too much Mg2+ blocks the neuromuscular junction: reflexes are lost, then breathing "
        "(clinical, during magnesium sulfate therapy)",
        "neuromuscular",
        "safety_factor",
        {},
        "safety factor of neuromuscular transmission, EPP / (E_AP - E_M) (Wood & Slater "
        "2001); below 1 transmission fails",
        -1,
        "Compared here is the highest-[Mg]o scenario with normal. Mg2+ competes with Ca2+ "
        "at the motor nerve terminal (Dodge-Rahamimoff) and lowers quantal content; the "
        "model's [Mg]o is free Mg2+, about 55-70 % of total serum Mg2+. The [Mg]o where the "
        "safety factor falls below 1 and where transmission blocks, beside the clinical "
        "total serum levels of lost tendon reflexes (3.5-5 mmol/L) and respiratory "
        "paralysis (5-6.5 mmol/L; Lu & Nightingale 2000), are in the neuromuscular file's "
        "therapeutic_window table and in docs/guide.md ('Protocol notes: neuromuscular').",
        versus="excess",
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


def _measure_rows(measure: Measure, path: Path) -> pd.DataFrame:
    """Return the feature rows of a measure: its filters, [Ca]o 2 mM where there is one."""
    df = read_features(path)
    for key, value in measure.where.items():
        if key in df:
            df = df[df[key] == value]
    if "ca_mM" in df:
        df = df[np.isclose(df["ca_mM"], 2.0)]
    return df


def measure_values(measure: Measure, path: Path, scenarios: dict[str, float]) -> dict[str, float]:
    """Mean of the measure's feature over the rows of each scenario's [Mg]o (NaN if none).

    Rows at [Ca]o other than 2 mM are left out when the features have a ``ca_mM`` column.
    """
    df = _measure_rows(measure, path)
    out = {}
    for name, mg in scenarios.items():
        rows = df[np.isclose(df["mg_mM"], mg)] if "mg_mM" in df else df.iloc[0:0]
        vals = pd.to_numeric(rows[measure.feature], errors="coerce") if len(rows) else []
        out[name] = float(np.nanmean(vals)) if len(vals) else float("nan")
    return out


def measure_dose_response(
    measure: Measure, path: Path, out_dir: Path | None = None, n_boot: int = 300
) -> tuple[str, Path | None]:
    """Hill fit of a symptom measure against [Mg]o over every [Mg]o of its results file.

    Fitted (:func:`mgneuron.fit.dose_response`, bootstrap 95 % intervals) only where the
    mean of the measure per [Mg]o is strictly monotone over at least
    :data:`DOSE_RESPONSE_MIN_MG` concentrations; the table is added to ``path`` as
    ``/tables/dose_response_<feature>`` and, with ``out_dir``, drawn there.

    Returns
    -------
    text : str
        ``"IC50 0.52 mM [0.47, 0.58], Hill slope 1.3"``, or why there is no fit.
    figure : pathlib.Path or None
    """
    df = _measure_rows(measure, path)
    if "mg_mM" not in df or measure.feature not in df:
        return "no [Mg]o column", None
    pts = pd.DataFrame(
        {
            "mg_mM": pd.to_numeric(df["mg_mM"], errors="coerce"),
            measure.feature: pd.to_numeric(df[measure.feature], errors="coerce"),
        }
    ).dropna()
    means = pts.groupby("mg_mM")[measure.feature].mean()
    if len(means) < DOSE_RESPONSE_MIN_MG:
        return (
            f"{len(means)} [Mg]o values; a Hill fit needs {DOSE_RESPONSE_MIN_MG} "
            f"(run more and use `mgneuron dose-response`)",
            None,
        )
    step = np.diff(means.to_numpy())
    if not ((step > 0).all() or (step < 0).all()):
        return "not monotone in [Mg]o: no Hill fit", None
    try:
        table = dose_response(pts, measure.feature, n_boot=n_boot)
    except FitDataError as exc:
        return f"no Hill fit ({exc})", None
    add_table(path, f"dose_response_{measure.feature}", table)
    r = table.iloc[0]
    text = (
        f"{r['kind']} {r['x50']:.3g} mM [95 % CI {r['x50_low']:.3g}, {r['x50_high']:.3g}], "
        f"Hill slope {r['hill']:.2g}"
    )
    positive = means.index[means.index > 0]
    if not positive.min() <= r["x50"] <= positive.max():
        text += " (outside the [Mg]o range run: extrapolated)"
    png = None
    if out_dir is not None:
        png = plot_dose_response(
            pts,
            table,
            measure.feature,
            "mg_mM",
            None,
            Path(out_dir) / f"{Path(path).stem}_dose_response_{measure.feature}.png",
        )
    return text, png


def _direction(
    values: dict[str, float], scenarios: dict[str, float], versus: str = "deficiency"
) -> int | None:
    """Sign of (most deficient scenario - normal), or None if not computable.

    ``versus="excess"``: of (highest-[Mg]o scenario - normal) instead.
    """
    if "normal" not in values:
        return None
    if versus == "excess":
        high = [n for n, mg in scenarios.items() if mg > scenarios["normal"]]
        if not high:
            return None
        worst = max(high, key=lambda n: scenarios[n])
    else:
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


def summary_table(
    runs: dict[str, dict[str, Any]],
    scenarios: dict[str, float],
    out_dir: Path | None = None,
) -> pd.DataFrame:
    """Build the symptom table: one row per measure, values per scenario, directions.

    Each row also gets its measure's dose-response (:func:`measure_dose_response`); its
    figure, drawn in ``out_dir``, is appended to the protocol's figures in ``runs``.
    """
    rows = []
    for m in MEASURES:
        row: dict[str, Any] = {
            "symptom": m.symptom,
            "seed_cause": m.seed_cause,
            "measure": m.label,
            "protocol": m.protocol or "",
            "feature": m.feature,
            "note": m.note,
            "dose_response": "",
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
            d = _direction(values, scenarios, m.versus)
            row["predicted"] = _ARROW[m.predicted] + (" (excess)" if m.versus == "excess" else "")
            row["model"] = _ARROW[d]
            row["agrees"] = "yes" if d == m.predicted else ("n/a" if d is None else "no")
            row["dose_response"], png = measure_dose_response(m, info["path"], out_dir)
            if png is not None and "figures" in info:
                info["figures"] = [*info["figures"], png]
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
            f'<td class="{cls}">{esc(r["agrees"])}</td>'
            f"<td><small>{esc(r['dose_response'] or '—')}</small></td>"
            f"<td><small>{esc(r['note'])}</small></td></tr>"
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
<th>seed predicts (deficiency; excess where marked)</th><th>model gives</th><th>agrees</th>
<th>dose&ndash;response vs [Mg]o (Hill fit)</th><th>note</th></tr></thead>
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
    table = summary_table(runs, mg, out_dir)
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
