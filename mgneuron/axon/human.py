"""The human motor and sensory axon of threshold tracking: one node and one internode.

Model
-----
Bostock's two-compartment equivalent circuit of a human myelinated axon (Bostock, Baker
& Reid 1991, J Physiol 440:635; Kiernan & Bostock 2000, Brain 123:2542) with the HCN
current of Howells, Trevillion, Bostock & Burke 2012 (J Physiol 590:1625): a node
(transient and persistent Na+, fast K+ Kf, slow K+ Ks, Na+ leak, pump) coupled through
the Barrett-Barrett conductance ``gbb_nS`` (the paranodal seal and periaxonal pathway;
Barrett & Barrett 1982, J Physiol 323:117) to the internodal axolemma under the myelin
(Kf, Ks, HCN, Na+ leak, pump). The series chain "axoplasm - internodal axolemma -
periaxonal space - Barrett-Barrett pathway - outside" is drawn, as in those models, as
the internodal membrane in series with ``gbb_nS`` from the node's interior; the myelin
sheath's own capacitance and conductance are left out (they are small beside the
pathway). Mechanism: ``mechanisms/human_axon.mod`` (its rate constants and the
approximations made: ohmic rather than GHK driving forces). Stimulus and threshold are
the current injected into the node (nA), the single-axon equivalent of the cathodal
surface stimulus.

Every parameter here is an absolute quantity of the compartment (pF, nS, pA); the
builder turns them into densities of a section of ``AREA_UM2``. The Na+/K+ pump current
of each compartment is set so that the compartment is at rest at ``v_rest_mV`` in the
reference bath (1 mM Mg, 2 mM Ca, no gating shift), as the published model balances its
pump against the resting Na+ influx; it then stays fixed, so a change of the bath moves
the resting potential through the gated channels (screening) and nothing else.

Motor and sensory axons (:data:`FIBRES`) differ as the excitability literature found:
sensory axons have more persistent Na+ (longer strength-duration time constant:
Bostock & Rothwell 1997, J Physiol 498:277; Mogyoros, Kiernan & Burke 1996, Brain
119:439) and an HCN current activated at less negative potentials (less accommodation
deficit to hyperpolarisation: Howells et al. 2012). The numbers are chosen here within
those findings (stated on :class:`HumanAxonSpec`), not fitted to a recording.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from mgneuron.engine.state import hoc
from mgneuron.errors import AxonError
from mgneuron.mechanisms import require

__all__ = ["HumanAxonSpec", "HumanAxon", "FIBRES", "human_axon_spec", "build_human_axon"]

#: Membrane area of each compartment's section (um2); only the densities depend on it.
AREA_UM2 = 100.0
_REF_MG_MM, _REF_CA_MM = 1.0, 2.0


@dataclass(frozen=True)
class HumanAxonSpec:
    """One node and one internode of a human myelinated axon (absolute values).

    Parameters
    ----------
    fibre : str
        Name ("motor", "sensory" or a user's).
    c_node_pF, c_int_pF : float
        Capacitance of the node and of the internodal axolemma (pF).
    gbb_nS : float
        Barrett-Barrett conductance between them (nS).
    node_nat_nS, node_nap_nS, node_kf_nS, node_ks_nS, node_h_nS, node_lk_nS : float
        Maximal conductances at the node (nS): transient and persistent Na+, Kf, Ks, HCN,
        Na+ leak.
    int_nat_nS, int_nap_nS, int_kf_nS, int_ks_nS, int_h_nS, int_lk_nS : float
        The same in the internodal axolemma (nS).
    vq_mV : float
        Half-activation of the HCN gate (mV).
    eh_mV, ena_mV, ek_mV : float
        Reversal potentials of Ih, Na+ and K+ (mV).
    v_rest_mV : float
        Resting potential in the reference bath; sets the pump currents (mV).
    """

    fibre: str = "motor"
    c_node_pF: float = 8.0
    c_int_pF: float = 200.0
    gbb_nS: float = 30.0
    node_nat_nS: float = 1800.0
    node_nap_nS: float = 4.0
    node_kf_nS: float = 10.0
    node_ks_nS: float = 40.0
    node_h_nS: float = 0.0
    node_lk_nS: float = 0.8
    int_nat_nS: float = 0.0
    int_nap_nS: float = 0.0
    int_kf_nS: float = 200.0
    int_ks_nS: float = 40.0
    int_h_nS: float = 40.0
    int_lk_nS: float = 2.0
    vq_mV: float = -110.0
    eh_mV: float = -32.0
    ena_mV: float = 50.0
    ek_mV: float = -90.0
    v_rest_mV: float = -84.0

    def __post_init__(self) -> None:
        """Refuse non-finite values, non-positive capacitances and negative conductances."""
        for key, value in asdict(self).items():
            if key == "fibre":
                continue
            if not math.isfinite(value):
                raise AxonError(f"human axon {self.fibre}: {key} must be finite, got {value}")
            if key.startswith("c_") or key == "gbb_nS":
                if value <= 0:
                    raise AxonError(f"human axon {self.fibre}: {key} must be > 0, got {value}")
            elif key.endswith("_nS") and value < 0:
                raise AxonError(f"human axon {self.fibre}: {key} must be >= 0, got {value}")
        if not self.ek_mV < self.v_rest_mV < self.ena_mV:
            raise AxonError(
                f"human axon {self.fibre}: v_rest_mV {self.v_rest_mV} must lie between ek_mV "
                f"{self.ek_mV} and ena_mV {self.ena_mV}"
            )


#: The two fibres of the nerve excitability tests. Sensory: 2.5 times the persistent Na+
#: (strength-duration time constant 0.54 vs 0.48 ms; 4 times gives 0.62 ms but the axon
#: then fires through a 40 % depolarising current) and HCN activated 6 mV less negative
#: (see the module notes).
FIBRES: dict[str, HumanAxonSpec] = {
    "motor": HumanAxonSpec(),
    "sensory": HumanAxonSpec(fibre="sensory", node_nap_nS=10.0, vq_mV=-104.0),
}


def human_axon_spec(fibre: str, **changes) -> HumanAxonSpec:
    """Return the spec of ``fibre`` ("motor" or "sensory") with ``changes`` made."""
    if fibre not in FIBRES:
        raise AxonError(f"unknown fibre {fibre!r}; known: {', '.join(FIBRES)}")
    return replace(FIBRES[fibre], **changes)


class HumanAxon:
    """A built human axon: ``node`` and ``internode`` sections (one segment each)."""

    def __init__(self, node, internode, spec: HumanAxonSpec) -> None:
        self.node, self.internode, self.spec = node, internode, spec
        self.sections = [node, internode]

    def release(self) -> None:
        """Drop the sections."""
        self.sections = []
        self.node = self.internode = None


def _section(h, name: str, c_pF: float):
    sec = h.Section(name=name)
    sec.L = sec.diam = math.sqrt(AREA_UM2 / math.pi)  # area pi d L = AREA_UM2
    sec.nseg = 1
    sec.cm = c_pF * 100.0 / AREA_UM2  # uF/cm2: pF 1e-6 / (um2 1e-8)
    sec.insert("human_axon")
    return sec


def _density(g_nS: float) -> float:
    """S/cm2 of ``g_nS`` over ``AREA_UM2``."""
    return g_nS * 0.1 / AREA_UM2


def build_human_axon(spec: HumanAxonSpec, name: str = "hax") -> HumanAxon:
    """Build the node and internode of ``spec`` in NEURON, pumps balanced at rest.

    The two sections are joined end to end; each one's axial resistivity is set so that
    the resistance between their centres is ``1 / gbb_nS``.
    """
    h = hoc()
    require()
    node = _section(h, f"{name}_node", spec.c_node_pF)
    internode = _section(h, f"{name}_internode", spec.c_int_pF)
    internode.connect(node(1), 0)
    # Half a section: R = 2e4 Ra L / (pi d^2) ohm (Ra ohm cm, um); two halves = 1 / gbb.
    half_ohm = 0.5 / (spec.gbb_nS * 1e-9)
    for sec in (node, internode):
        sec.Ra = half_ohm * math.pi * sec.diam**2 / (2e4 * sec.L)
    for sec, part in ((node, "node"), (internode, "int")):
        seg = sec(0.5)
        for chan in ("nat", "nap", "kf", "ks", "h", "lk"):
            setattr(seg, f"g{chan}_human_axon", _density(getattr(spec, f"{part}_{chan}_nS")))
        mech = seg.human_axon
        mech.ena, mech.ek, mech.eh, mech.vq = spec.ena_mV, spec.ek_mV, spec.eh_mV, spec.vq_mV
    _balance_pumps(h, (node, internode), spec.v_rest_mV)
    return HumanAxon(node, internode, spec)


def _balance_pumps(h, sections, v_rest: float) -> None:
    """Set each section's pump to cancel its ionic current at ``v_rest`` (reference bath)."""
    saved = [(sec(0.5).mgo, sec(0.5).cao) for sec in sections]
    for sec in sections:
        sec(0.5).mgo, sec(0.5).cao = _REF_MG_MM, _REF_CA_MM
        sec(0.5).human_axon.ipump0 = 0.0
    h.finitialize(v_rest)
    h.fcurrent()
    for sec in sections:
        mech = sec(0.5).human_axon
        total = mech.inat + mech.inap + mech.ikf + mech.iks + mech.ih + mech.ilk
        mech.ipump0 = -total
        if not math.isfinite(mech.ipump0):
            raise AxonError(f"human axon: the pump of {sec.name()} is not finite")
    for sec, (mg, ca) in zip(sections, saved, strict=True):
        sec(0.5).mgo, sec(0.5).cao = mg, ca
