"""The Slack slash command (``/gaplens``), minus the web framework.

The HTTP route (``POST /integrations/slack/command``) reads the *raw* body and the headers and
calls, in this order::

    authenticate_request(secret, request.headers, raw_body, time.time(), replay_store)
    # (or verify_request(...) then replay_store.check_and_remember(...) yourself)
    if is_ssl_check(raw_body): return 200, empty body
    command = parse_slash_command(raw_body)
    intent = parse_feedback_text(command.text, command=command.command)
    if intent.is_feedback: store intent.kind / tool / use_case / text, dated by day
    return reply_for(intent)          # JSON body, HTTP 200

and maps :class:`SlackRequestRejected` to ``exc.status`` and :class:`SlackNotConfigured` to a
503 (a deployment problem, not the caller's fault). Slack wants the answer within 3 seconds.

Request signing follows Slack's documented scheme, version ``v0``: the ``X-Slack-Signature``
header is ``"v0=" + hex(HMAC-SHA256(signing_secret, b"v0:" + timestamp + b":" + raw_body))``
where ``timestamp`` is the ``X-Slack-Request-Timestamp`` header exactly as sent. Requests whose
timestamp is more than five minutes away from our clock (either direction) are refused, and
a :class:`ReplayStore` refuses a signature seen before inside that window.

Privacy: the command body carries who typed it (user, team, enterprise, channel, response
URL, trigger id). :func:`parse_slash_command` keeps only the command name and the typed text;
everything else is dropped before it can reach a log line, a database row or an exception
message. No function here logs anything or puts request content into an exception.

Reflections (capability 11) have their own grammar, recognised by the first word::

    reflect learned: WORDS | means: WORDS [| confidence: 1-5]
    reflect WORDS [| WORDS]                      -> learned, then means, by position

Call :func:`is_reflection_text` first and, if true, :func:`parse_reflection_text`; the
reflection is stored anonymously (no step, no function) and counts in themes only.

Feedback grammar (what follows ``/gaplens``)::

    (empty) | help | ? | --help                 -> help
    KIND: WORDS                                  -> feedback, no tool, no use case
    KIND WORDS                                   -> same, without the colon
    KIND TOOL: WORDS                             -> positional tool
    KIND TOOL USE_CASE: WORDS                    -> positional tool and use case
    KIND tool=TOOL use=USE_CASE: WORDS           -> keywords, either or both, any order

* ``KIND`` is ``working``, ``friction``, ``idea`` or ``concern`` (case-insensitive), or a
  synonym from :data:`KIND_SYNONYMS` (``win`` -> working, ``problem`` -> friction,
  ``worry`` -> concern, ...), English or in a language gaplens replies in (``problème``,
  ``Idee``, ``問題``); a full-width colon counts as a colon.
* The part between KIND and the first colon (a colon inside ``://`` does not count) is read
  as tool / use case only if it is short enough to be one: keyword tokens (``tool=``,
  ``use=``; ``use_case=``, ``usecase=``, ``use-case=`` and ``case=`` also work) plus at most
  as many bare words as there are slots left, which bare words fill tool first. With no
  keyword and three or more bare words the colon is taken to be part of the sentence and
  everything after KIND is the feedback. Values are single words (``code-review``) or quoted
  (``use="meeting notes"``, straight or curly quotes).
* The whole text may be at most :data:`MAX_TEXT_CHARS` characters; longer text, an unknown
  KIND, an unknown ``key=``, an empty value or missing words give an *error* intent whose
  message is shown to the person (only to them), never an exception.

Every message is written through the respondent pages' gettext catalogues: the parse
functions and replies take ``language`` (a code with a catalogue; the route passes
``GAPLENS_DEFAULT_LANGUAGE``, since a slash command carries no language). The command words
in examples stay English.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, Protocol, get_args
from urllib.parse import parse_qsl

from gaplens.i18n import DEFAULT_LANGUAGE, N_, number_words, translate

__all__ = [
    "DEFAULT_COMMAND",
    "FEEDBACK_KINDS",
    "KIND_SYNONYMS",
    "MAX_BODY_BYTES",
    "MAX_QUALIFIER_CHARS",
    "MAX_REQUEST_AGE_SECONDS",
    "MAX_TEXT_CHARS",
    "FeedbackIntent",
    "FeedbackKind",
    "FeedbackStart",
    "IntentKind",
    "ReflectionIntent",
    "ReplayGuard",
    "ReplayStore",
    "SlackNotConfigured",
    "SlackRequestRejected",
    "SlashCommand",
    "acknowledgement",
    "acknowledgement_text",
    "authenticate_request",
    "ephemeral_response",
    "filed_as",
    "help_message",
    "help_text",
    "is_reflection_text",
    "is_ssl_check",
    "kind_lines",
    "parse_feedback_text",
    "parse_reflection_text",
    "parse_slash_command",
    "read_feedback_start",
    "reflection_acknowledgement_text",
    "reflection_reply",
    "reply_for",
    "too_long_text",
    "verify_request",
]

MAX_REQUEST_AGE_SECONDS: Final = 300
"""Slack's recommended window: refuse requests whose timestamp is further than this from now."""

