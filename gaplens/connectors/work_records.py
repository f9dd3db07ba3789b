"""What every work-item connector yields, and the small pure rules they share.

Jira, Zendesk, ServiceNow and mapped CSVs all end up as `WorkRecord`s so one writer
(`gaplens.work.service`) can store them; the parsing rules here (dates, status categories,
deriving start/reopen/rework from a status history) are pure functions, tested directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gaplens.work.models import DONE, IN_PROGRESS, TODO

CATEGORIES = (TODO, IN_PROGRESS, DONE)


@dataclass(frozen=True, slots=True)
class Transition:
    at: dt.datetime
    from_status: str | None
    to_status: str


@dataclass(slots=True)
class WorkRecord:
    """One source row, validated: the tool-table row plus what the domain work item needs.

    `assignee_refs` lists the names the tool gives for the assignee, most specific first
    (account id, email, display name); the first is kept as `assignee_ref`.
    """

    row: int
    raw: str
    key: str
    tool_row: dict[str, object]
    status: str
    created_at: dt.datetime
    item_type: str | None = None
    status_category: str | None = None
    assignee_refs: tuple[str, ...] = ()
    started_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    story_points: float | None = None
    sprint: str | None = None
    reopen_count: int | None = None
    """None when the export cannot tell; 0 only when it says none happened."""
    rework_count: int | None = None
    transitions: list[Transition] = field(default_factory=list)


# --- dates -------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_JIRA_DATE = re.compile(
    r"(\d{1,2})/([A-Za-z]{3})/(\d{2}|\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
DATE_FORMATS_HELP = (
    "e.g. 03/Feb/25 2:14 PM, 03/Feb/2025 14:14, 2025-02-03 14:14:00, 2025-02-03T14:14:00.000+0000"
)


_SEEN: dict[str, dt.datetime | None] = {}


def parse_timestamp(text: str) -> dt.datetime | None:
    """A naive UTC datetime from the date formats Jira, Zendesk and ServiceNow export, or None.

    Times without an offset are kept as written (the exporting user's zone; exports say no
    more). Numeric day/month orders like 3/2/2025 are refused: they are ambiguous. Exports
    repeat timestamps (Created = Updated, one minute for many rows), so results are cached.
    """
    value = _SEEN.get(text, _MISSING)
    if value is _MISSING:
        if len(_SEEN) >= 50_000:
            _SEEN.clear()
        value = _SEEN[text] = _parse_timestamp(text.strip())
    return value


_MISSING = dt.datetime.min


def timestamp_memo() -> dict[str, dt.datetime | None]:
    """`parse_timestamp`'s memo of texts already parsed, for a hot loop to look a text up
    before calling it (a dict lookup is a fraction of the call). Only read it."""
    return _SEEN


_JIRA_DAY = re.compile(r"(\d{1,2})/([A-Za-z]{3})/(\d{2}|\d{4})")
_JIRA_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")
_DAY_PARTS: dict[str, tuple[int, int, int] | None] = {}
_TIME_PARTS: dict[str, tuple[int, int, int] | None] = {}


def _jira_date_time(text: str) -> dt.datetime | None:
    """`03/Feb/25 2:14 PM` from its two halves, each parsed once: an export repeats days and
    minutes far more often than whole timestamps. `_MISSING` when the halves are not in that
    shape, for the full pattern to decide."""
    day_text, space, time_text = text.partition(" ")
    if not space:
        return _MISSING
    day = _DAY_PARTS.get(day_text, _NO_PART)
    if day is _NO_PART:
        if len(_DAY_PARTS) >= 50_000:
            _DAY_PARTS.clear()
        match = _JIRA_DAY.fullmatch(day_text)
        month = MONTHS.get(match.group(2).lower()) if match else None
        if match is None or month is None:
            return _MISSING
        year = match.group(3)
        day = _DAY_PARTS[day_text] = (
            int(year) + 2000 if len(year) == 2 else int(year),
            month,
            int(match.group(1)),
        )
    time = _TIME_PARTS.get(time_text, _NO_PART)
    if time is _NO_PART:
        if len(_TIME_PARTS) >= 50_000:
            _TIME_PARTS.clear()
        match = _JIRA_TIME.fullmatch(time_text)
        if match is None:
            return _MISSING
        hour, minute, second, meridiem = match.groups()
        hours = int(hour)
        if meridiem is not None and not 1 <= hours <= 12:
            time = None
        else:
            if meridiem is not None:
                hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
            time = (hours, int(minute), int(second or 0))
        _TIME_PARTS[time_text] = time
    if day is None or time is None:
        return None
    try:
        return dt.datetime(day[0], day[1], day[2], time[0], time[1], time[2])
    except ValueError:
        return None


_NO_PART = (0, 0, 0)


def _parse_timestamp(text: str) -> dt.datetime | None:
    if "/" in text:
        value = _jira_date_time(text)
        if value is not _MISSING:
            return value
    match = _ISO_DATE.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        try:
            value = dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                micro,
            )
        except ValueError:
            return None
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            value -= sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return value
    match = _JIRA_DATE.fullmatch(text)
    if match is None:
        return None
    day, month_name, year, hour, minute, second, meridiem = match.groups()
    month = MONTHS.get(month_name.lower())
    if month is None:
        return None
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    hours = int(hour or 0)
    if meridiem is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
    try:
        return dt.datetime(full_year, month, int(day), hours, int(minute or 0), int(second or 0))
    except ValueError:
        return None


# --- statuses ----------------------------------------------------------------------------

STATUS_CATEGORY_KEYS = {"new": TODO, "indeterminate": IN_PROGRESS, "done": DONE}
"""Jira's statusCategory.key values."""

