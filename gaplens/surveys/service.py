"""Survey services: seed the question bank, create surveys, import anonymous responses."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from gaplens.connectors.responses_csv import ParsedResponse, ResponsesReader
from gaplens.directory.models import Team
from gaplens.errors import InputError, ProblemCollector
from gaplens.imports.service import record_import
from gaplens.surveys.models import (
    BankQuestion,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from gaplens.surveys.question_bank import (
    CURRENT_BANK_VERSION,
    Audience,
    BankEntry,
    Scale,
    bank,
)
from gaplens.surveys.schemas import SurveyCreate

BATCH_SIZE = 5000
RESPONSE_TABLE = cast(Table, SurveyResponse.__table__)
ANSWER_TABLE = cast(Table, SurveyAnswer.__table__)
ProgressCallback = Callable[[int], None]
"""Called with the number of bytes of the file read so far."""


@dataclass(frozen=True)
class ResponsesImported:
    survey: str
    source: str
    responses: int
    answers: int
    replaced: int
    created_survey: bool

    def describe(self) -> str:
        created = " (new survey)" if self.created_survey else ""
        return (
            f"{self.responses} responses ({self.answers} answers) imported from {self.source} "
            f"into '{self.survey}'{created}; {self.replaced} replaced an earlier import"
        )


def seed_question_bank(session: Session, version: int = CURRENT_BANK_VERSION) -> dict[str, int]:
    """Store the bank version as data (idempotent); returns question ids by key."""
    stored = {
        q.key: q
        for q in session.scalars(select(BankQuestion).where(BankQuestion.version == version))
    }
    for item in bank(version):
        if item.key not in stored:
            question = BankQuestion(
                key=item.key,
                version=version,
                text=item.text,
                scale=item.scale.value,
                options=list(item.options),
                audience=item.audience.value,
                benchmark=asdict(item.benchmark) if item.benchmark else None,
            )
            session.add(question)
            stored[item.key] = question
    session.flush()
    return {key: question.id for key, question in stored.items()}


def get_or_create_survey(
    session: Session, name: str, series: str | None = None
) -> tuple[Survey, bool]:
    survey = session.scalars(select(Survey).where(Survey.name == name)).one_or_none()
    if survey is not None:
        if series and survey.series != series:
            survey.series = series
        return survey, False
    ids = seed_question_bank(session)
    survey = Survey(
        name=name,
        series=series,
        bank_version=CURRENT_BANK_VERSION,
        anonymous=True,
        response_key_salt=secrets.token_hex(16),
        created_on=dt.date.today(),
    )
    session.add(survey)
    session.flush()
    session.add_all(
        SurveyQuestion(survey_id=survey.id, question_id=ids[item.key], position=position)
        for position, item in enumerate(bank(CURRENT_BANK_VERSION))
    )
    session.flush()
    return survey, True


def find_survey(session: Session, name: str | None) -> Survey:
    """The named survey, or the only/most recent one when no name is given."""
    query = select(Survey)
    if name:
        survey = session.scalars(query.where(Survey.name == name)).one_or_none()
        if survey is None:
            known = ", ".join(session.scalars(select(Survey.name).order_by(Survey.name))) or "none"
            raise InputError.single(f"no survey named '{name}' (known: {known})", "--survey")
        return survey
    survey = session.scalars(query.order_by(Survey.id.desc())).first()
    if survey is None:
        raise InputError.single(
            "no survey has been imported yet (run: gaplens import responses FILE --survey NAME)"
        )
    return survey


def survey_named(session: Session, name: str) -> Survey | None:
    """The survey called `name`, exactly (None if there is none; `find_survey` refuses)."""
    return session.scalars(select(Survey).where(Survey.name == name)).one_or_none()


def survey_with_id(session: Session, survey_id: int) -> Survey | None:
    return session.get(Survey, survey_id)


def survey_questions(session: Session, survey: Survey) -> list[tuple[int, BankEntry]]:
    """The survey's questions in order, as (question id, bank entry); custom questions
    (bank version 0) are described by their stored row."""
    entries = {item.key: item for item in bank(survey.bank_version)}
    rows = session.scalars(
        select(BankQuestion)
        .join(SurveyQuestion, SurveyQuestion.question_id == BankQuestion.id)
        .where(SurveyQuestion.survey_id == survey.id)
        .order_by(SurveyQuestion.position)
    ).all()
    found: list[tuple[int, BankEntry]] = []
    for row in rows:
        if row.version == CUSTOM_VERSION:
            found.append((row.id, custom_entry(row)))
        elif row.key in entries:
            found.append((row.id, entries[row.key]))
    return found


CUSTOM_VERSION = 0
"""Custom questions live in bank_question with version 0 and a key unique to their survey."""


def custom_entry(row: BankQuestion) -> BankEntry:
    bounds = row.benchmark.get("bounds") if row.benchmark else None
    return BankEntry(
        key=row.key,
        text=row.text,
        scale=Scale(row.scale),
        options=tuple(row.options),
        audience=Audience(row.audience),
        bounds=(float(bounds[0]), float(bounds[1])) if isinstance(bounds, list) else None,
        texts=tuple(sorted((row.texts or {}).items())),
    )


def response_key(salt: str, source_id: str) -> str:
    """Salted, so the stored id cannot be matched back to the collecting tool's records."""
    return hashlib.sha256(f"{salt}:{source_id}".encode()).hexdigest()[:32]


