"""Small adversarial task-map rounds written straight into a real database, for releases.

Respondents go in as the importer stores them (bands and a day, random ids, every catalogue
task of their function answered); teams form a tree whose parents keep one or two direct
respondents, and one function has a single respondent: the shapes a tracker attack feeds on.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.tasks.models import STANCES, RoundTask, TaskAnswer, TaskResponse, TaskRound
from gaplens.tasks.service import get_or_create_round
from tests.releases.world import make_teams

ROUND = "Task map"
DAY = dt.date(2026, 9, 8)
TASKS = {
    "Engineering": ("boilerplate", "tests", "design"),
    "Support": ("triage", "calls"),
    "Legal": ("contracts",),
}
TREE = {
    "acme": None,
    "eng": "acme",
    "eng-payments": "eng",
    "eng-ledger": "eng",
    "support": "acme",
    "legal": "acme",
}


@dataclass(frozen=True)
class Answer:
    stance: str
    hours: float
    judgement: int


@dataclass(frozen=True)
class Respondent:
    team: str
    function: str
    answers: dict[str, Answer]
    free: dict[str, Answer] = field(default_factory=dict)
    day: dt.date = DAY


def setup_round(session: Session) -> TaskRound:
    """The team tree (functions by key prefix; 'legal' is Legal) and a round asking TASKS."""
    make_teams(session, TREE)
    for team in session.scalars(select(Team).where(Team.key == "legal")):
        team.function = "Legal"
    round_, _ = get_or_create_round(session, ROUND)
    for function, keys in TASKS.items():
        for position, key in enumerate(keys):
            session.add(
                RoundTask(
                    round_id=round_.id,
                    function=function,
                    key=key,
                    label=key.title(),
                    judgement_hint=None,
                    use_cases=[],
                    metrics=[],
                    position=position,
                )
            )
    session.flush()
    return round_


def add_respondents(session: Session, people: list[Respondent]) -> list[str]:
    round_ = session.scalars(select(TaskRound).where(TaskRound.name == ROUND)).one()
    teams = dict(session.execute(select(Team.key, Team.id)).all())
    ids = []
    for person in people:
        rid = secrets.token_hex(16)
        ids.append(rid)
        session.add(
            TaskResponse(
                id=rid,
                round_id=round_.id,
                answered_on=person.day,
                role_level="individual_contributor",
                team_id=teams[person.team],
                function=person.function,
            )
        )
        session.flush()
        ordinal = 0
        for key, answer in person.answers.items():
            session.add(TaskAnswer(response_id=rid, ordinal=ordinal, task_key=key,
                                   free_label=None, stance=answer.stance,
                                   hours_lost=answer.hours, judgement=answer.judgement))  # fmt: skip
            ordinal += 1
        for label, answer in person.free.items():
            session.add(TaskAnswer(response_id=rid, ordinal=ordinal, task_key=None,
                                   free_label=label, stance=answer.stance,
                                   hours_lost=answer.hours, judgement=answer.judgement))  # fmt: skip
            ordinal += 1
    session.flush()
    return ids


def random_answer(rng: random.Random) -> Answer:
    return Answer(rng.choice(STANCES), round(rng.uniform(0, 12), 1), rng.randint(1, 5))


def person(
    rng: random.Random, team: str, free: tuple[str, ...] = (), day: dt.date = DAY
) -> Respondent:
    function = {"eng": "Engineering", "sup": "Support", "leg": "Legal", "acm": "Support"}[team[:3]]
    return Respondent(
        team,
        function,
        {key: random_answer(rng) for key in TASKS[function]},
        {label: random_answer(rng) for label in free},
        day,
    )


def adversarial_people(seed: int) -> list[Respondent]:
    """Parents with one or two direct respondents, children of 3-9, a function (Legal) with
    one respondent, a handful naming the same free task."""
    rng = random.Random(seed)
    people = []
    for team, size in (
        ("acme", rng.choice((1, 2))),
        ("eng", rng.choice((1, 2))),
        ("eng-payments", rng.randint(5, 9)),
        ("eng-ledger", rng.randint(3, 9)),
        ("support", rng.randint(6, 16)),
        ("legal", 1),
    ):
        for n in range(size):
            free = ("Expense reports",) if n % 2 == 0 and team.startswith("support") else ()
            people.append(person(rng, team, free))
    return people
