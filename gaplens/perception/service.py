"""Perception figures for a survey: database aggregates in, gate-cleared figures out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.service import record, staff_gate
from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.perception.figures import (
    EVERYONE,
    GROUP_ORDER,
    ROLE_ORDER,
    question_figures,
    released_question_figures,
)
from gaplens.perception.filters import (
    PopulationFilter,
    conditions,
    respondents_by_role,
    validate,
)
from gaplens.perception.queries import QuestionAggregate, SurveyAggregate, aggregate_survey
from gaplens.privacy import PrivacyGate, PrivacyPolicy, SuppressionReason
from gaplens.releases.queries import SurveyRelease, cell_predicate, latest_survey_release
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


@dataclass(frozen=True)
class ReleasedPerception:
    """What every viewer sees for one survey and population: read from the latest release."""

    survey: Survey
    release: SurveyRelease | None
    respondents: int | None
    figures: dict[str, QuestionFigures]
    note: str | None


def released_perception(
    session: Session,
    survey: Survey,
    population: PopulationFilter | None = None,
    *,
    only: frozenset[str] | None = None,
    release: SurveyRelease | None = None,
) -> ReleasedPerception:
    """Figures for a population from the survey's latest release; no response is read.

    `only` limits the questions computed; `release` lends one already loaded (a report
    reads many scopes of one release). A period within a pulse is not a released dimension
    (a day would single out whoever answered on it), so a from/to is accepted and snaps to
    the whole pulse, which is said.
    """
    population = population or PopulationFilter()
    validate(population)
    release = release or latest_survey_release(session, survey)
    note = None
    if population.period_from or population.period_to:
        note = "Periods within a pulse are not published: these figures cover the whole pulse."
    if release is None:
        return ReleasedPerception(survey, None, None, {}, note)
    team = team_id_of(session, population.team) if population.team else None
    predicates = {
        group: cell_predicate(
            release.tree,
            team=team,
            function=population.function,
            tenure=population.ai_tenure,
            role=None if group == EVERYONE else group,
        )
        for group in GROUP_ORDER
    }
    figures: dict[str, QuestionFigures] = {}
    for _, entry in survey_questions(session, survey):
        if entry.scale is Scale.TEXT or entry.key in ATTRIBUTE_QUESTIONS:
            continue
        if only is not None and entry.key not in only:
            continue
        cells = {group: release.answers(entry.key, inside) for group, inside in predicates.items()}
        figures[entry.key] = released_question_figures(entry, cells, release.min_group_size)
    total = release.respondents(predicates[EVERYONE])
    return ReleasedPerception(survey, release, total or None, figures, note)


def team_id_of(session: Session, key: str) -> int:
    found = session.scalar(select(Team.id).where(Team.key == key))
    if found is None:
        raise InputError.single(f"unknown team '{key}'", "team")
    return found


def viewer_released_perception(
    session: Session,
    viewer: str,
    survey_name: str | None,
    population: PopulationFilter,
) -> ReleasedPerception:
    """The released figures, with the view written to the audit log (who looked at what)."""
    survey = find_survey(session, survey_name)
    result = released_perception(session, survey, population)
    record(session, viewer, "view_perception", survey.name, {"filters": population.describe()})
    return result
