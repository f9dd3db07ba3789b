"""The demo's GitHub, Microsoft 365, Jira and Zendesk: its own exports served over loopback
HTTP in the shapes of each vendor's API reference, so `gaplens demo` shows connections that
really synced.

A real organisation imports older exports by hand once and then connects the API; the demo
does the same: what lies before the last 31 days is imported as a file, and a connection
pulls the rest from these servers. GitHub: the 28-day report, then 1-day reports, and the
seat list paginated by Link headers. Microsoft 365: the identity platform's client-credentials
token endpoint, and Graph's user-detail report as a 302 to its CSV download. Jira Cloud:
`/myself`, `/field`, the enhanced search paged by `nextPageToken` (the fields asked for, the
changelog cut at `SEARCH_HISTORIES`) and the issue changelog pages. Zendesk: the incremental
ticket export, by `start_time` then `cursor`, with `metric_sets`, `users` and `groups`
sideloaded. Each checks the credentials it was given. Nothing leaves the machine; the
servers live for the demo's sync step only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ORG = "northwind"
ORG_ID = "4419"
SEATS_PER_PAGE = 100
ORG_FIELDS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_added_sum",
)


@dataclass
class ReplayData:
    """What the server answers with: user-day records by day, and the seat list."""

    user_days: dict[dt.date, list[dict[str, Any]]]
    seats: list[dict[str, Any]]
    as_of: dt.date = dt.date.min
    """The server's today: reports exist up to the day before."""
    requests: list[str] = field(default_factory=list)

    def org_day(self, day: dt.date) -> dict[str, Any]:
        """An organisation-day record, the user records of that day summed."""
        rows = self.user_days.get(day, [])
        totals = {name: sum(int(r.get(name, 0)) for r in rows) for name in ORG_FIELDS}
        active = len(rows)
        return {"day": day.isoformat(), "daily_active_users": active, **totals}


def split_user_days(lines: Sequence[str], first_synced: dt.date) -> tuple[list[str], ReplayData]:
    """The NDJSON lines before `first_synced` (imported as a file) and the replay of the rest."""
    before: list[str] = []
    later: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        day = dt.date.fromisoformat(record["day"])
        if day < first_synced:
            before.append(line)
        else:
            later[day].append(record)
    return before, ReplayData(dict(later), [])


def seat(login: str, user_id: int, since: dt.date) -> dict[str, Any]:
    """A seat as `GET /orgs/{org}/copilot/billing/seats` lists it."""
    return {
        "created_at": f"{since.isoformat()}T09:00:00Z",
        "updated_at": f"{since.isoformat()}T09:00:00Z",
        "pending_cancellation_date": None,
        "last_activity_at": None,
        "last_activity_editor": None,
        "plan_type": "business",
        "assignee": {"login": login, "id": user_id, "type": "User", "site_admin": False},
        "assigning_team": None,
    }


class _Quiet(BaseHTTPRequestHandler):
    """JSON answers and no request log (the demo prints its own progress)."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers or {})


class _Handler(_Quiet):
    server: _ReplayServer

    def do_GET(self) -> None:
        data = self.server.data
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        data.requests.append(parts.path)
        prefix = f"/orgs/{ORG}/copilot"
        if parts.path == f"{prefix}/billing/seats":
            self._seats(int(query.get("page", "1")))
        elif parts.path.startswith(f"{prefix}/metrics/reports/"):
            self._report(parts.path.removeprefix(f"{prefix}/metrics/reports/"), query)
        elif parts.path.startswith("/download/"):
            self._download(parts.path.removeprefix("/download/"))
        else:
            self._json({"message": "Not Found"}, 404)

    def _seats(self, page: int) -> None:
        seats = self.server.data.seats
        chunk = seats[(page - 1) * SEATS_PER_PAGE : page * SEATS_PER_PAGE]
        headers = {}
        if page * SEATS_PER_PAGE < len(seats):
            url = f"{self.server.base_url}/orgs/{ORG}/copilot/billing/seats"
            headers["Link"] = f'<{url}?per_page={SEATS_PER_PAGE}&page={page + 1}>; rel="next"'
        self._json({"total_seats": len(seats), "seats": chunk}, 200, headers)

    def _report(self, name: str, query: dict[str, str]) -> None:
        last = self.server.data.as_of - dt.timedelta(days=1)
        base = self.server.base_url
        if name in ("users-28-day/latest", "organization-28-day/latest"):
            kind = name.split("-", 1)[0]
            start = last - dt.timedelta(days=27)
            body: dict[str, Any] = {
                "download_links": [f"{base}/download/{kind}/{start}/{last}.ndjson?sig=demo"],
                "report_start_day": start.isoformat(),
                "report_end_day": last.isoformat(),
            }
            self._json(body)
            return
        if name in ("users-1-day", "organization-1-day"):
            try:
                day = dt.date.fromisoformat(query.get("day", ""))
            except ValueError:
                self._json({"message": "day must be YYYY-MM-DD"}, 422)
                return
            if day > last:
                self._json({"message": "Not Found"}, 404)
                return
            kind = name.split("-", 1)[0]
            link = f"{base}/download/{kind}/{day}/{day}.ndjson?sig=demo"
            self._json({"download_links": [link], "report_day": day.isoformat()})
            return
        self._json({"message": "Not Found"}, 404)

    def _download(self, path: str) -> None:
        kind, start, end = path.removesuffix(".ndjson").split("/")
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        data = self.server.data
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        if kind == "users":
            lines = [r for d in days for r in data.user_days.get(d, [])]
        elif first == last:
            lines = [{**data.org_day(first), "organization_id": ORG_ID}]
        else:
            lines = [
                {
                    "organization_id": ORG_ID,
                    "report_start_day": start,
                    "report_end_day": end,
                    "day_totals": [data.org_day(d) for d in days],
                }
            ]
        body = "".join(json.dumps(line) + "\n" for line in lines).encode()
        self._send(200, body, "application/x-ndjson", {})


class _ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: Any, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.data = data
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve(data: Any, handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    """Serve `data` with `handler` on a loopback port for the block; its base URL."""
    server = _ReplayServer(data, handler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def replay_github(data: ReplayData) -> Iterator[str]:
    """Serve `data` on a loopback port for the block; its base URL."""
    with serve(data, _Handler, "demo-github") as base_url:
        yield base_url


def seats_for(people: Sequence[tuple[str, dt.date]], user_ids: dict[str, int]) -> list[Any]:
    """The seat list of everyone licensed (login, licence day), ids as the reports give them."""
    return [
        seat(login, user_ids.get(login, 8_000_000 + n), since)
        for n, (login, since) in enumerate(sorted(people))
    ]


# --- Microsoft 365: the identity platform's token endpoint and Graph's usage report ----------

TENANT = "northwind.onmicrosoft.com"
GRAPH_CLIENT_ID = "5f0c7a4e-demo-4c1b-9d0e-northwind"
M365_REPORT = "/v1.0/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')"


@dataclass
class GraphReplay:
    """Weekly snapshots of the user-detail report (refresh date -> the CSV Graph serves), and
    the app registration's secret the token endpoint accepts."""

    snapshots: dict[dt.date, bytes]
    client_secret: str
    as_of: dt.date = dt.date.min
    """The server's today: the latest snapshot refreshed before it is the report."""
    issued: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def current(self) -> dt.date | None:
        refreshed = [day for day in self.snapshots if day < self.as_of]
        return max(refreshed) if refreshed else None


