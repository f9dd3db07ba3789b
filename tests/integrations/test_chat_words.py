"""The chat grammar in the languages gaplens replies in: translated kind, help and reflect
words, the full-width colon, every error and help message translated in each catalogue, and
the words each language's help lists are words the parser takes."""

from __future__ import annotations

import re

import pytest

from gaplens.i18n import available
from gaplens.integrations.slack import (
    KIND_SYNONYMS,
    MAX_TEXT_CHARS,
    FeedbackIntent,
    help_text,
    is_reflection_text,
    kind_lines,
    parse_feedback_text,
    parse_reflection_text,
    read_feedback_start,
    reflection_reply,
    reply_for,
)

OTHER_LANGUAGES = [code for code in available() if code != "en"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("problème copilot: il invente des API", "friction"),
        ("Idee: eine Prompt-Bibliothek", "idea"),
        ("preocupación: revisamos todo dos veces", "concern"),
        ("läuft chatgpt protokolle: spart eine Stunde", "working"),
        ("問題 copilot: 存在しないAPIを作り出す", "friction"),
        ("懸念：レビューが二重になる", "concern"),
    ],
)
def test_translated_kind_words_are_read_as_their_kind(text: str, kind: str) -> None:
    intent = parse_feedback_text(text)
    assert intent.is_feedback and intent.kind == kind


def test_a_full_width_colon_separates_the_tool_from_the_words() -> None:
    assert parse_feedback_text("friction copilot code-review：存在しないAPI") == FeedbackIntent(
        kind="friction", tool="copilot", use_case="code-review", text="存在しないAPI"
    )


@pytest.mark.parametrize("word", ["hilfe", "Aide", "ayuda", "ヘルプ"])
def test_help_in_each_language(word: str) -> None:
    assert parse_feedback_text(word).kind == "help"


@pytest.mark.parametrize("word", ["Reflexion", "réflexion", "reflexión", "振り返り"])
def test_reflect_in_each_language(word: str) -> None:
    assert is_reflection_text(f"{word} Beispiele helfen | ich nutze sie")
    intent = parse_reflection_text(f"{word} Beispiele helfen | ich nutze sie")
    assert (intent.learned, intent.means) == ("Beispiele helfen", "ich nutze sie")
    assert parse_reflection_text(f"{word}： learned：例が効く").learned == "例が効く"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_words_each_help_lists_are_accepted(language: str) -> None:
    lines = kind_lines(language)
    assert lines != kind_lines("en")
    for line, kind in zip(lines, ("working", "friction", "idea", "concern"), strict=True):
        assert f"`{kind}`" in line
        listed = re.search(r"[(（][^:：]*[:：]\s*([^)）]*)[)）]", line)
        assert listed is not None, line
        words = [w.strip() for w in listed.group(1).split(",")]
        assert len(words) >= 3
        for word in words:
            assert KIND_SYNONYMS.get(word.lower()) == kind, (language, word)


MISTAKES = [
    "nonsense here",
    ": no kind",
    "friction copilot:",
    "friction tol=copilot: typo",
    "friction tool=a tool=b: twice",
    "friction tool= : empty",
    "friction use= : empty",
    "friction tool=copilot a b: too many",
    f"friction tool={'x' * 81}: long",
    f"friction use={'x' * 81}: long",
    "idea: " + "x" * MAX_TEXT_CHARS,
]
REFLECTION_MISTAKES = [
    "reflect",
    "reflect a | b | c",
    "reflect learned: a | learned: b",
    "reflect learned: | means: b",
    "reflect learned: a | confidence: 9",
]


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    """Each error, the help and the acknowledgements differ from the English (a message left
    out of the catalogue would come back in English)."""
    for text in MISTAKES:
        english = parse_feedback_text(text).message
        translated = parse_feedback_text(text, language=language).message
        assert english and translated and translated != english, text
        assert "Nothing was stored" not in translated
    stored = str(reply_for(parse_feedback_text("idea: nothing here"), language)["text"])
    assert "Thanks" not in stored and "Not stored" not in stored and "Filed as" not in stored
    for text in REFLECTION_MISTAKES:
        english = parse_reflection_text(text).message
        translated = parse_reflection_text(text, language=language).message
        assert english and translated and translated != english, text
        assert "Nothing was stored" not in translated
    help_lines = help_text("/gaplens", language).split("\n")
    for english_line, line in zip(help_text("/gaplens").split("\n"), help_lines, strict=True):
        assert line != english_line or line.startswith("`"), line
    thanks = reflection_reply(parse_reflection_text("reflect a | b"), language)["text"]
    assert "Thanks" not in str(thanks)


def test_a_start_without_words_is_read_for_the_form() -> None:
    start = read_feedback_start("idea tool=chatgpt")
    assert not isinstance(start, FeedbackIntent)
    assert (start.kind, start.tool, start.use_case, start.has_words) == (
        "idea",
        "chatgpt",
        None,
        False,
    )
    sentence = read_feedback_start("idea let us share prompts")
    assert not isinstance(sentence, FeedbackIntent) and sentence.has_words
    assert (sentence.tool, sentence.use_case) == (None, None)
