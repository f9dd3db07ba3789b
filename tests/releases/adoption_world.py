"""Licensed persons, usage days and training written straight into a real database, for
adoption releases: the shapes a tracker attack feeds on (a team of one, a parent with one
direct member, persons licensed one per month, a person leaving after being published)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.imports.models import ImportRun
from gaplens.telemetry.models import AiUsageDay, TrainingRecord
from gaplens.telemetry.schemas import ANY_APP, GITHUB_COPILOT

JANUARY = dt.date(2026, 1, 1)


def import_run(session: Session) -> int:
    run = ImportRun(
        kind="test",
        source_name="hand",
        sha256="0" * 64,
        rows_read=0,
        rows_written=0,
        imported_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    session.add(run)
    session.flush()
    return run.id


def add_person(session: Session, n: int, team: str, licence: dt.date | None = JANUARY) -> str:
    org = session.scalars(select(Organisation.id)).one()
    team_id, function = session.execute(
        select(Team.id, Team.function).where(Team.key == team)
    ).one()
    pid = str(uuid.uuid4())
    session.add(
        Person(
            id=pid,
            organisation_id=org,
            email=f"person{n}@acme.example",
            display_name=f"Person {n}",
            role_level="individual_contributor",
            function=function or "Engineering",
            team_id=team_id,
            ai_licence_date=licence,
        )
    )
    session.flush()
    return pid


def use(
    session: Session,
    run: int,
    pid: str,
    days: list[dt.date],
    kept: bool = True,
    tool: str = GITHUB_COPILOT,
) -> None:
    """Copilot use on each day (accepted output when `kept`: integrated once sustained)."""
    for day in days:
        session.add(
            AiUsageDay(
                person_id=pid,
                day=day,
                tool=tool,
                app=ANY_APP,
                suggestions=10,
                acceptances=5 if kept else 0,
                loc_added=0,
                import_run_id=run,
            )
        )


def train(session: Session, run: int, pid: str, kind: str, on: dt.date) -> None:
    session.add(
        TrainingRecord(
            id=str(uuid.uuid4()),
            person_id=pid,
            kind=kind,
            name="Copilot 101",
            completed_on=on,
            import_run_id=run,
        )
    )


def last_weeks(month_end: dt.date, weeks: int) -> list[dt.date]:
    """One day in each of the last `weeks` weeks up to the month end."""
    return [month_end - dt.timedelta(days=7 * w + 1) for w in range(weeks)]
