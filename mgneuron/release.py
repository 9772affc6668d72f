"""Presynaptic release probability vs the bath: reference formulas and the release spec.

The NMODL release model (``mechanisms/release.inc``, shared by ``GluSynMg`` and
``GabaASynMg``) is the simulated one; this module evaluates the same equations in numpy so
tests and analyses have an independent reference, and holds :class:`ReleaseSpec`, the
picklable description of a synapse's release parameters.

Baseline release probability in a bath ``([Ca]o, [Mg]o)``::

    P = min(1, U * f(Ca, Mg)),    f(ca_ref, mg_ref) = 1

Dodge & Rahamimoff 1967 (J Physiol 193:419), competition of Mg2+ with Ca2+ at the release
site::

    f = (x / x_ref) ** n,    x = Ca / (1 + Ca / K1 + Mg / K2)

They measured a log-log slope of e.p.p. amplitude vs [Ca]o of 3.78 +- 0.2 at low [Ca]o
(frog neuromuscular junction), unchanged by added Mg2+, and explained it with n = 4. The
dissociation constants used here, K1 = 1.1 mM (CaX) and K2 = 3.0 mM (MgX), are
attributed to that paper's frog-NMJ fit but are *not verified*: its abstract (PubMed
6065887, checked) states n, the slope 3.78 +- 0.2 (28 experiments), that Mg2+ lowers
release without changing the slope and that the slope flattens towards normal [Ca]o,
but not K1 or K2, and the full text was not reachable. Treat them as defaults to refit
(both are parameters everywhere). Two
consequences of the form hold for any K1, K2 and are what the tests check:

* local log-log slope ``d ln f / d ln Ca = n (1 + Mg/K2) / (1 + Ca/K1 + Mg/K2)``, which
  tends to n at low [Ca]o and flattens towards physiological [Ca]o;
* at equal release, adding Mg multiplies the required [Ca]o by exactly ``1 + Mg/K2``.

Markram et al. 2015 (Cell 163:456) Hill scaling of U_SE, [Ca]o only, normalised at 2 mM::

    f = (K**n + ca_ref**n) / ca_ref**n * Ca**n / (K**n + Ca**n),   n = 4,
    K = 2.79 mM ("steep", E->E) or 1.09 mM ("shallow", E->basket)

Short-term dynamics (Tsodyks & Markram 1997; facilitation as in Markram, Wang & Tsodyks
1998): :func:`tm_release` gives the fraction of the maximal conductance each spike of a
train activates (the deterministic mode, and the mean of the stochastic one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from mgneuron.errors import MgNeuronError

__all__ = [
    "DODGE_RAHAMIMOFF",
    "MARKRAM_2015",
    "RELEASE_MODELS",
    "ReleaseSpec",
    "dodge_rahamimoff_factor",
    "markram_hill_factor",
    "bath_factor",
    "release_probability",
    "low_ca_slope",
    "mg_shift_factor",
    "tm_release",
]

#: Dodge & Rahamimoff 1967 parameters (n and the slope from the paper's abstract; K1, K2
#: attributed to it, not verified: see above).
DODGE_RAHAMIMOFF = {
    "n": 4.0,
    "k1_mM": 1.1,
    "k2_mM": 3.0,
    "slope_measured": 3.78,
    "slope_measured_sd": 0.2,
    "reference": "Dodge FA, Rahamimoff R (1967) J Physiol 193:419-432",
}

#: Markram et al. 2015 Hill parameters of U_SE vs [Ca]o.
MARKRAM_2015 = {
    "n": 4.0,
    "khalf_steep_mM": 2.79,
    "khalf_shallow_mM": 1.09,
    "reference": "Markram H et al. (2015) Cell 163:456-492",
}

#: NMODL codes of the release models (``release_model`` in release.inc).
RELEASE_MODELS = {"dodge_rahamimoff": 0, "markram_hill": 1, "none": 2}

# Reference bath at which the bath factor is 1 (mM).
CA_REF_MM = 2.0
MG_REF_MM = 1.0


def dodge_rahamimoff_factor(
    ca_mM,
    mg_mM,
    n: float = DODGE_RAHAMIMOFF["n"],
    k1_mM: float = DODGE_RAHAMIMOFF["k1_mM"],
    k2_mM: float = DODGE_RAHAMIMOFF["k2_mM"],
    ca_ref_mM: float = CA_REF_MM,
    mg_ref_mM: float = MG_REF_MM,
):
    """Dodge-Rahamimoff release relative to the reference bath.

    Parameters
    ----------
    ca_mM, mg_mM : float or array_like
        Extracellular [Ca2+] and [Mg2+] (mM).
    n : float
        Ca2+ cooperativity (1).
    k1_mM, k2_mM : float
        Dissociation constants of CaX and MgX (mM).
    ca_ref_mM, mg_ref_mM : float
        Reference bath where the factor is 1 (mM).

    Returns
    -------
    float or ndarray
        ``(x / x_ref) ** n`` with ``x = Ca / (1 + Ca/K1 + Mg/K2)`` (1); 0 where Ca <= 0.
    """
    ca = np.asarray(ca_mM, dtype=float)
    mg = np.asarray(mg_mM, dtype=float)
    x = ca / (1 + ca / k1_mM + mg / k2_mM)
    xref = ca_ref_mM / (1 + ca_ref_mM / k1_mM + mg_ref_mM / k2_mM)
    out = np.where(ca > 0, (np.maximum(x, 0) / xref) ** n, 0.0)
    return out[()] if out.ndim == 0 else out


def markram_hill_factor(
    ca_mM,
    khalf_mM: float = MARKRAM_2015["khalf_steep_mM"],
    n: float = MARKRAM_2015["n"],
    ca_ref_mM: float = CA_REF_MM,
):
    """Markram et al. 2015 Hill scaling of U_SE with [Ca]o, 1 at ``ca_ref_mM``.

    Parameters
    ----------
    ca_mM : float or array_like
        Extracellular [Ca2+] (mM).
    khalf_mM : float
        Half-activation [Ca]o (mM): 2.79 "steep", 1.09 "shallow".
    n : float
        Hill coefficient (1).
    ca_ref_mM : float
        Reference [Ca]o (mM).

    Returns
    -------
    float or ndarray
        ``(K^n + ref^n)/ref^n * Ca^n/(K^n + Ca^n)`` (1); 0 where Ca <= 0.
    """
    ca = np.maximum(np.asarray(ca_mM, dtype=float), 0.0)
    kn = khalf_mM**n
    rn = ca_ref_mM**n
    cn = ca**n
    out = (kn + rn) / rn * cn / (kn + cn)
    return out[()] if out.ndim == 0 else out


def mg_shift_factor(mg_mM, k2_mM: float = DODGE_RAHAMIMOFF["k2_mM"]):
    """Factor by which [Mg]o shifts the Dodge-Rahamimoff Ca dose-response right (1 + Mg/K2)."""
    return 1 + np.asarray(mg_mM, dtype=float) / k2_mM


def low_ca_slope(
    ca_mM,
    mg_mM,
    n: float = DODGE_RAHAMIMOFF["n"],
    k1_mM: float = DODGE_RAHAMIMOFF["k1_mM"],
    k2_mM: float = DODGE_RAHAMIMOFF["k2_mM"],
):
    """Local log-log slope ``d ln f / d ln [Ca]o`` of the Dodge-Rahamimoff factor (1).

    ``n (1 + Mg/K2) / (1 + Ca/K1 + Mg/K2)``: n in the low-Ca limit.
    """
    ca = np.asarray(ca_mM, dtype=float)
    mg = np.asarray(mg_mM, dtype=float)
    return n * (1 + mg / k2_mM) / (1 + ca / k1_mM + mg / k2_mM)


@dataclass(frozen=True)
class ReleaseSpec:
    """Presynaptic release parameters of one synapse (picklable; NEURON-free).

    Parameters
    ----------
    U : float
        Baseline release probability in the reference bath (1), in [0, 1].
    tau_rec_ms : float
        Recovery time constant from depression (ms); 0 recovers at once.
    tau_facil_ms : float
        Facilitation time constant (ms); 0 switches facilitation off.
    model : str
        ``"dodge_rahamimoff"``, ``"markram_hill"`` or ``"none"``.
    stochastic : bool
        Binomial release from ``n_sites`` release sites (else the deterministic mean).
    n_sites : int
        Number of release sites of the stochastic mode.
    dr_n, dr_k1_mM, dr_k2_mM : float
        Dodge-Rahamimoff cooperativity (1) and dissociation constants (mM).
    hill_khalf_mM, hill_n : float
        Markram 2015 Hill half-activation (mM) and coefficient (1).
    ca_ref_mM, mg_ref_mM : float
        Reference bath where the bath factor is 1 (mM).
    """

    U: float = 0.5
    tau_rec_ms: float = 671.0
    tau_facil_ms: float = 17.0
    model: str = "dodge_rahamimoff"
    stochastic: bool = False
    n_sites: int = 1
    dr_n: float = DODGE_RAHAMIMOFF["n"]
    dr_k1_mM: float = DODGE_RAHAMIMOFF["k1_mM"]
    dr_k2_mM: float = DODGE_RAHAMIMOFF["k2_mM"]
    hill_khalf_mM: float = MARKRAM_2015["khalf_steep_mM"]
    hill_n: float = MARKRAM_2015["n"]
    ca_ref_mM: float = CA_REF_MM
    mg_ref_mM: float = MG_REF_MM

    def __post_init__(self) -> None:
        """Check the model, U in [0, 1], the time constants (ms, >= 0) and n_sites >= 1."""
        if self.model not in RELEASE_MODELS:
            raise MgNeuronError(
                f"unknown release model {self.model!r}; choose one of {', '.join(RELEASE_MODELS)}"
            )
        if not 0.0 <= self.U <= 1.0:
            raise MgNeuronError(f"release U must lie in [0, 1], got {self.U}")
        if self.tau_rec_ms < 0 or self.tau_facil_ms < 0:
            raise MgNeuronError(
                f"tau_rec_ms and tau_facil_ms must be >= 0 ms, got {self.tau_rec_ms}, "
                f"{self.tau_facil_ms}"
            )
        if int(self.n_sites) != self.n_sites or self.n_sites < 1:
            raise MgNeuronError(f"n_sites must be a whole number >= 1, got {self.n_sites}")
        for name in ("dr_k1_mM", "dr_k2_mM", "hill_khalf_mM", "ca_ref_mM"):
            if getattr(self, name) <= 0:
                raise MgNeuronError(f"{name} must be > 0 mM, got {getattr(self, name)}")

    def with_(self, **changes) -> ReleaseSpec:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """Plain-dict view (for HDF5 parameters)."""
        return asdict(self)

    def nmodl_values(self) -> dict[str, float]:
        """Map the RANGE variables of release.inc this spec sets, by NMODL name."""
        return {
            "U": float(self.U),
            "tau_rec": float(self.tau_rec_ms),
            "tau_facil": float(self.tau_facil_ms),
            "release_model": float(RELEASE_MODELS[self.model]),
            "stochastic": 1.0 if self.stochastic else 0.0,
            "n_sites": float(self.n_sites),
            "dr_n": float(self.dr_n),
            "dr_k1": float(self.dr_k1_mM),
            "dr_k2": float(self.dr_k2_mM),
            "hill_khalf": float(self.hill_khalf_mM),
            "hill_n": float(self.hill_n),
            "ca_ref": float(self.ca_ref_mM),
            "mg_ref": float(self.mg_ref_mM),
        }

    def bath_factor(self, ca_mM, mg_mM):
        """Compute the bath factor f([Ca]o, [Mg]o) of this spec's model (1; [Ca]o, [Mg]o in mM)."""
        return bath_factor(ca_mM, mg_mM, self)

    def release_probability(self, ca_mM, mg_mM):
        """Baseline release probability ``min(1, U * f)`` in the given bath (1)."""
        return np.minimum(1.0, self.U * self.bath_factor(ca_mM, mg_mM))


