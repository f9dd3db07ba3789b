"""Times `metric_overviews` (every metric) on a synthetic 10,000-person organisation.

    .venv/bin/python -m tests.metrics.benchmark [path.db]

Builds (once; reused if the file exists) a SQLite database through the Alembic migrations:
10,000 persons in 100 teams (20 top-level with 4 sub-teams each), 70% engineers working
issues (about 2 a week, with sprints and story points) and 30% support agents working tickets
(about 3 a week), 60% AI users adopting between February and November 2025, active with AI
on about 3 days a week from adoption. One calendar year (2025), as_of 2025-12-31.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from gaplens.db.engine import session_scope
from gaplens.db.migrate import upgrade
from gaplens.directory.models import Organisation, Person, RoleLevel, Team
from gaplens.imports.models import ImportRun
from gaplens.metrics import REGISTRY, MetricScope, metric_overviews
from gaplens.telemetry.models import AiUsageDay
from gaplens.work.models import ISSUE, TICKET, WorkItem

PERSONS = 10_000
YEAR = dt.date(2025, 1, 1)
AS_OF = dt.date(2025, 12, 31)
CHUNK = 50_000


def build(url: str, seed: int = 1) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    upgrade(url)
    counts = {"persons": PERSONS, "work_items": 0, "usage_days": 0}
    with session_scope(url) as session:
        session.execute(insert(Organisation), [{"id": 1, "name": "Bench"}])
        session.execute(
            insert(ImportRun),
            [
                {
                    "id": 1,
                    "kind": "bench",
                    "source_name": "bench",
                    "sha256": "0" * 64,
                    "rows_read": 0,
                    "rows_written": 0,
                    "imported_at": dt.datetime.now(dt.UTC),
                }
            ],
        )
        teams = [
            {"id": t, "organisation_id": 1, "key": f"t{t}", "name": f"Team {t}", "parent_id": None}
            for t in range(1, 21)
        ]
        teams += [
            {
                "id": 20 + i,
                "organisation_id": 1,
                "key": f"t{20 + i}",
                "name": f"Team {20 + i}",
                "parent_id": (i - 1) // 4 + 1,
            }
            for i in range(1, 81)
        ]
        session.execute(insert(Team), teams)
        team_of = rng.integers(1, 101, PERSONS)
        engineer = rng.random(PERSONS) < 0.7
        user = rng.random(PERSONS) < 0.6
        adoption = rng.integers(31, 334, PERSONS)  # day of year, Feb..Nov
        ids = [str(uuid.UUID(int=int(i) + 1)) for i in range(PERSONS)]
        session.execute(
            insert(Person),
            [
                {
                    "id": ids[i],
                    "organisation_id": 1,
                    "email": f"p{i}@bench.example",
                    "display_name": f"P {i}",
                    "role_level": RoleLevel.INDIVIDUAL_CONTRIBUTOR,
                    "function": "engineering" if engineer[i] else "support",
                    "team_id": int(team_of[i]),
                    "ai_adoption_date": YEAR + dt.timedelta(days=int(adoption[i]))
                    if user[i]
                    else None,
                    "ai_licence_date": None,
                }
                for i in range(PERSONS)
            ],
        )
        rows: list[dict[str, object]] = []
        n_item = 0
        for i in range(PERSONS):
            per_week = 2.0 if engineer[i] else 3.0
            n = int(rng.poisson(per_week * 52))
            created = rng.uniform(-20, 365, n)
            span = rng.lognormal(1.0 if engineer[i] else 0.0, 0.8, n)
            resolved = created + span
            for c, r, s in zip(created.tolist(), resolved.tolist(), span.tolist(), strict=True):
                n_item += 1
                done = r < 365
                rows.append(
                    {
                        "id": str(uuid.UUID(int=n_item)),
                        "source": "bench",
                        "key": f"B-{n_item}",
                        "kind": ISSUE if engineer[i] else TICKET,
                        "status": "Done" if done else "Open",
                        "status_category": "done" if done else "in_progress",
                        "person_id": ids[i],
                        "team_id": int(team_of[i]),
                        "created_at": dt.datetime(2025, 1, 1) + dt.timedelta(days=c),
                        "started_at": dt.datetime(2025, 1, 1) + dt.timedelta(days=c + s * 0.1)
                        if engineer[i]
                        else None,
                        "resolved_at": dt.datetime(2025, 1, 1) + dt.timedelta(days=r)
                        if done
                        else None,
                        "story_points": float(rng.integers(1, 9)) if engineer[i] else None,
                        "sprint": f"S{int(c // 14)}" if engineer[i] else None,
                        "reopen_count": int(rng.random() < 0.1),
                        "rework_count": int(rng.poisson(0.3)),
                        "import_run_id": 1,
                    }
                )
            if len(rows) >= CHUNK:
                session.execute(insert(WorkItem), rows)
                counts["work_items"] += len(rows)
                rows = []
        session.execute(insert(WorkItem), rows)
        counts["work_items"] += len(rows)
        usage: list[dict[str, object]] = []
        for i in np.flatnonzero(user).tolist():
            active = np.flatnonzero(rng.random(365 - int(adoption[i])) < 3 / 7) + int(adoption[i])
            usage.extend(
                {
                    "person_id": ids[i],
                    "day": YEAR + dt.timedelta(days=int(d)),
                    "tool": "github-copilot",
                    "app": "any",
                    "interactions": 5,
                    "import_run_id": 1,
                }
                for d in active.tolist()
            )
            if len(usage) >= CHUNK:
                session.execute(insert(AiUsageDay), usage)
                counts["usage_days"] += len(usage)
                usage = []
        session.execute(insert(AiUsageDay), usage)
        counts["usage_days"] += len(usage)
    return counts


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gaplens-metrics-bench.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        started = time.perf_counter()
        print("built", build(url), f"in {time.perf_counter() - started:.1f} s")
    scope = MetricScope(organisation_id=1)
    for run in range(3):
        with session_scope(url) as session:
            started = time.perf_counter()
            overviews = metric_overviews(session, scope, AS_OF)
            total = time.perf_counter() - started
        print(f"run {run + 1}: all {len(REGISTRY)} metrics in {total:.2f} s")
    for overview in overviews:
        print(
            f"  {overview.metric.key:24} current n={overview.current.n} "
            f"did={overview.users_vs_non_users.value} n={overview.users_vs_non_users.n}"
        )
    for key in REGISTRY:
        with session_scope(url) as session:
            started = time.perf_counter()
            metric_overviews(session, scope, AS_OF, [key])
            print(f"  {key:24} alone: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