MAX_BODY_BYTES: Final = 64 * 1024
"""Larger bodies are refused (413) without parsing. Comfortably above a 2,000-character text
even when every character is percent-encoded multi-byte UTF-8, so over-long feedback still
gets the friendly "please shorten it" reply rather than a bare error."""

MAX_TEXT_CHARS: Final = 2_000
"""Longest feedback text accepted, counted on the whole text after the command name."""

MAX_QUALIFIER_CHARS: Final = 80
"""Longest tool or use-case name."""

DEFAULT_COMMAND: Final = "/gaplens"

SIGNATURE_HEADER: Final = "x-slack-signature"
TIMESTAMP_HEADER: Final = "x-slack-request-timestamp"

_SIGNATURE_VERSION: Final = "v0"
_SIGNATURE_RE: Final = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)
# At most 15 digits: Unix seconds need 10 until the year 2286; bounding the length keeps
# int() cheap on hostile input.
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,15}", re.ASCII)
_HTTP_WHITESPACE: Final = " \t"

_MAX_FORM_FIELDS: Final = 64


# --------------------------------------------------------------------------------------------
# Errors


class SlackRequestRejected(Exception):  # noqa: N818  (name fixed by the route contract)
    """The request must be refused with HTTP ``status``; ``reason`` is safe to log and return.

    The reason never contains request content, header values, signatures or the secret.
    """

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(f"{status}: {reason}")
        self.reason = reason
        self.status = status


class SlackNotConfigured(Exception):  # noqa: N818
    """The signing secret is missing or unusable: a deployment problem, answer 503, not 4xx."""


