"""Reads GitHub Copilot usage exports, detecting which of the three real shapes a file is.

- the usage-metrics **user report** (NDJSON, or a JSON list): one object per user per day
  with `day`, `user_login`, `user_initiated_interaction_count`, ... (docs.github.com,
  "Copilot usage metrics", example schema);
- the usage-metrics **organisation/enterprise report**: objects carrying `day_totals` (the
  28-day report) or single days with `daily_active_users`;
- the legacy `/orgs/{org}/copilot/metrics` JSON list of days with `date` and nested
  `copilot_ide_code_completions.editors[].models[].languages[]` totals.

Records stream one at a time; every problem is located by line and field path.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NamedTuple, cast

import msgspec

from gaplens.connectors.json_records import (
    JsonRecord,
    JsonStream,
    NdjsonLines,
    check_json_text,
    first_line_is_record,
)
from gaplens.errors import InputError, ProblemCollector

USER_REPORT = "user-report"
USER_TEAMS = "user-teams"
ORG_REPORT = "org-report"
LEGACY = "legacy"
USAGE_METRICS = "usage-metrics"
FORMAT_NAMES = {
    USER_REPORT: "usage-metrics user report",
    ORG_REPORT: "usage-metrics organisation/enterprise report",
    LEGACY: "legacy /copilot/metrics JSON",
}

INT32 = 2**31 - 1
INT64 = 2**63 - 1
FEATURE_COUNTS = (
    ("user_initiated_interaction_count", "interactions"),
    ("code_generation_activity_count", "generations"),
    ("code_acceptance_activity_count", "acceptances"),
    ("loc_suggested_to_add_sum", "loc_suggested"),
    ("loc_added_sum", "loc_added"),
)
_COMPACT = json.JSONEncoder(separators=(",", ":"))
LEGACY_COUNTS = (
    "total_code_suggestions",
    "total_code_acceptances",
    "total_code_lines_suggested",
    "total_code_lines_accepted",
)


class CopilotUserRecord(NamedTuple):
    """A tuple (cheap to make millions of): after `row`, `copilot_user_day`'s columns in
    order up to `features`, then the same features as `copilot_user_day_feature` rows."""

    row: int
    day: dt.date
    user_login: str
    user_id: int | None
    interactions: int | None
    code_generations: int | None
    code_acceptances: int | None
    loc_suggested: int | None
    loc_added: int | None
    used_agent: bool | None
    used_chat: bool | None
    features: str | None
    cli_sessions: int | None = None
    cli_requests: int | None = None
    cli_prompts: int | None = None
    code_review: str | None = None
    """`active`, `passive` or None: see `code_review_of`."""
    feature_rows: list[tuple[Any, ...]] | None = None
    """The same features as `copilot_user_day_feature` rows, ready for the driver (see
    `feature_rows`): built here, where each count is at hand anyway."""
    used: bool = True
    """Whether the day counts as the user's use of Copilot in the IDE or on github.com (see
    `ide_use`); CLI use counts on its own (`cli_used`)."""

    @property
    def cli_used(self) -> bool:
        """Copilot CLI activity that day (kept apart: the IDE counts do not include it)."""
        return bool(self.cli_sessions or self.cli_requests or self.cli_prompts)


@dataclass(frozen=True, slots=True)
class CopilotOrgRecord:
    row: int
    scope: str
    day: dt.date
    source_format: str
    active_users: int | None
    engaged_users: int | None
    interactions: int | None
    suggestions: int | None
    acceptances: int | None
    lines_suggested: int | None
    lines_accepted: int | None
    weekly_active_users: int | None = None
    monthly_active_users: int | None = None
    monthly_active_chat_users: int | None = None
    monthly_active_agent_users: int | None = None


ACTIVE_USER_FIELDS = (
    "weekly_active_users",
    "monthly_active_users",
    "monthly_active_chat_users",
    "monthly_active_agent_users",
)
"""The organisation report's trailing-window user counts, stored as named."""

