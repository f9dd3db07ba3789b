"""Request-scoped dependencies: the database session (committed once per request) and the
signed-in staff member."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from gaplens.accounts.schemas import StaffRole
from gaplens.accounts.service import Viewer, viewer_for_token
from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.web.settings import WebSettings

SESSION_COOKIE = "gaplens_session"


def settings(request: Request) -> WebSettings:
    value: WebSettings = request.app.state.settings
    return value


def db_session(request: Request) -> Iterator[Session]:
    with session_scope(settings(request).database_url) as session:
        yield session


def privacy_policy(request: Request) -> PrivacyPolicy:
    """The app's one policy, set once by the app factory (`privacy.configured_policy`)."""
    value: PrivacyPolicy = request.app.state.policy
    return value


Policy = Annotated[PrivacyPolicy, Depends(privacy_policy)]


DbSession = Annotated[Session, Depends(db_session, scope="function")]
"""Committed when the route function returns, before the response is sent: a 2xx means the
write is durable (FastAPI's default scope would commit after sending)."""


class LoginRequired(Exception):  # noqa: N818 - control flow, turned into a redirect or 401
    pass


def optional_viewer(request: Request, session: DbSession) -> Viewer | None:
    return viewer_for_token(session, request.cookies.get(SESSION_COOKIE))


def require(*roles: StaffRole) -> Callable[..., Viewer]:
    """A dependency admitting only signed-in staff with one of `roles` (any role if none)."""

    def dependency(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
        if viewer is None:
            raise LoginRequired
        if roles and viewer.role not in roles:
            raise HTTPException(status_code=403, detail="your role does not allow this")
        return viewer

    return dependency


AnyStaff = Annotated[Viewer, Depends(require())]
Admin = Annotated[Viewer, Depends(require(StaffRole.ADMIN))]
