"""What a vendor client hands the sync service: units of pulled data, each with its cursor.

A vendor module (GitHub Copilot today; Microsoft Graph, Jira Cloud and Zendesk slot in the
same way) knows its API's paths, pagination and payloads, and nothing of the database. Its
`pull(state, workdir, today)` yields `Unit`s lazily, so what was pulled before a failure is
already stored: the service stores each unit and sets `state[unit.stream] = unit.cursor` in
one transaction, then asks for the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gaplens.sync.http import SyncError

COPILOT_USAGE = "copilot-usage"
"""A unit of downloaded report files for `telemetry.service.import_copilot_usage`."""
COPILOT_SEATS = "copilot-seats"
"""A unit of seat objects for `sync.service.store_seats`."""
JIRA_ISSUES = "jira-issues"
"""A unit of one Jira search page (issues with whole changelogs) for `work.service.import_jira`."""
M365_USAGE = "m365-usage"
"""A unit of one Microsoft 365 Copilot user-detail snapshot (every page) for
`telemetry.service.import_m365_copilot`."""
ZENDESK_TICKETS = "zendesk-tickets"
"""A unit of one incremental-export page (a JSON file) for `work.service.import_tickets`."""
COPILOT_PREMIUM = "copilot-premium-requests"
"""A unit of one month's premium request usage report for `sync.service.store_premium_usage`."""

CURSOR_USAGE = "cursor-usage"
"""A unit of one Cursor daily-usage response for `telemetry.assistants.import_cursor_usage`."""
CLAUDE_CODE_USAGE = "claude-code-usage"
"""A unit of one day of Claude Code usage (every page, JSON lines) for
`telemetry.assistants.import_claude_code_usage`."""


@dataclass(frozen=True)
class Download:
    """A file a vendor pulled into the work directory, and where it came from (no query)."""

    source: str
    path: Path


@dataclass(frozen=True)
class Unit:
    """One step of a sync, stored all or nothing with its stream's new cursor."""

    stream: str
    cursor: str
    payload_kind: str
    source: str
    files: list[Download] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)
    note: str = ""
    scope: str = ""
    """What the records cover where the payload needs it (the organisation of a seat list)."""
    period: str = ""
    """When the records cover where the payload needs it (a billing report's YYYY-MM)."""


class VendorClient(Protocol):
    def pull(self, state: Mapping[str, str], workdir: Path, today: dt.date) -> Iterator[Unit]:
        """Units from each stream's cursor in `state` up to what the API has by `today`."""
        ...

    def close(self) -> None: ...


def start_day(
    stored: str | None, today: dt.date, first_sync_days: int, restated_days: int
) -> dt.date:
    """Where a day-cursor sync starts: `restated_days` up to and including the stored day
    (asked again, since the vendor restates recent days), or `first_sync_days` before today
    on a first sync."""
    if not stored:
        return today - dt.timedelta(days=first_sync_days)
    try:
        cursor = dt.date.fromisoformat(stored)
    except ValueError:
        raise SyncError(f"the stored cursor {stored!r} is not a day; connect again") from None
    return cursor - dt.timedelta(days=restated_days - 1)
