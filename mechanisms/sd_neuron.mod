COMMENT
SDNeuron: the membrane of the neurons of a tissue voxel for spreading depolarization (SD),
with the ion fluxes that NEURON's rxd turns into concentration changes inside and outside.

A lumped neuron: the section stands for all the neurons of its extracellular voxel; every
current density below is per unit of real membrane and is multiplied by `scale` (real
membrane area / section area, set with cm = scale uF/cm2 so that dv/dt is that of the real
membrane). Channels after the single-cell SD model of Kager, Wadman & Somjen 2000
(J Neurophysiol 84:495: persistent Na+, delayed-rectifier K+, NMDA-type current, leaks,
Na+/K+-ATPase), in ohmic form with Nernst potentials from the concentrations:

    u = v - (vshift + screening_shift(mgo, cao))          (divalent screening, surface_charge.inc)
    INaP  = gnap mnap_inf(u) hnap (v - ENa)              mnap_inf = 1 / (1 + exp(-(u - nap_vh) / nap_k))
                                                         hnap' = (hnap_inf(u) - hnap) / nap_htau
    IKdr  = gkdr n (v - EK)                              n_inf = 1 / (1 + exp(-(u - kdr_vh) / kdr_k)),
                                                         n' = (n_inf - n) / kdr_tau
    INMDA = gnmda glu B(v, mgo) (1 - dblk) apv_free   carried by Na+ (fraction nmda_fna) and K+:
            ina += fna g (v - ENa),  ik += (1 - fna) g (v - EK)
    leaks gkl (v - EK), gnal (v - ENa), gcl (v - ECl)
    pump  Ip = imax / ((1 + km_k / [K]o)^2 (1 + km_na / [Na]i)^3)   (Kager et al. 2000 form);
          ina += 3 Ip, ik -= 2 Ip (3 Na+ out, 2 K+ in per cycle)

B is the package's Mg2+ block (mgblock.inc, block_model 0..3) at the same mgo every
mechanism reads; dblk and apv_free the package's NMDA drugs (nmdadrug.inc). glu (0..1) is
the fraction of NMDA receptors activated by glutamate that the voxel's depolarised neurons
release and that uptake clears (time constant glu_tau):
    glu' = (glu_inf(v) - glu) / glu_tau,   glu_inf = 1 / (1 + exp(-(v - glu_vh) / glu_k))
