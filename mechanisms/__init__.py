"""NMODL sources of mgneuron, installed as package data (``mgneuron._nmodl``)."""