def bath_factor(ca_mM, mg_mM, spec: ReleaseSpec | None = None):
    """Bath factor f([Ca]o, [Mg]o) of a release spec (default spec: Dodge-Rahamimoff)."""
    spec = spec or ReleaseSpec()
    if spec.model == "dodge_rahamimoff":
        return dodge_rahamimoff_factor(
            ca_mM, mg_mM, spec.dr_n, spec.dr_k1_mM, spec.dr_k2_mM, spec.ca_ref_mM, spec.mg_ref_mM
        )
    if spec.model == "markram_hill":
        return markram_hill_factor(ca_mM, spec.hill_khalf_mM, spec.hill_n, spec.ca_ref_mM)
    return np.ones_like(np.asarray(ca_mM, dtype=float))[()]


def release_probability(ca_mM, mg_mM, spec: ReleaseSpec | None = None):
    """Baseline release probability ``min(1, U * f([Ca]o, [Mg]o))`` (1)."""
    spec = spec or ReleaseSpec()
    return spec.release_probability(ca_mM, mg_mM)


def tm_release(
    spike_times_ms: Sequence[float], p: float, tau_rec_ms: float, tau_facil_ms: float
) -> np.ndarray:
    """Fraction of the maximal conductance activated by each spike (deterministic TM).

    Parameters
    ----------
    spike_times_ms : sequence of float
        Presynaptic spike times (ms), increasing.
    p : float
        Baseline release probability in the bath (1).
    tau_rec_ms, tau_facil_ms : float
        Recovery and facilitation time constants (ms); 0 means instant recovery / no
        facilitation.

    Returns
    -------
    ndarray
        ``u_n * R_n`` for every spike (1).
    """
    times = np.asarray(spike_times_ms, dtype=float)
    out = np.empty(len(times))
    u_prev = r_prev = 0.0
    for k, t in enumerate(times):
        if k == 0:
            u, r = p, 1.0
        else:
            dt = t - times[k - 1]
            u = p + u_prev * (1 - p) * np.exp(-dt / tau_facil_ms) if tau_facil_ms > 0 else p
            decay = np.exp(-dt / tau_rec_ms) if tau_rec_ms > 0 else 0.0
            r = 1 - (1 - r_prev * (1 - u_prev)) * decay
        out[k] = u * r
        u_prev, r_prev = u, r
    return out
