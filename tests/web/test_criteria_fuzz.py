"""schemathesis against the success-criteria and wins endpoints, signed in as a leader (the
general fuzz test signs in as an analyst, who may not define criteria): no 5xx, whatever
is sent."""

from __future__ import annotations

import re

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.web.conftest import PASSWORD, STAFF


def leader_cookie(app) -> str:
    with TestClient(app) as client:
        page = client.get("/login")
        token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post(
            "/login", data={"email": STAFF["leader"][0], "password": PASSWORD, "form_token": token}
        )
        return client.cookies["gaplens_session"]


def test_no_server_errors_in_criteria_and_wins(web_db: str):
    app = create_app(
        WebSettings(database_url=web_db, secure_cookies=False, slack_signing_secret="s")
    )
    cookie = leader_cookie(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith(("/api/v1/criteria", "/api/v1/wins"))
    ]
    assert len(operations) == 9
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def no_5xx(case) -> None:
            response = case.call(cookies={"gaplens_session": cookie})
            assert response.status_code < 500, (
                case.method,
                case.path,
                response.status_code,
                response.text[:300],
            )

        no_5xx()
