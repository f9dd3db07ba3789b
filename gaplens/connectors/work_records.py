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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from gaplens.work.schemas import DONE, IN_PROGRESS, TODO

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
_MONTH = r"([^\W\d_][^\W\d_.]{1,11}\.?)"
"""A month name as Jira writes it in the user's language: `Feb`, `Mär`, `févr.`, `sept.`."""
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?"
_JIRA_DATE = re.compile(rf"(\d{{1,2}})/{_MONTH}/(\d{{2}}|\d{{4}})(?:\s+{_TIME})?")
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_DOTTED_DATE = re.compile(rf"(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}|\d{{2}})(?:,?\s+{_TIME})?")
"""`13.02.2026 14:05`: with dots the day always comes first (German, Russian, ... exports)."""
NUMERIC_DATE = re.compile(rf"(\d{{1,2}})([/-])(\d{{1,2}})\2(\d{{4}}|\d{{2}})(?:,?[\sT]+{_TIME})?")
"""`2/13/2026 14:05` (Excel re-saving a US export), `13-02-2026` (ServiceNow's dd-MM-yyyy):
which number is the day depends on the file (`NumericDates`)."""
DATE_FORMATS_HELP = (
    "e.g. 03/Feb/25 2:14 PM, 03/Feb/2025 14:14, 2025-02-03 14:14:00, 2025-02-03T14:14:00.000+0000"
)
MONTH_NAME_LOCALES = (
    *("en", "de", "fr", "es", "it", "pt", "nl", "da", "sv", "nb", "fi", "pl", "cs", "sk"),
    *("hu", "ro", "ru", "uk", "et", "lt", "lv", "sl", "tr", "ca"),
)
"""Languages whose month names Jira exports are read in (CLDR, through Babel). Croatian is
left out: its `lis`, `lip`, `srp` name other months than in Czech and Polish."""
_LOCAL_MONTHS: dict[str, int] = {}


def month_number(name: str) -> int | None:
    """1-12 for a month name or abbreviation in English or any of `MONTH_NAME_LOCALES`
    (case and a trailing dot ignored: Jira writes `Mär`, `März`, `févr.`, `Sept`), or None."""
    key = name.lower().rstrip(".")
    number = MONTHS.get(key)
    if number is None:
        if not _LOCAL_MONTHS:
            _LOCAL_MONTHS.update(_localised_months())
        number = _LOCAL_MONTHS.get(key)
    return number


def _localised_months() -> dict[str, int]:
    """Every CLDR month name, abbreviated and wide, in format and stand-alone forms."""
    from babel import Locale

    names: dict[str, int] = {}
    for code in MONTH_NAME_LOCALES:
        months = Locale.parse(code).months
        for context in ("format", "stand-alone"):
            for width in ("abbreviated", "wide"):
                for number, name in months[context][width].items():
                    names.setdefault(name.lower().rstrip("."), number)
    return names


def _clock(
    hour: str | None, minute: str | None, second: str | None, meridiem: str | None
) -> tuple[int, int, int] | None:
    hours = int(hour or 0)
    if meridiem is not None:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem[0] in "pP" else 0)
    return hours, int(minute or 0), int(second or 0)


def _full_year(year: str) -> int:
    return int(year) + 2000 if len(year) == 2 else int(year)


def _datetime(
    year: int, month: int, day: int, clock: tuple[int, int, int] | None
) -> dt.datetime | None:
    if clock is None:
        return None
    try:
        return dt.datetime(year, month, day, *clock)
    except ValueError:
        return None


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


