"""The reality report page: a staff member picks the scope, the period and the format, and gets
the same file as the export API (one builder, one gate, one audit entry: `report_file`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from gaplens.accounts.service import Viewer
from gaplens.criteria.measure import first_organisation, teams
from gaplens.errors import InputError
from gaplens.report.scope import reportable_functions
from gaplens.surveys.queries import survey_names
from gaplens.web.deps import AnyStaff, DbSession, Policy
from gaplens.web.pages import render
from gaplens.web.routes.exports import MEDIA, ReportFormat, report_file

pages = APIRouter(include_in_schema=False)
FORMATS = {"html": "Web page (HTML)", "pdf": "PDF", "json": "Data (JSON)"}
YEARS_LISTED = 2
"""Quarters, halves and years offered for this year and the years before it."""


def period_choices(today: dt.date, years: int = YEARS_LISTED) -> list[tuple[str, str]]:
    """Named periods up to today's, newest first: ('2026-Q3', 'Q3 2026'), ('2026-H1', ...)."""
    choices: list[tuple[str, str]] = []
    for year in range(today.year, today.year - years, -1):
        quarters = (today.month - 1) // 3 + 1 if year == today.year else 4
        choices += [(f"{year}-Q{q}", f"Q{q} {year}") for q in range(quarters, 0, -1)]
        halves = (today.month - 1) // 6 + 1 if year == today.year else 2
        choices += [(f"{year}-H{h}", f"H{h} {year} (half year)") for h in range(halves, 0, -1)]
        choices.append((str(year), f"{year} (calendar year)"))
    return choices


def file_name(scope: str | None, period: str, format: str) -> str:
    """'gaplens-report-function-support-2026-q3.pdf': a download says what it holds."""
    parts = [scope or "organisation", period or "last-12-months"]
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.casefold()).strip("-") for p in parts)
    return f"gaplens-report-{slug}.{format}"


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    values: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    organisation = first_organisation(session)
    context: dict[str, Any] = {
        "viewer": viewer,
        "title": "Reality report",
        "functions": reportable_functions(session),
        "teams": teams(session, organisation) if organisation else [],
        "surveys": survey_names(session),
        "periods": period_choices(dt.date.today()),
        "formats": FORMATS,
        "values": values,
        "error": error,
    }
    return render(request, "reports.html.j2", status_code=status_code, **context)


@pages.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    scope: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The form; `scope` (as the heatmap's team links give it) comes prefilled."""
    return _page(request, viewer, session, {"format": "html", "scope": scope})


@pages.get("/reports/file", response_model=None)
def report_file_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    format: Annotated[str, Query(max_length=10)] = "html",
    scope: Annotated[str, Query(max_length=200)] = "",
    period: Annotated[str, Query(max_length=20)] = "",
    period_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    period_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    survey: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The report opens in the browser (HTML, PDF) or downloads (JSON); a bad choice or a
    refused population comes back as this page with the message and the choices kept."""
    values = {
        "format": format,
        "scope": scope,
        "period": period,
        "from": period_from,
        "to": period_to,
        "survey": survey,
    }
    if format not in FORMATS:
        return _page(
            request, viewer, session, values, error="Choose HTML, PDF or JSON.", status_code=422
        )
    chosen: ReportFormat = format  # type: ignore[assignment]
    try:
        body = report_file(
            session,
            policy,
            viewer.audit_key,
            chosen,
            survey or None,
            scope or None,
            period or None,
            period_from or None,
            period_to or None,
        )
    except InputError as error:
        session.rollback()  # nothing of a report that was not built stays in the audit history
        return _page(request, viewer, session, values, error=str(error), status_code=422)
    disposition = "attachment" if chosen == "json" else "inline"
    name = file_name(
        scope, period or (f"{period_from}-to-{period_to}" if period_from else ""), chosen
    )
    return Response(
        body,
        media_type=MEDIA[chosen],
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )
