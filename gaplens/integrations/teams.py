"""The Microsoft Teams outgoing webhook (``@gaplens ...`` in a channel), minus the web framework.

The HTTP route (``POST /integrations/teams/message``) reads the *raw* body and the headers and
calls, in this order::

    message = authenticate_activity(tokens, request.headers, raw_body, time.time(),
                                    replay_store, allowed_tenants)
    intent = interpret(message)     # FeedbackIntent or ReflectionIntent, as for Slack
    if intent is feedback or a reflection: store it, anonymously
    return reply_for(intent, message.command)   # {"type": "message", "text": ...}, HTTP 200

and maps :class:`TeamsRequestRejected` to ``exc.status`` (JSON ``{"error": reason}``) and
:class:`TeamsNotConfigured` to a 503. Teams wants the answer within five seconds.

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
webhook's own mention removed, any other mention replaced by ``@someone``) and the webhook's
name for examples; nothing else leaves this module, and nothing here logs or puts request
content into an exception. Unlike a Slack slash command, a Teams outgoing webhook works only in
channels: the message and the reply are seen by the channel's members (docs/web.md).

The grammar (feedback kinds, tool and use case, ``reflect``) is the Slack command's, read by
:mod:`gaplens.integrations.slack`.
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
from typing import Final, Protocol

from gaplens.integrations.slack import (
    MAX_TEXT_CHARS,
    FeedbackIntent,
    ReflectionIntent,
    acknowledgement_text,
    filed_as,
    help_text,
    is_reflection_text,
    parse_feedback_text,
    parse_reflection_text,
    reflection_acknowledgement_text,
)

__all__ = [
    "DEFAULT_MENTION",
    "MAX_ACTIVITY_AGE_SECONDS",
    "MAX_BODY_BYTES",
    "ReplayStore",
    "TeamsMessage",
    "TeamsNotConfigured",
    "TeamsRequestRejected",
    "authenticate_activity",
    "decode_security_tokens",
    "interpret",
    "message_reply",
    "message_text",
    "reply_for",
    "signature_key",
]

MAX_ACTIVITY_AGE_SECONDS: Final = 300
"""Activities whose ``timestamp`` is further than this from now (either way) are refused."""

MAX_BODY_BYTES: Final = 64 * 1024
"""Larger bodies are refused (413) before the signature is computed."""

DEFAULT_MENTION: Final = "@gaplens"

_MAX_ID_CHARS: Final = 512
_MAX_TIMESTAMP_CHARS: Final = 40
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
    """What is kept of an activity: the typed text, and ``@name`` of the webhook for examples.

    Everything else Teams sends (``from`` with the sender's name, id and Entra object id, the
    tenant, team, channel and conversation, ``serviceUrl``, ``locale``, ``localTimestamp``,
    ``localTimezone``, entities and attachments) is dropped on arrival.
    """

    text: str
    command: str = DEFAULT_MENTION


@dataclass(frozen=True, slots=True)
class _Activity:
    activity_id: str
    conversation_id: str
    timestamp: float
    tenant_id: str | None
    raw_text: str


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
    )


_MENTION_RE: Final = re.compile(r"<at(?:\s[^<>]*)?>(.*?)</at\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_RE: Final = re.compile(r"<br\s*/?>|</(?:p|div)\s*>", re.IGNORECASE)
_TAG_RE: Final = re.compile(r"</?[A-Za-z][^<>]*>")
_NAME_RE: Final = re.compile(r"[^\s<>`]+(?: [^\s<>`]+){0,3}")


def message_text(raw: str) -> TeamsMessage:
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
    return TeamsMessage(text=text.strip(), command=command)


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
    return message_text(activity.raw_text)


# --------------------------------------------------------------------------------------------
# Reading the text and replying


def _too_long(length: int) -> FeedbackIntent:
    # Unlike Slack, Teams leaves the message in the channel, so it is not echoed back.
    return FeedbackIntent(
        kind="error",
        message=(
            f"Your message is {length:,} characters; the limit is {MAX_TEXT_CHARS:,}. "
            "Nothing was stored. Please shorten it and send it again."
        ),
    )


def interpret(message: TeamsMessage) -> FeedbackIntent | ReflectionIntent:
    """Feedback or a reflection, by the Slack command's grammar; never raises."""
    if len(message.text) > MAX_TEXT_CHARS:
        return _too_long(len(message.text))
    if is_reflection_text(message.text):
        return parse_reflection_text(message.text, command=message.command)
    return parse_feedback_text(message.text, command=message.command)


_CHANNEL_NOTE: Final = (
    "In Teams your message and this reply are seen by the channel's members, as any "
    "channel message is; gaplens itself keeps no link between you and your words."
)


def message_reply(text: str) -> dict[str, object]:
    """The reply Teams shows under the message (one paragraph per line)."""
    return {"type": "message", "text": text.replace("\n", "\n\n")}


def reply_for(intent: FeedbackIntent | ReflectionIntent, command: str) -> dict[str, object]:
    """The reply for an intent (call it once feedback or a reflection is stored)."""
    if isinstance(intent, ReflectionIntent):
        if intent.is_reflection:
            return message_reply(reflection_acknowledgement_text("Teams"))
        return message_reply(intent.message or help_text(command, "Teams"))
    if intent.is_feedback:
        return message_reply(f"{acknowledgement_text('Teams')}\n{filed_as(intent)}")
    if intent.kind == "help":
        return message_reply(f"{help_text(command, 'Teams')}\n{_CHANNEL_NOTE}")
    return message_reply(intent.message or help_text(command, "Teams"))
