"""SQL for the job-security-clarity trend: the pulses of a series and their answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.surveys.models import (
    BankQuestion,
    Survey,
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
