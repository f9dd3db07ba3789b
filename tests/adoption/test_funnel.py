"""The adoption funnel against a small organisation built by hand, through the real imports."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy import select

from gaplens.adoption.service import (
    MERGED,
    PersonFacts,
    adoption_funnel,
    load_facts,
    stages_reached,
)
from gaplens.db.engine import session_scope
from gaplens.directory.models import Organisation, Person
from gaplens.imports.models import ImportRun
from gaplens.metrics.schemas import MetricScope
from gaplens.metrics.service import load_measured
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.service import build_adoption_releases
from gaplens.telemetry.models import TrainingRecord
from gaplens.work.models import WorkItem
from tests.files import TEAMS, person, write_csv
from tests.telemetry.helpers import invoke
from tests.telemetry.payloads import m365_user, user_day, write_m365_csv, write_ndjson

AS_OF = dt.date(2026, 10, 31)


def staff(n: int, team: str, licence: str = "2026-01-01", adopted: str = "") -> dict[str, str]:
    return {**person(n, team=team), "ai_licence_date": licence, "ai_adoption_date": adopted}


def copilot(
    login: str, day: str, generations: int, acceptances: int, loc_added: int = 0
) -> dict[str, object]:
    row = user_day(login, day)
    row.update(
        code_generation_activity_count=generations,
        code_acceptance_activity_count=acceptances,
        loc_added_sum=loc_added,
    )
    return row


def build(url: str, tmp_path: Path) -> None:
    people = [
        *(staff(n, "eng-payments") for n in range(6)),
        staff(6, "eng-payments", licence=""),  # never licensed, though active
        staff(7, "eng-payments", licence="2026-11-15"),  # licensed after the date
        staff(20, "eng", adopted="2026-06-01"),
        *(staff(n, "eng") for n in range(21, 25)),
        staff(30, "support"),
        staff(31, "support"),
    ]
    assert (
        invoke("import", "teams", str(write_csv(tmp_path / "teams.csv", TEAMS)), "--db", url)[0]
        == 0
    )
    code, output = invoke(
        "import", "people", str(write_csv(tmp_path / "people.csv", people)), "--db", url
    )
    assert code == 0, output
    three_weeks = ["2026-10-12", "2026-10-20", "2026-10-30"]
    usage = [
        copilot("gh-person1", "2026-08-01", 5, 5, 10),
        copilot("gh-person2", "2026-10-30", 5, 5, 10),
        *(copilot("gh-person3", day, 10, 0) for day in three_weeks),
        *(copilot("gh-person4", day, 2, 1) for day in three_weeks),
        copilot("gh-person6", "2026-10-30", 5, 5, 10),
        copilot("gh-person7", "2026-10-30", 5, 5, 10),
        copilot("gh-person20", "2026-06-01", 10, 0),
        *(copilot("gh-person20", day, 10, 0) for day in three_weeks),
        copilot("gh-person30", "2026-10-30", 1, 0),
    ]
    export = write_ndjson(tmp_path / "copilot.ndjson", usage)
    assert invoke("import", "copilot-usage", str(export), "--db", url)[0] == 0
    for refresh, app, day in [
        ("2026-10-14", "teams", "2026-10-12"),
        ("2026-10-21", "word", "2026-10-20"),
        ("2026-10-31", "teams", "2026-10-30"),
    ]:
        apps = {"teams": "2026-10-12" if refresh != "2026-10-31" else "2026-10-30", app: day}
        m365 = write_m365_csv(
            tmp_path / f"m365-{refresh}.csv",
            [m365_user("person5@acme.example", refresh, day, apps)],
        )
        assert invoke("import", "m365-copilot", str(m365), "--db", url)[0] == 0
    with session_scope(url) as session:
        ids = {p.email: p.id for p in session.scalars(select(Person))}
        run = ImportRun(
            kind="test",
            source_name="hand",
            sha256="0" * 64,
            rows_read=0,
            rows_written=0,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(run)
        session.flush()
        resolved = ["2026-04-01", "2026-05-01", "2026-06-10", "2026-07-10", "2026-08-10"]
        for i, day in enumerate(resolved):
            at = dt.datetime.fromisoformat(day + "T12:00:00")
            session.add(
                WorkItem(
                    id=str(uuid.uuid4()),
                    source="jira",
                    key=f"PAY-{i}",
                    kind="issue",
                    status="Done",
                    person_id=ids["person20@acme.example"],
                    created_at=at - dt.timedelta(days=5),
                    started_at=at - dt.timedelta(days=2),
                    resolved_at=at,
                    import_run_id=run.id,
                )
            )
        for n, kind, on in [
            (0, "training", "2026-09-01"),
            (4, "training", "2026-09-01"),
            (3, "certification", "2026-09-01"),
            (21, "training", "2026-12-01"),
        ]:
            session.add(
                TrainingRecord(
                    id=str(uuid.uuid4()),
                    person_id=ids[f"person{n}@acme.example"],
                    kind=kind,
                    name="Copilot 101",
                    completed_on=dt.date.fromisoformat(on),
                    import_run_id=run.id,
                )
            )


def release(url: str) -> None:
    """Release the month ends up to AS_OF, as `gaplens release build` would in November."""
    with session_scope(url) as session:
        build_adoption_releases(session, PrivacyPolicy(), today=AS_OF + dt.timedelta(days=2))


def counts_of(group) -> dict[str, int]:
    return {figure.stage: figure.n for figure in group.stages}


def test_funnel_counts_headline_and_merged_teams(db_url: str, tmp_path: Path):
    """The October release: payments (6) and eng's own people (5) are classes; support's two
    cannot be shown in any group that keeps the others whole, so they are withheld, and the
    organisation is the sum of the classes (11 of them)."""
    build(db_url, tmp_path)
    release(db_url)
    with session_scope(db_url) as session:
        funnel = adoption_funnel(session, AS_OF)
        assert adoption_funnel(session, AS_OF + dt.timedelta(days=20)) == funnel.model_copy(
            update={"requested": AS_OF + dt.timedelta(days=20)}
        )
    assert funnel.as_of == AS_OF
    org = funnel.organisation
    assert org.shown and org.licensed == 11
    assert counts_of(org) == {
        "licensed": 11,
        "activated": 6,
        "active_28d": 5,
        "sustained": 4,
        "integrated": 3,
    }
    assert (
        funnel.headline
        == "Dashboard says 45% adoption (active in the last 28 days / licensed), integration is 27%."
    )
    stages = {figure.stage: figure for figure in org.stages}
    share = stages["integrated"].share_of_licensed
    assert share is not None and share.low < 3 / 11 < share.high
    assert (
        stages["integrated"].share_of_previous is not None
        and stages["integrated"].share_of_previous.value == 3 / 4
    )
    teams = {group.key: group for group in funnel.teams}
    payments = teams["eng-payments"]
    assert payments.shown and payments.licensed == 6
    assert counts_of(payments) == {
        "licensed": 6,
        "activated": 5,
        "active_28d": 4,
        "sustained": 3,
        "integrated": 2,
    }
    # trained (persons 0 and 4) and certified (person 3) differ within payments: shown there,
    # on the licensed stage only; eng's own five are all untrained, so the organisation's
    # trained count is not shown (it would tell theirs)
    assert (payments.stages[0].trained, payments.stages[0].certified) == (2, 1)
    assert all(s.trained is None for s in payments.stages[1:])
    assert stages["licensed"].trained is None
    assert teams["eng"].shown and teams["eng"].licensed == 11  # its own five and payments
    assert not teams["support"].shown
    assert teams["support"].suppression_reason == MERGED
    assert teams["support"].stages == [] and teams["support"].licensed is None


def test_the_reports_loaded_rows_give_the_same_facts(db_url: str, tmp_path: Path):
    """The release builder's facts from already loaded work items and usage days are those
    the funnel's own queries give."""
    build(db_url, tmp_path)
    with session_scope(db_url) as session:
        organisation = session.scalars(select(Organisation.id)).one()
        measured = load_measured(session, MetricScope(organisation_id=organisation), AS_OF)
        # every usage day lies within the loaded rows, so they stand in for the queries
        assert measured.usage.coverage_start is not None
        assert measured.usage.coverage_start >= measured.since
        facts = {f.person_id: f for f in load_facts(session, AS_OF)}
        lent = {f.person_id: f for f in load_facts(session, AS_OF, measured)}
    assert lent == facts and len(facts) == 13
    assert sum(f.first_active is not None for f in facts.values()) == 7
    assert sum("integrated" in stages_reached(f, AS_OF) for f in facts.values()) == 3


