"""A Cursor Admin API that speaks `POST /teams/daily-usage-data` over real HTTP
(pytest-httpserver), in the shapes of Cursor's Admin API reference: Basic auth with the admin
key as the user name and an empty password, a JSON body `{"startDate", "endDate"}` in epoch
milliseconds (refused past 90 days, as the reference says), an answer `{"data": [member-day
records], "period"}`, and faults a test switches on (429 with Retry-After, a 500, a 401, a
bad record, a request that hangs until the client is killed)."""

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

from tests.telemetry.assistant_payloads import cursor_day

KEY = "key_cursorAdminKeyThatMustNeverLeak0123456789abcdef0123456789"
TODAY = dt.date(2026, 11, 10)
USAGE = "/teams/daily-usage-data"
DAY_MS = 86_400_000


def day_of(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def ms_of(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)


@dataclass
class FakeCursor:
    server: HTTPServer
    usage: dict[dt.date, list[dict[str, Any]]] = field(default_factory=dict)
    """Member-day records by day, as the API holds them now."""
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    calls: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    """(first day, last day) of every POST that got past the faults, in order."""
    bodies: list[Any] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    hang_at: int = 0
    """The POST (counted from 1) that hangs until released, whatever its days: a process with
    the real clock asks for other days than a test's `TODAY`."""
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        # Three people: one day in the first 30-day window, then most days of October on.
        self.record(dt.date(2026, 9, 1), "person1@acme.example", n=2)
        day = dt.date(2026, 10, 1)
        while day < TODAY:
            self.record(day, "person1@acme.example")
            self.record(day, "Person2@ACME.example", active=day.day % 3 != 0)
            if day.day % 2:
                self.record(day, "person3@acme.example", n=3)
            day += dt.timedelta(days=1)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def record(self, day: dt.date, email: str, active: bool = True, n: int = 1) -> None:
        """Set `email`'s record of `day` (replacing one the API held: a day still changing)."""
        records = [r for r in self.usage.get(day, []) if r["email"] != email]
        self.usage[day] = [*records, cursor_day(email, day.isoformat(), active=active, n=n)]

    def fail(self, kind: str, first_day: str, times: int = 1) -> None:
        """The next `times` requests starting on `first_day` (YYYY-MM-DD; "*": any day) get
        the fault."""
        self.faults.append((kind, first_day, times))

    def _fault(self, first: str) -> str | None:
        for index, (kind, day, times) in enumerate(self.faults):
            if times > 0 and day in ("*", first):
                self.faults[index] = (kind, day, times - 1)
                return kind
        return None

    def handle(self, request: Request) -> Response:
        self.authorizations.append(request.headers.get("Authorization"))
        if request.method != "POST" or request.path != USAGE:
            return _json({"error": "Not found"}, 404)
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError:
            return _json({"error": "Invalid JSON body"}, 400)
        self.bodies.append(body)
        start, end = body.get("startDate"), body.get("endDate")
        if not isinstance(start, int) or not isinstance(end, int) or end < start:
            return _json({"error": "startDate and endDate (epoch ms) are required"}, 400)
        fault = self._fault(day_of(start).isoformat())
        if self.hang_at and len(self.bodies) == self.hang_at:
            fault = "hang"
        if fault == "429":
            return _json({"error": "Rate limit exceeded"}, 429, {"Retry-After": "3"})
        if fault == "500":
            return _json({"error": "Internal server error"}, 500)
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
            return _json({"error": "too late"}, 503)
        if fault == "401" or request.headers.get("Authorization") != expected:
            return _json({"error": "Unauthorized"}, 401)
        if end - start > 90 * DAY_MS:
            return _json({"error": "Date range cannot exceed 90 days"}, 400)
        self.calls.append((day_of(start), day_of(end)))
        data = [
            record
            for day in sorted(self.usage)
            if start <= ms_of(day) <= end
            for record in self.usage[day]
        ]
        if fault == "bad" and data:
            data = [*data[:-1], {**data[-1], "totalTabsShown": "many"}]
        return _json({"data": data, "period": {"startDate": start, "endDate": end}})


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")
