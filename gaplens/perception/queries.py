"""SQL aggregates over survey responses, returned as plain data for the pure figure code.

Counts are grouped in the database so a report over a million responses moves only a few
hundred numbers into Python; individual answers leave the database only as numbers for
medians and as comment texts, both of which go straight through the privacy gate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from gaplens.surveys.models import SurveyAnswer, SurveyResponse


@dataclass
class QuestionAggregate:
    """Answers to one question, per role level."""

    respondents: dict[str, int] = field(default_factory=dict)
    option_counts: dict[str, dict[int, int]] = field(default_factory=dict)
    numbers: dict[str, list[float]] = field(default_factory=dict)
    texts: list[tuple[str, dt.date]] = field(default_factory=list)


@dataclass
class SurveyAggregate:
    responses_by_role: dict[str, int]
    questions: dict[int, QuestionAggregate]


def aggregate_survey(
    session: Session, survey_id: int, where: Sequence[ColumnElement[bool]] = ()
) -> SurveyAggregate:
    """Aggregates over the survey's responses, narrowed by `where` (declared filters only)."""
    response = SurveyResponse
    answer = SurveyAnswer
    of_survey = and_(response.survey_id == survey_id, *where)

    by_role = {
        role: n
        for role, n in session.execute(
            select(response.role_level, func.count()).where(of_survey).group_by(response.role_level)
        )
    }
    questions: dict[int, QuestionAggregate] = defaultdict(QuestionAggregate)
    joined = select().select_from(answer).join(response, response.id == answer.response_id)

    respondents = (
        joined.add_columns(
            answer.question_id, response.role_level, func.count(func.distinct(answer.response_id))
        )
        .where(of_survey)
        .group_by(answer.question_id, response.role_level)
    )
    for question_id, role, n in session.execute(respondents):
        questions[question_id].respondents[role] = n

    options = (
        joined.add_columns(
            answer.question_id, response.role_level, answer.option_index, func.count()
        )
        .where(of_survey, answer.option_index.is_not(None))
        .group_by(answer.question_id, response.role_level, answer.option_index)
    )
    for question_id, role, option, n in session.execute(options):
        assert option is not None
        questions[question_id].option_counts.setdefault(role, {})[option] = n

    numbers = joined.add_columns(answer.question_id, response.role_level, answer.number).where(
        of_survey, answer.number.is_not(None)
    )
    for question_id, role, value in session.execute(numbers):
        assert value is not None
        questions[question_id].numbers.setdefault(role, []).append(value)

    texts = joined.add_columns(answer.question_id, answer.text, response.answered_on).where(
        of_survey, answer.text.is_not(None)
    )
    for question_id, text, day in session.execute(texts):
        assert text is not None
        questions[question_id].texts.append((text, day))

    return SurveyAggregate(by_role, dict(questions))
