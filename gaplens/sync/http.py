"""HTTP for every vendor client: bounded retries on 429 (Retry-After) and 5xx, worded errors.

What goes wrong is raised as a `SyncError` whose text an admin can act on and which names
no secret: the token is sent only in the Authorization header to the API's own host, never
to a download link (those are pre-signed URLs on another host), and never appears in a
message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from gaplens import __version__

MAX_ATTEMPTS = 5
"""Tries per request before the connection records the error (1 + 4 retries)."""
MAX_WAIT_SECONDS = 300.0
"""A Retry-After longer than this is not waited for: the sync stops and says so."""
BACKOFF_SECONDS = 1.0
"""First wait after a 5xx or a dropped connection; doubled on each further try."""


REDIRECTS = frozenset({301, 302, 303, 307, 308})


class SyncError(Exception):
    """A sync stopped for a reason the admin should see (stored as the connection's error)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenRejectedError(SyncError):
    """401: the token is expired, revoked or wrong; nothing more is tried with it."""


class LinkExpiredError(SyncError):
    """A signed download link answered 403/404: ask for the report again."""


class NotFoundError(SyncError):
    """The API answered 404 (e.g. a report day not generated yet)."""


def shown_url(url: str) -> str:
    """A URL without its query string: a signed link's signature never reaches a log,
    an error message or the raw rows' source."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass
class Retrying:
    """How long to wait and how often to try; tests shorten the waits."""

    attempts: int = MAX_ATTEMPTS
    backoff: float = BACKOFF_SECONDS
    max_wait: float = MAX_WAIT_SECONDS
    sleep: Callable[[float], None] = time.sleep


def _decoded(url: str, response: httpx.Response) -> Any:
    """The JSON body of an API answer; a SyncError naming the URL (no query) otherwise."""
    try:
        return response.json()
    except ValueError:
        raise SyncError(f"{shown_url(url)} did not answer with JSON") from None


class ApiClient:
    """One vendor API: JSON GETs (and read-only JSON POSTs) with the token, and
    unauthenticated downloads of signed links."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        retrying: Retrying | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retrying = retrying or Retrying()
        self._api = httpx.Client(
            headers={"User-Agent": f"gaplens/{__version__}", **headers},
            timeout=timeout,
            follow_redirects=False,
        )
        self._plain = httpx.Client(
            headers={"User-Agent": f"gaplens/{__version__}"},
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self._api.close()
        self._plain.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"

    def get_json(
        self, path_or_url: str, params: Mapping[str, str | int] | None = None
    ) -> tuple[Any, httpx.Response]:
        """The decoded body and the response (for its Link header)."""
        url = self.url(path_or_url)
        response = self._retry(lambda: self._api.get(url, params=params), url, api=True)
        return _decoded(url, response), response

    def post_json(self, path_or_url: str, body: Mapping[str, Any]) -> tuple[Any, httpx.Response]:
        """POST `body` as JSON (Cursor's Admin API takes its date range so); the decoded
        answer and the response. Retried like a GET: a POST here only reads."""
        url = self.url(path_or_url)
        response = self._retry(lambda: self._api.post(url, json=dict(body)), url, api=True)
        return _decoded(url, response), response

    def authorize(self, value: str) -> None:
        """Send `value` as the Authorization header to the API from now on (a renewed
        OAuth token); never to download links."""
        self._api.headers["Authorization"] = value

    def get(
        self, path_or_url: str, params: Mapping[str, str | int] | None = None
    ) -> httpx.Response:
        """A GET that may answer a redirect (Graph's report CSV: 302 to a download URL on
        another host), returned as it is so the caller downloads it without the token."""
        url = self.url(path_or_url)
        return self._retry(lambda: self._api.get(url, params=params), url, api=True, redirects=True)

    def download(self, url: str, destination: Path) -> int:
        """Stream a signed link to `destination` (no token sent); its size in bytes."""

        def fetch() -> httpx.Response:
            with self._plain.stream("GET", url) as response:
                if response.status_code != 200:
                    response.read()
                    return response
                with destination.open("wb") as out:
                    for block in response.iter_bytes(1 << 20):
                        out.write(block)
                return response

        self._retry(fetch, url, api=False)
        return destination.stat().st_size

    def _retry(
        self,
        send: Callable[[], httpx.Response],
        url: str,
        *,
        api: bool,
        redirects: bool = False,
    ) -> httpx.Response:
        policy = self.retrying
        where = shown_url(url)
        last = ""
        for attempt in range(policy.attempts):
            try:
                response = send()
            except httpx.TransportError as error:
                last = f"{where}: the connection failed ({type(error).__name__})"
                wait = policy.backoff * 2**attempt
            else:
                status = response.status_code
                if status < 300 or (redirects and status in REDIRECTS):
                    return response
                if status == 401 and api:
                    raise TokenRejectedError(
                        f"token rejected: {where} answered 401 (expired, revoked or without "
                        "the scope the endpoint needs); connect again with a new token"
                    )
                if not api and status in (403, 404):
                    raise LinkExpiredError(f"the download link {where} answered {status}")
                rate_wait = _rate_limit_wait(response)
                if status == 429 or rate_wait is not None:
                    wait = rate_wait if rate_wait is not None else policy.backoff * 2**attempt
                    last = f"{where}: rate limited ({status})"
                    if wait > policy.max_wait:
                        raise SyncError(
                            f"{where}: rate limited; the server asks to wait {wait:.0f} s, "
                            f"longer than {policy.max_wait:.0f} s; the next sync resumes"
                        )
                elif status >= 500:
                    wait = policy.backoff * 2**attempt
                    last = f"{where}: server error {status}"
                elif status == 404:
                    raise NotFoundError(f"{where} answered 404 (not found)")
                else:
                    raise SyncError(f"{where} answered {status}: {_message(response)}")
            if attempt + 1 < policy.attempts:
                policy.sleep(wait)
        raise SyncError(f"{last}; gave up after {policy.attempts} tries")


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date), Jira's 429 with an ISO
    x-ratelimit-reset, or GitHub's exhausted primary limit (403 with x-ratelimit-remaining 0
    until x-ratelimit-reset); else None."""
    header = response.headers.get("retry-after")
    if header is not None and response.status_code in (403, 429, 503):
        text = header.strip()
        if text.isdigit():
            return float(text)
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    reset_at = response.headers.get("x-ratelimit-reset", "")
    if response.status_code == 429 and "T" in reset_at:
        # Jira Cloud: a 429 without Retry-After may give the reset as ISO 8601
        # ("yyyy-MM-ddTHH:mmZ"); GitHub's header is epoch seconds (below).
        try:
            when = dt.datetime.fromisoformat(reset_at.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    if response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, float(reset) - time.time())
    return None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:200]  # Microsoft Graph: {"error": {"code", "message"}}
    return response.reason_phrase or "no message"


def next_link(response: httpx.Response) -> str | None:
    """The `rel="next"` URL of an RFC 8288 Link header (GitHub's pagination), or None."""
    link = response.links.get("next")
    return str(link["url"]) if link and link.get("url") else None
