"""The what's-working log (pages and JSON API): any staff member logs a win and everyone on
the staff reads them, each with numbers read from the measured release for its scope and
the month ends of its periods: the same for every viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from gaplens.accounts.service import Viewer
from gaplens.audit.service import record
from gaplens.criteria.measure import METHOD_NOTES, METHODS, first_organisation, functions, teams
from gaplens.errors import InputError
from gaplens.metrics.registry import REGISTRY
from gaplens.privacy import PrivacyPolicy
from gaplens.web.deps import AnyStaff, DbSession, Policy, privacy_policy
from gaplens.web.pages import render
from gaplens.web.routes.criteria import RowId, check_origin, parse, scope_fields, staff_form
from gaplens.wins.schemas import WinIn, WinOut
from gaplens.wins.service import log_win, win_view_by_id, win_views

router = APIRouter(prefix="/api/v1", tags=["what's working"])
pages = APIRouter(include_in_schema=False)
FORM_FIELDS = (
    "title",
    "description",
    "source",
    "metric",
    "method",
    "scope",
    "after_start",
    "after_end",
    "before_start",
    "before_end",
)


def _view(session: Session, policy: PrivacyPolicy, win_id: int) -> WinOut:
    view = win_view_by_id(session, win_id, policy)
    if view is None:
        raise HTTPException(404, f"no win {win_id}")
    return view


@router.get("/wins")
def list_wins_api(viewer: AnyStaff, session: DbSession, policy: Policy) -> list[WinOut]:
    """Every logged win, newest first, with its numbers computed from the data now: the
    before value, the method's figure, the change with its 95% interval and n. Wins without
    a metric are marked self-reported."""
    result = win_views(session, policy)
    record(session, viewer.audit_key, "view_wins", "wins")
    return result


@router.post(
    "/wins", status_code=201, responses={422: {"description": "invalid win; the field is named"}}
)
def create_win_api(
    request: Request, viewer: AnyStaff, session: DbSession, policy: Policy, body: WinIn
) -> WinOut:
    """Log a win (any staff role): a metric from the registry, a scope and the period (the
    before period defaults to one as long, right before it), or no metric (self-reported)."""
    check_origin(request)
    win_id = log_win(session, body, viewer.email, dt.datetime.now(dt.UTC))
    record(session, viewer.audit_key, "create_win", str(win_id))
    return _view(session, policy, win_id)


@router.get("/wins/{win_id}", responses={404: {"description": "no such win"}})
def win_api(viewer: AnyStaff, session: DbSession, policy: Policy, win_id: RowId) -> WinOut:
    result = _view(session, policy, win_id)
    record(session, viewer.audit_key, "view_win", str(win_id))
    return result


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    values: Mapping[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    organisation = first_organisation(session)
    policy = privacy_policy(request)
    views = win_views(session, policy)
    record(session, viewer.audit_key, "view_wins_page", "wins")
    return render(
        request,
        "wins.html.j2",
        status_code=status_code,
        title="What's working",
        viewer=viewer,
        wins=views,
        data_through=max(
            (w.evidence.month_end for w in views if w.evidence and w.evidence.month_end),
            default=None,
        ),
        metrics=list(REGISTRY.values()),
        methods=METHODS,
        method_notes=METHOD_NOTES,
        functions=functions(session, organisation) if organisation else [],
        teams=teams(session, organisation) if organisation else [],
        values=values or {"method": "current_vs_baseline"},
        error=error,
    )


@pages.get("/wins", response_class=HTMLResponse)
def wins_page(request: Request, viewer: AnyStaff, session: DbSession) -> Response:
    return _page(request, viewer, session)


@pages.post("/wins")
async def create_win_form(request: Request, viewer: AnyStaff, session: DbSession) -> Response:
    form = await staff_form(request, viewer)
    try:
        values: dict[str, Any] = {k: form[k] for k in FORM_FIELDS if form.get(k, "") != ""}
        values.update(scope_fields(values.pop("scope", "")))
        win_id = log_win(session, parse(WinIn, values), viewer.email, dt.datetime.now(dt.UTC))
    except InputError as error:  # the form again, with the message and what was typed
        return _page(request, viewer, session, form, str(error), 422)
    record(session, viewer.audit_key, "create_win", str(win_id))
    return RedirectResponse(f"/wins/{win_id}", status_code=303)


@pages.get("/wins/{win_id}", response_class=HTMLResponse)
def win_page(
    request: Request, viewer: AnyStaff, session: DbSession, policy: Policy, win_id: RowId
) -> Response:
    view = _view(session, policy, win_id)
    record(session, viewer.audit_key, "view_win_page", str(win_id))
    return render(request, "win.html.j2", title=view.title, viewer=viewer, w=view)
