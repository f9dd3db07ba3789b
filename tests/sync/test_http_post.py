"""`ApiClient.post_json` against a real local server: the JSON body and the token go with
every try, 5xx and 429 are retried like a GET, a 401 is not, and an answer that is not JSON
is named by its URL without the query."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from gaplens.sync.http import ApiClient, Retrying, SyncError, TokenRejectedError

BODY = {"startDate": 1760000000000, "endDate": 1762591999999}


def client(server: HTTPServer, waits: list[float]) -> ApiClient:
    return ApiClient(
        server.url_for(""),
        {"Authorization": "Basic c2VjcmV0Og=="},
        Retrying(backoff=0.5, sleep=waits.append),
    )


def test_a_post_is_retried_after_a_5xx_and_a_429_with_the_same_body(httpserver: HTTPServer):
    seen: list[tuple[str, object, str | None, str | None]] = []
    answers = [
        Response("{}", 502),
        Response("{}", 429, headers={"Retry-After": "2"}),
        Response(json.dumps({"data": [1, 2]}), 200, content_type="application/json"),
    ]

    def handle(request: Request) -> Response:
        seen.append(
            (
                request.method,
                json.loads(request.get_data(as_text=True)),
                request.headers.get("Authorization"),
                request.headers.get("Content-Type"),
            )
        )
        return answers[len(seen) - 1]

    httpserver.expect_request("/teams/daily-usage-data", method="POST").respond_with_handler(handle)
    waits: list[float] = []
    with client(httpserver, waits) as api:
        body, response = api.post_json("/teams/daily-usage-data", BODY)
    assert body == {"data": [1, 2]} and response.status_code == 200
    assert waits == [0.5, 2.0]
    assert seen == [("POST", BODY, "Basic c2VjcmV0Og==", "application/json")] * 3


def test_a_post_answered_401_is_not_retried_and_shows_no_secret(httpserver: HTTPServer):
    httpserver.expect_request("/teams/daily-usage-data", method="POST").respond_with_json(
        {"error": "Unauthorized"}, status=401
    )
    waits: list[float] = []
    with client(httpserver, waits) as api, pytest.raises(TokenRejectedError) as rejected:
        api.post_json("/teams/daily-usage-data", BODY)
    assert waits == [] and len(httpserver.log) == 1
    assert "c2VjcmV0" not in str(rejected.value) and "answered 401" in str(rejected.value)


def test_a_post_answered_with_html_is_named_by_its_url(httpserver: HTTPServer):
    httpserver.expect_request("/teams/daily-usage-data", method="POST").respond_with_data(
        "<html>maintenance</html>", content_type="text/html"
    )
    with client(httpserver, []) as api, pytest.raises(SyncError) as failed:
        api.post_json(httpserver.url_for("/teams/daily-usage-data?sig=abc"), BODY)
    assert str(failed.value) == (
        f"{httpserver.url_for('/teams/daily-usage-data')} did not answer with JSON"
    )
