COMMENT
GluSynMg: glutamatergic synapse, AMPA + NMDA receptors behind one presynaptic release
process whose baseline release probability depends on [Ca]o and [Mg]o (release.inc).

At a presynaptic spike (NetCon event, weight w, default 1) the release model returns the
fraction of the maximal conductance activated, released (0-1; see release.inc), and
    g_ampa = gmax * (b_ampa - a_ampa)                    peak gmax * w * released
    g_nmda = gmax * nmda_ratio * (b_nmda - a_nmda)       peak gmax * nmda_ratio * w * released
    i_ampa = g_ampa * (v - e)
    i_nmda = g_nmda * B * (v - e)
with peak-normalised dual exponentials (dualexp.inc) and B the NMDA unblocked fraction
from mgblock.inc (the same code and parameters as NMDAMg: block_model 0 Jahr-Stevens,
1 Woodhull, 2 kinetic). nmda_ratio is the NMDA/AMPA peak-conductance ratio.
A fraction frac_ca of the NMDA current is carried by Ca2+ (written to ica), as in NMDAMg.
i is the total synaptic current (nA, positive outward); g = g_ampa + B * g_nmda the total
effective conductance (uS), so that i = g * (v - e).

Defaults: AMPA 0.2 / 1.7 ms (Hausser & Roth 1997, J Neurosci 17:7606), NMDA 2 / 65 ms (as
NMDAMg; cortical NMDA EPSCs rise 0.3-2 ms, decay 40-80 ms), nmda_ratio 0.5; release
U = 0.5, tau_rec = 671 ms, tau_facil = 17 ms: the depressing E->E ("E2") class of
Markram et al. 2015 (Cell 163:456), after Gupta, Wang & Markram 2000 (Science 287:273).
ENDCOMMENT

NEURON {
    POINT_PROCESS GluSynMg
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao WRITE ica VALENCE 2
    NONSPECIFIC_CURRENT i_nonca
    RANGE gmax, nmda_ratio, e, frac_ca
    RANGE tau_rise_ampa, tau_decay_ampa, tau_rise_nmda, tau_decay_nmda
    RANGE g_ampa, g_nmda, i_ampa, i_nmda, i, g
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

INCLUDE "mgblock.inc"
INCLUDE "dualexp.inc"
INCLUDE "release.inc"

PARAMETER {
    gmax = 0.001 (uS)
    nmda_ratio = 0.5 (1)
    e = 0 (mV)
    frac_ca = 0.1 (1)
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
    cao (mM)
    ica (nA)
    i_nonca (nA)
    i (nA)
    i_ampa (nA)
    i_nmda (nA)
    g_ampa (uS)
    g_nmda (uS)
    g (uS)
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
    mgblock_rates(v, mgo)
    mgblocked = mgb_inf
    release_init(cao, mgo)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    B = mgblock_unblocked(v, mgo)
    g_ampa = gmax * (b_ampa - a_ampa)
    g_nmda = gmax * nmda_ratio * (b_nmda - a_nmda)
    i_ampa = g_ampa * (v - e)
    i_nmda = g_nmda * B * (v - e)
    ica = frac_ca * i_nmda
    i_nonca = i_ampa + i_nmda - ica
    i = i_ampa + i_nmda
    g = g_ampa + B * g_nmda
}

DERIVATIVE states {
    mgblock_rates(v, mgo)
    mgblocked' = (mgb_inf - mgblocked) / mgb_tau
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
