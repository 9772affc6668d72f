COMMENT
GluSynMg: glutamatergic synapse, AMPA + NMDA receptors behind one presynaptic release
process whose baseline release probability depends on [Ca]o and [Mg]o (release.inc).

At a presynaptic spike (NetCon event, weight w, default 1) the release model returns the
fraction of the maximal conductance activated, released (0-1; see release.inc), and
    g_ampa = wscale * gmax * (b_ampa - a_ampa)           peak wscale * gmax * w * released
    g_nmda = gmax * nmda_ratio * (b_nmda - a_nmda)       peak gmax * nmda_ratio * w * released
    gopen = g_nmda * B * (1 - dblk) * apv_free()
    i_ampa = g_ampa * (v - e)
    i_nmda = gopen * (v - e) + ica,   ica = pca * gopen * ghk_ca(v, cai, cao)
with peak-normalised dual exponentials (dualexp.inc), B the NMDA unblocked fraction from
mgblock.inc (the same code and parameters as NMDAMg: block_model 0 Jahr-Stevens,
1 Woodhull, 2 kinetic, 3 Vargas-Caballero-Robinson, 4 permeant), dblk and apv_free() the drugs of
nmdadrug.inc, and the Ca2+ part of the NMDA current from the GHK flux equation
(ghkca.inc; about 10 % of it at -60 mV in 2 mM [Ca]o). nmda_ratio is the NMDA/AMPA
peak-conductance ratio.
wscale (1, default 1) multiplies the AMPA conductance only: it is the plastic AMPA weight
that a plasticity mechanism may set (the NMDA conductance, hence the Ca2+ entry, is not
scaled). ica (nA, negative inward; the Ca2+ part of the NMDA current) is a RANGE
variable, so syn._ref_ica can be given to a POINTER.
i is the total synaptic current (nA, positive outward); g = g_ampa + gopen the total
chord conductance (uS) of the AMPA and the monovalent NMDA current (i = g * (v - e) + ica).

Defaults: AMPA 0.2 / 1.7 ms (Hausser & Roth 1997, J Neurosci 17:7606), NMDA 2 / 65 ms (as
NMDAMg; cortical NMDA EPSCs rise 0.3-2 ms, decay 40-80 ms), nmda_ratio 0.5; release
U = 0.5, tau_rec = 671 ms, tau_facil = 17 ms: the depressing E->E ("E2") class of
Markram et al. 2015 (Cell 163:456), after Gupta, Wang & Markram 2000 (Science 287:273).
ENDCOMMENT

NEURON {
    POINT_PROCESS GluSynMg
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca READ cai, cao WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT i_nonca
    RANGE gmax, nmda_ratio, e, wscale, ica
    RANGE tau_rise_ampa, tau_decay_ampa, tau_rise_nmda, tau_decay_nmda
    RANGE g_ampa, g_nmda, gopen, i_ampa, i_nmda, i, g
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

INCLUDE "mgblock.inc"
INCLUDE "ghkca.inc"
INCLUDE "nmdadrug.inc"
INCLUDE "dualexp.inc"
INCLUDE "release.inc"

PARAMETER {
    gmax = 0.001 (uS)
    nmda_ratio = 0.5 (1)
    e = 0 (mV)
    wscale = 1 (1)
    U = 0.5 (1)
    tau_rec = 671 (ms)
    tau_facil = 17 (ms)
    tau_rise_ampa = 0.2 (ms)
    tau_decay_ampa = 1.7 (ms)
    tau_rise_nmda = 2 (ms)
    tau_decay_nmda = 65 (ms)
}

ASSIGNED {
    v (mV)
    mgo (mM)
    cai (mM)
    cao (mM)
    ica (nA)
    i_nonca (nA)
    i (nA)
    i_ampa (nA)
    i_nmda (nA)
    g_ampa (uS)
    g_nmda (uS)
    g (uS)
    gopen (uS)
    factor_ampa (1)
    factor_nmda (1)
}

STATE {
    a_ampa (1)
    b_ampa (1)
    a_nmda (1)
    b_nmda (1)
}

INITIAL {
    mgblock_check()
    if (tau_rise_ampa / tau_decay_ampa > 0.9999) {
        tau_rise_ampa = 0.9999 * tau_decay_ampa
    }
    if (tau_rise_nmda / tau_decay_nmda > 0.9999) {
        tau_rise_nmda = 0.9999 * tau_decay_nmda
    }
    factor_ampa = dualexp_factor(tau_rise_ampa, tau_decay_ampa)
    factor_nmda = dualexp_factor(tau_rise_nmda, tau_decay_nmda)
    a_ampa = 0
    b_ampa = 0
    a_nmda = 0
    b_nmda = 0
    mgblock_init(v, mgo)
    drug_init(v, mgblock_unblocked(v, mgo))
    release_init(cao, mgo)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    B = mgblock_unblocked(v, mgo)
    g_ampa = wscale * gmax * (b_ampa - a_ampa)
    g_nmda = gmax * nmda_ratio * (b_nmda - a_nmda)
    gopen = g_nmda * B * (1 - dblk) * apv_free()
    i_ampa = g_ampa * (v - e)
    ica = pca * gopen * ghk_ca(v, cai, cao)
    i_nmda = gopen * (v - e) + ica
    i_nonca = i_ampa + i_nmda - ica
    i = i_ampa + i_nmda
    g = g_ampa + gopen
}

DERIVATIVE states {
    mgblock_rates(v, mgo)
    drug_rates(v, b_nmda - a_nmda, a_nmda / tau_rise_nmda - b_nmda / tau_decay_nmda, mgblock_unblocked(v, mgo))
    mgblocked' = (mgb_inf - mgblocked) / mgb_tau
    mgtrapped' = (mgt_inf - mgtrapped) / mgt_tau
    dblk' = (dblk_inf - dblk) / dblk_tau
    a_ampa' = -a_ampa / tau_rise_ampa
    b_ampa' = -b_ampa / tau_decay_ampa
    a_nmda' = -a_nmda / tau_rise_nmda
    b_nmda' = -b_nmda / tau_decay_nmda
}

NET_RECEIVE(weight (1)) {
    LOCAL x
    x = weight * release_event(t, cao, mgo)
    a_ampa = a_ampa + x * factor_ampa
    b_ampa = b_ampa + x * factor_ampa
    a_nmda = a_nmda + x * factor_nmda
    b_nmda = b_nmda + x * factor_nmda
}
