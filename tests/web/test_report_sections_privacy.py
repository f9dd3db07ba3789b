"""Tracker pairs across the whole report export, through HTTP: a page about one population,
then an export whose section is about a population 1 to 4 people apart. Every section reads
its releases, so both publish the same groups, for every viewer and in any order: nothing
is refused and nothing can be subtracted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_people, import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import issue_links, schedule, submit_reflection
from gaplens.releases.service import build_all
from gaplens.surveys.service import import_responses
from gaplens.tasks.service import import_answers, import_catalogue
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.files import TEAMS, person, write_csv
from tests.tasks.builders import ANSWER_HEADER, CATALOGUE, CATALOGUE_HEADER, engineer
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_privacy_attacks import response
from tests.web.test_reflections import train

REPORT = "/api/v1/exports/report"
LAST_MONTH_END = dt.date.today().replace(day=1) - dt.timedelta(days=1)
LAST_MONTH_START = LAST_MONTH_END.replace(day=1)
DAY = LAST_MONTH_START + dt.timedelta(days=9)
EARLIER = DAY - dt.timedelta(days=45)
PAYMENTS = "team:eng-payments"
"""12 people in Payments and 2 in Engineering itself: 'Engineering' is Payments plus two."""


def pulse_rows(first: int, day: dt.date, engineering_itself: int) -> list[dict[str, str]]:
    """7 Payments answers, `engineering_itself` in Engineering's own team, 20 in Support."""
    rows = [response(first + n, "eng-payments", "Engineering", str(day)) for n in range(7)]
    rows += [
        response(first + 7 + n, "eng", "Engineering", str(day)) for n in range(engineering_itself)
    ]
    rows += [response(first + 50 + n, "support", "Support", str(day)) for n in range(20)]
    for n, row in enumerate(rows):
        row["job_security_clarity"] = ("yes", "no", "unsure")[n % 3]
    return rows


def builder(rid: str, team: str) -> list[dict[str, str]]:
    """The builders of tests/tasks/builders.py (answers vary, so groups are not all alike)."""
    rows = engineer(rid, team)
    for row in rows:
        row["answered_on"] = str(DAY)
    return rows


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """Two pulses (the earlier one has 1 answer in Engineering itself, the latest 6), 14
    engineers reflecting after a training last month, and 14 task-map answers from them."""
    people = [person(n) for n in range(12)]
    people += [person(12 + n, team="eng") for n in range(2)]
    people += [person(20 + n, team="support") for n in range(20)]
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_people(session, write_csv(tmp_path / "people.csv", people))
        import_responses(
            session,
            write_csv(tmp_path / "earlier.csv", pulse_rows(0, EARLIER, 1)),
            "Earlier",
            series="Pulse",
        )
        build_all(session, PrivacyPolicy())
        import_responses(
            session,
            write_csv(tmp_path / "latest.csv", pulse_rows(1000, DAY, 6)),
            "Latest",
            series="Pulse",
        )
        build_all(session, PrivacyPolicy())
        import_catalogue(
            session, write_csv(tmp_path / "catalogue.csv", CATALOGUE, CATALOGUE_HEADER)
        )
        answers = [row for n in range(12) for row in builder(f"pay-{n}", "eng-payments")]
        answers += [row for n in range(2) for row in builder(f"eng-{n}", "eng")]
        import_answers(
            session, write_csv(tmp_path / "answers.csv", answers, ANSWER_HEADER), "Task map"
        )
        build_all(session, PrivacyPolicy())
        for who, role in (
            ("admin", StaffRole.ADMIN),
            ("leader", StaffRole.LEADER),
            ("analyst", StaffRole.ANALYST),
        ):
            create_user(session, f"{who}@northwind.example", who.title(), role, PASSWORD)
    train(db_url, tmp_path, [f"person{n}@acme.example" for n in range(14)], DAY)
    with session_scope(db_url) as session:
        schedule(session, DAY, today=DAY)
        links = issue_links(session, DAY, "http://testserver", today=DAY)
        for link in links[:8]:
            answer = ReflectionIn(learned="The summaries save me the routine part of the work")
            submit_reflection(session, link.url.rsplit("/", 1)[1], answer, today=DAY)
        build_all(session, PrivacyPolicy())  # last month's links have expired: released
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        yield client


def export(client: TestClient, scope: str = PAYMENTS) -> dict[str, Any]:
    got = client.get(
        REPORT,
        params={
            "format": "json",
            "scope": scope,
            "from": LAST_MONTH_START.isoformat(),
            "to": LAST_MONTH_END.isoformat(),
        },
    )
    assert got.status_code == 200, got.text
    document: dict[str, Any] = got.json()
    return document


def shown_parts(doc: dict[str, Any]) -> None:
    """What a tracker pair must not take away: the export's other figures stand."""
    assert doc["survey"]["responses"] == 7
    assert doc["perception"]["productivity_impact"]["groups"]["everyone"]["n"] == 7


