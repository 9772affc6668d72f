COMMENT
NMDAMg: NMDA receptor synapse with a selectable voltage-dependent Mg2+ block.

Conductance: peak-normalised dual exponential (tau_rise, tau_decay), driven by NetCon
events; the event weight (dimensionless, default 1) scales gmax (uS).
    g = gmax * (b - a),   i = g * B * (v - e)
B is the unblocked fraction from mgblock.inc (block_model 0/1/2). A fraction frac_ca of
the current is carried by Ca2+ (written to ica so it can be recorded and integrated);
frac_ca = 0.1 after Burnashev et al. 1995 (J Physiol 485:403), fractional Ca2+ current of
NMDA receptors ~11 % at physiological [Ca]o.
Running integrals: q (pC) the inward NMDA charge, qca (pC) the inward Ca2+ charge.
Defaults: tau_rise 2 ms, tau_decay 65 ms, within the range of cortical NMDA EPSCs
(rise 0.3-2 ms, decay 40-80 ms; see VALIDATION.md).
ENDCOMMENT

NEURON {
    POINT_PROCESS NMDAMg
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT i_nonca
    RANGE tau_rise, tau_decay, gmax, e, frac_ca
    RANGE g, i, q, qca
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
    (pC) = (picocoulomb)
}

INCLUDE "mgblock.inc"
INCLUDE "dualexp.inc"

PARAMETER {
    tau_rise = 2 (ms)
    tau_decay = 65 (ms)
    gmax = 0.001 (uS)
    e = 0 (mV)
    frac_ca = 0.1 (1)
}

ASSIGNED {
    v (mV)
    mgo (mM)
    ica (nA)
    i_nonca (nA)
    i (nA)
    g (uS)
    factor (1)
}

STATE {
    a (1)
    b (1)
    q (pC)
    qca (pC)
}

INITIAL {
    mgblock_check()
    if (tau_rise / tau_decay > 0.9999) {
        tau_rise = 0.9999 * tau_decay
    }
    factor = dualexp_factor(tau_rise, tau_decay)
    a = 0
    b = 0
    q = 0
    qca = 0
    mgblock_rates(v, mgo)
    mgblocked = mgb_inf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    B = mgblock_unblocked(v, mgo)
    g = gmax * (b - a)
    i = g * B * (v - e)
    ica = frac_ca * i
    i_nonca = i - ica
}

DERIVATIVE states {
    mgblock_rates(v, mgo)
    mgblocked' = (mgb_inf - mgblocked) / mgb_tau
    a' = -a / tau_rise
    b' = -b / tau_decay
    q' = -gmax * (b - a) * mgblock_unblocked(v, mgo) * (v - e)
    qca' = -frac_ca * gmax * (b - a) * mgblock_unblocked(v, mgo) * (v - e)
}

NET_RECEIVE(weight (1)) {
    a = a + weight * factor
    b = b + weight * factor
}