CopilotRecord = CopilotUserRecord | CopilotOrgRecord


def detect_kind(value: Any) -> str | None:
    """Which export a record belongs to, from the fields only that export has."""
    if not isinstance(value, dict):
        return None
    if "user_login" in value:
        return USER_TEAMS if is_user_teams_row(value) else USER_REPORT
    if "day_totals" in value or "daily_active_users" in value:
        return ORG_REPORT
    if "date" in value and (
        "total_active_users" in value
        or "total_engaged_users" in value
        or "copilot_ide_code_completions" in value
    ):
        return LEGACY
    return None


TEAM_FIELDS = ("team_slug", "team_id", "team_name")
USAGE_SIGNS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "totals_by_feature",
    "totals_by_ide",
    "totals_by_cli",
    "used_agent",
    "used_chat",
)
USER_TEAMS_REFUSAL = (
    "this is the Copilot user-teams report (one row per user and team: team_slug/team_id with "
    "user_login), not a usage report: it holds no usage, and read as one it would overwrite "
    "each user's real counts for that day. gaplens takes teams from its own directory "
    "(`gaplens import people`, column `team`); import the users-1-day or users-28-day report "
    "for usage"
)


def is_user_teams_row(value: dict[str, Any]) -> bool:
    """A row of the user-teams report: a user and a team, and none of the usage fields."""
    return any(key in value for key in TEAM_FIELDS) and not any(key in value for key in USAGE_SIGNS)


class CopilotUsageReader:
    """Iterates `(source record, parsed records)`; one source record can hold several days.

    Raises `InputError` at once for a file of the wrong kind (a CSV, another tool's JSON) and
    for unreadable JSON; field problems go to `problems` so every bad row can be reported.
    """

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.path = path
        self.source = path.name
        self.problems = problems
        self.scope_fallback = path.stem[:200]
        self.kind: str | None = None
        self.rows_read = 0
        first = check_json_text(path)
        self._lines: NdjsonLines | None = None
        self._stream: JsonStream | None = None
        if first == "{" and first_line_is_record(path):
            self._lines = NdjsonLines(path)
        elif first in "{[":
            self._stream = JsonStream(path)
        else:
            raise InputError.single(
                "this is not a GitHub Copilot usage export: expected NDJSON or JSON, but the "
                f"file starts with '{first}' (is it a CSV file?)",
                self.source,
                1,
            )

    @property
    def bytes_read(self) -> int:
        reader = self._lines or self._stream
        return reader.bytes_read if reader is not None else 0

    def __iter__(self) -> Iterator[tuple[tuple[int, str | bytes], list[CopilotRecord]]]:
        """`((line, source text), parsed records)` for each source record (the text of an
        ASCII NDJSON line as bytes, as read)."""
        if self._lines is not None:
            yield from self._ndjson()
        else:
            for record in self._records():
                self.rows_read += 1
                yield (record.line, record.text), self._parse(record)
        if self.rows_read == 0:
            raise InputError.single("the file has no usage records", self.source)

    def _ndjson(self) -> Iterator[tuple[tuple[int, str | bytes], list[CopilotRecord]]]:
        """NDJSON lines. Once the first record shows a user report, each line is decoded
        straight into the few fields gaplens keeps (msgspec, typed and bounded); a line that
        does not decode that way takes the general path, which accepts or words exactly what
        it did before (e.g. 3.0 as a count is accepted, -1 is reported)."""
        assert self._lines is not None
        decode = _USER_DAY_DECODER.decode
        fast_errors = (msgspec.DecodeError, msgspec.ValidationError)
        for line, text in self._lines.texts():
            self.rows_read += 1
            if self.kind == USER_REPORT:
                try:
                    fast = decode(text)
                except fast_errors:
                    pass
                else:
                    user = _fast_user_day(fast, line)
                    if user is not None:
                        yield (line, text), [user]
                        continue
            value = self._lines.decode(line, text)
            source = text.decode("ascii") if isinstance(text, bytes) else text
            yield (line, text), self._parse(JsonRecord(line, value, source))

    def _records(self) -> Iterator[JsonRecord]:
        stream = self._stream
        assert stream is not None
        try:
            if stream.peek() == "[":
                yield from stream.array_items()
            else:
                yield from self._object_records(stream)
            stream.finish()
        finally:
            stream.close()

    def _object_records(self, stream: JsonStream) -> Iterator[JsonRecord]:
        """A single pretty-printed object: stream its `day_totals`, or yield it whole."""
        context: dict[str, Any] = {}
        start = stream.line
        streamed = False
        for key, _line in stream.object_members():
            if key == "day_totals" and stream.peek() == "[":
                streamed = True
                self.kind = ORG_REPORT
                for item in stream.array_items():
                    if isinstance(item.value, dict):
                        merged = {**_ids(context), **item.value}
                        yield JsonRecord(item.line, merged, item.text)
                    else:
                        yield item
            else:
                context[key] = stream.value().value
        if not streamed:
            yield JsonRecord(start, context, json.dumps(context, separators=(",", ":")))

    def _parse(self, record: JsonRecord) -> list[CopilotRecord]:
        value = record.value
        row = record.line
        if self.kind is None:
            self.kind = detect_kind(value)
            if self.kind == USER_TEAMS:
                raise InputError.single(USER_TEAMS_REFUSAL, self.source, row)
            if self.kind is None:
                found = ", ".join(list(value)[:6]) if isinstance(value, dict) else "not an object"
                raise InputError.single(
                    "this does not look like a GitHub Copilot usage export: the first record "
                    "has none of user_login (user report), day_totals/daily_active_users "
                    f"(organisation report) or date/total_active_users (legacy); found: {found}",
                    self.source,
                    row,
                )
        if not isinstance(value, dict):
            self.problems.add("expected a JSON object", row)
            return []
        if self.kind == USER_REPORT:
            user = parse_user_day(value, row, self.problems)
            return [user] if user is not None else []
        if self.kind == ORG_REPORT:
            return list(parse_org_report(value, row, self.problems, self.scope_fallback))
        legacy = parse_legacy_day(value, row, self.problems, self.scope_fallback)
        return [legacy] if legacy is not None else []


