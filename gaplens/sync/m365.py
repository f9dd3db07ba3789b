"""Microsoft 365 Copilot over Microsoft Graph: the usage user-detail report, pulled daily.

`GET {graph}/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')` (v1.0 or beta, the
connection's API root) answers one of:

- JSON pages `{"@odata.context", "@odata.nextLink"?, "value": [user, ...]}`; every nextLink
  is followed, and the unit is the whole snapshot (all pages in one JSON-lines file, one page
  a line, as `gaplens import m365-copilot` reads them), so a page is never lost;
- `302 Found` to a pre-authenticated download URL of the CSV (how Graph serves report CSVs),
  fetched without the bearer token, which only ever goes to the Graph host;
- the CSV itself.

The token comes from the OAuth 2.0 client-credentials grant (authlib) at
`{authority}/{tenant}/oauth2/v2.0/token`, scope `https://graph.microsoft.com/.default`. It is
renewed when it expires, and once when Graph answers 401; a second 401 is "token rejected".

The report is a snapshot of each user's last activity dates, refreshed daily by Microsoft;
history exists only as successive snapshots. The stream `users` holds the refresh date of
the last snapshot stored: a report with that refresh date (or an older one) is skipped after
its first page. When the tenant conceals user names (hashed names), nothing of those users is
stored: a hash can never be matched to a person.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from gaplens.connectors.m365_copilot import CONCEALED_NAME, M365UsageReader
from gaplens.errors import ProblemCollector
from gaplens.sync.http import (
    REDIRECTS,
    ApiClient,
    LinkExpiredError,
    Retrying,
    SyncError,
    TokenRejectedError,
    shown_url,
)
from gaplens.sync.vendor import M365_USAGE, Download, Unit

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PERIOD = "D7"
REPORT = f"/reports/getMicrosoft365CopilotUsageUserDetail(period='{PERIOD}')"
STREAM = "users"
TOKEN_LEEWAY_SECONDS = 60
"""A token this close to its expiry is renewed before the request."""
MAX_PAGES = 10_000
"""A nextLink chain longer than this is a loop, not a report."""

CONCEALED_HELP = (
    "the tenant conceals user names in its reports: Graph answers hashed names that match no "
    "one, so nothing of those users is stored. To turn this off, a global admin clears "
    "'Display concealed user, group, and site names in all reports' in the Microsoft 365 "
    "admin center > Settings > Org settings > Reports; the next sync then stores the report"
)


def token_url(authority: str, tenant: str) -> str:
    return f"{authority.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token"


class GraphClient:
    """A `VendorClient` for one tenant's Microsoft 365 Copilot usage report."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        credentials: Mapping[str, str],
        retrying: Retrying | None = None,
    ) -> None:
        self.tenant = tenant
        self.token_url = token_url(credentials.get("authority", ""), tenant)
        self._oauth = OAuth2Client(
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            token_endpoint_auth_method="client_secret_post",
            scope=GRAPH_SCOPE,
            timeout=60.0,
        )
        self._oauth.register_compliance_hook("access_token_response", _busy)
        self._expires_at = 0.0
        self.api = ApiClient(base_url, {"Accept": "application/json"}, retrying)

    def close(self) -> None:
        self._oauth.close()
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        del today  # the report is what Graph has now; its refresh date is the cursor
        stored = state.get(STREAM)
        source = shown_url(self.api.url(REPORT))
        for attempt in (1, 2):
            try:
                found = self._snapshot(stored, workdir, source)
            except LinkExpiredError as expired:
                if attempt == 2:
                    raise SyncError(f"{expired.message}, again after asking anew") from None
                continue
            if found is not None:
                yield found
            return

    # -- the report -------------------------------------------------------------------------

    def _snapshot(self, stored: str | None, workdir: Path, source: str) -> Unit | None:
        """The whole report as one file, checked; None when its refresh date is stored."""
        response = self._get(REPORT)
        if response.status_code in REDIRECTS:
            location = response.headers.get("location", "")
            if not location.startswith(("http://", "https://")):
                raise SyncError(f"{source} redirected without a download URL")
            path = workdir / "m365-user-detail.csv"
            self.api.download(location, path)  # a pre-authenticated URL: no token sent
            fmt, pages = "CSV", 1
        elif _is_json(response):
            path = workdir / "m365-user-detail.jsonl"
            pages = self._pages(response, stored, path, source)
            if pages == 0:
                return None
            fmt = "JSON"
        else:
            path = workdir / "m365-user-detail.csv"
            path.write_bytes(response.content)
            fmt, pages = "CSV", 1
        users, concealed, refreshed = _scan(path, source)
        if users == 0:
            raise SyncError(f"{source}: the report lists no users (no Copilot licences yet?)")
        if stored is not None and refreshed.isoformat() <= stored:
            return None
        if concealed == users:
            raise SyncError(f"{source}: all {users} users have concealed names: {CONCEALED_HELP}")
        note = (
            f"users report refreshed {refreshed.isoformat()}: {users} users, {fmt}, "
            f"{pages} page{'s' if pages != 1 else ''}"
        )
        if concealed:
            note += f"; {concealed} concealed names not stored ({CONCEALED_HELP})"
        return Unit(
            STREAM,
            refreshed.isoformat(),
            M365_USAGE,
            source,
            files=[Download(source, path)],
            note=note,
        )

    def _pages(self, first: httpx.Response, stored: str | None, path: Path, source: str) -> int:
        """Every page, one a line, into `path`; 0 if the first shows a stored refresh date."""
        response = first
        pages = 0
        with path.open("w", encoding="utf-8") as out:
            while True:
                body = _body(response, source)
                refreshed = _refresh_of(body)
                if pages == 0 and stored is not None and refreshed and refreshed <= stored:
                    return 0  # already stored: the other pages are not asked for
                out.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n")
                pages += 1
                link = next((v for k, v in body.items() if k.lower() == "@odata.nextlink"), None)
                if link is None:
                    return pages
                if not isinstance(link, str) or _host(link) != _host(self.api.base_url):
                    # the token goes with the request: only ever to the Graph host
                    raise SyncError(
                        f"{source}: page {pages} has an '@odata.nextLink' that is not on "
                        "the Graph host"
                    )
                if pages >= MAX_PAGES:
                    raise SyncError(f"{source}: more than {MAX_PAGES} pages; stopped")
                response = self._get(link)
                if not _is_json(response):
                    raise SyncError(f"{shown_url(link)}: a nextLink page is not JSON")

    # -- HTTP with the token ----------------------------------------------------------------

    def _get(self, path_or_url: str) -> httpx.Response:
        """A GET with a valid token: renewed when expired, and once more after a 401."""
        if self._oauth.token is None or _now() >= self._expires_at - TOKEN_LEEWAY_SECONDS:
            self._renew()
        try:
            return self.api.get(path_or_url)
        except TokenRejectedError:
            self._renew()
        try:
            return self.api.get(path_or_url)
        except TokenRejectedError:
            raise TokenRejectedError(
                f"token rejected: {shown_url(self.api.url(path_or_url))} answered 401 with a "
                "newly issued token; does the app registration have the Reports.Read.All "
                "application permission, with admin consent?"
            ) from None

    def _renew(self) -> None:
        """A new token; 429 (Retry-After), 5xx and dropped connections are tried again as
        `http.ApiClient` does, a refusal is "token rejected" at once."""
        policy = self.api.retrying
        where = shown_url(self.token_url)
        for attempt in range(policy.attempts):
            try:
                access, lifetime = self._fetch()
            except _BusyError as busy:
                wait = busy.wait if busy.wait is not None else policy.backoff * 2**attempt
                if wait > policy.max_wait:
                    raise SyncError(
                        f"{where}: {busy.why}; the server asks to wait {wait:.0f} s; "
                        "the next sync tries again"
                    ) from None
                if attempt + 1 == policy.attempts:
                    raise SyncError(
                        f"{where}: {busy.why}; gave up after {policy.attempts} tries"
                    ) from None
                policy.sleep(wait)
                continue
            self._expires_at = _now() + lifetime
            self.api.authorize(f"Bearer {access}")
            return

    def _fetch(self) -> tuple[str, float]:
        where = shown_url(self.token_url)
        try:
            token = self._oauth.fetch_token(self.token_url, grant_type="client_credentials")
        except OAuthError as refused:
            reason = (
                (refused.description or "").splitlines()[0][:200] if refused.description else ""
            )
            raise TokenRejectedError(
                f"token rejected: {where} refused the client credentials ({refused.error}"
                f"{': ' + reason if reason else ''}); check the tenant, client id and secret "
                "(has the secret expired?) and connect again"
            ) from None
        except httpx.TransportError as failed:
            raise _BusyError(f"the connection failed ({type(failed).__name__})", None) from None
        except (httpx.HTTPStatusError, ValueError):
            raise SyncError(f"{where} did not answer with a token") from None
        access = token.get("access_token")
        try:
            lifetime = float(token.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 0.0  # unknown: renewed before the next request
        if not isinstance(access, str) or not access:
            raise SyncError(f"{where} answered without an access_token")
        return access, lifetime


class _BusyError(Exception):
    """The token endpoint asked to come back later (429, 5xx) or could not be reached."""

    def __init__(self, why: str, wait: float | None) -> None:
        super().__init__(why)
        self.why = why
        self.wait = wait


def _busy(response: httpx.Response) -> httpx.Response:
    """authlib's hook on the token response: 429 and 5xx are waits, not refusals."""
    status = response.status_code
    if status == 429 or status >= 500:
        header = response.headers.get("retry-after", "").strip()
        wait = float(header) if header.isdigit() else None
        why = "rate limited (429)" if status == 429 else f"server error {status}"
        raise _BusyError(why, wait)
    return response


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "").lower()


