"""Measured reality over the API and pages: the metric registry, one metric's overview, the
adoption funnel. Both are read from releases of a month end (the same for every viewer, never
refused); every view is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gaplens.adoption.chart import funnel_chart
from gaplens.adoption.schemas import STAGES, AdoptionFunnel
from gaplens.adoption.service import adoption_funnel, released_month_ends
from gaplens.audit.service import record
from gaplens.dates import RANGE_TEXT, PlausibleDay
from gaplens.directory.queries import organisation_id, person_functions, team_id_of
from gaplens.drivers.service import dashboard_drivers
from gaplens.metrics.chart import overview_chart, overview_findings
from gaplens.metrics.registry import REGISTRY, UnknownMetricError, get_metric
from gaplens.metrics.schemas import MetricDefinition, MetricOverview, MetricScope
from gaplens.metrics.service import DEFAULT_WINDOW_DAYS
from gaplens.metrics.stability import did_check, with_stability
from gaplens.realities.calibration import latest_survey_calibration
from gaplens.realities.service import ORGANISATION
from gaplens.releases.measured.queries import (
    measured_release,
    measured_releases,
    released_overviews,
    released_staggered,
)
from gaplens.report.calibration import calibration_view
from gaplens.report.charts import spec_to_svg
from gaplens.report.effects import counter_effect, effect_view
from gaplens.web.deps import AnyStaff, DbSession, Policy
from gaplens.web.pages import render

router = APIRouter(prefix="/api/v1", tags=["measured reality"])
AsOf = Annotated[
    PlausibleDay | None,
    Query(description=f"Last day of the 'after' window (default: today), {RANGE_TEXT}"),
]
ReleasedAsOf = Annotated[
    PlausibleDay | None,
    Query(
        description="Figures of the latest month end released at or before this day "
        f"(default: the latest release), {RANGE_TEXT}"
    ),
]
NO_RELEASE = (
    "No measured figures released yet: they are released for each month end once the month "
    "is over and the data reaches it (`gaplens release build`)"
)


@router.get("/metrics")
def metrics(viewer: AnyStaff) -> list[MetricDefinition]:
    """Every leadership metric gaplens computes, with its exact definition."""
    return [MetricDefinition.of(metric) for metric in REGISTRY.values()]


@router.get(
    "/metrics/{key}",
    responses={
        404: {"description": "unknown metric or team, or no measured release yet"},
    },
)
def metric(
    key: str,
    viewer: AnyStaff,
    session: DbSession,
    team: Annotated[str | None, Query(max_length=100)] = None,
    function: Annotated[str | None, Query(max_length=100)] = None,
    as_of: ReleasedAsOf = None,
) -> MetricOverview:
    """Current value, before vs after adoption, AI users vs non-users (difference in
    differences) and by AI tenure, each with n and a 95% interval or "not enough data", as
    released for the latest month end at or before `as_of` (default: the latest release);
    `staggered`: the staggered-adoption estimate (organisation and functions; null where
    not published); `stability`, for a speed metric: its counter-metrics' effects from the
    same release and estimator, with a verdict in words."""
    try:
        get_metric(key)
    except UnknownMetricError as unknown:
        raise HTTPException(404, str(unknown)) from None
    organisation = organisation_id(session)
    if organisation is None:
        raise HTTPException(404, "no organisation imported yet")
    team_id = None
    if team is not None:
        team_id = team_id_of(session, team)
        if team_id is None:
            raise HTTPException(404, f"unknown team {team!r}")
    scope = MetricScope(organisation_id=organisation, team_id=team_id, function=function)
    release = measured_release(session, organisation, as_of)
    if release is None:
        raise HTTPException(404, NO_RELEASE if as_of is None else f"{NO_RELEASE} by {as_of}")
    keys = [key, *get_metric(key).counter_metrics]
    result = with_stability(
        [
            o.model_copy(
                update={"staggered": released_staggered(session, release, o.metric.key, scope)}
            )
            for o in released_overviews(session, release, scope, keys)
        ]
    )[0]
    record(session, viewer.audit_key, "view_metric", key, {"team": team, "function": function})
    return result


@router.get("/adoption")
def adoption(
    viewer: AnyStaff, session: DbSession, policy: Policy, as_of: AsOf = None
) -> AdoptionFunnel:
    """Licensed -> activated -> active (28 days) -> sustained -> integrated, per team, with
    training and certification counts: the latest released month end at or before `as_of`
    (the same figures for every viewer)."""
    result = adoption_funnel(session, as_of or dt.date.today(), policy)
    record(session, viewer.audit_key, "view_adoption", str(result.as_of))
    return result


pages = APIRouter(include_in_schema=False)


@pages.get("/metrics", response_class=HTMLResponse)
def metrics_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    function: Annotated[str | None, Query(max_length=100)] = None,
    as_of: ReleasedAsOf = None,
) -> HTMLResponse:
    """Every metric for the organisation or a function, as released for a month end."""
    organisation = organisation_id(session)
    releases = [] if organisation is None else measured_releases(session, organisation)
    release = None if organisation is None else measured_release(session, organisation, as_of)
    context: dict[str, Any] = {
        "title": "Metrics",
        "viewer": viewer,
        "functions": person_functions(session),
        "function": function or "",
        "months": [r.answers_through for r in reversed(releases)],
        "as_of": release.answers_through if release is not None else None,
        "no_release": NO_RELEASE if release is None else None,
        "overviews": [],
        "overview_svg": None,
        "overview_narrow": None,
        "findings": [],
        "effects": [],
        "table_stability": {},
        "funnel": None,
        "calibration": None,
        "window": DEFAULT_WINDOW_DAYS,
        "k": policy.min_group_size,
    }
    if organisation is not None:
        if release is not None:
            scope = MetricScope(organisation_id=organisation, function=function or None)
            overviews = with_stability(
                [
                    o.model_copy(
                        update={
                            "staggered": released_staggered(session, release, o.metric.key, scope)
                        }
                    )
                    for o in released_overviews(session, release, scope)
                ]
            )
            context["overviews"] = overviews
            wide, narrow = overview_chart(overviews), overview_chart(overviews, narrow=True)
            context["overview_svg"] = Markup(spec_to_svg(wide)) if wide else None
            context["overview_narrow"] = Markup(spec_to_svg(narrow)) if narrow else None
            context["findings"] = overview_findings(overviews)
            by_key = {o.metric.key: o for o in overviews}
            context["effects"] = [
                view for view in (effect_view(o, o.staggered, by_key) for o in overviews) if view
            ]
            found = latest_survey_calibration(
                session, scope, function or ORGANISATION, release.answers_through
            )
            context["calibration"] = None if found is None else calibration_view(found)
            # The table's column is the difference in differences for every metric, so its
            # speed figures get their counter-metrics by that estimator, even where the
            # effects below carry the staggered ones.
            context["table_stability"] = {
                o.metric.key: (check.verdict, [counter_effect(c) for c in check.counters])
                for o in overviews
                if (check := did_check(o, by_key)) is not None
            }
        day = release.answers_through if release is not None else as_of or dt.date.today()
        funnel = adoption_funnel(session, day, policy, by_team=False)
        context["funnel"] = funnel if funnel.organisation.licensed else None
    # What goes with the gap, for the same scope: the dashboard's list, from the same releases.
    context["drivers"] = dashboard_drivers(session, policy, None, None, function or None)
    record(session, viewer.audit_key, "view_metrics_page", function or "organisation")
    return render(request, "metrics.html.j2", **context)


@pages.get("/adoption", response_class=HTMLResponse)
def adoption_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    as_of: ReleasedAsOf = None,
) -> HTMLResponse:
    """The funnel per team beside training and certification, hidden teams named: the
    latest released month end (or the latest at or before the day asked for), picked from
    the released month ends, never counted back from today."""
    months = released_month_ends(session)
    day = as_of or (months[0] if months else dt.date.today())
    funnel = adoption_funnel(session, day, policy)
    spec = funnel_chart(funnel)
    context: dict[str, Any] = {
        "title": "Adoption",
        "viewer": viewer,
        "months": months,
        "as_of": funnel.as_of if funnel.as_of in months else None,
        "funnel": funnel,
        "chart": Markup(spec_to_svg(spec)) if spec else None,
        "stages": STAGES,
        "k": funnel.min_group_size,
    }
    record(session, viewer.audit_key, "view_adoption_page", funnel.as_of.isoformat())
    return render(request, "adoption.html.j2", **context)
