"""Conduction in myelinated axons: fibre diameter, demyelination, remyelination, [Mg]o.

Methods
-------
A free myelinated fibre in the double-cable form of McIntyre, Richardson & Grill 2002
(:mod:`mgneuron.axon`; ``n_internodes`` + 1 nodes, the published one-compartment-per-
segment discretization ``mrg2002`` (``--discretization converged`` for the refined one:
13-14 % slower), 37 degC, backward-Euler steps of MRG's ``dt`` = 5 us) sits in a bath of
[Mg]o and [Ca]o. Thinned myelin keeps or shrinks its outer diameter
(``outer_diameter``, :class:`mgneuron.axon.MyelinatedAxonSpec`). Three series
of conditions, each at every [Mg]o:

``diameter``
    Healthy fibres of every diameter of the MRG table (``fiber_diameter_um``).
``demyelination``
    A ``reference_diameter_um`` fibre whose internodes keep a fraction
    ``lamellae_fraction`` of their myelin lamellae (1 -> 0), on a centred lesion of
    ``extent`` internodes (0 = all internodes).
``remyelination``
    The healthy fibre and the same fibre with ``remyelinated_internodes`` central
    internodes each replaced by ``remyelination_short`` short internodes with
    ``remyelination_lamellae`` of the lamellae (preset ``remyelinated``).

Per condition (every run from the steady state of the axon in its bath, ``steady_state``
default true: large backward-Euler steps before ``t = 0``,
:mod:`mgneuron.engine.steady_state`; the first pulse comes at 0.1 ms, too early for a
baseline check, so the start is made flat instead of verified; ``rest_mV`` is node 0's
potential at ``t = 0``):

Every run stops when its answer is known (``early_stop``, default true; false runs each
to its full length, the control): the spike run once the last node has fired, or once no
node has been above -20 mV for ``FAIL_AFTER_MS`` = 2 ms (:mod:`mgneuron.axon.experiments`);
each trial of a bisection likewise once its detection node has fired (twice for the
refractory period) or the spike has failed. The cap of every run is ``tstop``.

1. A ``stim_nA`` x 0.1 ms current pulse into node 0 starts a spike; the membrane potential
   at every node is recorded (up to the last node's spike, with ``early_stop``).
   ``initiated``: node 0 fired; arrival times are the upward
   crossings of -20 mV (interpolated). ``cv_m_per_s``: path distance / time between two
   nodes away from the ends (:func:`mgneuron.measures.cv_nodes`), across the lesion when
   there is one. ``blocked``: initiated but the last node never fires. ``latency_ms``:
   stimulus onset to arrival at the last node.
2. ``threshold_nA``: the smallest 0.1 ms pulse into the middle node that sends a spike
   to the last node (bisection to ``rel_tol``; NaN when blocked).
3. ``safety_factor``: 1 / k*, k* the smallest fraction of the Na conductances of the
   nodes bordering the lesion (the middle internode's two nodes without one) that still
   lets the spike cross (:func:`mgneuron.axon.lesion_safety_factor`); < 1 where the
   lesion blocks; inf when the spike crosses even with those nodes silenced.
4. ``refractory_ms`` (diameter series, ``refractory``): the shortest interval between two
   ``stim_nA`` pulses at node 0 for which both spikes reach the last node (to 0.01 ms).

[Mg]o (and [Ca]o) act on conduction only through divalent surface-charge screening of the
node's gating (:mod:`mgneuron.screening`); ``shift_mV`` is that gating shift.

Features: ``series, preset, fiber_diameter_um, lamellae_fraction, extent, n_lesioned,
mg_mM, ca_mM, shift_mV, initiated, blocked, cv_m_per_s, cv_per_um, latency_ms,
threshold_nA, safety_factor, refractory_ms, n_nodes, rest_mV``. Tables: ``cv_vs_diameter``,
``block_boundary`` (per [Mg]o and extent: the smallest lamellae fraction that conducts
and the largest that blocks), ``remyelination``. Reports: ``nodes`` (v at every node).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from mgneuron import axon as ax
from mgneuron import measures as ms
from mgneuron.cli import protocol_main
from mgneuron.environment import PRESETS, Environment
from mgneuron.errors import ProtocolError
from mgneuron.results import Report, Spikes
from mgneuron.runner import (
    ConditionResult,
    Param,
    Protocol,
    ca_param,
    celsius_param,
    mg_param,
    record_every_param,
)
from mgneuron.runner.groups import rest_params
from mgneuron.screening import shift_mV

SERIES = ("diameter", "demyelination", "remyelination")
TABLE_DIAMETERS = tuple(row[0] for row in ax.MRG_TABLE)
PRESET_MG = tuple(sorted({env.mg_mM for env in PRESETS.values()}))
# Grid-specific parameters: they multiply only their own series.
_SERIES_PARAMS = {
    "diameter": ("fiber_diameter_um",),
    "demyelination": ("lamellae_fraction", "extent"),
    "remyelination": ("preset",),
}
QUICK = {
    "fiber_diameter_um": (5.7, 10.0, 16.0),
    "lamellae_fraction": (1.0, 0.1, 0.02),
    "extent": (1, 0),
    "n_internodes": 10,
    "refractory": False,
    "rel_tol": 0.05,
}


class Conduction(Protocol):
    """CV, block, threshold and safety factor of myelinated axons (module notes)."""

    name = "conduction"
    title = "Conduction in healthy, demyelinated and remyelinated myelinated axons"
    params = (
        Param("series", SERIES, "", "series of conditions to run", str, grid=True,
              choices=SERIES),
        mg_param(PRESET_MG),
        Param("fiber_diameter_um", TABLE_DIAMETERS, "um", "fibre diameters (diameter series)",
              float, grid=True, aliases=("diameter",), minimum=0.1),
        Param("lamellae_fraction", (1.0, 0.5, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.0), "",
              "fraction of myelin lamellae left (demyelination series)", float, grid=True,
              aliases=("lamellae",), minimum=0.0),
        Param("extent", (1, 3, 5, 0), "internodes", "lesion length, 0 = all internodes "
              "(demyelination series)", int, grid=True, minimum=0),
        Param("preset", ("healthy", "remyelinated"), "", "remyelination series", str,
              grid=True, choices=("healthy", "remyelinated")),
        ca_param(),
        celsius_param(37.0, "temperature (MRG 2002: 37)"),
        Param("reference_diameter_um", 10.0, "um", "fibre diameter of the demyelination and "
              "remyelination series", float, minimum=0.1),
        Param("n_internodes", 20, "", "internodes of the axon", int, minimum=6),
        Param("remyelinated_internodes", 1, "", "central internodes remyelinated", int,
              minimum=1),
        Param("remyelination_short", 3, "", "short internodes replacing each one", int,
              minimum=1),
        Param("remyelination_lamellae", 0.5, "", "lamellae fraction of remyelinated "
              "internodes", float, minimum=0.0),
        Param("discretization", "mrg2002", "", "mrg2002 (the published one-segment "
              "compartments) or converged (refined: 13-14 % slower)", str,
              choices=("mrg2002", "converged")),
        Param("outer_diameter", "shrinks", "", "outer diameter of thinned myelin: shrinks "
              "(d + f (D - d)) or kept (D)", str, choices=ax.OUTER_DIAMETERS),
        Param("early_stop", True, "", "end every run when its answer is known (false: "
              "full-length runs to tstop, the control)", bool),
        Param("stim_nA", 10.0, "nA", "amplitude of the 0.1 ms pulse at node 0", float,
              minimum=0.0),
        Param("rel_tol", 0.01, "", "relative tolerance of the bisections", float,
              minimum=1e-4),
        Param("threshold", True, "", "measure the threshold current", bool),
        Param("safety", True, "", "measure the safety factor", bool),
        Param("refractory", True, "", "measure the refractory period (diameter series)",
              bool),
        record_every_param(0.01, "sampling interval of the stored traces"),
        Param("quick", False, "", "reduced grids (3 diameters, 3 fractions, extents 1 and "
              "all, 10 internodes, no refractory period, bisections to 5 %)", bool),
        *rest_params(baseline=False),
    )  # fmt: skip
    defaults = {"dt": ax.DEFAULT_DT_MS, "tstop": 20.0}

    @classmethod
    def resolve(cls, overrides=None, sweep=None):
        """As :meth:`Protocol.resolve`; ``quick`` replaces the defaults of the big grids."""
        overrides = dict(overrides or {})
        quick = overrides.get("quick", False)
        if isinstance(quick, str):
            quick = quick.strip().lower() in ("1", "true", "yes", "on")
        if quick:
            for key, value in QUICK.items():
                if key not in overrides and not (sweep and key in sweep):
                    overrides[key] = list(value) if isinstance(value, tuple) else value
        return super().resolve(overrides, sweep)

    @classmethod
    def conditions(cls, values, swept):
        """The union of the series' grids (each series varies only its own parameters),
        times every other swept parameter ([Mg]o, ...)."""
        own = {name for names in _SERIES_PARAMS.values() for name in names}
        common = [n for n in swept if n not in own and n != "series"]
        neutral = {"fiber_diameter_um": None, "lamellae_fraction": 1.0, "extent": 0,
                   "preset": "healthy"}  # fmt: skip
        out = []
        for series in values["series"] if "series" in swept else [values["series"]]:
            names = _SERIES_PARAMS[series]
            grids = [values[n] if isinstance(values[n], list) else [values[n]] for n in names]
            for combo in itertools.product(*grids):
                for rest in itertools.product(*[values[n] for n in common]):
                    cond = {"series": series}
                    for n, default in neutral.items():
                        cond[n] = default
                    cond.update(zip(names, combo, strict=True))
                    if cond["fiber_diameter_um"] is None:
                        cond["fiber_diameter_um"] = values["reference_diameter_um"]
                    if series == "demyelination":
                        cond["preset"] = "demyelinated"
                    cond.update(zip(common, rest, strict=True))
                    out.append(cond)
        return out

    @classmethod
    def check_condition(cls, p):
        """Refuse a lesion longer than the axon."""
        super().check_condition(p)
        if p.series == "demyelination" and p.extent > p.n_internodes:
            raise ProtocolError(
                f"conduction: a lesion of extent {p.extent} internodes is longer than the "
                f"axon's n_internodes = {p.n_internodes}; lower --extent or raise "
                "--n-internodes"
            )

    def spec(self, p) -> ax.MyelinatedAxonSpec:
        """The axon of one condition."""
        n = p.n_internodes
        if p.series == "demyelination":
            extent = p.extent or None
            if extent is not None and extent > n:
                raise ProtocolError(f"conduction: extent {extent} > n_internodes {n}")
            states = ax.demyelinated(n, 1.0 - p.lamellae_fraction, lesion=extent)
        elif p.series == "remyelination" and p.preset == "remyelinated":
            states = ax.remyelinated(
                n, n_short=p.remyelination_short,
                lamellae_fraction=p.remyelination_lamellae,
                lesion=p.remyelinated_internodes,
            )  # fmt: skip
        else:
            states = ax.healthy(n)
        return ax.MyelinatedAxonSpec(
            p.fiber_diameter_um, states, discretization=p.discretization,
            outer_diameter=p.outer_diameter,
        )  # fmt: skip

    def run_condition(self, p):
        # 1. The axon and its bath.
        spec = self.spec(p)
        axon = ax.build_axon(spec, name="axon")
        bath = Environment(mg_mM=p.mg_mM, ca_mM=p.ca_mM)
        run = {"dt_ms": p.dt, "celsius": p.celsius, "bath": bath, "steady_state": p.steady_state}
        stops = {"early_stop": p.early_stop}
        n = axon.n_nodes

        # 2. A spike from node 0; membrane potential at every node (until the last node
        # fires or the spike has failed, with early_stop).
        t0 = 0.1
        tr = ax.run_conduction(
            axon, tstop_ms=p.tstop, stim_node=0, amp_nA=p.stim_nA, stim_times_ms=(t0,),
            stop_at_node=-1 if p.early_stop else None,
            watchdog_ms=ax.FAIL_AFTER_MS if p.early_stop else None, **run,
        )  # fmt: skip
        arrival = ms.arrival_times(tr.t_ms, tr.v_mV, -20.0, after_ms=t0)
        i0, i1 = ms.cv_nodes(n)
        cv = ms.conduction_velocity(arrival, tr.node_x_um, i0, i1)
        initiated = bool(np.isfinite(arrival[0]))
        blocked = ms.is_blocked(arrival)

        # 3. Threshold at the middle node, safety factor at the lesion, refractory period.
        threshold = math.nan
        if p.threshold and initiated and not blocked:
            threshold = ax.threshold_nA(
                axon, stim_node=n // 2, rel_tol=p.rel_tol, tstop_ms=p.tstop, **stops, **run
            )
        sf = math.nan
        if p.safety and initiated:
            sf = ax.lesion_safety_factor(
                axon, stim_node=0, amp_nA=p.stim_nA, rel_tol=p.rel_tol, **stops, **run
            )
        refractory = math.nan
        if p.refractory and p.series == "diameter" and not blocked and initiated:
            refractory = ax.refractory_period_ms(axon, p.stim_nA, tstop_ms=p.tstop, **stops, **run)

        lamellae = p.lamellae_fraction
        if p.series == "remyelination" and p.preset == "remyelinated":
            lamellae = p.remyelination_lamellae
        row = {
            "series": p.series,
            "preset": p.preset,
            "fiber_diameter_um": float(p.fiber_diameter_um),
            "lamellae_fraction": float(lamellae),
            "extent": int(p.extent),
            "n_lesioned": len(spec.lesioned),
            "mg_mM": p.mg_mM,
            "ca_mM": p.ca_mM,
            "shift_mV": float(shift_mV(p.mg_mM, p.ca_mM, celsius=p.celsius)),
            "initiated": initiated,
            "blocked": blocked,
            "cv_m_per_s": cv,
            "cv_per_um": cv / p.fiber_diameter_um,
            "latency_ms": ms.latency_ms(arrival, t0),
            "threshold_nA": threshold,
            "safety_factor": sf,
            "refractory_ms": refractory,
            "n_nodes": n,
            "rest_mV": float(tr.v_mV[0, 0]),
        }

        # 4. Traces (every record_every ms) and arrival times at the nodes.
        stride = max(1, int(round(p.record_every / p.dt)))
        data = tr.v_mV[:, ::stride].T
        every = p.dt * stride
        report = Report(
            data=data, time=(0.0, data.shape[0] * every, every), node_ids=np.arange(n),
            element_ids=np.zeros(n), index_pointers=np.arange(n + 1), variable="v",
            units="mV", element_labels=[f"node[{j}] x={x:.0f}um" for j, x in
                                        enumerate(tr.node_x_um)],
        )  # fmt: skip
        ok = np.isfinite(arrival)
        spikes = Spikes(arrival[ok], np.nonzero(ok)[0])
        axon.release()
        del axon, tr
        return ConditionResult(features=[row], reports={"nodes": report}, spikes={"nodes": spikes})

    def summarize(self, features: pd.DataFrame, values) -> dict[str, pd.DataFrame]:
        """CV vs diameter, the block boundary per extent, remyelinated vs healthy."""
        if features.empty:
            return {}
        out = {}
        d = features[features["series"] == "diameter"]
        if len(d):
            cols = ["mg_mM", "fiber_diameter_um", "cv_m_per_s", "cv_per_um", "threshold_nA",
                    "refractory_ms"]  # fmt: skip
            out["cv_vs_diameter"] = d[cols].sort_values(["mg_mM", "fiber_diameter_um"])
        dm = features[features["series"] == "demyelination"]
        if len(dm):
            rows = []
            for (mg, extent), g in dm.groupby(["mg_mM", "extent"]):
                ok = g[g["initiated"] & ~g["blocked"]]["lamellae_fraction"]
                bad = g[g["initiated"] & g["blocked"]]["lamellae_fraction"]
                rows.append(
                    {
                        "mg_mM": float(mg),
                        "extent": int(extent),
                        "n_lesioned": int(g["n_lesioned"].max()),
                        "lowest_conducting_fraction": float(ok.min()) if len(ok) else math.nan,
                        "highest_blocked_fraction": float(bad.max()) if len(bad) else math.nan,
                    }
                )
            out["block_boundary"] = pd.DataFrame(rows)
        r = features[features["series"] == "remyelination"]
        if len(r):
            out["remyelination"] = r[["mg_mM", "preset", "cv_m_per_s", "blocked",
                                      "threshold_nA", "safety_factor"]]  # fmt: skip
        return out

    def plot(self, path, out_dir):
        from mgneuron.plots.common import figure_path
        from mgneuron.plots.conduction import plot_conduction

        return [plot_conduction(path, figure_path(path, out_dir))]


def main(argv=None) -> int:
    return protocol_main(Conduction, argv)


if __name__ == "__main__":
    raise SystemExit(main())