# --------------------------------------------------------------------------------------------
# Request signing


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (lower-case ASCII), looked up case-insensitively.

    Iterates ``items()`` so that multi-valued header containers (Starlette's ``Headers``
    yields every raw pair) are seen whole: the same header twice with different values is
    ambiguous and refused. Only ASCII names match, so e.g. a Kelvin sign cannot pose as 'k'.
    """
    found: str | None = None
    for key, value in headers.items():
        if isinstance(key, str) and key.isascii() and key.lower() == name:
            if not isinstance(value, str):
                raise SlackRequestRejected(f"malformed {name} header", 400)
            if found is not None and value != found:
                raise SlackRequestRejected(f"conflicting {name} headers", 400)
            found = value
    return found


def _check_secret(signing_secret: str) -> bytes:
    if not isinstance(signing_secret, str) or not signing_secret.strip():
        raise SlackNotConfigured("the Slack signing secret is not set")
    if signing_secret != signing_secret.strip():
        # Almost always a trailing newline from a secrets file; every signature would fail.
        raise SlackNotConfigured("the Slack signing secret has leading or trailing whitespace")
    try:
        return signing_secret.encode("utf-8")
    except UnicodeEncodeError:
        raise SlackNotConfigured("the Slack signing secret is not valid text") from None


def _verified(
    signing_secret: str, headers: Mapping[str, str], body: bytes, now: float
) -> tuple[str, int]:
    """Check everything; return the (canonical) signature and the timestamp it covers."""
    key = _check_secret(signing_secret)
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("body must be the raw request bytes")

    raw_signature = _header(headers, SIGNATURE_HEADER)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    if raw_signature is None:
        raise SlackRequestRejected("missing X-Slack-Signature header", 401)
    if raw_timestamp is None:
        raise SlackRequestRejected("missing X-Slack-Request-Timestamp header", 401)

    timestamp_text = raw_timestamp.strip(_HTTP_WHITESPACE)
    if not _TIMESTAMP_RE.fullmatch(timestamp_text):
        raise SlackRequestRejected("X-Slack-Request-Timestamp is not an integer", 400)
    timestamp = int(timestamp_text)

    signature = raw_signature.strip(_HTTP_WHITESPACE)
    if not _SIGNATURE_RE.fullmatch(signature):
        raise SlackRequestRejected("bad request signature", 401)

    # Written as "not within" so that a NaN clock refuses rather than accepts.
    if not abs(now - timestamp) <= MAX_REQUEST_AGE_SECONDS:
        raise SlackRequestRejected("request timestamp outside the 5-minute window", 401)

    # The timestamp is signed exactly as sent (Slack signs the header text, not a number).
    base = f"{_SIGNATURE_VERSION}:{timestamp_text}:".encode("ascii") + bytes(body)
    expected = f"{_SIGNATURE_VERSION}=" + hmac.new(key, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        raise SlackRequestRejected("bad request signature", 401)
    return signature, timestamp


def verify_request(
    signing_secret: str, headers: Mapping[str, str], body: bytes, now: float
) -> None:
    """Refuse the request unless Slack signed exactly this body within the last 5 minutes.

    ``headers`` is any mapping of header names to values (names are matched without regard
    to case); ``body`` must be the raw bytes as received, before any form parsing; ``now`` is
    the current Unix time (``time.time()``).

    Raises :class:`SlackNotConfigured` when the secret is empty, and
    :class:`SlackRequestRejected` with status 401 (signature missing, malformed or wrong;
    timestamp missing or more than 300 s in the past or future) or 400 (timestamp not an
    integer, the same header twice with different values).

    This does not detect a replay inside the window: use :func:`authenticate_request`, or call
    a :class:`ReplayStore` after this.
    """
    _verified(signing_secret, headers, body, now)


def authenticate_request(
    signing_secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    replay_store: ReplayStore,
) -> None:
    """:func:`verify_request`, then refuse (409) a signature the store has already seen.

    The store is only consulted for correctly signed requests, so forged traffic cannot
    fill it.
    """
    signature, timestamp = _verified(signing_secret, headers, body, now)
    replay_store.check_and_remember(signature, timestamp, now)


# --------------------------------------------------------------------------------------------
# Replay protection


class ReplayStore(Protocol):
    """Remembers signatures of accepted requests for as long as their timestamp is valid.

    ``check_and_remember`` must be atomic: of two concurrent calls with the same signature,
    exactly one succeeds. It raises :class:`SlackRequestRejected` (409, "replayed request")
    for a signature already seen, and may raise it (401) for a timestamp outside the window.

    With several server processes (uvicorn/gunicorn ``--workers N``) each process has its own
    :class:`ReplayGuard`, so a replay sent to a different worker is not caught. A multi-worker
    deployment needs a shared store: e.g. a database table with the signature as primary key
    and an ``expires_at`` column (timestamp + 300 s) — insert, and treat a unique-constraint
    violation as the replay; delete rows past ``expires_at`` promptly. Those rows carry
    exact times, which the feedback rows deliberately do not (they are dated by day), so keep
    them apart from feedback (no shared sequence, no foreign key) and store no other column.
    """

    def check_and_remember(self, signature: str, timestamp: int, now: float) -> None: ...


class ReplayGuard:
    """In-memory :class:`ReplayStore` for one process; thread-safe.

    An entry lives until its timestamp leaves the window (``timestamp + window_seconds``),
    after which :func:`verify_request` refuses the request as stale anyway, so expired entries
    are pruned on every call. Memory is bounded by ``max_entries``: when full, the entry that
    expires soonest (the oldest request) is evicted. Eviction reopens a replay hole for that
    one signature, which only matters if more than ``max_entries`` correctly signed requests
    arrive within five minutes; entries are only added after the signature was verified.

    Per-process only: see :class:`ReplayStore` for multi-worker deployments.
    """

    def __init__(
        self,
        window_seconds: int = MAX_REQUEST_AGE_SECONDS,
        max_entries: int = 100_000,
    ) -> None:
        if window_seconds < MAX_REQUEST_AGE_SECONDS:
            # A shorter memory than verify_request's window would let a replay through.
            raise ValueError(f"window_seconds must be at least {MAX_REQUEST_AGE_SECONDS}")
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self._window = window_seconds
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._expiries: list[tuple[int, str]] = []  # min-heap, one item per member of _seen

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def check_and_remember(self, signature: str, timestamp: int, now: float) -> None:
        with self._lock:
            if not abs(now - timestamp) <= self._window:
                raise SlackRequestRejected("request timestamp outside the 5-minute window", 401)
            self._prune(now)
            if signature in self._seen:
                raise SlackRequestRejected("replayed request", 409)
            while len(self._seen) >= self._max_entries:
                _, oldest = heapq.heappop(self._expiries)
                self._seen.discard(oldest)
            heapq.heappush(self._expiries, (timestamp + self._window, signature))
            self._seen.add(signature)

    def _prune(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] < now:
            _, expired = heapq.heappop(self._expiries)
            self._seen.discard(expired)


# --------------------------------------------------------------------------------------------
# The slash command body


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """What is kept of a slash command: the command name and the typed text, nothing else.

    Slack also sends user_id, user_name, team_id, team_domain, enterprise_id,
    enterprise_name, channel_id, channel_name, api_app_id, is_enterprise_install,
    response_url, trigger_id and a (deprecated) verification token. They identify a person,
    a workspace or a channel, or let someone post as the app into that conversation; they are
    dropped on arrival, so no later code can store or log them.
    """

    command: str
    text: str


def _form_fields(body: bytes) -> list[tuple[str, str]]:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("body must be the raw request bytes")
    if len(body) > MAX_BODY_BYTES:
        raise SlackRequestRejected("request body too large", 413)
    try:
        decoded = bytes(body).decode("utf-8")
        return parse_qsl(
            decoded,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FORM_FIELDS,
        )
    except ValueError:  # includes UnicodeDecodeError
        raise SlackRequestRejected("malformed form body", 400) from None


def _single(fields: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in fields if key == name]
    if len(values) > 1:
        raise SlackRequestRejected(f"duplicate form field {name!r}", 400)
    return values[0] if values else None


_COMMAND_RE: Final = re.compile(r"/[^\s/]{1,63}")


def _unescape_slack(text: str) -> str:
    # Slack escapes exactly these three characters in text it sends; undo it so that what is
    # stored is what the person typed (templates escape again on output).
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_slash_command(body: bytes) -> SlashCommand:
    """Parse Slack's ``application/x-www-form-urlencoded`` body, keeping only command and text.

    Raises :class:`SlackRequestRejected` 400 for a body that is not a well-formed form (bad
    UTF-8, a field without ``=``, too many fields), lacks ``command`` or ``text``, repeats
    either, or has a command that is not ``/name``; 413 for a body over :data:`MAX_BODY_BYTES`.
    """
    fields = _form_fields(body)
    command = _single(fields, "command")
    text = _single(fields, "text")
    if command is None:
        raise SlackRequestRejected("missing form field 'command'", 400)
    if text is None:
        raise SlackRequestRejected("missing form field 'text'", 400)
    if not _COMMAND_RE.fullmatch(command):
        raise SlackRequestRejected("malformed form field 'command'", 400)
    return SlashCommand(command=command, text=_unescape_slack(text))


def is_ssl_check(body: bytes) -> bool:
    """True for Slack's ``ssl_check=1`` probe, which expects an empty 200 and has no command.

    Never raises for malformed input (it returns False; :func:`parse_slash_command` will then
    refuse the body properly).
    """
    try:
        return _single(_form_fields(body), "ssl_check") == "1"
    except SlackRequestRejected:
        return False


# --------------------------------------------------------------------------------------------
# The feedback text

FeedbackKind = Literal["working", "friction", "idea", "concern"]
IntentKind = Literal["working", "friction", "idea", "concern", "help", "error"]

FEEDBACK_KINDS: Final[tuple[FeedbackKind, ...]] = get_args(FeedbackKind)


def _synonyms(kind: FeedbackKind, *words: str) -> dict[str, FeedbackKind]:
    return dict.fromkeys((kind, *words), kind)


TRANSLATED_KIND_WORDS: Final[Mapping[str, FeedbackKind]] = {
    # German
    **_synonyms("working", "gut", "läuft", "hilft", "erfolg"),
    **_synonyms("friction", "reibung", "hürde", "schwierigkeit"),
    **_synonyms("idea", "idee", "vorschlag", "wunsch"),
    **_synonyms("concern", "sorge", "bedenken", "risiko"),
    # French
    **_synonyms("working", "marche", "fonctionne", "réussite", "reussite", "bien"),
    **_synonyms("friction", "problème", "probleme", "difficulté", "difficulte"),
    **_synonyms("idea", "idée"),
    **_synonyms("concern", "inquiétude", "inquietude", "préoccupation", "crainte", "risque"),
    # Spanish
    **_synonyms("working", "funciona", "éxito", "exito", "bueno"),
    **_synonyms("friction", "fricción", "friccion", "problema", "dificultad"),
    **_synonyms("idea", "sugerencia", "propuesta", "deseo"),
    **_synonyms("concern", "preocupación", "preocupacion", "inquietud", "riesgo", "temor"),
    # Japanese
    **_synonyms("working", "うまくいった", "良い", "成功"),
    **_synonyms("friction", "摩擦", "問題", "困りごと"),
    **_synonyms("idea", "アイデア", "提案", "要望"),
    **_synonyms("concern", "懸念", "心配", "リスク"),
}
"""KIND in the languages gaplens replies in, accepted whatever the reply's language (a Slack
command says nothing about its sender's language)."""

