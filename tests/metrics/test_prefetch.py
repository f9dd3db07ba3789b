"""Work rows loaded by a child process give exactly the figures and the measured release
that an in-process load gives; the child is used only when it is safe, and a failing child
means an in-process load, never a hang or a different release."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.orm import Session

from gaplens.db.engine import session_scope
from gaplens.demo.exports import write_exports
from gaplens.demo.generator import generate_organisation, write_demo_files
from gaplens.demo.pipeline import import_exports
from gaplens.directory.models import Organisation, Person
from gaplens.directory.service import import_people, import_teams
from gaplens.metrics import MetricScope
from gaplens.metrics.prefetch import in_process_only, start_work_prefetch
from gaplens.metrics.queries import WorkRows, load_work, scope_filter
from gaplens.metrics.service import Settings, load_measured
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.measured.models import MeasuredFigure, MeasuredLineage
from gaplens.releases.measured.service import build_measured_release
from gaplens.releases.models import Release
from gaplens.releases.service import build_all
from gaplens.surveys.service import import_responses
from gaplens.work.models import WorkItem
from tests.metrics.builders import OrgBuilder, at
from tests.metrics.test_measured_data import AS_OF, build, scopes

CHILD = "gaplens.metrics.prefetch"
NEVER = 10**12


@pytest.fixture(autouse=True)
def single_threaded() -> None:
    """The child is only forked from a process with no other threads (forking with another
    thread holding a lock can hang the child). A test that ran just before in this worker
    may leave threads that end on their own (AnyIO's idle workers stop after 10 s, a server
    thread after its shutdown): wait for them, and name any that stay."""
    deadline = time.monotonic() + 30
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    assert not others, f"threads left running by an earlier test: {others}"


def from_child(caplog: pytest.LogCaptureFixture) -> int:
    """How many loads the child served, from its log line."""
    return sum("from child" in r.getMessage() for r in caplog.records if r.name == CHILD)


def test_the_childs_rows_give_every_figure_of_an_in_process_load(db_url: str):
    """On SQLite the child loads 3/4 of the persons' items and this process the rest."""
    org_id = build(db_url)
    settings = Settings(AS_OF)
    with session_scope(db_url) as session:
        here = load_measured(session, MetricScope(organisation_id=org_id), AS_OF)
        prefetch = start_work_prefetch(
            session,
            MetricScope(organisation_id=org_id),
            settings,
            min_items=1,
        )
        assert prefetch is not None
        with prefetch:
            there = load_measured(
                session, MetricScope(organisation_id=org_id), AS_OF, prefetch=prefetch
            )
            for scope in scopes(db_url, org_id):
                assert there.overviews(scope) == here.overviews(scope)
        assert prefetch.used_child
    assert here.work.created.size > 1000
    assert prefetch.share == (0.75 if db_url.startswith("sqlite") else 1.0)
    for field in dataclasses.fields(WorkRows):
        value, expected = getattr(there.work, field.name), getattr(here.work, field.name)
        if isinstance(expected, np.ndarray):
            assert value.tobytes() == expected.tobytes(), field.name
        else:
            assert value == expected
    assert len(here.work.sprint_names) > 10