def _body(response: httpx.Response, source: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise SyncError(f"{source}: a page is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise SyncError(f"{source}: expected a page object with a 'value' list of users")
    return body


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _refresh_of(page: dict[str, Any]) -> str:
    """The first user's `reportRefreshDate` as an ISO day, or "" when it is not one (the
    importer's reader then says what is wrong)."""
    for user in page["value"]:
        if isinstance(user, dict):
            value = next((v for k, v in user.items() if k.lower() == "reportrefreshdate"), "")
            try:
                return dt.date.fromisoformat(str(value)[:10]).isoformat()
            except ValueError:
                return ""
    return ""


def _scan(path: Path, source: str) -> tuple[int, int, dt.date]:
    """Users, concealed users and the latest refresh date, read by the importer's own reader:
    a bad field raises here, naming the source, the page or row and the field, before
    anything is stored."""
    problems = ProblemCollector(source)
    reader = M365UsageReader(path, problems, source=source)
    users = concealed = 0
    refreshed = dt.date.min
    for _, _, record in reader:
        if record is None:
            continue
        users += 1
        if CONCEALED_NAME.match(record.upn.upper()):
            concealed += 1
        refreshed = max(refreshed, record.refresh_date)
    problems.raise_if_any()
    return users, concealed, refreshed
