"""Releases: viewer-independent, disclosure-controlled sets of figures, built when data changes."""
