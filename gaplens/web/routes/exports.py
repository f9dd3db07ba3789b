"""Exports for staff: the same gate-cleared aggregates as the pages, as files; each one audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from gaplens.audit.service import record
from gaplens.perception.export import figures_csv
from gaplens.perception.service import viewer_perception
from gaplens.privacy import PrivacyPolicy
from gaplens.report.render import render
from gaplens.report.service import build_report
from gaplens.web.deps import AnyStaff, DbSession
from gaplens.web.routes.filters import Population

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
POLICY = PrivacyPolicy()
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/perception.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 409: {"description": "too close to a view"}},
)
def perception_csv(
    viewer: AnyStaff,
    session: DbSession,
    population: Population,
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The dashboard's figures as CSV, under the same rules (thresholds, suppression, and the
    viewer's differencing history): an export never shows more than the page would."""
    found, _, figures = viewer_perception(session, viewer.audit_key, survey, population, POLICY)
    record(
        session,
        viewer.audit_key,
        "export_perception_csv",
        found.name,
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
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
)
def report(
    viewer: AnyStaff,
    session: DbSession,
    format: Annotated[Literal["html", "pdf", "json"], Query()] = "html",
    survey: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The reality report (organisation-wide aggregates only) as a file."""
    document = build_report(session, survey, POLICY)
    body = render(document, format)
    record(session, viewer.audit_key, f"export_report_{format}", document.survey.name)
    return Response(body, media_type=MEDIA[format], headers=attachment(f"gaplens-report.{format}"))
