"""Every distributed protocol gives the same file on 1, 2 and 4 MPI ranks (timing aside).

A protocol with ``distributed = True`` spreads one model over the ranks; everything it
writes (conditions, features, derived tables, reports, spikes) must not depend on how
many ranks ran it. The only columns left out of the comparison are wall-clock timings.
``n_synapses`` of ``low_mg_network`` once counted only rank 0's synapses (860 on 1 rank,
430 on 2): this is the test that catches such a feature.

A new distributed protocol must add its small arguments to :data:`SMALL`; the test fails
until it does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from mgneuron.engine.ranks import mpiexec_command
from mgneuron.results import (
    read_attrs,
    read_conditions,
    read_features,
    read_spikes,
    read_table,
    read_traces,
)
from mgneuron.runner.protocol import get_protocol, list_protocols

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.mpi

#: Wall-clock columns: the only ones allowed to differ between rank counts.
TIMING = ("run_s", "sim_s", "gather_s")

#: Small, fast arguments of every distributed protocol (CLI form): bursting (0 Mg) and
#: quiet (1 mM) conditions of a 25-cell network.
SMALL = {
    "low_mg_network": [
        "--sweep", "mg=0,1", "ca=2", "--n-exc", "20", "--n-inh", "5",
        "--tstop", "600", "--t-discard", "100",
    ],
}  # fmt: skip


def _distributed() -> list[str]:
    return [n for n in list_protocols() if getattr(get_protocol(n), "distributed", False)]


def _drop_timing(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in TIMING if c in df.columns])


def _tables(path: Path) -> list[str]:
    with h5py.File(path, "r") as f:
        return sorted(f["tables"]) if "tables" in f else []


def _run(n: int, name: str, out: str, cwd: Path) -> None:
    from tests.runner.test_mpi import _WHY

    if _WHY:
        pytest.skip(_WHY)
    cmd = mpiexec_command(n) + [sys.executable, "-m", "mgneuron.cli", "run", name, "--mpi"]
    res = subprocess.run(
        cmd + SMALL[name] + ["--out", out, "--quiet"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]


def assert_same_results(a: Path, b: Path) -> None:
    """Conditions, features, tables, reports and spikes of two files are equal (timing aside)."""
    pd.testing.assert_frame_equal(
        _drop_timing(read_conditions(a)), _drop_timing(read_conditions(b))
    )
    pd.testing.assert_frame_equal(_drop_timing(read_features(a)), _drop_timing(read_features(b)))
    assert _tables(a) == _tables(b)
    for t in _tables(a):
        pd.testing.assert_frame_equal(
            _drop_timing(read_table(a, t)), _drop_timing(read_table(b, t))
        )
    pd.testing.assert_frame_equal(read_traces(a), read_traces(b))
    pd.testing.assert_frame_equal(read_spikes(a), read_spikes(b))


def test_every_distributed_protocol_has_small_arguments():
    names = _distributed()
    assert "low_mg_network" in names
    missing = [n for n in names if n not in SMALL]
    assert not missing, f"add small test arguments for {missing} to SMALL"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_one_two_and_four_ranks_write_the_same_results(tmp_path, name):
    """4 ranks run oversubscribed on a 2-core machine: slow, but the same file."""
    _run(1, name, "one.h5", tmp_path)
    _run(2, name, "two.h5", tmp_path)
    _run(4, name, "four.h5", tmp_path)
    one, two, four = tmp_path / "one.h5", tmp_path / "two.h5", tmp_path / "four.h5"
    ranks = [read_attrs(f)["mpi_ranks"] for f in (one, two, four)]
    assert ranks == [1, 2, 4]
    feats = read_features(one)
    assert len(feats) >= 2 and (feats["status"] == "ok").all()
    assert len(read_spikes(one)) > 20  # something to compare
    if name == "low_mg_network":
        # the feature that once counted rank 0's synapses only: 20 x (8 + 5) + 5 x (16 + 4)
        assert (feats["n_synapses"] == 20 * (8 + 5) + 5 * (16 + 4)).all()
        assert np.isfinite(feats["rate_exc_hz"]).all()
    assert_same_results(one, two)
    assert_same_results(one, four)


def test_coreneuron_on_two_ranks_gives_the_neuron_results(tmp_path):
    """``--coreneuron`` on 2 ranks: the same spikes, LFP report and features as NEURON on
    1 rank (builds the CoreNEURON flavour of the mechanisms first if not cached, as
    tests/runner/test_mpi.py does; 8 s once built)."""
    from tests.runner.test_mpi import _WHY

    if _WHY:
        pytest.skip(_WHY)
    _run(1, "low_mg_network", "nrn.h5", tmp_path)
    cmd = mpiexec_command(2) + [sys.executable, "-m", "mgneuron.cli", "run", "low_mg_network"]
    res = subprocess.run(
        cmd + ["--mpi", "--coreneuron", *SMALL["low_mg_network"], "--out", "cn.h5", "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert_same_results(tmp_path / "nrn.h5", tmp_path / "cn.h5")
    assert len(read_traces(tmp_path / "cn.h5", population="lfp")) > 0
