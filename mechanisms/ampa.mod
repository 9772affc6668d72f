COMMENT
AMPASyn: AMPA receptor synapse, peak-normalised dual exponential, no Mg2+ block.

    g = gmax * (b - a),   i = g * (v - e)
The NetCon weight (dimensionless, default 1) scales gmax (uS).
Defaults tau_rise 0.2 ms, tau_decay 1.7 ms: fast cortical AMPA EPSCs at 32-35 degC
(Hausser & Roth 1997, J Neurosci 17:7606, dendritic patches of L5 pyramidal cells).
Running integral q (pC): inward AMPA charge.
ENDCOMMENT

NEURON {
    POINT_PROCESS AMPASyn
    THREADSAFE
    NONSPECIFIC_CURRENT i
    RANGE tau_rise, tau_decay, gmax, e, g, q
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (pC) = (picocoulomb)
}

INCLUDE "dualexp.inc"

PARAMETER {
    tau_rise = 0.2 (ms)
    tau_decay = 1.7 (ms)
    gmax = 0.001 (uS)
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor (1)
}

STATE {
    a (1)
    b (1)
    q (pC)
}

INITIAL {
    if (tau_rise / tau_decay > 0.9999) {
        tau_rise = 0.9999 * tau_decay
    }
    factor = dualexp_factor(tau_rise, tau_decay)
    a = 0
    b = 0
    q = 0
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gmax * (b - a)
    i = g * (v - e)
}

DERIVATIVE states {
    a' = -a / tau_rise
    b' = -b / tau_decay
    q' = -gmax * (b - a) * (v - e)
}

NET_RECEIVE(weight (1)) {
    a = a + weight * factor
    b = b + weight * factor
}
