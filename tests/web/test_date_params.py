"""Every date a request names (as_of, period_from/period_to, from/to) is bounded to
1900-01-01..2999-12-31: an absurd or malformed day is a 4xx naming the field, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import sign_in

ABSURD = ("9999-12-31", "0001-01-01", "2026-02-30", "soon")
# (path, the date's parameter, other parameters, the field the message names)
API = [
    ("/api/v1/metrics/throughput", "as_of", {}, "as_of"),
    ("/api/v1/adoption", "as_of", {}, "as_of"),
    ("/api/v1/perception", "period_from", {}, "period_from"),
    ("/api/v1/perception", "period_to", {}, "period_to"),
    ("/api/v1/exports/perception.csv", "period_from", {}, "period_from"),
    ("/api/v1/exports/report", "from", {"to": "2026-06-30", "format": "json"}, "from"),
    ("/api/v1/exports/report", "to", {"from": "2026-01-01", "format": "json"}, "to"),
]
PAGES = [
    ("/metrics", "as_of", {}),
    ("/adoption", "as_of", {}),
    ("/dashboard", "period_from", {}),
    ("/dashboard", "period_to", {}),
    ("/reports/file", "from", {"to": "2026-06-30", "format": "json"}),
    ("/reports/file", "to", {"from": "2026-01-01", "format": "json"}),
]


@pytest.fixture
def staff(client: TestClient, web_db: str) -> TestClient:
    sign_in(client, "analyst")
    return client


def test_the_metric_key_used_here_exists(staff: TestClient):
    keys = {m["key"] for m in staff.get("/api/v1/metrics").json()}
    assert "throughput" in keys


# Each absurd value is tried in one test per endpoint (not one test each): a test's set-up
# loads a 400-person organisation, and the checks themselves take milliseconds.
@pytest.mark.parametrize(("path", "name", "others", "field"), API)
def test_api_refuses_an_absurd_day_naming_the_field(
    staff: TestClient, path: str, name: str, others: dict[str, str], field: str
):
    for value in ABSURD:
        response = staff.get(path, params={**others, name: value})
        assert response.status_code == 422, (path, name, value, response.text[:300])
        body = response.json()
        fields = [p["field"].split(".")[-1] for p in body["problems"]]
        assert field in fields, body
        message = " ".join(p["message"] for p in body["problems"])
        if value in ("9999-12-31", "0001-01-01"):
            assert "2999-12-31" in message or "1900-01-01" in message, body


@pytest.mark.parametrize(("path", "name", "others"), PAGES)
def test_pages_show_the_message_for_an_absurd_day(
    staff: TestClient, path: str, name: str, others: dict[str, str]
):
    for value in ABSURD:
        response = staff.get(path, params={**others, name: value})
        assert 400 <= response.status_code < 500, (path, name, value, response.text[:300])
        assert "text/html" in response.headers["content-type"]
        assert name in response.text
        if value in ("9999-12-31", "0001-01-01"):
            assert "2999-12-31" in response.text or "1900-01-01" in response.text


@pytest.mark.parametrize(("path", "name", "others", "field"), API)
def test_the_bounds_themselves_are_accepted(
    staff: TestClient, path: str, name: str, others: dict[str, str], field: str
):
    for value in ("1900-01-01", "2999-12-31"):
        params = {**others, name: value}
        if name == "from":
            params["to"] = "2999-12-31"
        if name == "to":
            params["from"] = "1900-01-01"
        response = staff.get(path, params=params)
        assert response.status_code < 500, (path, name, value, response.text[:300])
        assert response.status_code != 422 or field not in response.text, response.text


@pytest.mark.parametrize(
    ("who", "path", "body", "field"),
    [
        ("admin", "/api/v1/admin/reflections/schedule", {}, "since"),
        ("admin", "/api/v1/admin/reflections/links", {}, "due"),
        (
            "leader",
            "/api/v1/commitments",
            {"category": "role", "text": "No role is cut because of AI.", "stated_by": "Lee"},
            "review_on",
        ),
    ],
)
def test_request_bodies_refuse_an_absurd_day_naming_the_field(
    client: TestClient, web_db: str, who: str, path: str, body: dict[str, str], field: str
):
    sign_in(client, who)
    for value in ("9999-12-31", "0001-01-01", "soon"):
        response = client.post(path, json={**body, field: value})
        assert response.status_code == 422, (path, value, response.text[:300])
        problems = response.json()["problems"]
        assert field in [p["field"].split(".")[-1] for p in problems], problems