_Count = Annotated[int, msgspec.Meta(ge=0, le=INT32)]
_NULL = msgspec.Raw(b"null")


class _FastFeature(msgspec.Struct):
    """One `totals_by_feature` item: the counts gaplens keeps; other fields are skipped."""

    feature: Annotated[str, msgspec.Meta(min_length=1)]
    user_initiated_interaction_count: _Count | None = None
    code_generation_activity_count: _Count | None = None
    code_acceptance_activity_count: _Count | None = None
    loc_suggested_to_add_sum: _Count | None = None
    loc_added_sum: _Count | None = None


class _FastCli(msgspec.Struct):
    """`totals_by_cli`: the counts gaplens keeps; token usage and versions are skipped."""

    session_count: _Count | None = None
    request_count: _Count | None = None
    prompt_count: _Count | None = None


class _FastUserDay(msgspec.Struct):
    """The fields of a user-report line that gaplens keeps, with the bounds it checks."""

    day: str
    user_login: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    user_id: Annotated[int, msgspec.Meta(ge=0, le=INT64)] | None = None
    user_initiated_interaction_count: _Count | None = None
    code_generation_activity_count: _Count | None = None
    code_acceptance_activity_count: _Count | None = None
    loc_suggested_to_add_sum: _Count | None = None
    loc_added_sum: _Count | None = None
    used_agent: bool | None = None
    used_chat: bool | None = None
    used_cli: bool | None = None
    used_copilot_coding_agent: bool | None = None
    used_copilot_code_review_active: bool | None = None
    used_copilot_code_review_passive: bool | None = None
    totals_by_cli: _FastCli | None = None
    team_slug: msgspec.Raw = _NULL
    """Only checked to be absent: a user-teams row takes the general path, which refuses it."""
    totals_by_ide: msgspec.Raw = _NULL
    """Only checked to be a list (or null), so it is not decoded at all."""
    totals_by_feature: list[_FastFeature] | None = None