_JIRA_DAY = re.compile(rf"(\d{{1,2}})/{_MONTH}/(\d{{2}}|\d{{4}})")
_JIRA_TIME = re.compile(_TIME)
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
        month = month_number(match.group(2)) if match else None
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
        time = _TIME_PARTS[time_text] = _clock(*match.groups())
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
    if match is not None:
        day, month_name, year, hour, minute, second, meridiem = match.groups()
        month = month_number(month_name)
        if month is None:
            return None
        return _datetime(_full_year(year), month, int(day), _clock(hour, minute, second, meridiem))
    match = _DOTTED_DATE.fullmatch(text)
    if match is not None:
        day, month_text, year, hour, minute, second, meridiem = match.groups()
        return _datetime(
            _full_year(year), int(month_text), int(day), _clock(hour, minute, second, meridiem)
        )
    return None


DAY_FIRST = "day first"
MONTH_FIRST = "month first"


class NumericDates:
    """Dates written in numbers only, `2/13/2026` or `13-02-2026`, in one file.

    Which number is the day is a property of the file (of the exporting user's locale or of
    Excel's), so it is learned from the file: the first date with a number above 12 in either
    place decides, found by reading the file's date values once more (`values`) when the rows
    met so far cannot tell. A file where no date can tell (all like `03/04/2026`) has its
    ambiguous dates refused, never guessed; a date that contradicts the file's order is refused.
    """

    def __init__(self, values: Callable[[], Iterable[str]]) -> None:
        self._values = values
        self.order: str | None = None
        self._learned = False
        self._parsed: dict[str, dt.datetime | None] = {}

    def parse(self, text: str) -> dt.datetime | None:
        """The date, or None (`problem` says why)."""
        value = self._parsed.get(text, _MISSING)
        if value is _MISSING:
            value = self._parse(text)
            if len(self._parsed) < 50_000:
                self._parsed[text] = value
        return value

    def _parse(self, text: str) -> dt.datetime | None:
        match = NUMERIC_DATE.fullmatch(text.strip())
        if match is None:
            return None
        first, _, second, year, hour, minute, seconds, meridiem = match.groups()
        order = _order_of(int(first), int(second))
        if order is None and self.order is None:
            self._learn()
        order = order or self.order
        if order is None or (order in (DAY_FIRST, MONTH_FIRST) and self._contradicts(order)):
            return None
        day, month = (first, second) if order == DAY_FIRST else (second, first)
        if order not in (DAY_FIRST, MONTH_FIRST):  # the same number twice: either order
            day = month = first
        return _datetime(
            _full_year(year), int(month), int(day), _clock(hour, minute, seconds, meridiem)
        )

    def _contradicts(self, order: str) -> bool:
        if self.order is None:
            self.order = order
        return order != self.order

    def _learn(self) -> None:
        if self._learned:
            return
        self._learned = True
        for text in self._values():
            match = NUMERIC_DATE.fullmatch(text.strip())
            if match is not None:
                order = _order_of(int(match.group(1)), int(match.group(3)))
                if order in (DAY_FIRST, MONTH_FIRST):
                    self.order = order
                    return

    def problem(self, text: str) -> str | None:
        """Why `parse` refused a numeric date, or None when `text` is not one."""
        match = NUMERIC_DATE.fullmatch(text.strip())
        if match is None:
            return None
        first, second = int(match.group(1)), int(match.group(3))
        order = _order_of(first, second)
        shown = clip(text.strip())
        if order is None and self.order is None:
            return (
                f"'{shown}' could be day/month or month/day, and no date in this file has a "
                "number above 12 to tell which: export dates with the month's name or as "
                "ISO (2026-02-13)"
            )
        if order in (DAY_FIRST, MONTH_FIRST) and self.order not in (None, order):
            return (
                f"'{shown}' puts the {order.split()[0]} first, but the other dates of this "
                f"file put the {str(self.order).split()[0]} first"
            )
        return f"'{shown}' is not a date"


def _order_of(first: int, second: int) -> str | None:
    """Which order two numbers of a date allow: one of them, both ("either"), or None."""
    if first == second:
        return "either"
    if first > 12 >= second:
        return DAY_FIRST
    if second > 12 >= first:
        return MONTH_FIRST
    if first > 12 and second > 12:
        return "neither"
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
