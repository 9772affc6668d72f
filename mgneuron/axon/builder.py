"""Building a myelinated axon in NEURON: the double cable of McIntyre, Richardson & Grill (2002).

:func:`build_axon` turns a :class:`~mgneuron.axon.spec.MyelinatedAxonSpec` into sections
(:class:`MyelinatedAxon` holds them). The periaxonal space is layer 0 of NEURON's
``extracellular`` mechanism: ``xraxial[0]`` is the longitudinal resistance of the
annular gap (resistivity of the axoplasm, 70 Ohm cm, over the gap cross-section),
``xg[0]``/``xc[0]`` are the conductance/capacitance of the myelin sheath, ``2 nl``
membranes in series of 0.001 S/cm2 and 0.1 uF/cm2 each, referred to the outer surface of
the sheath and expressed per unit area of the section's own membrane (sections have
their true diameters). At a node the gap is short-circuited to the bath (``xg[0]`` =
1e10 S/cm2); layer 1 is tied to ground. Axolemma: 2 uF/cm2 everywhere; passive 0.001
S/cm2 (MYSA), 0.0001 S/cm2 (FLUT, STIN), reversal -80 mV; node channels in
``mechanisms/mrg_node.mod``. Myelin damage enters as described in
:mod:`mgneuron.axon.myelin`.

These axons run with backward Euler only (``RunSettings(secondorder=0)``, as
:mod:`mgneuron.axon.experiments` does; docs/guide.md, "Myelinated axon and conduction").
"""

from __future__ import annotations

import math

import numpy as np

from mgneuron.axon.myelin import MyelinState
from mgneuron.axon.spec import MyelinatedAxonSpec

__all__ = ["MyelinatedAxon", "build_axon"]


def _gap_resistance(ra_ohm_cm: float, d_um: float, gap_um: float) -> float:
    """Longitudinal resistance of an annular gap, MOhm/cm (NEURON's xraxial unit)."""
    area_um2 = math.pi * ((d_um / 2 + gap_um) ** 2 - (d_um / 2) ** 2)
    # ra (Ohm cm) / (area_um2 * 1e-8 cm2) in Ohm/cm, * 1e-6 for MOhm/cm.
    return ra_ohm_cm / (area_um2 * 1e-8) * 1e-6