def test_loads_of_consecutive_person_ranges_join_into_one_load(db_url: str):
    """What the split relies on (SQLite): the rows of persons [0, k) then [k, n) are the
    rows of one load, in its order, with the same sprint codes."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's child loads every person's rows")
    org_id = build(db_url)
    people = scope_filter(org_id, None, None)
    since, until = dt.date(2024, 1, 1), dt.date(2026, 1, 1)
    with session_scope(db_url) as session:
        whole = load_work(session, people, since, until)
        n = len(session.scalars(select(Person.id).where(Person.organisation_id == org_id)).all())
        for k in (0, 1, n // 3, n - 1, n):
            parts = [load_work(session, people, since, until, r) for r in ((0, k), (k, n))]
            joined = WorkRows.concat(parts)
            for field in dataclasses.fields(WorkRows):
                value, expected = getattr(joined, field.name), getattr(whole, field.name)
                if isinstance(expected, np.ndarray):
                    assert value.tobytes() == expected.tobytes(), (k, field.name)
                else:
                    assert value == expected


def load_demo(url: str, out: Path) -> None:
    """A small demo organisation with every tool export, through the real importers."""
    organisation = generate_organisation(people=150, seed=3)
    files = write_demo_files(organisation, out)
    with session_scope(url) as session:
        import_teams(session, files.teams, "Northwind Logistics")
        import_people(session, files.people)
        import_responses(session, files.responses, files.survey_name)
        build_all(session, PrivacyPolicy())
        import_exports(session, write_exports(organisation, out, 3))


def test_the_measured_release_is_the_same_whether_a_child_loads_the_work_items(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    load_demo(db_url, tmp_path)
    caplog.set_level(logging.DEBUG, logger=CHILD)
    published = []
    for min_items in (1, NEVER):
        with session_scope(db_url) as session:
            session.execute(delete(MeasuredLineage))
            session.execute(delete(Release).where(Release.dataset.like("metrics:%")))
        with session_scope(db_url) as session:
            organisation = session.scalars(select(Organisation.id)).one()
            outcome = build_measured_release(
                session,
                organisation,
                PrivacyPolicy(),
                today=dt.date(2026, 12, 1),
                prefetch_min_items=min_items,
            )
            assert outcome.release is not None
            published.append(
                sorted(
                    (row.team_id or 0, row.function or "", row.metric, json.dumps(row.overview))
                    for row in session.scalars(select(MeasuredFigure))
                )
            )
        assert from_child(caplog) == 1  # the first build's, and only that one
    assert published[0] == published[1] and published[0]
    overviews = [json.loads(o) for *_, o in published[0]]
    assert any(o["current"]["value"] is not None for o in overviews)


def test_a_failing_child_means_an_in_process_load(db_url: str, caplog: pytest.LogCaptureFixture):
    org_id = build(db_url)
    settings = Settings(AS_OF)
    missing = MetricScope(organisation_id=org_id, team_id=999_999)  # the child's load raises
    with session_scope(db_url) as session:
        prefetch = start_work_prefetch(session, missing, settings, min_items=1)
        assert prefetch is not None
        with prefetch:
            taken = prefetch.take(missing, settings, dt.date(2025, 1, 1), AS_OF, None)
    assert taken is None and not prefetch.used_child
    assert "team 999999 is not in organisation" in caplog.text


def test_rows_for_another_span_are_not_used(db_url: str, caplog: pytest.LogCaptureFixture):
    org_id = build(db_url)
    scope, settings = MetricScope(organisation_id=org_id), Settings(AS_OF)
    with session_scope(db_url) as session:
        prefetch = start_work_prefetch(session, scope, settings, min_items=1)
        assert prefetch is not None
        with prefetch:
            taken = prefetch.take(scope, settings, dt.date(2000, 1, 1), AS_OF, None)
    assert taken is None
    assert "another span" in caplog.text


def test_no_child_for_a_small_table_or_a_transaction_with_writes(db_url: str):
    build(db_url)
    with session_scope(db_url) as session:
        assert in_process_only(session, min_items=1) is None
        assert in_process_only(session, min_items=NEVER) == f"fewer than {NEVER} work items"
    with session_scope(db_url) as session:
        person = session.scalars(select(Person).limit(1)).one()
        person.function = "sales"
        assert in_process_only(session, 1) == "the session has unflushed changes"
        session.flush()
        assert in_process_only(session, 1) == "the transaction has uncommitted writes"
        session.rollback()
    with session_scope(db_url) as session:  # a Core statement, which no flush event sees
        item = session.scalars(select(WorkItem.id).limit(1)).one()
        session.execute(update(WorkItem).where(WorkItem.id == item).values(sprint="S1"))
        assert in_process_only(session, 1) == "the transaction has uncommitted writes"
        session.rollback()


def test_no_child_from_a_process_with_other_threads(db_url: str):
    """Forking could leave another thread's lock held in the child (the web app)."""
    build(db_url)
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        with session_scope(db_url) as session:
            assert in_process_only(session, 1) == "this process has other threads"
    finally:
        release.set()
        worker.join()
    with session_scope(db_url) as session:
        assert in_process_only(session, 1) is None


def test_no_child_for_an_in_memory_database():
    with Session(create_engine("sqlite://")) as session:
        assert in_process_only(session, 0) == "in-memory SQLite database"


def test_the_child_reads_the_parents_snapshot_on_postgresql(db_url: str):
    """Items committed after the report's transaction took its snapshot are not in the
    child's rows, though the child starts after the commit: both read one snapshot."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no exported snapshots")
    org_id = build(db_url)
    scope, settings = MetricScope(organisation_id=org_id), Settings(AS_OF)
    with session_scope(db_url) as session:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        before = load_measured(session, scope, AS_OF).work.created.size
        with session_scope(db_url) as other:
            org = OrgBuilder(other, name="Later")
            person = other.scalars(select(Person).where(Person.organisation_id == org_id)).first()
            assert person is not None
            for day in range(30):
                org.item(person, at(dt.date(2025, 6, 1) + dt.timedelta(days=day)))
        prefetch = start_work_prefetch(session, scope, settings, min_items=1)
        assert prefetch is not None
        with prefetch:
            there = load_measured(session, scope, AS_OF, prefetch=prefetch)
            assert there.work.created.size == before
        assert prefetch.used_child
    with session_scope(db_url) as session:
        assert load_measured(session, scope, AS_OF).work.created.size == before + 30
