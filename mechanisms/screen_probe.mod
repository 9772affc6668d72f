COMMENT
ScreenProbe (SUFFIX screen_probe): records the surface-charge gating shift of this segment.

A density mechanism with no current. shift (mV) = screening_shift(mgo, cao) from
surface_charge.inc, the value every voltage-gated channel of mgneuron adds to its vshift
in the same segment (when its screening GLOBALs equal this mechanism's; see
mgneuron.screening.configure). Insert it to record or read the shift per segment:
    sec.insert("screen_probe"); seg.screen_probe.shift; h.Vector().record(seg._ref_shift_screen_probe)
It is updated at finitialize and every time step, so a change of seg.mgo or seg.cao shows
at the next step with no other call.
ENDCOMMENT

NEURON {
    SUFFIX screen_probe
    USEION mg READ mgo VALENCE 2
    USEION ca READ cao VALENCE 2
    RANGE shift
}

UNITS {
    (mV) = (millivolt)
    (mM) = (milli/liter)
}

INCLUDE "surface_charge.inc"

ASSIGNED {
    mgo (mM)
    cao (mM)
    celsius (degC)
    shift (mV)
}

INITIAL {
    shift = screening_shift(mgo, cao)
}

BREAKPOINT {
    shift = screening_shift(mgo, cao)
}
