"""Tests of mgneuron.morphology.validation: malformed files, SWC checks, renumbering."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgneuron.errors import MorphologyError
from mgneuron.morphology import load_morphology, validate_morphology
from tests.morphology.conftest import BAD, SMALL_SWC, n_sections, neuron_by_region, quiet_load

EXPECTED = json.loads((BAD / "expected.json").read_text())


def test_bad_corpus_is_complete():
    """At least 15 malformed files, each with an expected line, and no file unlisted."""
    files = {p.name for p in BAD.iterdir() if p.suffix in (".swc", ".asc")}
    assert len(files) >= 15
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_morphology_raises_with_line(h, name):
    """Each malformed file raises MorphologyError naming the file and the right line."""
    before = n_sections(h)
    exp = EXPECTED[name]
    with pytest.raises(MorphologyError) as info:
        load_morphology(BAD / name)
    err = info.value
    assert err.line == exp["line"], str(err)
    assert exp["match"] in str(err)
    assert name in str(err) and f":{exp['line']}:" in str(err)
    assert n_sections(h) == before


_POOL = ["nan", "inf", "-1", "0", "1e400", "abc", "", "1.5", "3", "-7", "1e9", "#", "(", "2 2"]


@st.composite
def mutated_swc(draw):
    lines = SMALL_SWC.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["delete", "dup", "token", "swap", "insert", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if op == "delete" and lines:
            del lines[i]
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
        elif op == "token" and lines:
            toks = lines[i].split()
            if toks:
                k = draw(st.integers(0, len(toks) - 1))
                toks[k] = draw(st.sampled_from(_POOL) | st.text(max_size=4))
                lines[i] = " ".join(toks)
        elif op == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            n = draw(st.integers(0, 9))
            lines.insert(i, " ".join(draw(st.sampled_from(_POOL + ["1", "2"])) for _ in range(n)))
        elif op == "truncate" and lines:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines) + eol


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated_swc())
def test_mutated_swc_loads_or_raises_morphology_error(h, tmp_path_factory, text):
    """Property: any mutation of a valid SWC loads, or raises MorphologyError; nothing else.

    The process surviving the example is part of the property (a crash ends pytest).
    """
    path = tmp_path_factory.mktemp("mut") / "m.swc"
    path.write_text(text, newline="")
    try:
        morph = quiet_load(path)
    except MorphologyError:
        return
    assert morph.sections
    for sec in morph.sections:
        assert math.isfinite(sec.L)
    morph.delete()


def test_parents_after_children_are_renumbered(h, tmp_path):
    """A valid SWC with parents listed after children loads like the ordered file."""
    lines = SMALL_SWC.strip().splitlines()
    reordered = [lines[0]] + lines[:0:-1]  # data lines reversed
    p = tmp_path / "reversed.swc"
    p.write_text("\n".join(reordered) + "\n")
    q = tmp_path / "ordered.swc"
    q.write_text(SMALL_SWC)
    assert validate_morphology(p).needs_renumbering
    a, b = quiet_load(p), quiet_load(q)
    ga, gb = neuron_by_region(a), neuron_by_region(b)
    for region in ga:
        assert ga[region] == pytest.approx(gb[region])
    a.delete()
    b.delete()
