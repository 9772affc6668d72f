COMMENT
CaPlasticity: synapse-local Ca2+ and the calcium-based plasticity rule of Graupner &
Brunel 2012 (PNAS 109:3991), scaling the weight of the synapse it is attached to.

Two POINTERs connect it to a synapse (mgneuron.synapses.attach_plasticity):
    ica_syn  -> the synapse's NMDA Ca2+ current (nA, negative inward; GluSynMg ica)
    wsyn     -> the synapse's weight scale (GluSynMg wscale, dimensionless)

Ca2+ in the spine head (casp, uM, free), one well-mixed compartment of volume vol with a
fast buffer of capacity kappa_b, extruded to ca_rest with time constant tau_ca:
    dcasp/dt = -(ica_syn + i_vgcc) / (2 F vol (1 + kappa_b)) - (casp - ca_rest) / tau_ca
    i_vgcc   = pbar_vgcc * m^2 * h * GHK(v, casp, cao)      (nA, into the spine)
The spine head is taken isopotential with the dendritic segment it sits on (v).
Defaults: vol 0.5 um3 (spine head + base of the shaft; spine heads 0.01-1 um3, Harris &
Stevens 1989, J Neurosci 9:2982), kappa_b 20 (endogenous buffer capacity of CA1 spines,
Sabatini, Oertner & Svoboda 2002, Neuron 33:439), ca_rest 0.05 uM (same source),
tau_ca 22.6936 ms (the Ca2+ decay of the Graupner & Brunel cortical fit; Sabatini et al.
2002 measured 10-20 ms in spines at room temperature).
i_vgcc is the spine's high-voltage-activated Ca2+ channel population that a
back-propagating action potential opens (Yuste & Denk 1995, Nature 375:682; Koester &
Sakmann 1998, PNAS 95:9596): gating of Reuveni, Friedman, Amitai & Gutnick 1993
(J Neurosci 13:4609), m^2 h, rates at 23 degC scaled with Q10 2.3, flux by the
Goldman-Hodgkin-Katz equation (cao from the segment). It is also a membrane current
(NONSPECIFIC_CURRENT i, nA) of the segment.

The rule (Graupner & Brunel 2012, eq. 1, without its noise term):
    tau_rho drho/dt = -rho (1 - rho) (rho_star - rho)
                      + gamma_p (1 - rho) H(c - theta_p) - gamma_d rho H(c - theta_d)
with c the rule's dimensionless calcium. Mapping (mgneuron's choice, stated):
    c = (casp - ca_rest) / ca_scale          (ca_scale in uM per unit of c)
so the thresholds in uM above rest are theta_d * ca_scale and theta_p * ca_scale.
Parameters: the cortical-slice fit of GB2012 (Sjostrom et al. 2001 data; SI Table S2):
theta_d 1, theta_p 1.3, gamma_d 331.909, gamma_p 725.085, tau_rho 346.3615 s,
rho_star 0.5 (its noise sigma 3.3501 is not used: the rule here is deterministic).
Efficacy w = w0 + rho (w1 - w0), written to wsyn at every step; w0 = 2/(1+b),
w1 = 2b/(1+b) with b = 5.40988 (the fit's UP/DOWN efficacy ratio), so w = 1 at
rho = rho0 = 0.5 (the rule's unstable fixed point: from there the sign of the change is
the sign of gamma_p t_p - gamma_d t_d over the induction).

The rule, the running times above threshold (t_p, t_d, ms) and the peak of casp are
frozen before t = 0 (while mgneuron's steady-state settling takes 1e9 ms steps at
negative t; mgneuron.engine.steady_state): the settling brings Ca2+ and the channel
gates to rest and leaves rho at rho0.

NEURON keeps 6 significant digits of a PARAMETER's default (tau_rho 346.3615 s reads
346362 ms): mgneuron.synapses.attach_plasticity sets every rule parameter from
mgneuron.measures.plasticity.GB2012_CORTICAL at full precision.
ENDCOMMENT

NEURON {
    POINT_PROCESS CaPlasticity
    USEION ca READ cao VALENCE 2
    NONSPECIFIC_CURRENT i
    POINTER ica_syn, wsyn
    RANGE vol, kappa_b, ca_rest, tau_ca, pbar_vgcc, ca_scale
    RANGE theta_d, theta_p, gamma_d, gamma_p, tau_rho, rho_star, rho0, b, w0, w1
    RANGE casp, rho, w, c, t_p, t_d, ca_peak, i_vgcc
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (mM) = (milli/liter)
    (uM) = (micro/liter)
}

