"""Success criteria (pages and JSON API): admins and leaders define and revise them, every
staff role reads them with their computed status. Every number is a figure of the measured
release, the same for every viewer (nothing is refused or recorded per viewer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import Viewer
from gaplens.audit.service import record
from gaplens.criteria.measure import METHOD_NOTES, METHODS, first_organisation, functions, teams
from gaplens.criteria.rules import STATUS_LABELS
from gaplens.criteria.schemas import CriterionEdit, CriterionIn, CriterionOut, Retirement
from gaplens.criteria.service import (
    DEFAULT_REVIEW_DAYS,
    RULES,
    criteria_views,
    criterion_exists,
    criterion_view_by_id,
    define_criterion,
    delete_criterion_by_id,
    edit_criterion_by_id,
    form_values,
    retire_criterion_by_id,
    started,
)
from gaplens.errors import InputError, InputProblem
from gaplens.metrics.registry import REGISTRY
from gaplens.privacy import PrivacyPolicy
from gaplens.web.deps import AnyStaff, DbSession, Policy, require
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf, same_origin

router = APIRouter(prefix="/api/v1", tags=["success criteria"])
pages = APIRouter(include_in_schema=False)
Definer = Annotated[Viewer, Depends(require(StaffRole.ADMIN, StaffRole.LEADER))]
"""Who may define, revise, retire and delete criteria: admins and leaders."""
Model = TypeVar("Model", bound=BaseModel)
RowId = Annotated[int, Path(ge=1, le=2_147_483_647, description="A row id (32-bit).")]
FORM_FIELDS = (
    "phase_name",
    "phase_start",
    "metric",
    "scope",
    "target_kind",
    "target",
    "method",
    "review_date",
    "description",
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse(model: type[Model], values: Mapping[str, Any]) -> Model:
    """A form's fields through the API's model, so both give the same messages."""
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        raise InputError(
            [
                InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]) or None)
                for e in invalid.errors()
            ]
        ) from None


def _known(session: Session, criterion_id: int) -> int:
    """The id, once it names a criterion (404 otherwise)."""
    if not criterion_exists(session, criterion_id):
        raise HTTPException(404, f"no success criterion {criterion_id}")
    return criterion_id


def _view(session: Session, policy: PrivacyPolicy, criterion_id: int) -> CriterionOut:
    return criterion_view_by_id(session, criterion_id, dt.date.today(), policy)


def check_origin(request: Request) -> None:
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")


# --- JSON API --------------------------------------------------------------------------------


@router.get("/criteria")
def list_criteria_api(viewer: AnyStaff, session: DbSession, policy: Policy) -> list[CriterionOut]:
    """Every success criterion with its status computed from the data now (never stored):
    on track / at risk / met / missed / not enough data, with the measured change and its
    95% interval, the rule that decided, and the revision history."""
    result = criteria_views(session, dt.date.today(), policy)
    record(session, viewer.audit_key, "view_criteria", "criteria")
    return result


@router.post(
    "/criteria",
    status_code=201,
    responses={422: {"description": "invalid definition; the field is named"}},
)
def create_criterion_api(
    request: Request, viewer: Definer, session: DbSession, policy: Policy, body: CriterionIn
) -> CriterionOut:
    """Define a criterion before a rollout phase (admins and leaders). The baseline is the
    measured release's figure for the 90 days to the last month end before the phase start;
    the review date defaults to the start + 90 days."""
    check_origin(request)
    criterion_id = define_criterion(session, body, viewer.email, _now(), policy)
    record(session, viewer.audit_key, "create_criterion", str(criterion_id))
    return _view(session, policy, criterion_id)


@router.get("/criteria/{criterion_id}", responses={404: {"description": "no such criterion"}})
def criterion_api(
    viewer: AnyStaff, session: DbSession, policy: Policy, criterion_id: RowId
) -> CriterionOut:
    """One criterion with its computed status and revision history."""
    result = _view(session, policy, _known(session, criterion_id))
    record(session, viewer.audit_key, "view_criterion", str(criterion_id))
    return result


@router.patch(
    "/criteria/{criterion_id}",
    responses={404: {"description": "no such criterion"}, 422: {"description": "refused"}},
)
def edit_criterion_api(
    request: Request,
    viewer: Definer,
    session: DbSession,
    policy: Policy,
    criterion_id: RowId,
    body: CriterionEdit,
) -> CriterionOut:
    """Change a criterion (admins and leaders). After the phase start a `reason` is required;
    every change is kept as a revision (who, when, old and new values, why)."""
    check_origin(request)
    edit_criterion_by_id(session, _known(session, criterion_id), body, viewer.email, _now(), policy)
    record(session, viewer.audit_key, "edit_criterion", str(criterion_id))
    return _view(session, policy, criterion_id)


@router.post(
    "/criteria/{criterion_id}/retire",
    responses={404: {"description": "no such criterion"}, 422: {"description": "refused"}},
)
def retire_criterion_api(
    request: Request,
    viewer: Definer,
    session: DbSession,
    policy: Policy,
    criterion_id: RowId,
    body: Retirement,
) -> CriterionOut:
    """Stop judging a criterion; it stays listed with its history and the reason."""
    check_origin(request)
    retire_criterion_by_id(
        session, _known(session, criterion_id), body.reason, viewer.email, _now()
    )
    record(session, viewer.audit_key, "retire_criterion", str(criterion_id))
    return _view(session, policy, criterion_id)


@router.delete(
    "/criteria/{criterion_id}",
    status_code=204,
    responses={404: {"description": "no such criterion"}, 422: {"description": "phase started"}},
)
def delete_criterion_api(
    request: Request, viewer: Definer, session: DbSession, criterion_id: RowId
) -> Response:
    """Delete a criterion whose phase has not started yet; afterwards, retire it instead."""
    check_origin(request)
    delete_criterion_by_id(session, _known(session, criterion_id), dt.date.today())
    record(session, viewer.audit_key, "delete_criterion", str(criterion_id))
    return Response(status_code=204)


# --- pages -----------------------------------------------------------------------------------


def _can_define(viewer: Viewer) -> bool:
    return viewer.role in (StaffRole.ADMIN, StaffRole.LEADER)


@pages.get("/criteria", response_class=HTMLResponse)
def criteria_page(
    request: Request, viewer: AnyStaff, session: DbSession, policy: Policy
) -> Response:
    views = criteria_views(session, dt.date.today(), policy)
    record(session, viewer.audit_key, "view_criteria_page", "criteria")
    return render(
        request,
        "criteria.html.j2",
        title="Success criteria",
        viewer=viewer,
        criteria=views,
        data_through=max(
            (c.status.as_of for c in views if c.status and c.status.as_of), default=None
        ),
        can_define=_can_define(viewer),
        rules=RULES,
    )


def _form_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    values: Mapping[str, str],
    *,
    criterion: CriterionOut | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    organisation = first_organisation(session)
    return render(
        request,
        "criterion_form.html.j2",
        status_code=status_code,
        title="Edit success criterion" if criterion else "Define a success criterion",
        viewer=viewer,
        criterion=criterion,
        after_start=criterion is not None and started(criterion, dt.date.today()),
        metrics=list(REGISTRY.values()),
        methods=METHODS,
        method_notes=METHOD_NOTES,
        functions=functions(session, organisation) if organisation else [],
        teams=teams(session, organisation) if organisation else [],
        values=values,
        default_review_days=DEFAULT_REVIEW_DAYS,
        error=error,
    )


@pages.get("/criteria/new", response_class=HTMLResponse)
def new_criterion_page(request: Request, viewer: Definer, session: DbSession) -> Response:
    defaults = {"target_kind": "relative", "method": "current_vs_baseline"}
    return _form_page(request, viewer, session, defaults)


def scope_fields(scope: str) -> dict[str, str | None]:
    kind, _, name = scope.partition(":")
    if kind == "team" and name:
        return {"team": name, "function": None}
    if kind == "function" and name:
        return {"team": None, "function": name}
    if scope:
        raise InputError.single(f"unknown scope {scope!r}", column="scope")
    return {"team": None, "function": None}


def _definition(form: Mapping[str, str]) -> dict[str, Any]:
    """Form strings -> the API's fields: blanks are absent, the scope is split."""
    values: dict[str, Any] = {k: form[k] for k in FORM_FIELDS if form.get(k, "") != ""}
    values.update(scope_fields(values.pop("scope", "")))
    return values


