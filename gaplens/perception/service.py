"""Perception figures for a survey: database aggregates in, gate-cleared figures out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaplens.perception.figures import question_figures
from gaplens.perception.queries import QuestionAggregate, SurveyAggregate, aggregate_survey
from gaplens.privacy import PrivacyPolicy
from gaplens.report.schemas import QuestionFigures
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import Scale
from gaplens.surveys.service import survey_questions


def perception_figures(
    session: Session, survey: Survey, policy: PrivacyPolicy
) -> tuple[SurveyAggregate, dict[str, QuestionFigures]]:
    aggregate = aggregate_survey(session, survey.id)
    figures: dict[str, QuestionFigures] = {}
    for question_id, entry in survey_questions(session, survey):
        if entry.scale is Scale.TEXT:
            continue
        data = aggregate.questions.get(question_id, QuestionAggregate())
        if entry.key == "ai_tenure":
            continue
        figures[entry.key] = question_figures(entry, data, policy)
    return aggregate, figures
