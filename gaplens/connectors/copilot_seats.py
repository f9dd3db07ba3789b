"""Reads GitHub Copilot seat assignments: the `seats` of `GET /orgs/{org}/copilot/billing/seats`.

Each seat (GitHub REST reference, "List all Copilot seat assignments for an organization"):
`created_at` (date-time, required), `pending_cancellation_date` (date or null),
`last_activity_at` (date-time or null), `last_activity_editor` (string or null), `plan_type`,
and `assignee`, a user object whose `login` (and `id`) name who holds the seat. A seat
assigned to a team or organisation object without a `login` is refused by row and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gaplens.errors import ProblemCollector


@dataclass(frozen=True, slots=True)
class CopilotSeatRecord:
    row: int
    user_login: str
    user_id: int | None
    created_at: dt.datetime
    last_activity_at: dt.datetime | None
    last_activity_editor: str | None
    pending_cancellation_date: dt.date | None
    plan_type: str | None


def parse_seat(obj: Any, row: int, problems: ProblemCollector) -> CopilotSeatRecord | None:
    """One seat, or None with its problems recorded (row = its position in the pull)."""
    if not isinstance(obj, dict):
        problems.add("expected a seat object", row)
        return None
    before = problems.count
    assignee = obj.get("assignee")
    login: str | None = None
    user_id: int | None = None
    if not isinstance(assignee, dict):
        problems.add("expected the assignee user object", row, "assignee")
    else:
        value = assignee.get("login")
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > 100:
            problems.add("a GitHub login (1-100 characters) is required", row, "assignee.login")
        else:
            login = value.strip()
        raw_id = assignee.get("id")
        if isinstance(raw_id, int) and not isinstance(raw_id, bool) and raw_id >= 0:
            user_id = raw_id
        elif raw_id is not None:
            problems.add(f"{raw_id!r} is not a user id", row, "assignee.id")
    created = _timestamp(obj.get("created_at"), row, problems, "created_at", required=True)
    activity = _timestamp(obj.get("last_activity_at"), row, problems, "last_activity_at")
    cancellation = _day(obj.get("pending_cancellation_date"), row, problems)
    editor = _text(obj.get("last_activity_editor"), row, problems, "last_activity_editor", 200)
    plan = _text(obj.get("plan_type"), row, problems, "plan_type", 32)
    if problems.count != before or login is None or created is None:
        return None
    return CopilotSeatRecord(row, login, user_id, created, activity, editor, cancellation, plan)


def _timestamp(
    value: Any, row: int, problems: ProblemCollector, field: str, *, required: bool = False
) -> dt.datetime | None:
    if value is None:
        if required:
            problems.add("a timestamp is required (ISO 8601)", row, field)
        return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    problems.add(f"{value!r} is not an ISO 8601 timestamp", row, field)
    return None


def _day(value: Any, row: int, problems: ProblemCollector) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    problems.add(f"{value!r} is not a date (YYYY-MM-DD)", row, "pending_cancellation_date")
    return None


def _text(value: Any, row: int, problems: ProblemCollector, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:limit]
    problems.add(f"{value!r} is not text", row, field)
    return None
