"""Measured reality over the API and pages: the metric registry, one metric's overview, the
adoption funnel. The same services (and registry) the report uses; every view is audited and
goes through the viewer's privacy gate (rule 3: a population within k of one already seen is
refused with 409)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import select

from gaplens.adoption.chart import funnel_chart
from gaplens.adoption.schemas import STAGES, AdoptionFunnel
from gaplens.adoption.service import adoption_funnel
from gaplens.audit.service import record, staff_gate
from gaplens.dates import RANGE_TEXT, PlausibleDay
from gaplens.directory.models import Organisation, Person, Team
from gaplens.metrics.registry import REGISTRY, UnknownMetricError, get_metric
from gaplens.metrics.schemas import MetricDefinition, MetricOverview, MetricScope
from gaplens.metrics.service import DEFAULT_WINDOW_DAYS, viewer_metrics
from gaplens.privacy import PrivacyPolicy, QueryRefused
from gaplens.report.charts import spec_to_svg
from gaplens.web.deps import AnyStaff, DbSession
from gaplens.web.pages import render

router = APIRouter(prefix="/api/v1", tags=["measured reality"])
POLICY = PrivacyPolicy()
AsOf = Annotated[
    PlausibleDay | None,
    Query(description=f"Last day of the 'after' window (default: today), {RANGE_TEXT}"),
]


@router.get("/metrics")
def metrics(viewer: AnyStaff) -> list[MetricDefinition]:
    """Every leadership metric gaplens computes, with its exact definition."""
    return [MetricDefinition.of(metric) for metric in REGISTRY.values()]


@router.get(
    "/metrics/{key}",
    responses={
        404: {"description": "unknown metric or team"},
        409: {"description": "too close to a population this viewer already saw"},
    },
)
def metric(
    key: str,
    viewer: AnyStaff,
    session: DbSession,
    team: Annotated[str | None, Query(max_length=100)] = None,
    function: Annotated[str | None, Query(max_length=100)] = None,
    as_of: AsOf = None,
) -> MetricOverview:
    """Current value, before vs after adoption, AI users vs non-users (difference in
    differences) and by AI tenure, each with n and a 95% interval or "not enough data"."""
    try:
        get_metric(key)
    except UnknownMetricError as unknown:
        raise HTTPException(404, str(unknown)) from None
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    if organisation is None:
        raise HTTPException(404, "no organisation imported yet")
    team_id = None
    if team is not None:
        team_id = session.scalar(select(Team.id).where(Team.key == team))
        if team_id is None:
            raise HTTPException(404, f"unknown team {team!r}")
    scope = MetricScope(organisation_id=organisation, team_id=team_id, function=function)
    gate = staff_gate(session, POLICY)
    _, (result,) = viewer_metrics(
        session, gate, viewer.audit_key, scope, as_of or dt.date.today(), [key]
    )
    record(session, viewer.audit_key, "view_metric", key, {"team": team, "function": function})
    return result


@router.get("/adoption")
def adoption(viewer: AnyStaff, session: DbSession, as_of: AsOf = None) -> AdoptionFunnel:
    """Licensed -> activated -> active (28 days) -> sustained -> integrated, per team, with
    training and certification counts: the latest released month end at or before `as_of`
    (the same figures for every viewer)."""
    result = adoption_funnel(session, as_of or dt.date.today(), POLICY)
    record(session, viewer.audit_key, "view_adoption", str(result.as_of))
    return result


pages = APIRouter(include_in_schema=False)


@pages.get("/metrics", response_class=HTMLResponse)
def metrics_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    function: Annotated[str | None, Query(max_length=100)] = None,
    as_of: AsOf = None,
) -> HTMLResponse:
    day = as_of or dt.date.today()
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    context: dict[str, Any] = {
        "title": "Metrics",
        "viewer": viewer,
        "functions": sorted({f for f in session.scalars(select(Person.function).distinct()) if f}),
        "function": function or "",
        "as_of": day.isoformat(),
        "overviews": [],
        "funnel": None,
        "window": DEFAULT_WINDOW_DAYS,
        "k": POLICY.min_group_size,
        "refused": None,
    }
    if organisation is not None:
        scope = MetricScope(organisation_id=organisation, function=function or None)
        gate = staff_gate(session, POLICY)
        try:
            measured, overviews = viewer_metrics(session, gate, viewer.audit_key, scope, day)
            # The headline only: the organisation's funnel, from the rows just loaded when
            # they are the organisation's (one load for the page, not one per part).
            funnel = adoption_funnel(
                session,
                day,
                POLICY,
                gate=gate,
                viewer=viewer.audit_key,
                measured=measured if function is None else None,
                by_team=False,
            )
        except QueryRefused as refused:
            context["refused"] = str(refused)
            return render(request, "metrics.html.j2", status_code=409, **context)
        context.update(overviews=overviews, funnel=funnel if funnel.organisation.licensed else None)
    record(session, viewer.audit_key, "view_metrics_page", function or "organisation")
    return render(request, "metrics.html.j2", **context)


@pages.get("/adoption", response_class=HTMLResponse)
def adoption_page(
    request: Request, viewer: AnyStaff, session: DbSession, as_of: AsOf = None
) -> HTMLResponse:
    """The funnel per team beside training and certification, hidden teams named: the
    latest released month end at or before the day asked for."""
    day = as_of or dt.date.today()
    funnel = adoption_funnel(session, day, POLICY)
    spec = funnel_chart(funnel)
    context: dict[str, Any] = {
        "title": "Adoption",
        "viewer": viewer,
        "as_of": day.isoformat(),
        "funnel": funnel,
        "chart": Markup(spec_to_svg(spec)) if spec else None,
        "stages": STAGES,
        "k": funnel.min_group_size,
    }
    record(session, viewer.audit_key, "view_adoption_page", funnel.as_of.isoformat())
    return render(request, "adoption.html.j2", **context)
