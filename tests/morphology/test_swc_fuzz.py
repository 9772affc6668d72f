"""Property test of the SWC path: generated files end in a loaded morphology or a
MorphologyError, never in a signal, another exception or a runaway time.

Each example is a batch of generated SWC texts (valid, near-valid and malformed: random
ids, parents, types, radii and coordinates; blank, whitespace and comment lines; huge ids;
unbranched chains around NEURON's 32,767-point limit), validated and loaded into NEURON by
one child process (tests/morphology/swc_worker.py), so a crash is a failing example.

Time bound: validating and loading a text takes at most 2 s plus 1 s per 1,000 lines. The
worst case measured on a 2-core machine is ~0.15 s per 1,000 lines (a random tree, where
nearly every sample is a section); typical files take ~0.03 s per 1,000 lines.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.morphology.swc_worker import run_batch

BOUND_FIXED_S = 2.0
BOUND_PER_1000_LINES_S = 1.0

_JUNK = ["abc", "1.2.3", "", "nan", "inf", "-inf", "1e400", "0x10", "--1", "1e", "#", "2 2"]
_ID_MODES = ["sequential", "offset", "shuffled", "sparse", "huge", "huge_offset", "random"]
_HUGE = [2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30]


@st.composite
def swc_text(draw) -> str:
    """One SWC text; the modes are drawn (and shrink), the bulk comes from a seeded RNG."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = draw(st.sampled_from(["tiny", "small", "small", "medium", "long"]))
    if size == "long":
        n = int(draw(st.sampled_from([32766, 32767, 32768, 40000])))
    else:
        n = int(rng.integers(*{"tiny": (1, 4), "small": (4, 40), "medium": (40, 3000)}[size]))
    ids_mode = draw(st.sampled_from(_ID_MODES))
    parent_mode = draw(st.sampled_from(["chain", "tree", "branchy", "random"]))
    clean = size == "long" and draw(st.booleans())  # long chains that reach NEURON
    if size == "long":
        parent_mode = "chain" if clean or draw(st.booleans()) else "branchy"
    if clean:
        ids_mode = draw(st.sampled_from(["sequential", "shuffled", "sparse"]))

    # topology over positions 0..n-1 (parents first), then ids
    pos = np.arange(n)
    if parent_mode == "chain":
        ppos = pos - 1
    elif parent_mode == "tree":
        ppos = np.floor(rng.random(n) * pos).astype(np.int64)
    elif parent_mode == "branchy":
        ppos = pos - 1
        jumps = rng.random(n) < 0.02
        ppos[jumps] = np.floor(rng.random(int(jumps.sum())) * pos[jumps]).astype(np.int64)
    else:
        ppos = rng.integers(-2, n + 2, n)
    ppos[0] = -1
    if ids_mode == "sequential":
        ids = pos + 1
    elif ids_mode == "offset":
        ids = pos + int(rng.integers(0, 10**6))
    elif ids_mode == "sparse":
        ids = np.sort(rng.choice(10**12, size=n, replace=False))
    elif ids_mode == "huge_offset":  # all ids huge (a root of id 2**63 crashed NEURON)
        ids = [int(rng.choice(_HUGE)) + k for k in range(n)]
    else:
        ids = pos + 1
    ids = [int(v) for v in ids]
    if ids_mode == "huge":
        for k in rng.choice(n, size=min(n, 3), replace=False):
            ids[k] = int(rng.choice(_HUGE))
    if ids_mode == "random":
        ids = [int(v) for v in rng.integers(-3, 3 * n + 3, n)]
    parents = [ids[p] if 0 <= p < n else int(p) for p in ppos]
    if parent_mode == "random" and n > 1:
        parents[int(rng.integers(n))] = int(rng.choice(_HUGE + [-5, 10**9]))

    types = np.full(n, 3)
    types[0] = 1
    if not clean and draw(st.booleans()):
        types[rng.random(n) < 0.1] = rng.choice([-3, 0, 1, 2, 4, 7, 12, 1001])
    xyz = rng.uniform(-1000, 1000, (n, 3))
    radius = rng.uniform(0.1, 5, n)
    values = "clean" if clean else draw(st.sampled_from(["clean", "clean", "clean", "edge"]))
    if values == "edge":
        k = rng.integers(n, size=3)
        radius[k[0]] = rng.choice([0.0, -1.0, 2e4])
        xyz[k[1], int(rng.integers(3))] = rng.choice([1e7, -1e7, 0.0])

    rows = [
        f"{i} {t} {x:.3f} {y:.3f} {z:.3f} {r:.4g} {p}"
        for i, t, (x, y, z), r, p in zip(ids, types.tolist(), xyz, radius, parents, strict=True)
    ]
    if ids_mode == "shuffled":
        rng.shuffle(rows)
    for _ in range(0 if clean else draw(st.sampled_from([0, 0, 0, 1, 2]))):  # malformed
        k = int(rng.integers(n))
        toks = rows[k].split()
        toks[int(rng.integers(len(toks)))] = str(rng.choice(_JUNK))
        rows[k] = " ".join(toks)
    for _ in range(draw(st.integers(0, 4))):  # blank, whitespace and comment lines
        filler = str(rng.choice(["", "   ", "\t", "# comment", "  # indented", " \t "]))
        rows.insert(int(rng.integers(len(rows) + 1)), filler)
    if draw(st.booleans()):
        rows += ["", "  "]  # trailing blank lines
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(rows) + eol


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(swc_text(), min_size=6, max_size=6))
def test_generated_swc_loads_or_raises_morphology_error(batch):
    """Property: no signal, no other exception, and within the time bound per 1,000 lines."""
    lines = [text.count("\n") for text in batch]
    bounds = [BOUND_FIXED_S + BOUND_PER_1000_LINES_S * n / 1000 for n in lines]
    results = run_batch(batch, timeout_s=60 + sum(bounds))
    for text, n, bound, res in zip(batch, lines, bounds, results, strict=True):
        note(f"{n} lines, outcome {res['outcome']} in {res['s']:.2f} s; head: {text[:300]!r}")
        assert res["outcome"] in ("loaded", "MorphologyError"), res
        assert not math.isnan(res["s"]) and res["s"] <= bound, res
