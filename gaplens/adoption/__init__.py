"""Capability: the adoption funnel, from licences assigned to AI integrated into the work."""
