"""Inserting a biophysics set into a built morphology: mechanisms, parameters, nseg.

:class:`~mgneuron.biophysics.Biophysics` is a description (pure Python);
:func:`apply_biophysics` inserts it region by region into the sections of a loaded
:class:`~mgneuron.morphology.Morphology`, converting every value to the unit its .mod file
declares.
"""

from __future__ import annotations

import math

from mgneuron.biophysics import (
    Biophysics,
    MechanismSpec,
    RegionBiophysics,
    _norm_unit,
    convert_unit,
)
from mgneuron.engine.state import hoc
from mgneuron.errors import BiophysicsError
from mgneuron.locations import axon_distance, region_segments
from mgneuron.mechanisms import require

__all__ = ["apply_biophysics"]


def _declared_unit(h, mech: str, param: str) -> str | None:
    try:
        unit = h.units(f"{param}_{mech}")
    except Exception:  # noqa: BLE001 - hoc raises for unknown names
        return None
    return unit or None


def _mechanism_exists(h, name: str) -> bool:
    mt = h.MechanismType(0)
    ref = h.ref("")
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(ref)
        if ref[0] == name:
            return True
    return False


def _converted_params(h, mech: MechanismSpec, probe_sec) -> list[tuple[str, float]]:
    out = []
    for pname, value, unit in mech.params:
        seg = probe_sec(0.5)
        if not hasattr(getattr(seg, mech.name), pname):
            raise BiophysicsError(f"mechanism {mech.name!r} has no RANGE parameter {pname!r}")
        declared = _declared_unit(h, mech.name, pname)
        if unit is not None and declared is not None:
            value = convert_unit(value, unit, declared)
        elif unit is not None and declared is None and _norm_unit(unit) not in ("", "1"):
            raise BiophysicsError(
                f"{mech.name}.{pname} is given in {unit!r} but the .mod file declares no unit"
            )
        out.append((pname, value))
    return out


def apply_biophysics(biophysics: Biophysics, morph, segment_regions=None, d_lambda=None):
    """Insert mechanisms and set parameters region by region; optionally discretise.

    Parameters
    ----------
    biophysics : Biophysics
    morph : mgneuron.morphology.Morphology
    segment_regions : callable, optional
        ``segment_regions(morph, ais_length_um) -> dict[region, list[(sec, x)]]`` (default
        :func:`mgneuron.locations.region_segments`).
    d_lambda : mgneuron.morphology.DLambda, optional
        If given, nseg is set by this rule after Ra and cm are set (and before the
        per-segment values, so every segment gets them).

    Returns
    -------
    dict
        ``{"n_segments": int, "regions": {region: n_segments}}``.
    """
    h = hoc()
    require()
    segment_regions = segment_regions or region_segments
    for mech in biophysics.mechanism_names:
        if not _mechanism_exists(h, mech):
            raise BiophysicsError(
                f"mechanism {mech!r} (biophysics {biophysics.name!r}) is not known to NEURON; "
                "is its .mod file in mechanisms/ (or an extra directory) and loaded?"
            )

    # 1. Section-wide Ra and cm (a first pass, so that d_lambda sees the right values).
    if d_lambda is not None:
        regions = segment_regions(morph, biophysics.ais_length_um)
        _set_passive(h, biophysics, regions, axial_only=True)
        d_lambda.apply(morph.sections)
        if any(r.region == "ais" for r in biophysics.regions):
            _resolve_ais(morph, biophysics.ais_length_um)
    # 2. Everything, segment by segment, on the final discretisation.
    regions = segment_regions(morph, biophysics.ais_length_um)
    _set_passive(h, biophysics, regions, axial_only=False)
    _set_mechanisms(h, biophysics, regions)
    return {
        "n_segments": sum(sec.nseg for sec in morph.sections),
        "regions": {r: len(v) for r, v in regions.items()},
    }


def _resolve_ais(morph, ais_length_um: float, per_ais: int = 5, cap: int = 1001) -> None:
    """Refine axon sections that hold the end of the initial segment.

    An axon section longer than the initial segment (a reconstructed or generated axon
    that starts with its AIS) gets segments no longer than ``ais_length_um / per_ais``, so
    the AIS ends within a fifth of its length of where the spec puts it. nseg stays odd
    and at most ``cap``.
    """
    if ais_length_um <= 0 or not morph.regions["axon"]:
        return
    dist = axon_distance(morph)
    for sec in morph.regions["axon"]:
        d = [dist[(sec, seg.x)] for seg in sec]
        start = d[0] - 0.5 * sec.L / sec.nseg
        end = d[-1] + 0.5 * sec.L / sec.nseg
        if start < ais_length_um < end:
            want = math.ceil(sec.L / (ais_length_um / per_ais))
            want = min(want + (1 - want % 2), cap)
            if want > sec.nseg:
                sec.nseg = want


