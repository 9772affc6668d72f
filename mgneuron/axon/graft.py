"""A myelinated axon on a cell: keep the soma, hillock and initial segment, replace the rest.

:func:`attach_myelinated_axon` works on bare NEURON sections, :func:`myelinate_cell` on
a loaded cell: the first ``keep_um`` (25) um of the cell's axon along its main path
(hillock + initial segment, with their membrane) are kept and the rest is replaced by a
myelinated axon (:func:`~mgneuron.axon.builder.build_axon`);
:func:`~mgneuron.axon.geometry.fiber_diameter_for_axon` picks the fibre whose axon is as
thick as the kept initial segment. Without a reconstructed axon, a standard hillock and
AIS (:class:`~mgneuron.axon.spec.AISSpec`, MRG node kinetics) are created.
:func:`apply_myelinated_axon` applies a ``--myelinated-axon DIAMETER[:PRESET[,key=value...]]``
value (the protocols' parameter :func:`mgneuron.runner.groups.myelinated_axon_param`).

The cell and the axon rest at different potentials (-70 / -80 mV): initialise each
segment at its own (set ``seg.v`` and call ``h.finitialize()`` with no argument).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mgneuron.axon.builder import MyelinatedAxon, build_axon
from mgneuron.axon.spec import AISSpec, MyelinatedAxonSpec, parse_myelinated_axon
from mgneuron.errors import AxonError

__all__ = ["attach_myelinated_axon", "myelinate_cell", "apply_myelinated_axon"]


def _path_from(sec, children_of) -> list:
    """Follow the thickest child from ``sec`` each time: the main path of an axon tree."""
    path = [sec]
    while True:
        kids = children_of(path[-1])
        if not kids:
            return path
        path.append(max(kids, key=lambda s: s.diam * 1e6 + s.L))


def attach_myelinated_axon(
    soma,
    spec: MyelinatedAxonSpec,
    axon_sections: Sequence | None = None,
    *,
    keep_um: float = 25.0,
    ais: AISSpec | None = None,
    name: str = "myelinated_axon",
) -> tuple[MyelinatedAxon, list]:
    """Replace the axon of a cell beyond its initial segment by a myelinated axon.

    Works on bare NEURON sections (see :func:`myelinate_cell` for a loaded
    :class:`~mgneuron.cell.Cell`). The first ``keep_um`` of the reconstructed axon along
    its main path from the soma (at each branch point the thickest child) are kept as
    hillock + initial segment, with their membrane; the section where the cut falls is
    shortened to end there (its 3-D points rescale). Every other section of the
    reconstructed axon (the rest of the main path and all collaterals) is disconnected and
    returned, for the caller to delete. The myelinated axon's node 0 joins the end of the
    kept part. Without a reconstructed axon, a standard hillock and AIS (:class:`AISSpec`,
    MRG node kinetics) are created at the soma's 1 end.

    Parameters
    ----------
    soma : nrn.Section
        The soma section the axon hangs from.
    spec : MyelinatedAxonSpec
    axon_sections : sequence of nrn.Section, optional
        The reconstructed axon (any order); its root must hang from a section not in it.
    keep_um : float
        Length of reconstructed axon kept as hillock + AIS (um); default 25, the initial
        segment of mgneuron's biophysics sets.
    ais : AISSpec, optional
        The standard hillock + AIS used when there is no reconstructed axon.
    name : str
        Name prefix of the new sections.

    Returns
    -------
    (MyelinatedAxon, list of nrn.Section)
        The attached axon (``extra_sections`` holds a created hillock/AIS) and the
        disconnected reconstructed sections.
    """
    from neuron import h

    from mgneuron.mechanisms import require

    require()
    axon_sections = list(axon_sections or [])
    geom = spec.geometry
    if not axon_sections:
        a = ais or AISSpec()
        d_ais = a.ais_diameter_um or geom.node_diameter_um
        d_hill = a.hillock_diameter_um or 2 * d_ais
        bio = spec.biophysics
        hill = h.Section(name=f"{name}.hillock")
        hill.L = a.hillock_length_um
        hill.nseg = max(1, int(math.ceil(a.hillock_length_um / 10 * a.nseg_per_10um))) | 1
        hill.Ra, hill.cm = bio.ra, 1.0
        for seg in hill:
            seg.diam = d_hill + (d_ais - d_hill) * seg.x
        sec_ais = h.Section(name=f"{name}.ais")
        sec_ais.L, sec_ais.diam = a.ais_length_um, d_ais
        sec_ais.nseg = max(1, int(math.ceil(a.ais_length_um / 10 * a.nseg_per_10um))) | 1
        sec_ais.Ra, sec_ais.cm = bio.ra, 1.0
        for sec, gnaf in ((hill, a.hillock_gnaf), (sec_ais, a.gnaf)):
            sec.insert("mrg_node")
            for seg in sec:
                m = seg.mrg_node
                m.gnafbar = gnaf
                m.gnapbar = bio.gnap * gnaf / bio.gnaf
                m.gksbar = a.gks if sec is sec_ais else a.gks * gnaf / a.gnaf
                m.gl = bio.gl * gnaf / bio.gnaf
                m.ena, m.ek, m.el = bio.ena, bio.ek, bio.el
        hill.connect(soma(1))
        sec_ais.connect(hill(1))
        axon = build_axon(spec, name=name, parent_seg=sec_ais(1))
        axon.extra_sections = [hill, sec_ais]
        return axon, []

    # Reconstructed axon: its root, the main path, the cut at keep_um.
    members = {sec.hname() for sec in axon_sections}
    roots = [
        sec
        for sec in axon_sections
        if sec.parentseg() is None or sec.parentseg().sec.hname() not in members
    ]
    if len(roots) != 1:
        raise AxonError(
            f"the axon sections must form one tree hanging from the soma; found {len(roots)} "
            f"roots ({', '.join(sec.hname() for sec in roots[:5])})"
        )
    if not keep_um > 0:
        raise AxonError(f"keep_um must be a positive length (um), got {keep_um}")

    def children_of(sec):
        return [c for c in sec.children() if c.hname() in members]

    path = _path_from(roots[0], children_of)
    kept, acc = [], 0.0
    cut_sec, cut_x = path[-1], 1.0
    for sec in path:
        kept.append(sec)
        if acc + sec.L >= keep_um - 1e-9:
            cut_sec, cut_x = sec, (keep_um - acc) / sec.L
            break
        acc += sec.L
    kept_names = {sec.hname() for sec in kept}
    removed = [sec for sec in axon_sections if sec.hname() not in kept_names]
    for sec in removed:
        ps = sec.parentseg()
        if ps is not None and ps.sec.hname() in kept_names:
            h.disconnect(sec=sec)
    if cut_x < 1.0 - 1e-9:
        nseg = max(1, int(math.ceil(cut_sec.nseg * cut_x)))
        cut_sec.L = cut_sec.L * cut_x
        cut_sec.nseg = nseg if nseg % 2 else nseg + 1
    axon = build_axon(spec, name=name, parent_seg=cut_sec(1))
    return axon, removed


def myelinate_cell(
    cell,
    spec: MyelinatedAxonSpec,
    *,
    keep_um: float = 25.0,
    ais: AISSpec | None = None,
    name: str = "myelinated_axon",
) -> MyelinatedAxon:
    """Give a loaded cell a myelinated axon (:func:`attach_myelinated_axon`).

    Parameters
    ----------
    cell : mgneuron.cell.Cell or mgneuron.morphology.Morphology
        The cell; its first soma section carries the axon, its ``axon`` region is the
        reconstructed axon (the biophysics' axon stub counts as one).
    spec, keep_um, ais, name
        As in :func:`attach_myelinated_axon`.

    Returns
    -------
    MyelinatedAxon
        Its sections (and any created hillock/AIS) join the morphology's ``axon`` region,
        so the cell deletes them and ``cell.apply_environment`` reaches them; the replaced
        reconstructed sections are deleted. Apply the bath after this call.
    """
    morph = getattr(cell, "morphology", cell)
    if not getattr(morph, "soma", None):
        raise AxonError("a myelinated axon needs a cell with a soma section")
    soma = morph.soma[0]
    old = list(morph.regions.get("axon", []))
    axon, removed = attach_myelinated_axon(soma, spec, old, keep_um=keep_um, ais=ais, name=name)
    _forget_sections(morph, removed)
    for sec in axon.all_sections:
        morph.add_section(sec, "axon")
    return axon


def _forget_sections(morph, secs: Sequence) -> None:
    """Delete sections of a morphology and drop them from its bookkeeping."""
    from neuron import h

    if not secs:
        return
    if hasattr(morph, "remove_sections"):
        morph.remove_sections(secs)
        return
    # Morphology has no removal method yet: update its public lists (and the region map).
    gone = {sec.hname() for sec in secs}
    morph.sections = [s for s in morph.sections if s.hname() not in gone]
    for region, lst in morph.regions.items():
        morph.regions[region] = [s for s in lst if s.hname() not in gone]
    for code, lst in getattr(morph, "custom_types", {}).items():
        morph.custom_types[code] = [s for s in lst if s.hname() not in gone]
    region_of = getattr(morph, "_region_of", None)
    if isinstance(region_of, dict):
        for sec in secs:
            region_of.pop(sec, None)
    for sec in secs:
        h.delete_section(sec=sec)


def apply_myelinated_axon(cell_or_soma, option: str | MyelinatedAxonSpec | None, **attach):
    """Apply a ``--myelinated-axon`` value to a cell; return the axon (or None).

    Parameters
    ----------
    cell_or_soma : Cell, Morphology or nrn.Section
        A loaded cell (:func:`myelinate_cell`) or a bare soma section (standard AIS).
    option : str or MyelinatedAxonSpec or None
        The option text (``"10:demyelinated,severity=0.9"``) or a spec; None/"" does nothing.
    **attach
        Overrides of :func:`attach_myelinated_axon` keywords (``keep_um``, ``ais``).
    """
    if option is None or (isinstance(option, str) and not option.strip()):
        return None
    if isinstance(option, MyelinatedAxonSpec):
        spec, opts = option, {}
    else:
        spec, opts = parse_myelinated_axon(option)
    opts.update(attach)
    if hasattr(cell_or_soma, "hname") and callable(cell_or_soma.hname):  # a soma section
        axon, _ = attach_myelinated_axon(cell_or_soma, spec, None, **opts)
        return axon
    return myelinate_cell(cell_or_soma, spec, **opts)
