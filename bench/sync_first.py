"""Benchmark: the first `gaplens sync` of a 10,000-seat organisation from a local server that
speaks the vendors' documented shapes, against importing the same data from files in the same
run, then the next daily (incremental) sync.

    python bench/sync_first.py [--people 10000] [--issues 100000] [--backend sqlite|postgresql]
        [--sources copilot m365 jira] [--tmp /tmp] [--profile FILE]

Sources are pluggable (`SOURCES`): each writes its data once, serves it over HTTP (routes on
one loopback server) and knows the file imports that load the same data by hand:

- GitHub Copilot: 28 days of the usage-metrics per-user report (one line per seat per day,
  split over four download links as GitHub splits large reports) and the organisation report,
  10,000 seats over 100 Link-header pages, 12 months of premium request usage;
- Microsoft 365 Copilot: the client-credentials token endpoint and Graph's usage user-detail
  report, 10,000 users in pages of 200 chained by `@odata.nextLink`; files: the same snapshot,
  every page one JSON line;
- Jira Cloud: 100,000 issues with their changelogs from `/search/jql` (pages of 100 by
  `nextPageToken`, each changelog capped at 20 histories with its `total`; one issue in 50 has
  25, fetched whole from `/issue/{key}/changelog`); files: the same issues with whole
  changelogs as REST search JSON in four files.

Measured, each in its own child process (wall time, CPU time and `wait4` peak RSS, as
bench/import_tools.py does):

- files: `gaplens import ...` of every file the server serves (each a process; times summed,
  the largest peak), then `gaplens release build`: the same rows by hand, into a fresh copy
  of the same database. Seats and premium requests have no file import, so the sync also
  stores 10,000 seats and 12 bills that the files do not (a few seconds at most);
- sync: `gaplens connect ...` for each source, then one `gaplens sync` (pulls, stores each
  unit through the file importers, then builds releases once); the rows of the tables both
  paths fill are compared (the script stops if they differ);
- incremental: the next day's `gaplens sync` (seats again, one 1-day report of each kind, the
  open month's bill, the next M365 snapshot, the Jira issues updated that day: one in 50, each
  with one more status change; goal under 10 s), then `gaplens release build` alone on the
  same database, so the sync and the release rebuild it ends with are shown apart.

The server runs in this process on 127.0.0.1, sharing the machine's cores with the child it
serves (a real API is remote); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_tools import (  # noqa: E402
    copilot_template,
    jira_account,
    load,
    login,
    postgres_backend,
    run_child,
    sqlite_backend,
    write_directory,
)

TOKEN = "bench-token-not-a-secret"
KEY = "b" * 40
JIRA_EMAIL = "sync-bot@bench.example"
AUTHORIZED = {
    f"Bearer {TOKEN}",  # GitHub's token; the access token the bench's Entra ID issues
    "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{TOKEN}".encode()).decode(),  # Jira
}
Reply = tuple[int, dict[str, str], bytes | Path]
Route = tuple[re.Pattern[str], Callable[[re.Match[str], dict[str, str]], Reply]]


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    """One loopback HTTP server; sources add routes. API routes need the bearer token;
    `/download/` links (pre-signed, on storage in real life) do not."""

    routes: list[Route] = field(default_factory=list)
    posts: list[Route] = field(default_factory=list)
    requests: int = 0

    def route(
        self, pattern: str, handler: Callable[[re.Match[str], dict[str, str]], Reply]
    ) -> None:
        self.routes.append((re.compile(pattern), handler))

    def post(self, pattern: str, handler: Callable[[re.Match[str], dict[str, str]], Reply]) -> None:
        self.posts.append((re.compile(pattern), handler))

    @contextmanager
    def running(self) -> Iterator[str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes: with Nagle's algorithm the body
            # waited for the client's delayed ACK, some 40 ms a request that no real API adds.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests += 1
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if not parts.path.startswith("/download/") and (
                    self.headers.get("Authorization") not in AUTHORIZED
                ):
                    return self.reply(401, {}, b'{"message": "Bad credentials"}')
                for pattern, handler in outer.routes:
                    match = pattern.fullmatch(parts.path)
                    if match:
                        return self.reply(*handler(match, query))
                return self.reply(404, {}, b'{"message": "Not Found"}')

            def do_POST(self) -> None:
                """The OAuth token endpoint: the client's form, answered with a token."""
                outer.requests += 1
                size = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(size).decode()).items()}
                for pattern, handler in outer.posts:
                    match = pattern.fullmatch(urlsplit(self.path).path)
                    if match:
                        return self.reply(*handler(match, form))
                return self.reply(404, {}, b'{"error": "invalid_request"}')

            def reply(self, status: int, headers: dict[str, str], body: bytes | Path) -> None:
                self.send_response(status)
                size = body.stat().st_size if isinstance(body, Path) else len(body)
                kind = "application/x-ndjson" if isinstance(body, Path) else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(size))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if isinstance(body, Path):
                    with body.open("rb") as handle:
                        shutil.copyfileobj(handle, self.wfile, 1 << 20)
                else:
                    self.wfile.write(body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


def as_json(body: Any, headers: dict[str, str] | None = None) -> Reply:
    return 200, headers or {}, json.dumps(body).encode()


# --- sources ---------------------------------------------------------------------------------


class Source(Protocol):
    name: str

    def write(self, folder: Path, people: int, today: dt.date) -> str:
        """Write the data the server will serve; a line saying what it is."""
        ...

    def serve(self, server: Server, base_url: Callable[[], str]) -> None: ...

    def connect(self, base_url: str) -> list[str]:
        """The `gaplens connect ...` arguments (the token from $BENCH_TOKEN)."""
        ...

    def imports(self) -> list[list[str]]:
        """The `gaplens import ...` arguments loading the same data from files."""
        ...

    def next_day(self) -> None:
        """Make the next day's data available for the incremental sync."""
        ...


@dataclass
class CopilotSource:
    name: str = "copilot"
    org: str = "bench"
    parts: int = 4
    folder: Path = Path()
    people: int = 0
    end: dt.date = dt.date.min
    """The 28-day reports' last day; 1-day reports exist up to `available`."""
    available: dt.date = dt.date.min

    def write(self, folder: Path, people: int, today: dt.date) -> str:
        self.folder, self.people = folder, people
        self.end = today - dt.timedelta(days=2)
        self.available = self.end
        days = [self.end - dt.timedelta(days=27 - n) for n in range(28)]
        template = copilot_template()
        per_part = -(-len(days) // self.parts)
        size = 0
        for k in range(self.parts):
            path = folder / f"users-28-part{k + 1}.ndjson"
            with path.open("w", encoding="utf-8") as handle:
                for day in days[k * per_part : (k + 1) * per_part]:
                    handle.write("".join(self.line(template, u, day) for u in range(people)))
            size += path.stat().st_size
        (folder / "organization-28.ndjson").write_text(
            json.dumps(
                {
                    "report_start_day": days[0].isoformat(),
                    "report_end_day": days[-1].isoformat(),
                    "organization_id": "4242",
                    "day_totals": [self.org_day(day) for day in days],
                }
            )
            + "\n"
        )
        return (
            f"copilot: {people:,} seats, {people * 28:,} user-days in {self.parts} files "
            f"({size / 1e6:,.0f} MB), organisation report of 28 days"
        )

    def line(self, template: str, u: int, day: dt.date) -> str:
        n = day.toordinal()
        g = 5 + (u * 31 + n * 7) % 90
        a = g * (1 + u % 4) // 8
        i = (u + n) % 12
        return template.format(
            login=login(u),
            day=day.isoformat(),
            uid=8_000_000 + u,
            i=i,
            g=g,
            a=a,
            s=g * 6,
            l=a * 5,
            agent="true" if (u + n) % 9 == 0 else "false",
            agenti=i // 3,
        )

    def org_day(self, day: dt.date) -> dict[str, Any]:
        return {
            "day": day.isoformat(),
            "daily_active_users": self.people,
            "weekly_active_users": self.people,
            "monthly_active_users": self.people,
            "user_initiated_interaction_count": 6 * self.people,
            "code_generation_activity_count": 50 * self.people,
            "code_acceptance_activity_count": 12 * self.people,
            "loc_suggested_to_add_sum": 300 * self.people,
            "loc_added_sum": 60 * self.people,
        }

    def next_day(self) -> None:
        day = self.end + dt.timedelta(days=1)
        template = copilot_template()
        with (self.folder / f"users-{day}.ndjson").open("w", encoding="utf-8") as handle:
            handle.write("".join(self.line(template, u, day) for u in range(self.people)))
        (self.folder / f"organization-{day}.ndjson").write_text(
            json.dumps({**self.org_day(day), "organization_id": "4242"}) + "\n"
        )
        self.available = day

    def serve(self, server: Server, base_url: Callable[[], str]) -> None:
        prefix = f"/orgs/{self.org}/copilot"

        def link(name: str) -> str:
            return f"{base_url()}/download/{name}?sv=2025&se=soon&sig=SIGNED"

        def latest(match: re.Match[str], query: dict[str, str]) -> Reply:
            names = (
                [f"users-28-part{k + 1}.ndjson" for k in range(self.parts)]
                if match["report"] == "users"
                else ["organization-28.ndjson"]
            )
            start = self.end - dt.timedelta(days=27)
            return as_json(
                {
                    "download_links": [link(n) for n in names],
                    "report_start_day": start.isoformat(),
                    "report_end_day": self.end.isoformat(),
                }
            )

        def one_day(match: re.Match[str], query: dict[str, str]) -> Reply:
            day = dt.date.fromisoformat(query["day"])
            if not self.end < day <= self.available:
                return 404, {}, b'{"message": "Not Found"}'
            name = f"{match['report']}-{day}.ndjson"
            return as_json({"download_links": [link(name)], "report_day": day.isoformat()})

        def seats(match: re.Match[str], query: dict[str, str]) -> Reply:
            page = int(query.get("page", "1"))
            last = -(-self.people // 100)
            chunk = [
                {
                    "created_at": "2025-06-02T09:00:00Z",
                    "pending_cancellation_date": None,
                    "last_activity_at": f"{self.end}T15:02:00Z",
                    "last_activity_editor": "vscode/1.95.0/copilot/1.240.0",
                    "plan_type": "business",
                    "assignee": {"login": login(u), "id": 8_000_000 + u, "type": "User"},
                }
                for u in range((page - 1) * 100, min(page * 100, self.people))
            ]
            url = f"{base_url()}{prefix}/billing/seats?per_page=100"
            links = [f'<{url}&page={page + 1}>; rel="next"'] if page < last else []
            headers = {"Link": ", ".join(links)} if links else {}
            return as_json({"total_seats": self.people, "seats": chunk}, headers)

        def premium(match: re.Match[str], query: dict[str, str]) -> Reply:
            year, month = int(query["year"]), int(query["month"])
            items = [
                {
                    "product": "Copilot",
                    "sku": "Copilot Premium Request",
                    "model": model,
                    "unitType": "requests",
                    "pricePerUnit": 0.04,
                    "grossQuantity": 300 * self.people // 4,
                    "grossAmount": 12.0 * self.people / 4,
                    "discountQuantity": 300 * self.people // 8,
                    "discountAmount": 6.0 * self.people / 4,
                    "netQuantity": 300 * self.people // 8,
                    "netAmount": 6.0 * self.people / 4,
                }
                for model in ("Claude Sonnet 4", "GPT-5", "Gemini 2.5 Pro", "o3")
            ]
            return as_json(
                {
                    "timePeriod": {"year": year, "month": month},
                    "organization": self.org,
                    "usageItems": items,
                }
            )

        server.route(rf"{prefix}/billing/seats", seats)
        server.route(
            rf"{prefix}/metrics/reports/(?P<report>users|organization)-28-day/latest", latest
        )
        server.route(rf"{prefix}/metrics/reports/(?P<report>users|organization)-1-day", one_day)
        server.route(rf"/organizations/{self.org}/settings/billing/premium_request/usage", premium)
        server.route(
            r"/download/(?P<name>[\w.-]+\.ndjson)",
            lambda match, query: (200, {}, self.folder / match["name"]),
        )

    def connect(self, base_url: str) -> list[str]:
        return [
            "connect", "copilot", "--org", self.org, "--base-url", base_url,
            "--token-env", "BENCH_TOKEN",
        ]  # fmt: skip

    def imports(self) -> list[list[str]]:
        files = [f"users-28-part{k + 1}.ndjson" for k in range(self.parts)]
        files.append("organization-28.ndjson")
        return [["import", "copilot-usage", str(self.folder / name)] for name in files]


M365_APPS = (
    "microsoftTeamsCopilotLastActivityDate",
    "wordCopilotLastActivityDate",
    "excelCopilotLastActivityDate",
    "powerPointCopilotLastActivityDate",
    "outlookCopilotLastActivityDate",
    "oneNoteCopilotLastActivityDate",
    "loopCopilotLastActivityDate",
    "copilotChatLastActivityDate",
)
"""The per-app last-activity properties of Graph's copilotUsageUserDetail (v1.0)."""
M365_REPORT = "/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')"


@dataclass
class M365Source:
    """Microsoft 365 Copilot through Graph: the client-credentials token endpoint
    (`POST /{tenant}/oauth2/v2.0/token`) and the usage user-detail report as JSON pages chained
    by `@odata.nextLink` ($skiptoken). Graph serves one snapshot (its latest refresh); the
    first sync stores it, the next day's sync the next refresh. The files path imports the
    same snapshot as every page one JSON line (`gaplens import m365-copilot`)."""

    name: str = "m365"
    tenant: str = "bench.onmicrosoft.com"
    per_page: int = 200
    folder: Path = Path()
    people: int = 0
    refresh: dt.date = dt.date.min

    def write(self, folder: Path, people: int, today: dt.date) -> str:
        self.folder, self.people = folder, people
        self.refresh = today - dt.timedelta(days=2)
        path = folder / "m365-snapshot.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for page in self.pages("http://files.invalid/v1.0"):
                handle.write(json.dumps(page, separators=(",", ":")) + "\n")
        return (
            f"m365: {people:,} users in one snapshot of {-(-people // self.per_page)} pages "
            f"({path.stat().st_size / 1e6:,.1f} MB)"
        )

    def user(self, u: int) -> dict[str, Any]:
        """One user as the JSON report lists it (a quarter never used Copilot)."""
        refresh = self.refresh.isoformat()
        last = (self.refresh - dt.timedelta(days=u % 5)).isoformat() if u % 4 != 3 else ""
        item: dict[str, Any] = {
            "reportRefreshDate": refresh,
            "userPrincipalName": f"person{u:05d}@bench.example",
            "displayName": f"Person {u:05d}",
            "lastActivityDate": last,
        }
        for index, prop in enumerate(M365_APPS):
            item[prop] = last if last and index % 3 == u % 3 else ""
        item["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 7}]
        return item

    def page(self, graph: str, skip: int) -> dict[str, Any]:
        page: dict[str, Any] = {
            "@odata.context": f"{graph}/$metadata#Collection("
            "microsoft.graph.copilotUsageUserDetail)",
            "value": [self.user(u) for u in range(skip, min(skip + self.per_page, self.people))],
        }
        if skip + self.per_page < self.people:
            page["@odata.nextLink"] = f"{graph}{M365_REPORT}?$skiptoken={skip + self.per_page}"
        return page

    def pages(self, graph: str) -> Iterator[dict[str, Any]]:
        for skip in range(0, self.people, self.per_page):
            yield self.page(graph, skip)

    def serve(self, server: Server, base_url: Callable[[], str]) -> None:
        def token(match: re.Match[str], form: dict[str, str]) -> Reply:
            if form.get("client_secret") != TOKEN or form.get("grant_type") != (
                "client_credentials"
            ):
                return 401, {}, b'{"error": "invalid_client", "error_description": "AADSTS7000215"}'
            return as_json({"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN})

        def report(match: re.Match[str], query: dict[str, str]) -> Reply:
            skip = int(query.get("$skiptoken", "0"))
            return as_json(self.page(f"{base_url()}/v1.0", skip))

        server.post(rf"/{re.escape(self.tenant)}/oauth2/v2\.0/token", token)
        server.route(rf"/v1\.0{re.escape(M365_REPORT)}", report)

    def connect(self, base_url: str) -> list[str]:
        return [
            "connect", "m365", "--tenant", self.tenant, "--client-id", "bench-app",
            "--secret-env", "BENCH_TOKEN", "--base-url", f"{base_url}/v1.0",
            "--authority", base_url,
        ]  # fmt: skip

    def imports(self) -> list[list[str]]:
        return [["import", "m365-copilot", str(self.folder / "m365-snapshot.jsonl")]]

    def next_day(self) -> None:
        self.refresh += dt.timedelta(days=1)


JIRA_PROJECTS = ("ENG", "PLAT", "MOB", "WEB")
JIRA_FLOW = ("To Do", "In Progress", "In Review", "Done")
JIRA_CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate"}
JIRA_NAMES = {"customfield_10016": "Story Points", "customfield_10020": "Sprint"}


def jira_moment(when: dt.datetime) -> str:
    """Jira's timestamp: milliseconds and an offset without a colon (the site runs in UTC)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class JiraSource:
    """Jira Cloud REST v3: `/myself`, `/field`, the enhanced search `/search/jql` (JQL
    `project in (...)` and `updated >= "yyyy/MM/dd HH:mm"`, ordered by updated, pages of
    100 by `nextPageToken`, the token omitted on the last page) with each changelog capped at
    `cap` histories and its `total`, and `/issue/{key}/changelog` pages for the rest. One
    issue in 50 has a changelog longer than the search carries. The files path imports the
    same issues, with whole changelogs, as REST search JSON in `parts` files. The next day,
    one issue in 50 moves on (one more status change)."""

    name: str = "jira"
    issues: int = 100_000
    parts: int = 4
    cap: int = 20
    folder: Path = Path()
    people: int = 0
    start: dt.datetime = dt.datetime.min
    moved: dt.datetime | None = None
    """When the next day's changes were made (None before `next_day`)."""
    listed: dict[str, list[int]] = field(default_factory=dict)

    def write(self, folder: Path, people: int, today: dt.date) -> str:
        self.folder, self.people = folder, people
        start = dt.datetime.combine(today - dt.timedelta(days=27), dt.time(), dt.UTC)
        self.start = start
        per_part = -(-self.issues // self.parts)
        size = histories = 0
        for k in range(self.parts):
            path = folder / f"jira-{k + 1}.json"
            with path.open("w", encoding="utf-8") as handle:
                handle.write('{"names": ' + json.dumps(JIRA_NAMES) + ', "issues": [')
                for i, n in enumerate(range(k * per_part, min((k + 1) * per_part, self.issues))):
                    issue = self.issue(n, cap=None)
                    histories += issue["changelog"]["total"]
                    handle.write(("," if i else "") + json.dumps(issue, separators=(",", ":")))
                handle.write("]}\n")
            size += path.stat().st_size
        return (
            f"jira: {self.issues:,} issues with {histories:,} changelog histories "
            f"(1 in 50 longer than the search's {self.cap}) in {self.parts} files "
            f"({size / 1e6:,.0f} MB)"
        )

    def key(self, n: int) -> str:
        return f"{JIRA_PROJECTS[n % len(JIRA_PROJECTS)]}-{n // len(JIRA_PROJECTS) + 1}"

    def number(self, key: str) -> int:
        project, _, num = key.partition("-")
        return (int(num) - 1) * len(JIRA_PROJECTS) + JIRA_PROJECTS.index(project)

    def moves(self, n: int) -> bool:
        return self.moved is not None and n % 50 == 7

    def updated(self, n: int) -> dt.datetime:
        if self.moves(n):
            assert self.moved is not None
            return self.moved + dt.timedelta(seconds=20 * (n // 50))
        return self.start + dt.timedelta(seconds=20 * n)

    def histories(self, n: int) -> list[dict[str, Any]]:
        """Status changes through the flow (a long changelog goes round it again)."""
        count = 25 if n % 50 == 0 else 1 + n % 3
        last = self.start + dt.timedelta(seconds=20 * n)
        created = last - dt.timedelta(hours=2 + n % 200)
        step = (last - created) / count
        out = []
        for k in range(count + (1 if self.moves(n) else 0)):
            at = created + step * (k + 1) if k < count else self.updated(n)
            before, after = JIRA_FLOW[k % 3], JIRA_FLOW[k % 3 + 1]
            out.append(
                {
                    "id": str(n * 100 + k),
                    "author": {"accountId": jira_account(n % self.people)},
                    "created": jira_moment(at),
                    "items": [
                        {
                            "field": "status",
                            "fieldtype": "jira",
                            "fieldId": "status",
                            "fromString": before,
                            "toString": after,
                        }
                    ],
                }
            )
        return out

    def issue(self, n: int, cap: int | None) -> dict[str, Any]:
        """Issue n as the search returns it (`cap`: histories the search carries)."""
        histories = self.histories(n)
        status = histories[-1]["items"][0]["toString"]
        category = JIRA_CATEGORY.get(status, "done")
        created = self.start + dt.timedelta(seconds=20 * n) - dt.timedelta(hours=2 + n % 200)
        person = (n * 7) % self.people
        held = histories if cap is None else histories[:cap]
        return {
            "expand": "operations,changelog",
            "id": str(100_000 + n),
            "key": self.key(n),
            "fields": {
                "status": {"name": status, "statusCategory": {"key": category}},
                "issuetype": {"name": ("Story", "Task", "Bug")[n % 3], "subtask": False},
                "project": {"key": JIRA_PROJECTS[n % len(JIRA_PROJECTS)]},
                "assignee": None
                if n % 50 == 3
                else {
                    "accountId": jira_account(person),
                    "displayName": f"Person {person:05d}",
                    "active": True,
                },
                "created": jira_moment(created),
                "updated": jira_moment(self.updated(n)),
                "resolutiondate": jira_moment(self.updated(n)) if category == "done" else None,
                "customfield_10016": float((1, 2, 3, 5, 8)[n % 5]),
                "customfield_10020": [{"id": 7, "name": "Sprint 7", "state": "active"}],
            },
            "changelog": {
                "startAt": 0,
                "maxResults": len(held),
                "total": len(histories),
                "histories": held,
            },
        }

    def serve(self, server: Server, base_url: Callable[[], str]) -> None:
        def search(match: re.Match[str], query: dict[str, str]) -> Reply:
            jql = query["jql"]
            if jql not in self.listed:
                since = re.search(r'updated >= "([^"]+)"', jql)
                low = (
                    dt.datetime.strptime(since[1], "%Y/%m/%d %H:%M").replace(tzinfo=dt.UTC)
                    if since
                    else None
                )
                numbers = [n for n in range(self.issues) if low is None or self.updated(n) >= low]
                self.listed[jql] = sorted(numbers, key=lambda n: (self.updated(n), n))
            listed = self.listed[jql]
            offset = int(query.get("nextPageToken", "0"))
            size = min(int(query.get("maxResults", "50")), 100)
            body: dict[str, Any] = {
                "issues": [self.issue(n, self.cap) for n in listed[offset : offset + size]],
                "isLast": offset + size >= len(listed),
            }
            if not body["isLast"]:
                body["nextPageToken"] = str(offset + size)
            return as_json(body)

        def changelog(match: re.Match[str], query: dict[str, str]) -> Reply:
            histories = self.histories(self.number(match["key"]))
            start, size = int(query.get("startAt", "0")), int(query.get("maxResults", "100"))
            values = histories[start : start + size]
            return as_json(
                {
                    "startAt": start,
                    "maxResults": size,
                    "total": len(histories),
                    "isLast": start + size >= len(histories),
                    "values": values,
                }
            )

        server.route(
            r"/rest/api/3/myself",
            lambda match, query: as_json({"accountId": "bench-bot", "timeZone": "UTC"}),
        )
        server.route(
            r"/rest/api/3/field",
            lambda match, query: as_json(
                [{"id": k, "name": v, "custom": True} for k, v in JIRA_NAMES.items()]
            ),
        )
        server.route(r"/rest/api/3/search/jql", search)
        server.route(r"/rest/api/3/issue/(?P<key>[A-Z]+-\d+)/changelog", changelog)

    def connect(self, base_url: str) -> list[str]:
        return [
            "connect", "jira", "--site", base_url, "--email", JIRA_EMAIL,
            "--projects", ",".join(JIRA_PROJECTS), "--token-env", "BENCH_TOKEN",
        ]  # fmt: skip

    def imports(self) -> list[list[str]]:
        return [
            ["import", "jira", str(self.folder / f"jira-{k + 1}.json")] for k in range(self.parts)
        ]

    def next_day(self) -> None:
        self.moved = self.start + dt.timedelta(days=26, hours=1)  # yesterday, from 01:00
        self.listed.clear()


SOURCES: dict[str, Callable[[], Source]] = {
    "copilot": CopilotSource,
    "m365": M365Source,
    "jira": JiraSource,
}

TABLES = {
    "copilot": ("copilot_user_day", "copilot_user_day_feature", "ai_usage_day", "copilot_org_day"),
    "m365": ("m365_usage_snapshot", "m365_usage_period"),
    "jira": ("jira_issue", "jira_status_change", "work_item", "work_item_transition"),
}
"""The tables both paths fill, per source, compared to show the paths store the same rows."""


# --- measuring -------------------------------------------------------------------------------


PROFILED = """
import cProfile, os, pstats, sys
from gaplens.cli import app
profile = cProfile.Profile()
try:
    profile.runcall(app)
except SystemExit as done:
    code = done.code
finally:
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    profile.dump_stats(os.environ["BENCH_PSTATS"])
sys.exit(code)
"""
"""With --profile: the incremental sync under cProfile, its 40 costliest calls in its log and
the whole profile beside it (`FILE.pstats`, for `python -m pstats`)."""


def gaplens(*args: str, profiled: bool = False) -> list[str]:
    return [
        sys.executable,
        "-c",
        PROFILED if profiled else "from gaplens.cli import app; app()",
        *args,
    ]


def counts(url: str, sources: list[str]) -> dict[str, int]:
    """Rows of the tables both paths fill, to see they agree."""
    from sqlalchemy import text

    from gaplens.db.engine import dispose_engine, get_engine

    tables = [t for name in sources for t in TABLES[name]]
    with get_engine(url).connect() as connection:
        found = {
            t: connection.execute(text(f"select count(*) from {t}")).scalar_one() for t in tables
        }
    dispose_engine(url)
    return {k: int(v) for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--issues", type=int, default=100_000, help="Jira issues")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sources", nargs="+", choices=list(SOURCES), default=list(SOURCES))
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"), help="where files go")
    parser.add_argument(
        "--profile", type=Path, help="write the incremental sync's profile to this file"
    )
    args = parser.parse_args()
    import platform
    import sqlite3

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, backend {args.backend}"
    )
    print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")
    folder = Path(tempfile.mkdtemp(prefix="gaplens-bench-sync-", dir=args.tmp))
    os.environ.update({"GAPLENS_SECRET_KEY": KEY, "BENCH_TOKEN": TOKEN})
    if args.profile is not None:
        os.environ["BENCH_PSTATS"] = str(args.profile.resolve()) + ".pstats"
    try:
        import bench.import_tools as tools

        tools.PEOPLE = args.people
        teams, people = write_directory(folder)
        today = dt.datetime.now(dt.UTC).date()
        sources = [SOURCES[name]() for name in args.sources]
        for source in sources:
            if isinstance(source, JiraSource):
                source.issues = args.issues
        for source in sources:
            started = time.perf_counter()
            print(
                f"{source.write(folder, args.people, today)}; written in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
        server = Server()
        address = {"url": ""}
        for source in sources:
            source.serve(server, lambda: address["url"])
        context = (
            sqlite_backend(folder, teams, people)
            if args.backend == "sqlite"
            else postgres_backend(teams, people)
        )
        with context as backend, server.running() as url:
            address["url"] = url
            files_url = backend.make()  # type: ignore[operator]
            seconds = cpu = peak = 0.0
            before = load()
            for n, command in enumerate(
                [c for s in sources for c in s.imports()] + [["release", "build"]]
            ):
                wall, used, mb = run_child(
                    gaplens(*command, "--db", files_url), folder / f"f{n}.log"
                )
                seconds += wall
                cpu += used
                peak = max(peak, mb)
            print(
                f"files: {seconds:.1f} s (their own CPU {cpu:.1f} s), peak {peak:,.0f} MB "
                f"(load {before} -> {load()})"
            )
            files_rows = counts(files_url, args.sources)

            sync_url = backend.make()  # type: ignore[operator]
            for n, source in enumerate(sources):
                run_child(
                    gaplens(*source.connect(url), "--db", sync_url),
                    folder / f"c{n}.log",
                )
            before = load()
            served = server.requests
            sync_s, sync_cpu, sync_mb = run_child(
                gaplens("sync", "--db", sync_url), folder / "s1.log"
            )
            print(
                f"first sync: {sync_s:.1f} s (its own CPU {sync_cpu:.1f} s), "
                f"peak {sync_mb:,.0f} MB, "
                f"{server.requests - served:,} requests (load {before} -> {load()})"
            )
            sync_rows = counts(sync_url, args.sources)
            print(f"rows, files: {files_rows}")
            print(f"rows, sync:  {sync_rows}")
            if sync_rows != files_rows:
                raise SystemExit("the sync and the files stored different rows")
            print(
                f"ratio sync / files: time {sync_s / seconds:.2f}x, peak memory "
                f"{sync_mb / peak:.2f}x"
            )

            for source in sources:
                source.next_day()
            before = load()
            served = server.requests
            log = folder / "s2.log"
            next_s, next_cpu, next_mb = run_child(
                gaplens("sync", "--db", sync_url, profiled=args.profile is not None), log
            )
            if args.profile is not None:
                shutil.copyfile(log, args.profile)
            print(
                f"next daily sync: {next_s:.1f} s (goal: under 10 s; its own CPU "
                f"{next_cpu:.1f} s), peak {next_mb:,.0f} MB, "
                f"{server.requests - served:,} requests (load {before} -> {load()})"
            )
            print(counts(sync_url, args.sources))
            before = load()
            alone_s, alone_cpu, alone_mb = run_child(
                gaplens("release", "build", "--db", sync_url), folder / "r2.log"
            )
            print(
                f"release rebuild alone (what the daily sync ends with): {alone_s:.1f} s (its "
                f"own CPU {alone_cpu:.1f} s), peak {alone_mb:,.0f} MB (load {before} -> {load()})"
            )
            print(
                f"so the daily sync without its release rebuild: about {next_s - alone_s:.1f} s "
                f"(CPU {next_cpu - alone_cpu:.1f} s)"
            )
            backend.drop(files_url)  # type: ignore[operator]
            backend.drop(sync_url)  # type: ignore[operator]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"finished {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")


if __name__ == "__main__":
    main()
