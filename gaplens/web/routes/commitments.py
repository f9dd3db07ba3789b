"""What stays the same: the public statements page and API, and making, rewording and
retiring statements (leaders and admins). The answer and feedback pages read the statements
through the per-worker cache, so the busiest page gains no database work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import Viewer
from gaplens.audit.service import record
from gaplens.commitments.schemas import (
    CATEGORY_LABELS,
    RetireIn,
    StatementCreated,
    StatementIn,
    StatementOut,
)
from gaplens.commitments.service import (
    StatementCache,
    StatementNotFound,
    create_statement,
    get_statement,
    list_statements,
    retire_statement,
    revise_statement,
    validate_retirement,
    validate_statement,
)
from gaplens.directory.service import team_functions
from gaplens.errors import InputError
from gaplens.i18n import N_
from gaplens.web.deps import DbSession, optional_viewer, require
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf, same_origin

router = APIRouter()
StatementId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Editor = Annotated[Viewer, Depends(require(StaffRole.LEADER, StaffRole.ADMIN))]
MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]
FIELDS = ("category", "text", "stated_by", "function", "review_on")


def statement_cache(request: Request) -> StatementCache:
    cache: StatementCache = request.app.state.statements
    return cache


def _changed(request: Request, response: Response) -> Response:
    """Forget the cached statements now, and again once the request's commit is done (so a
    read racing the commit cannot keep the old wording for a whole cache period)."""
    cache = statement_cache(request)
    cache.invalidate()
    response.background = BackgroundTask(cache.invalidate)
    return response


def _forget(request: Request, tasks: BackgroundTasks) -> None:
    """`_changed` for API routes, whose responses FastAPI builds."""
    cache = statement_cache(request)
    cache.invalidate()
    tasks.add_task(cache.invalidate)


def _found(session: Session, statement_id: StatementId) -> StatementOut:
    try:
        return get_statement(session, statement_id)
    except StatementNotFound as missing:
        raise HTTPException(status_code=404, detail=str(missing)) from None


def _cross_site(request: Request) -> None:
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")


# --- pages ------------------------------------------------------------------------------


@router.get("/commitments", response_class=HTMLResponse, include_in_schema=False)
def commitments_page(request: Request, session: DbSession, viewer: MaybeViewer) -> Response:
    statements = list_statements(session)
    return render(
        request,
        "commitments.html.j2",
        title=N_("What stays the same"),
        viewer=viewer,
        current=[s for s in statements if s.retired_on is None],
        retired=[s for s in statements if s.retired_on is not None],
        labels=CATEGORY_LABELS,
        can_write=viewer is not None and viewer.role in (StaffRole.LEADER, StaffRole.ADMIN),
    )


@router.get("/commitments/new", response_class=HTMLResponse, include_in_schema=False)
def new_statement_page(request: Request, session: DbSession, viewer: Editor) -> Response:
    return _form(request, session, viewer, None, {"stated_by": viewer.display_name})


@router.post("/commitments/new", include_in_schema=False)
async def new_statement_submit(request: Request, session: DbSession, viewer: Editor) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    values, data = _form_data(form)
    try:
        row = create_statement(session, viewer.user_id, validate_statement(data))
    except InputError as error:
        return _form(request, session, viewer, None, values, str(error), 422)
    record(session, viewer.audit_key, "create_statement", str(row.id))
    return _changed(request, RedirectResponse(f"/commitments#statement-{row.id}", 303))


@router.get(
    "/commitments/{statement_id}/edit", response_class=HTMLResponse, include_in_schema=False
)
def edit_statement_page(
    request: Request, session: DbSession, viewer: Editor, statement_id: StatementId
) -> Response:
    statement = _found(session, statement_id)
    values = {
        "category": statement.category.value,
        "text": statement.text,
        "stated_by": statement.stated_by,
        "function": statement.function or "",
        "review_on": statement.review_on.isoformat() if statement.review_on else "",
    }
    return _form(request, session, viewer, statement, values)


@router.post("/commitments/{statement_id}/edit", include_in_schema=False)
async def edit_statement_submit(
    request: Request, session: DbSession, viewer: Editor, statement_id: StatementId
) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    statement = _found(session, statement_id)
    values, data = _form_data(form)
    try:
        revise_statement(session, statement_id, viewer.user_id, validate_statement(data))
    except InputError as error:
        return _form(request, session, viewer, statement, values, str(error), 422)
    record(session, viewer.audit_key, "revise_statement", str(statement_id))
    return _changed(request, RedirectResponse(f"/commitments#statement-{statement_id}", 303))


@router.post("/commitments/{statement_id}/retire", include_in_schema=False)
async def retire_statement_submit(
    request: Request, session: DbSession, viewer: Editor, statement_id: StatementId
) -> Response:
    form = await request.form()
    check_staff_csrf(request, viewer.csrf_token, str(form.get("csrf_token") or ""))
    statement = _found(session, statement_id)
    reason = str(form.get("reason") or "")
    try:
        retire_statement(
            session, statement_id, viewer.user_id, validate_retirement({"reason": reason})
        )
    except InputError as error:
        values = {
            "category": statement.category.value,
            "text": statement.text,
            "stated_by": statement.stated_by,
            "function": statement.function or "",
            "review_on": statement.review_on.isoformat() if statement.review_on else "",
            "reason": reason,
        }
        return _form(request, session, viewer, statement, values, str(error), 422)
    record(session, viewer.audit_key, "retire_statement", str(statement_id))
    return _changed(request, RedirectResponse(f"/commitments#statement-{statement_id}", 303))


def _form_data(form: FormData) -> tuple[dict[str, str], dict[str, object]]:
    """What was typed (to show again) and what validation receives (blank optional fields
    left out, so they mean "none")."""
    values = {name: str(form.get(name) or "") for name in FIELDS}
    data: dict[str, object] = {
        name: value
        for name, value in values.items()
        if value.strip() or name in ("category", "text", "stated_by")
    }
    return values, data


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    statement: StatementOut | None,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "commitment_form.html.j2",
        status_code=status_code,
        title="Reword a statement" if statement else "Say what stays the same",
        viewer=viewer,
        statement=statement,
        values=values,
        labels=CATEGORY_LABELS,
        functions=team_functions(session),
        error=error,
    )


# --- API ----------------------------------------------------------------------------------


@router.get("/api/v1/commitments", tags=["commitments"])
def statements_api(
    session: DbSession,
    include_retired: Annotated[bool, Query(description="Also list retired statements.")] = True,
) -> list[StatementOut]:
    """Leaders' statements of what stays the same, each with its earlier wordings. Public."""
    return list_statements(session, include_retired=include_retired)


