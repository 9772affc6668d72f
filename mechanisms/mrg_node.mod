COMMENT
mrg_node: membrane of a node of Ranvier of a mammalian motor fibre, after McIntyre,
Richardson & Grill 2002 (J Neurophysiol 87:995, Appendix), written from the paper's
equations.

Currents (densities in mA/cm2, V in mV):
    inaf = gnafbar * m^3 * h * (v - ena)      fast Na+
    inap = gnapbar * p^3     * (v - ena)      persistent Na+
    iks  = gksbar  * s       * (v - ek)       slow K+
    il   = gl                * (v - el)       leak
Defaults 3.0 / 0.01 / 0.08 / 0.007 S/cm2, ena 50, ek -90, el -90 mV (MRG 2002).

Rate constants (/ms), as printed for 36 degC, with u = v - vgate (see below):
    alpha_m = 6.57 (u + 21.4) / (1 - exp(-(u + 21.4) / 10.3))
    beta_m  = 0.304 (-(u + 25.7)) / (1 - exp((u + 25.7) / 9.16))
    alpha_h = 0.34 (-(u + 114)) / (1 - exp((u + 114) / 11))
    beta_h  = 12.6 / (1 + exp(-(u + 31.8) / 13.4))
    alpha_p = 0.0353 (u + 27) / (1 - exp(-(u + 27) / 10.2))
    beta_p  = 0.000883 (-(u + 34)) / (1 - exp((u + 34) / 10))
    alpha_s = 0.3 / (1 + exp((u + 53) / -5))
    beta_s  = 0.03 / (1 + exp((u + 90) / -1))
The half-activation offset of alpha_m is the one of the authors' released model, which
produced the paper's figures (21.4 mV). Temperature: rates scale by Q10^((celsius - 36)/10)
with Q10 = 2.2 (m, p), 2.9 (h), 3.0 (s); 36 degC is the temperature the printed rates hold
at (they are the 20 degC rates of the source data times 2.2^1.6 and 2.9^1.6).

Gating shift (mechanisms/surface_charge.inc interface): every rate is evaluated at
u = v - vgate with vgate = vshift + screening_shift(mgo, cao), so divalent screening by the
bath reaches all four gates with no other call. The leak is not voltage-gated.

The currents are NONSPECIFIC (as in the paper, fixed ena/ek), so the node's Na/K do not
depend on the ion concentrations of other mechanisms; each current is exposed for recording.
Sodium-channel density for a widened node: the builder (mgneuron/axon.py) scales the
densities, the mechanism is the membrane only.
ENDCOMMENT

NEURON {
    SUFFIX mrg_node
    NONSPECIFIC_CURRENT inaf, inap, iks, il
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE gnafbar, gnapbar, gksbar, gl, ena, ek, el, vshift
    RANGE inaf, inap, iks, il, vgate
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
    (S) = (siemens)
}

INCLUDE "surface_charge.inc"

PARAMETER {
    gnafbar = 3.0 (S/cm2)
    gnapbar = 0.01 (S/cm2)
    gksbar = 0.08 (S/cm2)
    gl = 0.007 (S/cm2)
    ena = 50 (mV)
    ek = -90 (mV)
    el = -90 (mV)
    vshift = 0 (mV)
    q10_mp = 2.2 (1)
    q10_h = 2.9 (1)
    q10_s = 3.0 (1)
    tref = 36 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    mgo (mM)
    cao (mM)
    inaf (mA/cm2)
    inap (mA/cm2)
    iks (mA/cm2)
    il (mA/cm2)
    vgate (mV)
    qmp (1)
    qh (1)
    qs (1)
    m_inf (1)
    h_inf (1)
    p_inf (1)
    s_inf (1)
    tau_m (ms)
    tau_h (ms)
    tau_p (ms)
    tau_s (ms)
}

STATE {
    m h p s
}

INITIAL {
    qmp = q10_mp^((celsius - tref) / 10 (degC))
    qh = q10_h^((celsius - tref) / 10 (degC))
    qs = q10_s^((celsius - tref) / 10 (degC))
    rates(v)
    m = m_inf
    h = h_inf
    p = p_inf
    s = s_inf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    inaf = gnafbar * m * m * m * h * (v - ena)
    inap = gnapbar * p * p * p * (v - ena)
    iks = gksbar * s * (v - ek)
    il = gl * (v - el)
}

DERIVATIVE states {
    rates(v)
    m' = (m_inf - m) / tau_m
    h' = (h_inf - h) / tau_h
    p' = (p_inf - p) / tau_p
    s' = (s_inf - s) / tau_s
}

UNITSOFF
: x / (1 - exp(-x / k)), finite (= k) at x = 0
FUNCTION lintrap(x, k) {
    if (fabs(x / k) < 1e-6) {
        lintrap = k * (1 + x / k / 2)
    } else {
        lintrap = x / (1 - exp(-x / k))
    }
}

PROCEDURE rates(vm) {
    LOCAL u, a, b
    vgate = vshift + screening_shift(mgo, cao)
    u = vm - vgate
    a = qmp * 6.57 * lintrap(u + 21.4, 10.3)
    b = qmp * 0.304 * lintrap(-(u + 25.7), 9.16)
    tau_m = 1 / (a + b)
    m_inf = a * tau_m
    a = qh * 0.34 * lintrap(-(u + 114), 11)
    b = qh * 12.6 / (1 + exp(-(u + 31.8) / 13.4))
    tau_h = 1 / (a + b)
    h_inf = a * tau_h
    a = qmp * 0.0353 * lintrap(u + 27, 10.2)
    b = qmp * 0.000883 * lintrap(-(u + 34), 10)
    tau_p = 1 / (a + b)
    p_inf = a * tau_p
    a = qs * 0.3 / (1 + exp((u + 53) / -5))
    b = qs * 0.03 / (1 + exp((u + 90) / -1))
    tau_s = 1 / (a + b)
    s_inf = a * tau_s
}
UNITSON
