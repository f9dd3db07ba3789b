"""Releases of the anonymous feedback channel (the digest reads these only)."""
