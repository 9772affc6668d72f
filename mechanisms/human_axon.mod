COMMENT
human_axon: membrane of the human myelinated axon model used for threshold tracking, in
the node-internode form of Bostock's model (Bostock, Baker & Reid 1991, J Physiol 440:
635; Kiernan & Bostock 2000, Brain 123:2542) as extended by Howells, Trevillion,
Bostock & Burke 2012 (J Physiol 590:1625) with the HCN current. Written here from the
published equations; the same mechanism is inserted in the node and in the internodal
axolemma with different densities (mgneuron/axon/human.py).

Currents (densities in mA/cm2, V in mV), ohmic with fixed reversal potentials (the
published model uses Goldman-Hodgkin-Katz driving forces; an ohmic driving force is the
approximation made here and stated in mgneuron/axon/human.py):
    inat  = gnat  * m^3 h (v - ena)          transient Na+
    inap  = gnap  * p^3   (v - ena)          persistent Na+: no inactivation, the
                                             activation of m shifted by vp (mV, RANGE;
                                             default -15: persistent channels open at
                                             more negative potentials than transient
                                             ones, which is what lets them lengthen the
                                             strength-duration time constant, Bostock &
                                             Rothwell 1997, J Physiol 498:277)
    ikf   = gkf   * n^2   (v - ek)           fast K+ (Kv1)
    iks   = gks   * s     (v - ek)           slow K+ (Kv7)
    ih    = gh    * q     (v - eh)           HCN (Ih), mixed Na/K current
    ilk   = glk           (v - ena)          Na+ leak (the published leak is Na-carried)
    ipump = ipump0                           Na+/K+ pump, a constant outward current
                                             (it changes over minutes; the tests last
                                             tenths of a second)

Rate constants (/ms at 37 degC, u = v - vgate). Source, checked against the published
table: Bostock's human axon model as set out (node and internode, GHK driving forces
with T = 310.16 K, rate table in A /ms, B mV, C mV) in chapter 10 of the CRC Press volume
"Computational Neuroscience" (ISBN 978-1-4665-7832-6; read in the O'Reilly online copy,
oreilly.com/library/view/computational-neuroscience/9781466578326/chapter-10.html), the
model of Howells et al. 2012. The m, h, n, s, q constants below are that table's values
at 37 degC (tests/axon/test_human.py checks m, h, n to 1e-9); of the forms, alpha_m and
alpha_n are printed there, the others (not legible in the copy read) are the
Frankenhaeuser-Huxley forms of the human node as in McIntyre et al. 2002; they are the human-node
kinetics of Schwarz, Reid & Bostock 1995 (Pflugers Arch 430:283, 20 degC) refitted at
body temperature. Differences from that publication, stated: (1) ohmic, not GHK, driving
forces (above); (2) its Na+ current carries a further factor u (table row B = -80 mV,
C = -12 mV; the row's rate constant and u's role were not legible in the copy read), not
included here; (3) the persistent Na+ gate p and the node/internode conductances and
capacitances are this package's (mgneuron/axon/human.py), not the published fit, whose
parameter table was not found in any source available here.
    alpha_m = 1.872 (u + 56.59) / (1 - exp(-(u + 56.59) / 6.06))
    beta_m  = 3.973 (-(u + 61)) / (1 - exp((u + 61) / 9.41))
    alpha_h = 0.55 (-(u + 109.74)) / (1 - exp((u + 109.74) / 9.06))
    beta_h  = 22.61 / (1 + exp(-(u + 26) / 12.5))
    alpha_n = 0.129 (u + 53) / (1 - exp(-(u + 53) / 10))
    beta_n  = 0.324 (-(u + 78)) / (1 - exp((u + 78) / 10))
    alpha_s = 0.00556 exp((u - vs) / 22),  beta_s = 0.00556 exp(-(u - vs) / 22),  vs = -60
    alpha_q = 0.00125 exp(-(u - vq) / 12), beta_q = 0.00125 exp((u - vq) / 12),   vq = -110
The slow gates' rate pairs are symmetric about their half-activation (vs, vq; RANGE, so
that the sensory axon's depolarised Ih, Howells et al. 2012, is a parameter): s_inf is
a Boltzmann of half -60 mV and slope 11 mV with a time constant of at most 90 ms; q_inf
one of half vq and slope -6 mV, at most 400 ms. Temperature: rates scale by
Q10^((celsius - 37)/10), Q10 = 2.2 (m, n), 2.9 (h), 3.0 (s, q).

