COMMENT
KdrMus: delayed-rectifier K+ current of a mammalian skeletal muscle fibre (n4).

Rate functions of the muscle fibre model of Cannon, Brown & Corey 1993 (Biophys J
65:270, Table 1; after Adrian & Marshall 1977), written here from the published form;
the slow inactivation of that model's K+ current (seconds) is left out:

    u = v - (vshift + screening_shift(mgo, cao))
    alpha_n = an linoid(u - vn, kan),       beta_n = bn exp(-(u - vn) / kbn)
    ik = gbar n^4 (v - ek)

an 0.0131 /ms/mV, bn 0.067 /ms, vn -40 mV, kan 7 mV, kbn 40 mV at temp0 = 37 degC,
q10 = 3 (rates only); constants of the paper as recalled (see muscle_na.mod). The Cannon
lab's simulator defaults (see muscle_na.mod) have the same form, half-points and slopes
with rates exactly twice these (0.0262 /ms/mV, 0.134 /ms) and a slow inactivation; with
the doubled rates the fibre's action potential narrows (half-width 1.04 -> 0.77 ms,
peak 55.5 -> 49.6 mV) and the endplate's safety factor does not change (2.17). Not
adopted: that file is a later model, not the 1993 table.

Gating shift interface (mechanisms/surface_charge.inc): RANGE vshift plus the divalent
screening shift. gbar in S/cm2.
ENDCOMMENT

NEURON {
    SUFFIX KdrMus
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
    gbar = 0.0216 (S/cm2)
    vshift = 0 (mV)
    an = 0.0131 (/ms-mV)
    bn = 0.067 (/ms)
    vn = -40 (mV)
    kan = 7 (mV)
    kbn = 40 (mV)
    q10 = 3 (1)
    temp0 = 37 (degC)
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
    g = gbar * n * n * n * n
    ik = g * (v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n) / ntau
}

PROCEDURE rates(vv (mV)) {
    LOCAL u, a, b
    tadj = q10^((celsius - temp0) / 10 (degC))
    u = vv - (vshift + screening_shift(mgo, cao))
    a = an * linoid(u - vn, kan)
    b = bn * exp(-(u - vn) / kbn)
    ninf = a / (a + b)
    ntau = 1 / (tadj * (a + b))
}
