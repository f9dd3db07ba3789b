"""The Teams outgoing webhook without HTTP: signing, the text of a message, the replies."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from gaplens.integrations.slack import FeedbackIntent, ReflectionIntent
from gaplens.integrations.teams import (
    TeamsMessage,
    TeamsNotConfigured,
    TeamsRequestRejected,
    decode_security_tokens,
    interpret,
    message_text,
    reply_for,
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


def test_the_message_keeps_no_field_that_identifies_anyone() -> None:
    assert {f.name for f in dataclasses.fields(TeamsMessage)} == {"text", "command"}


# --- reading and replying ---------------------------------------------------------------------


def test_feedback_is_read_with_the_slack_grammar() -> None:
    intent = interpret(TeamsMessage("friction tool=copilot use=code-review: it invents APIs"))
    assert intent == FeedbackIntent(
        kind="friction", text="it invents APIs", tool="copilot", use_case="code-review"
    )
    reply = reply_for(intent, "@gaplens")
    assert reply["type"] == "message"
    assert "Not stored: your Teams name, ids, tenant, team or channel." in str(reply["text"])
    assert "Slack" not in str(reply["text"])


def test_a_reflection_is_read_and_acknowledged_for_teams() -> None:
    intent = interpret(TeamsMessage("reflect learned: examples beat rules | means: a prompt file"))
    assert intent == ReflectionIntent(
        kind="reflection", learned="examples beat rules", means="a prompt file"
    )
    assert "Teams" in str(reply_for(intent, "@gaplens")["text"])


def test_help_uses_the_mention_and_says_the_channel_sees_the_message() -> None:
    intent = interpret(TeamsMessage("help", command="@Gap Lens"))
    text = str(reply_for(intent, "@Gap Lens")["text"])
    assert "`@Gap Lens friction copilot code-review:" in text
    assert "seen by the channel's members" in text


def test_too_long_text_is_refused_without_echoing_it() -> None:
    words = "x" * 2_001
    intent = interpret(TeamsMessage(f"idea: {words}"))
    assert isinstance(intent, FeedbackIntent) and intent.kind == "error"
    text = str(reply_for(intent, "@gaplens")["text"])
    assert "Nothing was stored" in text and words not in text


def test_an_unknown_kind_is_an_error_reply_not_an_exception() -> None:
    intent = interpret(TeamsMessage("rant: everything"))
    assert isinstance(intent, FeedbackIntent) and intent.kind == "error"
    assert "`@gaplens friction" in str(reply_for(intent, "@gaplens")["text"])
