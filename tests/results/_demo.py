"""A small results file the tests of the results layer write and read back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgneuron.results import Report, ResultsWriter, Spikes


def report(rng, n_t=50, sizes=(3, 2)):
    n_e = sum(sizes)
    return Report(
        data=rng.normal(size=(n_t, n_e)).astype(np.float32),
        time=(0.0, n_t * 0.1, 0.1),
        node_ids=np.arange(len(sizes)),
        element_ids=np.concatenate([np.arange(s) for s in sizes]),
        index_pointers=np.concatenate([[0], np.cumsum(sizes)]),
        variable="v",
        units="mV",
    )


def write(path, rng, complete=True):
    w = ResultsWriter(path, "demo", {"a": 1, "b": [1, 2]}, seed=7, command="test")
    reps, spikes = [], []
    for cid, mg in enumerate((0.0, 1.0)):
        rep = report(rng)
        sp = Spikes(rng.uniform(0, 100, 20), rng.integers(0, 5, 20))
        reps.append(rep), spikes.append(sp)
        w.write_condition(
            cid,
            {"mg_mM": mg, "label": f"c{cid}"},
            features=[{"rate_hz": 1.5 * cid, "n": cid, "blocked": bool(cid)}],
            reports={"cell": rep},
            spikes={"exc": sp},
            run_s=0.1,
        )
    w.write_table("extra", pd.DataFrame({"v_mV": [-60.0, 0.0], "ic50_mM": [0.1, 3.5]}))
    if complete:
        w.finish()
    else:
        w.close()
    return reps, spikes
