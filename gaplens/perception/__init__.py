"""Perception figures (capability 1): how each role level answers, and the gaps between them."""