(a local pool: glutamate is not a diffusing species here; see the protocol's docstring).

Balanced rest: at INITIAL, gkl and gnal are chosen so that the K+ and Na+ currents (pump
included) vanish at rest_v with the reference concentrations rest_ko, rest_ki, rest_nao,
rest_nai (and Cl- is at equilibrium when ECl = rest_v): the resting tissue does not drift.
balance = 0 keeps gkl and gnal as given. pump = 0 switches the pump off (after balancing).
ENDCOMMENT

NEURON {
    SUFFIX SDNeuron
    USEION k READ ko, ki WRITE ik
    USEION na READ nao, nai WRITE ina
    USEION cl READ clo, cli WRITE icl VALENCE -1
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE scale, gnap, nap_vh, nap_k, nap_hvh, nap_hk, nap_htau
    RANGE gkdr, kdr_vh, kdr_k, kdr_tau
    RANGE gnmda, nmda_fna, glu_vh, glu_k, glu_tau
    RANGE gkl, gnal, gcl, imax, km_k, km_na, pump, balance
    RANGE rest_v, rest_ko, rest_ki, rest_nao, rest_nai
    RANGE vshift, inap, ikdr, inmda, ipump, ek_sd, ena_sd, ecl_sd
    THREADSAFE
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

INCLUDE "surface_charge.inc"
INCLUDE "mgblock.inc"
INCLUDE "nmdadrug.inc"

PARAMETER {
    scale = 1 (1)
    gnap = 0.0002 (S/cm2)
    nap_vh = -52 (mV)
    nap_k = 5 (mV)
    nap_hvh = -40 (mV)
    nap_hk = 8 (mV)
    nap_htau = 2000 (ms)
    gkdr = 0.005 (S/cm2)
    kdr_vh = -25 (mV)
    kdr_k = 8 (mV)
    kdr_tau = 5 (ms)
    gnmda = 0.001 (S/cm2)
    nmda_fna = 0.55 (1)
    glu_vh = -40 (mV)
    glu_k = 5 (mV)
    glu_tau = 200 (ms)
    gkl = 0 (S/cm2)
    gnal = 0 (S/cm2)
    gcl = 0.0001 (S/cm2)
    imax = 0.005 (mA/cm2)
    km_k = 2 (mM)
    km_na = 7.7 (mM)
    pump = 1 (1)
    balance = 1 (1)
    vshift = 0 (mV)
    rest_v = -70 (mV)
    rest_ko = 3.5 (mM)
    rest_ki = 130 (mM)
    rest_nao = 140 (mM)
    rest_nai = 10 (mM)
}

ASSIGNED {
    v (mV)
    ko (mM)
    ki (mM)
    nao (mM)
    nai (mM)
    clo (mM)
    cli (mM)
    mgo (mM)
    cao (mM)
    ik (mA/cm2)
    ina (mA/cm2)
    icl (mA/cm2)
    inap (mA/cm2)
    ikdr (mA/cm2)
    inmda (mA/cm2)
    ipump (mA/cm2)
    ek_sd (mV)
    ena_sd (mV)
    ecl_sd (mV)
    ninf (1)
    hinf (1)
    gluinf (1)
}

STATE {
    n (1)
    hnap (1)
    glu (1)
}

FUNCTION rtf() (mV) {
    rtf = (1000) * R * (celsius + 273.15) / FARADAY
}

FUNCTION pump_rate(k (mM), na (mM)) (mA/cm2) {
    pump_rate = imax / ((1 + km_k / k) * (1 + km_k / k) * (1 + km_na / na) * (1 + km_na / na) * (1 + km_na / na))
}

PROCEDURE rates(vm (mV)) {
    LOCAL u
    u = vm - (vshift + screening_shift(mgo, cao))
    ninf = 1 / (1 + exp(-(u - kdr_vh) / kdr_k))
    hinf = 1 / (1 + exp((u - nap_hvh) / nap_hk))
    gluinf = 1 / (1 + exp(-(vm - glu_vh) / glu_k))
}

FUNCTION mnap(vm (mV)) (1) {
    mnap = 1 / (1 + exp(-(vm - (vshift + screening_shift(mgo, cao)) - nap_vh) / nap_k))
}

INITIAL {
    LOCAL ekr, enar, ipr, gn, bmg
    mgblock_check()
    rates(v)
    n = ninf
    hnap = hinf
    glu = gluinf
    mgblock_init(v, mgo)
    bmg = mgblock_unblocked(v, mgo)
    drug_init(v, bmg)
    if (balance) {
        : leaks from the reference rest (not the local concentrations: a K+ bolus voxel
        : starts out of balance, as it should)
        ekr = rtf() * log(rest_ko / rest_ki)
        enar = rtf() * log(rest_nao / rest_nai)
        ipr = pump_rate(rest_ko, rest_nai)
        gn = gnmda * glu * bmg * (1 - dblk) * apv_free()
        gkl = -(gkdr * n * (rest_v - ekr) + (1 - nmda_fna) * gn * (rest_v - ekr) - 2 * ipr) / (rest_v - ekr)
        gnal = -(gnap * mnap(rest_v) * hnap * (rest_v - enar) + nmda_fna * gn * (rest_v - enar) + 3 * ipr) / (rest_v - enar)
        if (gkl < 0 || gnal < 0) {
VERBATIM
#ifndef CORENEURON_BUILD
            hoc_execerror("SDNeuron: no balanced rest with non-negative leaks (raise imax or lower the resting channel currents)", 0);
#endif
ENDVERBATIM
        }
    }
}

BREAKPOINT {
    LOCAL gn, bmg
    SOLVE states METHOD cnexp
    ek_sd = rtf() * log(ko / ki)
    ena_sd = rtf() * log(nao / nai)
    ecl_sd = -rtf() * log(clo / cli)
    bmg = mgblock_unblocked(v, mgo)
    gn = scale * gnmda * glu * bmg * (1 - dblk) * apv_free()
    inap = scale * gnap * mnap(v) * hnap * (v - ena_sd)
    ikdr = scale * gkdr * n * (v - ek_sd)
    inmda = gn * (nmda_fna * (v - ena_sd) + (1 - nmda_fna) * (v - ek_sd))
    ipump = scale * pump * pump_rate(ko, nai)
    ina = inap + scale * gnal * (v - ena_sd) + gn * nmda_fna * (v - ena_sd) + 3 * ipump
    ik = ikdr + scale * gkl * (v - ek_sd) + gn * (1 - nmda_fna) * (v - ek_sd) - 2 * ipump
    icl = scale * gcl * (v - ecl_sd)
}

DERIVATIVE states {
    rates(v)
    mgblock_rates(v, mgo)
    drug_rates(v, glu, (gluinf - glu) / glu_tau, mgblock_unblocked(v, mgo))
    mgblocked' = (mgb_inf - mgblocked) / mgb_tau
    mgtrapped' = (mgt_inf - mgtrapped) / mgt_tau
    dblk' = (dblk_inf - dblk) / dblk_tau
    n' = (ninf - n) / kdr_tau
    hnap' = (hinf - hnap) / nap_htau
    glu' = (gluinf - glu) / glu_tau
}
