"""Calcium-based plasticity: the Graupner & Brunel (2012) rule, its parameters, a reference.

The rule (Graupner & Brunel 2012, PNAS 109:3991, eq. 1; its noise term omitted here):

    tau drho/dt = -rho (1 - rho) (rho* - rho)
                  + gamma_p (1 - rho) H(c - theta_p) - gamma_d rho H(c - theta_d)

with c the rule's dimensionless calcium, H the Heaviside step and the efficacy
w = w0 + rho (w1 - w0). mgneuron drives it with a biophysical spine Ca2+ concentration
(``mechanisms/ca_plasticity.mod``, point process ``CaPlasticity``) through a stated linear
mapping, c = ([Ca]spine - ca_rest) / ca_scale, so that the thresholds are, in uM above rest,
theta_d * ca_scale and theta_p * ca_scale (:attr:`GBParams.theta_d_uM`).

This module is pure: the parameters (:data:`GB2012_CORTICAL`), the spine Ca2+ model
(:class:`SpineCa`), an independent integration of both with ``scipy.integrate.solve_ivp``
(:func:`integrate_rule`, the reference the NMODL mechanism is tested against), and the
measures of a recorded induction (:func:`plasticity_features`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mgneuron.errors import MgNeuronError

__all__ = [
    "FARADAY",
    "GBParams",
    "GB2012_CORTICAL",
    "SpineCa",
    "SPINE_CA",
    "CA_SCALE_UM",
    "PBAR_VGCC_UM3_MS",
    "drift",
    "integrate_rule",
    "time_above_ms",
    "dw_pct",
    "plasticity_features",
]

FARADAY = 96485.33212  # C/mol


@dataclass(frozen=True)
class GBParams:
    """Parameters of the Graupner & Brunel (2012) rule (dimensionless unless stated).

    Parameters
    ----------
    theta_d, theta_p : float
        Depression and potentiation thresholds of c (theta_p > theta_d).
    gamma_d, gamma_p : float
        Depression and potentiation rates (in units of 1/tau_rho).
    tau_rho_ms : float
        Time constant of the efficacy (ms).
    rho_star : float
        Unstable fixed point of the bistable drift (boundary of the basins).
    b : float
        Ratio of the UP to the DOWN efficacy, w1 / w0.
    """

    theta_d: float = 1.0
    theta_p: float = 1.3
    gamma_d: float = 331.909
    gamma_p: float = 725.085
    tau_rho_ms: float = 346.3615e3
    rho_star: float = 0.5
    b: float = 5.40988

    def __post_init__(self) -> None:
        """Refuse thresholds out of order and non-positive rates or time constants."""
        if not self.theta_p > self.theta_d:
            raise MgNeuronError(
                f"GBParams: theta_p ({self.theta_p}) must exceed theta_d ({self.theta_d})"
            )
        for name in ("gamma_d", "gamma_p", "tau_rho_ms", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise MgNeuronError(f"GBParams: {name} must be finite and > 0, got {value}")

    @property
    def w0(self) -> float:
        """DOWN efficacy, chosen so that w(rho = 0.5) = 1: 2 / (1 + b)."""
        return 2.0 / (1.0 + self.b)

    @property
    def w1(self) -> float:
        """UP efficacy, b * w0."""
        return 2.0 * self.b / (1.0 + self.b)

    def theta_d_uM(self, ca_scale_uM: float) -> float:
        """Return the depression threshold in uM above ca_rest for a mapping ``ca_scale_uM``."""
        return self.theta_d * ca_scale_uM

    def theta_p_uM(self, ca_scale_uM: float) -> float:
        """Return the potentiation threshold in uM above ca_rest for a mapping ``ca_scale_uM``."""
        return self.theta_p * ca_scale_uM


#: The cortical-slice fit of GB2012 (to Sjostrom, Turrigiano & Nelson 2001, V1 L5; GB2012
#: SI Table S2, the same numbers in Higgins, Graupner & Brunel 2014, PLoS Comput Biol
#: 10:e1003834, Table 1). Its calcium part (tau_Ca 22.6936 ms, C_pre 0.5617539,
#: C_post 1.23964, delay 4.6098 ms) is replaced by the biophysical spine Ca2+; its
#: noise (sigma 3.3501) is omitted.
GB2012_CORTICAL = GBParams()


@dataclass(frozen=True)
class SpineCa:
    """The spine Ca2+ compartment of ``CaPlasticity`` (see the NMODL file for sources).

    Parameters
    ----------
    vol_um3 : float
        Volume (um3).
    kappa_b : float
        Buffer capacity of a fast buffer (1); free = total / (1 + kappa_b).
    ca_rest_uM : float
        Resting free Ca2+ (uM).
    tau_ca_ms : float
        Extrusion time constant (ms).
    """

    vol_um3: float = 0.5
    kappa_b: float = 20.0
    ca_rest_uM: float = 0.05
    tau_ca_ms: float = 22.6936

    def rate_uM_per_ms_per_nA(self) -> float:
        """Rise of free Ca2+ (uM/ms) per nA of inward Ca2+ current."""
        # nA -> C/ms: 1e-12; / (2F) -> mol/ms; / (vol um3 = vol * 1e-15 L) -> M/ms; x 1e6 uM
        return 1e-12 / (2.0 * FARADAY) / (self.vol_um3 * 1e-15) * 1e6 / (1.0 + self.kappa_b)


SPINE_CA = SpineCa()

#: The mapping of spine Ca2+ to the rule's c (uM per unit of c): calibrated once so that a
#: back-propagating action potential alone, in the default ``plasticity_mg`` protocol,
#: gives the peak of GB2012's C_post (1.23964), and a single first EPSP at 1 mM Mg, 2 mM Ca
#: gives about the same peak (EPSP- and bAP-evoked spine Ca2+ transients are comparable in
#: L5 pyramidal spines, Koester & Sakmann 1998, PNAS 95:9596). Checked by
#: tests/protocols/test_plasticity_mg.py; docs/guide.md, "Protocol notes: plasticity_mg".
CA_SCALE_UM = 0.4906
#: Permeability of the spine's HVA Ca2+ channels (um3/ms), calibrated with CA_SCALE_UM.
PBAR_VGCC_UM3_MS = 1.557e-3


def drift(rho: np.ndarray | float, c: np.ndarray | float, p: GBParams = GB2012_CORTICAL):
    """drho/dt (1/ms) of the rule at efficacy ``rho`` and calcium ``c`` (dimensionless)."""
    hp = np.heaviside(np.asarray(c, dtype=float) - p.theta_p, 0.0)
    hd = np.heaviside(np.asarray(c, dtype=float) - p.theta_d, 0.0)
    return (
        -rho * (1 - rho) * (p.rho_star - rho) + p.gamma_p * (1 - rho) * hp - p.gamma_d * rho * hd
    ) / p.tau_rho_ms


def integrate_rule(
    t_ms: np.ndarray,
    ica_nA: Callable[[float], float],
    ca_scale_uM: float,
    rule: GBParams = GB2012_CORTICAL,
    spine: SpineCa = SPINE_CA,
    rho0: float = 0.5,
    max_step_ms: float = 0.01,
) -> dict[str, np.ndarray]:
    """Integrate spine Ca2+ and the rule for a prescribed Ca2+ current (reference).

    d[Ca]/dt = -ica * k - ([Ca] - ca_rest) / tau_ca, with k from
    :meth:`SpineCa.rate_uM_per_ms_per_nA`; c = ([Ca] - ca_rest) / ca_scale drives the
    rule. Integrated by ``scipy.integrate.solve_ivp`` (RK45, rtol 1e-9, atol 1e-12, steps
    of at most ``max_step_ms`` so that no threshold crossing is stepped over).

    Parameters
    ----------
    t_ms : array
        Times to report (ms), increasing, from the start of the integration.
    ica_nA : callable
        The Ca2+ current (nA, negative inward) as a function of time (ms).
    ca_scale_uM : float
        uM of spine Ca2+ above rest per unit of the rule's c.
    rule, spine : GBParams, SpineCa
        The rule's and the compartment's parameters.
    rho0 : float
        Efficacy at ``t_ms[0]``.
    max_step_ms : float
        Largest step of the integrator (ms).

    Returns
    -------
    dict
        ``t_ms``, ``ca_uM`` and ``rho`` at the requested times.
    """
    from scipy.integrate import solve_ivp

    t = np.asarray(t_ms, dtype=float)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
        raise MgNeuronError("integrate_rule: t_ms must be increasing, with at least 2 times")
    if not ca_scale_uM > 0:
        raise MgNeuronError(f"integrate_rule: ca_scale_uM must be > 0, got {ca_scale_uM}")
    k = spine.rate_uM_per_ms_per_nA()

    def rhs(time: float, y: np.ndarray) -> list[float]:
        ca, rho = y
        c = (ca - spine.ca_rest_uM) / ca_scale_uM
        return [-ica_nA(time) * k - (ca - spine.ca_rest_uM) / spine.tau_ca_ms,
                float(drift(rho, c, rule))]  # fmt: skip

    sol = solve_ivp(rhs, (t[0], t[-1]), [spine.ca_rest_uM, rho0], t_eval=t,
                    rtol=1e-9, atol=1e-12, max_step=max_step_ms)  # fmt: skip
    if not sol.success:
        raise MgNeuronError(f"integrate_rule: solve_ivp failed: {sol.message}")
    return {"t_ms": sol.t, "ca_uM": sol.y[0], "rho": sol.y[1]}


def time_above_ms(t_ms: np.ndarray, x: np.ndarray, threshold: float) -> float:
    """Time (ms) a sampled trace spends above ``threshold`` (rectangle rule per sample)."""
    t = np.asarray(t_ms, dtype=float)
    x = np.asarray(x, dtype=float)
    if t.shape != x.shape or t.size < 2:
        raise MgNeuronError("time_above_ms: t_ms and x must have the same shape, >= 2 samples")
    dt = np.diff(t)
    return float(np.sum(dt[x[1:] > threshold]))


def dw_pct(w_before: float, w_after: float) -> float:
    """Change of synaptic efficacy in percent of its value before the induction."""
    if not w_before > 0:
        raise MgNeuronError(f"dw_pct: the weight before must be > 0, got {w_before}")
    return 100.0 * (w_after - w_before) / w_before


def plasticity_features(
    w_before: float, w_after: float, ca_peak_uM: float, t_p_ms: float, t_d_ms: float
) -> dict[str, float]:
    """Return the measures of one induction as the ``plasticity_mg`` feature columns."""
    return {
        "dw_pct": dw_pct(w_before, w_after),
        "ca_peak_uM": float(ca_peak_uM),
        "time_above_theta_p_ms": float(t_p_ms),
        "time_above_theta_d_ms": float(t_d_ms),
    }
