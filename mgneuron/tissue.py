"""A strip of cortical tissue with ion concentrations: geometry, neurons, glia, as a description.

Pure Python (no NEURON): what :mod:`mgneuron.preparations.tissue` builds with NEURON's
``rxd`` (Newton, McDougal, Hines & Lytton 2018, Front Neuroinform 12:41) for the
``spreading_depolarization`` protocol, and the closed forms the tests check it against.

The tissue
----------
A strip ``length_um`` long, one voxel (``dx_um`` cube) wide and thick, with no-flux walls:
a one-dimensional slab of cortex along x. Its extracellular space (ECS) has the volume
fraction alpha = 0.2 and tortuosity lambda = 1.6 of rat neocortex (Nicholson & Sykova 1998,
Trends Neurosci 21:207), so an ion diffuses with D / lambda^2 in a volume alpha V. The free
diffusion coefficients are those of Somjen's models (K+ 1.96, Na+ 1.33, Cl- 2.03 um2/ms;
Kager, Wadman & Somjen 2000, J Neurophysiol 84:495).

Neurons: ``neuron_density_per_mm3`` (90,000 /mm3, rat neocortex) neurons, each with a volume
``neuron_volume_um3`` and a membrane area ``neuron_area_um2``; the defaults give a neuronal
volume fraction of 0.40 and a surface-to-volume ratio of 3 /um. All the neurons of a voxel
are lumped into one section: its volume is theirs (the intracellular rxd region), its
membrane is represented by a short cylinder whose currents are multiplied by
``scale = real membrane area / section area`` (with cm = scale uF/cm2, so the potential
moves as on the real membrane). Every ion that crosses the membrane leaves or enters the
voxel's ECS.

Glia: net K+ uptake from the ECS with the sigmoid of Cressman, Ullah, Ziburkus, Schiff &
Barreto 2009 (J Comput Neurosci 26:159; also used by Wei, Ullah & Schiff 2014 and in
NEURON's rxd SD models, Kelley et al.)::

    J_glia([K]o) = G (s([K]o) - s([K]o,rest)),   s(k) = 1 / (1 + exp((k_half - k) / slope))

k_half = 18 mM and slope = 2.5 mM as published; G = 5 mM/s, the value of NEURON's rxd SD
models (Cressman et al. used a larger G in their point model without diffusion). Two
choices of this model: the resting uptake is returned by a glial leak (the ``- s(rest)``
term), so the resting tissue does not drift, and the glia never give K+ back (no
spatial buffering through a glial syncytium) within the 40 s of a run. The K+ taken up is kept in
a glial store (an rxd species), so the K+ in the model is conserved exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from mgneuron.errors import ProtocolError

__all__ = [
    "FARADAY",
    "RGAS",
    "TissueSpec",
    "SDMembrane",
    "nernst_mV",
    "glial_uptake_mM_per_ms",
    "pump_current",
    "DIFFUSION_UM2_PER_MS",
]

FARADAY = 96485.33212  # C/mol
RGAS = 8.314462618  # J/(mol K)

#: Free diffusion coefficients in water (um2/ms), as in Kager et al. 2000.
DIFFUSION_UM2_PER_MS = {"k": 1.96, "na": 1.33, "cl": 2.03}


def nernst_mV(c_out: float, c_in: float, z: int = 1, celsius: float = 34.0) -> float:
    """Nernst potential (mV) of an ion of valence ``z``: RT/(zF) ln(c_out / c_in)."""
    return 1e3 * RGAS * (celsius + 273.15) / (z * FARADAY) * math.log(c_out / c_in)


def glial_uptake_mM_per_ms(ko_mM, g_mM_per_s=5.0, k_half_mM=18.0, slope_mM=2.5, rest_mM=3.5):
    """Net glial K+ uptake from the ECS (mM/ms of ECS), zero at the resting [K+]o.

    ``G (s(ko) - s(rest))`` with ``s(k) = 1 / (1 + exp((k_half - k) / slope))`` (Cressman
    et al. 2009 sigmoid); G in mM/s.
    """
    k = np.asarray(ko_mM, dtype=float)

    def s(x):
        return 1.0 / (1.0 + np.exp((k_half_mM - x) / slope_mM))

    return 1e-3 * g_mM_per_s * (s(k) - s(rest_mM))


def pump_current(ko_mM, nai_mM, imax_mA_cm2, km_k_mM=2.0, km_na_mM=7.7):
    """Na+/K+-ATPase current (mA/cm2), the form of Kager et al. 2000.

    ``Imax / ((1 + Km,K / [K]o)^2 (1 + Km,Na / [Na]i)^3)``: three Na+ out and two K+ in
    per cycle, so the pump carries ``3 Ip`` of Na+ and ``-2 Ip`` of K+ current.
    """
    ko = np.asarray(ko_mM, dtype=float)
    nai = np.asarray(nai_mM, dtype=float)
    return imax_mA_cm2 / ((1.0 + km_k_mM / ko) ** 2 * (1.0 + km_na_mM / nai) ** 3)


@dataclass(frozen=True)
class SDMembrane:
    """The membrane of the neurons (the ``SDNeuron`` mechanism's parameters).

    Densities are per cm2 of real membrane. Channel set after Kager, Wadman & Somjen 2000
    (persistent Na+, delayed-rectifier K+, NMDA-type current, leaks, Na+/K+ pump), in
    ohmic form; the half-activations, slopes and densities are this model's (tuned so that
    the resting tissue is stable and a K+ bolus of ~10 mM starts SD at 1 mM Mg, see the
    guide), not fitted to recordings. The K+ and Na+ leaks are computed at rest so that
    the resting tissue does not drift (``mechanisms/sd_neuron.mod``).

    Attributes
    ----------
    gnap : float
        Persistent Na+ conductance (S/cm2); activation half at ``nap_vh`` (mV), slope
        ``nap_k`` (mV), slow inactivation (half ``nap_hvh`` mV, time constant
        ``nap_htau`` ms).
    gkdr : float
        Delayed-rectifier K+ (S/cm2), half-activation ``kdr_vh`` (mV), slope ``kdr_k``.
    gnmda : float
        NMDA-type conductance (S/cm2) with every receptor activated and unblocked, carried
        by Na+ (fraction ``nmda_fna``) and K+; glutamate pool half-released at ``glu_vh``
        (mV), cleared with ``glu_tau`` (ms).
    gcl : float
        Cl- leak (S/cm2); [Cl-]i is set so that E_Cl is the resting potential.
    imax : float
        Pump maximum current (mA/cm2).
    """

    gnap: float = 0.0002
    nap_vh: float = -45.0
    nap_k: float = 5.0
    nap_hvh: float = -40.0
    nap_hk: float = 8.0
    nap_htau: float = 2000.0
    gkdr: float = 0.005
    kdr_vh: float = -25.0
    kdr_k: float = 8.0
    kdr_tau: float = 5.0
    gnmda: float = 0.01
    nmda_fna: float = 0.55
    glu_vh: float = -40.0
    glu_k: float = 5.0
    glu_tau: float = 200.0
    gcl: float = 0.0001
    imax: float = 0.005

    def mechanism_params(self) -> dict[str, float]:
        """Return the RANGE parameters of ``SDNeuron`` (name: value)."""
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class TissueSpec:
    """A strip of tissue: geometry, ECS, neurons, resting ions, glia.

    Parameters
    ----------
    length_um : float
        Length of the strip (um); a whole number of voxels.
    dx_um : float
        Voxel edge (um): the ECS grid step and the strip's width and thickness.
    volume_fraction, tortuosity : float
        ECS volume fraction alpha and tortuosity lambda.
    neuron_density_per_mm3 : float
        Neurons per mm3 of tissue.
    neuron_volume_um3, neuron_area_um2 : float
        Volume and membrane area of one neuron.
    v_rest_mV : float
        Resting potential (mV); the leaks balance the pump there.
    ko_mM, ki_mM, nao_mM, nai_mM, clo_mM : float
        Resting concentrations (mM); [Cl-]i follows from E_Cl = v_rest.
    glia_mM_per_s, glia_half_mM, glia_slope_mM : float
        Glial uptake: G (mM/s of ECS), half-uptake [K+]o and slope (mM).
    celsius : float
        Temperature (degC).
    """

    length_um: float = 1500.0
    dx_um: float = 50.0
    volume_fraction: float = 0.2
    tortuosity: float = 1.6
    neuron_density_per_mm3: float = 90000.0
    neuron_volume_um3: float = 4444.0
    neuron_area_um2: float = 13333.0
    v_rest_mV: float = -70.0
    ko_mM: float = 3.5
    ki_mM: float = 130.0
    nao_mM: float = 140.0
    nai_mM: float = 10.0
    clo_mM: float = 130.0
    glia_mM_per_s: float = 5.0
    glia_half_mM: float = 18.0
    glia_slope_mM: float = 2.5
    celsius: float = 34.0

    def __post_init__(self) -> None:
        """Refuse a strip that is not a whole number (>= 4) of voxels or impossible fractions."""
        positive = (
            "length_um", "dx_um", "volume_fraction", "tortuosity", "neuron_density_per_mm3",
            "neuron_volume_um3", "neuron_area_um2", "ko_mM", "ki_mM", "nao_mM", "nai_mM",
            "clo_mM", "glia_half_mM", "glia_slope_mM",
        )  # fmt: skip
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ProtocolError(f"tissue: {name} must be a positive number, got {value}")
        if not (math.isfinite(self.glia_mM_per_s) and self.glia_mM_per_s >= 0):
            raise ProtocolError(f"tissue: glia_mM_per_s must be >= 0, got {self.glia_mM_per_s}")
        n = self.length_um / self.dx_um
        if abs(n - round(n)) > 1e-6 or round(n) < 4:
            raise ProtocolError(
                f"tissue: the strip length {self.length_um} um must be a whole number (>= 4) "
                f"of voxels of {self.dx_um} um"
            )
        if self.tortuosity < 1:
            raise ProtocolError(f"tissue: tortuosity must be >= 1, got {self.tortuosity}")
        if self.volume_fraction + self.neuron_volume_fraction >= 1:
            raise ProtocolError(
                f"tissue: ECS ({self.volume_fraction}) and neurons "
                f"({self.neuron_volume_fraction:.3g}) fill more than the tissue; lower "
                "the neuron density or volume"
            )

    @property
    def n_voxels(self) -> int:
        """Voxels along the strip."""
        return int(round(self.length_um / self.dx_um))

    @property
    def x_um(self) -> np.ndarray:
        """Voxel centres along the strip (um)."""
        return (np.arange(self.n_voxels) + 0.5) * self.dx_um

    @property
    def voxel_volume_um3(self) -> float:
        """Tissue volume of one voxel (um3)."""
        return self.dx_um**3

    @property
    def neuron_volume_fraction(self) -> float:
        """Fraction of the tissue inside neurons."""
        return self.neuron_density_per_mm3 * 1e-9 * self.neuron_volume_um3

    @property
    def membrane_per_volume_per_um(self) -> float:
        """Neuronal membrane area per tissue volume (um2/um3)."""
        return self.neuron_density_per_mm3 * 1e-9 * self.neuron_area_um2

    @property
    def neurons_per_voxel(self) -> float:
        """Neurons in one voxel (a lumped section stands for them)."""
        return self.neuron_density_per_mm3 * 1e-9 * self.voxel_volume_um3

    @property
    def cli_mM(self) -> float:
        """Resting [Cl-]i (mM): E_Cl equals the resting potential."""
        return self.clo_mM * math.exp(self.v_rest_mV / nernst_mV(math.e, 1.0, 1, self.celsius))

    def lumped_section(self) -> tuple[float, float, float]:
        """(L, diam, scale) of a voxel's section: its volume is the neurons', L = dx / 2.

        ``scale`` = real membrane area of the voxel / the cylinder's side area.
        """
        vol = self.neuron_volume_fraction * self.voxel_volume_um3
        area = self.membrane_per_volume_per_um * self.voxel_volume_um3
        length = self.dx_um / 2.0
        diam = math.sqrt(4.0 * vol / (math.pi * length))
        return length, diam, area / (math.pi * diam * length)

    def ecs_rate_mM_per_ms(self, current_mA_cm2: float) -> float:
        """[X]o change (mM/ms) of a monovalent current density (mA/cm2) leaving the neurons."""
        area_cm2 = self.membrane_per_volume_per_um * self.voxel_volume_um3 * 1e-8
        mol_per_ms = current_mA_cm2 * 1e-3 * area_cm2 / FARADAY * 1e-3
        litres = self.volume_fraction * self.voxel_volume_um3 * 1e-15
        return mol_per_ms / litres * 1e3