def test_a_reflections_page_then_an_export_two_invitations_apart(org: TestClient) -> None:
    """Reflections read the release now (this test used to expect the export's section
    withheld for the viewer who had seen Engineering): Engineering's own two invitees are in
    no released group, so the page for Engineering and the export for Payments count the
    same class (12 links, 6 used), for every viewer, in either order."""
    sign_in(org, "leader")
    page = org.get("/api/v1/reflections", params={"months": 1, "function": "Engineering"})
    assert page.status_code == 200 and page.json()["steps"][0]["invited"] == 12
    doc = export(org)
    shown_parts(doc)
    section = doc["reflections"]
    first = section["steps"][0]
    assert (first["status"], first["invited"], first["reflected"]) == ("shown", 12, 6)
    sign_in(org, "analyst")
    assert export(org)["reflections"] == section


def test_a_task_map_page_then_an_export_two_answers_apart(org: TestClient) -> None:
    """Engineering is Payments plus two task answers. The per-viewer gate refused the
    export after the page; both now read the round's release, where the two are in no group
    of their own: the page and the export differ by a whole group of at least 5 or not at
    all, and every viewer gets the same section."""
    sign_in(org, "leader")
    page = org.get("/api/v1/tasks/map", params={"function": "Engineering"})
    assert page.status_code == 200
    doc = export(org)
    shown_parts(doc)
    tasks = doc["tasks"]
    assert tasks["status"] == "shown" and tasks["respondents"] >= 5
    difference = page.json()["n"] - tasks["respondents"]
    assert difference == 0 or difference >= 5
    sign_in(org, "analyst")
    assert export(org)["tasks"] == tasks


def test_an_earlier_pulse_page_and_an_export_publish_the_same_groups(org: TestClient) -> None:
    """In the earlier pulse Engineering is Payments plus one answer. The page for
    Engineering and the export for Payments (its trend point and job-security clarity for
    that pulse) read the same release, where that one answer is in no group yet: both say
    7, for every viewer, so there is nothing to subtract."""
    sign_in(org, "leader")
    page = org.get("/api/v1/perception", params={"survey": "Earlier", "function": "Engineering"})
    assert page.status_code == 200 and page.json()["respondents"] == 7
    doc = export(org)
    shown_parts(doc)
    # Payments has no leaders: no gap to show in either pulse
    assert [p["status"] for p in doc["gap_trend"]["points"]] == ["not_enough_responses"] * 2
    earlier, latest = doc["commitments"]["clarity"]["points"]
    assert earlier["survey"] == "Earlier"
    assert (earlier["everyone"]["status"], earlier["everyone"]["n"]) == ("shown", 7)
    assert latest["everyone"]["status"] == "shown" and latest["everyone"]["n"] == 7
    engineering = export(org, "function:Engineering")["commitments"]["clarity"]["points"][0]
    assert engineering["everyone"] == earlier["everyone"]
    sign_in(org, "analyst")
    assert export(org)["commitments"]["clarity"] == doc["commitments"]["clarity"]


