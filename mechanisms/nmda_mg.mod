COMMENT
NMDAMg: NMDA receptor synapse with a selectable voltage-dependent Mg2+ block, a GHK Ca2+
current, and optional channel blockers (memantine, ketamine, MK-801) and D-APV.

Conductance: peak-normalised dual exponential (tau_rise, tau_decay), driven by NetCon
events; the event weight (dimensionless, default 1) scales gmax (uS).
    gopen = gmax * (b - a) * B * (1 - dblk) * apv_free()          (uS)
    i_nonca = gopen * (v - e)                                     monovalent, reverses at e
    ica = pca * gopen * ghk_ca(v, cai, cao)                       Ca2+, GHK (ghkca.inc)
    i = i_nonca + ica
B is the unblocked fraction from mgblock.inc (block_model 0/1/2/3/4), dblk the fraction
blocked by a drug and apv_free() the fraction free of D-APV (nmdadrug.inc; no drug by
default). ica (nA, negative inward) is a RANGE variable (syn._ref_ica for pointers) and is
written to the ion: inward at every potential below E_Ca, about 10 % of the current at
-60 mV in 2 mM [Ca]o (see ghkca.inc), rising with [Ca]o.
Running integrals: q (pC) the inward NMDA charge, qca (pC) the inward Ca2+ charge
(integrals of -i and -ica).
Defaults: tau_rise 2 ms, tau_decay 65 ms, within the range of cortical NMDA EPSCs
(rise 0.3-2 ms, decay 40-80 ms; see VALIDATION.md).
ENDCOMMENT

NEURON {
    POINT_PROCESS NMDAMg
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca READ cai, cao WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT i_nonca
    RANGE tau_rise, tau_decay, gmax, e
    RANGE g, i, q, qca, ica, i_nonca
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
    (pC) = (picocoulomb)
}

INCLUDE "mgblock.inc"
INCLUDE "ghkca.inc"
INCLUDE "nmdadrug.inc"
INCLUDE "dualexp.inc"

PARAMETER {
    tau_rise = 2 (ms)
    tau_decay = 65 (ms)
    gmax = 0.001 (uS)
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    mgo (mM)
    cai (mM)
    cao (mM)
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
    mgblock_init(v, mgo)
    drug_init(v, mgblock_unblocked(v, mgo))
    ica = 0
    i_nonca = 0
    i = 0
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    B = mgblock_unblocked(v, mgo)
    g = gmax * (b - a) * B * (1 - dblk) * apv_free()
    i_nonca = g * (v - e)
    ica = pca * g * ghk_ca(v, cai, cao)
    i = i_nonca + ica
}

DERIVATIVE states {
    mgblock_rates(v, mgo)
    drug_rates(v, b - a, a / tau_rise - b / tau_decay, mgblock_unblocked(v, mgo))
    mgblocked' = (mgb_inf - mgblocked) / mgb_tau
    mgtrapped' = (mgt_inf - mgtrapped) / mgt_tau
    dblk' = (dblk_inf - dblk) / dblk_tau
    a' = -a / tau_rise
    b' = -b / tau_decay
    : the currents of the last BREAKPOINT (at the start of the step)
    q' = -i
    qca' = -ica
}

NET_RECEIVE(weight (1)) {
    a = a + weight * factor
    b = b + weight * factor
}
