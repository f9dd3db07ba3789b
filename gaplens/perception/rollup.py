"""Reading the organisation-wide noisy roll-ups (privacy rule 7), built when a survey closes
(gaplens/releases/noisy.py). Nothing here reads an answer."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.models import NoisyRelease, PrivacyBudget
from gaplens.releases.noisy import SINGLE_CHOICE, TOTAL_EPSILON
from gaplens.surveys.models import Survey
from gaplens.surveys.service import survey_questions


class NoisyQuestion(BaseModel):
    status: str
    """'released', 'at_close' (the survey is still open), 'not_enough_responses' or
    'budget_exhausted'."""
    epsilon: float | None = None
    counts: dict[str, int] | None = None


class RollupOut(BaseModel):
    survey: str
    total_epsilon: float
    spent_epsilon: float
    questions: dict[str, NoisyQuestion]
    method: str = (
        "Counts with discrete Laplace noise (OpenDP), scale 1/epsilon per single-choice "
        "histogram, released once when the survey closes and reused; the survey's total "
        "epsilon bounds what can ever be learnt about one respondent from these roll-ups. "
        "Once the budget is spent, every question not yet released says budget_exhausted."
    )


def noisy_rollup(session: Session, survey: Survey) -> RollupOut:
    """The survey's released roll-ups: the same numbers for every viewer and every read."""
    budget = session.get(PrivacyBudget, survey.id)
    total = budget.total_epsilon if budget else TOTAL_EPSILON
    spent = budget.spent_epsilon if budget else 0.0
    released = {
        r.question_key: r
        for r in session.scalars(select(NoisyRelease).where(NoisyRelease.survey_id == survey.id))
    }
    questions: dict[str, NoisyQuestion] = {}
    for _, entry in survey_questions(session, survey):
        if entry.scale not in SINGLE_CHOICE:
            continue
        row = released.get(entry.key)
        if row is not None and row.epsilon > 0:
            status = NoisyQuestion(status="released", epsilon=row.epsilon, counts=row.counts)
        elif row is not None:
            status = NoisyQuestion(status="not_enough_responses")
        elif survey.closed_on is None:
            status = NoisyQuestion(status="at_close")
        else:
            status = NoisyQuestion(status="budget_exhausted")
        questions[entry.key] = status
    return RollupOut(
        survey=survey.name,
        total_epsilon=total,
        spent_epsilon=round(spent, 10),
        questions=questions,
    )
