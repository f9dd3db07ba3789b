"""Connections over HTTP (admins only): the list, and adding or removing one by form.

No page or response carries a credential: views come from `sync.queries`, which never read
them, and the form's token goes straight to `add_connection`, which encrypts it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import SecretStr, ValidationError

from gaplens.audit.service import record
from gaplens.errors import InputError, InputProblem
from gaplens.sync.queries import connection_views
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, ConnectionView
from gaplens.sync.service import add_connection, remove_connection
from gaplens.web.deps import Admin, DbSession
from gaplens.web.pages import render
from gaplens.web.security import check_staff_csrf

router = APIRouter()
_NO_TOKEN = SecretStr("")


@router.get("/api/v1/admin/connections", tags=["admin"])
def list_connections(viewer: Admin, session: DbSession) -> list[ConnectionView]:
    """Every connection with its cursors, last success and last error; never a secret."""
    del viewer
    return connection_views(session)


@router.get("/admin/connections", response_class=HTMLResponse, include_in_schema=False)
def connections_page(request: Request, viewer: Admin, session: DbSession) -> Response:
    return _page(request, viewer, session)


def _page(
    request: Request,
    viewer: Admin,
    session: DbSession,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_connections.html.j2",
        status_code=status_code,
        title="Connections",
        viewer=viewer,
        connections=connection_views(session),
        kinds=[k.value for k in ConnectionKind],
        error=error,
        notice=notice,
    )


@router.post("/admin/connections", include_in_schema=False)
def add_connection_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "copilot",
    name: Annotated[str, Form(max_length=200)] = "",
    org: Annotated[str, Form(max_length=300)] = "",
    base_url: Annotated[str, Form(max_length=600)] = "https://api.github.com",
    interval_minutes: Annotated[str, Form(max_length=10)] = "1440",
    token: Annotated[SecretStr, Form(max_length=2000)] = _NO_TOKEN,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        spec = ConnectionIn.model_validate(
            {
                "kind": kind,
                "name": name.strip(),
                "org": org.strip(),
                "base_url": base_url.strip(),
                "interval_minutes": interval_minutes.strip() or "1440",
                "token": token.get_secret_value().strip(),
                "email": email.strip() or None,
            }
        )
        view = add_connection(session, spec)
    except ValidationError as invalid:
        problems = [
            InputProblem(e["msg"], column=".".join(str(p) for p in e["loc"]))
            for e in invalid.errors()
        ]
        return _page(request, viewer, session, str(InputError(problems)), status_code=422)
    except InputError as error:
        return _page(request, viewer, session, str(error), status_code=422)
    record(session, viewer.audit_key, "add_connection", view.name, {"kind": view.kind})
    return _page(request, viewer, session, notice=f"Connected {view.name}.")


@router.post("/admin/connections/{connection_id}/remove", include_in_schema=False)
def remove_connection_form(
    request: Request,
    viewer: Admin,
    session: DbSession,
    connection_id: int,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_staff_csrf(request, viewer.csrf_token, csrf_token)
    try:
        name = remove_connection(session, connection_id)
    except InputError:
        return RedirectResponse("/admin/connections", status_code=303)
    record(session, viewer.audit_key, "remove_connection", name)
    return _page(request, viewer, session, notice=f"Removed {name}; what it pulled stays.")