KIND_SYNONYMS: Final[Mapping[str, FeedbackKind]] = {
    **_synonyms("working", "works", "win", "wins", "good", "helps", "helpful", "success", "+"),
    **_synonyms("friction", "problem", "problems", "issue", "issues", "pain", "broken", "bad", "-"),
    **_synonyms("idea", "ideas", "suggestion", "suggest", "proposal", "wish", "request"),
    **_synonyms("concern", "concerns", "concerned", "worry", "worried", "worries", "fear", "risk"),
    **TRANSLATED_KIND_WORDS,
}
"""Every word accepted as KIND (lower case) and the kind it means."""


_HELP_WORDS: Final = frozenset(
    {"help", "?", "-h", "--help", "usage", "hilfe", "aide", "ayuda", "ヘルプ"}
)

_QUALIFIER_KEYS: Final[Mapping[str, Literal["tool", "use_case"]]] = {
    "tool": "tool",
    "use": "use_case",
    "usecase": "use_case",
    "use_case": "use_case",
    "use-case": "use_case",
    "case": "use_case",
}

# A full-width colon (as Japanese input methods type it) counts as a colon.
_KIND_RE: Final = re.compile(r"(?P<kind>[^\s:：]+)(?P<rest>.*)", re.DOTALL)
_COLON_RE: Final = re.compile(r"[:：](?!//)")
_SLOTS: Final[tuple[Literal["tool", "use_case"], ...]] = ("tool", "use_case")
# One token before the colon: an optional "key=", then a quoted (straight or curly quotes) or
# bare value. Tokens are separated by whitespace.
_TOKEN_RE: Final = re.compile(
    r"""(?:(?P<key>[A-Za-z][A-Za-z_-]*)=)?(?:"(?P<dq>[^"]*)"|“(?P<cq>[^”]*)”|(?P<bare>[^\s"“”=]+))?"""
)


