"""A Jira Cloud that speaks REST v3 over real HTTP (pytest-httpserver), with the payload shapes
of Atlassian's reference: Basic auth, `/myself` with the account's `timeZone`, `/field`, the
enhanced search `/search/jql` (JQL `project in (...)` and `updated >= "yyyy/MM/dd HH:mm"` read
in that zone, ordered by updated then key, pages by `nextPageToken` with `isLast`, the token
omitted on the last page as Jira Cloud does), a search `changelog` capped at `changelog_cap`
histories with their `total`, and `/issue/{key}/changelog` pages (`startAt`, `maxResults`,
`total`, `isLast`, `values`). Faults a test switches on: 429 with Retry-After, 429 with only
an ISO `X-RateLimit-Reset`, 500, 401, a hanging request, and a page with a bad issue."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

EMAIL = "sync-bot@acme.example"
TOKEN = "ATATT3xFfGF0JiraApiTokenThatMustNeverLeak0123456789"
ZONE = "Europe/Berlin"
PROJECTS = ("APP", "OPS")
STATUS_CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate"}
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def jira_time(when: dt.datetime) -> str:
    """Jira's timestamp: milliseconds and an offset without a colon, in the site's zone."""
    local = when.astimezone(zoneinfo.ZoneInfo(ZONE))
    return local.strftime("%Y-%m-%dT%H:%M:%S.000%z")


def history(number: int, at: dt.datetime, to_status: str, from_status: str) -> dict[str, Any]:
    """One changelog entry: a status change (and an unrelated field change beside it)."""
    return {
        "id": str(50_000 + number),
        "author": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
        "created": jira_time(at),
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": "1",
                "fromString": from_status,
                "to": "3",
                "toString": to_status,
            },
            {
                "field": "labels",
                "fieldtype": "jira",
                "fieldId": "labels",
                "from": None,
                "fromString": "",
                "to": None,
                "toString": "triaged",
            },
        ],
    }


@dataclass
class FakeIssue:
    key: str
    created: dt.datetime
    updated: dt.datetime
    status: str
    histories: list[dict[str, Any]]
    assignee: int | None = 0
    points: float | None = 3.0

    def body(self, fields: list[str], cap: int) -> dict[str, Any]:
        """The issue as the search returns it: only the asked-for fields, a capped changelog."""
        category = STATUS_CATEGORY.get(self.status, "done")
        everything: dict[str, Any] = {
            "status": {
                "name": self.status,
                "id": "3",
                "statusCategory": {"id": 2, "key": category, "name": self.status},
            },
            "issuetype": {"id": "10001", "name": "Story", "subtask": False},
            "project": {"id": "10000", "key": self.key.split("-")[0], "name": "App"},
            "assignee": None
            if self.assignee is None
            else {
                "accountId": f"acc-{self.assignee}",
                "displayName": f"Person {self.assignee}",
                "emailAddress": f"person{self.assignee}@acme.example",
                "active": True,
            },
            "created": jira_time(self.created),
            "updated": jira_time(self.updated),
            "resolutiondate": jira_time(self.updated) if category == "done" else None,
            "customfield_10016": self.points,
            "customfield_10020": [{"id": 7, "name": "Sprint 7", "state": "active"}],
            "summary": "Nobody asked for this summary",
        }
        return {
            "expand": "operations,changelog",
            "id": str(10_000 + int(self.key.split("-")[1])),
            "self": f"https://acme.atlassian.net/rest/api/3/issue/{self.key}",
            "key": self.key,
            "fields": {name: everything.get(name) for name in fields},
            "changelog": {
                "startAt": 0,
                "maxResults": min(cap, len(self.histories)),
                "total": len(self.histories),
                "histories": self.histories[:cap],
            },
        }


def long_issue() -> FakeIssue:
    """APP-1: 45 status changes, more than the search carries; its two reopens (Done back to
    In Progress) are in the histories past the first 40. Updated before the others."""
    at = created = START - dt.timedelta(days=3)
    steps: list[tuple[str, str]] = []
    for _ in range(20):  # to In Progress and back, twenty times: no reopen
        steps += [("In Progress", "To Do"), ("To Do", "In Progress")]
    steps += [("Done", "To Do"), ("In Progress", "Done"), ("Done", "In Progress")]
    steps += [("In Progress", "Done"), ("Done", "In Progress")]
    histories = []
    for n, (to_status, from_status) in enumerate(steps):
        at += dt.timedelta(hours=1)
        histories.append(history(n, at, to_status, from_status))
    return FakeIssue("APP-1", created, at, "Done", histories)


def short_issue(n: int, project: str = "APP") -> FakeIssue:
    created = START + dt.timedelta(days=1, hours=n)
    histories = [
        history(1000 + n * 10, created + dt.timedelta(hours=1), "In Progress", "To Do"),
        history(1001 + n * 10, created + dt.timedelta(hours=3), "Done", "In Progress"),
    ]
    return FakeIssue(f"{project}-{n}", created, created + dt.timedelta(hours=3), "Done", histories)


@dataclass
class FakeJira:
    server: HTTPServer
    issues: list[FakeIssue] = field(
        default_factory=lambda: (
            [long_issue()]
            + [short_issue(n) for n in range(2, 6)]
            + [short_issue(7, "OPS"), short_issue(8, "OTHER")]
        )
    )
    page_size: int = 2
    """Issues per search page whatever maxResults asks (Jira may return fewer)."""
    changelog_cap: int = 40
    changelog_page: int = 20
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    searches: list[dict[str, str]] = field(default_factory=list)
    """The query of every search request that got an answer."""
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail(self, kind: str, path: str, times: int = 1) -> None:
        self.faults.append((kind, path, times))

    def _fault(self, target: str) -> str | None:
        for index, (kind, pattern, times) in enumerate(self.faults):
            if times > 0 and re.search(pattern, target):
                self.faults[index] = (kind, pattern, times - 1)
                return kind
        return None

    def handle(self, request: Request) -> Response:
        path = request.path
        query = {k: v[-1] for k, v in parse_qs(request.query_string.decode()).items()}
        self.calls[path] += 1
        fault = self._fault(f"{path}?{request.query_string.decode()}")
        if fault == "429":
            return _json({"errorMessages": ["Rate limit exceeded."]}, 429, {"Retry-After": "2"})
        if fault == "429-reset":
            reset = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%MZ")
            return _json(
                {"errorMessages": ["Rate limit exceeded."]}, 429, {"X-RateLimit-Reset": reset}
            )
        if fault == "500":
            return _json({"errorMessages": ["Internal server error"]}, 500)
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
            return _json({"errorMessages": ["too late"]}, 503)
        basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {basic}" or fault == "401":
            return Response("Client must be authenticated to access this resource.", 401)
        if path == "/rest/api/3/myself":
            return _json(
                {
                    "accountId": "5b10ac8d82e05b22cc7d4ef5",
                    "accountType": "atlassian",
                    "emailAddress": EMAIL,
                    "displayName": "Sync Bot",
                    "active": True,
                    "timeZone": ZONE,
                    "locale": "en_US",
                }
            )
        if path == "/rest/api/3/field":
            return _json(
                [
                    {"id": "summary", "key": "summary", "name": "Summary", "custom": False},
                    {"id": "status", "key": "status", "name": "Status", "custom": False},
                    {
                        "id": "customfield_10016",
                        "key": "customfield_10016",
                        "name": "Story point estimate",
                        "custom": True,
                        "schema": {"type": "number", "customId": 10016},
                    },
                    {
                        "id": "customfield_10020",
                        "key": "customfield_10020",
                        "name": "Sprint",
                        "custom": True,
                        "schema": {"type": "array", "items": "json", "customId": 10020},
                    },
                ]
            )
        if path == "/rest/api/3/search/jql":
            return self.search(query, fault)
        match = re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/changelog", path)
        if match is not None:
            return self.changelog(match.group(1), query)
        return _json({"errorMessages": ["Not found"]}, 404)

    def matching(self, jql: str) -> list[FakeIssue]:
        """The issues a `project in (...) [AND updated >= "..."] ORDER BY updated ASC, key
        ASC` query finds; the literal is read in the account's zone, to the minute."""
        projects = re.search(r"project in \(([^)]*)\)", jql)
        assert projects is not None, jql
        keys = {k.strip().strip('"') for k in projects.group(1).split(",")}
        assert jql.endswith(" ORDER BY updated ASC, key ASC"), jql
        since = re.search(r'updated >= "(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"', jql)
        found = [i for i in self.issues if i.key.split("-")[0] in keys]
        if since is not None:
            moment = dt.datetime.strptime(since.group(1), "%Y/%m/%d %H:%M").replace(
                tzinfo=zoneinfo.ZoneInfo(ZONE)
            )
            found = [i for i in found if i.updated.replace(second=0) >= moment]
        return sorted(found, key=lambda i: (i.updated, i.key))

    def search(self, query: dict[str, str], fault: str | None) -> Response:
        self.searches.append(query)
        found = self.matching(query["jql"])
        offset = int(base64.b64decode(query["nextPageToken"])) if "nextPageToken" in query else 0
        size = min(self.page_size, int(query.get("maxResults", "50")))
        fields = query.get("fields", "").split(",")
        chunk = found[offset : offset + size]
        body: dict[str, Any] = {
            "issues": [issue.body(fields, self.changelog_cap) for issue in chunk],
            "isLast": offset + size >= len(found),
        }
        if fault == "bad" and body["issues"]:
            body["issues"][-1]["fields"]["created"] = "yesterday"
        if not body["isLast"]:
            body["nextPageToken"] = base64.b64encode(str(offset + size).encode()).decode()
        return _json(body)

    def changelog(self, key: str, query: dict[str, str]) -> Response:
        [issue] = [i for i in self.issues if i.key == key]
        start = int(query.get("startAt", "0"))
        size = min(self.changelog_page, int(query.get("maxResults", "100")))
        values = issue.histories[start : start + size]
        return _json(
            {
                "self": f"https://acme.atlassian.net/rest/api/3/issue/{key}/changelog"
                f"?maxResults={size}&startAt={start}",
                "maxResults": size,
                "startAt": start,
                "total": len(issue.histories),
                "isLast": start + size >= len(issue.histories),
                "values": values,
            }
        )


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")
