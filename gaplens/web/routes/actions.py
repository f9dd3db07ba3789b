"""The action plan (page and JSON API): leaders and admins adopt a report's next steps and
keep their owner, due date and status; analysts read. Actions are staff records; an adopted
step's words are read from the report the server builds, never from the request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import Viewer
from gaplens.actions.schemas import (
    STATUS_LABELS,
    ActionCreated,
    ActionIn,
    ActionOut,
    ActionScope,
    ActionUpdate,
    AdoptIn,
    Proposal,
    Status,
)
from gaplens.actions.service import (
    action_exists,
    action_view_by_id,
    action_views,
    adopt,
    owner_choices,
    update,
)
from gaplens.audit.service import record
from gaplens.errors import InputError
from gaplens.privacy import PrivacyPolicy
from gaplens.report.plan import own_period, own_scope, proposal, report_steps
from gaplens.report.schemas import NextStep
from gaplens.report.scope import reportable_functions
from gaplens.web.deps import AnyStaff, DbSession, Policy, require
from gaplens.web.pages import render
from gaplens.web.routes.criteria import check_origin, parse, staff_form

router = APIRouter(prefix="/api/v1", tags=["action plan"])
pages = APIRouter(include_in_schema=False)
Planner = Annotated[Viewer, Depends(require(StaffRole.ADMIN, StaffRole.LEADER))]
"""Who may adopt, add and change actions: admins and leaders (analysts read)."""
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="An action's number.")]
ScopeText = Annotated[str, Query(max_length=200, description='"function:NAME" or "team:KEY"')]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _known(session: Session, action_id: int) -> int:
    if not action_exists(session, action_id):
        raise HTTPException(404, f"no action {action_id}")
    return action_id


def _scope_filter(session: Session, scope: str) -> ActionScope | None:
    return own_scope(session, scope)[1] if scope.strip() else None


def _status_filter(status: str) -> Status | None:
    if not status:
        return None
    try:
        return Status(status)
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise InputError.single(
            f"{status!r} is not a status ({choices})", column="status"
        ) from None


def _own(session: Session, body: ActionIn) -> Proposal:
    organisation_id, scope = own_scope(session, body.scope)
    start, end, label = own_period(body.period, dt.date.today())
    return Proposal(
        organisation_id=organisation_id,
        scope=scope,
        period_start=start,
        period_end=end,
        period_label=label,
        rule=None,
        title=body.title,
        action=body.action,
    )


# --- JSON API ------------------------------------------------------------------------------


@router.get("/actions", responses={422: {"description": "unknown scope or status"}})
def list_actions_api(
    viewer: AnyStaff,
    session: DbSession,
    scope: ScopeText = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> list[ActionOut]:
    """The action plan, newest period first, with each action's history; filter by scope
    ("organisation", "function:NAME", "team:KEY") and status."""
    result = action_views(
        session, dt.date.today(), _scope_filter(session, scope), _status_filter(status)
    )
    record(session, viewer.audit_key, "view_actions", "actions")
    return result


@router.post(
    "/actions/adopt",
    status_code=201,
    responses={200: {"description": "already in the plan"}, 422: {"description": "refused"}},
)
def adopt_api(
    request: Request,
    response: Response,
    viewer: Planner,
    session: DbSession,
    policy: Policy,
    body: AdoptIn,
) -> ActionCreated:
    """Adopt the step of `rule` from the scope's report for `period` (default: the last 12
    months of data). Idempotent: adopting the same rule, scope and period again returns the
    existing action (200) and changes nothing."""
    check_origin(request)
    step = proposal(session, policy, body.scope, body.period, body.rule)
    action_id, created = adopt(
        session, step, viewer.email, _now(), owner=body.owner, due_on=body.due_on
    )
    if created:
        record(session, viewer.audit_key, "adopt_action", str(action_id))
    else:
        response.status_code = 200
    return ActionCreated(
        id=action_id, created=created, action=action_view_by_id(session, action_id, dt.date.today())
    )


@router.post("/actions", status_code=201, responses={422: {"description": "refused"}})
def create_action_api(
    request: Request, viewer: Planner, session: DbSession, body: ActionIn
) -> ActionCreated:
    """Add an action of one's own to the plan (default period: the current quarter)."""
    check_origin(request)
    action_id, _ = adopt(
        session, _own(session, body), viewer.email, _now(), owner=body.owner, due_on=body.due_on
    )
    record(session, viewer.audit_key, "create_action", str(action_id))
    return ActionCreated(
        id=action_id, created=True, action=action_view_by_id(session, action_id, dt.date.today())
    )


