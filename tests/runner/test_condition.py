"""One condition, the unit of work: nothing a condition does reaches the next one.

Regression tests of the hidden state between conditions (issue: a failed condition's
recordings, the bath's temperature, ``secondorder`` and the screening GLOBALs leaked into
the conditions after it, and a misspelt parameter failed every condition instead of the
protocol). Each test says what failed with the old design (``mgneuron.simulation`` /
``mgneuron.protocol``, commit 33a33f0); each was run against that code to check it.
"""

from __future__ import annotations

import importlib
import math
import sys
import textwrap

import numpy as np
import pytest

from mgneuron.bath import apply_bath, configure_screening, current_screening
from mgneuron.engine import RunSettings, Simulation, reset, run
from mgneuron.engine.state import FRESH, FRESH_SECONDORDER, snapshot
from mgneuron.environment import Environment
from mgneuron.errors import UnknownParameterError
from mgneuron.results import read_conditions, read_features
from mgneuron.runner import ConditionResult, Param, Protocol, celsius_param, mg_param
from mgneuron.runner import run as sweep
from mgneuron.screening import ScreeningParams
from tests.runner._protocols import hh_cell

FRESH_SNAPSHOT = {**FRESH, "secondorder": float(FRESH_SECONDORDER), "cvode_active": 0.0}


class RecordThenFail(Protocol):
    """Condition 0 registers a recording and raises before its run; condition 1 records
    and runs with CVODE."""

    name = "record_then_fail"
    title = "test protocol: a failed condition's recording"
    params = (Param("step", (0, 1), "", "0: record, then raise; 1: record, CVODE run", int,
                    grid=True),)  # fmt: skip
    defaults = {"tstop": 20.0}

    def run_condition(self, p):
        from neuron import h

        sec, clamp = hh_cell(h, 0.2)
        cvode = p.step == 1
        sim = Simulation(RunSettings(tstop=p.tstop, dt=p.dt, celsius=6.3, v_init=-65, cvode=cvode))
        v = sim.record(sec(0.5)._ref_v, 0.1)
        if p.step == 0:
            raise RuntimeError("condition 0 fails after registering a recording")
        sim.run()
        v = np.asarray(v)
        return ConditionResult(features=[{"n_samples": len(v), "v_max_mV": float(v.max())}])


def test_a_failed_conditions_recording_does_not_break_the_next_cvode_run(tmp_path, h):
    """Condition 0 records and raises before running; condition 1 (same process, CVODE)
    records and runs: it succeeds, with its own samples only.

    Before: ``record()`` kept (vector, pointer) in a module-level registry that only a
    run emptied. Condition 0's entry stayed behind, its section was deleted, and
    condition 1's CVODE run re-recorded every registered vector at its interval: it
    failed with ``hoc_execerror: Invalid pointer (arg 0)``. Now the recordings belong to
    the Simulation, and go with the failed condition.
    """
    out = sweep(RecordThenFail, tmp_path / "r.h5", workers=1)
    conds = read_conditions(out)
    assert list(conds["status"]) == ["failed", "ok"], conds["error"].tolist()
    assert "fails after registering a recording" in conds.loc[0, "error"]
    feats = read_features(out)
    assert list(feats["condition_id"]) == [1]
    # t = 0, 0.1 ... 20 ms (CVODE: the sample at tstop itself if the last step reaches it)
    assert feats["n_samples"].iloc[0] in (200, 201)
    assert feats["v_max_mV"].iloc[0] > 0  # it spiked: a real trace, not a stale vector


