"""The staff dashboard: the perception gap by role level, narrowed by declared filters."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from gaplens.chartstyle import PHONE_WIDTH, narrow_config
from gaplens.directory.queries import team_choices
from gaplens.directory.service import team_functions
from gaplens.drivers.service import dashboard_drivers
from gaplens.perception.figures import GROUP_ORDER, ROLE_LABELS
from gaplens.perception.service import viewer_released_perception
from gaplens.perception.trend import TrendOut, viewer_released_trend
from gaplens.perception.trend_chart import team_trend_chart
from gaplens.report.charts import productivity_impact_chart, spec_to_svg, trend_chart
from gaplens.report.heatmap import heatmap_view
from gaplens.report.render import render_heatmap
from gaplens.report.schemas import FigureStatus, GapTrend, TrendPulse
from gaplens.report.service import dashboard_heatmap
from gaplens.shadow.service import viewer_shadow_ai
from gaplens.surveys.answers import TENURE_BANDS
from gaplens.surveys.queries import series_names, survey_names
from gaplens.web.deps import AnyStaff, DbSession, Policy
from gaplens.web.pages import render
from gaplens.web.routes.filters import Population
from gaplens.wording import status_text

router = APIRouter(include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    population: Population,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    surveys = survey_names(session)
    context: dict[str, Any] = {
        "viewer": viewer,
        "title": "Dashboard",
        "surveys": surveys,
        "selected_survey": survey or (surveys[0] if surveys else None),
        "population": population,
        "teams": team_choices(session),
        "functions": team_functions(session),
        "tenure_bands": TENURE_BANDS,
        "group_order": GROUP_ORDER,
        "group_labels": ROLE_LABELS,
        "k": policy.min_group_size,
        "release": None,
        "note": None,
        "questions": {},
        "impact_svg": None,
        "heatmap": None,
        "drivers": None,
    }
    if not surveys:
        return render(request, "dashboard.html.j2", **context)
    released = viewer_released_perception(session, viewer.audit_key, survey, population)
    figures = released.figures
    impact = figures.get("productivity_impact")
    spec = productivity_impact_chart(impact, list(GROUP_ORDER)) if impact else None
    release = released.release
    context.update(
        questions=figures,
        respondents=released.respondents,
        release=release,
        released_through=None if release is None else release.answers_through,
        note=released.note,
        impact_svg=Markup(spec_to_svg(spec)) if spec else None,
        heatmap=team_heatmap(session, policy),
        drivers=dashboard_drivers(
            session, policy, survey or surveys[0], population.team, population.function
        ),
        status_text=lambda status: status_text(FigureStatus(status), policy.min_group_size),
    )
    return render(request, "dashboard.html.j2", **context)


def report_link(key: str) -> str:
    """A team's report on /reports, its scope prefilled."""
    return "/reports?" + urlencode({"scope": f"team:{key}"})


def team_heatmap(session: DbSession, policy: Policy) -> Markup | None:
    """The organisation report's heatmap (same releases, same period), each team linking to
    its own report."""
    heatmap = dashboard_heatmap(session, policy)
    return None if heatmap is None else render_heatmap(heatmap_view(heatmap), report_link)


@router.get("/shadow", response_class=HTMLResponse)
def shadow_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    result = viewer_shadow_ai(session, viewer.audit_key, survey, policy)
    return render(
        request,
        "shadow.html.j2",
        title="Shadow AI",
        viewer=viewer,
        shadow=result,
        k=policy.min_group_size,
        status_text=lambda status: status_text(FigureStatus(status), policy.min_group_size),
    )


def organisation_trend(trend: TrendOut) -> GapTrend | None:
    """The table's first row (the whole organisation) as the report's gap trend, so the page
    draws it with the report's own chart."""
    if not trend.teams:
        return None
    whole = trend.teams[0]
    return GapTrend(
        series=trend.series,
        question="productivity_impact",
        points=[
            TrendPulse(
                survey=p.survey,
                answers_through=None,
                in_period=True,
                status=str(p.status),
                gap_pp=p.gap_pp,
                leaders_n=p.leaders_n,
                frontline_n=p.frontline_n,
            )
            for p in whole.points
        ],
        change_pp=whole.change_pp,
        direction=whole.direction,
        method=trend.method,
    )


def svg_of(spec: dict[str, Any] | None) -> Markup | None:
    return Markup(spec_to_svg(spec)) if spec else None


def narrowed(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """A single-view chart with a y axis of numbers, drawn for a phone: the same spec with a
    narrow label column and plot, to `PHONE_WIDTH` at 1:1."""
    if spec is None:
        return None
    return {**spec, "width": PHONE_WIDTH - 90, "config": narrow_config(50)}


@router.get("/trend", response_class=HTMLResponse)
def trend_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    series: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    known = series_names(session)
    chosen = series or (known[0] if known else None)
    result = None
    if chosen:
        result = viewer_released_trend(session, viewer.audit_key, chosen)
    whole = organisation_trend(result) if result is not None else None
    whole_spec = trend_chart(whole) if whole is not None else None
    return render(
        request,
        "trend.html.j2",
        title="Gap trend",
        viewer=viewer,
        series_list=known,
        chosen=chosen,
        trend=result,
        organisation_svg=svg_of(whole_spec),
        organisation_narrow=svg_of(narrowed(whole_spec)),
        teams_svg=svg_of(team_trend_chart(result)) if result is not None else None,
        teams_narrow=svg_of(team_trend_chart(result, narrow=True)) if result is not None else None,
        k=policy.min_group_size,
    )
