"""Offline themes and sentiment for free-text feedback (capability 5).

Plain data in, plain data out: no database, no network, no model download. Theme
members are indices into the caller's texts and must pass the privacy rules before
any text or count is shown.
"""

from gaplens.themes.extraction import Theme, extract_themes
from gaplens.themes.sentiment import sentiment, sentiment_label

__all__ = ["Theme", "extract_themes", "sentiment", "sentiment_label"]
