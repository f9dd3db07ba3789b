"""Benchmark: releases at 10,000 or 100,000 people, on SQLite and PostgreSQL. How long every
release takes to build from scratch (and its peak memory), and how fast every staff page and
API answers once they read released cells; then the organisation's HTML report from the app.

    python bench/release_pages.py [--backend sqlite|postgresql|both] [--db PATH]
        [--persons 10000] [--requests 40] [--no-release-build] [--profile-over 300]
        [--world-from SQLITE_FILE]

The data is bench/report_data.py's organisation (10,000 people, ~3,000 survey responses by
default). SQLite: the file `--db`, built there first if it does not exist (copy a built one
with `cp --sparse=always` before a run: the release build rewrites its releases). PostgreSQL:
a throwaway local server (tests/postgres_server.py, the test suite's: fsync off, default
memory settings), filled with `report_data.build` and removed at the end; or, with
`--world-from`, filled by copying a SQLite world an earlier run built (bench/copy_world.py:
the same rows through COPY, minutes instead of hours at 100,000 people).

The release build runs in a child process of its own (`--release-build-only URL`), so its
time, peak traced memory and maximum RSS are its own, not the world builder's or the pages'.
Its time includes tracemalloc's overhead, as every earlier figure in bench/RESULTS.md did.
Three success criteria are defined after it (the criteria pages read the measured release).

Pages are requested through the real ASGI app (HTTP through httpx's transport, a signed-in
leader). Each page's p50 and p95 are printed in milliseconds and as a ratio to `/healthz`
measured in the same run (the app's fixed cost per request), so the figures compare across
machines. Goal (issue 12): p95 under 300 ms for every page and API, the report under 3 s. A
page over `--profile-over` ms p95 (or the report over 3 s) is requested once more under
cProfile and the top cumulative entries are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import functools
import io
import json
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# This checkout's gaplens (not the one the virtualenv was installed from) and tests' helper.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fastapi
import fastapi.dependencies.utils
import fastapi.routing
from copy_world import copy_world
from fastapi.testclient import TestClient
from report_data import build
from report_full import load, machine, world_exists
from sqlalchemy import delete, func, select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.criteria.models import SuccessCriterion
from gaplens.criteria.schemas import CriterionIn
from gaplens.criteria.service import create_criterion
from gaplens.db.engine import dispose_engine, session_scope
from gaplens.db.migrate import upgrade
from gaplens.directory.models import Person, Team
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.models import MeasuredLineage
from gaplens.releases.models import Release
from gaplens.releases.service import build_all
from gaplens.surveys.models import Survey
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.postgres_server import throwaway_postgres

PASSWORD = "bench horse battery staple"
REPORT_GOAL_S = 3.0
Page = tuple[str, str, dict[str, str]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def release_build_only(url: str) -> None:
    """Build every release from scratch (surveys, the other data sets, twelve month ends of
    measured figures and of the adoption funnel) and print one JSON line of figures."""
    with session_scope(url) as session:
        session.execute(delete(MeasuredLineage))
        session.execute(delete(Release))
    tracemalloc.start()
    started = time.perf_counter()
    with session_scope(url) as session:
        built = build_all(session, PrivacyPolicy())
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dispose_engine(url)
    figures = {
        "seconds": seconds,
        "peak_mib": peak / 2**20,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The measured build's work-item loader runs in a child process of its own.
        "children_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "releases": len(built),
    }
    print(json.dumps(figures))


def time_release_build(url: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--release-build-only", url], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the release build failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def define_criteria(url: str) -> None:
    """Three success criteria (organisation, a team, a function), as an analyst would define
    them for the rollout, so the criteria pages have something to evaluate."""
    with session_scope(url) as session:
        if session.scalar(select(func.count()).select_from(SuccessCriterion)):
            return
        team = session.scalars(select(Team.key).where(Team.parent_id.is_not(None))).first()
        function = session.scalars(select(Person.function).where(Person.function.is_not(None)))
        bodies = [
            {"metric": "cycle_time", "target_kind": "relative", "target": -15},
            {"metric": "throughput", "team": team, "target_kind": "relative", "target": 10},
            {"metric": "cycle_time", "function": function.first(), "target_kind": "relative"}
            | {"target": -10, "method": "difference_in_differences"},
        ]
        for body in bodies:
            create_criterion(
                session,
                CriterionIn(phase_name="Copilot rollout", phase_start=dt.date(2025, 7, 1), **body),
                "bench@bench.example",
                dt.datetime(2025, 6, 30, 12),
                PrivacyPolicy(),
            )


def pages(url: str) -> list[Page]:
    """Every staff page and API that reads released figures (admin-only pages left out)."""
    with session_scope(url) as session:
        team = str(session.scalars(select(Team.key).where(Team.parent_id.is_not(None))).first())
        survey = session.scalars(select(Survey.name).order_by(Survey.id)).first()
        series = session.scalars(select(Survey.series).where(Survey.series.is_not(None))).first()
        criterion = session.scalars(select(SuccessCriterion.id)).first()
    found: list[Page] = [
        ("healthz (reference)", "/healthz", {}),
        ("dashboard", "/dashboard", {}),
        ("dashboard, team + tenure", "/dashboard", {"team": team, "ai_tenure": "6+"}),
        ("perception API", "/api/v1/perception", {}),
        ("perception API, function", "/api/v1/perception", {"function": "engineering"}),
        ("perception CSV", "/api/v1/exports/perception.csv", {"team": team}),
        ("surveys API", "/api/v1/surveys", {}),
        ("rollup API (noisy)", "/api/v1/rollup", {"survey": str(survey)}),
        ("trend page", "/trend", {}),
        ("shadow AI", "/shadow", {}),
        ("shadow AI API", "/api/v1/shadow-ai", {}),
        ("adoption", "/adoption", {}),
        ("adoption API", "/api/v1/adoption", {}),
        ("metrics API", "/api/v1/metrics/cycle_time", {}),
        ("metrics API, team", "/api/v1/metrics/throughput", {"team": team}),
        ("metrics page", "/metrics", {}),
        ("criteria page", "/criteria", {}),
        ("criteria API", "/api/v1/criteria", {}),
        ("scorecard", "/scorecard", {}),
        ("scorecard API", "/api/v1/scorecard", {}),
        ("friction summary", "/friction/summary", {}),
        ("friction summary, team", "/friction/summary", {"team": team}),
        ("friction use-cases API", "/api/v1/friction/use-cases", {}),
        ("feedback digest", "/digest", {}),
        ("feedback digest API", "/api/v1/feedback/digest", {}),
        ("reflections", "/reflections", {}),
        ("reflections API", "/api/v1/reflections", {}),
        ("task map", "/tasks/map", {}),
        ("task map API", "/api/v1/tasks/map", {}),
        ("task personas", "/tasks/personas", {}),
        ("task personas API", "/api/v1/tasks/personas", {}),
        ("what's working", "/wins", {}),
        ("what's working API", "/api/v1/wins", {}),
        ("costs API", "/api/v1/costs", {}),
        ("leaders' posts", "/leaders", {}),
        ("leaders' posts API", "/api/v1/leaders/posts", {}),
        ("commitments", "/commitments", {}),
        ("commitments API", "/api/v1/commitments", {}),
        ("reports page", "/reports", {}),
    ]
    if criterion is not None:
        found.insert(17, ("criterion page", f"/criteria/{criterion}", {}))
        found.insert(19, ("criterion API", f"/api/v1/criteria/{criterion}", {}))
    if series is not None:
        found.insert(9, ("trend API", "/api/v1/trend", {"series": series}))
    return found


class ThreadProfiler:
    """cProfile for the request's own work: FastAPI runs sync endpoints and dependencies in a
    worker thread, which a profiler in this thread never sees, so while `active` each one is
    wrapped to run under this profiler in whichever thread it lands."""

    def __init__(self) -> None:
        self.profile: cProfile.Profile | None = None
        original = fastapi.routing.run_in_threadpool

        async def run(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            profile = self.profile
            if profile is None:
                return await original(call, *args, **kwargs)

            @functools.wraps(call)
            def profiled(*inner: Any, **named: Any) -> Any:
                profile.enable()
                try:
                    return call(*inner, **named)
                finally:
                    profile.disable()

            return await original(profiled, *args, **kwargs)

        fastapi.routing.run_in_threadpool = run  # type: ignore[assignment]
        fastapi.dependencies.utils.run_in_threadpool = run  # type: ignore[assignment]

    @contextmanager
    def active(self) -> Iterator[cProfile.Profile]:
        self.profile = cProfile.Profile()
        try:
            yield self.profile
        finally:
            self.profile = None


def top(profile: cProfile.Profile, lines: int = 25) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(lines)
    prefixes = (f"{Path(__file__).resolve().parents[1]}/", f"{Path(fastapi.__file__).parents[1]}/")
    text = out.getvalue()
    for prefix in prefixes:
        text = text.replace(prefix, "")
    return "\n".join(ln for ln in text.splitlines() if ln.strip())


def run_backend(name: str, url: str, args: argparse.Namespace, profiler: ThreadProfiler) -> None:
    label = f"[{name}, {args.persons:,} people]"
    print(f"{label} {dt.date.today()} · {machine()} · {load()}", flush=True)
    if not world_exists(url) and args.world_from and not url.startswith("sqlite"):
        started = time.perf_counter()
        copied = copy_world(args.world_from, url)
        dispose_engine(url)
        took = time.perf_counter() - started
        print(
            f"{label} copied the organisation from {args.world_from.name} "
            f"({sum(copied.values()):,} rows, bench/copy_world.py) in {took:.0f} s",
            flush=True,
        )
    if not world_exists(url):
        started = time.perf_counter()
        build(url, persons=args.persons)
        dispose_engine(url)
        took = time.perf_counter() - started
        print(f"{label} built the organisation (report_data.build) in {took:.0f} s", flush=True)
    upgrade(url)  # a world built by an earlier checkout gets this one's tables
    if not args.no_release_build:
        figures = time_release_build(url)
        print(
            f"{label} release build (every data set, from scratch, own process): "
            f"{figures['seconds']:.2f} s, peak {figures['peak_mib']:.0f} MiB traced, max RSS "
            f"{figures['rss_mib']:.0f} MiB (its work-item loader child: "
            f"{figures['children_rss_mib']:.0f} MiB); {load()}",
            flush=True,
        )
    define_criteria(url)
    email = f"bench{time.time_ns()}@bench.example"
    with session_scope(url) as session:
        create_user(session, email, "Bench", StaffRole.LEADER, PASSWORD)
    app = create_app(WebSettings(database_url=url, secure_cookies=False, slack_signing_secret=None))
    slow: list[tuple[str, str, dict[str, str]]] = []
    with TestClient(app) as client:
        page = client.get("/login")
        token = page.text.split('name="form_token" value="')[1].split('"')[0]
        form = {"email": email, "password": PASSWORD, "form_token": token, "next": "/dashboard"}
        signed = client.post("/login", data=form, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:200]
        reference = None
        print(f"{label} {'page':28} {'p50 ms':>8} {'p95 ms':>8} {'p95 / healthz':>14}")
        for title, path, params in pages(url):
            warm = client.get(path, params=params)  # warm caches and templates
            assert warm.status_code == 200, (path, warm.status_code, warm.text[:300])
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(path, params=params)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            reference = reference or p95
            print(f"{label} {title:28} {p50:8.1f} {p95:8.1f} {p95 / reference:14.1f}", flush=True)
            if p95 > args.profile_over:
                slow.append((title, path, params))
        # The organisation's HTML report from the web app (issue 12's goal: under 3 s).
        report_params = {"format": "html"}
        times = []
        for _ in range(3):
            started = time.perf_counter()
            report = client.get("/api/v1/exports/report", params=report_params)
            times.append(time.perf_counter() - started)
            assert report.status_code == 200, report.text[:200]
        seconds = statistics.median(times)
        print(
            f"{label} {'report HTML, organisation (s)':28} {seconds:8.2f} (median of 3; "
            f"{min(times):.2f}-{max(times):.2f}); {load()}",
            flush=True,
        )
        if seconds > REPORT_GOAL_S:
            slow.append(("report HTML, organisation", "/api/v1/exports/report", report_params))
        for title, path, params in slow:
            with profiler.active() as profile:
                started = time.perf_counter()
                client.get(path, params=params)
                took = time.perf_counter() - started
            print(f"{label} profile of {title} ({took:.2f} s under cProfile):\n{top(profile)}")
    dispose_engine(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--db", type=Path, default=Path("/tmp/gaplens-bench-release.db"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument(
        "--no-release-build", action="store_true", help="read the releases already built"
    )
    parser.add_argument(
        "--world-from",
        type=Path,
        help="PostgreSQL: copy this SQLite world (built by an earlier run) instead of building",
    )
    parser.add_argument("--profile-over", type=float, default=300.0, help="p95 ms to profile")
    parser.add_argument("--release-build-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.release_build_only:
        release_build_only(args.release_build_only)
        return
    profiler = ThreadProfiler()
    if args.backend in ("sqlite", "both"):
        run_backend("SQLite", f"sqlite:///{args.db}", args, profiler)
    if args.backend in ("postgresql", "both"):
        with throwaway_postgres() as url:
            run_backend("PostgreSQL", url, args, profiler)
            dispose_engine(url)


if __name__ == "__main__":
    main()
