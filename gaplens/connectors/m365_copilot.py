"""Reads the Microsoft 365 Copilot usage user-detail report in the shapes it really comes in:

- Graph CSV (`Report Refresh Date, User Principal Name, ..., Microsoft Teams Copilot Last
  Activity Date, ...`);
- the admin centre's CSV download (`User name`/`Username`, `Display name`, `Last activity date
  (UTC)`, `Last activity date of Microsoft Teams Copilot (UTC)`, ..., often no refresh date);
- Graph JSON, one page `{"value": [...], "@odata.nextLink": ...}` per file, or every page of
  a paged response as JSON lines (one page per line).

Report version 2 adds prompts submitted and active days per trailing period (several with
`period='ALL'`): kept as `M365Period`s. Last-activity dates build the activity history across
successive exports; empty dates mean "never".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gaplens.connectors.csv_file import CsvReader, check_not_binary, normalise_column
from gaplens.connectors.json_records import (
    JsonStream,
    NdjsonLines,
    check_json_text,
    first_line_is_record,
)
from gaplens.errors import InputError, ProblemCollector

# (our app name, CSV column header, JSON property) per app, in the order of M365_APPS
APP_FIELDS: tuple[tuple[str, str, str], ...] = (
    (
        "teams",
        "Microsoft Teams Copilot Last Activity Date",
        "microsoftTeamsCopilotLastActivityDate",
    ),
    ("word", "Word Copilot Last Activity Date", "wordCopilotLastActivityDate"),
    ("excel", "Excel Copilot Last Activity Date", "excelCopilotLastActivityDate"),
    ("powerpoint", "PowerPoint Copilot Last Activity Date", "powerPointCopilotLastActivityDate"),
    ("outlook", "Outlook Copilot Last Activity Date", "outlookCopilotLastActivityDate"),
    ("onenote", "OneNote Copilot Last Activity Date", "oneNoteCopilotLastActivityDate"),
    ("loop", "Loop Copilot Last Activity Date", "loopCopilotLastActivityDate"),
    ("copilot_chat", "Copilot Chat Last Activity Date", "copilotChatLastActivityDate"),
)

CONCEALED_NAME = re.compile(r"^[0-9A-F]{32}$")
INT32 = 2**31 - 1

# The admin centre names an app "Last activity date of <name> (UTC)"; `APP_WORDS` says which of
# our apps a name is (checked in order: "copilot chat" before the word "chat" could match).
APP_WORDS: tuple[tuple[str, str], ...] = (
    ("copilot chat", "copilot_chat"),
    ("teams", "teams"),
    ("word", "word"),
    ("excel", "excel"),
    ("powerpoint", "powerpoint"),
    ("outlook", "outlook"),
    ("onenote", "onenote"),
    ("loop", "loop"),
)
UPN_COLUMNS = ("user principal name", "user name", "username")
COUNT_KINDS: tuple[tuple[str, str], ...] = (
    ("prompts submitted in copilot chat (work)", "chat_work_prompts"),
    ("prompts submitted in copilot chat (web)", "chat_web_prompts"),
    ("prompts submitted", "prompts"),
    ("active usage days", "active_days"),
    ("active days", "active_days"),
)
"""CSV count columns (longest first), each optionally followed by its period, e.g.
`Prompts submitted (Last 30 days)` or `Active days (D90)`."""
JSON_COUNTS: dict[str, str] = {
    "promptssubmitted": "prompts",
    "copilotchatworkpromptssubmitted": "chat_work_prompts",
    "copilotchatwebpromptssubmitted": "chat_web_prompts",
    "activeusagedays": "active_days",
    "activedays": "active_days",
}
"""Version-2 JSON count properties (lower-cased), at the top level or in each
`copilotActivityUserDetailsByPeriod` entry."""
_PERIOD_SUFFIX = re.compile(
    r"^(?P<base>.*?)\s*(?:\((?:last\s+)?(?P<n>\d+)\s*days?\)|\(d(?P<d>\d+)\))$"
)


@dataclass(frozen=True, slots=True)
class M365Period:
    """What a version-2 export counts for a user over one trailing period (0: not stated)."""

    period_days: int
    prompts: int | None = None
    chat_work_prompts: int | None = None
    chat_web_prompts: int | None = None
    active_days: int | None = None


@dataclass(frozen=True, slots=True)
class M365Record:
    row: int
    refresh_date: dt.date
    upn: str
    display_name: str | None
    last_activity: dt.date | None
    apps: dict[str, dt.date | None]
    periods: tuple[M365Period, ...] = field(default=())


@dataclass(frozen=True)
class CsvColumns:
    """Where each field sits in a user-detail CSV of either vendor shape: normalised header
    names (as `CsvReader.get` takes them) with the header as written, for messages."""

    upn: str
    last_activity: str
    refresh: str | None
    display: str | None
    period: str | None
    apps: dict[str, str]
    counts: dict[tuple[int | None, str], str]
    """(period in days or None for the row's `Report Period`, count kind) -> column."""
    shown: dict[str, str]
    admin_centre: bool


def csv_columns(raw: list[str], source: str) -> CsvColumns:
    """Map a header to the fields, accepting Graph's and the admin centre's names."""
    shown = {normalise_column(name): name.strip() for name in raw}
    bare = {_without_utc(name): name for name in shown}
    upn = next((bare[name] for name in UPN_COLUMNS if name in bare), None)
    if upn is None:
        raise InputError.single(
            "this does not look like a Microsoft 365 Copilot user-detail report: none of the "
            "required columns ('User Principal Name' from Graph, 'User name' from the admin "
            "centre) is in the header",
            source,
            1,
        )
    last = bare.get("last activity date")
    if last is None:
        raise InputError.single("required column is missing", source, 1, "Last activity date (UTC)")
    apps: dict[str, str] = {}
    counts: dict[tuple[int | None, str], str] = {}
    # Shortest first: "Copilot Chat" is taken before "Copilot Chat (work)" when both exist.
    for name, original in sorted(bare.items(), key=lambda item: len(item[0])):
        app = _app_of(name)
        if app is not None:
            apps.setdefault(app, original)
            continue
        match = _PERIOD_SUFFIX.match(name)
        base, days = (match["base"], int(match["n"] or match["d"])) if match else (name, None)
        for label, kind in COUNT_KINDS:
            if base == label:
                counts.setdefault((days, kind), original)
                break
    return CsvColumns(
        upn=upn,
        last_activity=last,
        refresh=bare.get("report refresh date"),
        display=bare.get("display name"),
        period=bare.get("report period"),
        apps=apps,
        counts=counts,
        shown=shown,
        admin_centre=upn != "user principal name",
    )


def _without_utc(name: str) -> str:
    return name[: -len("(utc)")].rstrip() if name.endswith("(utc)") else name


def _app_of(name: str) -> str | None:
    """Our app for a per-app last-activity column, in Graph's or the admin centre's words."""
    if name.startswith("last activity date of "):
        what = name[len("last activity date of ") :]
    elif name.endswith(" last activity date"):
        what = name[: -len(" last activity date")]
    else:
        return None
    for word, app in APP_WORDS:
        if word in what:
            return app
    return None


def period_days(value: Any) -> int | None:
    """A report period as days: 7, "7", "D7"; None when it is not one (e.g. "ALL")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value <= 3660:
        return value
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("D")
        if text.isdigit() and 0 < int(text) <= 3660:
            return int(text)
    return None


class M365UsageReader:
    """Iterates `(row, source text, record or None)` for a CSV or JSON user-detail export."""

    def __init__(self, path: Path, problems: ProblemCollector, source: str | None = None) -> None:
        self.path = path
        self.source = source or path.name
        self.problems = problems
        self.rows_read = 0
        self.concealed = 0
        self.next_link: str | None = None
        """The last page's `@odata.nextLink`: set when the file stops before the last page."""
        self.dated_from_activity: dt.date | None = None
        """The snapshot date taken from the file's latest activity (no refresh-date column)."""
        self.pages = 0
        first = check_json_text(path)
        self._csv: CsvReader | None = None
        self._columns: CsvColumns | None = None
        self._stream: JsonStream | None = None
        self._pages: NdjsonLines | None = None
        if first == "{" and first_line_is_record(path):
            self._pages = NdjsonLines(path)
        elif first == "{":
            self._stream = JsonStream(path)
        elif first == "[":
            raise InputError.single(
                "this is a JSON list; the Microsoft 365 Copilot report is an object "
                '{"value": [...]} (or the CSV download)',
                self.source,
                1,
            )
        else:
            check_not_binary(path)
            try:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    header = next(csv.reader(handle), [])
                columns = csv_columns(header, self.source)
                required = [columns.upn, columns.last_activity]
                if columns.refresh is not None:
                    required.insert(0, columns.refresh)
                self._csv = CsvReader(path, required, allow_extra=True)
            except UnicodeDecodeError:
                raise InputError.single("not UTF-8 text", self.source, 1) from None
            except csv.Error as error:
                raise InputError.single(f"unreadable header: {error}", self.source, 1) from None
            self._columns = columns

    @property
    def format(self) -> str:
        if self._columns is not None:
            return "admin-centre CSV" if self._columns.admin_centre else "CSV"
        return "JSON lines of pages" if self._pages is not None else "JSON"

    @property
    def bytes_read(self) -> int:
        reader = self._csv or self._stream or self._pages
        return reader.bytes_read if reader is not None else 0

    @property
    def warnings(self) -> list[str]:
        """What the file leaves out, said once it has been read."""
        said = []
        if self.next_link is not None:
            said.append(
                f"{self.source} is incomplete: it is one page of a paged Graph response and its "
                "'@odata.nextLink' points to more users. Follow every nextLink and import all "
                "the pages (as separate files, or one JSON-lines file with a page per line); "
                "until then the users on the other pages have no activity from this export. "
                "(Imported one file per page, every page but the last says this.)"
            )
        if self.dated_from_activity is not None:
            said.append(
                f"{self.source} has no 'Report refresh date' column: the snapshot is dated "
                f"{self.dated_from_activity.isoformat()}, the latest activity date in the file "
                "(an export taken later with no newer activity lands on the same date)."
            )
        return said

    def __iter__(self) -> Iterator[tuple[int, str, M365Record | None]]:
        if self._csv is not None:
            source = self._csv_rows()
        elif self._pages is not None:
            source = self._page_rows()
        else:
            source = self._json_rows()
        for row, text, record in source:
            self.rows_read += 1
            if record is not None and CONCEALED_NAME.match(record.upn.upper()):
                self.concealed += 1
            yield row, text, record

    def _csv_rows(self) -> Iterator[tuple[int, str, M365Record | None]]:
        reader, columns = self._csv, self._columns
        assert reader is not None and columns is not None
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="")
        shown = columns.shown
        # No refresh date (the admin centre's download): read every row first, then date the
        # snapshot by the latest activity the file reports. One row per licensed user: small.
        undated = columns.refresh is None
        held: list[tuple[int, str, M365Record | None]] = []
        latest: dt.date | None = None
        for row, fields in reader:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(fields)

            def get(column: str | None, fields: list[str] = fields) -> tuple[str, str]:
                if column is None:
                    return "", ""
                return reader.get(fields, column), shown[column]

            periods = self._csv_periods(get, columns, row)
            record = parse_user_detail(
                row,
                self.problems,
                refresh=get(columns.refresh) if not undated else (UNDATED, "Report refresh date"),
                upn=get(columns.upn),
                display_name=get(columns.display)[0],
                last_activity=get(columns.last_activity),
                apps={app: get(column) for app, column in columns.apps.items()},
                periods=periods,
            )
            if not undated:
                yield row, buffer.getvalue(), record
                continue
            held.append((row, buffer.getvalue(), record))
            if record is not None:
                for day in (record.last_activity, *record.apps.values()):
                    if day is not None and (latest is None or day > latest):
                        latest = day
        if undated:
            if latest is None and held:
                raise InputError.single(
                    "the file has no 'Report refresh date' column and no activity dates to "
                    "date the snapshot by: export it from Graph "
                    "(getMicrosoft365CopilotUsageUserDetail), which states the refresh date",
                    self.source,
                )
            self.dated_from_activity = latest
            for row, text, record in held:
                dated = (
                    None
                    if record is None or latest is None
                    else replace(record, refresh_date=latest)
                )
                yield row, text, dated

    def _csv_periods(
        self, get: Any, columns: CsvColumns, row: int
    ) -> tuple[M365Period, ...] | None:
        """The row's count columns by period; None (with problems) if one is not a count."""
        if not columns.counts:
            return ()
        stated = period_days(get(columns.period)[0]) if columns.period else None
        found: dict[int, dict[str, int | None]] = {}
        before = self.problems.count
        for (days, kind), column in columns.counts.items():
            text, shown = get(column)
            value = whole_number(text, shown, row, self.problems)
            found.setdefault(days or stated or 0, {})[kind] = value
        if self.problems.count != before:
            return None
        return tuple(M365Period(days, **counts) for days, counts in sorted(found.items()))

    def _json_rows(self) -> Iterator[tuple[int, str, M365Record | None]]:
        stream = self._stream
        assert stream is not None
        found = False
        try:
            for key, line in stream.object_members():
                if key != "value":
                    value = stream.value().value  # @odata.context: not needed
                    if key.lower() == "@odata.nextlink" and isinstance(value, str) and value:
                        self.next_link = value
                    continue
                if stream.peek() != "[":
                    raise InputError.single("'value' must be a list of users", self.source, line)
                found = True
                self.pages = 1
                for item in stream.array_items():
                    yield item.line, item.text, self._json_record(item.value, item.line, "")
            stream.finish()
        finally:
            stream.close()
        if not found:
            raise InputError.single(
                "this does not look like a Microsoft 365 Copilot usage report: the JSON has no "
                "'value' list of users",
                self.source,
                1,
            )
        if self.rows_read == 0:
            raise InputError.single("the report lists no users", self.source)

    def _page_rows(self) -> Iterator[tuple[int, str, M365Record | None]]:
        """JSON lines, each one page of the response: `{"value": [...], "@odata.nextLink"}`.
        A user's row is the page's line; its fields are named `value[i].property`."""
        pages = self._pages
        assert pages is not None
        for record in pages:
            page = record.value
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise InputError.single(
                    "this does not look like a Microsoft 365 Copilot usage report: the line has "
                    "no 'value' list of users (in a JSON-lines file each line is one page of "
                    "the Graph report)",
                    self.source,
                    record.line,
                )
            self.pages += 1
            link = next((v for k, v in page.items() if k.lower() == "@odata.nextlink"), None)
            self.next_link = link if isinstance(link, str) and link else None
            for index, user in enumerate(page["value"]):
                text = json.dumps(user, separators=(",", ":"), ensure_ascii=False)
                yield record.line, text, self._json_record(user, record.line, f"value[{index}].")
        if self.rows_read == 0:
            raise InputError.single("the report lists no users", self.source)

    def _json_record(self, value: Any, row: int, prefix: str) -> M365Record | None:
        if not isinstance(value, dict):
            self.problems.add(
                "expected a JSON object for each user", row, prefix.rstrip(".") or None
            )
            return None
        lowered = {key.lower(): val for key, val in value.items()}
        if "userprincipalname" not in lowered and "reportrefreshdate" not in lowered:
            raise InputError.single(
                "this does not look like a Microsoft 365 Copilot usage report: a user has no "
                "userPrincipalName or reportRefreshDate",
                self.source,
                row,
            )

        def get(key: str) -> tuple[str, str]:
            raw = lowered.get(key.lower())
            if raw is None:
                return "", prefix + key
            if not isinstance(raw, str):
                return json.dumps(raw), prefix + key
            return raw, prefix + key

        return parse_user_detail(
            row,
            self.problems,
            refresh=get("reportRefreshDate"),
            upn=get("userPrincipalName"),
            display_name=get("displayName")[0],
            last_activity=get("lastActivityDate"),
            apps={app: get(prop) for app, _, prop in APP_FIELDS},
            periods=self._json_periods(value, lowered, row, prefix),
        )

    def _json_periods(
        self, value: dict[str, Any], lowered: dict[str, Any], row: int, prefix: str
    ) -> tuple[M365Period, ...] | None:
        """Version-2 counts: per `copilotActivityUserDetailsByPeriod` entry, and at the top
        level (for the period `reportPeriod` or the single entry names)."""
        before = self.problems.count
        found: dict[int, dict[str, int | None]] = {}
        entries = lowered.get("copilotactivityuserdetailsbyperiod")
        listed: list[int] = []
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if not isinstance(entry, dict):
                    continue
                path = f"{prefix}copilotActivityUserDetailsByPeriod[{index}]."
                inner = {key.lower(): (key, val) for key, val in entry.items()}
                days = period_days(inner.get("reportperiod", ("", None))[1]) or 0
                listed.append(days)
                for name, (key, val) in inner.items():
                    kind = JSON_COUNTS.get(name)
                    if kind is not None:
                        counted = json_count(val, path + key, row, self.problems)
                        found.setdefault(days, {})[kind] = counted
        top_days = period_days(lowered.get("reportperiod"))
        if top_days is None:
            top_days = listed[0] if len(listed) == 1 else 0
        for key, val in value.items():
            kind = JSON_COUNTS.get(key.lower())
            if kind is not None:
                counted = json_count(val, prefix + key, row, self.problems)
                found.setdefault(top_days, {}).setdefault(kind, counted)
        if self.problems.count != before:
            return None
        return tuple(M365Period(days, **counts) for days, counts in sorted(found.items()))


