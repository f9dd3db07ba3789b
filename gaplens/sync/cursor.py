"""Cursor over its Admin API's daily usage: `POST /teams/daily-usage-data`.

Request (Cursor's Admin API reference): HTTP Basic auth with the team's admin API key as the
user name and an empty password; a JSON body `{"startDate": epoch ms, "endDate": epoch ms}`;
the answer is `{"data": [one record per member and day, inactive members included],
"period": {...}}`, the shape `gaplens import cursor-usage` reads. The reference caps one
request's range at 90 days ("for longer periods, make multiple requests"; its usage-events
endpoint at 30), so gaplens asks `WINDOW_DAYS` = 30 days a request, within either cap. The
Admin API allows 20 requests a minute per team and answers 429 past it: `sync/http.py` waits
as `Retry-After` says, or backs off when it says nothing. Data is aggregated hourly.

Stream `daily-usage`, cursor = the last complete UTC day stored (`YYYY-MM-DD`; today is never
asked for, it is not over). The first sync asks for the `FIRST_SYNC_DAYS` days before today.
A Cursor day is not final when it ends: usage is aggregated hourly and an editor offline at
midnight reports later, so a day's counts can still grow for a day or two. Every later sync
therefore asks again from `RESTATED_DAYS` days before its cursor (the last three days stored)
up to yesterday. Storing them again replaces their rows (tool rows keyed by day and email,
each day's `ai_usage_day` rows rebuilt from them), so a re-asked day is never counted twice.
Each request is one unit, stored with its last day as the cursor.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gaplens.sync.http import ApiClient, Retrying, SyncError, shown_url
from gaplens.sync.schemas import CURSOR_API
from gaplens.sync.vendor import CURSOR_USAGE, Download, Unit, start_day

USAGE_PATH = "/teams/daily-usage-data"
STREAM = "daily-usage"
WINDOW_DAYS = 30
"""Days per request: within the reference's cap (90 days; 30 on its sister endpoint)."""
FIRST_SYNC_DAYS = 90
"""How far back a first sync reaches (three requests)."""
RESTATED_DAYS = 3
"""Days before and including the cursor asked again on every sync: their counts may still
change (hourly aggregation, editors that report late)."""


def authorization(key: str) -> str:
    """Basic auth: the admin API key as the user name, an empty password."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def day_range_ms(first: dt.date, last: dt.date) -> dict[str, int]:
    """The request body for the whole UTC days `first`..`last`: from the first midnight to
    the last millisecond before the midnight after `last`."""
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    return {"startDate": epoch_ms(start), "endDate": epoch_ms(end) - 1}


def windows(
    first: dt.date, last: dt.date, days: int = WINDOW_DAYS
) -> list[tuple[dt.date, dt.date]]:
    """`first`..`last` cut into consecutive ranges of at most `days` days."""
    out = []
    start = first
    while start <= last:
        end = min(last, start + dt.timedelta(days=days - 1))
        out.append((start, end))
        start = end + dt.timedelta(days=1)
    return out


class CursorClient:
    """A `VendorClient` for one Cursor team (the admin key decides which)."""

    def __init__(self, base_url: str, key: str, retrying: Retrying | None = None) -> None:
        self.api = ApiClient(
            base_url or CURSOR_API,
            {"Authorization": authorization(key), "Accept": "application/json"},
            retrying,
        )

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        stored = state.get(STREAM)
        last = today - dt.timedelta(days=1)
        source = shown_url(self.api.url(USAGE_PATH))
        for first, final in windows(start_day(stored, today, FIRST_SYNC_DAYS, RESTATED_DAYS), last):
            body, _ = self.api.post_json(USAGE_PATH, day_range_ms(first, final))
            records = _records(body, source)
            target = workdir / f"cursor-{first.isoformat()}.json"
            target.write_text(json.dumps(body), encoding="utf-8")
            cursor = max(final.isoformat(), stored or "")
            yield Unit(
                STREAM,
                cursor,
                CURSOR_USAGE,
                source,
                # A range without a record (no member yet) moves the cursor, imports nothing.
                files=[Download(source, target)] if records else [],
                note=f"daily usage {first}..{final}: {records} member-days",
            )


def _records(body: Any, source: str) -> int:
    """How many records the answer holds, after checking it is Cursor's shape."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise SyncError(f"{source}: expected an object with a 'data' list of member-days")
    return len(body["data"])
