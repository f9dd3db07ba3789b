"""The red-team reader: someone holding the database file and its write-ahead log (not the
server's key) replays the commits and tries to pair whoever was invited with what was
answered. Using a link must change no invitation row, write nothing that names or hashes an
invitation, and (on SQLite) store answers in an order that is not the order of arrival."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.service import import_people
from gaplens.reflections.models import ReflectionEntry
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import issue_links, schedule, submit_reflection
from gaplens.spent.service import REFLECTION, SURVEY, TASK, spent_among, spent_tag
from gaplens.surveys.collection import create_invitations, participation, submit_response
from gaplens.surveys.intake import AnswerIntake, LinkNotUsable, prepare_response, token_hash
from gaplens.surveys.models import SurveyResponse
from gaplens.surveys.service import get_or_create_survey
from gaplens.tasks.answers import RawTaskAnswer, Where
from gaplens.tasks.service import Submission, get_or_create_round, round_out, submit_answers
from gaplens.tasks.service import create_invitations as create_task_invitations
from tests.files import person, write_csv
from tests.reflections.builders import TRAINING_DAY, directory, training
from tests.tasks.builders import ROUND, load_teams_and_catalogue

PEOPLE = 30
ANSWERS = {
    "role_level": "individual_contributor",
    "team": "eng-payments",
    "ai_tenure": "6+",
    "productivity_impact": "no difference",
    "decision_involvement": "disagree",
}
ANSWER_TABLES = {
    "survey": {"survey_response", "survey_answer"},
    "reflection": {"reflection_entry"},
    "task": {"task_response", "task_answer"},
}


def sqlite_only(url: str) -> Path:
    if not url.startswith("sqlite"):
        pytest.skip("reads SQLite's file and WAL; PostgreSQL's residual is in docs/privacy.md")
    return Path(url.removeprefix("sqlite:///"))


def stolen_copy(database: Path, into: Path) -> sqlite3.Connection:
    """What the reader holds: a copy of the file and its WAL, opened without gaplens."""
    into.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        source = database.with_name(database.name + suffix)
        if source.exists():
            shutil.copyfile(source, into / f"copy.db{suffix}")
    return sqlite3.connect(into / "copy.db")


def snapshot(connection: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows in stored order (no ORDER BY: the order the file keeps)."""
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: connection.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}


def derivable(token_hashes: list[str], kind: str) -> set[str]:
    """What a reader could compute from an invitation row without the key."""
    out: set[str] = set()
    for h in token_hashes:
        for message in (h, f"{kind}:{h}", f"{kind}{h}"):
            out.add(message)
            out.add(hashlib.sha256(message.encode()).hexdigest())
            out.add(hmac.new(b"", message.encode(), hashlib.sha256).hexdigest())
        out.add(hashlib.sha256(bytes.fromhex(h)).hexdigest())
    return out


def replay(
    url: str,
    kind: str,
    tmp_path: Path,
    submissions: list[Callable[[], None]],
    invited: dict[str, str],
) -> dict[str, list[tuple[object, ...]]]:
    """Submit one at a time, diffing every table and the WAL's new frames around each
    commit; returns the rows each answer table gained, in the order they arrived."""
    database = sqlite_only(url)
    wal = database.with_name(database.name + "-wal")
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # later frames are all new
    arrived: dict[str, list[tuple[object, ...]]] = {t: [] for t in ANSWER_TABLES[kind]}
    arrived["spent_link"] = []
    for n, submit in enumerate(submissions):
        before = snapshot(stolen_copy(database, tmp_path / f"{n}-before"))
        wal_before = wal.read_bytes() if wal.exists() else b""
        submit()
        after = snapshot(stolen_copy(database, tmp_path / f"{n}-after"))
        frames = wal.read_bytes()[len(wal_before) :]
        assert frames, "the commit is in the WAL"
        changed = {t for t in after if after[t] != before[t]}
        assert changed == ANSWER_TABLES[kind] | {"spent_link"}, changed
        for table in changed:
            added = [row for row in after[table] if row not in before[table]]
            assert len(after[table]) == len(before[table]) + len(added), f"{table}: only inserts"
            arrived[table].extend(added)
        for hashed, person_id in invited.items():
            assert hashed.encode() not in frames, "no invitation's token hash is written"
            assert person_id.encode() not in frames, "no invited person's id is written"
    return arrived


