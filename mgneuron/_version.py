"""The package version (one place; the results writer and the CLI read it)."""

__version__ = "0.1.0"
