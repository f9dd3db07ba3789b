"""The demo's GitHub: its own Copilot exports served over loopback HTTP in the shapes of
GitHub's REST reference, so `gaplens demo` shows a connection that really synced.

A real organisation imports older exports by hand once and then connects the API; the demo
does the same: what lies before the last 31 days is imported as a file, and a connection
pulls the rest from this server (the 28-day report, then 1-day reports, and the seat list
paginated by Link headers). Nothing leaves the machine; the server lives for the demo's
import step only.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


class _Handler(BaseHTTPRequestHandler):
    server: _ReplayServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo prints its own progress."""

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
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class _ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: ReplayData) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def replay_github(data: ReplayData) -> Iterator[str]:
    """Serve `data` on a loopback port for the block; its base URL."""
    server = _ReplayServer(data)
    thread = threading.Thread(target=server.serve_forever, name="demo-github", daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def seats_for(people: Sequence[tuple[str, dt.date]], user_ids: dict[str, int]) -> list[Any]:
    """The seat list of everyone licensed (login, licence day), ids as the reports give them."""
    return [
        seat(login, user_ids.get(login, 8_000_000 + n), since)
        for n, (login, since) in enumerate(sorted(people))
    ]