class MyelinatedAxon:
    """A myelinated axon instantiated in NEURON (created by :func:`build_axon`).

    Attributes
    ----------
    spec : MyelinatedAxonSpec
    geometry : MRGGeometry
    name : str
    nodes : list of nrn.Section
        Nodes of Ranvier, in order along the axon.
    internode_sections : list of list of nrn.Section
        ``MYSA, FLUT, STIN x 6, FLUT, MYSA`` of each internode.
    sections : list of nrn.Section
        Every section of the myelinated axon in path order (node, internode, node, ...).
    node_x_um : numpy.ndarray
        Path distance of each node centre from the centre of node 0 (um).
    extra_sections : list of nrn.Section
        Hillock/AIS sections created by :func:`attach_myelinated_axon` (else empty).
    """

    def __init__(self, spec: MyelinatedAxonSpec, name: str = "axon"):
        self.spec = spec
        self.geometry = spec.geometry
        self.name = name
        self.nodes: list = []
        self.internode_sections: list[list] = []
        self.sections: list = []
        self.extra_sections: list = []
        self.node_x_um = np.zeros(spec.n_nodes)
        self._point_processes: list = []

    # -- construction -----------------------------------------------------------------
    def _build(self, parent_seg=None) -> None:
        from neuron import h

        from mgneuron.mechanisms import require

        require()
        spec, g, bio = self.spec, self.geometry, self.spec.biophysics
        node_factor = spec.node_length_factors()
        seal = spec.node_seal_factors()
        d_node = g.node_diameter_um
        # Periaxonal resistance per length under a node (the MYSA gap continued, MRG 2002).
        r_node = _gap_resistance(bio.ra, d_node, g.mysa_gap_um)
        x = 0.0
        prev = parent_seg
        for j in range(spec.n_nodes):
            node = h.Section(name=f"{self.name}.node[{j}]")
            node.L = g.node_length_um * node_factor[j]
            node.diam = d_node
            node.nseg = spec.nseg("node", node.L)
            node.Ra = bio.ra
            node.cm = bio.cm
            node.insert("mrg_node")
            node.insert("extracellular")
            if spec.discretization == "mrg2002":
                xr = r_node * seal[j]
            else:
                # Lumped seal: the resistance from the edge of the node to its first
                # segment centre stays that of half a 1 um node (MRG's one-compartment
                # node), whatever the node's length and segment count.
                xr = r_node * seal[j] * (g.node_length_um / node.L) * node.nseg
            scale = 1.0 / node_factor[j]  # conserve the number of nodal channels
            for seg in node:
                m = seg.mrg_node
                m.gnafbar, m.gnapbar = bio.gnaf * scale, bio.gnap * scale
                m.gksbar, m.gl = bio.gks * scale, bio.gl * scale
                m.ena, m.ek, m.el = bio.ena, bio.ek, bio.el
                seg.xraxial[0], seg.xg[0], seg.xc[0] = xr, 1e10, 0.0
                seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
            if prev is not None:
                node.connect(prev)
            if j > 0:
                x += node.L / 2
            self.node_x_um[j] = x
            self.nodes.append(node)
            self.sections.append(node)
            prev = node(1)
            x += node.L / 2
            if j == spec.n_nodes - 1:
                break
            secs = self._internode(j, spec.internodes[j])
            for sec in secs:
                sec.connect(prev)
                prev = sec(1)
                x += sec.L
            self.internode_sections.append(secs)
            self.sections.extend(secs)

    def _internode(self, j: int, state: MyelinState) -> list:
        from neuron import h

        spec, g, bio = self.spec, self.geometry, self.spec.biophysics
        D, d_ax, d_node = g.fiber_diameter_um, g.axon_diameter_um, g.node_diameter_um
        f = state.lamellae_fraction
        nl = g.lamellae * f
        # Outer diameter of the (thinned) sheath: the spec's convention.
        d_out = D if spec.outer_diameter == "kept" else d_ax + f * (D - d_ax)
        length = g.node_to_node_um * state.internode_length_factor
        stin_len = (length - g.node_length_um - 2 * (g.mysa_length_um + g.flut_length_um)) / 6
        s = state.paranodal_seal_fraction
        mysa = ("mysa", d_node, g.mysa_length_um, bio.g_mysa, g.mysa_gap_um, s)
        flut = ("flut", d_ax, g.flut_length_um, bio.g_flut, g.flut_gap_um, 1.0)
        stin = ("stin", d_ax, stin_len, bio.g_stin, g.stin_gap_um, 1.0)
        layout = [mysa, flut] + [stin] * 6 + [flut, mysa]
        secs = []
        counts: dict[str, int] = {}
        for kind, diam, L, gpas, gap, r_scale in layout:
            k = counts.get(kind, 0)
            counts[kind] = k + 1
            sec = h.Section(name=f"{self.name}.{kind}[{j}][{k}]")
            sec.L, sec.diam, sec.nseg = L, diam, spec.nseg(kind, L)
            sec.Ra, sec.cm = bio.ra, bio.cm
            sec.insert("pas")
            sec.insert("extracellular")
            r_gap = _gap_resistance(bio.ra, diam, gap) * r_scale
            if nl > 0:
                # Myelin: 2 nl membranes in series, per outer area, referred to this area.
                xg = bio.myelin_g / (2 * nl) * d_out / diam
                xc = bio.myelin_c / (2 * nl) * d_out / diam
            else:
                xg, xc = 1e10, 0.0  # bare axolemma: the gap is the bath
            for seg in sec:
                seg.pas.g, seg.pas.e = gpas, bio.e_pas
                seg.xraxial[0], seg.xg[0], seg.xc[0] = r_gap, xg, xc
                seg.xraxial[1], seg.xg[1], seg.xc[1] = 1e9, 1e10, 0.0
            secs.append(sec)
        return secs

    # -- use ----------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of nodes of Ranvier."""
        return len(self.nodes)

    @property
    def all_sections(self) -> list:
        """Hillock/AIS sections (if any) followed by the myelinated axon's sections."""
        return self.extra_sections + self.sections

    def node_segment(self, j: int):
        """Return the centre segment of node ``j`` (negative indices count from the end)."""
        return self.nodes[j](0.5)

    def iclamp(self, node: int, amp_nA: float, delay_ms: float, dur_ms: float):
        """Inject a current pulse into node ``node``; the IClamp is kept by the axon."""
        from neuron import h

        stim = h.IClamp(self.node_segment(node))
        stim.amp, stim.delay, stim.dur = amp_nA, delay_ms, dur_ms
        self._point_processes.append(stim)
        return stim

    def clear_stimuli(self) -> None:
        """Drop every stimulus created by :meth:`iclamp`."""
        self._point_processes.clear()

    def release(self) -> None:
        """Drop every NEURON object the axon holds (the sections disappear)."""
        self._point_processes.clear()
        self.nodes.clear()
        self.internode_sections.clear()
        self.sections.clear()
        self.extra_sections.clear()


def build_axon(spec: MyelinatedAxonSpec, name: str = "axon", parent_seg=None) -> MyelinatedAxon:
    """Create the NEURON sections of a myelinated axon.

    Parameters
    ----------
    spec : MyelinatedAxonSpec
    name : str
        Prefix of the section names (``axon.node[3]``, ``axon.stin[2][5]``...).
    parent_seg : nrn.Segment, optional
        Connect node 0 to this point (e.g. ``ais(1)``); default a free axon.

    Returns
    -------
    MyelinatedAxon
        Holds the only references to the sections: they exist while it does.
    """
    axon = MyelinatedAxon(spec, name)
    axon._build(parent_seg)
    return axon
