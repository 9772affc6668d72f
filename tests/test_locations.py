"""Tests of mgneuron.locations: rules find the right segments on any morphology."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from mgneuron.errors import LocationError
from mgneuron.locations import (
    AxonInitialSegment,
    RegionSites,
    Soma,
    axon_distance,
    parse_location,
    region_segments,
    resolve,
)
from mgneuron.morphology import MorphologyWarning, load_morphology

ROOT = Path(__file__).resolve().parents[1]
MORPH_DIR = ROOT / "tests" / "data" / "morphologies"  # in the repository


def load(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MorphologyWarning)
        morph = load_morphology(name)
    for sec in morph.sections:  # a few segments per section, so bands are resolved
        sec.nseg = 1 + 2 * int(sec.L / 20)
    return morph


@pytest.fixture(scope="module")
def l5(h):
    morph = load("l5_pyramid_stylized")
    yield morph
    morph.delete()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("soma", Soma()),
        ("ais", AxonInitialSegment()),
        ("axon_initial_segment", AxonInitialSegment()),
        ("ais:5-20um", AxonInitialSegment(5.0, 20.0)),
        ("apical:200-300um", RegionSites("apical", 200.0, 300.0)),
        ("apical:dist=200-300", RegionSites("apical", 200.0, 300.0)),
        ("basal:n=20:seed=1", RegionSites("basal", n=20, seed=1)),
        ("basal:random:n=20:seed=1", RegionSites("basal", n=20, seed=1)),
        ("apical:200-300um:n=5:seed=2", RegionSites("apical", 200.0, 300.0, 5, 2)),
        ("dendrite:-150um", RegionSites("dendrite", None, 150.0)),
        ("all", RegionSites("all")),
    ],
)
def test_parse_and_round_trip(text, expected):
    rule = parse_location(text)
    assert rule == expected
    assert parse_location(str(rule)) == rule


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("dendrites:100-200um", "unknown region"),
        ("basal:random", "needs n="),
        ("basal:n=zero", "bad count"),
        ("basal:n=0", "positive integer"),
        ("apical:300-200um", "min_um"),
        ("apical:far", "cannot read"),
    ],
)
def test_bad_syntax(text, match):
    with pytest.raises(LocationError, match=match):
        parse_location(text)


def test_soma_and_ais(h, l5):
    (soma,) = Soma().segments(l5)
    assert soma.sec == l5.soma[0] and soma.x == 0.5
    ais = AxonInitialSegment().segments(l5)
    dist = axon_distance(l5)
    assert ais and all(dist[(s.sec, s.x)] <= 25.0 for s in ais)
    assert all(l5.region_of(s.sec) == "axon" for s in ais)
    assert set(map(str, ais)) == {str(s) for s in resolve(l5, "ais")}
    assert {(sec, x) for sec, x in region_segments(l5)["ais"]} == {(s.sec, s.x) for s in ais}


def test_apical_band(h, l5):
    """'apical dendrite at 200-300 um path distance from the soma'."""
    segs = resolve(l5, "apical:200-300um")
    assert len(segs) > 5
    d = np.array([l5.path_distance(s) for s in segs])
    assert d.min() >= 200 and d.max() <= 300
    assert all(l5.region_of(s.sec) == "apical" for s in segs)
    # every apical segment in the band is there
    n_all = sum(
        1 for sec in l5.regions["apical"] for seg in sec if 200 <= l5.path_distance(seg) <= 300
    )
    assert len(segs) == n_all
    mid = parse_location("apical:200-300um").segment(l5)
    assert 200 <= l5.path_distance(mid) <= 300


def test_random_sites_reproducible(h, l5):
    """'basal, random, n=20, seed': same seed same sites, other seed other sites."""
    a = resolve(l5, "basal:n=20:seed=1")
    b = resolve(l5, "basal:n=20:seed=1")
    c = resolve(l5, "basal:n=20:seed=2")
    assert len(a) == 20
    key = [(s.sec.name(), round(s.x, 12)) for s in a]
    assert key == [(s.sec.name(), round(s.x, 12)) for s in b]
    assert key != [(s.sec.name(), round(s.x, 12)) for s in c]
    assert all(l5.region_of(s.sec) == "basal" for s in a)
    # a band and a count together
    d = [l5.path_distance(s) for s in resolve(l5, "apical:300-500um:n=10:seed=3")]
    assert len(d) == 10 and min(d) >= 300 - 20 and max(d) <= 500 + 20


def test_random_sites_follow_length(h, l5):
    """Sites are drawn in proportion to length: apical share ~ apical length share."""
    segs = resolve(l5, "dendrite:n=4000:seed=0")
    frac = np.mean([l5.region_of(s.sec) == "apical" for s in segs])
    lengths = {r: sum(s.L for s in l5.regions[r]) for r in ("basal", "apical")}
    expected = lengths["apical"] / (lengths["apical"] + lengths["basal"])
    assert frac == pytest.approx(expected, abs=0.03)


def test_no_match_errors_say_what_exists(h, l5):
    with pytest.raises(LocationError, match=r"apical segment centres lie at [\d.]+-[\d.]+ um"):
        resolve(l5, "apical:5000-6000um")
    bs = load("ball_and_stick")
    with pytest.raises(LocationError, match="no basal region; regions present: soma, apical"):
        resolve(bs, "basal:n=3")
    with pytest.raises(LocationError, match="no axon"):
        resolve(bs, "ais")
    bs.delete()


def test_rules_on_reconstructions(h):
    """The same rules work on reconstructed cells (two soma sections; no apical)."""
    ca1 = load(MORPH_DIR / "ca1_pyramidal_n120.swc")
    assert Soma().segments(ca1)[0].sec == ca1.soma[0]
    assert len(resolve(ca1, "apical:200-300um")) > 0
    ca1.delete()
    moto = load(MORPH_DIR / "spinal_motoneuron_v_e_moto1.swc")
    with pytest.raises(LocationError, match="no apical region"):
        resolve(moto, "apical:200-300um")
    assert len(resolve(moto, "basal:n=20:seed=1")) == 20
    moto.delete()


def test_describe(h, l5):
    rows = parse_location("apical:200-250um").describe(l5)
    assert rows and set(rows[0]) == {"section", "x", "region", "path_distance_um"}