_USER_DAY_DECODER = msgspec.json.Decoder(_FastUserDay)
_COMPACT_ENCODE = msgspec.json.encode


def _fast_user_day(obj: _FastUserDay, row: int) -> CopilotUserRecord | None:
    """The record `parse_user_day` makes from the same line, or None to take its path."""
    day = _days.get(obj.day)
    if day is None:
        day = _iso_day(obj.day)
        if day is None:
            return None
    login = obj.user_login
    ide = obj.totals_by_ide
    if (
        obj.team_slug is not _NULL
        or login != login.strip()
        or not (ide is _NULL or bytes(memoryview(ide)[:1]) == b"[" or bytes(ide) == b"null")
    ):
        return None
    features: str | None = None
    rows: list[tuple[Any, ...]] | None = None
    if obj.totals_by_feature is not None:
        compact: dict[str, dict[str, int]] = {}
        rows = []
        iso = day.isoformat()
        summed = False
        for item in obj.totals_by_feature:
            name = item.feature
            # Unrolled (this runs for every feature of millions of lines): the counts that are
            # not zero, summed per feature, in FEATURE_COUNTS order; and the feature's row.
            i = item.user_initiated_interaction_count or 0
            g = item.code_generation_activity_count or 0
            a = item.code_acceptance_activity_count or 0
            s = item.loc_suggested_to_add_sum or 0
            added = item.loc_added_sum or 0
            counts = compact.get(name)
            if counts is None:
                if not name.isascii():
                    return None  # json.dumps escapes non-ASCII; let the general path do it
                counts = compact[name[:64]] = {}
                rows.append((iso, login, name[:64], i, g, a, s, added))
            else:
                summed = True
            if i:
                counts["interactions"] = counts.get("interactions", 0) + i
            if g:
                counts["generations"] = counts.get("generations", 0) + g
            if a:
                counts["acceptances"] = counts.get("acceptances", 0) + a
            if s:
                counts["loc_suggested"] = counts.get("loc_suggested", 0) + s
            if added:
                counts["loc_added"] = counts.get("loc_added", 0) + added
        if summed or len(rows) != len(compact):  # a feature listed twice: rows from the sums
            rows = feature_rows(day, login, compact)
        features = _COMPACT_ENCODE(compact).decode() if compact else None
    cli = obj.totals_by_cli
    review = code_review_of(
        obj.used_copilot_code_review_active, obj.used_copilot_code_review_passive
    )
    totals = (
        obj.user_initiated_interaction_count,
        obj.code_generation_activity_count,
        obj.code_acceptance_activity_count,
        obj.loc_suggested_to_add_sum,
        obj.loc_added_sum,
    )
    return CopilotUserRecord(
        row,
        day,
        login,
        obj.user_id,
        *totals,
        obj.used_agent,
        obj.used_chat,
        features,
        cli.session_count if cli is not None else None,
        cli.request_count if cli is not None else None,
        cli.prompt_count if cli is not None else None,
        review,
        rows or None,
        ide_use(
            totals,
            features is not None and any(compact.values()),
            (obj.used_agent, obj.used_chat, obj.used_copilot_coding_agent),
            review,
            cli is not None or bool(obj.used_cli),
        ),
    )


def code_review_of(active: Any, passive: Any) -> str | None:
    """`active` wins over `passive`, as GitHub counts a day with both signals."""
    if active is True:
        return "active"
    if passive is True:
        return "passive"
    return None


