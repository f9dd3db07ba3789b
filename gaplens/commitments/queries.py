"""SQL for the job-security-clarity trend: the pulses of a series and their answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.releases.pulses import released_pulses
from gaplens.surveys.models import BankQuestion, Survey, SurveyQuestion

QUESTION = "job_security_clarity"
YES = "yes"


@dataclass(frozen=True)
class Pulse:
    survey_id: int
    name: str
    first_week: dt.date
    answers_through: dt.date


def pulses(session: Session, survey: Survey, end: dt.date) -> list[Pulse]:
    """The survey's series (or the survey alone) with a release whose first released week
    starts on or before `end`, oldest first; dated by releases only (`releases/pulses.py`),
    never by the day of one answer."""
    same = Survey.series == survey.series if survey.series else Survey.id == survey.id
    found = [
        Pulse(p.survey.id, p.survey.name, p.first_week, p.answers_through)
        for p in released_pulses(session, list(session.scalars(select(Survey).where(same))))
        if p.first_week <= end
    ]
    return sorted(found, key=lambda p: (p.first_week, p.survey_id))


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
