"""A Microsoft identity platform and Microsoft Graph that speak over real HTTP
(pytest-httpserver), with the documented shapes: the client-credentials token endpoint
(`POST /{tenant}/oauth2/v2.0/token`, form-encoded, answering `token_type`, `expires_in`,
`access_token`, or `{"error": "invalid_client", "error_description": "AADSTS..."}`), and
`GET /{v1.0|beta}/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')` answering JSON
pages chained by `@odata.nextLink` ($skiptoken), or `302 Found` to a pre-authenticated CSV
download on another host. Faults are switched on per test (429 with Retry-After, 500, a 401
for an expired token, a bad page, a page that hangs until released)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.telemetry.payloads import M365_APP_COLUMNS, M365_APP_PROPERTIES, M365_HEADER

TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
CLIENT_SECRET = "qWe8Q~S3cretThatMustNeverLeak.0123456789"
REPORT = "/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')"
CONCEALED = "0123456789ABCDEF0123456789ABCDEF"


def user(n: int, refresh: str, concealed: bool = False) -> dict[str, Any]:
    """One user as the JSON report lists it (person n of tests.files' directory)."""
    last = f"{refresh[:8]}{int(refresh[8:]) - n % 3:02d}" if n % 4 != 3 else ""
    item: dict[str, Any] = {
        "reportRefreshDate": refresh,
        "userPrincipalName": f"{CONCEALED[:-2]}{n:02d}" if concealed else f"person{n}@acme.example",
        "displayName": f"{CONCEALED[:-2]}{n:02d}" if concealed else f"Person {n}",
        "lastActivityDate": last,
    }
    for index, prop in enumerate(M365_APP_PROPERTIES.values()):
        item[prop] = last if last and index % 3 == n % 3 else ""
    item["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 7}]
    return item


@dataclass
class FakeGraph:
    server: HTTPServer
    downloads: HTTPServer
    """Another host: where the 302 for the CSV points."""
    refresh: str = "2026-11-08"
    people: int = 7
    per_page: int = 3
    """Users per JSON page, so 7 users are 3 pages."""
    csv: bool = False
    """Answer the report as Graph does for CSV: 302 to a download URL."""
    concealed: bool = False
    expires_in: int = 3599
    faults: list[tuple[str, str, int]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    valid: set[str] = field(default_factory=set)
    download_authorizations: list[str | None] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        self.downloads.expect_request(re.compile(".*")).respond_with_handler(self.download)

    @property
    def authority(self) -> str:
        return self.server.url_for("").rstrip("/")

    def graph(self, version: str = "v1.0") -> str:
        return f"{self.authority}/{version}"

    def fail(self, kind: str, path: str, times: int = 1) -> None:
        self.faults.append((kind, path, times))

    def revoke(self) -> None:
        """Every token issued so far stops working (as when one expires early)."""
        self.valid.clear()

    def users(self) -> list[dict[str, Any]]:
        return [user(n, self.refresh, self.concealed) for n in range(self.people)]

    def _fault(self, target: str) -> str | None:
        for index, (kind, pattern, times) in enumerate(self.faults):
            if times > 0 and re.search(pattern, target):
                self.faults[index] = (kind, pattern, times - 1)
                return kind
        return None

    def handle(self, request: Request) -> Response:
        path = request.path
        query = request.query_string.decode()
        target = f"{path}?{query}" if query else path
        self.calls[target] += 1
        fault = self._fault(target)
        if request.method == "POST" and path == f"/{TENANT}/oauth2/v2.0/token":
            return self.token(request, fault)
        if fault == "429":
            return _graph_error("TooManyRequests", "Too many requests.", 429, {"Retry-After": "2"})
        if fault == "500":
            return _graph_error("InternalServerError", "Internal server error.", 500)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.valid or fault == "401":
            return _graph_error(
                "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", 401
            )
        match = re.fullmatch(r"/(v1\.0|beta)(/reports/.*)", path)
        if match is None or match[2] != REPORT:
            return _graph_error("BadRequest", "Resource not found for the segment.", 400)
        if fault == "hang":
            self.reached.set()
            self.release.wait(timeout=30)
        if self.csv:
            location = self.downloads.url_for(f"/reports/{self.refresh}.csv") + "?sig=S1gnature"
            return Response("", 302, headers={"Location": location})
        skip = int(request.args.get("$skiptoken", "0"))
        users = self.users()
        page: dict[str, Any] = {
            "@odata.context": f"{self.graph(match[1])}/$metadata#Collection("
            "microsoft.graph.copilotUsageUserDetail)",
            "value": users[skip : skip + self.per_page],
        }
        if fault == "bad":
            page["value"][1] = {**page["value"][1], "wordCopilotLastActivityDate": "last week"}
        if skip + self.per_page < len(users):
            page["@odata.nextLink"] = (
                f"{self.graph(match[1])}{REPORT}?$skiptoken={skip + self.per_page}"
            )
        return Response(json.dumps(page), 200, content_type="application/json; charset=utf-8")

    def token(self, request: Request, fault: str | None) -> Response:
        form = {k: str(v) for k, v in request.form.items()}
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if fault == "429":
            body = {"error": "temporarily_unavailable", "error_description": "AADSTS50196"}
            return Response(
                json.dumps(body), 429, headers={"Retry-After": "3"}, content_type="application/json"
            )
        if fault == "500":
            return Response("<html>Service unavailable</html>", 503, content_type="text/html")
        if (
            form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or fault == "invalid_client"
        ):
            body = {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure "
                "the secret being sent in the request is the client secret value.\r\n"
                "Trace ID: 0000\r\nCorrelation ID: 1111",
                "error_codes": [7000215],
            }
            return Response(json.dumps(body), 401, content_type="application/json")
        if form.get("grant_type") != "client_credentials" or form.get("scope") != (
            "https://graph.microsoft.com/.default"
        ):
            body = {"error": "invalid_request", "error_description": "AADSTS900144: scope"}
            return Response(json.dumps(body), 400, content_type="application/json")
        access = f"eyJ0eXAiOiJKV1QiLCJub25jZSI6.tok{next(self._serial)}"
        self.valid.add(access)
        body = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": access,
        }
        return Response(json.dumps(body), 200, content_type="application/json")

    def download(self, request: Request) -> Response:
        self.calls[f"download:{request.path}"] += 1
        self.download_authorizations.append(request.headers.get("Authorization"))
        if self._fault(f"download:{request.path}") == "404":
            return Response("<Error><Code>BlobNotFound</Code></Error>", 404)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(M365_HEADER)
        for item in self.users():
            writer.writerow(
                [item["reportRefreshDate"], item["userPrincipalName"], item["displayName"]]
                + [item["lastActivityDate"]]
                + [item[M365_APP_PROPERTIES[app]] for app in M365_APP_COLUMNS]
                + ["7"]
            )
        return Response("\ufeff" + buffer.getvalue(), 200, content_type="application/octet-stream")


def _graph_error(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "0"}}}
    return Response(json.dumps(body), status, headers=headers, content_type="application/json")
