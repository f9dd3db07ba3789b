"""Staff sign-in and sign-out. Respondents never sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gaplens.accounts.service import (
    SESSION_LIFETIME,
    LoginThrottled,
    authenticate,
    end_session,
    start_session,
    viewer_for_token,
)
from gaplens.audit.service import record
from gaplens.web.deps import SESSION_COOKIE, DbSession, settings
from gaplens.web.pages import render
from gaplens.web.security import (
    ANON_CSRF_COOKIE,
    check_anonymous_csrf,
    check_staff_csrf,
    new_form_token,
    set_form_cookie,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def login_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    token = new_form_token()
    response = render(
        request,
        "login.html.j2",
        status_code=status_code,
        title="Staff sign in",
        form_token=token,
        next=safe_next(request.query_params.get("next")),
        error=error,
    )
    set_form_cookie(response, token, settings(request).secure_cookies, "/")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    form_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    check_anonymous_csrf(request, form_token)
    try:
        user = authenticate(session, email, password)
    except LoginThrottled:
        raise HTTPException(
            status_code=429, detail="Too many failed sign-ins for this account; wait 15 minutes."
        ) from None
    if user is None:
        return login_page(request, "Email or password is not right.", status_code=401)
    token = start_session(session, user)
    record(session, f"staff:{user.id}", "sign_in", "session")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings(request).secure_cookies,
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    viewer = viewer_for_token(session, token)
    if viewer is not None:
        check_staff_csrf(request, viewer.csrf_token, csrf_token)
        end_session(session, token)
        record(session, viewer.audit_key, "sign_out", "session")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
