"""Test protocols shared by the runner, engine and MPI tests.

Importable as ``tests.runner._protocols`` so that worker processes, MPI ranks
(tests/runner/test_mpi.py) and killed subprocesses can unpickle them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from mgneuron.engine import RunSettings, Simulation, gather_spikes, local_gids, rank_info
from mgneuron.engine import run as simulate
from mgneuron.results import Report, Spikes
from mgneuron.runner import ConditionResult, Param, Protocol, streaming_recorder


def hh_cell(h, amp_nA: float):
    """A one-compartment HH cell driven by a current step (squid, 6.3 degC)."""
    sec = h.Section(name="hhcell")
    sec.L = sec.diam = 20.0
    sec.insert("hh")
    clamp = h.IClamp(sec(0.5))
    clamp.delay, clamp.dur, clamp.amp = 5.0, 1e9, amp_nA
    return sec, clamp


class Spiky(Protocol):
    """HH cell under a current step, plus a Random123 draw: every global matters.

    Features depend on dt, celsius and tstop (set by RunSettings in each condition) and
    on the per-condition seed, so a worker that did not re-apply NEURON's globals or
    drew from another stream would give different numbers.
    """

    name = "spiky"
    title = "test protocol: HH spikes"
    params = (
        Param("amp_nA", (0.05, 0.1, 0.2, 0.4), "nA", "step amplitude", float, grid=True),
        Param("celsius", 6.3, "degC", "temperature", float),
        Param("stream", False, "", "stream the trace in chunks", bool),
        Param("hang_on", -1, "", "condition id that waits for a marker file", int),
        Param("long_on", -1, "", "condition id that simulates 1e7 ms (after a marker)", int),
        Param("cvode", False, "", "variable time step", bool),
        Param("apcount", True, "", "count spikes with an APCount (CoreNEURON has none)", bool),
        Param("fail_on", -1.0, "nA", "amplitude that raises", float),
        Param("crash_on", -1.0, "nA", "amplitude that kills its process", float),
    )
    defaults = {"tstop": 60.0}

    def run_condition(self, p):
        from neuron import h

        if p.amp_nA == p.fail_on:
            raise RuntimeError(f"condition with {p.amp_nA} nA breaks on purpose")
        if p.amp_nA == p.crash_on:
            os._exit(3)  # a worker dying mid-condition (NEURON abort, OOM kill)
        marker = os.environ.get("MGNEURON_TEST_MARKER")
        if marker and p.condition_id == p.hang_on:
            Path(marker).write_text(str(p.condition_id))
            time.sleep(120)  # killed here by the test
        tstop = p.tstop
        if marker and p.condition_id == p.long_on:
            Path(marker).write_text(str(p.condition_id))
            tstop = 1e7  # interrupted during the NEURON run by the test
        settings = RunSettings(tstop=tstop, dt=p.dt, celsius=p.celsius, v_init=-65, cvode=p.cvode)
        sec, clamp = hh_cell(h, p.amp_nA)
        apc = h.APCount(sec(0.5)) if p.apcount else None
        r = h.Random()
        r.Random123(p.condition_seed % 2**32, 7)
        r.uniform(0, 1)
        if p.stream:
            rec = streaming_recorder(
                [sec(0.5)._ref_v, sec(0.5).hh._ref_m],
                settings,
                interval=0.1,
                chunk_ms=7.0,
                node_ids=[0],
                element_ids=[0, 1],
                variable="state",
                units="1",
            )
            simulate(settings, events=rec.events())
            report = rec.finish()
        else:
            sim = Simulation(settings)
            v = sim.record(sec(0.5)._ref_v, 0.1)
            m = sim.record(sec(0.5).hh._ref_m, 0.1)
            sim.run()
            data = np.stack([np.asarray(v), np.asarray(m)], axis=1)
            report = Report(data, (0.0, len(data) * 0.1, 0.1), [0], [0, 1], None, "state", "1")
        features = {
            "amp_nA": p.amp_nA,
            "n_spikes": int(apc.n) if apc is not None else -1,
            "v_end_mV": float(sec(0.5).v),
            "draw": float(r.repick()),
            "globalindex": float(h.Random().Random123_globalindex()),
            "celsius_seen": float(h.celsius),
            "dt_seen": float(h.dt),
        }
        return ConditionResult(features=[features], reports={"cell": report})


class Ring(Protocol):
    """A ring of HH cells, cells dealt round-robin over ranks (``distributed``)."""

    name = "ring"
    title = "test protocol: distributed ring network"
    distributed = True
    params = (
        Param("n_cells", 5, "", "cells in the ring", int),
        Param("w_uS", (0.05, 0.1), "uS", "synaptic weight", float, grid=True),
    )
    defaults = {"tstop": 80.0}

    def run_condition(self, p):
        from neuron import h

        info = rank_info()
        pc = h.ParallelContext()
        cells = {}
        for gid in local_gids(p.n_cells, info):
            sec = h.Section(name=f"ring{gid}")
            sec.L = sec.diam = 20.0
            sec.insert("hh")
            syn = h.ExpSyn(sec(0.5))
            syn.tau = 2.0
            pc.set_gid2node(gid, info.rank)
            det = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
            det.threshold = 0.0
            pc.cell(gid, det)
            cells[gid] = (sec, syn, det)
        links = []
        for gid, (_, syn, _) in cells.items():
            nc = pc.gid_connect((gid - 1) % p.n_cells, syn)
            nc.weight[0], nc.delay = p.w_uS, 2.0
            links.append(nc)
        stim = h.NetStim()
        stim.start, stim.number = 5.0, 1
        kick = h.NetCon(stim, cells[0][1], 0, 1.0, 0.2) if 0 in cells else None
        tvec, gvec = h.Vector(), h.Vector()
        pc.spike_record(-1, tvec, gvec)
        simulate(RunSettings(tstop=p.tstop, dt=p.dt, celsius=6.3, v_init=-65))
        spikes = gather_spikes(tvec, gvec)
        pc.gid_clear()
        del links, kick, cells
        if spikes is None:  # not rank 0: rank 0 writes
            return ConditionResult()
        t, g = spikes
        return ConditionResult(
            features=[{"n_spikes": len(t), "ranks": info.nhost}],
            spikes={"ring": Spikes(t, g)},
        )
