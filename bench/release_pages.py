"""Benchmark: releases at 10,000 people. How long a survey's release takes to build (and its
peak memory), and how fast the staff pages and API answer once they read released cells.

    python bench/release_pages.py [--db PATH] [--requests 40] [--persons 10000]

The data is bench/report_data.py's organisation (10,000 people, ~3,000 survey responses).
Pages are requested through the real ASGI app (HTTP through httpx's transport, a signed-in
leader, the database a SQLite file). Each page's p50 and p95 are printed in milliseconds and
as a ratio to `/healthz` measured in the same run (the app's fixed cost per request), so the
figures compare across machines. Goal (issue 12): p95 under 300 ms for every page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fastapi.testclient import TestClient
from report_data import build
from report_full import machine
from sqlalchemy import delete, select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import dispose_engine, session_scope
from gaplens.directory.models import Team
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.models import MeasuredLineage
from gaplens.releases.models import Release
from gaplens.releases.service import build_all
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings

PASSWORD = "bench horse battery staple"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_release_build(url: str) -> tuple[float, float]:
    """Seconds and peak traced MiB of building every release from scratch (surveys, the
    other data sets, and twelve month ends of measured figures)."""
    with session_scope(url) as session:
        session.execute(delete(MeasuredLineage))
        session.execute(delete(Release))
    tracemalloc.start()
    started = time.perf_counter()
    with session_scope(url) as session:
        build_all(session, PrivacyPolicy())
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20


def pages(url: str) -> list[tuple[str, str, dict[str, str]]]:
    with session_scope(url) as session:
        team = session.scalars(select(Team.key).where(Team.parent_id.is_not(None))).first()
    return [
        ("healthz (reference)", "/healthz", {}),
        ("dashboard", "/dashboard", {}),
        ("dashboard, team + tenure", "/dashboard", {"team": str(team), "ai_tenure": "6+"}),
        ("perception API", "/api/v1/perception", {}),
        ("perception API, function", "/api/v1/perception", {"function": "engineering"}),
        ("perception CSV", "/api/v1/exports/perception.csv", {"team": str(team)}),
        ("shadow AI", "/shadow", {}),
        ("adoption", "/adoption", {}),
        ("adoption API", "/api/v1/adoption", {}),
        ("surveys API", "/api/v1/surveys", {}),
        ("metrics API", "/api/v1/metrics/cycle_time", {}),
        ("metrics API, team", "/api/v1/metrics/throughput", {"team": str(team)}),
        ("metrics page", "/metrics", {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/gaplens-bench-release.db"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--persons", type=int, default=10_000)
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    if not args.db.exists():
        started = time.perf_counter()
        build(url, persons=args.persons)
        print(
            f"built the {args.persons:,}-person organisation in "
            f"{time.perf_counter() - started:.0f} s"
        )
    email = f"bench{time.time_ns()}@bench.example"
    with session_scope(url) as session:
        create_user(session, email, "Bench", StaffRole.LEADER, PASSWORD)
    seconds, peak = time_release_build(url)
    print(f"{dt.date.today()} · {machine()}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"release build (every data set, from scratch): {seconds:.2f} s, "
        f"peak {peak:.0f} MiB traced, process max RSS {rss:.0f} MiB"
    )
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    with TestClient(app) as client:
        page = client.get("/login")
        token = page.text.split('name="form_token" value="')[1].split('"')[0]
        form = {"email": email, "password": PASSWORD, "form_token": token, "next": "/dashboard"}
        signed = client.post("/login", data=form, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:200]
        reference = None
        print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'p95 / healthz':>14}")
        for name, path, params in pages(url):
            client.get(path, params=params)  # warm caches and templates
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            reference = reference or p95
            print(f"{name:32} {p50:8.1f} {p95:8.1f} {p95 / reference:14.1f}")
        # The organisation's HTML report from the web app (issue 12's goal: under 3 s): its
        # survey, measured, adoption, friction and criteria parts read releases.
        times = []
        for _ in range(3):
            started = time.perf_counter()
            report = client.get("/api/v1/exports/report", params={"format": "html"})
            times.append(time.perf_counter() - started)
            assert report.status_code == 200, report.text[:200]
        print(f"{'report HTML, organisation (s)':32} {statistics.median(times):8.2f} (median of 3)")
    dispose_engine(url)


if __name__ == "__main__":
    main()
