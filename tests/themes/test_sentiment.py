"""Sentiment: the domain lexicon fixes what plain VADER misses, without breaking VADER."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from gaplens.themes import sentiment, sentiment_label
from gaplens.themes.sentiment import THEME_NEGATIVE, THEME_POSITIVE
from gaplens.themes.text import clean_text

PLAIN = SentimentIntensityAnalyzer()


def plain(text: str) -> float:
    return float(PLAIN.polarity_scores(text)["compound"])


def test_plain_vader_misses_wasted_time_and_ours_does_not():
    text = "It wastes my time fixing its output"
    assert abs(plain(text)) < 0.05
    assert plain(text) == 0.0
    assert sentiment(text) < -0.5


@pytest.mark.parametrize(
    "text",
    [
        "It hallucinated a function that does not exist.",
        "I had to rewrite the whole summary.",
        "Half the numbers were wrong.",
        "Builds are slower since we switched.",
        "The generated migration broke staging.",
        "Lots of rework after every draft.",
        "It made up a policy that we do not have.",
        "Code review takes forever now.",
        "I am afraid it will replace us.",
    ],
)
def test_workplace_complaints_score_negative(text):
    assert sentiment(text) <= -0.2


@pytest.mark.parametrize(
    "text",
    [
        "It saves me an hour a day.",
        "Much faster than writing the tests myself.",
        "Really helpful for first drafts.",
        "Time saved on every ticket.",
        "It speeds up onboarding.",
    ],
)
def test_time_savings_score_positive(text):
    assert sentiment(text) >= 0.2


@pytest.mark.parametrize(
    "text",
    [
        "It hallucinated a function that does not exist.",
        "I had to rewrite the whole summary.",
        "Lots of rework after every draft.",
        "It saves me an hour a day.",
        "Much faster than writing the tests myself.",
    ],
)
def test_extension_only_moves_scores_in_the_right_direction(text):
    ours, theirs = sentiment(text), plain(text)
    assert abs(ours) >= abs(theirs)
    assert ours * theirs >= 0


def test_negation_still_applies_to_domain_terms():
    assert sentiment("I never had to rewrite anything.") > 0
    assert sentiment("It is not faster.") < 0
    assert sentiment("It does not waste my time.") > 0


def test_neutral_and_empty_text_score_zero():
    assert sentiment("We use it for meeting notes.") == 0.0
    assert sentiment("") == 0.0
    assert sentiment(" \n\t ") == 0.0


def test_neutral_framing_does_not_dilute_an_opinion():
    alone = sentiment("It wastes my time.")
    framed = sentiment("We use it for email. It wastes my time.")
    assert framed == pytest.approx(alone)


def test_markup_and_entities_are_read_as_text():
    assert sentiment("<b>Great</b> &amp; <i>helpful</i>") == pytest.approx(
        sentiment("Great & helpful")
    )
    assert sentiment("It wastes\u200b my time") == pytest.approx(sentiment("It wastes my time"))
    assert sentiment("It’s WRONG and it broke prod 😡") < 0


def test_long_text_is_bounded_and_fast():
    text = "It wastes my time but sometimes it saves me an hour. " * 5_000
    started = time.perf_counter()
    score = sentiment(text)
    assert -1.0 <= score <= 1.0
    assert time.perf_counter() - started < 2.0


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_scores_in_range(text):
    assert -1.0 <= sentiment(text) <= 1.0


def test_theme_labels_follow_the_documented_thresholds():
    assert THEME_POSITIVE == 0.10
    assert THEME_NEGATIVE == -0.10
    assert sentiment_label([0.5, 0.4, 0.3, 0.0]) == "positive"
    assert sentiment_label([-0.5, -0.3, 0.0]) == "negative"
    assert sentiment_label([0.05, 0.0, 0.0, 0.1]) == "mixed"  # mean 0.0375, inside the band
    assert sentiment_label([-0.09, 0.0]) == "mixed"
    assert sentiment_label([]) == "mixed"


def test_polarised_groups_are_mixed_even_when_the_mean_leans():
    # Mean 0.22, but two of five texts are negative: call it mixed, not positive.
    assert sentiment_label([0.9, 0.9, 0.9, -0.8, -0.8]) == "mixed"
    # One negative text in five does not stop a clearly positive theme.
    assert sentiment_label([0.9, 0.9, 0.9, 0.5, -0.8]) == "positive"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<p>Slow&nbsp;reviews</p>", "Slow reviews"),
        ("see https://example.com/x?y=1 now", "see now"),
        ("mail me at a.person@example.com", "mail me at"),
        ("ｆｕｌｌ width", "full width"),
        ("zero\u200bwidth\u0000 and\tcontrol", "zero width and control"),
        ("line one\r\n\r\n  line two", "line one\nline two"),
        ("it\u2019s", "it's"),
        ("a < b and c > d", "a < b and c > d"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