def _spine_factor(rule: RegionBiophysics, seg) -> float:
    if rule.spine_density_per_um:
        area = seg.area()
        if area <= 0:
            return 1.0
        lseg = seg.sec.L / seg.sec.nseg
        return 1.0 + rule.spine_density_per_um * rule.spine_area_um2 * lseg / area
    return rule.spine_factor or 1.0


def _set_passive(h, biophysics: Biophysics, regions: dict, axial_only: bool) -> None:
    # cm and g_pas are per segment: base value x spine factor of the last rule that gives one.
    cm_base: dict = {}
    gpas_base: dict = {}
    epas: dict = {}
    factor_rule: dict = {}
    for rule in biophysics.regions:
        locs = regions.get(rule.region, [])
        if rule.Ra_ohm_cm is not None:
            for sec in {sec for sec, _ in locs}:
                sec.Ra = rule.Ra_ohm_cm
        for loc in locs:
            if rule.cm_uF_cm2 is not None:
                cm_base[loc] = rule.cm_uF_cm2
            if rule.g_pas_S_cm2 is not None:
                gpas_base[loc] = rule.g_pas_S_cm2
            if rule.e_pas_mV is not None:
                epas[loc] = rule.e_pas_mV
            if rule.spine_factor is not None or rule.spine_density_per_um is not None:
                factor_rule[loc] = rule
    for (sec, x), cm in cm_base.items():
        seg = sec(x)
        f = _spine_factor(factor_rule[(sec, x)], seg) if (sec, x) in factor_rule else 1.0
        seg.cm = cm * f
    if axial_only:
        return
    pas_secs = {sec for sec, _ in gpas_base} | {sec for sec, _ in epas}
    for sec in pas_secs:
        if not h.ismembrane("pas", sec=sec):
            sec.insert("pas")
    for (sec, x), g in gpas_base.items():
        seg = sec(x)
        f = _spine_factor(factor_rule[(sec, x)], seg) if (sec, x) in factor_rule else 1.0
        seg.pas.g = g * f
    for (sec, x), e in epas.items():
        sec(x).pas.e = e


def _set_mechanisms(h, biophysics: Biophysics, regions: dict) -> None:
    values: dict = {}  # (sec, x) -> {mech: {param: value}}
    reversals: dict = {}  # (sec, x) -> {ion: value}
    inserted: dict = {}  # sec -> set of mechs
    converted: dict = {}
    for rule in biophysics.regions:
        locs = regions.get(rule.region, [])
        if not locs:
            continue
        for mech in rule.mechanisms:
            for sec in {sec for sec, _ in locs}:
                if mech.name not in inserted.setdefault(sec, set()):
                    sec.insert(mech.name)
                    inserted[sec].add(mech.name)
            key = (id(rule), mech.name)
            if key not in converted:
                converted[key] = _converted_params(h, mech, locs[0][0])
            for loc in locs:
                values.setdefault(loc, {}).setdefault(mech.name, {}).update(converted[key])
        for ion, e in rule.reversal_mV:
            for loc in locs:
                reversals.setdefault(loc, {})[ion] = e
    # A mechanism inserted into a section for some of its segments only (an "ais" rule on a
    # section that extends beyond the initial segment) has its conductance zeroed elsewhere.
    for sec, mechs in inserted.items():
        for x in _seg_xs(sec):
            given = values.get((sec, x), {})
            for mech in mechs:
                if mech not in given and hasattr(getattr(sec(x), mech), "gbar"):
                    getattr(sec(x), mech).gbar = 0.0
    for (sec, x), mechs in values.items():
        seg = sec(x)
        for mech, params in mechs.items():
            obj = getattr(seg, mech)
            for pname, v in params.items():
                setattr(obj, pname, v)
    for (sec, x), ions in reversals.items():
        seg = sec(x)
        for ion, e in ions.items():
            # Only where the ion exists (a mechanism in the segment uses it).
            if h.ismembrane(f"{ion}_ion", sec=sec):
                setattr(seg, f"e{ion}", e)


def _seg_xs(sec) -> list[float]:
    return [seg.x for seg in sec]
