"""Building the noisy roll-up (privacy rule 7): organisation-wide single-choice histograms
with differential-privacy noise, released once per survey when it closes.

Released at close and never per request: a roll-up drawn while answers still arrive would
be frozen at whatever moment a first viewer asked. Each question spends `EPSILON_PER_QUESTION`
of the survey's budget once; its noisy counts are stored and every later read returns them.
"""

from __future__ import annotations

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


def survey_budget(session: Session, survey: Survey) -> PrivacyBudget:
    """The survey's budget row, granted (`TOTAL_EPSILON`) the first time it is needed."""
    budget = session.get(PrivacyBudget, survey.id)
    if budget is None:
        budget = PrivacyBudget(survey_id=survey.id, total_epsilon=TOTAL_EPSILON, spent_epsilon=0.0)
        session.add(budget)
        session.flush()
    return budget


def build_noisy_rollup(session: Session, survey: Survey, policy: PrivacyPolicy) -> int:
    """Release every single-choice question of a closed survey not released yet, while the
    budget lasts; a question with fewer than k answers is recorded as not released (epsilon
    0, no counts). Returns how many were released now (0 for an open survey)."""
    if survey.closed_on is None:
        return 0
    budget = survey_budget(session, survey)
    done = set(
        session.scalars(
            select(NoisyRelease.question_key).where(NoisyRelease.survey_id == survey.id)
        )
    )
    released = 0
    for question_id, entry in survey_questions(session, survey):
        if entry.scale not in SINGLE_CHOICE or entry.key in done:
            continue
        counts = _counts(session, survey, question_id)
        if sum(counts.values()) < policy.min_group_size:
            # Decided once, like a release: recorded as drawn with nothing spent or shown.
            session.add(
                NoisyRelease(survey_id=survey.id, question_key=entry.key, epsilon=0.0, counts={})
            )
            continue
        if budget.spent_epsilon + EPSILON_PER_QUESTION > budget.total_epsilon + 1e-9:
            continue  # budget spent: read as budget_exhausted
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
        released += 1
    session.flush()
    return released


def _counts(session: Session, survey: Survey, question_id: int) -> dict[int, int]:
    return {
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
