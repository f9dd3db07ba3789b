"""Collecting answers online: open and single-use links, and storing one anonymous response.

Tokens are random and stored only as SHA-256 hashes. Using an invitation and storing the
response happen in one transaction, yet nothing written links the two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from gaplens.directory.models import Person, Team
from gaplens.errors import ProblemCollector
from gaplens.surveys.answers import AnswerParser, parse_bands
from gaplens.surveys.models import Survey, SurveyAnswer, SurveyLink, SurveyResponse
from gaplens.surveys.question_bank import BankEntry
from gaplens.surveys.service import survey_questions

OPEN = "open"
INVITATION = "invitation"


class LinkNotUsable(Exception):  # noqa: N818 - a state of the link, shown to the respondent
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class OpenSurvey:
    survey: Survey
    questions: list[tuple[int, BankEntry]]
    link_kind: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_open_link(session: Session, survey: Survey) -> str:
    """A new open link; any earlier open link for the survey stops working."""
    session.execute(
        delete(SurveyLink).where(SurveyLink.survey_id == survey.id, SurveyLink.kind == OPEN)
    )
    token = secrets.token_urlsafe(18)
    session.add(SurveyLink(token_hash=token_hash(token), survey_id=survey.id, kind=OPEN))
    session.flush()
    return token


def create_invitations(
    session: Session, survey: Survey, people: Sequence[Person]
) -> list[tuple[str, str]]:
    """One single-use token per person, returned once as (email, token) for the mail tool."""
    links = []
    for person in people:
        token = secrets.token_urlsafe(18)
        session.add(
            SurveyLink(
                token_hash=token_hash(token),
                survey_id=survey.id,
                kind=INVITATION,
                person_id=person.id,
            )
        )
        links.append((person.email, token))
    session.flush()
    return links


def open_survey(session: Session, token: str) -> OpenSurvey:
    if not token or len(token) > 100:
        raise LinkNotUsable("This survey link is not valid.", 404)
    link = session.get(SurveyLink, token_hash(token))
    if link is None:
        raise LinkNotUsable("This survey link is not valid or has been replaced.", 404)
    if link.used:
        raise LinkNotUsable("This invitation has already been used. Thank you for answering.", 410)
    survey = session.get(Survey, link.survey_id)
    assert survey is not None
    return OpenSurvey(survey, survey_questions(session, survey), link.kind)


def submit_response(
    session: Session, token: str, values: Mapping[str, str], today: dt.date | None = None
) -> None:
    """Validate everything, then use the link and store the response, or store nothing."""
    opened = open_survey(session, token)
    problems = ProblemCollector("answers")

    def get(field: str) -> str:
        return values.get(field, "")

    bands = parse_bands(get, problems, None)
    parser = AnswerParser({entry.key: entry for _, entry in opened.questions}, problems)
    answers = parser.answers(None, get, bands.role_level if bands else None)
    unknown = sorted(set(values) - {"role_level", "team", "function", "ai_tenure", *parser.keys})
    for field in unknown:
        problems.add("not a question of this survey", None, field)
    team_id = None
    if bands is not None and bands.team is not None:
        team_id = session.scalar(select(Team.id).where(Team.key == bands.team))
        if team_id is None:
            problems.add(f"unknown team '{bands.team}'", None, "team")
    problems.raise_if_any()
    assert bands is not None
    if opened.link_kind == INVITATION:
        used = session.execute(
            update(SurveyLink)
            .where(SurveyLink.token_hash == token_hash(token), SurveyLink.used.is_(False))
            .values(used=True)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkNotUsable("This invitation has already been used.", 410)
    response_id = secrets.token_hex(16)
    session.execute(
        insert(SurveyResponse).values(
            id=response_id,
            survey_id=opened.survey.id,
            answered_on=today or dt.date.today(),
            role_level=bands.role_level,
            team_id=team_id,
            function=bands.function,
            ai_tenure_band=bands.ai_tenure_band,
        )
    )
    ids = {entry.key: qid for qid, entry in opened.questions}
    if answers:
        session.execute(
            insert(SurveyAnswer),
            [
                {
                    "response_id": response_id,
                    "question_id": ids[a.question_key],
                    "ordinal": a.ordinal,
                    "option_index": a.option_index,
                    "number": a.number,
                    "text": a.text,
                }
                for a in answers
            ],
        )


def participation(session: Session, survey: Survey) -> tuple[int, int]:
    """(invitations sent, invitations used): who answered is known, what they said is not."""
    links = session.execute(
        select(SurveyLink.used).where(
            SurveyLink.survey_id == survey.id, SurveyLink.kind == INVITATION
        )
    ).all()
    return len(links), sum(1 for (used,) in links if used)
