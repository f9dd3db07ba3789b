"""Friction audit: AI output that needed correction, and the use-case scorecard built on it."""
