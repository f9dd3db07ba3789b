"""Perception figures for a survey: database aggregates in, gate-cleared figures out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.figures import QuestionFigures
from gaplens.perception.figures import (
    EVERYONE,
    GROUP_ORDER,
    released_question_figures,
)
from gaplens.perception.filters import PopulationFilter, validate
from gaplens.releases.queries import SurveyRelease, cell_predicate, latest_survey_release
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import ATTRIBUTE_QUESTIONS, Scale
from gaplens.surveys.service import find_survey, survey_questions


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