@dataclass(frozen=True, slots=True)
class FeedbackIntent:
    """What the person asked for.

    For feedback (``kind`` in :data:`FEEDBACK_KINDS`): ``text`` holds their words and
    ``tool`` / ``use_case`` what they named (or None); ``message`` is None.
    For ``help`` and ``error``: ``message`` is the reply to show them, ``text`` is empty.
    """

    kind: IntentKind
    text: str = ""
    tool: str | None = None
    use_case: str | None = None
    message: str | None = None

    @property
    def is_feedback(self) -> bool:
        return self.kind in FEEDBACK_KINDS


def _nothing_stored(message: str, language: str) -> str:
    stored = translate(language, N_("Nothing was stored."))
    return f"{message} {stored}"


def _error(message: str, language: str) -> FeedbackIntent:
    return FeedbackIntent(kind="error", message=_nothing_stored(message, language))


def _clean(text: str) -> str:
    """Normalise line ends and drop control characters (other than tab and newline).

    A NUL would make PostgreSQL refuse the row; the others are invisible noise.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )


def _see_help(command: str, language: str) -> str:
    return translate(language, N_("Type `%(command)s help` for examples."), command=command)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True, slots=True)
class _Head:
    tool: str | None
    use_case: str | None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _head_tokens(head: str) -> list[tuple[str | None, str]] | None:
    """(key or None, value) per token, or None if the head is not a run of tokens."""
    tokens: list[tuple[str | None, str]] = []
    pos = _skip_space(head, 0)
    while pos < len(head):
        match = _TOKEN_RE.match(head, pos)
        if match is None or match.end() == pos:
            return None
        pos = match.end()
        gap = _skip_space(head, pos)
        if gap == pos and pos < len(head):
            return None  # tokens must be separated by whitespace
        pos = gap
        value = next((v for v in match.group("dq", "cq", "bare") if v is not None), "")
        tokens.append((match.group("key"), value.strip()))
    return tokens


def _read_head(head: str, command: str, language: str) -> _Head | FeedbackIntent | None:
    """Tool / use case from the words before the colon; None if they are not qualifiers."""
    tokens = _head_tokens(head)
    if tokens is None:
        return None  # e.g. an unbalanced quote: an ordinary sentence
    keyed: dict[Literal["tool", "use_case"], str] = {}
    bare: list[str] = []
    for key, value in tokens:
        if key is None:
            bare.append(value)
            continue
        slot = _QUALIFIER_KEYS.get(key.lower())
        if slot is None:
            return _error(
                translate(
                    language,
                    N_(
                        "I don't know “%(key)s=”. Use tool= and use= before the colon, e.g. "
                        "`%(command)s friction tool=copilot use=code-review: ...`."
                    ),
                    key=_slack_escape(key),
                    command=command,
                ),
                language,
            )
        if slot in keyed:
            return _error(
                translate(
                    language, N_("“%(key)s=” appears twice; give it once."), key=_slack_escape(key)
                ),
                language,
            )
        keyed[slot] = value
    free = [slot for slot in _SLOTS if slot not in keyed]
    if len(bare) > len(free):
        if not keyed:
            return None  # three or more plain words: the colon belongs to the sentence
        return _error(
            translate(
                language,
                N_(
                    "Too many words before the colon. Put them after it, or quote a name with "
                    'spaces, e.g. `%(command)s friction tool="GitHub Copilot" use=code-review: '
                    "...`."
                ),
                command=command,
            ),
            language,
        )
    for slot, value in zip(free, bare, strict=False):
        keyed[slot] = value
    for slot, value in keyed.items():
        if not value:
            empty = (
                N_("The tool is empty. Leave it out or give a name.")
                if slot == "tool"
                else N_("The use case is empty. Leave it out or give a name.")
            )
            return _error(translate(language, empty), language)
        if len(value) > MAX_QUALIFIER_CHARS:
            long = (
                N_("The tool name is longer than %(limit)s characters.")
                if slot == "tool"
                else N_("The use case name is longer than %(limit)s characters.")
            )
            return _error(translate(language, long, limit=MAX_QUALIFIER_CHARS), language)
    return _Head(tool=keyed.get("tool"), use_case=keyed.get("use_case"))


def _kind_and_rest(
    text: str, command: str, language: str
) -> tuple[FeedbackKind, str] | FeedbackIntent:
    """The kind a (cleaned, stripped) text starts with and what follows it, or the help or
    error intent."""
    if not text:
        return FeedbackIntent(kind="help", message=help_text(command, language))
    match = _KIND_RE.fullmatch(text)
    kinds = ", ".join(FEEDBACK_KINDS)
    if match is None:  # starts with a colon
        start = translate(language, N_("Start with a kind: %(kinds)s."), kinds=kinds)
        return _error(f"{start} {_see_help(command, language)}", language)
    word = match.group("kind").lower()
    if word in _HELP_WORDS:
        return FeedbackIntent(kind="help", message=help_text(command, language))
    kind = KIND_SYNONYMS.get(word)
    if kind is None:
        unknown = translate(
            language,
            N_(
                "I didn't recognise “%(word)s”. Start with one of %(kinds)s — for example "
                "`%(command)s friction copilot code-review: it invents APIs`."
            ),
            word=_slack_escape(match.group("kind")),
            kinds=kinds,
            command=command,
        )
        return _error(f"{unknown} {_see_help(command, language)}", language)
    return kind, match.group("rest")


def parse_feedback_text(
    text: str, *, command: str = DEFAULT_COMMAND, language: str = DEFAULT_LANGUAGE
) -> FeedbackIntent:
    """Read what followed the command (see the module docstring for the grammar).

    Never raises for any string: problems become an ``error`` intent with a message for the
    person, in ``language`` (a code gaplens has a catalogue for). ``command`` is only used to
    phrase examples in those messages.
    """
    if len(text) > MAX_TEXT_CHARS:
        return FeedbackIntent(kind="error", message=_too_long_message(text, language))
    start = _kind_and_rest(_clean(text).strip(), command, language)
    if isinstance(start, FeedbackIntent):
        return start
    kind, rest = start
    tool: str | None = None
    use_case: str | None = None
    words = rest
    colon = _COLON_RE.search(rest)
    if colon is not None:
        head = _read_head(rest[: colon.start()], command, language)
        if isinstance(head, FeedbackIntent):
            return head
        if head is not None:
            tool, use_case = head.tool, head.use_case
            words = rest[colon.end() :]
    words = words.strip()
    if not words:
        return _error(
            translate(
                language,
                N_("Please add what happened after the colon, e.g. `%(command)s %(kind)s: ...`."),
                command=command,
                kind=kind,
            ),
            language,
        )
    return FeedbackIntent(kind=kind, text=words, tool=tool, use_case=use_case)


@dataclass(frozen=True, slots=True)
class FeedbackStart:
    """The kind, tool and use case a feedback command names, and whether words followed
    (never the words themselves): what a channel reply may use, since it keeps no words."""

    kind: FeedbackKind
    tool: str | None = None
    use_case: str | None = None
    has_words: bool = False


def read_feedback_start(
    text: str, *, command: str = DEFAULT_COMMAND, language: str = DEFAULT_LANGUAGE
) -> FeedbackStart | FeedbackIntent:
    """The command's grammar read for a quick route to the form: ``friction copilot
    code-review: words`` or, without a colon, ``friction copilot [code-review]`` (at most two
    plain words or ``tool=`` / ``use=``: more is a sentence). Help and mistakes are the same
    intents as :func:`parse_feedback_text`; never raises."""
    if len(text) > MAX_TEXT_CHARS:
        return FeedbackIntent(kind="error", message=_too_long_message(text, language))
    start = _kind_and_rest(_clean(text).strip(), command, language)
    if isinstance(start, FeedbackIntent):
        return start
    kind, rest = start
    colon = _COLON_RE.search(rest)
    head_text, words = (rest, "") if colon is None else (rest[: colon.start()], rest[colon.end() :])
    if not head_text.strip():
        return FeedbackStart(kind=kind, has_words=bool(words.strip()))
    head = _read_head(head_text, command, language)
    if isinstance(head, FeedbackIntent):
        return head
    if head is None:  # the words before the colon are a sentence
        return FeedbackStart(kind=kind, has_words=True)
    return FeedbackStart(
        kind=kind, tool=head.tool, use_case=head.use_case, has_words=bool(words.strip())
    )


# --------------------------------------------------------------------------------------------
# Replies


def ephemeral_response(text: str) -> dict[str, object]:
    """A reply only the person who typed the command sees (nothing is posted to the channel)."""
    return {"response_type": "ephemeral", "text": text}


def acknowledgement_text(language: str = DEFAULT_LANGUAGE) -> str:
    """What was kept of a feedback item and what was not."""
    return translate(
        language,
        N_(
            "Thanks — stored anonymously: the kind, tool, use case and your words, dated by day. "
            "Not stored: your Slack name, id, workspace or channel."
        ),
    )


def filed_as(intent: FeedbackIntent, language: str = DEFAULT_LANGUAGE) -> str:
    """How the feedback was filed, so a mistyped tool or kind is visible at once."""
    not_given = translate(language, N_("not given"))
    return translate(
        language,
        N_("Filed as *%(kind)s* · tool: %(tool)s · use case: %(use_case)s."),
        kind=intent.kind,
        tool=_slack_escape(intent.tool or not_given),
        use_case=_slack_escape(intent.use_case or not_given),
    )


def acknowledgement(
    intent: FeedbackIntent | None = None, language: str = DEFAULT_LANGUAGE
) -> dict[str, object]:
    """The reply after feedback was stored; says what was kept and what was not.

    Given the intent, it also echoes how the feedback was filed (to the sender only), so a
    mistyped tool or kind is visible at once.
    """
    thanks = acknowledgement_text(language)
    if intent is None or not intent.is_feedback:
        return ephemeral_response(thanks)
    return ephemeral_response(f"{thanks}\n{filed_as(intent, language)}")


def kind_lines(language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The four kinds with their synonyms, one help line each (the words stay English)."""
    return [
        translate(language, N_("• `working` — something AI really helps with (also: win, good)")),
        translate(
            language,
            N_("• `friction` — AI output you had to fix or work around (also: problem, issue)"),
        ),
        translate(language, N_("• `idea` — something to try or change (also: suggestion, wish)")),
        translate(language, N_("• `concern` — a worry about AI and your work (also: worry, risk)")),
    ]


