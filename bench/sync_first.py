"""Benchmark: the first `gaplens sync` of a 10,000-seat organisation from a local server that
speaks the vendors' documented shapes, against importing the same data from files in the same
run, then the next daily (incremental) sync.

    python bench/sync_first.py [--people 10000] [--backend sqlite|postgresql] [--tmp /tmp]

Sources are pluggable (`SOURCES`): each writes its data once, serves it over HTTP (routes on
one loopback server) and knows the file imports that load the same data by hand. GitHub
Copilot is built: 28 days of the usage-metrics per-user report (one line per seat per day,
split over four download links as GitHub splits large reports) and the organisation report,
10,000 seats over 100 Link-header pages, 12 months of premium request usage. Microsoft 365
and Jira slot in as further `Source`s (their snapshots and issues with changelogs).

Measured, each in its own child process (wall time and `wait4` peak RSS, as
bench/import_tools.py does):

- sync: `gaplens connect ...` then `gaplens sync` (pulls, stores each unit through the file
  importers, then builds releases once);
- files: `gaplens import ...` of every file the server serves (each a process; times summed,
  the largest peak), then `gaplens release build`: the same rows by hand, into a fresh copy
  of the same database. Seats and premium requests have no file import, so the sync also
  stores 10,000 seats and 12 bills that the files do not (a few seconds at most);
- incremental: the next day's `gaplens sync` (seats again, one 1-day report of each kind, the
  open month's bill; goal under 10 s).

The server runs in this process on 127.0.0.1, sharing the machine's cores with the child it
serves (a real API is remote); nothing leaves the machine.
"""

from __future__ import annotations

import argparse
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
    load,
    login,
    postgres_backend,
    run_child,
    sqlite_backend,
    write_directory,
)

TOKEN = "bench-token-not-a-secret"
KEY = "b" * 40
Reply = tuple[int, dict[str, str], bytes | Path]
Route = tuple[re.Pattern[str], Callable[[re.Match[str], dict[str, str]], Reply]]


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    """One loopback HTTP server; sources add routes. API routes need the bearer token;
    `/download/` links (pre-signed, on storage in real life) do not."""

    routes: list[Route] = field(default_factory=list)
    requests: int = 0

    def route(
        self, pattern: str, handler: Callable[[re.Match[str], dict[str, str]], Reply]
    ) -> None:
        self.routes.append((re.compile(pattern), handler))

    @contextmanager
    def running(self) -> Iterator[str]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests += 1
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if not parts.path.startswith("/download/") and (
                    self.headers.get("Authorization") != f"Bearer {TOKEN}"
                ):
                    return self.reply(401, {}, b'{"message": "Bad credentials"}')
                for pattern, handler in outer.routes:
                    match = pattern.fullmatch(parts.path)
                    if match:
                        return self.reply(*handler(match, query))
                return self.reply(404, {}, b'{"message": "Not Found"}')

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
        return ["connect", "copilot", "--org", self.org, "--base-url", base_url]

    def imports(self) -> list[list[str]]:
        files = [f"users-28-part{k + 1}.ndjson" for k in range(self.parts)]
        files.append("organization-28.ndjson")
        return [["import", "copilot-usage", str(self.folder / name)] for name in files]


SOURCES: dict[str, Callable[[], Source]] = {"copilot": CopilotSource}
"""Microsoft 365 (Graph snapshots) and Jira (issues with changelogs) are added here."""


# --- measuring -------------------------------------------------------------------------------


PROFILED = """
import cProfile, pstats, sys
from gaplens.cli import app
profile = cProfile.Profile()
try:
    profile.runcall(app)
except SystemExit as done:
    code = done.code
finally:
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
sys.exit(code)
"""
"""With --profile: the incremental sync under cProfile, its 40 costliest calls in its log."""


def gaplens(*args: str, profiled: bool = False) -> list[str]:
    return [
        sys.executable,
        "-c",
        PROFILED if profiled else "from gaplens.cli import app; app()",
        *args,
    ]


def counts(url: str) -> dict[str, int]:
    """Rows of the tables both paths fill, to see they agree."""
    from sqlalchemy import text

    from gaplens.db.engine import dispose_engine, get_engine

    tables = ("copilot_user_day", "copilot_user_day_feature", "ai_usage_day", "copilot_org_day")
    with get_engine(url).connect() as connection:
        found = {
            t: connection.execute(text(f"select count(*) from {t}")).scalar_one() for t in tables
        }
    dispose_engine(url)
    return {k: int(v) for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
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
    try:
        import bench.import_tools as tools

        tools.PEOPLE = args.people
        teams, people = write_directory(folder)
        today = dt.datetime.now(dt.UTC).date()
        sources = [SOURCES[name]() for name in args.sources]
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
            files_rows = counts(files_url)

            sync_url = backend.make()  # type: ignore[operator]
            for n, source in enumerate(sources):
                run_child(
                    gaplens(*source.connect(url), "--token-env", "BENCH_TOKEN", "--db", sync_url),
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
            sync_rows = counts(sync_url)
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
            print(counts(sync_url))
            backend.drop(files_url)  # type: ignore[operator]
            backend.drop(sync_url)  # type: ignore[operator]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"finished {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")


if __name__ == "__main__":
    main()
