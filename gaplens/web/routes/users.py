"""Staff account administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gaplens.accounts.queries import staff_accounts
from gaplens.accounts.schemas import StaffRole, UserIn, UserOut
from gaplens.accounts.service import add_account, deactivate_account
from gaplens.audit.service import record
from gaplens.errors import InputError
from gaplens.web.deps import Admin, DbSession
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf

router = APIRouter()


@router.get("/api/v1/admin/users", tags=["admin"])
def list_users(viewer: Admin, session: DbSession) -> list[UserOut]:
    return staff_accounts(session)


@router.post("/api/v1/admin/users", status_code=201, tags=["admin"])
def add_user(viewer: Admin, session: DbSession, body: UserIn) -> UserOut:
    user = add_account(session, body)
    record(session, viewer.audit_key, "create_user", user.email, {"role": user.role.value})
    return user


@router.post("/api/v1/admin/users/{user_id}/deactivate", tags=["admin"])
def deactivate(viewer: Admin, session: DbSession, user_id: int) -> UserOut:
    user = deactivate_account(session, user_id, viewer.user_id)
    record(session, viewer.audit_key, "deactivate_user", user.email)
    return user


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, viewer: Admin, session: DbSession) -> Response:
    return _page(request, viewer, session)


def _page(
    request: Request,
    viewer: Admin,
    session: DbSession,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_users.html.j2",
        status_code=status_code,
        title="Staff accounts",
        viewer=viewer,
        users=staff_accounts(session),
        roles=[r.value for r in StaffRole],
        error=error,
    )


@router.post("/admin/users", include_in_schema=False)
def add_user_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        body = UserIn.model_validate(
            {"email": email, "display_name": display_name, "role": role, "password": password}
        )
        add_user(viewer, session, body)
    except ValidationError as invalid:
        message = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())
        return _page(request, viewer, session, message, status_code=422)
    except InputError as error:
        return _page(request, viewer, session, str(error), status_code=422)
    return _page(request, viewer, session)


@router.post("/admin/users/{user_id}/deactivate", include_in_schema=False)
def deactivate_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    user_id: int,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        deactivate(viewer, session, user_id)
    except InputError as error:
        return _page(request, viewer, session, str(error), status_code=422)
    return _page(request, viewer, session)
