"""Reads anonymous survey responses (docs/import-formats.md) one row at a time.

Rows are validated against the survey's questions as they stream past, so a million-row file
needs no more memory than one batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gaplens.connectors.csv_file import CsvReader
from gaplens.connectors.fields import (
    optional_text,
    parse_date,
    parse_key,
    parse_number,
    parse_role_level,
)
from gaplens.errors import ProblemCollector
from gaplens.surveys.question_bank import (
    AGREE5_OPTIONS,
    ATTRIBUTE_QUESTIONS,
    Audience,
    BankEntry,
    Scale,
)

RESPONSE_COLUMNS = ("response_id", "answered_on", "role_level")
RESPONSE_OPTIONAL = ("team", "function", "ai_tenure")
TENURE_BANDS = ("none", "<1", "1-6", "6+")
MAX_TEXT = 4000
LEADER_ROLES = frozenset({"executive", "manager"})


@dataclass(frozen=True)
class ParsedAnswer:
    question_key: str
    ordinal: int
    option_index: int | None
    number: float | None
    text: str | None


@dataclass(frozen=True)
class ParsedResponse:
    row: int
    source_id: str
    answered_on: dt.date
    role_level: str
    team: str | None
    function: str | None
    ai_tenure_band: str | None
    answers: list[ParsedAnswer]


class ResponsesReader:
    """Validates each row against the survey's questions; problems go to the collector."""

    def __init__(
        self, path: Path, questions: dict[str, BankEntry], problems: ProblemCollector
    ) -> None:
        answer_columns = tuple(k for k in questions if k not in ATTRIBUTE_QUESTIONS)
        self.reader = CsvReader(path, RESPONSE_COLUMNS, RESPONSE_OPTIONAL + answer_columns)
        self.problems = problems
        self.questions = [
            (key, self.reader.header.index[key], questions[key])
            for key in answer_columns
            if key in self.reader.header.index
        ]
        self.seen: dict[str, int] = {}
        self._option_lookup = {key: _option_lookup(entry) for key, entry in questions.items()}

    @property
    def rows_read(self) -> int:
        return self.reader.rows_read

    def __iter__(self) -> Iterator[ParsedResponse]:
        problems = self.problems
        reader = self.reader
        for row, fields in reader:
            before = problems.count
            source_id = fields[reader.header.index["response_id"]].strip()
            if not source_id:
                problems.add("a value is required", row, "response_id")
            elif len(source_id) > 200:
                problems.add("longer than 200 characters", row, "response_id")
            elif source_id in self.seen:
                problems.add(
                    f"response '{source_id}' already appears in row {self.seen[source_id]}",
                    row,
                    "response_id",
                )
            else:
                self.seen[source_id] = row
            answered_on = parse_date(
                reader.get(fields, "answered_on"), problems, row, "answered_on", allow_time=True
            )
            if answered_on is None and problems.count == before:
                problems.add("a value is required", row, "answered_on")
            role = parse_role_level(reader.get(fields, "role_level"), problems, row, "role_level")
            team_text = reader.get(fields, "team").strip()
            team = parse_key(team_text, problems, row, "team") if team_text else None
            function = optional_text(reader.get(fields, "function"), problems, row, "function", 100)
            tenure = reader.get(fields, "ai_tenure").strip()
            if tenure and tenure not in TENURE_BANDS:
                problems.add(
                    f"'{tenure}' is not a tenure band ({', '.join(TENURE_BANDS)})", row, "ai_tenure"
                )
            answers = self._answers(row, fields, role.value if role else None)
            if problems.count == before and answered_on is not None and role is not None:
                yield ParsedResponse(
                    row, source_id, answered_on, role.value, team, function, tenure or None, answers
                )

    def _answers(self, row: int, fields: list[str], role: str | None) -> list[ParsedAnswer]:
        answers: list[ParsedAnswer] = []
        for key, position, entry in self.questions:
            raw = fields[position]
            if not raw or raw.isspace():
                continue
            if entry.audience is Audience.LEADERS and role is not None and role not in LEADER_ROLES:
                self.problems.add("this question is for executives and managers only", row, key)
                continue
            answers.extend(self._parse(row, key, entry, raw))
        return answers

    def _parse(self, row: int, key: str, entry: BankEntry, raw: str) -> list[ParsedAnswer]:
        scale = entry.scale
        if scale is Scale.NUMBER:
            number = parse_number(raw, self.problems, row, key, entry.bounds)
            return [] if number is None else [ParsedAnswer(key, 0, None, number, None)]
        if scale is Scale.TEXT:
            text = raw.strip()
            if len(text) > MAX_TEXT:
                self.problems.add(f"longer than {MAX_TEXT} characters", row, key)
                return []
            return [ParsedAnswer(key, 0, None, None, text)]
        lookup = self._option_lookup[key]
        parts = raw.split(";") if scale is Scale.MULTI else [raw]
        chosen: list[ParsedAnswer] = []
        for part in parts:
            label = part.strip().lower()
            if not label and scale is Scale.MULTI:
                continue
            index = lookup.get(label)
            if index is None:
                allowed = "; ".join(entry.options)
                self.problems.add(f"'{part.strip()[:40]}' is not an option ({allowed})", row, key)
                return []
            if scale is Scale.MULTI:
                if any(a.option_index == index for a in chosen):
                    continue
                chosen.append(ParsedAnswer(key, index, index, None, None))
            else:
                chosen.append(ParsedAnswer(key, 0, index, None, None))
        return chosen


def _option_lookup(entry: BankEntry) -> dict[str, int]:
    lookup = {option.lower(): index for index, option in enumerate(entry.options)}
    if entry.options == AGREE5_OPTIONS:
        lookup.update({str(index + 1): index for index in range(5)})
    return lookup