async def staff_form(request: Request, viewer: Viewer) -> dict[str, str]:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    return {key: str(value).strip() for key, value in form.items() if key != "csrf_token"}


@pages.post("/criteria/new")
async def create_criterion_form(
    request: Request, viewer: Definer, session: DbSession, policy: Policy
) -> Response:
    form = await staff_form(request, viewer)
    try:
        body = parse(CriterionIn, _definition(form))
        criterion_id = define_criterion(session, body, viewer.email, _now(), policy)
    except InputError as error:  # the form again, with the message and what was typed
        return _form_page(request, viewer, session, form, error=str(error), status_code=422)
    record(session, viewer.audit_key, "create_criterion", str(criterion_id))
    return RedirectResponse(f"/criteria/{criterion_id}", status_code=303)


@pages.get("/criteria/{criterion_id}", response_class=HTMLResponse)
def criterion_page(
    request: Request, viewer: AnyStaff, session: DbSession, policy: Policy, criterion_id: RowId
) -> Response:
    return _detail(request, viewer, session, policy, _known(session, criterion_id))


def _detail(
    request: Request,
    viewer: Viewer,
    session: Session,
    policy: PrivacyPolicy,
    criterion_id: int,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    view = _view(session, policy, criterion_id)
    record(session, viewer.audit_key, "view_criterion_page", str(criterion_id))
    return render(
        request,
        "criterion.html.j2",
        status_code=status_code,
        title=f"{view.metric.label} · {view.phase_name}",
        viewer=viewer,
        c=view,
        can_define=_can_define(viewer),
        after_start=started(view, dt.date.today()),
        today=dt.date.today(),
        status_labels=STATUS_LABELS,
        error=error,
    )


@pages.get("/criteria/{criterion_id}/edit", response_class=HTMLResponse)
def edit_criterion_page(
    request: Request, viewer: Definer, session: DbSession, policy: Policy, criterion_id: RowId
) -> Response:
    view = _view(session, policy, _known(session, criterion_id))
    values = form_values(session, criterion_id, view)
    return _form_page(request, viewer, session, values, criterion=view)


@pages.post("/criteria/{criterion_id}/edit")
async def edit_criterion_form(
    request: Request, viewer: Definer, session: DbSession, policy: Policy, criterion_id: RowId
) -> Response:
    _known(session, criterion_id)
    form = await staff_form(request, viewer)
    try:
        values = _definition(form)
        values.setdefault("review_date", None)
        values.setdefault("description", None)
        values["recompute_baseline"] = form.get("recompute_baseline") == "on"
        values["reason"] = form.get("reason") or None
        edit = parse(CriterionEdit, values)
        edit_criterion_by_id(session, criterion_id, edit, viewer.email, _now(), policy)
    except InputError as error:
        return _form_page(
            request,
            viewer,
            session,
            form,
            criterion=_view(session, policy, criterion_id),
            error=str(error),
            status_code=422,
        )
    record(session, viewer.audit_key, "edit_criterion", str(criterion_id))
    return RedirectResponse(f"/criteria/{criterion_id}", status_code=303)


@pages.post("/criteria/{criterion_id}/retire")
async def retire_criterion_form(
    request: Request, viewer: Definer, session: DbSession, policy: Policy, criterion_id: RowId
) -> Response:
    _known(session, criterion_id)
    form = await staff_form(request, viewer)
    try:
        retire_criterion_by_id(session, criterion_id, form.get("reason", ""), viewer.email, _now())
    except InputError as error:
        return _detail(request, viewer, session, policy, criterion_id, str(error), 422)
    record(session, viewer.audit_key, "retire_criterion", str(criterion_id))
    return RedirectResponse(f"/criteria/{criterion_id}", status_code=303)


@pages.post("/criteria/{criterion_id}/delete")
async def delete_criterion_form(
    request: Request, viewer: Definer, session: DbSession, policy: Policy, criterion_id: RowId
) -> Response:
    _known(session, criterion_id)
    await staff_form(request, viewer)
    try:
        delete_criterion_by_id(session, criterion_id, dt.date.today())
    except InputError as error:
        return _detail(request, viewer, session, policy, criterion_id, str(error), 422)
    record(session, viewer.audit_key, "delete_criterion", str(criterion_id))
    return RedirectResponse("/criteria", status_code=303)
