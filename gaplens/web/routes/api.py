"""The JSON API (/api/v1): aggregates only, for signed-in staff, every response gate-cleared."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gaplens.audit.service import record
from gaplens.perception.rollup import RollupOut, noisy_rollup
from gaplens.perception.service import viewer_released_perception
from gaplens.perception.trend import TrendOut, viewer_released_trend
from gaplens.releases.queries import survey_summaries
from gaplens.report.schemas import QuestionFigures
from gaplens.shadow.schemas import ShadowAiOut
from gaplens.shadow.service import viewer_shadow_ai
from gaplens.surveys.schemas import SurveySummary
from gaplens.surveys.service import find_survey
from gaplens.web.deps import AnyStaff, DbSession, Policy
from gaplens.web.routes.filters import Population

router = APIRouter(prefix="/api/v1", tags=["api"])


class Me(BaseModel):
    email: str
    display_name: str
    role: str


class PerceptionOut(BaseModel):
    survey: str
    filters: str
    respondents: int | None
    """Responses in the published groups inside this population; None when none are."""
    release: int | None
    """Which release of the survey the figures come from (None: nothing released yet)."""
    released_through: dt.date | None
    """The release holds answers up to the end of the week of its latest one (never the day
    of one person's answer)."""
    note: str | None
    questions: dict[str, QuestionFigures]


@router.get("/me")
def me(viewer: AnyStaff) -> Me:
    return Me(email=viewer.email, display_name=viewer.display_name, role=viewer.role.value)


@router.get("/surveys")
def surveys(viewer: AnyStaff, session: DbSession) -> list[SurveySummary]:
    """Surveys with their released response count: it moves only when a release is built,
    in steps that cannot single out one response."""
    return survey_summaries(session)


@router.get("/trend")
def trend(
    viewer: AnyStaff,
    session: DbSession,
    series: Annotated[str, Query(max_length=200, description="Series of survey pulses")],
) -> TrendOut:
    """The leader-frontline gap per team across the pulses of a series, and whether it is
    widening beyond noise. Team-pulse cells too small or too close to a view already seen
    by this viewer carry a status instead of a number."""
    return viewer_released_trend(session, viewer.audit_key, series)


@router.get("/shadow-ai")
def shadow_ai_view(
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> ShadowAiOut:
    """Unsanctioned AI tools by function: how many use them, for what and why (bank v2)."""
    return viewer_shadow_ai(session, viewer.audit_key, survey, policy)


@router.get("/rollup")
def rollup(
    viewer: AnyStaff,
    session: DbSession,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> RollupOut:
    """Organisation-wide answer counts with differential-privacy noise (rule 7), each question
    released once, when the survey closes, within its epsilon budget."""
    found = find_survey(session, survey)
    result = noisy_rollup(session, found)
    record(session, viewer.audit_key, "view_rollup", found.name)
    return result


@router.get("/perception")
def perception(
    viewer: AnyStaff,
    session: DbSession,
    population: Population,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> PerceptionOut:
    """Figures by role level for the survey (default: the latest), optionally narrowed by at
    most two declared filters, read from the survey's latest release: every viewer gets the
    same figures, and a group that could not be published says why."""
    found = viewer_released_perception(session, viewer.audit_key, survey, population)
    release = found.release
    return PerceptionOut(
        survey=found.survey.name,
        filters=population.describe(),
        respondents=found.respondents,
        release=None if release is None else release.seq,
        released_through=None if release is None else release.answers_through,
        note=found.note,
        questions=found.figures,
    )
