"""Measured reality over the API: the metric registry, one metric's overview, the adoption
funnel. The same services (and registry) the report uses; every view is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from gaplens.adoption.schemas import AdoptionFunnel
from gaplens.adoption.service import adoption_funnel
from gaplens.audit.service import record
from gaplens.directory.models import Organisation, Person, Team
from gaplens.metrics.registry import REGISTRY, UnknownMetricError, get_metric
from gaplens.metrics.schemas import MetricDefinition, MetricOverview, MetricScope
from gaplens.metrics.service import DEFAULT_WINDOW_DAYS, metric_overview, metric_overviews
from gaplens.privacy import PrivacyPolicy
from gaplens.web.deps import AnyStaff, DbSession
from gaplens.web.pages import render

router = APIRouter(prefix="/api/v1", tags=["measured reality"])
POLICY = PrivacyPolicy()
AsOf = Annotated[
    dt.date | None, Query(description="Last day of the 'after' window (default: today)")
]


@router.get("/metrics")
def metrics(viewer: AnyStaff) -> list[MetricDefinition]:
    """Every leadership metric gaplens computes, with its exact definition."""
    return [MetricDefinition.of(metric) for metric in REGISTRY.values()]


@router.get("/metrics/{key}", responses={404: {"description": "unknown metric or team"}})
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
    result = metric_overview(session, key, scope, as_of or dt.date.today(), policy=POLICY)
    record(session, viewer.audit_key, "view_metric", key, {"team": team, "function": function})
    return result


@router.get("/adoption")
def adoption(viewer: AnyStaff, session: DbSession, as_of: AsOf = None) -> AdoptionFunnel:
    """Licensed -> activated -> active (28 days) -> sustained -> integrated, per team."""
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
    overviews = []
    if organisation is not None:
        scope = MetricScope(organisation_id=organisation, function=function or None)
        overviews = metric_overviews(session, scope, day, policy=POLICY)
    funnel = adoption_funnel(session, day, POLICY) if organisation is not None else None
    record(session, viewer.audit_key, "view_metrics_page", function or "organisation")
    return render(
        request,
        "metrics.html.j2",
        title="Metrics",
        viewer=viewer,
        functions=sorted({f for f in session.scalars(select(Person.function).distinct()) if f}),
        function=function or "",
        as_of=day.isoformat(),
        overviews=overviews,
        funnel=funnel if funnel and funnel.organisation.licensed else None,
        window=DEFAULT_WINDOW_DAYS,
        k=POLICY.min_group_size,
    )