def test_rows_loaded_once_give_each_earlier_month_ends_facts(db_url: str, tmp_path: Path):
    """The adoption release loads usage and work once for all its month ends and reads each
    as of its end (`MeasuredData.at`): the facts are those the queries give at that end."""
    build(db_url, tmp_path)
    ends = [AS_OF - dt.timedelta(days=days) for days in (61, 30, 0)]
    with session_scope(db_url) as session:
        organisation = session.scalars(select(Organisation.id)).one()
        loaded = load_measured(
            session, MetricScope(organisation_id=organisation), AS_OF, earliest=ends[0]
        )
        # every usage day lies within the loaded rows, so they can stand in for the queries
        assert loaded.usage.coverage_start is not None
        assert loaded.usage.coverage_start >= loaded.since
        for end in ends:
            view = loaded if end == AS_OF else loaded.at(end)
            assert view.settings.as_of == end and view.loaded("work")
            queried = {f.person_id: f for f in load_facts(session, end)}
            lent = {f.person_id: f for f in load_facts(session, end, view)}
            assert lent == queried, end


def test_a_small_organisation_shows_nothing(db_url: str, tmp_path: Path):
    people = [staff(n, "eng-payments") for n in range(3)]
    assert (
        invoke("import", "teams", str(write_csv(tmp_path / "teams.csv", TEAMS)), "--db", db_url)[0]
        == 0
    )
    assert (
        invoke("import", "people", str(write_csv(tmp_path / "people.csv", people)), "--db", db_url)[
            0
        ]
        == 0
    )
    export = write_ndjson(tmp_path / "copilot.ndjson", [copilot("gh-person1", "2026-10-30", 5, 5)])
    assert invoke("import", "copilot-usage", str(export), "--db", db_url)[0] == 0
    release(db_url)
    with session_scope(db_url) as session:
        funnel = adoption_funnel(session, AS_OF)
    assert funnel.as_of == AS_OF  # released, with no class
    assert not funnel.organisation.shown and funnel.organisation.stages == []
    assert all(not group.shown for group in funnel.teams)
    assert (
        funnel.headline == "No group of at least 5 licensed people could be shown for October 2026."
    )