class _GraphHandler(_Quiet):
    """`POST /{tenant}/oauth2/v2.0/token` (client credentials, form-encoded) and the report:
    `302 Found` to a pre-authenticated CSV download, as Graph serves report CSVs."""

    server: _ReplayServer

    def do_POST(self) -> None:
        data: GraphReplay = self.server.data
        path = unquote(urlsplit(self.path).path)
        data.requests.append(path)
        if path != f"/{TENANT}/oauth2/v2.0/token":
            self._json({"error": "invalid_request"}, 404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            self._json({"error": "unsupported_grant_type"}, 400)
            return
        if form.get("client_id") != GRAPH_CLIENT_ID or form.get("client_secret") != (
            data.client_secret
        ):
            self._json(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
                401,
            )
            return
        token = secrets.token_urlsafe(24)
        data.issued.add(token)
        self._json(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    def do_GET(self) -> None:
        data: GraphReplay = self.server.data
        path = unquote(urlsplit(self.path).path)
        data.requests.append(path)
        if path.startswith("/download/m365/"):
            day = dt.date.fromisoformat(path.removeprefix("/download/m365/").removesuffix(".csv"))
            self._send(200, data.snapshots[day], "application/octet-stream", {})
            return
        if path != M365_REPORT:
            self._graph_error("BadRequest", "Resource not found for the segment.", 400)
            return
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in data.issued:
            self._graph_error(
                "InvalidAuthenticationToken", "Access token is empty or not valid.", 401
            )
            return
        refreshed = data.current()
        if refreshed is None:
            self._graph_error("BadRequest", "No report is available yet.", 400)
            return
        link = f"{self.server.base_url}/download/m365/{refreshed}.csv?sig=demo"
        self._send(302, b"", "text/plain", {"Location": link})

    def _graph_error(self, code: str, message: str, status: int) -> None:
        self._json({"error": {"code": code, "message": message}}, status)


@contextmanager
def replay_graph(data: GraphReplay) -> Iterator[str]:
    """The identity platform and Graph on one loopback port; its base URL (the authority;
    Graph's API root is `{base}/v1.0`)."""
    with serve(data, _GraphHandler, "demo-graph") as base_url:
        yield base_url


# --- Jira Cloud: /myself, /field, the enhanced search and the changelog ---------------------

JIRA_EMAIL = "demo.sync@northwind.example"
SEARCH_HISTORIES = 40
"""Histories the search carries per issue (Jira cuts long changelogs there; this server at 40);
the rest come from `/rest/api/3/issue/{key}/changelog`."""
JQL_PROJECTS = re.compile(r"project in \(([^)]*)\)")
JQL_UPDATED = re.compile(r'updated >= "(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"')


@dataclass
class JiraReplay:
    """The site's issues (REST v3 objects with their whole changelog), the story-points and
    sprint field names of its `names` expansion, and the API token it accepts."""

    issues: list[dict[str, Any]]
    names: dict[str, str]
    token: str
    as_of: dt.datetime = dt.datetime.min
    """The server's now: issues updated later are not there yet."""
    requests: list[str] = field(default_factory=list)


def jira_updated(issue: dict[str, Any]) -> dt.datetime:
    """An issue's `fields.updated` as naive UTC (the demo writes `+0000`)."""
    return dt.datetime.strptime(issue["fields"]["updated"][:19], "%Y-%m-%dT%H:%M:%S")


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))


class _JiraHandler(_Quiet):
    server: _ReplayServer

    def do_GET(self) -> None:
        data: JiraReplay = self.server.data
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        data.requests.append(path)
        basic = base64.b64encode(f"{JIRA_EMAIL}:{data.token}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {basic}":
            self._send(
                401, b"Client must be authenticated to access this resource.", "text/plain", {}
            )
            return
        if path == "/rest/api/3/myself":
            self._json(
                {
                    "accountId": "712020:demo-sync",
                    "accountType": "atlassian",
                    "emailAddress": JIRA_EMAIL,
                    "displayName": "Demo sync",
                    "active": True,
                    "timeZone": "UTC",
                }
            )
        elif path == "/rest/api/3/field":
            self._json(
                [
                    {"id": key, "key": key, "name": name, "custom": key.startswith("custom")}
                    for key, name in (
                        ("summary", "Summary"),
                        ("status", "Status"),
                        ("updated", "Updated"),
                        *data.names.items(),
                    )
                ]
            )
        elif path == "/rest/api/3/search/jql":
            self._search(data, query)
        elif path.startswith("/rest/api/3/issue/") and path.endswith("/changelog"):
            self._changelog(data, path.split("/")[5], query)
        else:
            self._json({"errorMessages": ["Not found"], "errors": {}}, 404)

    def _search(self, data: JiraReplay, query: dict[str, str]) -> None:
        jql = query.get("jql", "")
        projects = JQL_PROJECTS.search(jql)
        if projects is None:
            self._json({"errorMessages": ["this site answers `project in (...)` only"]}, 400)
            return
        keys = {key.strip().strip('"') for key in projects[1].split(",")}
        since = JQL_UPDATED.search(jql)
        mark = dt.datetime.strptime(since[1], "%Y/%m/%d %H:%M") if since else dt.datetime.min
        found = [
            issue
            for issue in data.issues
            if issue["key"].split("-")[0] in keys and mark <= jira_updated(issue) < data.as_of
        ]
        start = _offset(query["nextPageToken"]) if "nextPageToken" in query else 0
        size = min(int(query.get("maxResults", "50")), 100)
        asked = query.get("fields", "").split(",")
        page = [self._trimmed(issue, asked) for issue in found[start : start + size]]
        body: dict[str, Any] = {"issues": page, "isLast": start + size >= len(found)}
        if not body["isLast"]:
            body["nextPageToken"] = _page_token(start + size)
        self._json(body)

    @staticmethod
    def _trimmed(issue: dict[str, Any], asked: list[str]) -> dict[str, Any]:
        """The fields asked for, and the changelog cut as the search cuts it."""
        histories = issue["changelog"]["histories"]
        return {
            "id": issue["id"],
            "key": issue["key"],
            "fields": {name: issue["fields"][name] for name in asked if name in issue["fields"]},
            "changelog": {
                "startAt": 0,
                "maxResults": SEARCH_HISTORIES,
                "total": len(histories),
                "histories": histories[:SEARCH_HISTORIES],
            },
        }

    def _changelog(self, data: JiraReplay, key: str, query: dict[str, str]) -> None:
        issue = next((i for i in data.issues if i["key"] == key), None)
        if issue is None:
            self._json({"errorMessages": ["Issue does not exist"], "errors": {}}, 404)
            return
        histories = issue["changelog"]["histories"]
        start = int(query.get("startAt", "0"))
        size = min(int(query.get("maxResults", "50")), 100)
        values = histories[start : start + size]
        self._json(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(histories),
                "isLast": start + len(values) >= len(histories),
                "values": values,
            }
        )


