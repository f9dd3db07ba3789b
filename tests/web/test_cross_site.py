"""Every state-changing request a browser sends from another site is refused (403, JSON)
by one middleware before any route runs; reads and Slack's signed command are not."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.accounts.models import StaffUser
from gaplens.db.engine import session_scope
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.integrations.slack_payloads import signed_headers, slash_body
from tests.integrations.teams_payloads import activity, body_of, signed
from tests.web.conftest import TEAMS_TOKEN, form_token, sign_in

FOREIGN = "https://evil.example"
NEW_USER = {
    "email": "new.analyst@northwind.example",
    "display_name": "New",
    "role": "analyst",
    "password": "a long enough password",
}


def staff_count(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(StaffUser)) or 0)


def assert_refused(response) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/json"
    assert "another site" in response.json()["detail"]
    assert response.headers["x-frame-options"] == "DENY"  # still hardened


FOREIGN_HEADERS = [
    {"origin": FOREIGN},
    {"origin": "http://testserver.evil.example"},
    {"origin": "http://testserver:8080"},  # another port is another origin
    {"origin": "null"},
    {"referer": FOREIGN + "/attack.html"},  # no Origin: the Referer decides
    {"origin": "http://testserver", "sec-fetch-site": "cross-site"},
]
OWN_HEADERS = [
    {},  # scripts and curl send neither header
    {"origin": "http://testserver"},
    {"origin": "https://testserver"},  # the same host behind a TLS-terminating proxy
    {"referer": "http://testserver/admin/users"},
    {"origin": "http://testserver", "sec-fetch-site": "same-origin"},
]


# Each header set is tried in one test (not one test each): a test's set-up loads a
# 400-person organisation, and the requests themselves take milliseconds.
def test_admin_api_write_from_another_site_is_refused_and_changes_nothing(
    client: TestClient, web_db: str
):
    sign_in(client, "admin")
    before = staff_count(web_db)
    for headers in FOREIGN_HEADERS:
        assert_refused(client.post("/api/v1/admin/users", json=NEW_USER, headers=headers))
        assert staff_count(web_db) == before, headers


def test_admin_api_write_from_its_own_pages_works(client: TestClient, web_db: str):
    sign_in(client, "admin")
    before = staff_count(web_db)
    for n, headers in enumerate(OWN_HEADERS, start=1):
        user = {**NEW_USER, "email": f"own{n}@northwind.example"}
        created = client.post("/api/v1/admin/users", json=user, headers=headers)
        assert created.status_code == 201, (headers, created.text)
        assert staff_count(web_db) == before + n


def test_a_staff_form_post_from_another_site_is_refused(client: TestClient, web_db: str):
    sign_in(client, "admin")
    token = form_token(client, "/admin/users")
    before = staff_count(web_db)
    response = client.post(
        "/admin/users",
        data={**{k: v for k, v in NEW_USER.items()}, "csrf_token": token},
        headers={"origin": FOREIGN},
    )
    assert_refused(response)
    assert staff_count(web_db) == before


def test_reads_from_another_site_still_work(client: TestClient, web_db: str):
    sign_in(client, "admin")
    for path in ("/api/v1/admin/users", "/admin/users", "/api/v1/me"):
        response = client.get(path, headers={"origin": FOREIGN, "sec-fetch-site": "cross-site"})
        assert response.status_code == 200, path
    assert client.head("/healthz", headers={"origin": FOREIGN}).status_code != 403


def flattened(routes: Iterable[Any]) -> Iterator[Any]:
    """The app's routes, with included routers (no prefixes here) opened up."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from flattened(inner.routes) if inner is not None else (route,)


def test_every_state_changing_route_is_covered(client: TestClient, web_db: str):
    """Whatever the route (API or form, staff or anonymous), the middleware answers first."""
    sign_in(client, "admin")
    checked = 0
    for route in flattened(client.app.routes):  # type: ignore[attr-defined]
        for method in sorted(getattr(route, "methods", None) or ()):
            if method in ("GET", "HEAD", "OPTIONS"):
                continue
            path = route.path.replace("{", "").replace("}", "")  # any value: never reached
            response = client.request(method, path, json={}, headers={"origin": FOREIGN})
            if route.path in ("/integrations/slack/command", "/integrations/teams/message"):
                assert response.status_code == 401  # its own signature check refuses it
            else:
                assert_refused(response)
                checked += 1
    assert checked > 40


def test_slack_command_is_not_affected(client: TestClient, web_db: str):
    body = slash_body("idea: run a lunch and learn")
    headers = {
        **signed_headers(body, int(time.time()), "test-secret"),
        "content-type": "application/x-www-form-urlencoded",
        "origin": FOREIGN,
        "sec-fetch-site": "cross-site",
    }
    response = client.post("/integrations/slack/command", content=body, headers=headers)
    assert response.status_code == 200, response.text


def test_teams_message_is_not_affected(client: TestClient, web_db: str):
    body = body_of(activity("idea: run a lunch and learn", time.time()))
    headers = {**signed(body, TEAMS_TOKEN), "origin": FOREIGN, "sec-fetch-site": "cross-site"}
    response = client.post("/integrations/teams/message", content=body, headers=headers)
    assert response.status_code == 200, response.text


def test_a_configured_origin_is_accepted(web_db: str):
    settings = WebSettings(
        database_url=web_db,
        secure_cookies=False,
        slack_signing_secret=None,
        allowed_origins=("https://gaplens.northwind.example",),
    )
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        sign_in(client, "admin")
        ok = client.post(
            "/api/v1/admin/users",
            json=NEW_USER,
            headers={"origin": "https://gaplens.northwind.example"},
        )
        assert ok.status_code == 201, ok.text
        assert_refused(client.post("/api/v1/admin/users/1/deactivate", headers={"origin": FOREIGN}))
