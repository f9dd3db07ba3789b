"""Directory imports. Functions take a session and never commit: the caller's scope does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gaplens.connectors.directory_csv import PersonRecord, TeamRecord, read_people, read_teams
from gaplens.directory.models import Identity, Organisation, Person, Team
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import InputError, ProblemCollector
from gaplens.imports.service import record_import

PERSON_NAMESPACE = uuid.UUID("6f1c1a52-4a8e-4b7e-9a53-2d9a1f3e7c10")
DEFAULT_ORGANISATION = "Organisation"


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    source: str
    rows: int
    created: int
    updated: int
    unchanged: int

    def describe(self) -> str:
        return (
            f"{self.rows} {self.kind} read from {self.source}: {self.created} new, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


def person_id(email: str) -> str:
    """Deterministic, so a re-import of the same person matches the row it made."""
    return str(uuid.uuid5(PERSON_NAMESPACE, email.strip().lower()))


def ensure_organisation(session: Session, name: str | None = None) -> Organisation:
    """gaplens holds one organisation per database; the first import names it."""
    existing = session.scalars(select(Organisation).order_by(Organisation.id)).first()
    if existing is not None:
        if name and existing.name != name:
            existing.name = name
        return existing
    organisation = Organisation(name=name or DEFAULT_ORGANISATION)
    session.add(organisation)
    session.flush()
    return organisation


def import_teams(session: Session, path: Path, organisation: str | None = None) -> ImportSummary:
    problems = ProblemCollector(path.name)
    records = read_teams(path, problems)
    problems.raise_if_any()
    created, updated, unchanged = apply_teams(session, records, problems, organisation)
    record_import(session, "teams", path, rows_read=len(records), rows_written=created + updated)
    return ImportSummary("teams", path.name, len(records), created, updated, unchanged)


def apply_teams(
    session: Session,
    records: list[TeamRecord],
    problems: ProblemCollector,
    organisation: str | None = None,
) -> tuple[int, int, int]:
    """Check `records` (parents known, no cycle), then write them: (created, updated,
    unchanged). Every source of teams takes this path (the CSV import, SCIM groups)."""
    org = ensure_organisation(session, organisation)
    existing = {
        t.key: t for t in session.scalars(select(Team).where(Team.organisation_id == org.id))
    }
    in_file = {r.key: r for r in records}
    _check_team_references(records, in_file, existing, problems)
    problems.raise_if_any()

    teams: dict[str, Team] = dict(existing)
    changed: set[str] = set()
    for record in records:
        team = teams.get(record.key)
        if team is None:
            team = Team(organisation_id=org.id, key=record.key, name=record.name)
            session.add(team)
            teams[record.key] = team
        if team.name != record.name or team.function != record.function:
            team.name, team.function = record.name, record.function
            changed.add(record.key)
    session.flush()
    for record in records:
        team = teams[record.key]
        parent_id = teams[record.parent].id if record.parent else None
        if team.parent_id != parent_id:
            team.parent_id = parent_id
            changed.add(record.key)
    session.flush()
    created = sum(1 for r in records if r.key not in existing)
    updated = sum(1 for key in changed if key in existing)
    return created, updated, len(records) - created - updated


def _check_team_references(
    records: list[TeamRecord],
    in_file: dict[str, TeamRecord],
    existing: dict[str, Team],
    problems: ProblemCollector,
) -> None:
    parent_of: dict[str, str | None] = {}
    existing_by_id = {t.id: t for t in existing.values()}
    for key, team in existing.items():
        parent = existing_by_id.get(team.parent_id) if team.parent_id else None
        parent_of[key] = parent.key if parent else None
    for record in records:
        parent_of[record.key] = record.parent
        if record.parent and record.parent not in in_file and record.parent not in existing:
            problems.add(f"unknown parent team '{record.parent}'", record.row, "parent")
    for record in records:
        seen = {record.key}
        current = parent_of.get(record.key)
        while current is not None:
            if current in seen:
                problems.add(f"team '{record.key}' is part of a parent cycle", record.row, "parent")
                break
            seen.add(current)
            current = parent_of.get(current)


def import_people(session: Session, path: Path) -> ImportSummary:
    problems = ProblemCollector(path.name)
    records = read_people(path, problems)
    problems.raise_if_any()
    created, updated, unchanged = apply_people(session, records, problems)
    record_import(session, "people", path, rows_read=len(records), rows_written=created + updated)
    return ImportSummary("people", path.name, len(records), created, updated, unchanged)


def apply_people(
    session: Session, records: list[PersonRecord], problems: ProblemCollector
) -> tuple[int, int, int]:
    """Check `records` against the directory (teams, identities, dates), then write them:
    (created, updated, unchanged). The one path every source of people takes (the CSV
    import, SCIM), so they follow the same rules; raises InputError and writes nothing if
    any record is wrong."""
    org = ensure_organisation(session)
    teams = {t.key: t for t in session.scalars(select(Team).where(Team.organisation_id == org.id))}
    # Matched by email (unique): a person whose address the identity provider changed keeps
    # their row and id; a new person's id is derived from their email.
    emails = [r.email for r in records]
    existing = {
        p.email: p
        for start in range(0, len(emails), 500)
        for p in session.scalars(
            select(Person).where(Person.email.in_(emails[start : start + 500]))
        )
    }
    ids = {e: existing[e].id if e in existing else person_id(e) for e in emails}
    _check_people_references(session, records, teams, problems, ids)
    problems.raise_if_any()

    created = updated = unchanged = 0
    for record in records:
        team = teams[record.team]
        values = {
            "organisation_id": org.id,
            "email": record.email,
            "display_name": record.name,
            "role_level": record.role_level,
            "function": record.function or team.function or "Unspecified",
            "team_id": team.id,
            "ai_licence_date": record.ai_licence_date,
            "ai_adoption_date": record.ai_adoption_date,
        }
        if record.sets_language:
            values["language"] = record.language
        pid = ids[record.email]
        person = existing.get(record.email)
        if person is None:
            session.add(Person(id=pid, **values))
            created += 1
        elif any(getattr(person, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(person, name, value)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    _replace_identities(session, records, ids)
    return created, updated, unchanged


def _check_people_references(
    session: Session,
    records: list[PersonRecord],
    teams: dict[str, Team],
    problems: ProblemCollector,
    ids: dict[str, str],
) -> None:
    owners: dict[tuple[IdentityKind, str], str] = {
        (i.kind, i.value): i.person_id for i in session.scalars(select(Identity))
    }
    claimed: dict[tuple[IdentityKind, str], int] = {}
    for record in records:
        if record.team not in teams:
            problems.add(f"unknown team '{record.team}' (import teams first)", record.row, "team")
        pid = ids[record.email]
        for kind, column, value in _identities(record):
            if kind is IdentityKind.EMAIL:
                continue
            key = (kind, value.lower())
            if key in claimed:
                problems.add(
                    f"'{value}' is already given to the person in row {claimed[key]}",
                    record.row,
                    column,
                )
            elif owners.get(key, pid) != pid:
                problems.add(f"'{value}' already belongs to another person", record.row, column)
            claimed[key] = record.row
        if (
            record.ai_licence_date
            and record.ai_adoption_date
            and record.ai_adoption_date < record.ai_licence_date
        ):
            problems.add("adoption date is before the licence date", record.row, "ai_adoption_date")


def _identities(record: PersonRecord) -> list[tuple[IdentityKind, str, str]]:
    found = [(IdentityKind.EMAIL, "email", record.email)]
    if record.github_login:
        found.append((IdentityKind.GITHUB, "github_login", record.github_login))
    if record.jira_account_id:
        found.append((IdentityKind.JIRA, "jira_account_id", record.jira_account_id))
    return found


def _replace_identities(
    session: Session, records: list[PersonRecord], ids_by_email: dict[str, str]
) -> None:
    ids = [ids_by_email[r.email] for r in records]
    for start in range(0, len(ids), 500):
        session.execute(delete(Identity).where(Identity.person_id.in_(ids[start : start + 500])))
    session.add_all(
        Identity(person_id=ids_by_email[r.email], kind=kind, value=value.lower())
        for r in records
        for kind, _column, value in _identities(r)
    )
    session.flush()


__all__ = [
    "ImportSummary",
    "InputError",
    "apply_people",
    "apply_teams",
    "import_people",
    "import_teams",
    "person_id",
]


def team_functions(session: Session) -> list[str]:
    """The functions the imported teams name, sorted: what a function scope may be."""
    names = session.scalars(select(Team.function).where(Team.function.is_not(None)).distinct())
    return sorted({name for name in names if name})


def check_function(session: Session, function: str | None, column: str = "function") -> None:
    """A function scope must name a function of the directory (None: the whole organisation)."""
    if function is None:
        return
    known = team_functions(session)
    if function not in known:
        shown = function if len(function) <= 40 else function[:39] + "…"
        raise InputError.single(
            f"unknown function '{shown}' (known: {', '.join(known) or 'none; import teams first'})",
            column=column,
        )


def scope_function(session: Session, function: str | None, team_id: int | None) -> str | None:
    """The function a report scope is about: its own, or that of its team."""
    if function is not None or team_id is None:
        return function
    team = session.get(Team, team_id)
    return team.function if team is not None else None