@router.get("/actions/{action_id}", responses={404: {"description": "no such action"}})
def action_api(viewer: AnyStaff, session: DbSession, action_id: RowId) -> ActionOut:
    """One action with its history."""
    result = action_view_by_id(session, _known(session, action_id), dt.date.today())
    record(session, viewer.audit_key, "view_action", str(action_id))
    return result


@router.patch(
    "/actions/{action_id}",
    responses={404: {"description": "no such action"}, 422: {"description": "refused"}},
)
def update_action_api(
    request: Request, viewer: Planner, session: DbSession, action_id: RowId, body: ActionUpdate
) -> ActionOut:
    """Change status, owner or due date. Dropped needs a `reason`; reopening a done or
    dropped action needs a `note`. Every change is kept in the action's history."""
    check_origin(request)
    update(session, _known(session, action_id), body, viewer.email, _now())
    record(session, viewer.audit_key, "update_action", str(action_id))
    return action_view_by_id(session, action_id, dt.date.today())


# --- page ----------------------------------------------------------------------------------


def _can_plan(viewer: Viewer) -> bool:
    return viewer.role in (StaffRole.ADMIN, StaffRole.LEADER)


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    policy: PrivacyPolicy,
    scope: str,
    status: str,
    error: str | None = None,
    status_code: int = 200,
    show_steps: bool = True,
) -> Response:
    """The plan; with `show_steps`, also the latest report's next steps to adopt (building
    that report takes about a second at 10,000 people, so the page asks for it)."""
    chosen = _scope_filter(session, scope)
    views = action_views(session, dt.date.today(), chosen, _status_filter(status))
    steps: list[NextStep] = []
    steps_error = None
    period_label = ""
    if _can_plan(viewer) and show_steps:
        try:
            where, steps = report_steps(session, policy, scope or None, None)
            period_label = where.period_label
        except InputError as problem:
            steps_error = str(problem)
    adopted = {a.rule for a in views if a.rule and a.period_label == period_label}
    groups = [(s, STATUS_LABELS[s], [v for v in views if v.status is s]) for s in Status]
    record(session, viewer.audit_key, "view_actions_page", "actions")
    return render(
        request,
        "actions.html.j2",
        status_code=status_code,
        title="Action plan",
        viewer=viewer,
        groups=groups,
        total=len(views),
        scope=scope,
        status=status,
        statuses=STATUS_LABELS,
        functions=reportable_functions(session),
        steps=steps,
        steps_error=steps_error,
        period_label=period_label,
        adopted=adopted,
        show_steps=show_steps,
        owners=owner_choices(session),
        can_plan=_can_plan(viewer),
        today=dt.date.today(),
        error=error,
    )


@pages.get("/actions", response_class=HTMLResponse)
def actions_page(
    request: Request,
    viewer: AnyStaff,
    session: DbSession,
    policy: Policy,
    scope: ScopeText = "",
    status: Annotated[str, Query(max_length=20)] = "",
    steps: Annotated[bool, Query(description="also list the latest report's steps")] = False,
) -> Response:
    return _page(request, viewer, session, policy, scope, status, show_steps=steps)


def _back(scope: str) -> RedirectResponse:
    query = f"&scope={quote(scope)}" if scope else ""
    return RedirectResponse(f"/actions?steps=1{query}", status_code=303)


@pages.post("/actions/adopt")
async def adopt_form(
    request: Request, viewer: Planner, session: DbSession, policy: Policy
) -> Response:
    form = await staff_form(request, viewer)
    scope = form.get("scope", "")
    try:
        body = parse(AdoptIn, {k: v for k, v in form.items() if v != ""})
        step = proposal(session, policy, body.scope, body.period, body.rule)
        action_id, created = adopt(
            session, step, viewer.email, _now(), owner=body.owner, due_on=body.due_on
        )
    except InputError as error:
        session.rollback()
        return _page(request, viewer, session, policy, scope, "", str(error), 422)
    if created:
        record(session, viewer.audit_key, "adopt_action", str(action_id))
    return _back(scope)


@pages.post("/actions/{action_id}")
async def update_form(
    request: Request, viewer: Planner, session: DbSession, policy: Policy, action_id: RowId
) -> Response:
    _known(session, action_id)
    form = await staff_form(request, viewer)
    scope = form.pop("back_scope", "")
    try:
        values: dict[str, object] = {k: v for k, v in form.items() if v != ""}
        values.setdefault("owner", "")  # the form always says who owns it ("" = nobody)
        if form.get("due_on", None) == "":
            values["clear_due"] = True
        body = parse(ActionUpdate, values)
        update(session, action_id, body, viewer.email, _now())
    except InputError as error:
        session.rollback()
        return _page(request, viewer, session, policy, scope, "", str(error), 422)
    record(session, viewer.audit_key, "update_action", str(action_id))
    return _back(scope)
