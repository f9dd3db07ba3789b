"""Small organisations built row by row, with effects planted at values known exactly."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.directory.schemas import RoleLevel
from gaplens.imports.models import ImportRun
from gaplens.telemetry.models import AiUsageDay
from gaplens.telemetry.schemas import GITHUB_COPILOT
from gaplens.work.models import WorkItem
from gaplens.work.schemas import DONE, IN_PROGRESS, ISSUE


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


class OrgBuilder:
    def __init__(self, session: Session, name: str = "Acme") -> None:
        self.session = session
        self.organisation = Organisation(name=name)
        session.add(self.organisation)
        session.flush()
        self.run = ImportRun(
            kind="test",
            source_name="builder",
            sha256="0" * 64,
            rows_read=0,
            rows_written=0,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(self.run)
        session.flush()
        self._n = 0

    @property
    def id(self) -> int:
        return self.organisation.id

    def team(self, key: str, parent: Team | None = None) -> Team:
        team = Team(
            organisation_id=self.id,
            key=key,
            name=key.title(),
            parent_id=None if parent is None else parent.id,
        )
        self.session.add(team)
        self.session.flush()
        return team

    def person(
        self, team: Team, adoption: dt.date | None = None, function: str = "engineering"
    ) -> Person:
        self._n += 1
        person = Person(
            id=str(uuid.uuid4()),
            organisation_id=self.id,
            email=f"p{self._n}.{self.id}@example.com",
            display_name=f"Person {self._n}",
            role_level=RoleLevel.INDIVIDUAL_CONTRIBUTOR,
            function=function,
            team_id=team.id,
            ai_adoption_date=adoption,
            ai_licence_date=adoption,
        )
        self.session.add(person)
        return person

    def item(
        self,
        person: Person,
        resolved: dt.datetime | None,
        days: float = 1.0,
        *,
        kind: str = ISSUE,
        started: bool = True,
        reopens: int = 0,
        reworks: int = 0,
        points: float | None = None,
        sprint: str | None = None,
        created: dt.datetime | None = None,
    ) -> WorkItem:
        """An item taking `days` from start (or creation) to resolution."""
        begin = (resolved or at(dt.date(2025, 1, 1))) - dt.timedelta(days=days)
        self._n += 1
        item = WorkItem(
            id=str(uuid.uuid4()),
            source="test",
            key=f"T-{self._n}",
            kind=kind,
            status="Done" if resolved else "In Progress",
            status_category=DONE if resolved else IN_PROGRESS,
            person_id=person.id,
            team_id=person.team_id,
            created_at=created or (begin - dt.timedelta(days=1) if started else begin),
            started_at=begin if started else None,
            resolved_at=resolved,
            story_points=points,
            sprint=sprint,
            reopen_count=reopens,
            rework_count=reworks,
            import_run_id=self.run.id,
        )
        self.session.add(item)
        return item

    def usage(self, person: Person, day: dt.date, app: str = "vscode") -> None:
        self.session.add(
            AiUsageDay(
                person_id=person.id,
                day=day,
                tool=GITHUB_COPILOT,
                app=app,
                interactions=3,
                import_run_id=self.run.id,
            )
        )
