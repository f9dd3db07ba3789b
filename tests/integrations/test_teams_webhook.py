"""The Teams outgoing webhook without HTTP: signing, the text of a message, the replies."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from gaplens.integrations.teams import (
    ChannelRequest,
    TeamsMessage,
    TeamsNotConfigured,
    TeamsRequestRejected,
    decode_security_tokens,
    feedback_link,
    interpret,
    message_text,
    reply_for,
    reply_language,
    signature_key,
)
from tests.integrations.teams_payloads import OTHER_TOKEN, TOKEN, activity, body_of, signature

KEYS = decode_security_tokens([TOKEN])


def refused(keys: tuple[bytes, ...], headers: dict[str, str], body: bytes) -> int:
    with pytest.raises(TeamsRequestRejected) as caught:
        signature_key(keys, headers, body)
    return caught.value.status


# --- signing ----------------------------------------------------------------------------------


def test_signature_by_the_documented_scheme_is_accepted() -> None:
    body = body_of(activity("idea: a shared prompt library", 1_700_000_000))
    assert signature_key(KEYS, {"Authorization": signature(body)}, body) == KEYS[0]


def test_any_configured_token_verifies_and_the_matching_key_is_returned() -> None:
    keys = decode_security_tokens([OTHER_TOKEN, TOKEN])
    body = body_of(activity("idea: x", 1_700_000_000))
    assert signature_key(keys, {"authorization": signature(body, TOKEN)}, body) == keys[1]
    assert signature_key(keys, {"authorization": signature(body, OTHER_TOKEN)}, body) == keys[0]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer abc",
        "HMAC",
        "HMAC not-base64!",
        "HMAC " + base64.b64encode(b"short").decode(),
        "HMAC " + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_missing_malformed_or_wrong_signatures_are_401(header: str | None) -> None:
    body = body_of(activity("idea: x", 1_700_000_000))
    headers = {} if header is None else {"Authorization": header}
    assert refused(KEYS, headers, body) == 401


def test_a_body_changed_after_signing_is_refused() -> None:
    body = body_of(activity("idea: x", 1_700_000_000))
    tampered = body.replace(b"idea: x", b"idea: y")
    assert refused(KEYS, {"authorization": signature(body)}, tampered) == 401


def test_the_wrong_token_is_refused() -> None:
    body = body_of(activity("idea: x", 1_700_000_000))
    assert refused(KEYS, {"authorization": signature(body, OTHER_TOKEN)}, body) == 401


def test_the_reason_never_carries_the_signature_or_the_token() -> None:
    body = body_of(activity("idea: x", 1_700_000_000))
    forged = signature(body, OTHER_TOKEN)
    with pytest.raises(TeamsRequestRejected) as caught:
        signature_key(KEYS, {"authorization": forged}, body)
    for secret in (forged.split()[1], TOKEN, OTHER_TOKEN):
        assert secret not in str(caught.value)


@pytest.mark.parametrize("tokens", [[], ["   "], ["not base64!"], ["c2hvcnQ="]])
def test_unusable_tokens_are_a_configuration_problem_naming_no_token(tokens: list[str]) -> None:
    with pytest.raises(TeamsNotConfigured) as caught:
        decode_security_tokens(tokens)
    for token in tokens:
        if token.strip():
            assert token not in str(caught.value)


# --- the text ---------------------------------------------------------------------------------


def test_the_webhook_mention_is_removed_and_named_for_examples() -> None:
    message = message_text("<at>gaplens</at> friction copilot code-review: it invents APIs\n")
    assert message == TeamsMessage(
        text="friction copilot code-review: it invents APIs", command="@gaplens"
    )


def test_other_mentions_become_someone_so_no_name_is_stored() -> None:
    message = message_text("<at>gaplens</at> concern: <at>Jane Doe</at> reviews everything twice")
    assert message.text == "concern: @someone reviews everything twice"
    assert "Jane" not in message.text


def test_markup_is_dropped_and_entities_decoded_to_what_was_typed() -> None:
    raw = "<div><at>Gap Lens</at>&nbsp;idea: use &lt;b&gt; tags &amp; tables<br>in docs</div>"
    message = message_text(raw)
    assert message.text == "idea: use <b> tags & tables\nin docs"
    assert message.command == "@Gap Lens"


# --- the reply's language -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("de-DE", "de"),
        ("de-CH", "de"),
        ("fr-CA", "fr"),
        ("es-419", "es"),
        ("ja-JP", "ja"),
        ("en-US", "en"),
        ("pt-BR", "en"),  # no Portuguese catalogue
        ("xx", "en"),
        ("", "en"),
        (None, "en"),
        (42, "en"),
        ("de-DE," * 20, "en"),  # not a Teams locale: ignored, not refused
    ],
)
def test_the_reply_language_comes_from_the_locale_else_english(
    locale: object, language: str
) -> None:
    assert reply_language(locale) == language


def test_the_message_keeps_the_language_and_nothing_that_identifies_anyone() -> None:
    assert {f.name for f in dataclasses.fields(TeamsMessage)} == {"text", "command", "language"}


# --- reading: nothing of the words is kept ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "friction copilot code-review: it invents APIs",
            ChannelRequest("feedback", True, "friction", "copilot", "code-review"),
        ),
        (
            'friction tool=copilot use="code review": it invents APIs',
            ChannelRequest("feedback", True, "friction", "copilot", "code review"),
        ),
        ("friction copilot", ChannelRequest("feedback", False, "friction", "copilot")),
        (
            "working chatgpt meeting-notes",
            ChannelRequest("feedback", False, "working", "chatgpt", "meeting-notes"),
        ),
        ("idea", ChannelRequest("feedback", False, "idea")),
        ("idea: a prompt library", ChannelRequest("feedback", True, "idea")),
        # Three plain words without a colon are a sentence, not a tool and use case.
        ("concern it reviews everything twice", ChannelRequest("feedback", True, "concern")),
        ("problème copilot", ChannelRequest("feedback", False, "friction", "copilot")),
        ("問題：幻覚が多い", ChannelRequest("feedback", True, "friction")),
        ("reflect learned: examples beat rules", ChannelRequest("reflection", True)),
        ("reflect", ChannelRequest("reflection", False)),
        ("help", ChannelRequest("help")),
        ("", ChannelRequest("help")),
        ("hilfe", ChannelRequest("help")),
        ("rant: everything", ChannelRequest("feedback", True, understood=False)),
        ("idea x=1: y", ChannelRequest("feedback", True, understood=False)),
        ("idea " + "x" * 2_001, ChannelRequest("feedback", True, understood=False)),
    ],
)
def test_a_message_is_read_for_the_form_only(text: str, expected: ChannelRequest) -> None:
    assert interpret(TeamsMessage(text)) == expected


def test_the_request_has_no_field_for_words() -> None:
    fields = {f.name for f in dataclasses.fields(ChannelRequest)}
    assert fields == {"target", "has_words", "kind", "tool", "use_case", "understood"}


# --- replying ---------------------------------------------------------------------------------

BASE = "https://gaplens.example.com"
WORDS = "it invents APIs and Megan fixes them"


def reply(text: str, language: str = "en", command: str = "@gaplens") -> str:
    message = TeamsMessage(text, command=command, language=language)
    answer = reply_for(interpret(message), message, BASE)
    assert answer["type"] == "message"
    return str(answer["text"])


def test_feedback_with_words_says_nothing_was_kept_and_links_the_prefilled_form() -> None:
    text = reply(f"friction copilot code-review: {WORDS}")
    assert "Nothing was kept." in text
    assert f"{BASE}/feedback?kind=friction&tool=copilot&use_case=code-review" in text
    for word in ("invents", "APIs", "Megan", "fixes"):
        assert word not in text


def test_feedback_without_words_is_a_quick_route_to_the_form() -> None:
    text = reply("friction copilot")
    assert f"{BASE}/feedback?kind=friction&tool=copilot\n" in text + "\n"
    assert "Nothing was kept." not in text
    assert "gaplens stores nothing sent in a Teams channel" in text


def test_a_reflection_points_to_the_personal_links_and_keeps_nothing() -> None:
    text = reply("reflect learned: examples beat long rules | means: a prompt file")
    assert "Nothing was kept." in text
    assert "email or Slack direct message" in text
    assert "examples" not in text and "prompt file" not in text
    assert "Nothing was kept." not in reply("reflect")


def test_an_unreadable_message_gets_the_plain_form_and_no_echo() -> None:
    text = reply("rant: everything is broken")
    assert "Nothing was kept." in text and "`@gaplens help`" in text
    assert f"{BASE}/feedback\n" in text + "\n"
    assert "rant" not in text and "broken" not in text
    long_text = reply("idea " + "secret " * 400)
    assert "secret" not in long_text and "Nothing was kept." in long_text


def test_help_uses_the_mention_explains_the_channel_and_links_the_form() -> None:
    text = reply("help", command="@Gap Lens")
    assert "`@Gap Lens friction copilot code-review`" in text
    assert "Everyone in a Teams channel sees who wrote a message" in text
    assert "The channel sees the kind, tool and use case you name here, too" in text
    assert f"{BASE}/feedback" in text
    assert "personal reflection link" in text


def test_replies_follow_the_language() -> None:
    german = reply(f"friction copilot: {WORDS}", "de")
    assert "Nichts wurde gespeichert." in german
    assert "Nothing was kept" not in german
    assert f"{BASE}/feedback?kind=friction&tool=copilot" in german
    assert "Teams-Kanal sehen alle" in reply("help", "de")
    assert "formulaire privé" in reply("idea", "fr")
    assert "formulario privado" in reply("idea", "es")
    assert "非公開フォーム" in reply("idea", "ja")


def test_the_link_carries_only_the_named_fields_encoded() -> None:
    request = ChannelRequest("feedback", True, "working", "GitHub Copilot", "notes & minutes")
    assert feedback_link(BASE + "/", request) == (
        f"{BASE}/feedback?kind=working&tool=GitHub+Copilot&use_case=notes+%26+minutes"
    )
    assert feedback_link(BASE) == f"{BASE}/feedback"