def help_text(command: str = DEFAULT_COMMAND, language: str = DEFAULT_LANGUAGE) -> str:
    """The grammar with examples written for ``command``, in ``language``."""

    def t(message: str, **values: object) -> str:
        return translate(language, message, command=command, **values)

    return "\n".join(
        [
            t(N_("*gaplens — anonymous feedback on AI at work*")),
            t(N_("`%(command)s KIND: what happened` where KIND is one of:")),
            *kind_lines(language),
            t(N_("Optionally name the tool and the use case before the colon:")),
            t(
                N_(
                    "`%(command)s friction copilot code-review: it invents APIs and I spend 20 "
                    "minutes fixing`"
                )
            ),
            t(
                N_(
                    '`%(command)s working tool=chatgpt use="meeting notes": summaries save me an '
                    "hour a week`"
                )
            ),
            t(
                N_(
                    "Up to %(limit)s characters. Stored anonymously: the kind, tool, use case and "
                    "your words, dated by day — never your Slack name, id, workspace or channel. "
                    "Please leave names (yours or anyone else's) out of your words."
                ),
                limit=number_words(MAX_TEXT_CHARS, language),
            ),
            t(N_("*Reflect* after a training or trying an AI tool (confidence 1-5 is optional):")),
            t(
                N_(
                    "`%(command)s reflect learned: examples in the prompt beat long instructions "
                    "| means: I keep a prompt file for reviews | confidence: 4`"
                )
            ),
            t(
                N_(
                    "A reflection sent here is stored with your words and the month only. We "
                    "cannot tell who sent it, so it counts in the themes but not in anyone's "
                    "participation."
                )
            ),
        ]
    )


