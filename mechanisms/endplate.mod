COMMENT
EndplateSyn: the endplate of a neuromuscular junction. Acetylcholine is released in
quanta by the package's presynaptic release model (release.inc: Dodge-Rahamimoff
competition of Mg2+ with Ca2+, Tsodyks-Markram depletion, binomial release sites) and
opens nicotinic receptors:

    at a nerve impulse (NetCon event, weight w, default 1):
        released = release_event(t, cao, mgo)     fraction of the n_sites sites releasing
        quanta   = released * n_sites             quanta (vesicles) released by the impulse
        conductance peak += w * gmax * released   gmax = n_sites * quantal conductance
    g = gmax * (b - a)                            peak-normalised dual exponential
    i = g * (v - e)

Stochastic mode (stochastic = 1): each of n_sites release sites holds at most one vesicle
and releases it with probability u (binomial quanta, release.inc); deterministic mode: the
mean. The Random123 stream release_rng is set from Python like the other synapses'.
Receptor kinetics: rise tau_rise, decay tau_decay (mammalian endplate currents decay with
tau ~ 1-2 ms near room temperature and faster when warm; Wood & Slater 2001, Prog
Neurobiol 64:393), reversal e (about 0 mV: Takeuchi & Takeuchi 1960, J Physiol 154:52,
measured -15 mV at the frog endplate; mammalian values lie near 0 mV).
The defaults are set by mgneuron.endplate.EndplateSpec (the cited values live there).
ENDCOMMENT

NEURON {
    POINT_PROCESS EndplateSyn
    THREADSAFE
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    NONSPECIFIC_CURRENT i
    RANGE gmax, e, tau_rise, tau_decay, g, quanta, quanta_total
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
    gmax = 1 (uS)
    e = 0 (mV)
    tau_rise = 0.2 (ms)
    tau_decay = 1.0 (ms)
    U = 0.1 (1)
    tau_rec = 5000 (ms)
    tau_facil = 0 (ms)
}

ASSIGNED {
    v (mV)
    mgo (mM)
    cao (mM)
    i (nA)
    g (uS)
    factor (1)
    quanta (1)
    quanta_total (1)
}

STATE {
    a (1)
    b (1)
}

INITIAL {
    if (tau_rise / tau_decay > 0.9999) {
        tau_rise = 0.9999 * tau_decay
    }
    factor = dualexp_factor(tau_rise, tau_decay)
    a = 0
    b = 0
    quanta = 0
    quanta_total = 0
    release_init(cao, mgo)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gmax * (b - a)
    i = g * (v - e)
}

DERIVATIVE states {
    a' = -a / tau_rise
    b' = -b / tau_decay
}

NET_RECEIVE(weight (1)) {
    LOCAL x
    x = release_event(t, cao, mgo)
    quanta = x * n_sites
    quanta_total = quanta_total + quanta
    x = weight * x
    a = a + x * factor
    b = b + x * factor
}
