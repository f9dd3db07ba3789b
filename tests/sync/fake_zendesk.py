"""A Zendesk that speaks the cursor-based incremental ticket export over real HTTP
(pytest-httpserver), with the payload shapes of the Zendesk Support API reference: pages of
`tickets` with the `metric_sets`, `users` and `groups` sideloads, `after_cursor` /
`after_url` / `end_of_stream`, deleted tickets kept with status "deleted", Basic
`{email}/token:{token}` or Bearer auth, and faults a test switches on (429 with Retry-After,
a 500, a 401, a bad ticket, a request that hangs until the client is killed)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SUBDOMAIN = "northwind"
EMAIL = "ops@northwind.example"
TOKEN = "zdT0kenThatMustNeverLeak0123456789abcdef"
OAUTH = "zdOAuthAccessTokenNeverShown0123456789"
TODAY = dt.date(2026, 11, 10)
EXPORT = "/api/v2/incremental/tickets/cursor.json"
START = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def agent(n: int) -> dict[str, Any]:
    """A user as the `users` sideload lists it (an agent of the directory's Person n)."""
    return {
        "id": 9000 + n,
        "url": f"https://{SUBDOMAIN}.zendesk.com/api/v2/users/{9000 + n}.json",
        "name": f"Person {n}",
        "email": f"person{n}@acme.example",
        "role": "agent",
        "active": True,
        "time_zone": "Europe/Berlin",
    }


def ticket(n: int, **overrides: Any) -> dict[str, Any]:
    """Ticket 100 + n as the export lists it (subject, description and requester included, as
    the API sends them: customer data gaplens must not keep)."""
    created = START + dt.timedelta(days=n)
    body = {
        "id": 100 + n,
        "url": f"https://{SUBDOMAIN}.zendesk.com/api/v2/tickets/{100 + n}.json",
        "external_id": None,
        "type": "question" if n % 2 else "incident",
        "subject": f"Refund please #{n}",
        "raw_subject": f"Refund please #{n}",
        "description": "My card was charged twice, call me on +1 555 0100",
        "priority": "high" if n % 3 == 0 else "normal",
        "status": "solved" if n % 2 else "open",
        "recipient": "support@northwind.example",
        "requester_id": 7001,
        "submitter_id": 7001,
        "assignee_id": 9000 + n % 6,
        "organization_id": None,
        "group_id": 360001,
        "collaborator_ids": [],
        "tags": ["refund"],
        "custom_fields": [],
        "via": {"channel": "email"},
        "created_at": stamp(created),
        "updated_at": stamp(created + dt.timedelta(days=1)),
        "generated_timestamp": int((created + dt.timedelta(days=1)).timestamp()),
    }
    body.update(overrides)
    return body


def metric_set(item: dict[str, Any], reopens: int = 0) -> dict[str, Any]:
    """The `metric_sets` sideload of a ticket (solved tickets have `solved_at`)."""
    solved = item["updated_at"] if item["status"] in ("solved", "closed") else None
    return {
        "id": 50000 + item["id"],
        "ticket_id": item["id"],
        "url": f"https://{SUBDOMAIN}.zendesk.com/api/v2/ticket_metrics/{50000 + item['id']}.json",
        "group_stations": 1,
        "assignee_stations": 1,
        "reopens": reopens,
        "replies": 2,
        "assignee_updated_at": item["updated_at"],
        "requester_updated_at": item["created_at"],
        "status_updated_at": item["updated_at"],
        "initially_assigned_at": item["created_at"],
        "assigned_at": item["created_at"],
        "solved_at": solved,
        "latest_comment_added_at": item["updated_at"],
        "reply_time_in_minutes": {"calendar": 30, "business": 20},
        "first_resolution_time_in_minutes": {"calendar": 1440, "business": 480},
        "full_resolution_time_in_minutes": {"calendar": 1440, "business": 480},
        "agent_wait_time_in_minutes": {"calendar": 0, "business": 0},
        "requester_wait_time_in_minutes": {"calendar": 1440, "business": 480},
        "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


def cursor_of(position: int) -> str:
    """An opaque cursor, as Zendesk's are (here: base64 of the change sequence number)."""
    return base64.urlsafe_b64encode(f"{position}.0||{position}|".encode()).decode()


def position_of(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(".")[0])


@dataclass
class FakeZendesk:
    server: HTTPServer
    per_page: int = 3
    """Tickets per page whatever per_page asks, so 7 tickets are 3 pages."""
    changes: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    """Every ticket state in the order it changed (ticket, reopens); the export lists each
    ticket once, at its latest change, as the real one does."""
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        for n in range(1, 8):
            self.change(ticket(n))
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def change(self, item: dict[str, Any], reopens: int = 0) -> None:
        self.changes.append((item, reopens))

    def fail(self, kind: str, query: str, times: int = 1) -> None:
        """The next `times` requests whose query matches `query` get the fault."""
        self.faults.append((kind, query, times))

    def _fault(self, query: str) -> str | None:
        for index, (kind, pattern, times) in enumerate(self.faults):
            if times > 0 and re.search(pattern, query):
                self.faults[index] = (kind, pattern, times - 1)
                return kind
        return None

    def _authorised(self, header: str | None) -> bool:
        basic = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        return header in (f"Basic {basic}", f"Bearer {OAUTH}")

    def handle(self, request: Request) -> Response:
        query = unquote(request.query_string.decode())
        self.calls.append(f"{request.path}?{query}")
        self.authorizations.append(request.headers.get("Authorization"))
        fault = self._fault(query)
        if fault == "429":
            return _json({"error": "APIRateLimitExceeded"}, 429, {"Retry-After": "7"})
        if fault == "500":
            return _json({"error": "InternalError"}, 500)
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
            return _json({"error": "too late"}, 503)
        if fault == "401" or not self._authorised(request.headers.get("Authorization")):
            return _json({"error": "Couldn't authenticate you"}, 401)
        if request.path != EXPORT:
            return _json({"error": "InvalidEndpoint", "description": "Not found"}, 404)
        return self.page(request, bad=fault == "bad")

    def page(self, request: Request, bad: bool) -> Response:
        if "cursor" in request.args:
            after = position_of(request.args["cursor"])
        else:
            since = int(request.args["start_time"])
            after = 0 if since <= int(START.timestamp()) else len(self.changes)
        latest: dict[int, int] = {}
        for position, (item, _) in enumerate(self.changes, start=1):
            latest[item["id"]] = position
        pending = sorted(p for p in latest.values() if p > after)
        chunk = pending[: self.per_page]
        last = chunk[-1] if chunk else after
        tickets = [self.changes[p - 1][0] for p in chunk]
        if bad and tickets:
            tickets = [tickets[0], {**tickets[-1], "created_at": "last tuesday"}, *tickets[1:-1]]
        include = request.args.get("include", "").split(",")
        body: dict[str, Any] = {"tickets": tickets}
        if "metric_sets" in include:
            body["metric_sets"] = [
                metric_set(self.changes[p - 1][0], self.changes[p - 1][1])
                for p in chunk
                if self.changes[p - 1][0]["status"] != "deleted"
            ]
        if "users" in include:
            ids = {t["assignee_id"] for t in tickets if t.get("assignee_id")}
            body["users"] = [agent(i - 9000) for i in sorted(ids)]
        if "groups" in include:
            body["groups"] = [{"id": 360001, "name": "Support", "default": True}]
        cursor = cursor_of(last)
        body.update(
            {
                "after_url": f"{self.base_url}{EXPORT}?cursor={cursor}",
                "after_cursor": cursor,
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": len(pending) <= self.per_page,
            }
        )
        return _json(body)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")
