"""A small recurrent cortical network for low-Mg2+ seizure-like activity.

Why the network bursts at low [Mg]o
-----------------------------------
In vitro, removing Mg2+ from the bath turns the asynchronous activity of a cortical or
hippocampal slice into recurrent, synchronised epileptiform discharges that NMDA
antagonists block and non-NMDA antagonists do not; raising [Ca]o to 3 mM abolishes them
(Isaev et al. 2012, J Neurophysiol 107:417). Golomb and colleagues modelled the same
phenomenon as persistent synchronised bursting of a recurrent excitatory/inhibitory
network once the NMDA Mg2+ block is removed (see ``shared/VALIDATION.md``). This package
builds such a network with the package's own Mg-aware synapses, so each of these effects
has a cause that can be switched off:

* every excitatory connection is a ``GluSynMg`` (AMPA + NMDA). At -65 mV and 1 mM Mg2+
  the NMDA conductance is ~94 % blocked, so a spike mostly delivers a short AMPA charge
  and the network fires asynchronously. Without Mg2+ the slow (65 ms) NMDA conductance
  is unblocked and the recurrent excitatory charge per spike grows about tenfold:
  activity regenerates itself and the whole population fires together (a population
  burst). Setting the NMDA conductance to zero (``scaled(nmda=0)``, the D-APV
  experiment) removes that charge and the bursts, although the other effects of the
  Mg-free bath (surface-charge screening, weaker GABA-A, higher release) remain;
* a burst ends because the depressing synapses (Tsodyks-Markram release; E->E U = 0.5,
  tau_rec = 671 ms in the reference bath, Markram et al. 2015) run out of resources and
  every spike adds to a slow afterhyperpolarising K+ conductance of the pyramidal cells
  (see :func:`~mgneuron.network.cells.pyramidal_cell`); the next burst starts when both
  have recovered, so the bursts recur a few hundred ms apart;
* [Ca]o and [Mg]o set the baseline release probability of every synapse
  (Dodge-Rahamimoff) and, through the channels' surface-charge screening
  (``mechanisms/surface_charge.inc``), the gating of every Na/K channel. The [Ca]o
  dependence this gives, and its limits, are in ``docs/guide.md`` ("Protocol notes:
  low_mg_network");
* the external (background) drive is fixed across baths (AMPA only, release independent
  of the bath): every difference between conditions comes from the network.

Layout
------
``n_exc`` pyramidal cells (gids ``0 .. n_exc-1``) and ``n_inh`` fast-spiking basket cells
(gids ``n_exc .. n_exc+n_inh-1``). Pyramidal cells are reduced multicompartment cells
(soma, a lumped basal dendrite, an apical trunk and tuft); basket cells are single
compartments. Connections are drawn with a fixed in-degree per pathway from a seeded
``numpy`` generator; every rank draws the same table and builds the part whose
postsynaptic cell it owns.

Describe first, build later:

- :mod:`~mgneuron.network.cells`: the reduced cells (:class:`ReducedCellSpec`: sections
  plus a :class:`mgneuron.biophysics.Biophysics`), pyramidal and basket
- :mod:`~mgneuron.network.spec`: :class:`NetworkSpec` (picklable), pathways, background,
  :func:`default_network`, :func:`draw_connections`
- :mod:`~mgneuron.network.builder`: :func:`build` creates this rank's NEURON objects;
  :meth:`Network.clear` releases the gids
- :mod:`~mgneuron.network.simulate`: :func:`simulate` runs it with the engine,
  :func:`population_spikes` gathers the spikes on rank 0

The measures of the spike trains (bursts, synchrony, rates) are pure functions in
:mod:`mgneuron.measures.network`.
"""

from mgneuron.network.builder import BACKGROUND_STREAM, Network, ReducedCell, build
from mgneuron.network.cells import (
    NetworkError,
    ReducedCellSpec,
    SectionSpec,
    basket_cell,
    pyramidal_cell,
)
from mgneuron.network.simulate import population_spikes, simulate
from mgneuron.network.spec import (
    DEFAULT_PARAMETERS,
    EXC,
    INH,
    Background,
    Connections,
    NetworkSpec,
    Pathway,
    default_network,
    draw_connections,
)

__all__ = [
    "EXC",
    "INH",
    "NetworkError",
    "SectionSpec",
    "ReducedCellSpec",
    "pyramidal_cell",
    "basket_cell",
    "Pathway",
    "Background",
    "NetworkSpec",
    "DEFAULT_PARAMETERS",
    "default_network",
    "Connections",
    "draw_connections",
    "BACKGROUND_STREAM",
    "ReducedCell",
    "Network",
    "build",
    "simulate",
    "population_spikes",
]
