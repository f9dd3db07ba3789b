"""Exports for staff: the same gate-cleared aggregates as the pages, as files; each one audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.perception.export import figures_csv
from gaplens.perception.service import viewer_released_perception
from gaplens.privacy import PrivacyPolicy
from gaplens.report.render import render
from gaplens.report.scope import parse_period, parse_scope
from gaplens.report.service import build_report
from gaplens.web.deps import AnyStaff, DbSession, Policy
from gaplens.web.routes.filters import Population

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
ReportFormat = Literal["html", "pdf", "json"]
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/perception.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def perception_csv(
    viewer: AnyStaff,
    session: DbSession,
    population: Population,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The dashboard's figures as CSV, read from the same release: an export never shows
    more than the page, and every viewer exports the same figures."""
    released = viewer_released_perception(session, viewer.audit_key, survey, population)
    figures = released.figures
    record(
        session,
        viewer.audit_key,
        "export_perception_csv",
        released.survey.name,
        {"filters": population.describe()},
    )
    return Response(
        figures_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers=attachment("gaplens-perception.csv"),
    )


@router.get(
    "/report",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}},
        422: {"description": "unknown scope, team or function, or a malformed period"},
    },
)
def report(
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    format: Annotated[ReportFormat, Query()] = "html",
    survey: Annotated[str | None, Query(max_length=200)] = None,
    scope: Annotated[
        str | None,
        Query(max_length=200, description="organisation, function:NAME or team:KEY"),
    ] = None,
    period: Annotated[
        str | None, Query(max_length=20, description="2026-Q3, 2026-H2, 2026-09 or 2026")
    ] = None,
    period_from: Annotated[
        str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD, with to")
    ] = None,
    period_to: Annotated[
        str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD, with from")
    ] = None,
) -> Response:
    """The reality report for one scope and period as a file, read from releases like the
    dashboard (the same file for every viewer), and recorded in the audit log."""
    body = report_file(
        session, policy, viewer.audit_key, format, survey, scope, period, period_from, period_to
    )
    return Response(body, media_type=MEDIA[format], headers=attachment(f"gaplens-report.{format}"))


def report_file(
    session: Session,
    policy: PrivacyPolicy,
    viewer: str,
    format: ReportFormat,
    survey: str | None,
    scope: str | None,
    period: str | None,
    period_from: str | None,
    period_to: str | None,
) -> str | bytes:
    """One report rendered and the export audited for `viewer`: shared by this API and the
    reports page, so both give the same file."""
    scope_request = parse_scope(scope)
    period_request = parse_period(period, period_from, period_to)
    document = build_report(
        session,
        survey,
        policy,
        scope_request=scope_request,
        period_request=period_request,
    )
    body = render(document, format)
    detail: dict[str, object] = {
        "scope": scope or "organisation",
        "period": f"{document.period.start}..{document.period.end}" if document.period else None,
    }
    record(session, viewer, f"export_report_{format}", document.survey.name, detail)
    return body