Gating shift (mechanisms/surface_charge.inc interface): every rate is evaluated at
u = v - vgate with vgate = vshift + screening_shift(mgo, cao), so [Mg]o and [Ca]o reach
all six gates through divalent screening. Leak and pump are not voltage-gated.
ENDCOMMENT

NEURON {
    SUFFIX human_axon
    NONSPECIFIC_CURRENT inat, inap, ikf, iks, ih, ilk, ipump
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE gnat, gnap, gkf, gks, gh, glk, ipump0, ena, ek, eh, vs, vq, vp, vshift
    RANGE inat, inap, ikf, iks, ih, ilk, ipump, vgate, m_inf, p_inf, s_inf, q_inf
    RANGE h_inf, n_inf, tau_m, tau_h, tau_n
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
    (S) = (siemens)
}

INCLUDE "surface_charge.inc"

PARAMETER {
    gnat = 0 (S/cm2)
    gnap = 0 (S/cm2)
    gkf = 0 (S/cm2)
    gks = 0 (S/cm2)
    gh = 0 (S/cm2)
    glk = 0 (S/cm2)
    ipump0 = 0 (mA/cm2)
    ena = 50 (mV)
    ek = -90 (mV)
    eh = -32 (mV)
    vs = -60 (mV)
    vq = -110 (mV)
    vp = -15 (mV)
    vshift = 0 (mV)
    q10_m = 2.2 (1)
    q10_h = 2.9 (1)
    q10_s = 3.0 (1)
    tref = 37 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    mgo (mM)
    cao (mM)
    inat (mA/cm2)
    inap (mA/cm2)
    ikf (mA/cm2)
    iks (mA/cm2)
    ih (mA/cm2)
    ilk (mA/cm2)
    ipump (mA/cm2)
    vgate (mV)
    qm (1)
    qh (1)
    qs (1)
    m_inf (1)
    p_inf (1)
    tau_p (ms)
    h_inf (1)
    n_inf (1)
    s_inf (1)
    q_inf (1)
    tau_m (ms)
    tau_h (ms)
    tau_n (ms)
    tau_s (ms)
    tau_q (ms)
}

STATE {
    m h n s q p
}

INITIAL {
    qm = q10_m^((celsius - tref) / 10 (degC))
    qh = q10_h^((celsius - tref) / 10 (degC))
    qs = q10_s^((celsius - tref) / 10 (degC))
    rates(v)
    m = m_inf
    p = p_inf
    h = h_inf
    n = n_inf
    s = s_inf
    q = q_inf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    inat = gnat * m * m * m * h * (v - ena)
    inap = gnap * p * p * p * (v - ena)
    ikf = gkf * n * n * (v - ek)
    iks = gks * s * (v - ek)
    ih = gh * q * (v - eh)
    ilk = glk * (v - ena)
    ipump = ipump0
}

DERIVATIVE states {
    rates(v)
    m' = (m_inf - m) / tau_m
    p' = (p_inf - p) / tau_p
    h' = (h_inf - h) / tau_h
    n' = (n_inf - n) / tau_n
    s' = (s_inf - s) / tau_s
    q' = (q_inf - q) / tau_q
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
    LOCAL u, a, b, e
    vgate = vshift + screening_shift(mgo, cao)
    u = vm - vgate
    a = qm * 1.872 * lintrap(u + 56.59, 6.06)
    b = qm * 3.973 * lintrap(-(u + 61), 9.41)
    tau_m = 1 / (a + b)
    m_inf = a * tau_m
    a = qm * 1.872 * lintrap(u - vp + 56.59, 6.06)
    b = qm * 3.973 * lintrap(-(u - vp + 61), 9.41)
    tau_p = 1 / (a + b)
    p_inf = a * tau_p
    a = qh * 0.55 * lintrap(-(u + 109.74), 9.06)
    b = qh * 22.61 / (1 + exp(-(u + 26) / 12.5))
    tau_h = 1 / (a + b)
    h_inf = a * tau_h
    a = qm * 0.129 * lintrap(u + 53, 10)
    b = qm * 0.324 * lintrap(-(u + 78), 10)
    tau_n = 1 / (a + b)
    n_inf = a * tau_n
    e = exp((u - vs) / 22)
    a = qs * 0.00556 * e
    b = qs * 0.00556 / e
    tau_s = 1 / (a + b)
    s_inf = a * tau_s
    e = exp(-(u - vq) / 12)
    a = qs * 0.00125 * e
    b = qs * 0.00125 / e
    tau_q = 1 / (a + b)
    q_inf = a * tau_q
}
UNITSON