class BathThenRun(Protocol):
    """Applies a bath before initialising, and records the temperature of the run."""

    name = "bath_then_run"
    title = "test protocol: the bath and the temperature"
    params = (celsius_param(6.3), mg_param((0.5,)))
    defaults = {"tstop": 5.0}

    def run_condition(self, p):
        from neuron import h

        sec, clamp = hh_cell(h, 0.0)
        syn = h.NMDAMg(sec(0.5))  # brings the mg ion to the segment, for the bath to set
        sim = Simulation(RunSettings(tstop=p.tstop, dt=p.dt, celsius=p.celsius, v_init=-65))
        trace = sim.record(h._ref_celsius)
        seen = []
        sim.run(
            before_init=lambda: apply_bath(Environment(mg_mM=p.mg_mM), [sec]),
            events=[(1.0, lambda: seen.append(float(h.celsius)))],
        )
        trace = np.asarray(trace)
        features = {
            "celsius_min": float(trace.min()),
            "celsius_max": float(trace.max()),
            "celsius_at_1ms": seen[0],
            "mgo_mM": float(sec(0.5).mgo),
        }
        del syn
        return ConditionResult(features=[features])


def test_run_settings_celsius_is_the_temperature_of_the_run(tmp_path, h):
    """A condition applying a bath in before_init and running with
    ``RunSettings(celsius=6.3)`` runs at 6.3 degC from start to end (recorded
    ``h._ref_celsius``, and read in an event); at 22 degC likewise.

    Before: ``Environment.apply()`` also set ``h.celsius`` from the Environment's own
    temperature (default 34 degC), after the run had set the settings' one: both
    conditions ran at 34 degC.
    """
    out = sweep(BathThenRun, tmp_path / "b.h5", workers=1, sweep={"celsius": [6.3, 22.0]})
    assert (read_conditions(out)["status"] == "ok").all(), read_conditions(out)["error"]
    feats = read_features(out)
    for col in ("celsius_min", "celsius_max", "celsius_at_1ms"):
        assert list(feats[col]) == [6.3, 22.0], col
    assert (feats["mgo_mM"] == 0.5).all()  # the bath was applied


class LeaveState(Protocol):
    """Condition 0 changes process-wide NEURON state; condition 1 reads it at its start."""

    name = "leave_state"
    title = "test protocol: NEURON globals between conditions"
    params = (Param("step", (0, 1), "", "0: change globals and run; 1: read them", int,
                    grid=True),)  # fmt: skip
    defaults = {"tstop": 5.0}

    def run_condition(self, p):
        from neuron import h

        start = snapshot()
        features = {f"start_{k}": v for k, v in start.items()}
        features["secondorder_at_start"] = float(h.secondorder)
        features["sigma_at_start"] = current_screening().sigma_e_per_nm2
        features["secondorder_in_run"] = math.nan
        features["sigma_in_run"] = math.nan
        if p.step == 0:
            configure_screening(sigma_e_per_nm2=-0.6)
            sec, clamp = hh_cell(h, 0.0)
            seen = []
            run(
                RunSettings(tstop=p.tstop, dt=p.dt, secondorder=2),
                events=[(1.0, lambda: seen.append(float(h.secondorder)))],
            )
            features["secondorder_in_run"] = seen[0]
            features["sigma_in_run"] = current_screening().sigma_e_per_nm2
        return ConditionResult(features=[features])


