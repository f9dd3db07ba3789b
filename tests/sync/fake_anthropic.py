"""An Anthropic Admin API that speaks `GET /v1/organizations/usage_report/claude_code` over real
HTTP (pytest-httpserver), in the shapes of Anthropic's Claude Code Analytics API reference:
headers `x-api-key` and `anthropic-version: 2023-06-01`, query `starting_at` (one UTC day),
`limit` (1-1000) and `page` (an opaque cursor from `next_page`), answers `{"data", "has_more",
"next_page"}`, errors as `{"type": "error", "error": {"type", "message"}}`, and faults a test
switches on (429 with retry-after, a 500, a 401, a bad record, a hanging request)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.telemetry.assistant_payloads import claude_api_key, claude_user

KEY = "sk-ant-admin01-AdminKeyThatMustNeverLeak0123456789abcdef"
TODAY = dt.date(2026, 11, 10)
REPORT = "/v1/organizations/usage_report/claude_code"
VERSION = "2023-06-01"


def page_token(day: str, offset: int) -> str:
    """An opaque cursor, as Anthropic's are (`page_` and base64 of a position)."""
    return "page_" + base64.urlsafe_b64encode(f"{day}|{offset}".encode()).decode()


def offset_of(token: str) -> tuple[str, int]:
    day, offset = base64.urlsafe_b64decode(token.removeprefix("page_")).decode().split("|")
    return day, int(offset)


@dataclass
class FakeAnthropic:
    server: HTTPServer
    per_page: int = 2
    """Records a page whatever `limit` asks (at most it), so a day of 5 records is 3 pages."""
    usage: dict[dt.date, list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    """`starting_at` and `page` (or "-") of every request that got past the faults."""
    headers: list[tuple[str | None, str | None]] = field(default_factory=list)
    hang_at: int = 0
    requests: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        day = dt.date(2026, 10, 20)
        while day < TODAY:
            text = day.isoformat()
            records = [claude_user("person1@acme.example", text)]
            if day.day % 2:
                records.append(claude_user("Person2@ACME.example", text, sessions=2))
                records.append(claude_user("person2@acme.example", text, 1, "iTerm.app"))
            if day.day % 5 == 0:
                records.append(claude_user("person3@acme.example", text, sessions=0))
                records.append(claude_api_key("ci-bot", text))
            self.usage[day] = records
            day += dt.timedelta(days=1)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail(self, kind: str, query: str, times: int = 1) -> None:
        """The next `times` requests whose query matches the regex `query` get the fault."""
        self.faults.append((kind, query, times))

    def _fault(self, query: str) -> str | None:
        for index, (kind, pattern, times) in enumerate(self.faults):
            if times > 0 and re.search(pattern, query):
                self.faults[index] = (kind, pattern, times - 1)
                return kind
        return None

    def handle(self, request: Request) -> Response:
        self.requests += 1
        self.headers.append(
            (request.headers.get("x-api-key"), request.headers.get("anthropic-version"))
        )
        query = request.query_string.decode()
        fault = "hang" if self.requests == self.hang_at else self._fault(query)
        if fault == "429":
            return _error("rate_limit_error", "Rate limited", 429, {"retry-after": "4"})
        if fault == "500":
            return _error("api_error", "Internal server error", 500)
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
            return _error("overloaded_error", "too late", 529)
        if fault == "401" or request.headers.get("x-api-key") != KEY:
            return _error("authentication_error", "invalid x-api-key", 401)
        if request.headers.get("anthropic-version") != VERSION:
            return _error("invalid_request_error", "anthropic-version is required", 400)
        if request.path != REPORT:
            return _error("not_found_error", "Not found", 404)
        return self.page(request, bad=fault == "bad")

    def page(self, request: Request, bad: bool) -> Response:
        starting = request.args.get("starting_at", "")
        try:
            day = dt.date.fromisoformat(starting)
        except ValueError:
            return _error("invalid_request_error", "starting_at: a date YYYY-MM-DD", 400)
        limit = int(request.args.get("limit", "20"))
        if not 1 <= limit <= 1000:
            return _error("invalid_request_error", "limit: 1 <= x <= 1000", 400)
        offset = 0
        if "page" in request.args:
            token_day, offset = offset_of(request.args["page"])
            if token_day != starting:
                return _error("invalid_request_error", "page does not fit starting_at", 400)
        self.calls.append(f"{starting} {request.args.get('page', '-')}")
        records = self.usage.get(day, [])
        size = min(limit, self.per_page)
        data = records[offset : offset + size]
        if bad and data:
            data = [*data[:-1], {**data[-1], "core_metrics": {"num_sessions": -3}}]
        more = offset + size < len(records)
        return _json(
            {
                "data": data,
                "has_more": more,
                "next_page": page_token(starting, offset + size) if more else None,
            }
        )


def _error(kind: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return _json({"type": "error", "error": {"type": kind, "message": message}}, status, headers)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")