def test_workflow_needs_ninety_days_after_adoption():
    days = {AS_OF - dt.timedelta(days=d) for d in (1, 8, 15)}
    at = dt.datetime(2026, 9, 1, 12)
    facts = PersonFacts(
        "p",
        1,
        adoption_date=dt.date(2026, 9, 1),
        first_active=dt.date(2026, 9, 1),
        active_days=days,
        copilot_rows=3,
        generations=10,
    )
    facts.resolved = [
        (at - dt.timedelta(days=10), None),
        (at + dt.timedelta(days=10), None),
        (at + dt.timedelta(days=20), None),
    ]
    assert stages_reached(facts, AS_OF)[-1] == "sustained"
    later = PersonFacts(
        "p",
        1,
        adoption_date=dt.date(2026, 7, 1),
        first_active=dt.date(2026, 7, 1),
        active_days=days,
        copilot_rows=3,
        generations=10,
    )
    started = dt.datetime(2026, 7, 1, 12)
    later.resolved = [
        (started - dt.timedelta(days=30), started - dt.timedelta(days=40)),
        (started + dt.timedelta(days=30), started + dt.timedelta(days=29)),
    ]
    assert (
        stages_reached(later, AS_OF)[-1] == "integrated"
    )  # same throughput, cycle 10 days -> 1 day


def reference_workflow_moved(facts: PersonFacts, as_of: dt.date) -> bool:
    """The rule as docs/metrics.md states it, person by person with datetimes."""
    import statistics

    adopted = facts.adoption_date or facts.first_active
    if adopted is None or adopted + dt.timedelta(days=90) > as_of:
        return False
    span = dt.timedelta(days=90)
    before = [(r, s) for r, s in facts.resolved if adopted - span <= r.date() < adopted]
    after = [(r, s) for r, s in facts.resolved if adopted <= r.date() < adopted + span]
    if before and len(after) >= 1.1 * len(before):
        return True

    def hours(items):
        return [(r - s).total_seconds() / 3600 for r, s in items if s is not None and r >= s]

    b, a = hours(before), hours(after)
    if not b or not a:
        return False
    return statistics.median(b) > 0 and statistics.median(a) <= 0.9 * statistics.median(b)


def test_the_vectorised_workflow_rule_matches_the_rule_person_by_person():
    import numpy as np

    from gaplens.adoption.service import workflow_moved, workflow_moved_all
    from gaplens.metrics.queries import day_number

    rng = np.random.default_rng(4)
    people = []
    for i in range(400):
        adopted = dt.date(2026, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
        facts = PersonFacts(f"p{i}", 1, adoption_date=adopted if i % 7 else None)
        facts.first_active = adopted if i % 5 else None
        for _ in range(int(rng.integers(0, 12))):
            resolved = dt.datetime(2025, 10, 1) + dt.timedelta(minutes=int(rng.integers(0, 6e5)))
            started = resolved - dt.timedelta(minutes=int(rng.integers(-600, 20000)))
            facts.resolved.append((resolved, None if rng.random() < 0.2 else started))
        people.append(facts)
    expected = [reference_workflow_moved(p, AS_OF) for p in people]
    assert 20 < sum(expected) < 380  # both outcomes are exercised
    assert [workflow_moved(p, AS_OF) for p in people] == expected
    person = np.array([i for i, p in enumerate(people) for _ in p.resolved], dtype=np.int64)
    epoch = dt.datetime(1970, 1, 1)
    resolved = np.array(
        [(r - epoch).total_seconds() / 86400 for p in people for r, _ in p.resolved]
    )
    started = np.array(
        [
            np.nan if s is None else (s - epoch).total_seconds() / 86400
            for p in people
            for _, s in p.resolved
        ]
    )
    adopted = np.array(
        [
            np.nan if (d := p.adoption_date or p.first_active) is None else float(day_number(d))
            for p in people
        ]
    )
    together = workflow_moved_all(person, resolved, started, adopted, AS_OF)
    assert together.tolist() == expected
