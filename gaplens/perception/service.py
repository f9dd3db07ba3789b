"""Perception figures for a survey: database aggregates in, gate-cleared figures out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaplens.audit.service import record, staff_gate
from gaplens.perception.figures import ROLE_ORDER, question_figures
from gaplens.perception.filters import PopulationFilter, conditions, respondents_by_role
from gaplens.perception.queries import QuestionAggregate, SurveyAggregate, aggregate_survey
from gaplens.privacy import PrivacyGate, PrivacyPolicy, SuppressionReason
from gaplens.report.schemas import QuestionFigures
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import ATTRIBUTE_QUESTIONS, Scale
from gaplens.surveys.service import find_survey, survey_questions


def perception_figures(
    session: Session,
    survey: Survey,
    policy: PrivacyPolicy,
    population: PopulationFilter | None = None,
    gate: PrivacyGate | None = None,
    viewer: str | None = None,
) -> tuple[SurveyAggregate, dict[str, QuestionFigures]]:
    """Figures for the whole survey, or for a filtered population seen by one viewer.

    A filtered view must name its viewer and gate: the population and each role level in it
    pass the per-viewer differencing check (which raises QueryRefused for a tracker query)
    before any figure is computed.
    """
    where = conditions(session, population) if population else []
    forced: dict[str, SuppressionReason] = {}
    if population is not None and population.active():
        if gate is None or viewer is None:
            raise ValueError("a filtered view needs the privacy gate and the viewer")
        cells = respondents_by_role(session, survey.id, where)
        parent = frozenset().union(*cells.values()) if cells else frozenset()
        decisions = gate.breakdown(
            viewer, parent, {r: cells.get(r, frozenset()) for r in ROLE_ORDER}
        )
        forced = {
            role: SuppressionReason.DIFFERENCING
            for role, decision in decisions.items()
            if decision.reason is SuppressionReason.DIFFERENCING
        }
    aggregate = aggregate_survey(session, survey.id, where)
    figures: dict[str, QuestionFigures] = {}
    for question_id, entry in survey_questions(session, survey):
        if entry.scale is Scale.TEXT or entry.key in ATTRIBUTE_QUESTIONS:
            continue
        data = aggregate.questions.get(question_id, QuestionAggregate())
        figures[entry.key] = question_figures(entry, data, policy, forced)
    return aggregate, figures


def viewer_perception(
    session: Session,
    viewer: str,
    survey_name: str | None,
    population: PopulationFilter,
    policy: PrivacyPolicy,
) -> tuple[Survey, SurveyAggregate, dict[str, QuestionFigures]]:
    """What one staff member may see: the gate remembers what they saw before (rule 3), and
    the view itself is written to the audit log."""
    survey = find_survey(session, survey_name)
    gate = staff_gate(session, policy)
    aggregate, figures = perception_figures(session, survey, policy, population, gate, viewer)
    record(session, viewer, "view_perception", survey.name, {"filters": population.describe()})
    return survey, aggregate, figures
