"""Organisation-wide noisy roll-ups: each single-choice question released once per survey
with differential privacy, charged to the survey's budget."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.audit.models import NoisyRelease, PrivacyBudget
from gaplens.privacy import PrivacyPolicy, noisy_histogram
from gaplens.surveys.models import Survey, SurveyAnswer, SurveyResponse
from gaplens.surveys.question_bank import Scale
from gaplens.surveys.service import survey_questions

TOTAL_EPSILON = 1.0
EPSILON_PER_QUESTION = 0.1
SINGLE_CHOICE = (Scale.CHOICE, Scale.AGREE5)


class NoisyQuestion(BaseModel):
    status: str
    """'released', 'not_enough_responses' or 'budget_exhausted'."""
    epsilon: float | None = None
    counts: dict[str, int] | None = None


class RollupOut(BaseModel):
    survey: str
    total_epsilon: float
    spent_epsilon: float
    questions: dict[str, NoisyQuestion]
    method: str = (
        "Counts with discrete Laplace noise (OpenDP), scale 1/epsilon per single-choice "
        "histogram; each question is released once and reused, and the survey's total "
        "epsilon bounds what can ever be learnt about one respondent from these roll-ups."
    )


def noisy_rollup(session: Session, survey: Survey, policy: PrivacyPolicy) -> RollupOut:
    budget = session.get(PrivacyBudget, survey.id)
    if budget is None:
        budget = PrivacyBudget(survey_id=survey.id, total_epsilon=TOTAL_EPSILON, spent_epsilon=0.0)
        session.add(budget)
        session.flush()
    released = {
        r.question_key: r
        for r in session.scalars(select(NoisyRelease).where(NoisyRelease.survey_id == survey.id))
    }
    questions: dict[str, NoisyQuestion] = {}
    for question_id, entry in survey_questions(session, survey):
        if entry.scale not in SINGLE_CHOICE:
            continue
        if entry.key in released:
            r = released[entry.key]
            questions[entry.key] = NoisyQuestion(
                status="released", epsilon=r.epsilon, counts=r.counts
            )
            continue
        counts: dict[int, int] = {
            option: n
            for option, n in session.execute(
                select(SurveyAnswer.option_index, func.count())
                .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                .where(
                    SurveyResponse.survey_id == survey.id,
                    SurveyAnswer.question_id == question_id,
                    SurveyAnswer.option_index.is_not(None),
                )
                .group_by(SurveyAnswer.option_index)
            )
            if option is not None
        }
        if sum(counts.values()) < policy.min_group_size:
            questions[entry.key] = NoisyQuestion(status="not_enough_responses")
            continue
        if budget.spent_epsilon + EPSILON_PER_QUESTION > budget.total_epsilon + 1e-9:
            questions[entry.key] = NoisyQuestion(status="budget_exhausted")
            continue
        noisy = noisy_histogram(
            {option: counts.get(i, 0) for i, option in enumerate(entry.options)},
            EPSILON_PER_QUESTION,
        )
        budget.spent_epsilon += EPSILON_PER_QUESTION
        session.add(
            NoisyRelease(
                survey_id=survey.id,
                question_key=entry.key,
                epsilon=EPSILON_PER_QUESTION,
                counts=noisy,
            )
        )
        questions[entry.key] = NoisyQuestion(
            status="released", epsilon=EPSILON_PER_QUESTION, counts=noisy
        )
    session.flush()
    return RollupOut(
        survey=survey.name,
        total_epsilon=budget.total_epsilon,
        spent_epsilon=round(budget.spent_epsilon, 10),
        questions=questions,
    )
