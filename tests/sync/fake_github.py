"""A GitHub that speaks the Copilot REST endpoints over real HTTP (pytest-httpserver), with
the payload shapes of GitHub's REST reference: report endpoints answering `download_links`
to NDJSON files served by the same server, seats paginated by Link headers, and faults an
individual test switches on (429 with Retry-After, a 500 mid-pagination, a 401, a download
link that 404s, a connection dropped mid-download)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.telemetry.payloads import user_day

ORG = "northwind"
ENTERPRISE = "northwind-group"
TOKEN = "ghp_S3cretTokenThatMustNeverLeak0123456789"
REPORT_END = dt.date(2026, 11, 5)
TODAY = dt.date(2026, 11, 10)
"""The 28-day reports end on REPORT_END; 1-day reports exist up to TODAY - 1."""


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def seat(n: int) -> dict[str, Any]:
    """One seat as `GET /orgs/{org}/copilot/billing/seats` lists it."""
    return {
        "created_at": f"2026-0{1 + n % 9}-1{n % 10}T09:00:00Z",
        "updated_at": "2026-10-01T09:00:00Z",
        "pending_cancellation_date": "2026-12-31" if n == 3 else None,
        "last_activity_at": "2026-11-08T15:02:00Z" if n % 2 else None,
        "last_activity_editor": "vscode/1.95.0/copilot/1.240.0" if n % 2 else None,
        "last_authenticated_at": "2026-11-08T15:00:00Z",
        "plan_type": "business",
        "assignee": {
            "login": f"gh-person{n}",
            "id": 1000 + n,
            "node_id": f"MDQ6VXNlcj{n}",
            "type": "User",
            "site_admin": False,
        },
        "assigning_team": None,
    }


def premium_items(month: dt.date) -> list[dict[str, Any]]:
    """A month of premium request usage as GitHub's billing report lists it: two models,
    the first within the included allowance (discounted), the second partly billed."""
    n = month.month
    return [
        {
            "product": "Copilot",
            "sku": "Copilot Premium Request",
            "model": "Claude Sonnet 4",
            "unitType": "requests",
            "pricePerUnit": 0.04,
            "grossQuantity": 100 * n,
            "grossAmount": 4.0 * n,
            "discountQuantity": 100 * n,
            "discountAmount": 4.0 * n,
            "netQuantity": 0,
            "netAmount": 0.0,
        },
        {
            "product": "Copilot",
            "sku": "Copilot Premium Request",
            "model": "GPT-5",
            "unitType": "requests",
            "pricePerUnit": 0.04,
            "grossQuantity": 50 * n,
            "grossAmount": 2.0 * n,
            "discountQuantity": 25 * n,
            "discountAmount": 1.0 * n,
            "netQuantity": 25 * n,
            "netAmount": 1.0 * n,
        },
    ]


@dataclass
class FakeGitHub:
    server: HTTPServer
    enterprise: bool = False
    """Serve an enterprise's endpoints (`/enterprises/{ENTERPRISE}/...`) instead of ORG's."""
    billing: bool = True
    """Whether the account has the premium request billing report (else 404)."""
    today: dt.date = TODAY
    """1-day reports exist for the days before this one."""
    logins: list[str] = field(default_factory=lambda: [f"gh-person{n}" for n in range(6)])
    seats: list[dict[str, Any]] = field(default_factory=lambda: [seat(n) for n in range(7)])
    per_page: int = 3
    """Seats per page whatever per_page asks, so 7 seats are 3 pages."""
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    """(kind, path regex, times): the next `times` matching requests get the fault."""
    calls: Counter[str] = field(default_factory=Counter)
    authorizations: list[str | None] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    """Set when a request with the "hang" fault arrives (it then waits for `release`)."""
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail(self, kind: str, path: str, times: int = 1) -> None:
        self.faults.append((kind, path, times))

    def _fault(self, path: str) -> str | None:
        for index, (kind, pattern, times) in enumerate(self.faults):
            if times > 0 and re.search(pattern, path):
                self.faults[index] = (kind, pattern, times - 1)
                return kind
        return None

    def handle(self, request: Request) -> Response:
        path = request.path
        query = request.query_string.decode()
        self.calls[f"{path}?{query}" if query else path] += 1
        fault = self._fault(f"{path}?{query}" if query else path)
        if fault == "429":
            return _json({"message": "API rate limit exceeded"}, 429, {"Retry-After": "1"})
        if fault == "500":
            return _json({"message": "Server Error"}, 500)
        if fault == "404":
            return Response(
                "<Error><Code>AuthenticationFailed</Code></Error>", 404, content_type="text/xml"
            )
        if fault == "bad":
            good = json.dumps(user_day("gh-person0", "2026-11-08"))
            bad = json.dumps({**user_day("gh-person1", "2026-11-08"), "loc_added_sum": -3})
            return Response(f"{good}\n{bad}\n", 200, content_type="application/x-ndjson")
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
            return Response(_dropped(), 200, headers={"Content-Length": "100000"})
        if fault == "drop":
            return Response(_dropped(), 200, headers={"Content-Length": "100000"})
        if path.startswith("/download/"):
            self.authorizations.append(request.headers.get("Authorization"))
            return Response(self.file(path), 200, content_type="application/x-ndjson")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}" or fault == "401":
            return _json({"message": "Bad credentials", "status": "401"}, 401)
        if self.enterprise:
            prefix = f"/enterprises/{ENTERPRISE}/copilot"
            billing = f"/enterprises/{ENTERPRISE}/settings/billing/premium_request/usage"
            aggregate = "enterprise"
        else:
            prefix = f"/orgs/{ORG}/copilot"
            billing = f"/organizations/{ORG}/settings/billing/premium_request/usage"
            aggregate = "organization"
        if path == billing and self.billing:
            return self.premium_report(request)
        if path == f"{prefix}/billing/seats":
            return self.seat_page(request)
        match = re.fullmatch(
            rf"{prefix}/metrics/reports/(users|{aggregate})-(1-day|28-day/latest)", path
        )
        if match is None:
            return _json({"message": "Not Found"}, 404)
        report, span = match.groups()
        if span == "1-day":
            day = dt.date.fromisoformat(request.args["day"])
            if day >= self.today:
                return _json({"message": "Not Found"}, 404)
            return _json(
                {
                    "download_links": [self.link(f"{report}/{day}")],
                    "report_day": day.isoformat(),
                }
            )
        start = REPORT_END - dt.timedelta(days=27)
        return _json(
            {
                "download_links": [self.link(f"{report}/28/{start}/part{n}") for n in (1, 2)],
                "report_start_day": start.isoformat(),
                "report_end_day": REPORT_END.isoformat(),
            }
        )

    def premium_report(self, request: Request) -> Response:
        """One month of premium request usage (`year`, `month`; GitHub's defaults: now)."""
        year = int(request.args.get("year", TODAY.year))
        month = int(request.args.get("month", TODAY.month))
        period = dt.date(year, month, 1)
        account = {"enterprise": ENTERPRISE} if self.enterprise else {"organization": ORG}
        return _json(
            {
                "timePeriod": {"year": year, "month": month},
                **account,
                "usageItems": premium_items(period) if period <= TODAY else [],
            }
        )

    def link(self, what: str) -> str:
        """A pre-signed link: its query string is the signature, never kept by gaplens."""
        return f"{self.base_url}/download/{what}.ndjson?sv=2025-01-01&se=2026-11-10&sig=SIGNED"

    def seat_page(self, request: Request) -> Response:
        page = int(request.args.get("page", "1"))
        chunk = self.seats[(page - 1) * self.per_page : page * self.per_page]
        last = max(1, -(-len(self.seats) // self.per_page))
        owner = f"enterprises/{ENTERPRISE}" if self.enterprise else f"orgs/{ORG}"
        base = f"{self.base_url}/{owner}/copilot/billing/seats?per_page=100"
        links = []
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
            links.append(f'<{base}&page={page - 1}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else {}
        return _json({"total_seats": len(self.seats), "seats": chunk}, 200, headers)

    def file(self, path: str) -> str:
        """The NDJSON a link serves: user days, or organisation days/`day_totals`."""
        parts = path.removeprefix("/download/").removesuffix(".ndjson").split("/")
        report = parts[0]
        if parts[1] == "28":
            start = dt.date.fromisoformat(parts[2])
            span = days(start, REPORT_END)
            half = 0 if parts[3] == "part1" else 1
            if report == "users":
                lines = [
                    user_day(login, d.isoformat(), n=1 + i % 3)
                    for i, login in enumerate(self.logins)
                    for d in span
                    if i % 2 == half
                ]
            else:
                lines = [self.ids(_org_report(span))] if half == 0 else []
        else:
            day = dt.date.fromisoformat(parts[1])
            if report == "users":
                lines = [user_day(login, day.isoformat(), n=2) for login in self.logins]
                if self.enterprise:
                    lines = [self.ids(line) for line in lines]
            else:
                lines = [self.ids({**_org_day(day), "organization_id": "4242"})]
        return "".join(json.dumps(line) + "\n" for line in lines)

    def ids(self, record: dict[str, Any]) -> dict[str, Any]:
        """An enterprise's reports carry `enterprise_id` where an organisation's carry
        `organization_id`."""
        if not self.enterprise:
            return record
        record = {k: v for k, v in record.items() if k != "organization_id"}
        return {**record, "enterprise_id": "77"}


def _org_day(day: dt.date) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "daily_active_users": 6,
        "weekly_active_users": 6,
        "monthly_active_users": 7,
        "user_initiated_interaction_count": 30,
        "code_generation_activity_count": 40,
        "code_acceptance_activity_count": 20,
        "loc_suggested_to_add_sum": 100,
        "loc_added_sum": 80,
    }


def _org_report(span: list[dt.date]) -> dict[str, Any]:
    return {
        "report_start_day": span[0].isoformat(),
        "report_end_day": span[-1].isoformat(),
        "organization_id": "4242",
        "created_at": "2026-11-06T03:00:00Z",
        "day_totals": [_org_day(d) for d in span],
    }


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")


def _dropped() -> Iterator[bytes]:
    """Part of a body, then the connection goes away (Content-Length promised more)."""
    yield b'{"day": "2026-11-08", "user_login": "gh-per'
    raise ConnectionAbortedError("the storage server went away mid-download")
