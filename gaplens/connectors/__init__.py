"""Adapters that read external formats into validated records; they never write the store."""