def ide_use(
    counts: tuple[int | None, ...],
    has_features: bool,
    flags: tuple[bool | None, ...],
    review: str | None,
    has_cli: bool,
) -> bool:
    """Whether a user-day is use of Copilot outside the CLI.

    Any count above 0, a feature with counts, an agent, chat or coding-agent flag, or an active
    code review is use. A day with none of them is not when its only signal is a *passive*
    code review (a repository policy reviewed the user's pull request: GitHub's own
    active/passive split) or CLI activity (counted as CLI use on its own). A day with no
    signal at all is still use: GitHub lists a user on a day only when they were active, and
    older reports carry no flags.
    """
    if any(counts) or has_features or any(flag is True for flag in flags) or review == "active":
        return True
    return review is None and not has_cli


USER_COUNTS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_added_sum",
)
_days: dict[str, dt.date] = {}


def parse_user_day(
    obj: dict[str, Any], row: int, problems: ProblemCollector
) -> CopilotUserRecord | None:
    """One user-day of the usage-metrics user report; None (with problems) if unusable.

    This runs millions of times per import, so the common case (every value well-formed) is
    checked with plain type tests; only a row that fails them takes the slower path that
    words the problem.
    """
    get = obj.get
    text = get("day")
    day = _days.get(text) if type(text) is str else None
    if day is None:
        before = problems.count
        day = parse_day(text, row, problems, "day")
        if day is None:
            return _user_day_problems(obj, row, problems, before)
        if len(_days) < 100_000:
            _days[str(text)] = day
    login = cast(str, get("user_login"))  # checked below
    values: list[int | None] = [get(key) for key in USER_COUNTS]
    user_id = get("user_id")
    agent = get("used_agent")
    chat = get("used_chat")
    ide = get("totals_by_ide")
    if any(key in obj for key in TEAM_FIELDS):
        problems.add(
            "a row of the user-teams report (a team with user_login, no usage) among usage "
            "rows: it is not usage and would overwrite that user's day; remove it",
            row,
            next(key for key in TEAM_FIELDS if key in obj),
        )
        return None
    well_formed = (
        type(login) is str
        and 0 < len(login) <= 100
        and login == login.strip()
        and (user_id is None or (type(user_id) is int and 0 <= user_id <= INT64))
        and (agent is None or type(agent) is bool)
        and (chat is None or type(chat) is bool)
        and (ide is None or type(ide) is list)
        and all(v is None or (type(v) is int and 0 <= v <= INT32) for v in values)
    )
    if not well_formed:
        return _user_day_problems(obj, row, problems, problems.count)
    before = problems.count
    counts = feature_counts(get("totals_by_feature"), row, problems)
    if problems.count != before:
        return None
    interactions, generations, acceptances, loc_suggested, loc_added = values
    record = CopilotUserRecord(
        row,
        day,
        login,
        user_id,
        interactions,
        generations,
        acceptances,
        loc_suggested,
        loc_added,
        agent,
        chat,
        _COMPACT.encode(counts) if counts else None,
        feature_rows=feature_rows(day, login, counts) if counts else None,
    )
    return _with_signals(record, obj, row, problems, before)


def _with_signals(
    record: CopilotUserRecord,
    obj: dict[str, Any],
    row: int,
    problems: ProblemCollector,
    before: int,
) -> CopilotUserRecord | None:
    """The record with its CLI counts, code-review signal and whether the day is use."""
    cli = obj.get("totals_by_cli")
    sessions = requests = prompts = None
    if cli is not None:
        if not isinstance(cli, dict):
            problems.add(_expected("an object", cli), row, "totals_by_cli")
        else:
            sessions = count(
                cli, "session_count", row, problems, INT32, "totals_by_cli.session_count"
            )
            requests = count(
                cli, "request_count", row, problems, INT32, "totals_by_cli.request_count"
            )
            prompts = count(cli, "prompt_count", row, problems, INT32, "totals_by_cli.prompt_count")
    flags = {
        key: flag(obj, key, row, problems)
        for key in (
            "used_cli",
            "used_copilot_coding_agent",
            "used_copilot_code_review_active",
            "used_copilot_code_review_passive",
        )
    }
    if problems.count != before:
        return None
    review = code_review_of(
        flags["used_copilot_code_review_active"], flags["used_copilot_code_review_passive"]
    )
    counts = (
        record.interactions,
        record.code_generations,
        record.code_acceptances,
        record.loc_suggested,
        record.loc_added,
    )
    used = ide_use(
        counts,
        any(any(counts[3:]) for counts in record.feature_rows or ()),
        (record.used_agent, record.used_chat, flags["used_copilot_coding_agent"]),
        review,
        cli is not None or bool(flags["used_cli"]),
    )
    return record._replace(
        cli_sessions=sessions,
        cli_requests=requests,
        cli_prompts=prompts,
        code_review=review,
        used=used,
    )


