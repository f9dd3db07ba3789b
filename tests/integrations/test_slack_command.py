"""The slash-command body, the feedback grammar and the replies."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaplens.integrations.slack import (
    FEEDBACK_KINDS,
    KIND_SYNONYMS,
    MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    FeedbackIntent,
    SlackRequestRejected,
    SlashCommand,
    acknowledgement,
    ephemeral_response,
    help_message,
    is_ssl_check,
    parse_feedback_text,
    parse_slash_command,
    reply_for,
)
from tests.integrations.slack_payloads import (
    IDENTIFYING,
    LITERAL_BODY,
    SLACK_DOC_BODY,
    slash_body,
)

ACK = (
    "Thanks — stored anonymously: the kind, tool, use case and your words, dated by day. "
    "Not stored: your Slack name, id, workspace or channel."
)


def bad_body(body: bytes) -> SlackRequestRejected:
    with pytest.raises(SlackRequestRejected) as caught:
        parse_slash_command(body)
    return caught.value


# --- the body ---------------------------------------------------------------------------------


def test_literal_slack_body_keeps_only_command_and_text() -> None:
    parsed = parse_slash_command(LITERAL_BODY)
    assert parsed == SlashCommand(
        command="/gaplens",
        text="friction copilot code-review: it invents APIs and I spend 20 minutes fixing",
    )


def test_parsed_command_has_no_field_that_identifies_anyone() -> None:
    assert {f.name for f in dataclasses.fields(SlashCommand)} == {"command", "text"}
    parsed = parse_slash_command(slash_body("idea: a shared prompt library"))
    assert not hasattr(parsed, "__dict__")  # slots: nothing can be tacked on later
    dumped = repr(parsed) + repr(dataclasses.asdict(parsed))
    for field, value in IDENTIFYING.items():
        if field != "is_enterprise_install":
            assert value not in dumped, field
    for name in ("user_id", "user_name", "team_id", "channel_id", "response_url", "trigger_id"):
        assert not hasattr(parsed, name)


def test_slacks_documented_example_body_parses_with_empty_text() -> None:
    assert parse_slash_command(SLACK_DOC_BODY) == SlashCommand("/webhook-collect", "")


@pytest.mark.parametrize(
    "text",
    [
        "working: meeting summaries save me an hour a week",
        "concern “will this replace juniors?” — 50% of us wonder",
        "idea émojis 🙂 and ünïcödé, 100% & more",
        "friction line one\nline two",
    ],
)
def test_text_round_trips_through_slack_encoding(text: str) -> None:
    assert parse_slash_command(slash_body(text)).text == text


def test_slack_html_escapes_in_text_are_undone() -> None:
    body = slash_body("idea a &amp; b &lt;c&gt; &amp;lt;")
    assert parse_slash_command(body).text == "idea a & b <c> &lt;"


def test_percent_twenty_and_plus_both_decode_to_space() -> None:
    body = b"command=%2Fgaplens&text=idea%20one+two"
    assert parse_slash_command(body).text == "idea one two"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"command",  # a field without '='
        b"command=%2Fgaplens&&text=x",  # empty field
        b"text=working%3A+fine",  # no command
        b"command=%2Fgaplens",  # no text
        b"command=%2Fgaplens&text=a&text=b",  # ambiguous text
        b"command=%2Fgaplens&command=%2Fother&text=a",
        b"command=gaplens&text=a",  # not /name
        b"command=%2Fgap+lens&text=a",
        b"command=%2F&text=a",
        b"command=%2Fgaplens&text=%FF%FE",  # percent-encoded bytes that are not UTF-8
        b"command=%2Fgaplens&text=\xff",  # raw bytes that are not UTF-8
        b"\x00\x01\x02",
        b'{"command": "/gaplens", "text": "x"}',  # JSON, not a form
        b"&".join([b"f=1"] * 100) + b"&command=%2Fgaplens&text=x",  # too many fields
    ],
)
def test_malformed_body_is_rejected_400(body: bytes) -> None:
    assert bad_body(body).status == 400


def test_oversized_body_is_rejected_413() -> None:
    body = slash_body("idea " + "x" * MAX_BODY_BYTES)
    assert bad_body(body).status == 413


def test_over_long_text_within_the_body_limit_reaches_the_friendly_reply() -> None:
    # 2,001 four-byte characters, each percent-encoded to 12 bytes, still parse.
    text = "idea " + "🙂" * MAX_TEXT_CHARS
    parsed = parse_slash_command(slash_body(text))
    assert parse_feedback_text(parsed.text).kind == "error"


def test_ssl_check_probe_is_recognised() -> None:
    assert is_ssl_check(b"token=gIkuvaNzQIHg97ATvDxqgjtO&ssl_check=1")
    assert not is_ssl_check(LITERAL_BODY)
    assert not is_ssl_check(b"\xff\xfe")
    assert not is_ssl_check(b"ssl_check=1&ssl_check=1")


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=600))
def test_arbitrary_bodies_only_raise_slack_request_rejected(body: bytes) -> None:
    try:
        parsed = parse_slash_command(body)
    except SlackRequestRejected as exc:
        assert exc.status == 400
    else:
        assert parsed.command.startswith("/")
    assert isinstance(is_ssl_check(body), bool)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_slack_can_send_survives_the_body(text: str) -> None:
    # Slack never sends lone surrogates or its own escape sequences unescaped.
    text = text.encode("utf-8", "replace").decode("utf-8").replace("&", "and")
    body = b"command=%2Fgaplens&text=" + quote_plus(text).encode("ascii")
    assert parse_slash_command(body).text == text


# --- the feedback text ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FEEDBACK_KINDS)
def test_each_kind_with_a_colon(kind: str) -> None:
    intent = parse_feedback_text(f"{kind}: what happened today")
    assert intent == FeedbackIntent(kind=kind, text="what happened today")  # type: ignore[arg-type]
    assert intent.is_feedback and intent.message is None


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("win", "working"),
        ("Works", "working"),
        ("problem", "friction"),
        ("ISSUE", "friction"),
        ("suggestion", "idea"),
        ("worry", "concern"),
        ("risk", "concern"),
    ],
)
def test_synonyms(word: str, kind: str) -> None:
    assert parse_feedback_text(f"{word}: x").kind == kind


def test_every_synonym_maps_to_a_real_kind() -> None:
    assert set(KIND_SYNONYMS.values()) == set(FEEDBACK_KINDS)
    for kind in FEEDBACK_KINDS:
        assert KIND_SYNONYMS[kind] == kind


def test_the_briefs_examples() -> None:
    assert parse_feedback_text(
        "friction copilot code-review: it invents APIs and I spend 20 minutes fixing"
    ) == FeedbackIntent(
        kind="friction",
        tool="copilot",
        use_case="code-review",
        text="it invents APIs and I spend 20 minutes fixing",
    )
    assert parse_feedback_text("working: meeting summaries save me an hour a week") == (
        FeedbackIntent(kind="working", text="meeting summaries save me an hour a week")
    )


@pytest.mark.parametrize(
    ("text", "tool", "use_case", "words"),
    [
        ("friction copilot: slow", "copilot", None, "slow"),
        ("friction copilot code-review: slow", "copilot", "code-review", "slow"),
        ("friction tool=copilot: slow", "copilot", None, "slow"),
        ("friction use=code-review: slow", None, "code-review", "slow"),
        ("friction use=code-review tool=copilot: slow", "copilot", "code-review", "slow"),
        ("friction Use_Case=triage TOOL=gemini: slow", "gemini", "triage", "slow"),
        ("friction use=review copilot: slow", "copilot", "review", "slow"),
        ("friction copilot use=review: slow", "copilot", "review", "slow"),
        (
            'working tool="GitHub Copilot" use="meeting notes": ok',
            "GitHub Copilot",
            "meeting notes",
            "ok",
        ),
        ("working “GitHub Copilot” tests: ok", "GitHub Copilot", "tests", "ok"),
        ("friction copilot:no space after colon", "copilot", None, "no space after colon"),
        ("friction copilot review: a: b", "copilot", "review", "a: b"),
    ],
)
def test_tool_and_use_case_grammar(
    text: str, tool: str | None, use_case: str | None, words: str
) -> None:
    intent = parse_feedback_text(text)
    assert intent.is_feedback
    assert (intent.tool, intent.use_case, intent.text) == (tool, use_case, words)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("idea we should have a shared prompt library", "we should have a shared prompt library"),
        (
            "concern what happens to juniors: who trains them",
            "what happens to juniors: who trains them",
        ),
        (
            "idea see https://example.com/wiki for details",
            "see https://example.com/wiki for details",
        ),
        ('concern the "quick win" slide: it was not', 'the "quick win" slide: it was not'),
    ],
)
def test_colon_in_a_sentence_is_not_mistaken_for_qualifiers(text: str, words: str) -> None:
    intent = parse_feedback_text(text)
    assert (intent.tool, intent.use_case, intent.text) == (None, None, words)


@pytest.mark.parametrize("text", ["", "   ", "\n", "help", "HELP", "?", "--help", "help me please"])
def test_help(text: str) -> None:
    intent = parse_feedback_text(text)
    assert intent.kind == "help" and not intent.is_feedback
    assert intent.message is not None and "friction" in intent.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("nonsense here", "recognise"),
        (": no kind", "Start with a kind"),
        ("friction", "after the colon"),
        ("friction copilot:", "after the colon"),
        ("working tool=chatgpt:   ", "after the colon"),
        ("friction tol=copilot: typo in the key", "tol="),
        ("friction tool=a tool=b: twice", "twice"),
        ("friction tool= : empty", "empty"),
        ("friction tool=copilot a b: too many", "Too many words"),
        (f"friction tool={'x' * 81}: long", "longer than 80"),
    ],
)
def test_mistakes_become_error_intents_with_a_message(text: str, needle: str) -> None:
    intent = parse_feedback_text(text)
    assert intent.kind == "error" and not intent.is_feedback
    assert intent.message is not None and needle in intent.message
    assert "Nothing was stored." in intent.message


def test_text_at_the_limit_is_accepted_and_over_it_is_an_error_intent() -> None:
    at_limit = "idea: " + "x" * (MAX_TEXT_CHARS - len("idea: "))
    assert parse_feedback_text(at_limit).kind == "idea"
    too_long = at_limit + "y"
    intent = parse_feedback_text(too_long)
    assert intent.kind == "error"
    assert intent.message is not None
    assert "2,001 characters" in intent.message and "2,000" in intent.message
    assert intent.message.count("Nothing was stored.") == 1
    assert "x" * 100 in intent.message  # handed back, since Slack has cleared the box


def test_control_characters_are_dropped_newlines_kept() -> None:
    intent = parse_feedback_text("friction co\x00pilot: line\r\none\x07")
    assert (intent.tool, intent.text) == ("copilot", "line\none")


def test_command_name_is_used_in_messages() -> None:
    intent = parse_feedback_text("nonsense", command="/ai-feedback")
    assert intent.message is not None and "/ai-feedback help" in intent.message


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=MAX_TEXT_CHARS + 50))
def test_any_text_gives_a_sound_intent(text: str) -> None:
    intent = parse_feedback_text(text)
    if intent.is_feedback:
        assert intent.text and intent.message is None
        assert len(intent.text) <= MAX_TEXT_CHARS
        assert "\x00" not in intent.text
    else:
        assert intent.kind in ("help", "error") and intent.message


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(FEEDBACK_KINDS),
    tool=st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
    use=st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
    words=st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=80).filter(
        str.strip
    ),
)
def test_keyword_and_positional_forms_agree(kind: str, tool: str, use: str, words: str) -> None:
    positional = parse_feedback_text(f"{kind} {tool} {use}: {words}")
    keyword = parse_feedback_text(f"{kind} use={use} tool={tool}: {words}")
    assert positional == keyword
    assert (positional.tool, positional.use_case, positional.text) == (tool, use, words.strip())


# --- replies ----------------------------------------------------------------------------------


def test_ephemeral_response_shape() -> None:
    assert ephemeral_response("hi") == {"response_type": "ephemeral", "text": "hi"}


def test_acknowledgement_says_what_was_and_was_not_stored() -> None:
    assert acknowledgement() == {"response_type": "ephemeral", "text": ACK}


def test_acknowledgement_echoes_the_filing_escaped_for_slack() -> None:
    intent = parse_feedback_text('friction tool="<b>&co" review: x')
    reply = acknowledgement(intent)
    assert reply["response_type"] == "ephemeral"
    text = reply["text"]
    assert isinstance(text, str) and text.startswith(ACK)
    assert "*friction*" in text and "tool: &lt;b&gt;&amp;co" in text and "use case: review" in text


def test_help_message_is_ephemeral_and_shows_the_grammar() -> None:
    reply = help_message()
    assert reply["response_type"] == "ephemeral"
    text = reply["text"]
    assert isinstance(text, str)
    for kind in FEEDBACK_KINDS:
        assert f"`{kind}`" in text
    assert "/gaplens friction copilot code-review:" in text
    assert "tool=" in text and "use=" in text and "2,000" in text


def test_reply_for_each_intent() -> None:
    assert reply_for(parse_feedback_text("help")) == help_message()
    error = parse_feedback_text("nonsense")
    assert reply_for(error) == ephemeral_response(error.message or "")
    feedback = parse_feedback_text("working: fine")
    assert reply_for(feedback) == acknowledgement(feedback)


def test_end_to_end_from_the_literal_slack_body() -> None:
    command = parse_slash_command(LITERAL_BODY)
    intent = parse_feedback_text(command.text, command=command.command)
    assert (intent.kind, intent.tool, intent.use_case) == ("friction", "copilot", "code-review")
    reply = reply_for(intent)
    assert "Steve" not in str(reply) and "U2147483697" not in str(reply)
