"""Figures (matplotlib, Agg backend, no display needed): one module per protocol.

Every figure function reads a results file through :mod:`mgneuron.results`, labels its
axes with units, gives [Mg]o a legend, writes a PNG and returns its path. A protocol's
``plot`` method calls its module here; ``mgneuron plot FILE`` calls that method.

- :mod:`~mgneuron.plots.common`: figure, [Mg]o colours, save
- one module per protocol figure: :mod:`~mgneuron.plots.nmda_iv`,
  :mod:`~mgneuron.plots.epsp_mg`, :mod:`~mgneuron.plots.release_mg`,
  :mod:`~mgneuron.plots.inhibition_mg`, :mod:`~mgneuron.plots.excitability_mg`,
  :mod:`~mgneuron.plots.conduction`, :mod:`~mgneuron.plots.low_mg_network`,
  :mod:`~mgneuron.plots.spreading_depolarization`
- :mod:`~mgneuron.plots.morphology`: drawing a morphology (``mgneuron morph``)
"""

from mgneuron.plots.common import figure, mg_colors, save

__all__ = ["figure", "mg_colors", "save"]