def help_message(
    command: str = DEFAULT_COMMAND, language: str = DEFAULT_LANGUAGE
) -> dict[str, object]:
    """The reply to ``/gaplens help`` (or an empty ``/gaplens``)."""
    return ephemeral_response(help_text(command, language))


_ECHO_LIMIT: Final = 3_000


def too_long_text(length: int, language: str = DEFAULT_LANGUAGE) -> str:
    """That a text is over the limit and nothing was stored (without the text)."""
    return translate(
        language,
        N_("Your message is %(length)s characters; the limit is %(limit)s. Nothing was stored."),
        length=number_words(length, language),
        limit=number_words(MAX_TEXT_CHARS, language),
    )


def _too_long_message(text: str, language: str) -> str:
    # Slack clears the message box when a command is sent, so hand the text back (only the
    # sender sees an ephemeral reply; nothing is stored) so it can be shortened, not retyped.
    echo = text if len(text) <= _ECHO_LIMIT else text[:_ECHO_LIMIT] + "…"
    here = translate(language, N_("Here it is, to shorten and send again:"))
    return f"{too_long_text(len(text), language)} {here}\n{_slack_escape(_clean(echo))}"


# --------------------------------------------------------------------------------------------
# Reflections

REFLECT_WORDS: Final = frozenset(
    {"reflect", "reflection", "reflections"}
    | {
        "reflexion",
        "reflektieren",
        "réflexion",
        "réfléchir",
        "reflexión",
        "reflexionar",
        "振り返り",
    }
)
_REFLECT_LABELS: Final[Mapping[str, Literal["learned", "means", "confidence"]]] = {
    **dict.fromkeys(("learned", "learnt", "learn", "learning", "lesson"), "learned"),
    **dict.fromkeys(("means", "meaning", "mean", "work", "impact"), "means"),
    **dict.fromkeys(("confidence", "confident", "conf"), "confidence"),
}
_LABEL_RE: Final = re.compile(r"(?P<label>[A-Za-z]+)\s*[:：](?!//)\s*(?P<value>.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ReflectionIntent:
    """A reflection (``kind`` "reflection": what was learned and/or what it means, an
    optional confidence 1-5) or an ``error`` whose ``message`` is the reply."""

    kind: Literal["reflection", "error"]
    learned: str = ""
    means: str = ""
    confidence: int | None = None
    message: str | None = None

    @property
    def is_reflection(self) -> bool:
        return self.kind == "reflection"


def is_reflection_text(text: str) -> bool:
    """True when the command text starts with ``reflect`` (then it is not feedback)."""
    words = _clean(text[: MAX_TEXT_CHARS + 1]).split(maxsplit=1)
    return bool(words) and words[0].lower().rstrip(":：") in REFLECT_WORDS


def _reflection_error(message: str, language: str) -> ReflectionIntent:
    return ReflectionIntent(kind="error", message=_nothing_stored(message, language))


def parse_reflection_text(
    text: str, *, command: str = DEFAULT_COMMAND, language: str = DEFAULT_LANGUAGE
) -> ReflectionIntent:
    """Read ``reflect learned: ... | means: ... | confidence: N``; never raises.

    Parts are separated by ``|``; a part without a known label fills learned, then means.
    Problems are an ``error`` intent whose message is in ``language``.
    """
    example = f"`{command} reflect learned: ... | means: ...`"
    if len(text) > MAX_TEXT_CHARS:
        return ReflectionIntent(kind="error", message=_too_long_message(text, language))
    words = _clean(text).strip().split(maxsplit=1)
    rest = (words[1] if len(words) > 1 else "").lstrip(":：")
    found: dict[str, str] = {}
    for part in (p.strip() for p in rest.split("|")):
        if not part:
            continue
        match = _LABEL_RE.fullmatch(part)
        slot: str | None = None
        value = part
        if match is not None and match.group("label").lower() in _REFLECT_LABELS:
            slot = _REFLECT_LABELS[match.group("label").lower()]
            value = match.group("value").strip()
        else:
            slot = next((s for s in ("learned", "means") if s not in found), None)
            if slot is None:
                return _reflection_error(
                    translate(
                        language,
                        N_(
                            "Give at most two parts, what you learned and what it means, "
                            "e.g. %(example)s."
                        ),
                        example=example,
                    ),
                    language,
                )
        if slot in found:
            return _reflection_error(
                translate(language, N_("“%(part)s” appears twice; give it once."), part=slot),
                language,
            )
        if not value:
            return _reflection_error(
                translate(
                    language, N_("The %(part)s part is empty. Leave it out or write it."), part=slot
                ),
                language,
            )
        found[slot] = value
    confidence: int | None = None
    if "confidence" in found:
        raw = found.pop("confidence")
        if raw not in ("1", "2", "3", "4", "5"):
            return _reflection_error(
                translate(language, N_("Confidence is a whole number from 1 to 5.")), language
            )
        confidence = int(raw)
    if not found:
        return _reflection_error(
            translate(
                language,
                N_("Write what you learned and what it means for your work, e.g. %(example)s."),
                example=example,
            ),
            language,
        )
    return ReflectionIntent(
        kind="reflection",
        learned=found.get("learned", ""),
        means=found.get("means", ""),
        confidence=confidence,
    )


def reflection_acknowledgement_text(language: str = DEFAULT_LANGUAGE) -> str:
    """What was kept of a reflection and what was not."""
    return translate(
        language,
        N_(
            "Thanks — your reflection is stored anonymously: your words and the month only. "
            "Not stored: your Slack name, id, workspace or channel. We cannot tell who sent it, "
            "so it counts in the themes but not in anyone's participation."
        ),
    )


def reflection_reply(
    intent: ReflectionIntent, language: str = DEFAULT_LANGUAGE
) -> dict[str, object]:
    """The reply for a reflection intent: the acknowledgement once stored, or the problem."""
    if intent.is_reflection:
        return ephemeral_response(reflection_acknowledgement_text(language))
    return ephemeral_response(intent.message or help_text(DEFAULT_COMMAND, language))


def reply_for(intent: FeedbackIntent, language: str = DEFAULT_LANGUAGE) -> dict[str, object]:
    """The reply for an intent: the acknowledgement for feedback (call it once stored)."""
    if intent.is_feedback:
        return acknowledgement(intent, language)
    return ephemeral_response(intent.message or help_text(DEFAULT_COMMAND, language))
