"""Preparations: built models with their stimulation and recording, ready to measure.

- :mod:`~mgneuron.preparations.clamp`: isopotential compartments, each voltage-clamped
  at its own holding potential (SEClamp), for synapses measured under voltage clamp
- :mod:`~mgneuron.preparations.current_clamp`: a cell or a myelinated axon at rest in
  its bath, under current clamp, with spike detection
- :mod:`~mgneuron.preparations.muscle`: a muscle fibre with its endplate (quantal
  acetylcholine release, nicotinic receptors) and a detector of propagated action
  potentials, for the neuromuscular junction
- :mod:`~mgneuron.preparations.sites`: location rules checked on the cell of a condition
  before a sweep simulates (memoised per cell)
- :mod:`~mgneuron.preparations.tissue`: a strip of tissue with extracellular K+, Na+ and
  Cl- in NEURON rxd (spreading depolarization), built and torn down per run
"""
