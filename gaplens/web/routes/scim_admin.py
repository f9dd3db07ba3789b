"""SCIM tokens on the admin page: issue (shown once), list by name, revoke. The same
service functions as `gaplens scim token`, audited under the admin's key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from gaplens.errors import InputError
from gaplens.scim.service import create_token, revoke_token, token_list
from gaplens.web.deps import Admin, DbSession
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    viewer: Admin,
    session: DbSession,
    *,
    error: str | None = None,
    notice: str | None = None,
    issued: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_scim.html.j2",
        status_code=status_code,
        title="SCIM provisioning",
        viewer=viewer,
        tokens=token_list(session),
        scim_url=str(request.base_url).rstrip("/") + "/scim/v2",
        error=error,
        notice=notice,
        issued=issued,
    )


@router.get("/admin/scim", response_class=HTMLResponse)
def scim_page(request: Request, viewer: Admin, session: DbSession) -> Response:
    return _page(request, viewer, session)


@router.post("/admin/scim")
def create_token_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        token = create_token(session, name, viewer.audit_key)
    except InputError as error:
        return _page(request, viewer, session, error=str(error), status_code=422)
    return _page(request, viewer, session, issued=(name.strip(), token))


@router.post("/admin/scim/revoke")
def revoke_token_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        revoke_token(session, name, viewer.audit_key)
    except InputError as error:
        return _page(request, viewer, session, error=str(error), status_code=422)
    return _page(request, viewer, session, notice=f"Revoked {name.strip()}.")
