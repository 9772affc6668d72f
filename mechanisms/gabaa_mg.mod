COMMENT
GabaASynMg: GABA-A receptor synapse with Mg2+-modulated conductance, behind the same
presynaptic release model as GluSynMg (release.inc: Tsodyks-Markram dynamics, baseline
release probability set by [Ca]o and [Mg]o, deterministic or stochastic).

At a presynaptic spike (NetCon event, weight w, default 1):
    g = gmax * mg_mod * (b - a)       peak gmax * mg_mod * w * released
    i = g * (v - e_gaba)
with a peak-normalised dual exponential (dualexp.inc) and mg_mod the modulation of the
conductance by [Mg]o, normalised to exactly 1 at mg_mod_ref (1 mM):
    s(Mg)  = 1 + mg_mod_emax * Mg / (Mg + mg_mod_k)
    mg_mod = s([Mg]o) / s(mg_mod_ref)            (mg_mod_on = 1)
    mg_mod = 1                                   (mg_mod_on = 0: the off switch)
A saturating increase of GABA-A efficacy with [Mg]o: in guinea-pig neocortical slices,
lowering [Mg]o depressed GABA responses dose-dependently and reversibly, and raising it
again potentiated them ("Effects of hypomagnesia on transmitter actions in neocortical
slices", Br J Pharmacol 1990, 101:1006-1010, doi:10.1111/j.1476-5381.1990.tb14197.x);
80 uM Mg2+ halved the GABA EC50 in cultured hippocampal neurons (weak source). The
evidence gives the sign and saturation, not the size: the defaults mg_mod_emax = 0.5,
mg_mod_k = 0.5 mM (Mg-free 0.75, 0.5 mM 0.9375, 2.5 mM 1.0625 of the 1 mM conductance)
are an assumption of this model, exposed for fitting. The modulation acts on the
postsynaptic conductance only; the release model sees [Mg]o separately.

Defaults: tau_rise 0.5 ms, tau_decay 8 ms (fast somatic GABA-A IPSCs of cortical pyramidal
cells at 32-35 degC decay in 5-10 ms), e_gaba -75 mV; release U = 0.25,
tau_rec = 706 ms, tau_facil = 21 ms: the depressing inhibitory ("I2") class of
Markram et al. 2015 (Cell 163:456), after Gupta, Wang & Markram 2000 (Science 287:273).
ENDCOMMENT

NEURON {
    POINT_PROCESS GabaASynMg
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    NONSPECIFIC_CURRENT i
    RANGE gmax, e_gaba, tau_rise, tau_decay
    RANGE mg_mod_on, mg_mod_emax, mg_mod_k, mg_mod_ref, mg_mod
    RANGE g
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

INCLUDE "dualexp.inc"
INCLUDE "release.inc"

PARAMETER {
    gmax = 0.001 (uS)
    e_gaba = -75 (mV)
    U = 0.25 (1)
    tau_rec = 706 (ms)
    tau_facil = 21 (ms)
    tau_rise = 0.5 (ms)
    tau_decay = 8 (ms)
    mg_mod_on = 1
    mg_mod_emax = 0.5 (1)
    mg_mod_k = 0.5 (mM)
    mg_mod_ref = 1 (mM)
}

ASSIGNED {
    v (mV)
    mgo (mM)
    cao (mM)
    i (nA)
    g (uS)
    mg_mod (1)
    factor (1)
}

STATE {
    a (1)
    b (1)
}

INITIAL {
    gaba_check()
    if (tau_rise / tau_decay > 0.9999) {
        tau_rise = 0.9999 * tau_decay
    }
    factor = dualexp_factor(tau_rise, tau_decay)
    a = 0
    b = 0
    mg_mod = gaba_mg_modulation(mgo)
    release_init(cao, mgo)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    mg_mod = gaba_mg_modulation(mgo)
    g = gmax * mg_mod * (b - a)
    i = g * (v - e_gaba)
}

DERIVATIVE states {
    a' = -a / tau_rise
    b' = -b / tau_decay
}

PROCEDURE gaba_check() {
VERBATIM
#ifndef CORENEURON_BUILD
    if (mg_mod_on != 0.0 && mg_mod_on != 1.0) {
        hoc_execerror("GabaASynMg: mg_mod_on must be 0 (off) or 1 (on)", 0);
    }
    if (mg_mod_k <= 0.0 || mg_mod_emax <= -1.0 || mg_mod_ref < 0.0) {
        hoc_execerror("GabaASynMg: need mg_mod_k > 0, mg_mod_emax > -1 and mg_mod_ref >= 0", 0);
    }
#endif
ENDVERBATIM
}

FUNCTION gaba_mg_saturation(mg (mM)) (1) {
    gaba_mg_saturation = 1 + mg_mod_emax * mg / (mg + mg_mod_k)
}

FUNCTION gaba_mg_modulation(mg (mM)) (1) {
    if (mg_mod_on == 0) {
        gaba_mg_modulation = 1
    } else {
        gaba_mg_modulation = gaba_mg_saturation(mg) / gaba_mg_saturation(mg_mod_ref)
    }
}

NET_RECEIVE(weight (1)) {
    LOCAL x
    x = weight * release_event(t, cao, mgo)
    a = a + x * factor
    b = b + x * factor
}
