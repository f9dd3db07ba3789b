"""Reads the Microsoft 365 Copilot usage user-detail report (Graph
`getMicrosoft365CopilotUsageUserDetail`) as the admin centre or Graph produce it: CSV with
`Report Refresh Date, User Principal Name, ...` or JSON `{"value": [{"reportRefreshDate": ...}]}`.

The report holds last-activity dates only; activity history comes from importing successive
exports. Extra columns (`Report Period`, newer apps) are tolerated; empty dates mean "never".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gaplens.connectors.csv_file import CsvReader
from gaplens.connectors.json_records import JsonRecord, JsonStream, check_json_text
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

REQUIRED_COLUMNS = ("report refresh date", "user principal name", "last activity date")
OPTIONAL_COLUMNS = ("display name", *(column.lower() for _, column, _ in APP_FIELDS))
CONCEALED_NAME = re.compile(r"^[0-9A-F]{32}$")


@dataclass(frozen=True, slots=True)
class M365Record:
    row: int
    refresh_date: dt.date
    upn: str
    display_name: str | None
    last_activity: dt.date | None
    apps: dict[str, dt.date | None]


class M365UsageReader:
    """Iterates `(row, source text, record or None)` for a CSV or JSON user-detail export."""

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.path = path
        self.source = path.name
        self.problems = problems
        self.rows_read = 0
        self.concealed = 0
        first = check_json_text(path)
        self._csv: CsvReader | None = None
        self._stream: JsonStream | None = None
        if first == "{":
            self._stream = JsonStream(path)
        elif first == "[":
            raise InputError.single(
                "this is a JSON list; the Microsoft 365 Copilot report is an object "
                '{"value": [...]} (or the CSV download)',
                self.source,
                1,
            )
        else:
            try:
                self._csv = CsvReader(path, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, allow_extra=True)
            except UnicodeDecodeError:
                raise InputError.single("not UTF-8 text", self.source, 1) from None

    @property
    def format(self) -> str:
        return "CSV" if self._csv is not None else "JSON"

    @property
    def bytes_read(self) -> int:
        reader = self._csv or self._stream
        return reader.bytes_read if reader is not None else 0

    def __iter__(self) -> Iterator[tuple[int, str, M365Record | None]]:
        source = self._csv_rows() if self._csv is not None else self._json_rows()
        for row, text, record in source:
            self.rows_read += 1
            if record is not None and CONCEALED_NAME.match(record.upn.upper()):
                self.concealed += 1
            yield row, text, record

    def _csv_rows(self) -> Iterator[tuple[int, str, M365Record | None]]:
        reader = self._csv
        assert reader is not None
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="")
        for row, fields in reader:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(fields)

            def get(column: str, fields: list[str] = fields) -> str:
                return reader.get(fields, column)

            record = parse_user_detail(
                row,
                self.problems,
                refresh=(get("report refresh date"), "Report Refresh Date"),
                upn=(get("user principal name"), "User Principal Name"),
                display_name=get("display name"),
                last_activity=(get("last activity date"), "Last Activity Date"),
                apps={app: (get(column.lower()), column) for app, column, _ in APP_FIELDS},
            )
            yield row, buffer.getvalue(), record

    def _json_rows(self) -> Iterator[tuple[int, str, M365Record | None]]:
        stream = self._stream
        assert stream is not None
        found = False
        try:
            for key, line in stream.object_members():
                if key != "value":
                    stream.value()  # @odata.context, @odata.nextLink: not needed
                    continue
                if stream.peek() != "[":
                    raise InputError.single("'value' must be a list of users", self.source, line)
                found = True
                for item in stream.array_items():
                    yield item.line, item.text, self._json_record(item)
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

    def _json_record(self, item: JsonRecord) -> M365Record | None:
        value = item.value
        row = item.line
        if not isinstance(value, dict):
            self.problems.add("expected a JSON object for each user", row)
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
                return "", key
            if not isinstance(raw, str):
                return json.dumps(raw), key
            return raw, key

        return parse_user_detail(
            row,
            self.problems,
            refresh=get("reportRefreshDate"),
            upn=get("userPrincipalName"),
            display_name=get("displayName")[0],
            last_activity=get("lastActivityDate"),
            apps={app: get(prop) for app, _, prop in APP_FIELDS},
        )


def parse_user_detail(
    row: int,
    problems: ProblemCollector,
    *,
    refresh: tuple[str, str],
    upn: tuple[str, str],
    display_name: str,
    last_activity: tuple[str, str],
    apps: dict[str, tuple[str, str]],
) -> M365Record | None:
    """One user's row; each argument is (raw text, the field's name in the source)."""
    before = problems.count
    refresh_date = parse_m365_date(*refresh, row, problems)
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
    if problems.count != before or refresh_date is None:
        return None
    shown_name = display_name.strip()[:200] or None
    return M365Record(row, refresh_date, name, shown_name, last, dates)


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