def _user_day_problems(
    obj: dict[str, Any], row: int, problems: ProblemCollector, before: int
) -> CopilotUserRecord | None:
    """The slow path: check each field and word what is wrong with it."""
    day = _days.get(obj["day"]) if type(obj.get("day")) is str else None
    if day is None and problems.count == before:
        day = parse_day(obj.get("day"), row, problems, "day")
    login = obj.get("user_login")
    if not isinstance(login, str) or not login.strip():
        problems.add(_required("a GitHub login", login), row, "user_login")
    elif len(login.strip()) > 100:
        problems.add("longer than 100 characters", row, "user_login")
    record = CopilotUserRecord(
        row=row,
        day=day or dt.date.min,
        user_login=login.strip() if isinstance(login, str) else "",
        user_id=count(obj, "user_id", row, problems, INT64),
        interactions=count(obj, "user_initiated_interaction_count", row, problems),
        code_generations=count(obj, "code_generation_activity_count", row, problems),
        code_acceptances=count(obj, "code_acceptance_activity_count", row, problems),
        loc_suggested=count(obj, "loc_suggested_to_add_sum", row, problems),
        loc_added=count(obj, "loc_added_sum", row, problems),
        used_agent=flag(obj, "used_agent", row, problems),
        used_chat=flag(obj, "used_chat", row, problems),
        features=None,
    )
    counts = feature_counts(obj.get("totals_by_feature"), row, problems)
    if counts:
        record = record._replace(
            features=_COMPACT.encode(counts),
            feature_rows=feature_rows(record.day, record.user_login, counts),
        )
    ide = obj.get("totals_by_ide")
    if ide is not None and not isinstance(ide, list):
        problems.add(_expected("a list", ide), row, "totals_by_ide")
    if problems.count != before:
        return None
    return _with_signals(record, obj, row, problems, before)


def compact_features(value: Any, row: int, problems: ProblemCollector) -> str | None:
    """`totals_by_feature` as compact JSON: feature -> its non-zero counts, short names."""
    counts = feature_counts(value, row, problems)
    return _COMPACT.encode(counts) if counts else None


def feature_rows(
    day: dt.date, login: str, counts: dict[str, dict[str, int]]
) -> list[tuple[Any, ...]]:
    """`copilot_user_day_feature` rows as the driver takes them: day (ISO text, as SQLite
    stores a date and PostgreSQL's COPY reads one), login, feature, then its interactions,
    generations, acceptances, lines suggested and lines added (0 where `counts` has none)."""
    iso = day.isoformat()
    return [
        (
            iso,
            login,
            name,
            c.get("interactions", 0),
            c.get("generations", 0),
            c.get("acceptances", 0),
            c.get("loc_suggested", 0),
            c.get("loc_added", 0),
        )
        for name, c in counts.items()
    ]


