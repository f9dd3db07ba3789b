"""gaplens: the gap between what leadership believes AI does and what the work shows."""

__version__ = "0.1.0"
