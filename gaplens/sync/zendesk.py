"""Zendesk Support over its incremental ticket export (cursor based), with ticket metrics.

Path (Zendesk Support API reference, "Incremental Exports"):
`GET /api/v2/incremental/tickets/cursor.json?start_time=EPOCH` on the first sync, then
`?cursor=AFTER_CURSOR`, each with `include=metric_sets,users,groups` (the metric set of each
ticket, and the assignees and groups it names, sideloaded on the same page) and
`per_page=1000` (the endpoint's maximum). Each page answers `tickets`, the sideloads,
`after_cursor`, `after_url` and `end_of_stream`; pages are followed until `end_of_stream` is
true. The endpoint allows 10 requests a minute: a 429 says how long to wait in Retry-After,
which `sync/http.py` honours.

Stream and cursor: `tickets` holds the `after_cursor` of the last page stored. Each page is
one unit, stored with its cursor, so a sync killed mid-export asks again for the first page
not stored; a ticket updated twice appears again on a later page and its row is replaced.
Auth: an API token as Basic `{email}/token:{token}`, or an OAuth access token as Bearer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gaplens.errors import InputError
from gaplens.sync.http import ApiClient, Retrying, SyncError, shown_url
from gaplens.sync.vendor import ZENDESK_TICKETS, Download, Unit

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
SIDELOADS = "metric_sets,users,groups"
PER_PAGE = 1000
FIRST_SYNC_DAYS = 365
"""How far back a first sync starts (the export returns what changed since then)."""
STREAM = "tickets"


def base_url_of(subdomain: str) -> str:
    return f"https://{subdomain}.zendesk.com"


def credentials_text(token: str, email: str | None) -> str:
    """What is encrypted into `Connection.credentials`: the API token with its agent's email
    (Basic auth), or an OAuth access token alone (Bearer)."""
    return json.dumps({"email": email, "token": token} if email else {"token": token})


def authorization(credentials: str) -> str:
    """The Authorization header for stored credentials (never logged, never in an error)."""
    try:
        parsed = json.loads(credentials)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("token"), str):
        raise InputError.single("the stored Zendesk credentials are unreadable: connect again")
    email = parsed.get("email")
    if isinstance(email, str) and email:
        basic = base64.b64encode(f"{email}/token:{parsed['token']}".encode()).decode()
        return f"Basic {basic}"
    return f"Bearer {parsed['token']}"


class ZendeskClient:
    """A `VendorClient` for one Zendesk account (subdomain)."""

    def __init__(
        self, base_url: str, subdomain: str, credentials: str, retrying: Retrying | None = None
    ) -> None:
        self.subdomain = subdomain
        self.api = ApiClient(
            base_url,
            {"Authorization": authorization(credentials), "Accept": "application/json"},
            retrying,
        )

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        cursor = state.get(STREAM)
        params: dict[str, str | int] = {"include": SIDELOADS, "per_page": PER_PAGE}
        if cursor:
            params["cursor"] = cursor
        else:
            start = dt.datetime.combine(
                today - dt.timedelta(days=FIRST_SYNC_DAYS), dt.time(), dt.UTC
            )
            params["start_time"] = int(start.timestamp())
        source = shown_url(self.api.url(EXPORT_PATH))
        page = 0
        while True:
            body, _ = self.api.get_json(EXPORT_PATH, params)
            page += 1
            tickets, after, done = _page(body, source)
            if not tickets and after in (None, cursor):
                return  # nothing new: the stored cursor stays
            files = []
            if tickets:
                target = workdir / f"tickets-{page}.json"
                target.write_text(json.dumps(body), encoding="utf-8")
                files.append(Download(source, target))
            cursor = after or cursor or ""
            yield Unit(
                STREAM,
                cursor,
                ZENDESK_TICKETS,
                source,
                files=files,
                note=f"tickets page {page}: {tickets} tickets",
            )
            if done:
                return
            if after is None:
                raise SyncError(f"{source}: end_of_stream is false but there is no after_cursor")
            params = {"include": SIDELOADS, "per_page": PER_PAGE, "cursor": after}


def _page(body: Any, source: str) -> tuple[int, str | None, bool]:
    """The page's ticket count, `after_cursor` and `end_of_stream`, checked."""
    if not isinstance(body, dict) or not isinstance(body.get("tickets"), list):
        raise SyncError(f"{source}: expected an object with a 'tickets' list")
    after = body.get("after_cursor")
    if after is not None and (not isinstance(after, str) or not after):
        raise SyncError(f"{source}: 'after_cursor' must be a non-empty string or null")
    done = body.get("end_of_stream")
    if not isinstance(done, bool):
        raise SyncError(f"{source}: 'end_of_stream' must be true or false")
    return len(body["tickets"]), after, done
