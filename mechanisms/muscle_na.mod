COMMENT
NaMus: fast Na+ current of a mammalian skeletal muscle fibre (Hodgkin-Huxley m3h form).

Rate functions of the mammalian (rat) muscle fibre model of Cannon, Brown & Corey 1993
(Biophys J 65:270, their Table 1; after Adrian & Marshall 1977), written here from the
published form; the slow inactivation gate of that model is left out (it acts over
seconds, beyond a train-of-four's 1.5 s at the 1-2 % level):

    u = v - (vshift + screening_shift(mgo, cao))
    alpha_m = am linoid(u - vm, kam),       beta_m = bm exp(-(u - vm) / kbm)
    alpha_h = ah exp(-(u - vh) / kah),      beta_h = bh / (1 + exp(-(u - vh) / kbh))
    x_inf = alpha / (alpha + beta),        tau_x = 1 / (tadj (alpha + beta))
    ina = gbar m^3 h (v - ena)

am 0.288 /ms/mV (linoid gives mV), bm 1.38 /ms, vm -46 mV, kam 10 mV, kbm 18 mV;
ah 0.0081 /ms, bh 4.38 /ms, vh -45 mV, kah 14.7 mV, kbh 9 mV; rates at temp0 = 37 degC,
tadj = q10^((celsius - temp0)/10), q10 = 3 (rates only). The constants are those of the
paper as recalled (the table could not be re-read while writing this file); the fibre's
action potential is tested against published rat fibre values instead
(tests/protocols/test_neuromuscular.py): threshold, overshoot, duration. Checked against
the default parameters of the Cannon lab's muscle fibre simulator (GitHub
Cannon-Lab/Muscle-Fiber-Simulation, muscle_sim/Muscle_Default_Params.xlsx, a later model
of that lab with T-tubules and GHK currents, run at 295 K): the activation constants
agree (0.2875 /ms/mV, 1.375 /ms, -46 mV, 10 mV, 18 mV); its inactivation has another form
(alpha_h = 0.508 / (1 + exp((V + 110) / 9.97)), beta_h = 3.272 / (1 + exp(-(V + 26.2) /
9.09)), h_inf a Boltzmann of -80 mV, 5.37 mV), with about the same availability at rest
(0.72 there, 0.71 here at -85 mV). Which temperature the 1993 constants belong to could
not be settled from it.

Gating shift interface (mechanisms/surface_charge.inc): RANGE vshift (mV) plus the
divalent screening shift from [Mg]o and [Ca]o. gbar in S/cm2.
ENDCOMMENT

NEURON {
    SUFFIX NaMus
    USEION na READ ena WRITE ina
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE gbar, g, vshift, minf, hinf, mtau, htau
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
    gbar = 0.15 (S/cm2)
    vshift = 0 (mV)
    am = 0.288 (/ms-mV)
    bm = 1.38 (/ms)
    vm = -46 (mV)
    kam = 10 (mV)
    kbm = 18 (mV)
    ah = 0.0081 (/ms)
    bh = 4.38 (/ms)
    vh = -45 (mV)
    kah = 14.7 (mV)
    kbh = 9 (mV)
    q10 = 3 (1)
    temp0 = 37 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
    mgo (mM)
    cao (mM)
    g (S/cm2)
    minf (1)
    hinf (1)
    mtau (ms)
    htau (ms)
    tadj (1)
}

STATE { m h }

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar * m * m * m * h
    ina = g * (v - ena)
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
}

PROCEDURE rates(vv (mV)) {
    LOCAL u, a, b
    tadj = q10^((celsius - temp0) / 10 (degC))
    u = vv - (vshift + screening_shift(mgo, cao))
    a = am * linoid(u - vm, kam)
    b = bm * exp(-(u - vm) / kbm)
    minf = a / (a + b)
    mtau = 1 / (tadj * (a + b))
    a = ah * exp(-(u - vh) / kah)
    b = bh / (1 + exp(-(u - vh) / kbh))
    hinf = a / (a + b)
    htau = 1 / (tadj * (a + b))
}
