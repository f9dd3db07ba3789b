"""Small adversarial organisations written straight into a real database, for releases.

Responses go in as the importer would store them (bands and a day, random ids); teams form
a tree whose parents keep one or two direct members, and bands hold a single person, the
shapes a tracker attack feeds on.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Team
from gaplens.surveys.models import BankQuestion, SurveyAnswer, SurveyResponse
from gaplens.surveys.service import get_or_create_survey

ROLES = ("executive", "manager", "individual_contributor")
BANDS = ("none", "<1", "1-6", "6+")
IMPACT = ("high gains", "some gains", "no difference", "worse")
DAY = dt.date(2026, 9, 8)


@dataclass(frozen=True)
class Person:
    team: str
    role: str
    tenure: str | None
    impact: int | None
    """None: the question was skipped."""
    speedup: float | None = None
    day: dt.date = DAY


def make_teams(session: Session, tree: dict[str, str | None]) -> dict[str, int]:
    """Teams by key with their parent key (None for the root); returns ids by key."""
    org = session.scalars(select(Organisation)).first()
    if org is None:
        org = Organisation(name="Acme")
        session.add(org)
        session.flush()
    ids: dict[str, int] = {}
    for key, parent in tree.items():
        team = Team(
            organisation_id=org.id,
            key=key,
            name=key.title(),
            function="Engineering" if key.startswith("eng") else "Support",
            parent_id=None if parent is None else ids[parent],
        )
        session.add(team)
        session.flush()
        ids[key] = team.id
    return ids


def add_responses(session: Session, survey_name: str, people: list[Person]) -> list[str]:
    survey, _ = get_or_create_survey(session, survey_name)
    teams = dict(session.execute(select(Team.key, Team.id)).all())
    functions = dict(session.execute(select(Team.key, Team.function)).all())
    questions = dict(session.execute(select(BankQuestion.key, BankQuestion.id)).all())
    ids = []
    for person in people:
        rid = secrets.token_hex(16)
        ids.append(rid)
        session.add(
            SurveyResponse(
                id=rid,
                survey_id=survey.id,
                answered_on=person.day,
                role_level=person.role,
                team_id=teams[person.team],
                function=functions[person.team],
                ai_tenure_band=person.tenure,
            )
        )
        session.flush()
        if person.impact is not None:
            session.add(
                SurveyAnswer(
                    response_id=rid,
                    question_id=questions["productivity_impact"],
                    ordinal=0,
                    option_index=person.impact,
                )
            )
        if person.speedup is not None:
            session.add(
                SurveyAnswer(
                    response_id=rid,
                    question_id=questions["perceived_speedup"],
                    ordinal=0,
                    number=person.speedup,
                )
            )
    session.flush()
    return ids


NESTED = {
    "acme": None,
    "eng": "acme",
    "eng-payments": "eng",
    "eng-ledger": "eng",
    "support": "acme",
}


def adversarial_people(seed: int) -> list[Person]:
    """Parents with one or two direct members, children of 5-9, a band of one, mixed roles,
    and questions some people skip (a class's skippers must not become a group of their own)."""
    rng = random.Random(seed)
    people = []
    for team, size in (
        ("acme", rng.choice((1, 2))),
        ("eng", rng.choice((1, 2))),
        ("eng-payments", rng.randint(5, 9)),
        ("eng-ledger", rng.randint(3, 9)),
        ("support", rng.randint(6, 14)),
    ):
        for _ in range(size):
            role = rng.choices(ROLES, weights=(1, 2, 6))[0]
            tenure = rng.choice(BANDS)
            impact = rng.randrange(4) if rng.random() > 0.2 else None  # some skip it
            speedup = rng.uniform(-40, 60) if rng.random() > 0.3 else None
            people.append(Person(team, role, tenure, impact, speedup))
    # a band holding one person, and a whole team answering alike
    people.append(Person("support", "individual_contributor", "6+", 0, 12.0))
    return people
