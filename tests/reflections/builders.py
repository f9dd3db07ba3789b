"""A small organisation with training completions and AI usage, through the real importers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.service import import_people, import_teams
from gaplens.mapped.service import import_mapped_csv
from tests.files import TEAMS, person, write_csv

TRAINING_MAPPING = """
target = "training"
source = "learning-platform"
identity = "email"

[columns]
person = "Learner Email"
name = "Course"
completed_on = "Completed On"
"""
USAGE_MAPPING = """
target = "ai_usage"
source = "chat-assistant"
identity = "email"

[columns]
person = "User"
day = "Date"
"""
TRAINING_DAY = dt.date(2026, 3, 2)


def email(n: int) -> str:
    return f"person{n}@acme.example"


def directory(url: str, tmp_path: Path, engineers: int = 30, support: int = 20) -> None:
    """`engineers` people in eng-payments (Engineering), then `support` in support."""
    rows = [person(n) for n in range(engineers)]
    rows += [person(n, team="support") for n in range(engineers, engineers + support)]
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    people = write_csv(tmp_path / "people.csv", rows)
    with session_scope(url) as session:
        import_teams(session, teams, "Acme")
        import_people(session, people)


def training(url: str, tmp_path: Path, people: Iterable[int], day: dt.date = TRAINING_DAY) -> None:
    path = write_csv(
        tmp_path / f"training-{day}.csv",
        [
            {"Learner Email": email(n), "Course": "AI basics", "Completed On": str(day)}
            for n in people
        ],
        ["Learner Email", "Course", "Completed On"],
    )
    mapping = tmp_path / "training.toml"
    mapping.write_text(TRAINING_MAPPING)
    with session_scope(url) as session:
        import_mapped_csv(session, path, mapping)


def usage(
    url: str, tmp_path: Path, days: dict[int, Iterable[dt.date]], name: str = "usage"
) -> None:
    rows = [{"User": email(n), "Date": str(day)} for n, ds in days.items() for day in ds]
    path = write_csv(tmp_path / f"{name}.csv", rows, ["User", "Date"])
    mapping = tmp_path / "usage.toml"
    mapping.write_text(USAGE_MAPPING)
    with session_scope(url) as session:
        import_mapped_csv(session, path, mapping)


def person_ids(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        return dict(session.execute(select(Person.email, Person.id)).all())
