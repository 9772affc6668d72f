COMMENT
Km: slow, non-inactivating muscarinic-type K+ current (M current) of neocortical neurons.

From Mainen & Sejnowski 1996 (Nature 382:363), after the slow K+ current of Gutfreund,
Yarom & Segev 1995 (J Physiol 483:621); one activation gate n, first order; written here
from the published equations:

    u = v - (vshift + screening_shift(mgo, cao))
    alpha_n = Ra linoid(u - tha, qa),   beta_n = Rb linoid(tha - u, qa)
    n_inf = alpha_n / (alpha_n + beta_n),   tau_n = 1 / (tadj (alpha_n + beta_n))
    g = tadj gbar n,   ik = g (v - ek)

tha -30 mV, qa 9 mV, Ra = Rb = 0.001 /ms, measured at 23 degC,
tadj = q10^((celsius - 23)/10), q10 = 2.3 (conductance scaled by tadj too, as in the
published model). linoid(x, y) = x / (1 - exp(-x/y)) (linoid.inc).

Gating shift interface (mechanisms/surface_charge.inc): RANGE vshift plus the divalent
screening shift from [Mg]o and [Ca]o. gbar in S/cm2 (1 pS/um2 = 1e-4 S/cm2).
ENDCOMMENT

NEURON {
    SUFFIX Km
    USEION k READ ek WRITE ik
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE gbar, g, vshift, ninf, ntau
    GLOBAL q10, temp0
    THREADSAFE
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
    (mM) = (milli/liter)
}

INCLUDE "surface_charge.inc"
INCLUDE "linoid.inc"

PARAMETER {
    gbar = 1e-5 (S/cm2)
    vshift = 0 (mV)
    tha = -30 (mV)
    qa = 9 (mV)
    Ra = 0.001 (/ms)
    Rb = 0.001 (/ms)
    q10 = 2.3 (1)
    temp0 = 23 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    mgo (mM)
    cao (mM)
    g (S/cm2)
    ninf (1)
    ntau (ms)
    tadj (1)
}

STATE { n }

INITIAL {
    rates(v)
    n = ninf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = tadj * gbar * n
    ik = g * (v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n) / ntau
}

PROCEDURE rates(vm (mV)) {
    LOCAL u, a, b
    tadj = q10^((celsius - temp0) / 10 (degC))
    u = vm - (vshift + screening_shift(mgo, cao))
    a = Ra * linoid(u - tha, qa)
    b = Rb * linoid(tha - u, qa)
    ninf = a / (a + b)
    ntau = 1 / (tadj * (a + b))
}
