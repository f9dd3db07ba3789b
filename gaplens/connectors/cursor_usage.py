"""Reads Cursor's Admin API daily usage: the response of `POST /teams/daily-usage-data`.

Cursor's Admin API reference: `{"data": [{"date": <epoch ms>, "email", "isActive",
"totalLinesAdded", "totalLinesDeleted", "acceptedLinesAdded", "acceptedLinesDeleted",
"totalApplies", "totalAccepts", "totalRejects", "totalTabsShown", "totalTabsAccepted",
"composerRequests", "chatRequests", "agentRequests", "cmdkUsages",
"subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs", "bugbotUsages", "mostUsedModel",
"applyMostUsedExtension", "tabMostUsedExtension", "clientVersion"}], "period": {"startDate",
"endDate"}}`: one record per team member and day, inactive members included. Validation only;
nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gaplens.connectors.usage_pages import (
    PageItem,
    UsagePages,
    count_field,
    text_field,
    whole_number,
)
from gaplens.errors import ProblemCollector

COUNTS = (
    ("totalLinesAdded", "total_lines_added"),
    ("totalLinesDeleted", "total_lines_deleted"),
    ("acceptedLinesAdded", "accepted_lines_added"),
    ("acceptedLinesDeleted", "accepted_lines_deleted"),
    ("totalApplies", "total_applies"),
    ("totalAccepts", "total_accepts"),
    ("totalRejects", "total_rejects"),
    ("totalTabsShown", "total_tabs_shown"),
    ("totalTabsAccepted", "total_tabs_accepted"),
    ("composerRequests", "composer_requests"),
    ("chatRequests", "chat_requests"),
    ("agentRequests", "agent_requests"),
    ("cmdkUsages", "cmdk_usages"),
    ("bugbotUsages", "bugbot_usages"),
)
"""(API field, column) of the counts kept; other counts are checked and skipped."""
CHECKED = ("subscriptionIncludedReqs", "apiKeyReqs", "usageBasedReqs")
REQUESTS = ("composer_requests", "chat_requests", "agent_requests", "cmdk_usages")
"""The counts that are a person asking Cursor for something: its interactions."""
LATEST_MS = 4102444800000  # 2100-01-01: a `date` past this is not in milliseconds


@dataclass(frozen=True, slots=True)
class CursorDay:
    """One validated member-day; `counts` in `COUNTS` column order (None: not given)."""

    day: dt.date
    email: str
    is_active: bool | None
    counts: tuple[int | None, ...]
    most_used_model: str | None
    client_version: str | None

    def count(self, column: str) -> int | None:
        return self.counts[_COLUMN_INDEX[column]]

    @property
    def used(self) -> bool:
        """A day of use: `isActive`, or (when a response omits it) any count above 0."""
        if self.is_active is not None:
            return self.is_active
        return any(value for value in self.counts)

    @property
    def interactions(self) -> int | None:
        values = [self.count(column) for column in REQUESTS]
        known = [value for value in values if value is not None]
        return sum(known) if known else None


_COLUMN_INDEX = {column: index for index, (_, column) in enumerate(COUNTS)}


class CursorUsageReader:
    """Iterates `(item, record or None)`; problems go to `problems`, located by row and
    field path (`data[2].totalTabsShown`)."""

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.pages = UsagePages(
            path, "a Cursor daily usage response (POST /teams/daily-usage-data)"
        )
        self.problems = problems
        self.rows_read = 0

    @property
    def bytes_read(self) -> int:
        return self.pages.bytes_read

    def __iter__(self) -> Iterator[tuple[PageItem, CursorDay | None]]:
        for item in self.pages:
            self.rows_read += 1
            yield item, parse_cursor_day(item, self.problems)


def parse_cursor_day(item: PageItem, problems: ProblemCollector) -> CursorDay | None:
    """One record, or None with its problems recorded."""
    obj, row, at = item.value, item.row, item.path
    if not isinstance(obj, dict):
        problems.add("expected a usage record (a JSON object)", row, at)
        return None
    before = problems.count
    day = _day(obj.get("date"), row, f"{at}.date", problems)
    email = obj.get("email")
    if not isinstance(email, str) or not email.strip() or len(email.strip()) > 320:
        problems.add("an email address (1-320 characters) is required", row, f"{at}.email")
        email = None
    active = obj.get("isActive")
    if active is not None and not isinstance(active, bool):
        problems.add(f"{active!r} is not true or false", row, f"{at}.isActive")
    counts: list[int | None] = []
    for name, _ in COUNTS:
        counts.append(count_field(obj.get(name), row, f"{at}.{name}", problems))
    for name in CHECKED:
        count_field(obj.get(name), row, f"{at}.{name}", problems)
    model = text_field(obj.get("mostUsedModel"), row, f"{at}.mostUsedModel", problems, 100)
    version = text_field(obj.get("clientVersion"), row, f"{at}.clientVersion", problems, 50)
    if problems.count != before or day is None or email is None:
        return None
    return CursorDay(
        day,
        email.strip(),
        active if isinstance(active, bool) else None,
        tuple(counts),
        model,
        version,
    )


def _day(value: Any, row: int, at: str, problems: ProblemCollector) -> dt.date | None:
    """`date` is epoch milliseconds (UTC midnight of the day) in Cursor's reference."""
    if value is None:
        problems.add("a date (epoch milliseconds) is required", row, at)
        return None
    ms = whole_number(value)
    if ms is None or ms > LATEST_MS:
        problems.add(f"{value!r} is not a date in epoch milliseconds", row, at)
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()
