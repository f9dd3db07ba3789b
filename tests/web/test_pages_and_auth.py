"""Pages, sign-in, CSRF, sessions and hardening, through the real ASGI app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from tests.web.conftest import PASSWORD, STAFF, form_token, sign_in

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:|//)""", re.I)


def test_health_openapi_and_front_door(client: TestClient):
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/perception" in spec["paths"]
    home = client.get("/")
    assert home.status_code == 200
    assert "What is stored, and what is not" in home.text
    assert not EXTERNAL.search(home.text)
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    assert home.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in home.headers, "the front door sets no cookie"


def test_assets_are_served_by_the_app(client: TestClient):
    css = client.get("/static/app.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "script-src 'self';" in css.headers["content-security-policy"]
    assert "unsafe-eval" not in css.headers["content-security-policy"]


def test_sign_in_sets_a_hardened_session_and_sign_out_needs_its_token(client: TestClient):
    sign_in(client, "leader")
    cookie = next(c for c in client.cookies.jar if c.name == "gaplens_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Perception by role level" in page.text
    assert client.get("/api/v1/me").json()["role"] == "leader"
    # Sign-out without the CSRF token is refused and the session survives.
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    token = form_token(client, "/dashboard")
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_then_throttling_per_account(client: TestClient):
    for _ in range(5):
        token = form_token(client, "/login")
        response = client.post(
            "/login",
            data={"email": STAFF["admin"][0], "password": "wrong password!", "form_token": token},
        )
        assert response.status_code == 401
        assert "Email or password is not right" in response.text
    token = form_token(client, "/login")
    response = client.post(
        "/login", data={"email": STAFF["admin"][0], "password": PASSWORD, "form_token": token}
    )
    assert response.status_code == 429, "even the right password waits after five failures"
    # Another account is not affected.
    sign_in(client, "analyst")


def test_login_form_needs_its_token_and_same_origin(client: TestClient):
    data = {"email": STAFF["admin"][0], "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 403
    token = form_token(client, "/login")
    forged = client.post(
        "/login", data={**data, "form_token": token}, headers={"origin": "https://evil.example"}
    )
    assert forged.status_code == 403


def test_no_open_redirect_after_sign_in(client: TestClient):
    token = form_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "email": STAFF["admin"][0],
            "password": PASSWORD,
            "form_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"content-type": "application/x-www-form-urlencoded"}, b"a=" + b"x" * 70_000, 413),
        ({"content-type": "application/json"}, b'{"email": 1}', 422),
        ({"content-type": "text/plain"}, b"hello", 422),
    ],
)
def test_bad_bodies_get_4xx_json_or_page(client: TestClient, headers, body, status):
    response = client.post("/login", content=body, headers=headers)
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_views_are_audited(client: TestClient, web_db: str):
    sign_in(client, "analyst")
    client.get("/dashboard")
    client.get("/api/v1/perception")
    with session_scope(web_db) as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("view_perception") == 2
    assert "sign_in" in actions


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/v1/trend?series=%00", {}),
        (
            "POST",
            "/api/v1/responses",
            {"json": {"link": "abcdefgh\u0000", "role_level": "manager"}},
        ),
        ("POST", "/feedback", {"data": {"kind": "idea", "text": "nul \x00 here"}}),
    ],
)
def test_nul_characters_are_refused_at_the_door(client: TestClient, method, path, kwargs):
    """Found by schemathesis: PostgreSQL cannot store NUL, so no request may carry one."""
    response = client.request(method, path, **kwargs)
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