PARAMETER {
    vol = 0.5 (um3)
    kappa_b = 20 (1)
    ca_rest = 0.05 (uM)
    tau_ca = 22.6936 (ms)
    pbar_vgcc = 0 (um3/ms)
    ca_scale = 1 (uM)
    theta_d = 1 (1)
    theta_p = 1.3 (1)
    gamma_d = 331.909 (1)
    gamma_p = 725.085 (1)
    tau_rho = 346361.5 (ms)
    rho_star = 0.5 (1)
    rho0 = 0.5 (1)
    b = 5.40988 (1)
    faraday = 96485.33212 (coulomb)
    rgas = 8.314462618 (joule/degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cao (mM)
    ica_syn (nA)
    wsyn (1)
    i (nA)
    i_vgcc (nA)
    w (1)
    c (1)
    tadj (1)
    ca_peak (uM)
    w0 (1)
    w1 (1)
}

STATE {
    casp (uM)
    rho (1)
    m (1)
    h (1)
    t_p (ms)
    t_d (ms)
}

INITIAL {
    check_parameters()
    tadj = 2.3 ^ ((celsius - 23) / 10)
    w0 = 2 / (1 + b)
    w1 = 2 * b / (1 + b)
    m = m_inf(v)
    h = h_inf(v)
    casp = ca_rest
    c = 0
    rho = rho0
    t_p = 0
    t_d = 0
    ca_peak = ca_rest
    w = w0 + rho * (w1 - w0)
    wsyn = w
}

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    i_vgcc = pbar_vgcc * m * m * h * ghk(v, casp, cao)
    i = i_vgcc
    c = (casp - ca_rest) / ca_scale
    if (casp > ca_peak && t >= 0) {
        ca_peak = casp
    }
    w = w0 + rho * (w1 - w0)
    wsyn = w
}

DERIVATIVE states {
    LOCAL cc, ivg, hp, hd, on
    ivg = pbar_vgcc * m * m * h * ghk(v, casp, cao)
    : nA / (2 F um3) -> uM/ms: 1e-9 C/s * 1e-3 s/ms / (2 F mol/C) / 1e-15 L * 1e6 uM/M
    casp' = -(ica_syn + ivg) * 1e9 / (2 * faraday * vol * (1 + kappa_b)) - (casp - ca_rest) / tau_ca
    m' = (m_inf(v) - m) / m_tau(v)
    h' = (h_inf(v) - h) / h_tau(v)
    cc = (casp - ca_rest) / ca_scale
    hp = 0
    hd = 0
    if (cc > theta_p) {
        hp = 1
    }
    if (cc > theta_d) {
        hd = 1
    }
    on = 1
    if (t < 0) {
        on = 0
    }
    rho' = on * (-rho * (1 - rho) * (rho_star - rho) + gamma_p * (1 - rho) * hp - gamma_d * rho * hd) / tau_rho
    t_p' = on * hp
    t_d' = on * hd
}

FUNCTION ghk(v (mV), ci (uM), co (mM)) (nA) {
    : GHK current (nA) of a Ca2+ permeability of 1 um3/ms, positive outward:
    : P z^2 F^2 V / (R T) (ci - co exp(-zFV/RT)) / (1 - exp(-zFV/RT)),
    : 1 um3/ms = 1e-15 m3/s, concentrations in mM = mol/m3, A -> nA 1e9.
    LOCAL zeta, cim
    cim = ci * 1e-3
    zeta = 2 * faraday * v * 1e-3 / (rgas * (celsius + 273.15))
    if (fabs(zeta) < 1e-6) {
        zeta = 1e-6
    }
    ghk = 1e-6 * 2 * faraday * zeta * (cim - co * exp(-zeta)) / (1 - exp(-zeta))
}

FUNCTION m_alpha(v (mV)) (/ms) {
    LOCAL x
    x = (-27 - v) / 3.8
    if (fabs(x) < 1e-6) {
        m_alpha = 0.055 * 3.8 * (1 - x / 2)
    } else {
        m_alpha = 0.055 * (-27 - v) / (exp(x) - 1)
    }
}

FUNCTION m_beta(v (mV)) (/ms) {
    m_beta = 0.94 * exp((-75 - v) / 17)
}

FUNCTION m_inf(v (mV)) (1) {
    m_inf = m_alpha(v) / (m_alpha(v) + m_beta(v))
}

FUNCTION m_tau(v (mV)) (ms) {
    m_tau = 1 / (tadj * (m_alpha(v) + m_beta(v)))
}

FUNCTION h_alpha(v (mV)) (/ms) {
    h_alpha = 0.000457 * exp((-13 - v) / 50)
}

FUNCTION h_beta(v (mV)) (/ms) {
    h_beta = 0.0065 / (exp((-v - 15) / 28) + 1)
}

FUNCTION h_inf(v (mV)) (1) {
    h_inf = h_alpha(v) / (h_alpha(v) + h_beta(v))
}

FUNCTION h_tau(v (mV)) (ms) {
    h_tau = 1 / (tadj * (h_alpha(v) + h_beta(v)))
}

PROCEDURE check_parameters() {
VERBATIM
#ifndef CORENEURON_BUILD
    if (!(vol > 0) || !(tau_ca > 0) || !(tau_rho > 0) || !(ca_scale > 0) || kappa_b < 0 || pbar_vgcc < 0) {
        hoc_execerror("CaPlasticity: vol, tau_ca, tau_rho and ca_scale must be > 0, kappa_b and pbar_vgcc >= 0", 0);
    }
    if (!(theta_p > theta_d) || rho0 < 0 || rho0 > 1 || !(b > 0)) {
        hoc_execerror("CaPlasticity: theta_p must exceed theta_d, rho0 lie in [0, 1] and b be > 0", 0);
    }
#endif
ENDVERBATIM
}