def assert_unlinkable(
    url: str, kind: str, arrived: dict[str, list[tuple[object, ...]]], used: list[str]
) -> None:
    tags = [row[0] for row in arrived["spent_link"]]
    assert len(tags) == len(used) == len(set(tags))
    hashes_known_to_the_reader = list(_invitation_hashes(url, kind))
    assert not set(tags) & derivable(hashes_known_to_the_reader, kind)
    # The server, holding the key, recognises exactly the used invitations.
    assert tags == [spent_tag(kind, h) for h in used]  # type: ignore[arg-type]
    with session_scope(url) as session:
        assert spent_among(session, kind, hashes_known_to_the_reader) == set(used)  # type: ignore[arg-type]
    # Stored order is key order (WITHOUT ROWID), not the order links were used or answers
    # arrived: 1 in 30! that 30 random ids come out in arrival order.
    final = snapshot(stolen_copy(sqlite_only(url), Path(str(sqlite_only(url)) + "-final")))
    for table, rows in arrived.items():
        firsts = list(dict.fromkeys(row[0] for row in rows))
        stored = list(dict.fromkeys(row[0] for row in final[table]))
        assert sorted(stored) == stored == sorted(firsts), f"{table} is kept in key order"
        assert stored != firsts, f"{table} is stored in arrival order"
    with sqlite3.connect(sqlite_only(url)) as connection:
        for table in arrived:
            (sql,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()
            assert "WITHOUT ROWID" in sql, table


def _invitation_hashes(url: str, kind: str) -> list[str]:
    table = {"survey": "survey_link", "reflection": "reflection_invitation", "task": "task_link"}
    with sqlite3.connect(sqlite_only(url)) as connection:
        return [
            h
            for (h,) in connection.execute(f"SELECT token_hash FROM {table[kind]}")
            if h is not None
        ]


# --- surveys -------------------------------------------------------------------------------


def survey_invitations(url: str, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    directory(url, tmp_path, engineers=PEOPLE, support=5)
    with session_scope(url) as session:
        survey, _ = get_or_create_survey(session, "Pulse")
        people = list(session.scalars(select(Person).order_by(Person.email)))
        tokens = [t for _, t in create_invitations(session, survey, people)]
        ids = {p.email: p.id for p in people}
    links = {token_hash(t): ids[p.email] for t, p in zip(tokens, people, strict=True)}
    return tokens, links


def test_a_used_survey_invitation_cannot_be_paired_with_its_answers(db_url: str, tmp_path: Path):
    sqlite_only(db_url)
    tokens, invited = survey_invitations(db_url, tmp_path)

    def answer(token: str) -> Callable[[], None]:
        def submit() -> None:
            with session_scope(db_url) as session:
                submit_response(session, token, ANSWERS, today=dt.date(2026, 11, 23))

        return submit

    arrived = replay(db_url, SURVEY, tmp_path, [answer(t) for t in tokens[:PEOPLE]], invited)
    assert_unlinkable(db_url, SURVEY, arrived, [token_hash(t) for t in tokens[:PEOPLE]])
    with pytest.raises(LinkNotUsable) as again, session_scope(db_url) as session:
        submit_response(session, tokens[0], ANSWERS)
    assert again.value.status == 410 and "already been used" in str(again.value)
    with session_scope(db_url) as session:
        survey, _ = get_or_create_survey(session, "Pulse")
        assert participation(session, survey) == (PEOPLE + 5, PEOPLE)


# --- reflections ---------------------------------------------------------------------------


def test_a_used_reflection_link_cannot_be_paired_with_its_entry(db_url: str, tmp_path: Path):
    sqlite_only(db_url)
    directory(db_url, tmp_path)
    training(db_url, tmp_path, range(PEOPLE))
    with session_scope(db_url) as session:
        schedule(session, TRAINING_DAY, today=TRAINING_DAY)
        links = issue_links(session, TRAINING_DAY, "http://x.example", today=TRAINING_DAY)
        people = {p.email: p.id for p in session.scalars(select(Person))}
    tokens = [link.url.rsplit("/", 1)[1] for link in links]
    invited = {token_hash(t): people[link.email] for t, link in zip(tokens, links, strict=True)}

    def answer(n: int, token: str) -> Callable[[], None]:
        def submit() -> None:
            with session_scope(db_url) as session:
                submit_reflection(
                    session, token, ReflectionIn(learned=f"lesson {n:02d}"), TRAINING_DAY
                )

        return submit

    arrived = replay(
        db_url, REFLECTION, tmp_path, [answer(n, t) for n, t in enumerate(tokens)], invited
    )
    assert_unlinkable(db_url, REFLECTION, arrived, [token_hash(t) for t in tokens])
    with session_scope(db_url) as session:  # used invitations are not issued a new link
        again = issue_links(
            session, TRAINING_DAY, "http://x.example", reissue=True, today=TRAINING_DAY
        )
    assert again == []


# --- task map ------------------------------------------------------------------------------


def test_a_used_task_invitation_cannot_be_paired_with_its_answers(db_url: str, tmp_path: Path):
    sqlite_only(db_url)
    load_teams_and_catalogue(db_url, tmp_path)
    rows = [person(n, team="support-emea") for n in range(PEOPLE)]
    with session_scope(db_url) as session:
        import_people(session, write_csv(tmp_path / "people.csv", rows))
        round_, _ = get_or_create_round(session, ROUND)
        people = list(session.scalars(select(Person).order_by(Person.email)))
        tokens = [t for _, t in create_task_invitations(session, round_, people)]
        invited = {token_hash(t): p.id for t, p in zip(tokens, people, strict=True)}
    here = Where(None, "tasks")
    answers = [
        RawTaskAnswer("triage", None, "hate", "2", "1", here, here, here, here),
        RawTaskAnswer("calls", None, "neither", "0", "3", here, here, here, here),
    ]
    submission = Submission("individual_contributor", "Support", "", answers)

    def answer(token: str) -> Callable[[], None]:
        def submit() -> None:
            with session_scope(db_url) as session:
                submit_answers(session, token, submission)

        return submit

    arrived = replay(db_url, TASK, tmp_path, [answer(t) for t in tokens], invited)
    assert_unlinkable(db_url, TASK, arrived, [token_hash(t) for t in tokens])
    with session_scope(db_url) as session:
        out = round_out(session, round_)
    assert (out.invitations_sent, out.invitations_used) == (PEOPLE, PEOPLE)
    with pytest.raises(LinkNotUsable) as again, session_scope(db_url) as session:
        submit_answers(session, tokens[3], submission)
    assert again.value.status == 410


# --- single use under concurrency (both backends) ------------------------------------------


def test_two_workers_sending_one_invitation_at_once_store_one_response(db_url: str, tmp_path: Path):
    """Two intakes (as two server processes) with their own writers and connections: the
    spent tag's primary key lets exactly one commit the response; the other is told 410."""
    tokens, _ = survey_invitations(db_url, tmp_path)
    workers = [AnswerIntake(db_url), AnswerIntake(db_url)]
    prepared = []
    for intake in workers:
        link, form = intake.lookup(tokens[0])
        prepared.append(
            prepare_response(form, link, ANSWERS, intake.cached_team_id, dt.date.today())
        )
    start = threading.Barrier(2)

    def send(n: int) -> BaseException | None:
        start.wait()
        return workers[n].submit(prepared[n]).exception(timeout=30)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(send, range(2)))
    for intake in workers:
        intake.close()
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], LinkNotUsable) and refused[0].status == 410
    with session_scope(db_url) as session:
        survey, _ = get_or_create_survey(session, "Pulse")
        assert participation(session, survey) == (PEOPLE + 5, 1)
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_one_reflection_link_submitted_twice_at_once_stores_one_entry(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    training(db_url, tmp_path, range(3))
    with session_scope(db_url) as session:
        schedule(session, TRAINING_DAY, today=TRAINING_DAY)
        links = issue_links(session, TRAINING_DAY, "http://x.example", today=TRAINING_DAY)
    token = links[0].url.rsplit("/", 1)[1]
    start = threading.Barrier(2)

    def send(_: int) -> BaseException | None:
        start.wait()
        try:
            with session_scope(db_url) as session:
                submit_reflection(session, token, ReflectionIn(learned="same"), TRAINING_DAY)
        except Exception as error:
            return error
        return None

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(send, range(2)))
    refused = [o for o in outcomes if o is not None]
    assert len(refused) == 1, outcomes
    if db_url.startswith("postgresql"):
        # The second insert waits for the first transaction, then inserts nothing.
        assert isinstance(refused[0], LinkNotUsable) and refused[0].status == 410
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(ReflectionEntry)) == 1
        assert spent_among(session, REFLECTION, [token_hash(token)]) == {token_hash(token)}
