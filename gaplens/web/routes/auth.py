"""Staff sign-in and sign-out, by password or single sign-on (OpenID Connect, see
docs/sso.md). Respondents never sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from gaplens.accounts.service import (
    SESSION_LIFETIME,
    LoginThrottled,
    authenticate,
    end_session,
    start_session,
    viewer_for_token,
)
from gaplens.accounts.sso import (
    SSO_LOGIN_LIFETIME,
    SsoRefused,
    begin_sso_login,
    claimed_groups,
    is_sso_account,
    role_for_groups,
    sso_account,
    take_sso_login,
)
from gaplens.audit.service import record
from gaplens.web.abuse import AnonymousRateLimiter
from gaplens.web.deps import SESSION_COOKIE, DbSession, settings
from gaplens.web.pages import render, render_error
from gaplens.web.security import (
    ANON_CSRF_COOKIE,
    check_anonymous_csrf,
    check_staff_csrf,
    new_form_token,
    set_form_cookie,
)
from gaplens.web.sso import OidcClient, SsoError

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
        password_login=settings(request).password_login,
        sso_name=oidc.provider_name if (oidc := settings(request).oidc) else None,
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
    if not settings(request).password_login:
        raise HTTPException(
            status_code=403, detail="Password sign-in is switched off: use single sign-on."
        )
    try:
        user = authenticate(session, email, password)
    except LoginThrottled:
        raise HTTPException(
            status_code=429, detail="Too many failed sign-ins for this account; wait 15 minutes."
        ) from None
    if user is None:
        return login_page(request, "Email or password is not right.", status_code=401)
    token = start_session(session, user)
    record(session, f"staff:{user.id}", "sign_in", "session", {"method": "password"})
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(ANON_CSRF_COOKIE, path="/")
    return response


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings(request).secure_cookies,
        path="/",
    )


SSO_COOKIE = "gaplens_sso"
SSO_PATH = "/login/sso"


def oidc_client(request: Request) -> OidcClient:
    client: OidcClient | None = request.app.state.oidc_client
    if client is None:
        raise HTTPException(status_code=404, detail="Single sign-on is not set up.")
    return client


def redirect_uri(request: Request, client: OidcClient) -> str:
    return client.settings.redirect_uri or str(request.url_for("sso_callback"))


@router.get(SSO_PATH)
def sso_start(
    request: Request, session: DbSession, next: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    """Sends the browser to the provider; the state, nonce and PKCE verifier stay here,
    bound to this browser by a cookie that only the callback path receives."""
    client = oidc_client(request)
    limiter: AnonymousRateLimiter = request.app.state.sso_limiter
    if not limiter.allow(request.client.host if request.client else None):
        raise HTTPException(status_code=429, detail="Too many sign-ins started; try again later.")
    try:
        client.metadata()  # the provider answers before anything is stored
        key, pending = begin_sso_login(session, safe_next(next))
        url = client.authorization_url(
            redirect_uri(request, client), pending.state, pending.nonce, pending.code_verifier
        )
    except SsoError as error:
        return render_error(request, error.status_code, error.message)
    response = RedirectResponse(url, status_code=303)
    # Lax, not Strict: the provider sends the browser back with a cross-site navigation.
    response.set_cookie(
        SSO_COOKIE,
        key,
        max_age=int(SSO_LOGIN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings(request).secure_cookies,
        path=SSO_PATH,
    )
    return response


@router.get(SSO_PATH + "/callback", name="sso_callback")
def sso_callback(
    request: Request,
    session: DbSession,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=4000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    iss: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    client = oidc_client(request)
    taken = take_sso_login(session, request.cookies.get(SSO_COOKIE), state)
    pending = taken.pending
    if pending is None:
        return sso_refusal(
            request,
            session,
            400,
            "This sign-in is not valid any more: it was used already, is more than 10 "
            "minutes old or was started in another browser. Start again.",
            "state",
            audit=taken.existed,
        )
    if iss and iss != client.settings.issuer:
        # RFC 9207: a response from another provider (a mix-up attack) is not ours.
        return sso_refusal(
            request, session, 400, "The sign-in answer came from another provider.", "issuer"
        )
    if error or not code:
        return sso_refusal(
            request, session, 400, f"The sign-in provider did not sign you in ({error}).", "error"
        )
    try:
        identity = client.finish(
            redirect_uri(request, client), code, pending.nonce, pending.code_verifier
        )
    except SsoError as refusal:
        return sso_refusal(request, session, refusal.status_code, refusal.message, "token")
    groups = claimed_groups(identity.claims, client.settings.groups_claim)
    role = role_for_groups(groups, client.settings.role_map)
    try:
        account = sso_account(
            session, identity.issuer, identity.subject, identity.email, identity.display_name, role
        )
    except SsoRefused as refusal:
        reason = "no role" if role is None else "account"
        return sso_refusal(request, session, refusal.status_code, refusal.message, reason)
    user = account.user
    actor = f"staff:{user.id}"
    if account.created:
        record(
            session,
            actor,
            "sso_account_created",
            f"staff_user:{user.id}",
            {"issuer": identity.issuer, "role": user.role.value},
        )
    elif account.role_changed:
        record(
            session, actor, "sso_role_changed", f"staff_user:{user.id}", {"role": user.role.value}
        )
    token = start_session(session, user)
    record(session, actor, "sign_in", "session", {"method": "oidc", "issuer": identity.issuer})
    # A 200 page that moves on by itself, not a redirect: a browser does not send the
    # SameSite=Strict session cookie on a redirect chain that began at the provider.
    response = render(
        request,
        "continue.html.j2",
        title="Signed in",
        message=f"You are signed in as {user.display_name}.",
        target=pending.next,
        link_text="Continue",
    )
    set_session_cookie(request, response, token)
    response.delete_cookie(SSO_COOKIE, path=SSO_PATH)
    return response


def sso_refusal(
    request: Request,
    session: Session,
    status_code: int,
    message: str,
    reason: str,
    audit: bool = True,
) -> Response:
    """The refusal shown to the person and kept in the audit log (its reason, no token)."""
    if audit:
        record(
            session,
            "anonymous",
            "sso_refused",
            "session",
            {"reason": reason, "status": status_code},
        )
    response = render_error(request, status_code, message)
    response.delete_cookie(SSO_COOKIE, path=SSO_PATH)
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    viewer = viewer_for_token(session, token)
    provider_logout = None
    if viewer is not None:
        check_staff_csrf(request, viewer.csrf_token, csrf_token)
        end_session(session, token)
        record(session, viewer.audit_key, "sign_out", "session")
        client: OidcClient | None = request.app.state.oidc_client
        if client is not None and is_sso_account(session, viewer.user_id):
            back = client.settings.post_logout_redirect_uri or str(request.base_url)
            provider_logout = client.end_session_url(back)
    if provider_logout is None:
        response: Response = RedirectResponse("/", status_code=303)
    else:
        # A page, not a redirect: the pages' CSP (form-action 'self') stops a form from
        # being redirected to another site, and the provider's sign-out is one.
        response = render(
            request,
            "continue.html.j2",
            title="Signed out",
            message="You are signed out of gaplens. Signing you out of "
            f"{client.settings.provider_name if client else 'the provider'} too.",
            target=provider_logout,
            link_text="Sign out of the provider",
        )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
