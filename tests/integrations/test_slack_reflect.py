"""`/gaplens reflect ...`: the reflection grammar, from real slash-command bodies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.integrations.slack import (
    MAX_TEXT_CHARS,
    ReflectionIntent,
    help_message,
    is_reflection_text,
    parse_feedback_text,
    parse_reflection_text,
    parse_slash_command,
    reflection_reply,
)
from tests.integrations.slack_payloads import IDENTIFYING, slash_body


def parsed(words: str) -> ReflectionIntent:
    command = parse_slash_command(slash_body(words))
    assert is_reflection_text(command.text)
    return parse_reflection_text(command.text, command=command.command)


@pytest.mark.parametrize(
    ("words", "learned", "means", "confidence"),
    [
        (
            "reflect learned: examples help | means: a prompt file",
            "examples help",
            "a prompt file",
            None,
        ),
        ("reflect means: check sources | learned: it invents", "it invents", "check sources", None),
        ("Reflect: Learnt: tests | Work: review | Confidence: 5", "tests", "review", 5),
        ("reflect summaries save time", "summaries save time", "", None),
        ("reflect first part | second part", "first part", "second part", None),
        (
            "reflection learned: see https://wiki.example/x | means: read it",
            "see https://wiki.example/x",
            "read it",
            None,
        ),
        ("reflect learned: line one\nline two", "line one\nline two", "", None),
        ("reflect means: it changes my reviews", "", "it changes my reviews", None),
    ],
)
def test_reflections_parse(words: str, learned: str, means: str, confidence: int | None):
    intent = parsed(words)
    assert intent.is_reflection and intent.message is None
    assert (intent.learned, intent.means, intent.confidence) == (learned, means, confidence)


@pytest.mark.parametrize(
    ("words", "needle"),
    [
        ("reflect", "Write what you learned"),
        ("reflect | ", "Write what you learned"),
        ("reflect confidence: 4", "Write what you learned"),
        ("reflect learned: a | learned: b", "twice"),
        ("reflect learned: | means: b", "empty"),
        ("reflect a | b | c", "at most two parts"),
        ("reflect learned: a | confidence: 6", "1 to 5"),
        ("reflect learned: a | confidence: four", "1 to 5"),
    ],
)
def test_mistakes_are_error_intents(words: str, needle: str):
    intent = parsed(words)
    assert intent.kind == "error" and intent.message is not None
    assert needle in intent.message and "Nothing was stored." in intent.message
    assert reflection_reply(intent)["text"] == intent.message


def test_over_long_reflection_is_handed_back():
    intent = parse_reflection_text("reflect " + "x" * MAX_TEXT_CHARS)
    assert intent.kind == "error" and intent.message is not None
    assert "Nothing was stored." in intent.message and "x" * 100 in intent.message


def test_feedback_is_not_taken_for_a_reflection():
    for words in ("friction copilot: it invents APIs", "idea: reflect on prompts", "reflective"):
        assert not is_reflection_text(words)
    assert parse_feedback_text("idea: reflect on prompts").kind == "idea"


def test_reply_says_it_counts_in_themes_not_participation_and_names_no_one():
    intent = parsed("reflect learned: samples | means: fewer retries")
    reply = reflection_reply(intent)
    assert reply["response_type"] == "ephemeral"
    text = str(reply["text"])
    assert "themes" in text and "not in anyone's participation" in text
    for value in IDENTIFYING.values():
        if value != "false":
            assert value not in text


def test_help_explains_reflect():
    text = str(help_message()["text"])
    assert "/gaplens reflect learned:" in text
    assert "counts in the themes but not in anyone's participation" in text


@settings(max_examples=200, deadline=None)
@given(words=st.text(max_size=MAX_TEXT_CHARS + 50))
def test_any_text_gives_a_sound_reflection_intent(words: str):
    intent = parse_reflection_text("reflect " + words)
    if intent.is_reflection:
        assert intent.learned or intent.means
        assert len(intent.learned) <= MAX_TEXT_CHARS and len(intent.means) <= MAX_TEXT_CHARS
        assert "\x00" not in intent.learned + intent.means
        assert intent.confidence in (None, 1, 2, 3, 4, 5)
    else:
        assert intent.kind == "error" and intent.message
