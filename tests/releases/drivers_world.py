"""Survey worlds with planted drivers of perceived gains, written as the importer stores them."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.surveys.models import BankQuestion, SurveyAnswer, SurveyResponse
from gaplens.surveys.service import get_or_create_survey
from tests.releases.world import DAY, make_teams

SENTIMENT = ("copilot_quality", "copilot_effort", "copilot_speed", "copilot_productivity")
TENURES = ("none", "<1", "1-6", "6+")
TREE = {"acme": None, "eng": "acme", "eng-core": "eng", "eng-data": "eng", "support": "acme"}


@dataclass(frozen=True)
class Answers:
    team: str
    tenure: str
    role: str = "individual_contributor"
    options: dict[str, int] = field(default_factory=dict)
    """Single-choice and agree-scale answers by question key (option index)."""
    tools: frozenset[int] = frozenset({0})


def write(session: Session, survey_name: str, people: list[Answers]) -> None:
    survey, _ = get_or_create_survey(session, survey_name)
    teams = dict(session.execute(select(Team.key, Team.id)).all())
    functions = dict(session.execute(select(Team.key, Team.function)).all())
    questions = dict(session.execute(select(BankQuestion.key, BankQuestion.id)).all())
    for person in people:
        rid = secrets.token_hex(16)
        session.add(
            SurveyResponse(
                id=rid,
                survey_id=survey.id,
                answered_on=DAY,
                role_level=person.role,
                team_id=teams[person.team],
                function=functions[person.team],
                ai_tenure_band=person.tenure,
            )
        )
        session.flush()
        rows = [
            SurveyAnswer(response_id=rid, question_id=questions[key], ordinal=0, option_index=v)
            for key, v in person.options.items()
        ]
        rows += [
            SurveyAnswer(
                response_id=rid, question_id=questions["shadow_tools"], ordinal=o, option_index=o
            )
            for o in sorted(person.tools)
        ]
        session.add_all(rows)
    session.flush()


def planted_person(rng: random.Random, team: str, involvement_effect: float = 1.0) -> Answers:
    """Perceived gains follow involvement strongly; shadow AI, tenure and clarity are
    planted with no effect at all (they are drawn apart from the gains)."""
    involvement = rng.randrange(5)
    clarity = rng.choice((0, 1, 2))
    tenure = rng.choice(TENURES)
    shadow = rng.random() < 0.4
    level = 2 + involvement_effect * (involvement - 2) + rng.gauss(0, 0.8)
    options = {key: min(4, max(0, round(level + rng.gauss(0, 0.5)))) for key in SENTIMENT}
    options["decision_involvement"] = involvement
    options["job_security_clarity"] = clarity
    return Answers(team, tenure, options=options, tools=frozenset({0, 1} if shadow else {0}))


def setup(session: Session) -> None:
    make_teams(session, TREE)
