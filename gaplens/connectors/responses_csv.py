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
from gaplens.connectors.fields import parse_date
from gaplens.errors import ProblemCollector
from gaplens.surveys.answers import AnswerParser, Bands, ParsedAnswer, parse_bands
from gaplens.surveys.question_bank import BankEntry

RESPONSE_COLUMNS = ("response_id", "answered_on", "role_level")
RESPONSE_OPTIONAL = ("team", "function", "ai_tenure")


@dataclass(frozen=True)
class ParsedResponse:
    row: int
    source_id: str
    answered_on: dt.date
    bands: Bands
    answers: list[ParsedAnswer]


class ResponsesReader:
    """Validates each row against the survey's questions; problems go to the collector."""

    def __init__(
        self, path: Path, questions: dict[str, BankEntry], problems: ProblemCollector
    ) -> None:
        self.parser = AnswerParser(questions, problems)
        self.reader = CsvReader(path, RESPONSE_COLUMNS, RESPONSE_OPTIONAL + self.parser.keys)
        self.problems = problems
        self.seen: dict[str, int] = {}

    @property
    def rows_read(self) -> int:
        return self.reader.rows_read

    def __iter__(self) -> Iterator[ParsedResponse]:
        problems = self.problems
        reader = self.reader
        for row, fields in reader:
            before = problems.count

            def get(column: str, fields: list[str] = fields) -> str:
                return reader.get(fields, column)

            source_id = get("response_id").strip()
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
                get("answered_on"), problems, row, "answered_on", allow_time=True
            )
            if answered_on is None and problems.count == before:
                problems.add("a value is required", row, "answered_on")
            bands = parse_bands(get, problems, row)
            answers = self.parser.answers(row, get, bands.role_level if bands else None)
            if problems.count == before and answered_on is not None and bands is not None:
                yield ParsedResponse(row, source_id, answered_on, bands, answers)
