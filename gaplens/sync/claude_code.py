"""Claude Code over the Anthropic Admin API's analytics report:
`GET /v1/organizations/usage_report/claude_code`.

Request (Anthropic's Claude Code Analytics API reference): headers `x-api-key` (an Admin
API key, `sk-ant-admin...`) and `anthropic-version: 2023-06-01`; query `starting_at` (a UTC
day, `YYYY-MM-DD`: the report covers that single day, there is no range), `limit` (records a
page, 1-1000; default 20) and `page` (the previous answer's `next_page`). The answer is
`{"data": [one record per actor, day and terminal], "has_more", "next_page"}`, the shape
`gaplens import claude-code-usage` reads; pages are followed while `has_more` is true. A
429 is waited out as its `retry-after` says (`sync/http.py`).

Stream `usage`, cursor = the last complete UTC day stored (`YYYY-MM-DD`). The first sync asks
for each of the `FIRST_SYNC_DAYS` days before today; later syncs ask again from
`RESTATED_DAYS` days before the day after the cursor, because a day's analytics arrive with a
delay (sessions that end after midnight, the report's own processing lag), up to yesterday.
Each day, with every page of it as one JSON line a page, is one unit stored with that day as
its cursor; storing a day again replaces its rows (keyed by day, actor and terminal).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gaplens.sync.http import ApiClient, Retrying, SyncError, shown_url
from gaplens.sync.schemas import ANTHROPIC_API
from gaplens.sync.vendor import CLAUDE_CODE_USAGE, Download, Unit, start_day

REPORT_PATH = "/v1/organizations/usage_report/claude_code"
API_VERSION = "2023-06-01"
STREAM = "usage"
PAGE_LIMIT = 1000
"""Records a page: the endpoint's maximum."""
FIRST_SYNC_DAYS = 90
"""How far back a first sync reaches (one request a day at least)."""
RESTATED_DAYS = 2
"""Days up to and including the cursor asked again on every sync (late-arriving records)."""
MAX_PAGES = 10_000
"""A day with more pages than this is a server looping on its cursor, not data."""


class ClaudeCodeClient:
    """A `VendorClient` for one Anthropic organisation (the admin key decides which)."""

    def __init__(self, base_url: str, key: str, retrying: Retrying | None = None) -> None:
        self.api = ApiClient(
            base_url or ANTHROPIC_API,
            {"x-api-key": key, "anthropic-version": API_VERSION, "Accept": "application/json"},
            retrying,
        )

    def close(self) -> None:
        self.api.close()

    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        stored = state.get(STREAM)
        source = shown_url(self.api.url(REPORT_PATH))
        day = start_day(stored, today, FIRST_SYNC_DAYS, RESTATED_DAYS)
        while day < today:
            target = workdir / f"claude-code-{day.isoformat()}.jsonl"
            pages, records = self._day(day, target, source)
            yield Unit(
                STREAM,
                max(day.isoformat(), stored or ""),
                CLAUDE_CODE_USAGE,
                source,
                # A day nobody used Claude Code moves the cursor and imports nothing.
                files=[Download(source, target)] if records else [],
                note=f"Claude Code usage {day}: {records} records on {pages} page(s)",
            )
            day += dt.timedelta(days=1)

    def _day(self, day: dt.date, target: Path, source: str) -> tuple[int, int]:
        """Every page of `day` into `target`, a JSON line each; (pages, records)."""
        params: dict[str, str | int] = {"starting_at": day.isoformat(), "limit": PAGE_LIMIT}
        pages = records = 0
        seen: set[str] = set()
        with target.open("w", encoding="utf-8") as out:
            while True:
                body, _ = self.api.get_json(REPORT_PATH, params)
                pages += 1
                records += _checked(body, source)
                out.write(json.dumps(body) + "\n")
                if body["has_more"] is not True:
                    return pages, records
                following = body["next_page"]
                if following in seen or pages >= MAX_PAGES:
                    raise SyncError(f"{source}: 'next_page' repeats {following!r} for {day}")
                seen.add(following)
                params = {**params, "page": following}


def _checked(body: Any, source: str) -> int:
    """The page's record count after checking its shape (`data`, `has_more`, `next_page`)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise SyncError(f"{source}: expected an object with a 'data' list")
    more = body.get("has_more")
    if not isinstance(more, bool):
        raise SyncError(f"{source}: 'has_more' must be true or false")
    following = body.get("next_page")
    if more and (not isinstance(following, str) or not following):
        raise SyncError(f"{source}: 'has_more' is true but 'next_page' is not a cursor")
    return len(body["data"])
