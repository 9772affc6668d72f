"""Tests of mgneuron.morphology.neurolucida: the Neurolucida ASCII checks and loading."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgneuron.errors import MorphologyError
from mgneuron.morphology import MorphologyWarning, load_morphology
from tests.morphology.conftest import quiet_load


def test_untagged_asc_tree_is_custom(h, tmp_path):
    p = tmp_path / "untagged.asc"
    p.write_text(
        '("CellBody"\n (CellBody)\n (0 5 0 1)\n (5 0 0 1)\n (0 -5 0 1)\n (-5 0 0 1)\n)\n'
        "( (Color Red)\n (6 0 0 1)\n (16 0 0 1)\n)\n"
    )
    with pytest.warns(MorphologyWarning, match="no \\(Dendrite\\)"):
        morph = load_morphology(p)
    assert len(morph.regions["custom"]) == 1 and morph.custom_types[0]
    morph.delete()


def test_asc_contour_stack_markers_spines(h, tmp_path):
    """A soma of three stacked contours, a spine, a marker and an end label load."""
    p = tmp_path / "stack.asc"
    p.write_text(
        """("CellBody" (CellBody) (0 5 0 1) (5 0 0 1) (0 -5 0 1) (-5 0 0 1))
("CellBody" (CellBody) (0 6 2 1) (6 0 2 1) (0 -6 2 1) (-6 0 2 1))
("CellBody" (CellBody) (0 4 4 1) (4 0 4 1) (0 -4 4 1) (-4 0 4 1))
( (Color Red) (Apical)
  (0 6 2 2) (0 20 2 2) <(1 21 2 0.5)> (0 40 2 1.5)
  (Dot (Name "m") (1 1 1 1))
  Normal
)
"""
    )
    morph = quiet_load(p)
    assert morph.validation.soma == "contour-stack"
    assert len(morph.soma) == 1 and len(morph.regions["apical"]) == 1
    assert morph.regions["apical"][0].L == pytest.approx(34.0)
    morph.delete()


SMALL_ASC = """; soma contour, a tree with a split, a marker, a spine and end labels
("CellBody" (Color Red) (CellBody)
  (0 5 0 1) (5 0 0 1) (0 -5 0 1) (-5 0 0 1)
)
( (Color Green) (Dendrite)
  (6 0 0 2) (16 0 0 2) <(17 1 0 0.5)>
  (
    (26 5 0 1) (36 5 0 1)
    (Dot (Name "m") (30 6 0 1))
    Normal
  |
    (26 -5 0 1) (36 -5 0 1)
    Incomplete
  )
)
( (Color Blue) (Axon)
  (-6 0 0 1) (-20 0 0 1)
)
"""
_ASC_POOL = [
    "nan",
    "1e400",
    "-1",
    "0",
    "abc",
    "(",
    ")",
    "|",
    "<",
    ">",
    '"',
    ";",
    "(1 2 3)",
    "(1 2 3 4)",
    "Normal",
    "(Apical)",
    "RGB",
    "set",
    "(Dot (1 2 3 4))",
    "\n",
]


@st.composite
def mutated_asc(draw):
    toks = SMALL_ASC.split(" ")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "dup", "replace", "insert"]))
        i = draw(st.integers(0, len(toks) - 1))
        if op == "delete":
            del toks[i]
        elif op == "dup":
            toks.insert(i, toks[i])
        elif op == "replace":
            toks[i] = draw(st.sampled_from(_ASC_POOL))
        else:
            toks.insert(i, draw(st.sampled_from(_ASC_POOL)))
    return " ".join(toks)


@settings(max_examples=300, deadline=None)
@given(text=mutated_asc())
def test_fast_asc_pass_never_accepts_what_the_slow_pass_rejects(text):
    """The bulk (fast) Neurolucida check agrees with the line-by-line one, or defers to it."""
    from mgneuron.morphology import neurolucida as m

    try:
        fast = m._parse_asc(m._FastAscTokens(text), "f.asc")
    except m._Fallback:
        return
    slow = m._parse_asc(m._SlowAscTokens(text, "f.asc"), "f.asc")
    assert (fast.n_points, fast.soma, fast.type_counts, fast.root_xyz) == (
        slow.n_points,
        slow.soma,
        slow.type_counts,
        slow.root_xyz,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated_asc())
def test_mutated_asc_loads_or_raises_morphology_error(h, tmp_path_factory, text):
    """Property: a mutated Neurolucida file loads or raises MorphologyError, nothing else."""
    path = tmp_path_factory.mktemp("mut") / "m.asc"
    path.write_text(text)
    try:
        morph = quiet_load(path)
    except MorphologyError:
        return
    assert morph.sections
    morph.delete()
