"""SQL for the job-security-clarity trend: the pulses of a series and their answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.surveys.models import (
    BankQuestion,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)

QUESTION = "job_security_clarity"
YES = "yes"


@dataclass(frozen=True)
class Pulse:
    survey_id: int
    name: str
    first_day: dt.date
    last_day: dt.date


@dataclass(frozen=True)
class ClarityAnswer:
    """One anonymous response's answer: its (salted) id, bands and whether it said yes."""

    response_id: str
    role_level: str
    team_id: int | None
    function: str | None
    yes: bool


def pulses(session: Session, survey: Survey, end: dt.date) -> list[Pulse]:
    """The survey's series (or the survey alone) with answers, first answered on or before
    `end`, oldest first."""
    days = (
        select(
            SurveyResponse.survey_id,
            func.min(SurveyResponse.answered_on).label("first"),
            func.max(SurveyResponse.answered_on).label("last"),
        )
        .group_by(SurveyResponse.survey_id)
        .subquery()
    )
    same = Survey.series == survey.series if survey.series else Survey.id == survey.id
    rows = session.execute(
        select(Survey.id, Survey.name, days.c.first, days.c.last)
        .join(days, days.c.survey_id == Survey.id)
        .where(same, days.c.first <= end)
    ).all()
    found = [Pulse(sid, name, first, last) for sid, name, first, last in rows]
    return sorted(found, key=lambda p: (p.first_day, p.survey_id))


def clarity_answers(session: Session, survey_id: int) -> list[ClarityAnswer]:
    """Every answer to the job-security-clarity question in one survey."""
    options = {
        question_id: choices
        for question_id, choices in session.execute(
            select(BankQuestion.id, BankQuestion.options).where(BankQuestion.key == QUESTION)
        )
    }
    if not options:
        return []
    rows = session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.role_level,
            SurveyResponse.team_id,
            SurveyResponse.function,
            SurveyAnswer.question_id,
            SurveyAnswer.option_index,
        )
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .where(
            SurveyResponse.survey_id == survey_id,
            SurveyAnswer.question_id.in_(list(options)),
            SurveyAnswer.option_index.is_not(None),
        )
    )
    answers = []
    for response_id, role, team_id, function, question_id, option in rows:
        if option is None:
            continue
        choices = options[question_id]
        said = choices[option] if 0 <= option < len(choices) else None
        answers.append(ClarityAnswer(response_id, role, team_id, function, said == YES))
    return answers


def asks_clarity(session: Session, survey_id: int) -> bool:
    return (
        session.scalar(
            select(SurveyQuestion.id)
            .join(BankQuestion, BankQuestion.id == SurveyQuestion.question_id)
            .where(SurveyQuestion.survey_id == survey_id, BankQuestion.key == QUESTION)
            .limit(1)
        )
        is not None
    )
