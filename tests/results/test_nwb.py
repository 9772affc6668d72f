"""NWB export (mgneuron.results.nwb): schema-valid, and reads back to the same numbers.

References: pynwb's schema validator and nwbinspector (no ERROR or PYNWB_VALIDATION
message), and the results file itself, read with read_traces / read_spikes: every trace
value equal (float32 as stored), times and spike times equal within float64 rounding
of the ms -> s conversion (rtol 1e-12).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mgneuron.errors import ResultsError
from mgneuron.results import read_conditions, read_features, read_spikes, read_traces
from mgneuron.runner import run

pynwb = pytest.importorskip("pynwb")
from mgneuron.results.nwb import export_nwb, nwb_errors  # noqa: E402

SMALL_NET = {"n_exc": 40, "n_inh": 10, "tstop": 600.0, "t_discard": 100.0}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, h):
    d = tmp_path_factory.mktemp("nwb")
    return {
        "nmda_iv": run(
            "nmda_iv", d / "iv.h5", sweep={"mg": [0.0, 1.0]}, block_model=0, v_step=20.0,
            tstop=40.0,
        ),
        "epsp_mg": run("epsp_mg", d / "e.h5", mg=[0.5, 1.0], tstop=60.0),
        "low_mg_network": run("low_mg_network", d / "n.h5", mg=[0.0], ca=2.0, **SMALL_NET),
    }  # fmt: skip


def _inspector_errors(path) -> list[str]:
    from nwbinspector import Importance, inspect_nwbfile

    bad = (Importance.ERROR, Importance.PYNWB_VALIDATION)
    return [
        f"{m.check_function_name}: {m.message}"
        for m in inspect_nwbfile(nwbfile_path=str(path))
        if m.importance in bad
    ]


@pytest.mark.parametrize("protocol", ["nmda_iv", "epsp_mg", "low_mg_network"])
def test_export_is_valid_and_round_trips(runs, protocol, tmp_path):
    res = runs[protocol]
    out = export_nwb(res, tmp_path / f"{protocol}.nwb")
    assert nwb_errors(out) == []
    assert _inspector_errors(out) == []
    traces, spikes = read_traces(res), read_spikes(res)
    if protocol != "low_mg_network":
        assert len(traces) > 0  # control: the traces are compared below
    keys = ("condition_id", "population", "node_id", "element_id", "t_ms", "location")
    value = [c for c in traces.columns if c not in keys]
    with pynwb.NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        sim = nwb.processing["simulation"]
        # provenance
        notes = json.loads(nwb.notes)
        assert notes["protocol"] == protocol and notes["parameters"]["protocol"] == protocol
        assert notes["mgneuron_version"] and notes["neuron_version"] and "seed" in notes
        # conditions and features tables
        conds = sim["conditions"].to_dataframe()
        assert list(conds["condition_id"]) == list(read_conditions(res)["condition_id"])
        assert len(sim["features"].to_dataframe()) == len(read_features(res))
        # traces: every (condition, population) series, element by element
        elements = sim["compartments"].to_dataframe() if len(traces) else None
        n_checked = 0
        for (cid, pop), frame in traces.groupby(["condition_id", "population"]):
            ts = sim[f"{pop}_condition{cid}"]
            data = ts.data[:]
            rows = elements[elements["series"] == ts.name].sort_values("column")
            t = ts.starting_time + np.arange(data.shape[0]) / ts.rate
            for col, (node, elem) in enumerate(
                zip(rows["node_id"], rows["element_id"], strict=True)
            ):
                ref = frame[(frame["node_id"] == node) & (frame["element_id"] == elem)]
                assert np.array_equal(data[:, col], ref[value[0]].to_numpy())
                assert np.allclose(t * 1e3, ref["t_ms"].to_numpy(), rtol=1e-12, atol=1e-9)
                n_checked += 1
            if "location" in frame:
                assert set(rows["location"]) == set(frame["location"])
            units = value[0].rsplit("_", 1)[-1]
            if units == "mV":
                assert ts.unit == "volts" and ts.conversion == pytest.approx(1e-3)
        assert n_checked == traces.groupby(["condition_id", "population", "node_id",
                                            "element_id"]).ngroups  # fmt: skip
        # spikes: the units table holds every spike of every cell
        if len(spikes):
            units_df = nwb.units.to_dataframe()
            got = sorted(
                (int(r.condition_id), r.population, int(r.node_id), float(t) * 1e3)
                for r in units_df.itertuples()
                for t in r.spike_times
            )
            want = sorted(
                (int(c), p, int(n), float(t))
                for c, p, n, t in spikes[
                    ["condition_id", "population", "node_id", "t_ms"]
                ].itertuples(index=False)
            )
            assert [g[:3] for g in got] == [w[:3] for w in want]
            assert np.allclose([g[3] for g in got], [w[3] for w in want], rtol=1e-12)
        else:
            assert nwb.units is None
    if protocol == "low_mg_network":
        assert len(spikes) > 0  # control: the network test exercises the units table


def test_refuses_to_clobber_and_unfinished_files(runs, tmp_path):
    out = tmp_path / "x.nwb"
    export_nwb(runs["nmda_iv"], out)
    with pytest.raises(ResultsError, match="exists"):
        export_nwb(runs["nmda_iv"], out)
    export_nwb(runs["nmda_iv"], out, overwrite=True)
    with pytest.raises(ResultsError, match="does not exist"):
        export_nwb(tmp_path / "missing.h5", tmp_path / "y.nwb")
