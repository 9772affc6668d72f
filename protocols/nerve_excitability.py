"""Nerve excitability tests (TROND threshold tracking) on human motor and sensory axons vs [Mg]o.

Methods
-------
1. *Axon.* The human myelinated axon of threshold tracking, one node and one internode
   (Bostock's equivalent circuit with the HCN current of Howells, Trevillion, Bostock &
   Burke 2012, J Physiol 590:1625; :mod:`mgneuron.axon.human`), ``fibre`` motor or
   sensory, 37 degC, in a bath of [Mg]o (swept) and [Ca]o. Every gated channel feels the
   bath through divalent surface-charge screening (``mechanisms/surface_charge.inc``);
   ``shift_mV`` is the gating shift of the bath. Leak, pump and reversal potentials do not
   move. ``screening`` chooses the screening set-up (default: as configured, in which
   Ca2+ and Mg2+ are equally potent; ``gcg_binding``: McLaughlin et al. 1981 binding,
   Ca2+ 1.45 times as potent as Mg2+; :func:`mgneuron.screening.screening_changes`).
2. *Threshold tracking.* Test pulses and conditioning currents are injected into the
   node; a trial is one run from the steady state of the bath, and a response is a spike
   at the node (upward through -20 mV) from the test onset to 2 ms after its end. A
   threshold is the smallest test current that fires (bracketing then bisection to
   ``rel_tol``, :func:`mgneuron.measures.find_rheobase`): the single-axon equivalent of
   the TROND target (40 % of the maximal CMAP/SNAP; Kiernan, Burke, Andersen & Bostock
   2000, Muscle Nerve 23:399; Bostock, Cikurel & Burke 1998, Muscle Nerve 21:137).
   ``threshold_nA`` is the control threshold of a ``test_ms`` (1 ms) pulse.
3. *Stimulus-response*: of one axon it is a step at its threshold (all or none); the
   graded nerve curve reflects the spread of thresholds over the fibres of a nerve,
   which is not modelled, so it is not reported.
4. *Strength-duration*: thresholds of ``sd_durations_ms``; ``rheobase_nA`` and
   ``sdtc_ms`` by Weiss's law through the shortest and the longest
   (:func:`mgneuron.measures.weiss_fit`; TROND: 0.2 and 1 ms).
5. *Threshold electrotonus*: conditioning currents of +/- ``te_pct`` % of the control
   threshold for ``te_ms`` (100 ms) from t = 1 ms; the test at ``te_delays_ms`` after
   their onset. ``ted40_pct`` = TEd(10-20 ms) and ``teh40_pct`` = TEh(90-100 ms), the
   mean threshold reduction over the delays in those windows (TROND's definitions);
   also ``ted40_late_pct`` = TEd(90-100 ms) and ``teh40_early_pct`` = TEh(10-20 ms).
6. *Current-threshold (I/V)*: conditioning currents ``iv_levels_pct`` for ``iv_ms``
   (200 ms), the test ending with them; ``iv_slope`` = the resting I/V slope
   (:func:`mgneuron.measures.nerve_excitability.iv_slope`: current % per threshold-
   reduction % through -10, 0, +10 %).
7. *Recovery cycle*: a supramaximal conditioning pulse (``rc_factor`` x the control
   threshold, ``test_ms`` long, it always fires) and the test at ``rc_intervals_ms``
   (onset to onset). ``refractoriness_pct`` = threshold change at 2.5 ms,
   ``superexcitability_pct`` = the most negative change over 4-15 ms,
   ``subexcitability_pct`` = the largest over 20-60 ms.
8. *After-discharge* ``after_spikes``: spikes after the first in ``after_ms`` following
   one recovery-cycle conditioning pulse (repetitive firing of a motor axon is the nerve
   side of cramps and fasciculation).

Features (one row per condition): ``fibre, mg_mM, ca_mM, shift_mV, rest_mV,
settle_spikes, settle_drift_mV`` (spontaneous spikes and drift of the node over the
2 s that find the rest: both 0 at a true rest),
threshold_nA, rheobase_nA, sdtc_ms, ted40_pct, ted40_late_pct, teh40_pct,
teh40_early_pct, iv_slope, refractoriness_pct, superexcitability_pct,
subexcitability_pct, after_spikes``, and the curves: ``sd{k}_ms``/``sd{k}_nA``, ``ted{k}_ms``/
``ted{k}_pct``, ``teh{k}_ms``/``teh{k}_pct``, ``iv{k}_current_pct``/``iv{k}_pct``,
``rc{k}_ms``/``rc{k}_pct``. Table ``curves``: the curves in long form. Rheobase and
thresholds are currents into the node (nA), not the mA of surface stimulation.
Normative comparison and the [Mg]o/[Ca]o findings: docs/guide.md, "Protocol notes:
nerve_excitability".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgneuron.axon.human import FIBRES, human_axon_spec
from mgneuron.cli import protocol_main
from mgneuron.environment import Environment
from mgneuron.errors import ProtocolError
from mgneuron.measures import weiss_fit
from mgneuron.measures.nerve_excitability import (
    iv_slope,
    threshold_change_pct,
    value_at,
    window_extreme,
    window_mean,
)
from mgneuron.preparations.threshold_tracking import threshold_tracking
from mgneuron.runner import ConditionResult, Param, Protocol, ca_param, mg_param
from mgneuron.runner.params import celsius_param, screening_param

FIBRE_NAMES = tuple(FIBRES)
T0_MS = 1.0  # onset of the conditioning current / of the control test (ms)
#: TROND-like sampling of the curves (the windows of the indices are always sampled).
TE_DELAYS = (0.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 70.0, 90.0, 95.0, 99.0,
             101.0, 105.0, 110.0, 120.0, 150.0)  # fmt: skip
IV_LEVELS = (50.0, 40.0, 30.0, 20.0, 10.0, 0.0, -10.0, -20.0, -30.0, -40.0, -50.0, -60.0,
             -70.0, -80.0, -90.0, -100.0)  # fmt: skip
RC_INTERVALS = (2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 7.9, 10.0, 13.0, 18.0, 25.0, 32.0, 40.0, 50.0,
                63.0, 79.0, 100.0, 200.0)  # fmt: skip
SD_DURATIONS = (0.2, 0.4, 0.6, 0.8, 1.0)
#: What ``quick=True`` replaces: fewer points (each index window still sampled), coarser
#: time step and tolerance.
QUICK = {
    "dt": 0.025, "rel_tol": 0.01, "sd_durations_ms": "0.2,1", "te_delays_ms": "10,15,20,90,95,99",
    "iv_levels_pct": "10,0,-10", "rc_intervals_ms": "2.5,4,6.3,10,25,40",
}  # fmt: skip


def _text(values) -> str:
    return ",".join(f"{v:g}" for v in values)


def floats(p, name: str, minimum: float | None = None) -> list[float]:
    """The comma-separated numbers of parameter ``name`` of ``p``, checked."""
    text = getattr(p, name)
    try:
        out = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ProtocolError(
            f"nerve_excitability: --{name.replace('_', '-')} must be comma-separated numbers, "
            f"got {text!r}"
        ) from None
    bad = [x for x in out if not np.isfinite(x) or (minimum is not None and x < minimum)]
    if not out or bad:
        raise ProtocolError(
            f"nerve_excitability: --{name.replace('_', '-')} needs finite numbers"
            f"{'' if minimum is None else f' >= {minimum:g}'}, got {text!r}"
        )
    return out


class NerveExcitability(Protocol):
    """TROND nerve excitability tests of human motor and sensory axons vs [Mg]o and [Ca]o."""

    name = "nerve_excitability"
    title = "Nerve excitability tests (threshold tracking) of human axons vs [Mg]o"
    params = (
        Param("fibre", FIBRE_NAMES, "", "human axon: motor, sensory", str, grid=True,
              choices=FIBRE_NAMES),
        mg_param((0.5, 1.0, 2.0), "[Mg]o"),
        ca_param((2.0,), "[Ca]o (swept)"),
        celsius_param(37.0, "temperature of the axon"),
        Param("rel_tol", 0.005, "", "relative tolerance of every threshold bisection", float,
              minimum=1e-6),
        Param("test_ms", 1.0, "ms", "test pulse duration (TE, I/V, recovery cycle)", float,
              minimum=0.01),
        Param("sd_durations_ms", _text(SD_DURATIONS), "ms",
              "strength-duration pulse durations, comma-separated (Weiss's law: shortest "
              "and longest)", str),
        Param("te_pct", 40.0, "%", "threshold electrotonus: conditioning current", float,
              minimum=0.0),
        Param("te_ms", 100.0, "ms", "threshold electrotonus: conditioning duration", float,
              minimum=1.0),
        Param("te_delays_ms", _text(TE_DELAYS), "ms",
              "threshold electrotonus: test delays from the conditioning onset, comma-separated",
              str),
        Param("iv_ms", 200.0, "ms", "current-threshold: conditioning duration", float,
              minimum=1.0),
        Param("iv_levels_pct", _text(IV_LEVELS), "%",
              "current-threshold: conditioning currents, comma-separated", str),
        Param("rc_intervals_ms", _text(RC_INTERVALS), "ms",
              "recovery cycle: conditioning-test intervals (onset to onset), comma-separated",
              str),
        Param("rc_factor", 3.0, "", "recovery cycle: conditioning pulse / control threshold",
              float, minimum=1.0),
        Param("after_ms", 100.0, "ms", "after-discharge: window after a supramaximal pulse",
              float, minimum=1.0),
        screening_param(),
        Param("quick", False, "", "fewer points, dt 0.025 ms, 1 % tolerance (report --quick)",
              bool),
    )  # fmt: skip
    defaults = {"dt": 0.01, "tstop": 1.0}

    @classmethod
    def check_condition(cls, p):
        """Refuse a strength-duration run with fewer than two durations, a test longer
        than the conditioning current, and recovery-cycle intervals shorter than the test."""
        super().check_condition(p)
        if len(set(floats(p, "sd_durations_ms", 0.01))) < 2:
            raise ProtocolError(
                "nerve_excitability: --sd-durations-ms needs two different durations "
                f"(Weiss's law), got {p.sd_durations_ms!r}"
            )
        floats(p, "te_delays_ms", 0.0)
        floats(p, "iv_levels_pct")
        if p.test_ms > p.iv_ms or p.test_ms > p.te_ms:
            raise ProtocolError(
                f"nerve_excitability: the test pulse ({p.test_ms} ms) must fit inside the "
                f"conditioning currents (te_ms {p.te_ms}, iv_ms {p.iv_ms})"
            )
        short = [x for x in floats(p, "rc_intervals_ms", 0.0) if x < p.test_ms]
        if short:
            raise ProtocolError(
                f"nerve_excitability: recovery-cycle intervals {short} ms are shorter than "
                f"the conditioning pulse ({p.test_ms} ms)"
            )

    def run_condition(self, p):
        if p.quick:
            p = p.replace(**QUICK)
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        with threshold_tracking(
            human_axon_spec(p.fibre), bath, celsius=p.celsius, dt=p.dt, screening=p.screening
        ) as tr:  # fmt: skip
            row = _battery(tr, p)
            row = {"fibre": p.fibre, "mg_mM": p.mg_mM, "ca_mM": p.ca_mM,
                   "shift_mV": tr.shift_mV, **row}  # fmt: skip
        return ConditionResult(features=[row])

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """The curves in long form: ``fibre, mg_mM, ca_mM, test, x, y``."""
        if features.empty:
            return {}
        specs = (
            ("sd", "sd{k}_ms", "sd{k}_nA"),
            ("te_depolarising", "ted{k}_ms", "ted{k}_pct"),
            ("te_hyperpolarising", "teh{k}_ms", "teh{k}_pct"),
            ("iv", "iv{k}_current_pct", "iv{k}_pct"),
            ("rc", "rc{k}_ms", "rc{k}_pct"),
        )
        rows = []
        for _, r in features.iterrows():
            for test, xs, ys in specs:
                k = 0
                while xs.format(k=k) in r and pd.notna(r[xs.format(k=k)]):
                    rows.append({"fibre": r["fibre"], "mg_mM": r["mg_mM"], "ca_mM": r["ca_mM"],
                                 "test": test, "x": float(r[xs.format(k=k)]),
                                 "y": float(r[ys.format(k=k)])})  # fmt: skip
                    k += 1
        return {"curves": pd.DataFrame(rows)}

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.nerve_excitability import plot_nerve_excitability

        return [plot_nerve_excitability(path, figure_path(path, out_dir))]


def _battery(tr, p) -> dict:
    """Every test of the battery on one built axon; the feature row (less the bath)."""
    tol, dur, row = p.rel_tol, p.test_ms, {}
    tr.run((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), T0_MS, record=True)
    row["rest_mV"] = tr.rest_mV
    row["settle_spikes"] = tr.settle_spikes
    row["settle_drift_mV"] = tr.settle_drift_mV
    i0 = tr.threshold(T0_MS, dur, 1.0, tol)
    row["threshold_nA"] = i0
    # Strength-duration (Weiss's law through the shortest and longest pulse).
    durs = sorted(set(floats(p, "sd_durations_ms", 0.01)))
    sd = {d: (i0 if d == dur else tr.threshold(T0_MS, d, i0 * (1 + 0.5 / d), tol)) for d in durs}
    rheo, sdtc = weiss_fit(durs[0], sd[durs[0]], durs[-1], sd[durs[-1]])
    row.update(rheobase_nA=rheo, sdtc_ms=sdtc)
    for k, d in enumerate(durs):
        row[f"sd{k}_ms"], row[f"sd{k}_nA"] = d, sd[d]
    # Threshold electrotonus.
    delays = sorted(set(floats(p, "te_delays_ms", 0.0)))
    for tag, sign in (("ted", 1.0), ("teh", -1.0)):
        cond = (sign * p.te_pct / 100.0 * i0, T0_MS, p.te_ms)
        red = [-threshold_change_pct(tr.threshold(T0_MS + d, dur, i0, tol, cond), i0)
               for d in delays]  # fmt: skip
        for k, (d, r) in enumerate(zip(delays, red, strict=True)):
            row[f"{tag}{k}_ms"], row[f"{tag}{k}_pct"] = d, float(r)
        early = window_mean(delays, red, 10.0, 20.0)
        late = window_mean(delays, red, 90.0, 100.0)
        if tag == "ted":
            row.update(ted40_pct=early, ted40_late_pct=late)
        else:
            row.update(teh40_pct=late, teh40_early_pct=early)
    # Current-threshold relation: the test ends with the conditioning current.
    levels = sorted(set(floats(p, "iv_levels_pct")), reverse=True)
    red = []
    for c in levels:
        if c == 0.0:
            red.append(0.0)
            continue
        cond = (c / 100.0 * i0, T0_MS, p.iv_ms)
        thr = tr.threshold(T0_MS + p.iv_ms - dur, dur, i0, tol, cond)
        red.append(float(-threshold_change_pct(thr, i0)))
    for k, (c, r) in enumerate(zip(levels, red, strict=True)):
        row[f"iv{k}_current_pct"], row[f"iv{k}_pct"] = c, r
    row["iv_slope"] = iv_slope(levels, red)
    # Recovery cycle.
    intervals = sorted(set(floats(p, "rc_intervals_ms", 0.0)))
    cond = (p.rc_factor * i0, T0_MS, dur)
    change = [float(threshold_change_pct(tr.threshold(T0_MS + x, dur, i0, tol, cond), i0))
              for x in intervals]  # fmt: skip
    for k, (x, c) in enumerate(zip(intervals, change, strict=True)):
        row[f"rc{k}_ms"], row[f"rc{k}_pct"] = x, c
    row["refractoriness_pct"] = value_at(intervals, change, 2.5)
    row["superexcitability_pct"] = window_extreme(intervals, change, 4.0, 15.0, "min")
    row["subexcitability_pct"] = window_extreme(intervals, change, 20.0, 60.0, "max")
    # After-discharge: spikes after the first one of a supramaximal pulse.
    spikes = tr.run(cond, (0.0, 0.0, 0.0), T0_MS + p.after_ms)
    row["after_spikes"] = max(int(spikes.size) - 1, 0)
    return row


def main(argv=None) -> int:
    return protocol_main(NerveExcitability, argv)


if __name__ == "__main__":
    raise SystemExit(main())
