COMMENT
NaT: transient Na+ current of neocortical pyramidal neurons (Hodgkin-Huxley m3h form).

Kinetics of Mainen, Joerges, Huguenard & Sejnowski 1995 (Neuron 15:1427), fitted to
Huguenard, Hamill & Prince 1988 and Hamill et al. 1991, as used by Mainen & Sejnowski 1996
(Nature 382:363), written here from the published equations:

    u = v - (vshift + screening_shift(mgo, cao)) + voffset
    alpha_m = Ra linoid(u - tha, qa),    linoid(x, y) = x / (1 - exp(-x/y))
    beta_m  = Rb linoid(tha - u, qa)
    m_inf = alpha_m / (alpha_m + beta_m),      tau_m = 1 / (tadj (alpha_m + beta_m))
    a_h = Rd linoid(u - thi1, qi)
    b_h = Rg linoid(thi2 - u, qi)
    h_inf = 1 / (1 + exp((u - thinf)/qinf)),   tau_h = 1 / (tadj (a_h + b_h))
    g = tadj gbar m^3 h,   ina = g (v - ena)

tha -35 mV, qa 9 mV, Ra 0.182 /ms, Rb 0.124 /ms; thi1 -50 mV, thi2 -75 mV, qi 5 mV,
thinf -65 mV, qinf 6.2 mV, Rg 0.0091 /ms, Rd 0.024 /ms; kinetics measured at 23 degC,
tadj = q10^((celsius - 23)/10) with q10 = 2.3. As in Mainen & Sejnowski's model the
conductance is scaled by tadj as well, and the rate curves are moved by voffset = -5 mV
(their "vshift"; rates at v - 5 mV, i.e. curves 5 mV depolarised).

Gating shift interface (mechanisms/surface_charge.inc): RANGE vshift (mV, set by other
mechanisms or the environment) plus the divalent screening shift from [Mg]o and [Ca]o.
The 0/0 of the rates at u = tha, thi1, thi2 is handled by linoid.inc.
gbar is in S/cm2 (Mainen & Sejnowski give pS/um2: 1 pS/um2 = 1e-4 S/cm2).
ENDCOMMENT

NEURON {
    SUFFIX NaT
    USEION na READ ena WRITE ina
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE gbar, g, vshift, minf, hinf, mtau, htau
    GLOBAL q10, temp0, voffset
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
    gbar = 0.002 (S/cm2)
    vshift = 0 (mV)
    voffset = -5 (mV)
    tha = -35 (mV)
    qa = 9 (mV)
    Ra = 0.182 (/ms)
    Rb = 0.124 (/ms)
    thi1 = -50 (mV)
    thi2 = -75 (mV)
    qi = 5 (mV)
    thinf = -65 (mV)
    qinf = 6.2 (mV)
    Rg = 0.0091 (/ms)
    Rd = 0.024 (/ms)
    q10 = 2.3 (1)
    temp0 = 23 (degC)
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
    g = tadj * gbar * m * m * m * h
    ina = g * (v - ena)
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / mtau
    h' = (hinf - h) / htau
}

PROCEDURE rates(vm (mV)) {
    LOCAL u, a, b
    tadj = q10^((celsius - temp0) / 10 (degC))
    u = vm - (vshift + screening_shift(mgo, cao)) + voffset
    a = Ra * linoid(u - tha, qa)
    b = Rb * linoid(tha - u, qa)
    minf = a / (a + b)
    mtau = 1 / (tadj * (a + b))
    a = Rd * linoid(u - thi1, qi)
    b = Rg * linoid(thi2 - u, qi)
    hinf = 1 / (1 + exp((u - thinf) / qinf))
    htau = 1 / (tadj * (a + b))
}
