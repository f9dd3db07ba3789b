"""HTTP hardening shared by every route: body size limit, security headers, the cross-site
check on every state-changing request, CSRF tokens."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response

from gaplens.i18n import N_

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make browsers send Origin: null
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
ANON_CSRF_COOKIE = "gaplens_form"


class HardeningMiddleware:
    """Refuses oversized bodies before they are read into memory, and adds security headers.

    Pure ASGI (not BaseHTTPMiddleware) so a streamed body is counted as it arrives.
    """

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, streamed_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.streamed_prefixes = streamed_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope.get("query_string", b"")):
            await _refuse(send, 400, NUL_MESSAGE)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if scope["method"] == "POST" and scope["path"].startswith(
            self.streamed_prefixes or ("\0",)
        ):
            # File uploads: the route checks the role first, then streams the body to disk
            # under its own size limit; binary and NUL content is the importers' to judge.
            await self.app(scope, receive, send_with_headers)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _too_large(send, self.max_body_bytes)
            return
        # Bodies are small (the limit above), so read them whole: count, check, then replay.
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if len(body) > self.max_body_bytes:
                await _too_large(send, self.max_body_bytes)
                return
            more = message.get("more_body", False)
        if _has_nul(body):
            await _refuse(send, 400, NUL_MESSAGE)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)


NUL_MESSAGE = "NUL characters are not accepted in requests"


def _has_nul(data: bytes) -> bool:
    """Raw, percent-encoded or JSON-escaped NUL: no text field may hold one (PostgreSQL
    cannot store it), so refuse it at the door rather than in every parser."""
    lowered = data.lower()
    return b"\x00" in data or b"%00" in lowered or b"\\u0000" in lowered


async def _refuse(send: Send, status: int, message: str) -> None:
    body = f'{{"error": "{message}"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(send, 413, f"request body too large (limit {limit} bytes)")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNATURE_AUTHENTICATED_PATHS = frozenset(
    {"/integrations/slack/command", "/integrations/teams/message"}
)
"""Authenticated by a signature over the body, never by the session cookie, and posted by a
server (Slack, Teams), not a browser page: exempt from the cross-site check."""
CROSS_SITE_MESSAGE = (
    "refused: this request came from another site. Changes can only be made from gaplens's "
    "own pages (or by a client that sends no Origin or Referer header)."
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]


def _origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an Origin or Referer value; None when it has none ("null")."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def own_origins(scope: Scope, headers: dict[bytes, bytes], allowed: tuple[str, ...]) -> set[Origin]:
    """The request's own origin (its scheme, and the Host it was sent to), the same host over
    https (uvicorn runs without proxy headers, so behind a TLS-terminating proxy the app sees
    http while the browser says https), and any configured origins."""
    scheme = str(scope.get("scheme") or "http")
    host = headers.get(b"host", b"").decode("latin-1")
    origins = {o for o in (_origin_of(f"{scheme}://{host}"), _origin_of(f"https://{host}")) if o}
    origins.update(o for o in map(_origin_of, allowed) if o)
    return origins


def cross_site(scope: Scope, allowed: tuple[str, ...] = ()) -> bool:
    """True when a browser says the request comes from another site: `Sec-Fetch-Site:
    cross-site`, or an `Origin` (else a `Referer`) that is not one of `own_origins`.
    A request with neither header (curl, scripts, server-to-server) is not cross-site."""
    headers = dict(scope.get("headers") or [])
    if headers.get(b"sec-fetch-site", b"").strip().lower() == b"cross-site":
        return True
    claimed = headers.get(b"origin") or headers.get(b"referer")
    if claimed is None:
        return False
    origin = _origin_of(claimed.decode("latin-1"))  # "null" and garbage are foreign
    return origin is None or origin not in own_origins(scope, headers, allowed)


class CrossSiteMiddleware:
    """Refuses (403, JSON) every state-changing request a browser sent from another site.

    One check for every route, before any of them runs, whatever authenticates it (the
    session cookie, a form token, an answer link): only the signature-authenticated paths are
    exempt. The session cookie is SameSite=Strict, but a sibling subdomain is the same site
    and would still get it sent; the Origin check covers that too.
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: tuple[str, ...] = (),
        exempt_paths: frozenset[str] = SIGNATURE_AUTHENTICATED_PATHS,
    ) -> None:
        self.app = app
        self.allowed_origins = allowed_origins
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and scope["path"] not in self.exempt_paths
            and cross_site(scope, self.allowed_origins)
        ):
            body = json.dumps({"detail": CROSS_SITE_MESSAGE, "error": CROSS_SITE_MESSAGE})
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app(scope, receive, send)


def same_origin(request: Request) -> bool:
    """The routes' own check, kept as a second line behind `CrossSiteMiddleware`: the same
    rule (missing Origin and Referer is allowed for non-browser clients)."""
    allowed: tuple[str, ...] = getattr(request.app.state.settings, "allowed_origins", ())
    return not cross_site(request.scope, allowed)


def check_staff_csrf(request: Request, expected: str, submitted: str | None) -> None:
    if not same_origin(request) or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(status_code=403, detail="invalid or missing CSRF token")


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def set_form_cookie(response: Response, token: str, secure: bool, path: str = "/") -> None:
    """The double-submit half of an anonymous form's token: strict, HTTP-only, short path."""
    response.set_cookie(
        ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path=path
    )


def form_cookie_values(request: Request) -> list[str]:
    """Every form-token cookie the browser sent. Each form sets its own on its own path (the
    sign-in page on "/", the feedback form on "/feedback", ...), so a submission can carry
    several under the one name, and `request.cookies` would keep only the last of them."""
    values = []
    for part in request.headers.get("cookie", "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip() == ANON_CSRF_COOKIE and value.strip():
            values.append(value.strip().strip('"'))
    return values


def check_anonymous_csrf(request: Request, submitted: str | None) -> None:
    """Double-submit: the hidden field must match a SameSite=Strict cookie set with a form."""
    cookies = form_cookie_values(request)
    if (
        not same_origin(request)
        or not cookies
        or not submitted
        or not any(hmac.compare_digest(cookie, submitted) for cookie in cookies)
    ):
        # Shown to a respondent whose form lay open too long or came from elsewhere.
        raise HTTPException(
            status_code=403,
            detail=N_(
                "This form has expired or was not sent from this site. Please reload the page "
                "and send it again."
            ),
        )
