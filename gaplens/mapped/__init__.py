"""Mapped CSV: any CSV with a declared mapping, into work items, AI usage or training."""
