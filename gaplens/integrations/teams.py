"""The Microsoft Teams outgoing webhook (``@gaplens ...`` in a channel), minus the web framework.

The HTTP route (``POST /integrations/teams/message``) reads the *raw* body and the headers and
calls, in this order::

    message = authenticate_activity(tokens, request.headers, raw_body, time.time(),
                                    replay_store, allowed_tenants)
    request = interpret(message)    # help, the feedback form or the way to reflect
    return reply_for(request, message, base_url)   # {"type": "message", "text": ...}, 200

and maps :class:`TeamsRequestRejected` to ``exc.status`` (JSON ``{"error": reason}``) and
:class:`TeamsNotConfigured` to a 503. Teams wants the answer within five seconds.

It stores nothing else: no feedback, no reflection. A Teams outgoing webhook works only in
channels, where every member sees the message with its sender's name; words stored from there
could be matched to that name when a comment or theme is released, and knowing one member's
answer narrows the rest of a small group. So the reply (seen by the channel too) never repeats
the words, says nothing was kept, and gives the private form's link with the kind, tool and
use case the message named (``/feedback?kind=friction&tool=copilot&use_case=code-review``), or
says how to reflect privately (personal links by email or Slack direct message).

Signing, as Microsoft documents it for outgoing webhooks: when the webhook is created Teams
shows a *security token* (base64). Every request carries ``Authorization: HMAC <base64>``,
the base64 of HMAC-SHA256 keyed with the *decoded* token over the raw body bytes. Several
tokens may be configured (one per webhook, or old and new while one is replaced); the
signature must match one of them, compared in constant time.

Teams signs no timestamp header, so the replay window is read from the signed body: the
activity's ``timestamp`` must be within :data:`MAX_ACTIVITY_AGE_SECONDS` of our clock, and an
activity (conversation id and activity id) is accepted once: the :class:`ReplayStore` holds
only a keyed hash of the pair, until the window has passed.

Privacy: the activity names the sender (``from.name``, ``from.id``, ``from.aadObjectId``),
the tenant, team, channel and conversation, the service URL, locale and local time zone.
:func:`authenticate_activity` returns a :class:`TeamsMessage` holding the typed text (the
webhook's own mention removed, any other mention replaced by ``@someone``), the webhook's
name for examples and the reply's language (a catalogue code chosen from ``locale``, English
when gaplens has none for it); nothing else leaves this module, and nothing here logs or puts
request content into an exception.

The grammar (feedback kinds, tool and use case, ``reflect``) is the Slack command's, read by
:mod:`gaplens.integrations.slack`; replies go through the respondent pages' catalogues.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol
from urllib.parse import urlencode

from gaplens.i18n import DEFAULT_LANGUAGE, N_, person_language, translate
from gaplens.integrations.slack import (
    MAX_TEXT_CHARS,
    FeedbackKind,
    FeedbackStart,
    is_reflection_text,
    kind_lines,
    read_feedback_start,
)

__all__ = [
    "DEFAULT_MENTION",
    "MAX_ACTIVITY_AGE_SECONDS",
    "MAX_BODY_BYTES",
    "ChannelRequest",
    "ReplayStore",
    "TeamsMessage",
    "TeamsNotConfigured",
    "TeamsRequestRejected",
    "authenticate_activity",
    "decode_security_tokens",
    "feedback_link",
    "interpret",
    "message_reply",
    "message_text",
    "reply_for",
    "reply_language",
    "signature_key",
]

MAX_ACTIVITY_AGE_SECONDS: Final = 300
"""Activities whose ``timestamp`` is further than this from now (either way) are refused."""

MAX_BODY_BYTES: Final = 64 * 1024
"""Larger bodies are refused (413) before the signature is computed."""

DEFAULT_MENTION: Final = "@gaplens"

_MAX_ID_CHARS: Final = 512
_MAX_TIMESTAMP_CHARS: Final = 40
_MAX_LOCALE_CHARS: Final = 35
_KEY_BYTES_MIN: Final = 16
_SIGNATURE_BYTES: Final = hashlib.sha256().digest_size
_REPLAY_PREFIX: Final = "teams:"
_REPLAY_CONTEXT: Final = b"gaplens teams replay\x00"


# --------------------------------------------------------------------------------------------
# Errors


class TeamsRequestRejected(Exception):  # noqa: N818  (mirrors SlackRequestRejected)
    """Refuse the request with HTTP ``status``; ``reason`` is safe to log and return.

    The reason never contains request content, header values, signatures or a token.
    """

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(f"{status}: {reason}")
        self.reason = reason
        self.status = status


class TeamsNotConfigured(Exception):  # noqa: N818
    """No usable security token: a deployment problem, answer 503, not 4xx."""


# --------------------------------------------------------------------------------------------
# Signing


def decode_security_tokens(tokens: Iterable[str]) -> tuple[bytes, ...]:
    """The HMAC keys: each token as Teams showed it (base64), decoded.

    Raises :class:`TeamsNotConfigured` when there is none, or one is not base64 or too short
    to be a Teams token; the message names the token's position, never its value.
    """
    keys: list[bytes] = []
    for position, token in enumerate(tokens, start=1):
        text = token.strip() if isinstance(token, str) else ""
        try:
            key = base64.b64decode(text.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            raise TeamsNotConfigured(f"Teams security token {position} is not base64") from None
        if len(key) < _KEY_BYTES_MIN:
            raise TeamsNotConfigured(f"Teams security token {position} is too short")
        keys.append(key)
    if not keys:
        raise TeamsNotConfigured("no Teams security token is set")
    return tuple(keys)


def _authorization(headers: Mapping[str, str]) -> str | None:
    """The Authorization header, looked up case-insensitively; two different values refuse."""
    found: str | None = None
    for key, value in headers.items():
        if isinstance(key, str) and key.isascii() and key.lower() == "authorization":
            if not isinstance(value, str) or (found is not None and value != found):
                raise TeamsRequestRejected("malformed Authorization header", 400)
            found = value
    return found


def signature_key(keys: Sequence[bytes], headers: Mapping[str, str], body: bytes) -> bytes:
    """The key whose HMAC-SHA256 of ``body`` is the request's ``Authorization: HMAC ...``.

    Raises :class:`TeamsRequestRejected` 401 when the header is missing, malformed or matches
    no key. Every key is compared (in constant time), so the time taken says nothing about
    which one matched.
    """
    raw = _authorization(headers)
    if raw is None:
        raise TeamsRequestRejected("missing Authorization header", 401)
    scheme, _, value = raw.strip(" \t").partition(" ")
    if scheme.lower() != "hmac":
        raise TeamsRequestRejected("Authorization is not an HMAC signature", 401)
    try:
        given = base64.b64decode(value.strip(" \t").encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise TeamsRequestRejected("bad request signature", 401) from None
    if len(given) != _SIGNATURE_BYTES:
        raise TeamsRequestRejected("bad request signature", 401)
    matched: bytes | None = None
    for key in keys:
        expected = hmac.new(key, bytes(body), hashlib.sha256).digest()
        if hmac.compare_digest(expected, given) and matched is None:
            matched = key
    if matched is None:
        raise TeamsRequestRejected("bad request signature", 401)
    return matched


# --------------------------------------------------------------------------------------------
# Replay protection


class ReplayStore(Protocol):
    """Holds keys of accepted activities until they expire; shared by every worker.

    ``remember_once`` stores ``key`` until ``expires_at`` (Unix time) and returns True, or
    returns False when the key is already held. It must be atomic (of two concurrent calls
    with one key, exactly one returns True). ``DatabaseReplayStore`` in
    ``gaplens.feedback.service`` is the one the web app uses.
    """

    def remember_once(self, key: str, expires_at: float, now: float) -> bool: ...


def _replay_key(key: bytes, conversation_id: str, activity_id: str) -> str:
    """A keyed hash of the activity: the stored row cannot be matched to a Teams message
    without the token, and the ids themselves are never stored."""
    message = (
        _REPLAY_CONTEXT
        + conversation_id.encode("utf-8", "surrogatepass")
        + b"\x00"
        + activity_id.encode("utf-8", "surrogatepass")
    )
    return _REPLAY_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# The activity


@dataclass(frozen=True, slots=True)
class TeamsMessage:
    """What is read of an activity: the typed text, ``@name`` of the webhook for examples, and
    the language to reply in (a catalogue code chosen from ``locale``; never stored or logged).

    Everything else Teams sends (``from`` with the sender's name, id and Entra object id, the
    tenant, team, channel and conversation, ``serviceUrl``, ``locale`` itself,
    ``localTimestamp``, ``localTimezone``, entities and attachments) is dropped on arrival.
    Nothing of a Teams message is stored (see :func:`interpret`).
    """

    text: str
    command: str = DEFAULT_MENTION
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class _Activity:
    activity_id: str
    conversation_id: str
    timestamp: float
    tenant_id: str | None
    raw_text: str
    language: str


def _object(value: object, name: str) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TeamsRequestRejected(f"field '{name}' is not an object", 400)
    return value


def _string(value: object, name: str, *, limit: int = _MAX_ID_CHARS) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise TeamsRequestRejected(f"malformed field '{name}'", 400)
    return value


def _timestamp(value: object) -> float:
    text = _string(value, "timestamp", limit=_MAX_TIMESTAMP_CHARS)
    if not text:
        raise TeamsRequestRejected("missing field 'timestamp'", 400)
    try:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise TeamsRequestRejected("field 'timestamp' has no time zone", 400)
        return moment.timestamp()
    except (ValueError, OverflowError):
        raise TeamsRequestRejected("field 'timestamp' is not an ISO 8601 time", 400) from None


def _activity(body: bytes) -> _Activity:
    """Parse the (already authenticated) JSON body, reading only what is needed."""
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):  # includes UnicodeDecodeError, JSONDecodeError
        raise TeamsRequestRejected("malformed JSON body", 400) from None
    if not isinstance(data, dict):
        raise TeamsRequestRejected("the body is not a JSON object", 400)
    if data.get("type") != "message":
        raise TeamsRequestRejected("field 'type' must be 'message'", 400)
    activity_id = _string(data.get("id"), "id")
    if not activity_id:
        raise TeamsRequestRejected("missing field 'id'", 400)
    text = _string(data.get("text"), "text", limit=MAX_BODY_BYTES)
    if text is None:
        raise TeamsRequestRejected("missing field 'text'", 400)
    conversation = _object(data.get("conversation"), "conversation") or {}
    channel_data = _object(data.get("channelData"), "channelData") or {}
    tenant = _object(channel_data.get("tenant"), "channelData.tenant") or {}
    return _Activity(
        activity_id=activity_id,
        conversation_id=_string(conversation.get("id"), "conversation.id") or "",
        timestamp=_timestamp(data.get("timestamp")),
        tenant_id=_string(tenant.get("id"), "channelData.tenant.id"),
        raw_text=text,
        language=reply_language(data.get("locale")),
    )


def reply_language(locale: object) -> str:
    """The catalogue to reply in for the activity's ``locale`` ("de-DE" is German), English
    when gaplens has none for it or it is missing or malformed: a presentation choice only,
    so a bad value is not a reason to refuse the message."""
    if not isinstance(locale, str) or len(locale) > _MAX_LOCALE_CHARS or "," in locale:
        return DEFAULT_LANGUAGE
    return person_language(locale, DEFAULT_LANGUAGE)


_MENTION_RE: Final = re.compile(r"<at(?:\s[^<>]*)?>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_RE: Final = re.compile(r"<br\s*/?>|</(?:p|div)\s*>", re.IGNORECASE)
_TAG_RE: Final = re.compile(r"</?[A-Za-z][^<>]*>")
_NAME_RE: Final = re.compile(r"[^\s<>`]+(?: [^\s<>`]+){0,3}")


def message_text(raw: str, language: str = DEFAULT_LANGUAGE) -> TeamsMessage:
    """The typed words of a Teams message's ``text``, and the webhook's ``@name``.

    The first ``<at>NAME</at>`` is the webhook being called: it is removed (and ``@NAME``
    kept to phrase examples). Any later mention is somebody else: it becomes ``@someone`` so
    that no name reaches storage. Markup is dropped and entities decoded (Teams escapes what
    the person typed), so what is stored is what they wrote.
    """
    command = DEFAULT_MENTION
    first = _MENTION_RE.search(raw)
    if first is not None:
        name = html.unescape(_TAG_RE.sub("", first.group(1))).replace("\xa0", " ").strip()
        name = name.removeprefix("@").strip()
        if _NAME_RE.fullmatch(name) and len(name) <= 64:
            command = f"@{name}"
        raw = raw[: first.start()] + " " + raw[first.end() :]
    raw = _MENTION_RE.sub("@someone", raw)
    raw = _BREAK_RE.sub("\n", raw)
    text = html.unescape(_TAG_RE.sub("", raw)).replace("\xa0", " ")
    return TeamsMessage(text=text.strip(), command=command, language=language)


def authenticate_activity(
    tokens: Iterable[str],
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    replay_store: ReplayStore,
    allowed_tenants: Iterable[str] = (),
) -> TeamsMessage:
    """Refuse the request unless Teams signed exactly this body, recently, once; keep the text.

    Checks, in order: size (413), signature (401), JSON shape (400), ``timestamp`` within
    five minutes (401), the tenant when ``allowed_tenants`` is not empty (403), then the
    replay store (409 for an activity already accepted). The store is consulted last, so
    forged, stale or foreign traffic cannot fill it. Raises :class:`TeamsNotConfigured` when
    no token is usable.
    """
    keys = decode_security_tokens(tokens)
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("body must be the raw request bytes")
    if len(body) > MAX_BODY_BYTES:
        raise TeamsRequestRejected("request body too large", 413)
    key = signature_key(keys, headers, body)
    activity = _activity(body)
    # Written as "not within" so that a NaN clock refuses rather than accepts.
    if not (math.isfinite(now) and abs(now - activity.timestamp) <= MAX_ACTIVITY_AGE_SECONDS):
        raise TeamsRequestRejected("activity timestamp outside the 5-minute window", 401)
    allowed = {t.strip().lower() for t in allowed_tenants if t.strip()}
    if allowed and (activity.tenant_id or "").strip().lower() not in allowed:
        raise TeamsRequestRejected("this Teams tenant is not allowed", 403)
    replay = _replay_key(key, activity.conversation_id, activity.activity_id)
    expires = activity.timestamp + 2 * MAX_ACTIVITY_AGE_SECONDS
    if not replay_store.remember_once(replay, expires, now):
        raise TeamsRequestRejected("replayed activity", 409)
    return message_text(activity.raw_text, activity.language)


# --------------------------------------------------------------------------------------------
# Reading the text and replying


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """What a channel message asked for, without its words: ``help``, the feedback form (with
    the kind, tool and use case it named, to prefill) or the way to reflect privately.
    ``has_words`` says whether words came with it (they were not kept); ``understood`` is
    False when the kind, tool or use case could not be read."""

    target: Literal["help", "feedback", "reflection"]
    has_words: bool = False
    kind: FeedbackKind | None = None
    tool: str | None = None
    use_case: str | None = None
    understood: bool = True


def interpret(message: TeamsMessage) -> ChannelRequest:
    """Read a channel message by the Slack command's grammar, keeping no words; never raises.

    ``friction copilot code-review: WORDS`` and ``friction copilot`` both name the form's
    fields; ``reflect ...`` asks for the private way to reflect; help is help. The words are
    only looked at to say whether there were any.
    """
    text = message.text
    if len(text) > MAX_TEXT_CHARS:
        target: Literal["feedback", "reflection"] = (
            "reflection" if is_reflection_text(text) else "feedback"
        )
        return ChannelRequest(target=target, has_words=True, understood=target == "reflection")
    if is_reflection_text(text):
        return ChannelRequest(target="reflection", has_words=len(text.split(maxsplit=1)) > 1)
    start = read_feedback_start(text, command=message.command)
    if isinstance(start, FeedbackStart):
        return ChannelRequest(
            target="feedback",
            has_words=start.has_words,
            kind=start.kind,
            tool=start.tool,
            use_case=start.use_case,
        )
    if start.kind == "help":
        return ChannelRequest(target="help")
    return ChannelRequest(target="feedback", has_words=True, understood=False)


def feedback_link(base_url: str, request: ChannelRequest | None = None) -> str:
    """The private feedback form, with the kind, tool and use case the message named as query
    parameters (the form selects them); never the words."""
    fields = {
        "kind": request.kind if request else None,
        "tool": request.tool if request else None,
        "use_case": request.use_case if request else None,
    }
    query = urlencode({name: value for name, value in fields.items() if value})
    return f"{base_url.rstrip('/')}/feedback" + (f"?{query}" if query else "")


def message_reply(text: str) -> dict[str, object]:
    """The reply Teams shows under the message (one paragraph per line)."""
    return {"type": "message", "text": text.replace("\n", "\n\n")}


def _not_kept(language: str) -> str:
    return translate(
        language,
        N_(
            "Nothing was kept. Everyone in this channel sees who wrote a message, so gaplens "
            "stores nothing sent in a Teams channel."
        ),
    )


def _reflect_privately(language: str) -> str:
    return translate(
        language,
        N_(
            "To reflect privately, use your personal reflection link: gaplens sends it by email "
            "or Slack direct message after a training or your first use of an AI tool, and it "
            "opens a page only you see."
        ),
    )


def _help(command: str, language: str, base_url: str) -> str:
    def t(message: str, **values: object) -> str:
        return translate(language, message, command=command, **values)

    return "\n".join(
        [
            t(N_("*gaplens — anonymous feedback on AI at work*")),
            t(
                N_(
                    "Everyone in a Teams channel sees who wrote a message, so gaplens stores "
                    "nothing sent here. `%(command)s KIND tool use-case` answers with a link to "
                    "the private form, filled in with them, where KIND is one of:"
                )
            ),
            *kind_lines(language),
            t(N_("`%(command)s friction copilot code-review`")),
            t(
                N_(
                    "The channel sees the kind, tool and use case you name here, too: to keep "
                    "even those to yourself, open the form and choose them there."
                )
            ),
            t(
                N_(
                    "The form stores the kind, tool, use case and your words anonymously, dated "
                    "by day. Please leave names (yours or anyone else's) out of your words."
                )
            ),
            t(N_("The private form: %(link)s"), link=feedback_link(base_url)),
            _reflect_privately(language),
        ]
    )


def reply_for(request: ChannelRequest, message: TeamsMessage, base_url: str) -> dict[str, object]:
    """The reply, in the message's language, seen by the channel: it never repeats the words,
    says that nothing was kept when there were any, and points to the private way."""
    language = message.language
    if request.target == "help":
        return message_reply(_help(message.command, language, base_url))
    lines = [_not_kept(language)] if request.has_words else []
    if request.target == "reflection":
        lines.append(_reflect_privately(language))
        if not request.has_words:
            lines.append(_not_kept_note(language))
        return message_reply("\n".join(lines))
    link = feedback_link(base_url, request)
    if not request.understood:
        lines.append(
            translate(
                language,
                N_(
                    "I could not read a kind, tool and use case from that; `%(command)s help` "
                    "shows how. The private form: %(link)s"
                ),
                command=message.command,
                link=link,
            )
        )
    elif request.has_words:
        lines.append(
            translate(
                language,
                N_(
                    "Please send your words on the private form instead; it is anonymous and "
                    "opens with the kind, tool and use case you gave: %(link)s"
                ),
                link=link,
            )
        )
    else:
        lines.append(
            translate(
                language,
                N_(
                    "The private form, opened with the kind, tool and use case you gave; it "
                    "stores your words anonymously: %(link)s"
                ),
                link=link,
            )
        )
        lines.append(_not_kept_note(language))
    return message_reply("\n".join(lines))


def _not_kept_note(language: str) -> str:
    return translate(
        language,
        N_(
            "gaplens stores nothing sent in a Teams channel, because everyone in it sees who "
            "wrote it."
        ),
    )