@router.get(
    "/api/v1/commitments/{statement_id}",
    tags=["commitments"],
    responses={404: {"description": "no such statement"}},
)
def statement_api(session: DbSession, statement_id: StatementId) -> StatementOut:
    return _found(session, statement_id)


@router.post(
    "/api/v1/commitments",
    status_code=201,
    tags=["commitments"],
    responses={422: {"description": "invalid statement; the field is named"}},
)
def create_api(
    request: Request, session: DbSession, viewer: Editor, body: StatementIn, tasks: BackgroundTasks
) -> StatementCreated:
    """Make a statement of what is not changing (leaders and admins)."""
    _cross_site(request)
    row = create_statement(session, viewer.user_id, body)
    record(session, viewer.audit_key, "create_statement", str(row.id))
    _forget(request, tasks)
    return StatementCreated(id=row.id, revision=row.revision)


@router.put(
    "/api/v1/commitments/{statement_id}",
    tags=["commitments"],
    responses={404: {"description": "no such statement"}, 422: {"description": "invalid"}},
)
def revise_api(
    request: Request,
    session: DbSession,
    viewer: Editor,
    statement_id: StatementId,
    body: StatementIn,
    tasks: BackgroundTasks,
) -> StatementCreated:
    """Reword a statement; the earlier wording stays visible in its history."""
    _cross_site(request)
    _found(session, statement_id)
    row = revise_statement(session, statement_id, viewer.user_id, body)
    record(session, viewer.audit_key, "revise_statement", str(statement_id))
    _forget(request, tasks)
    return StatementCreated(id=row.id, revision=row.revision)


@router.post(
    "/api/v1/commitments/{statement_id}/retire",
    tags=["commitments"],
    responses={404: {"description": "no such statement"}, 422: {"description": "retired"}},
)
def retire_api(
    request: Request,
    session: DbSession,
    viewer: Editor,
    statement_id: StatementId,
    body: RetireIn,
    tasks: BackgroundTasks,
) -> StatementOut:
    """Retire a statement that no longer holds; it stays listed as retired, with the reason."""
    _cross_site(request)
    _found(session, statement_id)
    retire_statement(session, statement_id, viewer.user_id, body)
    record(session, viewer.audit_key, "retire_statement", str(statement_id))
    _forget(request, tasks)
    return get_statement(session, statement_id)
