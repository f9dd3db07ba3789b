"""The directory as pages and commands read it: plain values, never the table rows, so
adapters need no `models` import (issue 12)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.errors import InputError


class TeamOption(NamedTuple):
    """A team as a form offers it; a tuple, so templates may unpack `key, name, function`."""

    key: str
    name: str
    function: str | None


def team_options(session: Session) -> list[TeamOption]:
    """Every team, by name."""
    rows = session.execute(select(Team.key, Team.name, Team.function).order_by(Team.name))
    return [TeamOption(key, name, function) for key, name, function in rows]


def team_choices(session: Session) -> list[tuple[str, str]]:
    """(key, name) of every team, by name."""
    return [(t.key, t.name) for t in team_options(session)]


def organisation_id(session: Session) -> int | None:
    """The database's one organisation (the first, should there be more); None before any
    directory import."""
    return session.scalars(select(Organisation.id).order_by(Organisation.id)).first()


def team_id_of(session: Session, key: str) -> int | None:
    """The id of the team `key`, or None if no team has that key."""
    return session.scalar(select(Team.id).where(Team.key == key))


def person_functions(session: Session) -> list[str]:
    """The functions people of the directory name, sorted."""
    return sorted({f for f in session.scalars(select(Person.function).distinct()) if f})


def team_subtree(session: Session, key: str) -> list[int]:
    """The ids of team `key` and every team below it (an unknown key is an input error)."""
    teams = session.execute(select(Team.id, Team.key, Team.parent_id)).all()
    by_key = {team_key: team_id for team_id, team_key, _ in teams}
    if key not in by_key:
        raise InputError.single(f"unknown team '{key}'", "team")
    children: dict[int | None, list[int]] = {}
    for team_id, _, parent_id in teams:
        children.setdefault(parent_id, []).append(team_id)
    found, stack = [], [by_key[key]]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def people_to_invite(session: Session, team: str | None) -> list[Person]:
    """Everyone active in the directory, or in one team and the teams below it, by email:
    whom `survey invite` / `tasks invite` send a link to (none is an input error). A person
    the identity provider deactivated (SCIM) gets no more links."""
    query = select(Person).where(Person.active.is_(True)).order_by(Person.email)
    if team:
        query = query.where(Person.team_id.in_(team_subtree(session, team)))
    people = list(session.scalars(query))
    if not people:
        raise InputError.single("no people to invite (import people first)", "--team")
    return people