def feature_counts(
    value: Any, row: int, problems: ProblemCollector
) -> dict[str, dict[str, int]] | None:
    """`totals_by_feature` as feature -> its non-zero counts under the short names (what
    `compact_features` encodes, and the importer writes as feature rows); None if empty."""
    if value is None:
        return None
    if type(value) is not list:
        problems.add(_expected("a list", value), row, "totals_by_feature")
        return None
    compact: dict[str, dict[str, int]] = {}
    for index, item in enumerate(value):
        if type(item) is not dict:
            problems.add(_expected("an object", item), row, f"totals_by_feature[{index}]")
            continue
        name = item.get("feature")
        if type(name) is not str or not name:
            problems.add(
                _required("a feature name", name), row, f"totals_by_feature[{index}].feature"
            )
            continue
        counts = compact.get(name)
        if counts is None:
            counts = compact[name[:64]] = {}
        for source_key, short in FEATURE_COUNTS:
            number = item.get(source_key)
            if number is None or (number == 0 and type(number) is int):
                continue
            if not (type(number) is int and 0 < number <= INT32):
                path = f"totals_by_feature[{index}].{source_key}"
                number = count(item, source_key, row, problems, INT32, path)
                if not number:
                    continue
            counts[short] = counts.get(short, 0) + number
    return compact or None


def parse_org_report(
    obj: dict[str, Any], row: int, problems: ProblemCollector, fallback_scope: str
) -> Iterator[CopilotOrgRecord]:
    """The days of one organisation/enterprise report object (`day_totals`, or one day)."""
    days = obj.get("day_totals")
    if days is None:
        record = parse_org_day(obj, row, problems, scope_of(obj, fallback_scope), "")
        if record is not None:
            yield record
        return
    if not isinstance(days, list):
        problems.add(_expected("a list", days), row, "day_totals")
        return
    scope = scope_of(obj, fallback_scope)
    for index, item in enumerate(days):
        path = f"day_totals[{index}]."
        if not isinstance(item, dict):
            problems.add(_expected("an object", item), row, path.rstrip("."))
            continue
        record = parse_org_day(item, row, problems, scope_of(item, scope), path)
        if record is not None:
            yield record


def parse_org_day(
    obj: dict[str, Any], row: int, problems: ProblemCollector, scope: str, path: str
) -> CopilotOrgRecord | None:
    before = problems.count
    day = parse_day(obj.get("day"), row, problems, f"{path}day")

    def number(key: str) -> int | None:
        return count(obj, key, row, problems, INT64, f"{path}{key}")

    record = CopilotOrgRecord(
        row=row,
        scope=scope,
        day=day or dt.date.min,
        source_format=USAGE_METRICS,
        active_users=count(
            obj, "daily_active_users", row, problems, INT32, f"{path}daily_active_users"
        ),
        engaged_users=None,
        interactions=number("user_initiated_interaction_count"),
        suggestions=number("code_generation_activity_count"),
        acceptances=number("code_acceptance_activity_count"),
        lines_suggested=number("loc_suggested_to_add_sum"),
        lines_accepted=number("loc_added_sum"),
        **{
            key: count(obj, key, row, problems, INT32, f"{path}{key}") for key in ACTIVE_USER_FIELDS
        },
    )
    return record if problems.count == before else None


