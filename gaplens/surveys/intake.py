"""Answer intake at speed: validate in memory, store in batches, acknowledge after the commit.

Each answer used to cost a transaction and four queries (link, survey, questions, team), which
capped two cores near 200 answers/s. Here a survey's questions are immutable once created, so
they are cached per process; open links and teams are cached too, but every batch re-checks
its links inside the write transaction, so a replaced link or a used invitation is refused
exactly as before. Using an invitation writes a keyed tag (gaplens.spent), never the
invitation's row. One writer thread per process commits whatever has queued up (group
commit); a request is acknowledged only once the transaction holding its rows has committed.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import OperationalError

from gaplens.db.engine import get_engine
from gaplens.directory.models import Team
from gaplens.errors import ProblemCollector
from gaplens.i18n import N_
from gaplens.spent.service import SURVEY, is_spent, spend
from gaplens.surveys.answers import AnswerParser, parse_bands
from gaplens.surveys.models import Survey, SurveyAnswer, SurveyLink, SurveyResponse
from gaplens.surveys.question_bank import BankEntry

log = logging.getLogger(__name__)

OPEN = "open"
INVITATION = "invitation"
BAND_FIELDS = ("role_level", "team", "function", "ai_tenure")
MISSING_TEAM_SECONDS = 5.0
MAX_CACHED_LINKS = 10_000


class LinkNotUsable(Exception):  # noqa: N818 - a state of the link, shown to the respondent
    """`message` is a catalogue msgid; with `values` (`%(day)s`), a page translates it and
    fills them in after, in its language (str() is the English text, for the JSON API)."""

    def __init__(
        self, message: str, status: int, values: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message % values if values else message)
        self.status = status
        self.template = message
        self.values: dict[str, object] = dict(values or {})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SurveyForm:
    """What answering a survey needs, loaded once: questions never change after creation."""

    survey: Survey
    questions: tuple[tuple[int, BankEntry], ...]

    @property
    def by_key(self) -> dict[str, BankEntry]:
        return {entry.key: entry for _, entry in self.questions}

    @property
    def ids(self) -> dict[str, int]:
        return {entry.key: qid for qid, entry in self.questions}


@dataclass(frozen=True)
class LinkState:
    token_hash: str
    survey_id: int
    kind: str
    used: bool
    closed: bool = False


CLOSED = N_("This survey is closed and no longer accepts answers. Thank you for your interest.")


@dataclass(frozen=True)
class PreparedResponse:
    """A validated response, ready to insert; nothing in it says which link brought it."""

    token_hash: str
    link_kind: str
    response: dict[str, object]
    answers: list[dict[str, object]] = field(default_factory=list)


def check_link(link: LinkState | None) -> LinkState:
    if link is None:
        raise LinkNotUsable(N_("This survey link is not valid or has been replaced."), 404)
    if link.closed:
        raise LinkNotUsable(CLOSED, 410)
    if link.used:
        raise LinkNotUsable(
            N_("This invitation has already been used. Thank you for answering."), 410
        )
    return link


def prepare_response(
    form: SurveyForm,
    link: LinkState,
    values: Mapping[str, str],
    team_id: Callable[[str], int | None],
    today: dt.date,
) -> PreparedResponse:
    """Validate every field (raising InputError naming them) and build the rows to insert."""
    problems = ProblemCollector("answers")

    def get(name: str) -> str:
        return values.get(name, "")

    bands = parse_bands(get, problems, None)
    parser = AnswerParser(form.by_key, problems)
    answers = parser.answers(None, get, bands.role_level if bands else None)
    for unknown in sorted(set(values) - {*BAND_FIELDS, *parser.keys}):
        problems.add(N_("not a question of this survey"), None, unknown)
    team: int | None = None
    if bands is not None and bands.team is not None:
        team = team_id(bands.team)
        if team is None:
            problems.add(N_("unknown team '%(value)s'"), None, "team", {"value": bands.team})
    problems.raise_if_any()
    assert bands is not None
    response_id = secrets.token_hex(16)
    ids = form.ids
    return PreparedResponse(
        token_hash=link.token_hash,
        link_kind=link.kind,
        response={
            "id": response_id,
            "survey_id": form.survey.id,
            "answered_on": today,
            "role_level": bands.role_level,
            "team_id": team,
            "function": bands.function,
            "ai_tenure_band": bands.ai_tenure_band,
        },
        answers=[
            {
                "response_id": response_id,
                "question_id": ids[a.question_key],
                "ordinal": a.ordinal,
                "option_index": a.option_index,
                "number": a.number,
                "text": a.text,
            }
            for a in answers
        ],
    )


def store_responses(
    connection: Connection, items: Sequence[PreparedResponse]
) -> list[LinkNotUsable | None]:
    """Write a batch in the caller's transaction: each item's link is re-checked here (an open
    link may have been replaced, an invitation used, the survey closed meanwhile); refused
    items write nothing.

    The survey rows are read FOR SHARE (PostgreSQL; SQLite holds its write lock already), so
    closing a survey waits for a batch under way, and a batch after it sees it closed: no
    answer lands after the release built at close."""
    outcome: list[LinkNotUsable | None] = [None] * len(items)
    hashes = sorted({item.token_hash for item in items})
    found = connection.execute(
        select(SurveyLink.token_hash, Survey.closed_on)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(SurveyLink.token_hash.in_(hashes))
        .with_for_update(read=True, of=Survey)
    ).all()
    present = {hashed for hashed, closed_on in found if closed_on is None}
    closed = {hashed for hashed, closed_on in found if closed_on is not None}
    for n, item in enumerate(items):
        if item.token_hash in closed:
            outcome[n] = LinkNotUsable(CLOSED, 410)
        elif item.token_hash not in present:
            outcome[n] = LinkNotUsable(
                N_("This survey link has been replaced.")
                if item.link_kind == OPEN
                else N_("This survey link is not valid or has been replaced."),
                404,
            )
        elif item.link_kind == INVITATION and not spend(connection, SURVEY, item.token_hash):
            # The invitation's row is never touched: the spent tag's primary key is what
            # makes the link single-use, and only the server's key maps it to the link.
            outcome[n] = LinkNotUsable(N_("This invitation has already been used."), 410)
    kept = [item for item, refused in zip(items, outcome, strict=True) if refused is None]
    if kept:
        connection.execute(insert(SurveyResponse), [item.response for item in kept])
        answers = [row for item in kept for row in item.answers]
        if answers:
            connection.execute(insert(SurveyAnswer), answers)
    return outcome


def load_link(connection: Connection, hashed: str) -> LinkState | None:
    row = connection.execute(
        select(SurveyLink.survey_id, SurveyLink.kind, Survey.closed_on)
        .join(Survey, Survey.id == SurveyLink.survey_id)
        .where(SurveyLink.token_hash == hashed)
    ).first()
    if row is None:
        return None
    used = row.kind == INVITATION and is_spent(connection, SURVEY, hashed)
    return LinkState(hashed, row.survey_id, row.kind, used, row.closed_on is not None)


def load_form(connection: Connection, survey_id: int) -> SurveyForm:
    from sqlalchemy.orm import Session

    from gaplens.surveys.service import survey_questions

    with Session(bind=connection) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None, "a link's survey exists (foreign key)"
        questions = tuple(survey_questions(session, survey))
        session.expunge(survey)
    return SurveyForm(survey, questions)


@dataclass
class _Pending:
    item: PreparedResponse
    done: concurrent.futures.Future[None]


class AnswerIntake:
    """Per-process caches and the group-commit writer for one database."""

    def __init__(self, database_url: str, max_batch: int = 256) -> None:
        self.database_url = database_url
        self.max_batch = max_batch
        self._forms: dict[int, SurveyForm] = {}
        self._open_links: dict[str, LinkState] = {}
        self._teams: dict[str, int] = {}
        self._teams_loaded = False
        self._missing_teams: dict[str, float] = {}
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self.batches = 0

    # --- reading: cached where safe -------------------------------------------------------

    def cached(self, token: str) -> tuple[LinkState, SurveyForm] | None:
        """The open link and its form without touching the database, if both are cached."""
        link = self._open_links.get(token_hash(token))
        form = self._forms.get(link.survey_id) if link else None
        return (link, form) if link and form else None

    def lookup(self, token: str) -> tuple[LinkState, SurveyForm]:
        """Link (always current from the database) and form; raises LinkNotUsable."""
        if not token or len(token) > 100:
            raise LinkNotUsable(N_("This survey link is not valid."), 404)
        hashed = token_hash(token)
        with get_engine(self.database_url).connect() as connection:
            link = check_link(load_link(connection, hashed))
            form = self._forms.get(link.survey_id)
            if form is None:
                form = load_form(connection, link.survey_id)
            if not self._teams_loaded:
                self._load_teams(connection)
        with self._lock:
            self._forms[link.survey_id] = form
            if link.kind == OPEN:
                if len(self._open_links) >= MAX_CACHED_LINKS:
                    self._open_links.clear()
                self._open_links[hashed] = link
        return link, form

    def cached_team_id(self, key: str) -> int | None:
        return self._teams.get(key)

    def needs_team_refresh(self, key: str | None) -> bool:
        """A team key not in the cache is looked up again (a team may have been imported since),
        but a key just found missing is not, so junk keys cannot make every answer query."""
        if not key or key in self._teams:
            return False
        missed = self._missing_teams.get(key)
        return missed is None or time.monotonic() - missed > MISSING_TEAM_SECONDS

    def refresh_teams(self, key: str | None = None) -> None:
        with get_engine(self.database_url).connect() as connection:
            self._load_teams(connection)
        if key and key not in self._teams:
            if len(self._missing_teams) >= MAX_CACHED_LINKS:
                self._missing_teams.clear()
            self._missing_teams[key] = time.monotonic()

    def _load_teams(self, connection: Connection) -> None:
        self._teams = {key: tid for key, tid in connection.execute(select(Team.key, Team.id))}
        self._teams_loaded = True

    def forget_link(self, hashed: str) -> None:
        self._open_links.pop(hashed, None)

    # --- writing: group commit ------------------------------------------------------------

    def submit(self, item: PreparedResponse) -> concurrent.futures.Future[None]:
        """Queue a response; the future completes once it is committed (or is refused)."""
        self._start_writer()
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._queue.put(_Pending(item, done))
        return done

    def _start_writer(self) -> None:
        if self._writer is not None and self._writer.is_alive():
            return
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_loop, name="gaplens-answer-writer", daemon=True
                )
                self._writer.start()

    def close(self) -> None:
        """Write what is queued, then stop the writer (on server shutdown)."""
        if self._writer is not None and self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout=30)

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Pending]) -> None:
        try:
            outcome = self._commit([p.item for p in batch])
        except Exception as error:
            if len(batch) == 1:
                log.error("storing an answer failed: %s", type(error).__name__)
                batch[0].done.set_exception(error)
                return
            # One bad row must not fail its neighbours: retry each on its own.
            for pending in batch:
                self._write([pending])
            return
        self.batches += 1
        for pending, refused in zip(batch, outcome, strict=True):
            if refused is None:
                pending.done.set_result(None)
            else:
                self.forget_link(pending.item.token_hash)
                pending.done.set_exception(refused)

    def _commit(self, items: list[PreparedResponse]) -> list[LinkNotUsable | None]:
        engine = get_engine(self.database_url)
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                _begin_immediate(connection)
            outcome = store_responses(connection, items)
            connection.commit()
        return outcome


SQLITE_LOCK_WAIT_SECONDS = 5.0
SQLITE_LOCK_POLL_SECONDS = 0.0005


def _begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock before the first read: a deferred transaction that reads and
    then writes fails at once when another process wrote in between.

    Polled every 0.5 ms instead of SQLite's busy handler, whose back-off sleeps up to 100 ms
    while another worker's writer holds the lock for a millisecond or two: that sleep was the
    p99 latency of answers with two workers on one file."""
    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + SQLITE_LOCK_WAIT_SECONDS
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(SQLITE_LOCK_POLL_SECONDS)
    finally:
        connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