def parse_user_detail(
    row: int,
    problems: ProblemCollector,
    *,
    refresh: tuple[str, str],
    upn: tuple[str, str],
    display_name: str,
    last_activity: tuple[str, str],
    apps: dict[str, tuple[str, str]],
    periods: tuple[M365Period, ...] | None = (),
) -> M365Record | None:
    """One user's row; each argument is (raw text, the field's name in the source). `periods`
    is None when its counts already had problems."""
    before = problems.count
    refresh_date = (
        dt.date.min if refresh[0] == UNDATED else parse_m365_date(*refresh, row, problems)
    )
    if refresh_date is None and problems.count == before:
        problems.add("a date is required (YYYY-MM-DD)", row, refresh[1])
    name = upn[0].strip().lower()
    if not name:
        problems.add("a user principal name is required", row, upn[1])
    elif len(name) > 320:
        problems.add("longer than 320 characters", row, upn[1])
    last = parse_m365_date(*last_activity, row, problems)
    dates = {
        app: parse_m365_date(text, field, row, problems) for app, (text, field) in apps.items()
    }
    dates.update({app: None for app, _, _ in APP_FIELDS if app not in dates})
    if problems.count != before or refresh_date is None or periods is None:
        return None
    shown_name = display_name.strip()[:200] or None
    return M365Record(row, refresh_date, name, shown_name, last, dates, periods)