STATUS_NAMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "to do",
            "todo",
            "open",
            "new",
            "backlog",
            "selected for development",
            "ready",
            "ready for development",
            "reopened",
            "planned",
        ),
        TODO,
    ),
    **dict.fromkeys(
        (
            "in progress",
            "in development",
            "doing",
            "in review",
            "review",
            "code review",
            "in qa",
            "qa",
            "testing",
            "in test",
            "ready for qa",
            "blocked",
            "on hold",
            "pending",
            "hold",
            "waiting for customer",
            "waiting for support",
            "awaiting approval",
        ),
        IN_PROGRESS,
    ),
    **dict.fromkeys(
        (
            "done",
            "closed",
            "resolved",
            "complete",
            "completed",
            "released",
            "fixed",
            "won't do",
            "won't fix",
            "cancelled",
            "canceled",
            "solved",
        ),
        DONE,
    ),
}
"""Common status names when the export gives no category (documented in import-formats)."""

_REVIEW = re.compile(r"review|qa\b|test|verif|approv", re.IGNORECASE)


def category_of(status: str, known: dict[str, str] | None = None) -> str | None:
    """todo / in_progress / done for a status name: learned categories first, then defaults."""
    name = status.strip().lower()
    if known is not None and name in known:
        return known[name]
    return STATUS_NAMES.get(name)


def status_rank(status: str, known: dict[str, str] | None = None) -> int:
    """0 to do, 1 in progress, 2 review, 3 done; an unknown name counts as in progress."""
    category = category_of(status, known)
    if category == DONE:
        return 3
    if category == TODO:
        return 0
    return 2 if _REVIEW.search(status) else 1


@dataclass(frozen=True, slots=True)
class History:
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    reopen_count: int
    rework_count: int


def derive_history(
    transitions: Sequence[Transition], known: dict[str, str] | None = None
) -> History:
    """Cycle-time inputs from a status history in time order.

    started: the first move into an in-progress (or review) status; reopen: a move from a
    done status to any other; rework: a move from review or done back to to-do or in-progress.
    `done_at` is when the item last entered a done status, if it still ends there.
    """
    started: dt.datetime | None = None
    done_at: dt.datetime | None = None
    reopens = reworks = 0
    for change in transitions:
        to_rank = status_rank(change.to_status, known)
        from_rank = (
            status_rank(change.from_status, known) if change.from_status is not None else None
        )
        if started is None and to_rank in (1, 2):
            started = change.at
        if from_rank is not None and from_rank == 3 and to_rank < 3:
            reopens += 1
        if from_rank is not None and from_rank >= 2 and to_rank <= 1:
            reworks += 1
        if to_rank < 3:
            done_at = None
        elif done_at is None:
            done_at = change.at
    return History(started, done_at, reopens, reworks)


# --- raw rows ----------------------------------------------------------------------------


class CsvLine:
    """Re-serialises a parsed record as one CSV line, for the raw-row store."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="")

    def __call__(self, fields: Iterable[str]) -> str:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.writerow(fields)
        return buffer.getvalue()


def clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def optional(text: str, limit: int) -> str | None:
    """A trimmed value or None, cut to the column width (a longer label is not an error)."""
    text = text.strip()
    return text[:limit] if text else None