def parse_legacy_day(
    obj: dict[str, Any], row: int, problems: ProblemCollector, scope: str
) -> CopilotOrgRecord | None:
    """One day of the legacy metrics API, with completions summed over editors, models and
    languages, and chats summed over IDE and github.com chat."""
    before = problems.count
    day = parse_day(obj.get("date"), row, problems, "date")
    totals: list[int] | None = None
    completions = obj.get("copilot_ide_code_completions")
    if completions is not None:
        totals = [0, 0, 0, 0]
        base = "copilot_ide_code_completions"
        for e, editor in _items(completions, "editors", row, problems, base):
            for m, model in _items(editor, "models", row, problems, f"{base}.editors[{e}]"):
                model_path = f"{base}.editors[{e}].models[{m}]"
                for lang_i, language in _items(model, "languages", row, problems, model_path):
                    lang_path = f"{model_path}.languages[{lang_i}]"
                    for k, key in enumerate(LEGACY_COUNTS):
                        totals[k] += (
                            count(language, key, row, problems, INT64, f"{lang_path}.{key}") or 0
                        )
    chats: int | None = None
    ide_chat = obj.get("copilot_ide_chat")
    if ide_chat is not None:
        chats = 0
        for e, editor in _items(ide_chat, "editors", row, problems, "copilot_ide_chat"):
            path = f"copilot_ide_chat.editors[{e}]"
            for m, model in _items(editor, "models", row, problems, path):
                chats += (
                    count(
                        model,
                        "total_chats",
                        row,
                        problems,
                        INT64,
                        f"{path}.models[{m}].total_chats",
                    )
                    or 0
                )
    dotcom = obj.get("copilot_dotcom_chat")
    if dotcom is not None:
        chats = chats or 0
        for m, model in _items(dotcom, "models", row, problems, "copilot_dotcom_chat"):
            path = f"copilot_dotcom_chat.models[{m}].total_chats"
            chats += count(model, "total_chats", row, problems, INT64, path) or 0
    record = CopilotOrgRecord(
        row=row,
        scope=scope,
        day=day or dt.date.min,
        source_format=LEGACY,
        active_users=count(obj, "total_active_users", row, problems),
        engaged_users=count(obj, "total_engaged_users", row, problems),
        interactions=chats,
        suggestions=totals[0] if totals else None,
        acceptances=totals[1] if totals else None,
        lines_suggested=totals[2] if totals else None,
        lines_accepted=totals[3] if totals else None,
    )
    return record if problems.count == before else None


def scope_of(obj: dict[str, Any], fallback: str) -> str:
    """The organisation or enterprise a report covers, as `organization:<id>`/`enterprise:<id>`."""
    for key, label in (("organization_id", "organization"), ("enterprise_id", "enterprise")):
        value = obj.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return f"{label}:{value}"[:200]
    return fallback


def _iso_day(text: str) -> dt.date | None:
    """`YYYY-MM-DD` as `parse_day` accepts it (remembered), or None."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None
        if len(_days) < 100_000:
            _days[text] = day
        return day
    return None


def parse_day(value: Any, row: int, problems: ProblemCollector, field: str) -> dt.date | None:
    """A `YYYY-MM-DD` day (the only form these exports use)."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    if value is None:
        problems.add("a date is required (YYYY-MM-DD)", row, field)
    else:
        problems.add(f"{_shown(value)} is not a date (YYYY-MM-DD)", row, field)
    return None


def count(
    obj: dict[str, Any],
    key: str,
    row: int,
    problems: ProblemCollector,
    limit: int = INT32,
    field: str | None = None,
) -> int | None:
    """A whole number of at least 0 (absent or null: None)."""
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is int and 0 <= value <= limit:
        return value
    if type(value) is float and value.is_integer() and 0 <= value <= limit:
        return int(value)
    if type(value) in (int, float) and value > limit:
        problems.add(f"{value:g} is too large", row, field or key)
    else:
        problems.add(f"{_shown(value)} is not a whole number of at least 0", row, field or key)
    return None


def flag(obj: dict[str, Any], key: str, row: int, problems: ProblemCollector) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    problems.add(f"{_shown(value)} is not true or false", row, key)
    return None


def _ids(context: dict[str, Any]) -> dict[str, Any]:
    return {k: context[k] for k in ("organization_id", "enterprise_id") if k in context}


def _items(
    parent: Any, key: str, row: int, problems: ProblemCollector, path: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects of `parent[key]` (a missing or null list is empty)."""
    if not isinstance(parent, dict):
        problems.add(_expected("an object", parent), row, path)
        return
    items = parent.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        problems.add(_expected("a list", items), row, f"{path}.{key}")
        return
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield index, item
        else:
            problems.add(_expected("an object", item), row, f"{path}.{key}[{index}]")


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 40 else text[:39] + "…"


def _expected(what: str, value: Any) -> str:
    return f"expected {what}, found {_shown(value)}"


def _required(what: str, value: Any) -> str:
    return f"{what} is required" if value in (None, "") else _expected(what, value)