UNDATED = "\x00undated"
"""The refresh date of a file that states none, until its latest activity date is known."""


def whole_number(text: str, field: str, row: int, problems: ProblemCollector) -> int | None:
    """A CSV count: empty is None; otherwise a whole number of at least 0."""
    value = text.strip()
    if not value:
        return None
    if value.isdigit() and int(value) <= INT32:
        return int(value)
    shown = value if len(value) <= 40 else value[:39] + "…"
    problems.add(f"'{shown}' is not a whole number of at least 0", row, field)
    return None


def json_count(value: Any, field: str, row: int, problems: ProblemCollector) -> int | None:
    """A JSON count: null or "" is None; a number or digit string of at least 0."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        problems.add(f"{json.dumps(value)} is not a whole number of at least 0", row, field)
        return None
    if isinstance(value, str):
        return whole_number(value, field, row, problems)
    if isinstance(value, int | float) and value == int(value) and 0 <= value <= INT32:
        return int(value)
    problems.add(f"{json.dumps(value)[:40]} is not a whole number of at least 0", row, field)
    return None


def parse_m365_date(text: str, field: str, row: int, problems: ProblemCollector) -> dt.date | None:
    """`YYYY-MM-DD` (Graph), or an ISO timestamp; empty means no activity."""
    value = text.strip()
    if not value:
        return None
    try:
        if len(value) == 10 and value[4] == "-":
            return dt.date.fromisoformat(value)
        if len(value) > 10 and value[4] == "-" and value[10] in "T ":
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    shown = value if len(value) <= 40 else value[:39] + "…"
    problems.add(f"'{shown}' is not a date (YYYY-MM-DD)", row, field)
    return None