def test_secondorder_and_screening_globals_are_reset_between_conditions(tmp_path, h):
    """Condition 0 runs with ``RunSettings(secondorder=2)`` and changes a screening GLOBAL
    (``configure_screening(sigma_e_per_nm2=-0.6)``); condition 1, in the same process,
    starts with ``secondorder`` 0 and the default sigma, and every global the engine owns
    at its fresh value (``engine.state.snapshot()``), because the runner calls
    ``engine.reset()`` before each condition. The same holds for ``reset()`` called here.

    Before: ``reset_globals`` put back dt, steps_per_ms, celsius, tstop, v_init, the
    integrator and the Random123 index only: condition 1 started with ``secondorder``
    2 (set by hand, as the axon protocols did) and sigma -0.6.
    """
    default = ScreeningParams()
    out = sweep(LeaveState, tmp_path / "s.h5", workers=1)
    assert (read_conditions(out)["status"] == "ok").all(), read_conditions(out)["error"]
    first, second = (row for _, row in read_features(out).iterrows())
    assert first["secondorder_in_run"] == 2.0  # RunSettings' value was the run's
    assert first["sigma_in_run"] == -0.6
    assert second["secondorder_at_start"] == 0.0
    assert second["sigma_at_start"] == default.sigma_e_per_nm2
    for row in (first, second):
        assert {k: row[f"start_{k}"] for k in FRESH_SNAPSHOT} == FRESH_SNAPSHOT
    # the same, called directly after a run that changed them
    configure_screening(sigma_e_per_nm2=-0.6)
    sec, clamp = hh_cell(h, 0.0)
    run(RunSettings(tstop=1.0, dt=0.025, celsius=30.0, v_init=-60.0, cvode=True, secondorder=2))
    del sec, clamp
    assert snapshot() != FRESH_SNAPSHOT
    reset()
    assert snapshot() == FRESH_SNAPSHOT
    assert h.secondorder == 0
    assert current_screening().sigma_e_per_nm2 == default.sigma_e_per_nm2


_PROTOCOL_SOURCE = '''
"""A protocol module with a parameter read {how}."""

from mgneuron.runner import ConditionResult, Protocol, mg_param


def _peak(p):
    return {helper_read}


class Misspelt(Protocol):
    """Reads [Mg]o."""

    name = "misspelt"
    title = "test protocol: a misspelt parameter"
    params = (mg_param((0.0, 1.0)),)

    def run_condition(self, p):
        return ConditionResult(features=[{{"mg": {method_read}, "peak": _peak(p)}}])
'''


def _write_protocol(tmp_path, module: str, how: str, method_read: str, helper_read: str):
    text = textwrap.dedent(_PROTOCOL_SOURCE).format(
        how=how, method_read=method_read, helper_read=helper_read
    )
    path = tmp_path / f"{module}.py"
    path.write_text(text)
    return path, text


@pytest.mark.parametrize(
    "how, method_read, helper_read, bad",
    [
        ("as an attribute", "p.mgg_mM", "p.mg_mM", "p.mgg_mM"),
        ("by name", 'p["mgg_mM"]', "p.mg_mM", 'p["mgg_mM"]'),
        ("in a module-level helper", "p.mg_mM", "p.mgg_mM", "return p.mgg_mM"),
    ],
)
def test_misspelt_parameter_fails_when_the_class_is_defined(
    tmp_path, monkeypatch, how, method_read, helper_read, bad
):
    """Importing a protocol module whose ``run_condition`` (or a helper it calls) reads
    ``p.mgg_mM`` raises UnknownParameterError naming the file:line of the read and the
    declared parameters; the module is not imported.

    Before: parameters came as a dict and nothing was checked until a condition ran:
    the module imported, every condition of the sweep failed with ``KeyError: 'mgg_mM'``
    (recorded as failed; the sweep itself ended normally).
    """
    module = "misspelt_" + how.replace(" ", "_").replace("-", "_")
    path, text = _write_protocol(tmp_path, module, how, method_read, helper_read)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if bad in s)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UnknownParameterError) as info:
        importlib.import_module(module)
    message = str(info.value)
    assert message.startswith(f"{path.name}:{line}: "), message
    assert "'mgg_mM'" in message
    assert "declared: mg_mM, seed, dt, tstop" in message
    assert module not in sys.modules


def test_correctly_spelt_protocol_module_imports_and_runs(tmp_path, monkeypatch, h):
    """Control for the test above: the same module with the right name imports, and its
    conditions run."""
    module = "spelt_right"
    _write_protocol(tmp_path, module, "correctly", "p.mg_mM", "p.mg_mM")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cls = importlib.import_module(module).Misspelt
        out = sweep(cls, tmp_path / "m.h5", workers=1)
    finally:
        sys.modules.pop(module, None)
    feats = read_features(out)
    assert list(feats["mg"]) == [0.0, 1.0] and list(feats["peak"]) == [0.0, 1.0]