def plant_cycle_times(db_url: str) -> None:
    """Every person gets three resolved items (two months ago, late last month and on its
    last day, so the data reaches it), cycle times varying by person; then the measured
    release of every month end the data reaches."""
    from sqlalchemy import select

    from gaplens.directory.models import Organisation, Person
    from gaplens.imports.models import ImportRun
    from gaplens.releases.measured.service import build_measured_release
    from gaplens.work.models import WorkItem

    with session_scope(db_url) as session:
        run = ImportRun(
            kind="test",
            source_name="planted",
            sha256="0" * 64,
            rows_read=0,
            rows_written=0,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(run)
        session.flush()
        people = session.execute(select(Person.id, Person.team_id).order_by(Person.email)).all()
        for n, (pid, team_id) in enumerate(people):
            for back, extra in ((40, 0.0), (5, 0.5), (0, 0.25)):
                resolved = dt.datetime.combine(
                    LAST_MONTH_END - dt.timedelta(days=back), dt.time(12)
                )
                days = 1.0 + (n % 7) * 0.3 + extra
                session.add(
                    WorkItem(
                        id=f"planted-{n}-{back}",
                        source="test",
                        key=f"P-{n}-{back}",
                        kind="issue",
                        status="Done",
                        status_category="done",
                        person_id=pid,
                        team_id=team_id,
                        created_at=resolved - dt.timedelta(days=days + 1),
                        started_at=resolved - dt.timedelta(days=days),
                        resolved_at=resolved,
                        reopen_count=0,
                        rework_count=0,
                        import_run_id=run.id,
                    )
                )
        session.flush()
        org_id = session.scalar(select(Organisation.id))
        assert org_id is not None
        build_measured_release(session, org_id, PrivacyPolicy())


def test_criteria_and_wins_two_people_apart_show_the_same_released_figures_to_everyone(
    org: TestClient, db_url: str
) -> None:
    """Criteria and wins read the measured release: a criterion on Engineering (Payments
    plus two people of its own) and one and a win on Payments. A leader who has read the
    Engineering criterion and an analyst who has not get identical criteria and wins, in
    the API and in the export; every figure is the release's for its scope, so Engineering's
    and Payments' figures hold the same people or differ by at least k, never by the two.
    (This test used to expect the export's Payments criterion withheld from the leader by
    the per-viewer gate, which colluding viewers defeat.)"""
    from gaplens.metrics.schemas import MetricScope
    from gaplens.releases.measured.queries import measured_release, released_overviews

    plant_cycle_times(db_url)
    sign_in(org, "admin")
    start = (LAST_MONTH_END + dt.timedelta(days=1)).isoformat()  # baseline: last month's end
    ids = {}
    for team in ("eng", "eng-payments"):
        created = org.post(
            "/api/v1/criteria",
            json={
                "phase_name": f"Copilot for {team}",
                "phase_start": start,
                "metric": "cycle_time",
                "team": team,
                "target_kind": "relative",
                "target": -10,
            },
        )
        assert created.status_code == 201, created.text
        ids[team] = created.json()["id"]
    win = {
        "title": "Payments ships faster",
        "source": "Jira export",
        "metric": "cycle_time",
        "team": "eng-payments",
        "after_start": LAST_MONTH_START.isoformat(),
        "after_end": LAST_MONTH_END.isoformat(),
    }
    assert org.post("/api/v1/wins", json=win).status_code == 201
    seen = {}
    for viewer in ("leader", "analyst"):
        sign_in(org, viewer)
        if viewer == "leader":  # the page about Engineering first
            assert org.get(f"/api/v1/criteria/{ids['eng']}").status_code == 200
        doc = export(org)
        seen[viewer] = (
            org.get("/api/v1/criteria").json(),
            org.get("/api/v1/wins").json(),
            doc["criteria"],
            doc["wins"],
        )
    assert seen["leader"] == seen["analyst"]
    listed = {c["id"]: c for c in seen["leader"][0]}
    with session_scope(db_url) as session:
        release = measured_release(session, release_org(session), LAST_MONTH_END)
        assert release is not None and release.answers_through == LAST_MONTH_END
        released = {}
        for team in ("eng", "eng-payments"):
            scope = MetricScope(
                organisation_id=release_org(session), team_id=team_id(session, team)
            )
            [overview] = released_overviews(session, release, scope, ["cycle_time"])
            released[team] = overview.current.model_dump(mode="json")
    for team in ("eng", "eng-payments"):
        assert listed[ids[team]]["baseline"] == released[team]
        assert listed[ids[team]]["baseline_end"] == LAST_MONTH_END.isoformat()
    [logged] = seen["leader"][1]
    assert logged["evidence"]["month_end"] == LAST_MONTH_END.isoformat()
    assert logged["evidence"]["figure"] == released["eng-payments"]
    wide, narrow = released["eng"], released["eng-payments"]
    assert narrow["not_enough_data"] is None  # Payments' twelve form classes of their own
    if wide["not_enough_data"] is None:
        gap = sum(wide["n"].values()) - sum(narrow["n"].values())
        assert gap == 0 or gap >= PrivacyPolicy().min_group_size, gap
    reported = {c["id"]: c for c in seen["leader"][2]["criteria"]}
    assert reported[ids["eng-payments"]]["baseline"] == released["eng-payments"]


def release_org(session: Any) -> int:
    from sqlalchemy import select

    from gaplens.directory.models import Organisation

    found = session.scalar(select(Organisation.id))
    assert found is not None
    return int(found)


def team_id(session: Any, key: str) -> int:
    from sqlalchemy import select

    from gaplens.directory.models import Team

    found = session.scalar(select(Team.id).where(Team.key == key))
    assert found is not None
    return int(found)


def test_one_export_after_another_of_the_same_scope_is_not_refused(org: TestClient) -> None:
    """Repeating a view reveals nothing: the same export twice shows the same sections."""
    sign_in(org, "leader")
    first, second = export(org), export(org)
    for part in ("reflections", "tasks", "commitments"):
        assert first[part] == second[part], part
    assert first["tasks"]["status"] == "shown"
    assert first["reflections"]["steps"][0]["status"] == "shown"


def test_an_export_then_a_page_two_answers_apart_read_the_same_releases(org: TestClient) -> None:
    """The other way round: a page after the export is answered from the same releases."""
    sign_in(org, "leader")
    assert export(org)["tasks"]["status"] == "shown"
    # the task map is on releases: the page after the export is not refused (see above)
    page = org.get("/api/v1/tasks/map", params={"function": "Engineering"})
    assert page.status_code == 200
    # reflections read the release: the same groups whatever the viewer saw before
    reflections = org.get("/api/v1/reflections", params={"months": 1, "function": "Engineering"})
    assert reflections.status_code == 200
    sign_in(org, "analyst")
    assert org.get("/api/v1/tasks/map", params={"function": "Engineering"}).status_code == 200