def import_responses(
    session: Session,
    path: Path,
    survey_name: str,
    progress: ProgressCallback | None = None,
    series: str | None = None,
) -> ResponsesImported:
    """All or nothing: rows stream into the open transaction; any problem rolls it all back."""
    survey, created = get_or_create_survey(session, survey_name, series)
    questions = survey_questions(session, survey)
    question_ids = {entry.key: qid for qid, entry in questions}
    team_ids = {key: team_id for key, team_id in session.execute(select(Team.key, Team.id))}
    problems = ProblemCollector(path.name)
    reader = ResponsesReader(path, {entry.key: entry for _, entry in questions}, problems)

    writer = _ResponseWriter(session, survey, question_ids)
    for parsed in reader:
        team_id = None
        if parsed.bands.team is not None:
            team_id = team_ids.get(parsed.bands.team)
            if team_id is None:
                problems.add(f"unknown team '{parsed.bands.team}'", parsed.row, "team")
                continue
        if problems:
            continue  # keep validating to report every problem, but write nothing more
        writer.add(parsed, team_id)
        if progress is not None and writer.pending == 0:
            progress(reader.reader.bytes_read)
    problems.raise_if_any()
    writer.flush()
    if progress is not None:
        progress(path.stat().st_size)
    record_import(
        session,
        "responses",
        path,
        rows_read=reader.rows_read,
        rows_written=writer.responses,
        scope=survey.name,
    )
    return ResponsesImported(
        survey.name, path.name, writer.responses, writer.answers, writer.replaced, created
    )


class _ResponseWriter:
    """Buffers rows and writes them in batches with executemany, replacing earlier copies."""

    def __init__(self, session: Session, survey: Survey, question_ids: dict[str, int]) -> None:
        self.session = session
        self.survey = survey
        self.question_ids = question_ids
        self.response_rows: list[dict[str, Any]] = []
        self.answer_rows: list[dict[str, Any]] = []
        self.responses = self.answers = self.replaced = 0

    @property
    def pending(self) -> int:
        return len(self.response_rows)

    def add(self, parsed: ParsedResponse, team_id: int | None) -> None:
        rid = response_key(self.survey.response_key_salt, parsed.source_id)
        self.response_rows.append(
            {
                "id": rid,
                "survey_id": self.survey.id,
                "answered_on": parsed.answered_on,
                "role_level": parsed.bands.role_level,
                "team_id": team_id,
                "function": parsed.bands.function,
                "ai_tenure_band": parsed.bands.ai_tenure_band,
            }
        )
        qids = self.question_ids
        self.answer_rows.extend(
            {
                "response_id": rid,
                "question_id": qids[a.question_key],
                "ordinal": a.ordinal,
                "option_index": a.option_index,
                "number": a.number,
                "text": a.text,
            }
            for a in parsed.answers
        )
        if len(self.response_rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.response_rows:
            return
        ids = [row["id"] for row in self.response_rows]
        existing = self.session.scalars(
            select(SurveyResponse.id).where(SurveyResponse.id.in_(ids))
        ).all()
        if existing:
            self.session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id.in_(existing)))
            self.session.execute(delete(SurveyResponse).where(SurveyResponse.id.in_(existing)))
            self.replaced += len(existing)
        # Core executemany on the session's connection: one statement per batch, where the
        # ORM bulk path would split rows by which columns are None.
        connection = self.session.connection()
        connection.execute(insert(RESPONSE_TABLE), self.response_rows)
        if self.answer_rows:
            connection.execute(insert(ANSWER_TABLE), self.answer_rows)
        self.responses += len(self.response_rows)
        self.answers += len(self.answer_rows)
        self.response_rows.clear()
        self.answer_rows.clear()


def create_survey(session: Session, spec: SurveyCreate) -> Survey:
    """A survey from chosen bank questions plus custom ones; fails whole if anything is off."""
    if session.scalars(select(Survey).where(Survey.name == spec.name)).first() is not None:
        raise InputError.single(f"a survey named '{spec.name}' already exists", "name")
    current = {item.key: item for item in bank(CURRENT_BANK_VERSION)}
    chosen = list(current) if spec.bank_questions is None else spec.bank_questions
    unknown = [key for key in chosen if key not in current]
    if unknown:
        raise InputError.single(
            f"not in the question bank: {', '.join(unknown)} (see gaplens questions)",
            "bank_questions",
        )
    if not chosen and not spec.custom_questions:
        raise InputError.single("a survey needs at least one question", "bank_questions")
    ids = seed_question_bank(session)
    survey = Survey(
        name=spec.name,
        series=spec.series,
        bank_version=CURRENT_BANK_VERSION,
        anonymous=True,
        response_key_salt=secrets.token_hex(16),
        created_on=dt.date.today(),
    )
    session.add(survey)
    session.flush()
    question_ids = [ids[key] for key in current if key in chosen]
    for number, custom in enumerate(spec.custom_questions, start=1):
        row = BankQuestion(
            key=f"custom_{survey.id}_{number}",
            version=CUSTOM_VERSION,
            text=custom.text,
            scale=custom.scale.value,
            options=custom.options,
            audience=custom.audience.value,
            benchmark={"bounds": list(custom.bounds)} if custom.bounds else None,
            texts=custom.texts or None,
        )
        session.add(row)
        session.flush()
        question_ids.append(row.id)
    session.add_all(
        SurveyQuestion(survey_id=survey.id, question_id=qid, position=position)
        for position, qid in enumerate(question_ids)
    )
    session.flush()
    return survey
