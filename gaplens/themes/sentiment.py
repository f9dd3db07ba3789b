"""Offline sentiment for workplace feedback about AI tools.

VADER is used because it is fast, needs no model download and ships its lexicon inside
the package. Out of the box it misses how people complain about AI at work: "it wastes
my time fixing its output" scores 0.0 because "wastes" is not in its lexicon and the
cost lives in phrases ("had to rewrite", "fixing its output"). A small domain lexicon
and a handful of phrase rules close that gap without changing VADER's scoring rules
(negation, boosters, "but", punctuation emphasis all still apply).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from gaplens.themes.text import clean_text

# Single words, on VADER's -4..+4 scale. Entries override VADER's own where both exist.
DOMAIN_LEXICON: Final[dict[str, float]] = {
    # Correction work and wrong output: the friction gaplens exists to surface.
    "wastes": -1.8,
    "hallucinate": -2.0,
    "hallucinates": -2.0,
    "hallucinated": -2.0,
    "hallucinating": -2.0,
    "hallucination": -2.0,
    "hallucinations": -2.0,
    "fabricated": -2.0,
    "fabricates": -2.0,
    "rework": -1.5,
    "reworked": -1.2,
    "reworking": -1.5,
    "redo": -1.2,
    "slow": -1.3,
    "slower": -1.5,
    "slowed": -1.3,
    "slows": -1.3,
    "sluggish": -1.5,
    "buggy": -1.8,
    "inaccurate": -1.9,
    "incorrect": -1.9,
    "unreliable": -1.9,
    "unusable": -2.2,
    "unhelpful": -1.8,
    "clunky": -1.5,
    "tedious": -1.5,
    "garbage": -2.0,
    "junk": -1.8,
    "bogus": -1.8,
    "nonsensical": -1.8,
    "outdated": -1.0,
    "bloated": -1.2,
    # Job-security language VADER lacks.
    "afraid": -1.5,
    "layoffs": -1.8,
    "redundancies": -1.5,
    "bottleneck": -1.3,
    "bottlenecks": -1.3,
    # Time saved and quality gained.
    "faster": 1.5,
    "quicker": 1.5,
    "speedier": 1.5,
    "saves": 1.8,
    "saving": 1.5,
    "timesaver": 2.0,
    "accurate": 1.5,
    "reliable": 1.5,
    "productive": 1.8,
    "streamlined": 1.5,
    "streamlines": 1.5,
    "handy": 1.5,
    "intuitive": 1.5,
    "seamless": 1.8,
}

_OBJ: Final = r"(?:me|us|them|him|her|you|everyone|the\s+team)"
_TO: Final = r"(?:had|have|has|having|need|needs|needed|must)\s+to"

# Multi-word patterns, each folded into one synthetic token the lexicon knows. Folding
# (rather than scoring the phrase separately) keeps VADER's negation working:
# "never had to rewrite" still reads as "never <negative>" and flips.
DOMAIN_PHRASES: Final[tuple[tuple[str, str, float], ...]] = (
    (
        "wastetime",
        r"\bwast(?:e|es|ed|ing)\s+(?:(?:my|our|your|their|so\s+much|a\s+lot\s+of|"
        r"too\s+much|more|hours\s+of)\s+)?time\b",
        -2.2,
    ),
    (
        "redowork",
        rf"\b{_TO}\s+(?:re-?write|re-?do|rework|fix|correct|double[-\s]check|"
        r"start\s+over|throw\s+(?:it\s+|them\s+)?away|check\s+every)",
        -1.8,
    ),
    (
        "fixoutput",
        r"\b(?:fix|fixes|fixed|fixing|correct|correcting|clean(?:ing)?\s+up)\s+"
        r"(?:its|the\s+ai'?s?|all\s+(?:of\s+)?(?:its|the))\s+"
        r"(?:output|mistakes|errors|code|answers|drafts?|suggestions|work)\b",
        -1.8,
    ),
    (
        "madeup",
        r"\b(?:made[-\s]up|(?:made|makes|make|making)\s+(?:it|that|things|stuff|facts)\s+up)\b",
        -2.0,
    ),
    ("longer", r"\b(?:takes?|took|taking)\s+(?:much\s+|far\s+|way\s+|a\s+lot\s+)?longer\b", -1.2),
    ("pileup", r"\b(?:pile|piles|piled|piling)\s+up\b", -1.0),
    ("slowdown", rf"\b(?:slow|slows|slowed|slowing)\s+{_OBJ}\s+down\b", -1.6),
    ("forever", r"\b(?:takes|took|taking|take)\s+forever\b", -1.5),
    ("extrawork", r"\b(?:more|extra)\s+work\b", -1.2),
    (
        "replaceus",
        r"\b(?:replac(?:e|es|ed|ing)|cut(?:s|ting)?)\s+(?:me|us|my\s+job|our\s+jobs|"
        r"my\s+role|our\s+roles|people|staff|humans|jobs)\b",
        -1.8,
    ),
    ("laidoff", r"\b(?:laid|lay|laying)\s+(?:us\s+|people\s+|staff\s+)?off\b", -2.0),
    ("saveus", rf"\bsav(?:e|es|ed|ing)\s+{_OBJ}\b", 2.0),
    ("timesaved", r"\btime[-\s]?sav(?:ed|er|ers|ing|ings)\b", 2.0),
    ("speedup", r"\b(?:speeds?|sped|speeding)\s+(?:(?:things|it|me|us|everything)\s+)?up\b", 1.6),
    ("freeup", r"\bfre(?:e|es|ed|eing)\s+up\b", 1.5),
)

_PHRASE_PREFIX: Final = "gaplensphrase"
_PHRASE_RULES: Final = tuple(
    (re.compile(pattern, re.IGNORECASE), f" {_PHRASE_PREFIX}{name} ")
    for name, pattern, _ in DOMAIN_PHRASES
)
_SENTENCE_BREAK: Final = re.compile(r"(?<=[.!?])\s+|\n+")

# Per-text polarity uses VADER's published cut-offs.
TEXT_POSITIVE: Final = 0.05
TEXT_NEGATIVE: Final = -0.05

# A theme is labelled by the mean of its members' scores, with a band twice as wide as
# VADER's per-text cut-off so that a theme of mostly neutral remarks is not called
# positive on the strength of a few, and "mixed" also when the theme is polarised
# (at least a third of members on the opposite side of the mean's sign).
THEME_POSITIVE: Final = 0.10
THEME_NEGATIVE: Final = -0.10
THEME_OPPOSITE_SHARE: Final = 1 / 3

# VADER's "but" rule is quadratic in words; comments are short, pasted logs are not.
_MAX_CHARS: Final = 10_000


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    """Build one analyser with the domain lexicon; building reads the lexicon file."""
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    for name, _, valence in DOMAIN_PHRASES:
        analyzer.lexicon[f"{_PHRASE_PREFIX}{name}"] = valence
    return analyzer


def _fold_phrases(text: str) -> str:
    """Replace each domain phrase with the one token the lexicon scores it by."""
    for pattern, token in _PHRASE_RULES:
        text = pattern.sub(token, text)
    return text


def sentiment(text: str) -> float:
    """Compound sentiment of one text, -1 (negative) to +1 (positive).

    Each sentence is scored on its own and the scores of the sentences that carry any
    sentiment are averaged: VADER's compound saturates on long paragraphs, and neutral
    framing ("We use it for email.") should not dilute the opinion that follows it.
    """
    return score_clean(clean_text(text[:_MAX_CHARS]))


def score_clean(cleaned: str) -> float:
    """sentiment() for text that has already been through clean_text()."""
    cleaned = cleaned[:_MAX_CHARS]
    if not cleaned:
        return 0.0
    analyzer = _analyzer()
    scores = []
    for sentence in _SENTENCE_BREAK.split(cleaned):
        if sentence.strip():
            score = float(analyzer.polarity_scores(_fold_phrases(sentence))["compound"])
            if score >= TEXT_POSITIVE or score <= TEXT_NEGATIVE:
                scores.append(score)
    if not scores:
        return 0.0
    return max(-1.0, min(1.0, sum(scores) / len(scores)))


def sentiment_label(scores: Sequence[float]) -> str:
    """Label a group of texts "negative", "mixed" or "positive" from their scores.

    See THEME_* above for the thresholds and why they are what they are.
    """
    if not scores:
        return "mixed"
    mean = sum(scores) / len(scores)
    positive = sum(1 for s in scores if s >= TEXT_POSITIVE) / len(scores)
    negative = sum(1 for s in scores if s <= TEXT_NEGATIVE) / len(scores)
    if mean >= THEME_POSITIVE and negative < THEME_OPPOSITE_SHARE:
        return "positive"
    if mean <= THEME_NEGATIVE and positive < THEME_OPPOSITE_SHARE:
        return "negative"
    return "mixed"