@contextmanager
def replay_jira(data: JiraReplay) -> Iterator[str]:
    """The demo's Jira Cloud site on a loopback port; its base URL."""
    with serve(data, _JiraHandler, "demo-jira") as base_url:
        yield base_url


# --- Zendesk Support: the incremental ticket export, cursor based ---------------------------

ZENDESK_EMAIL = "demo.sync@northwind.example"
ZENDESK_PAGE = 1000


@dataclass
class ZendeskReplay:
    """The account's tickets (API objects, by `updated_at` then id) with their metric sets,
    the agents and groups they name, and the API token it accepts."""

    tickets: list[tuple[dict[str, Any], dict[str, Any]]]
    users: dict[int, dict[str, Any]]
    groups: dict[int, dict[str, Any]]
    token: str
    as_of: dt.datetime = dt.datetime.min
    requests: list[str] = field(default_factory=list)


def zendesk_time(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


class _ZendeskHandler(_Quiet):
    server: _ReplayServer

    def do_GET(self) -> None:
        data: ZendeskReplay = self.server.data
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        data.requests.append(parts.path)
        basic = base64.b64encode(f"{ZENDESK_EMAIL}/token:{data.token}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {basic}":
            self._json({"error": "Couldn't authenticate you"}, 401)
            return
        if parts.path != "/api/v2/incremental/tickets/cursor.json":
            self._json({"error": "InvalidEndpoint", "description": "Not found"}, 404)
            return
        visible = [
            pair
            for pair in data.tickets
            if dt.datetime.fromisoformat(pair[0]["updated_at"][:19]) < data.as_of
        ]
        if "cursor" in query:
            start = _offset(query["cursor"])
        elif "start_time" in query:
            since = dt.datetime.fromtimestamp(int(query["start_time"]), dt.UTC)
            start = next(
                (
                    n
                    for n, (ticket, _) in enumerate(visible)
                    if dt.datetime.fromisoformat(ticket["updated_at"][:19])
                    >= since.replace(tzinfo=None)
                ),
                len(visible),
            )
        else:
            self._json({"error": "InvalidValue", "description": "start_time is required"}, 400)
            return
        size = min(int(query.get("per_page", ZENDESK_PAGE)), ZENDESK_PAGE)
        page = visible[start : start + size]
        after = start + len(page)
        include = set(query.get("include", "").split(","))
        body: dict[str, Any] = {"tickets": [ticket for ticket, _ in page]}
        if "metric_sets" in include:
            body["metric_sets"] = [metrics for _, metrics in page]
        if "users" in include:
            named = {t["assignee_id"] for t, _ in page if t.get("assignee_id") is not None}
            body["users"] = [data.users[i] for i in sorted(named)]
        if "groups" in include:
            named = {t["group_id"] for t, _ in page if t.get("group_id") is not None}
            body["groups"] = [data.groups[i] for i in sorted(named)]
        cursor = _page_token(after)
        base = f"{self.server.base_url}/api/v2/incremental/tickets/cursor.json"
        body.update(
            {
                "after_cursor": cursor,
                "before_cursor": _page_token(start),
                "after_url": f"{base}?cursor={cursor}",
                "before_url": f"{base}?cursor={_page_token(start)}",
                "end_of_stream": after >= len(visible),
            }
        )
        self._json(body)


@contextmanager
def replay_zendesk(data: ZendeskReplay) -> Iterator[str]:
    """The demo's Zendesk account on a loopback port; its base URL."""
    with serve(data, _ZendeskHandler, "demo-zendesk") as base_url:
        yield base_url
