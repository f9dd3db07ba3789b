"""Normalising free text before it is scored or clustered.

Feedback arrives from web forms, Slack and CSV exports, so it carries HTML fragments,
entities, URLs, zero-width and control characters and compatibility forms (full-width
letters, ligatures). None of that is meaning; all of it would split one word into
several features or hide a word from the sentiment lexicon.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

_TAG: Final = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_URL: Final = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL: Final = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_SPACES: Final = re.compile(r"[^\S\n]+")
_NEWLINES: Final = re.compile(r"\s*\n\s*")


def _visible_line(line: str) -> str:
    """Map control, format, separator and unassigned code points to spaces.

    str.isprintable() is the C-speed check for exactly those categories, so the
    per-character pass only runs on the rare line that needs it.
    """
    if line.isprintable():
        return line
    return "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in line)


def clean_text(text: str) -> str:
    """Plain, NFKC-normalised text with markup, links and invisible characters removed.

    Links and e-mail addresses are dropped as well as tags: they are noise to a theme
    and may identify someone.
    """
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_visible_line(line) for line in text.split("\n")).translate(_APOSTROPHES)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()
