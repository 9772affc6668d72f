"""Morphologies shipped with mgneuron, installed as package data."""
