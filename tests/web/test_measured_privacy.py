"""Adversarial checks on the measured views through the API and the pages: the adoption
funnel and the scorecard read releases (metric figures too, see
tests/releases/test_measured_release.py). Two overlapping views whose people or entries
differ by fewer than 5 would describe those few: on releases both answer, the same for every
viewer, and differ by whole published groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.service import import_people, import_teams
from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import submit_feedback
from gaplens.friction.service import released_months
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.service import build_adoption_releases
from gaplens.releases.feedback.audit import feedback_findings
from gaplens.releases.friction.audit import friction_findings
from gaplens.releases.service import build_all
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.files import TEAMS, person, write_csv
from tests.friction.conftest import plant
from tests.releases.adoption_world import import_run, use
from tests.web.conftest import PASSWORD, sign_in

AS_OF = "2025-05-31"


@pytest.fixture
def org(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """7 people in Payments and 1 more in Engineering itself; 20 in Support, 2 of whom got
    their licence in June."""
    people = [person(n) for n in range(7)]
    people.append(person(7, team="eng"))
    people += [person(100 + n, team="support") for n in range(20)]
    for row in people[8:10]:
        row.update(ai_licence_date="2025-06-02", ai_adoption_date="")
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_people(session, write_csv(tmp_path / "people.csv", people))
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
        create_user(session, "analyst@northwind.example", "Analyst", StaffRole.ANALYST, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        yield client


def release_funnel(db_url: str) -> None:
    """Usage for half of everyone in May and June, then the build of early July."""
    with session_scope(db_url) as session:
        run = import_run(session)
        for n, pid in enumerate(session.scalars(select(Person.id).order_by(Person.email))):
            if n % 2:
                use(session, run, pid, [dt.date(2025, 5, 30), dt.date(2025, 6, 29)])
        build_adoption_releases(session, PrivacyPolicy(), today=dt.date(2025, 7, 2))


def test_the_funnel_is_the_same_release_for_every_viewer_and_newcomers_move_in_k(
    org: TestClient, db_url: str
):
    """26 licensed by May, 28 by June: June minus May would be the two newcomers' stages, so
    they wait (withheld) until k can be added together; every viewer gets the same JSON."""
    release_funnel(db_url)
    sign_in(org, "analyst")
    may = org.get("/api/v1/adoption", params={"as_of": AS_OF}).json()
    june = org.get("/api/v1/adoption", params={"as_of": "2025-07-01"}).json()
    assert may["as_of"] == AS_OF and june["as_of"] == "2025-06-30"
    difference = june["organisation"]["licensed"] - may["organisation"]["licensed"]
    assert difference == 0 or difference >= 5
    sign_in(org, "leader")
    assert org.get("/api/v1/adoption", params={"as_of": AS_OF}).json() == may
    assert org.get("/api/v1/adoption", params={"as_of": "2025-07-01"}).json() == june
    page = org.get("/adoption", params={"as_of": "2025-06-30"})
    assert page.status_code == 200 and "Data as of 30 June 2025" in page.text


def test_the_adoption_page_names_merged_teams(org: TestClient, db_url: str):
    release_funnel(db_url)
    sign_in(org, "leader")
    page = org.get("/adoption", params={"as_of": AS_OF})
    assert page.status_code == 200
    assert "<svg" in page.text and "Integrated into the work" in page.text
    # Payments (7) and Support (18) are shown; Engineering itself (1 person) is not.
    assert "Payments" in page.text and "Support" in page.text
    assert "merged with a larger group to protect individuals" in page.text
    body = org.get("/api/v1/adoption", params={"as_of": AS_OF}).json()
    shown = {t["key"]: t for t in body["teams"] if t["shown"]}
    assert shown["eng-payments"]["licensed"] == 7
    # Engineering's cell holds Payments: the one person of its own is counted with them
    # (generalised to Engineering) or withheld, never shown apart.
    assert shown["eng"]["licensed"] in (7, 8)


def test_scorecard_periods_a_few_entries_apart_differ_by_whole_groups(org: TestClient, db_url: str):
    """Ten entries last month, two the month before: two months minus one would be those
    two, under the old per-request scorecard. On the friction release both views answer,
    every viewer gets the same JSON, the two differ by nobody or at least k outputs, and
    the auditor, given everything published, finds no one."""
    first, last = released_months(dt.date.today(), 1)
    earlier = first - dt.timedelta(days=3)
    with session_scope(db_url) as session:
        plant(session, "code review", last, 6, correcting=10, outcome="fixed")
        plant(session, "code review", last, 4, saved=15)
        plant(session, "code review", earlier, 2, correcting=50, outcome="discarded")
        build_all(session, PrivacyPolicy())
    seen = {}
    for who in ("leader", "analyst"):
        sign_in(org, who)
        for months in (1, 2):
            response = org.get("/api/v1/scorecard", params={"months": months})
            assert response.status_code == 200, response.text
            seen[who, months] = response.json()
        assert org.get("/scorecard", params={"months": 2}).status_code == 200
    assert seen["leader", 1] == seen["analyst", 1] and seen["leader", 2] == seen["analyst", 2]

    def outputs(card: dict[str, Any]) -> int:
        counted = [e["n"] for u in card["use_cases"] for e in u["evidence"]][:1]
        return sum(counted) + card["other_entries"]

    one, two = seen["leader", 1], seen["leader", 2]
    assert [u["label"] for u in one["use_cases"]] == ["code review"] and outputs(one) == 10
    assert outputs(two) - outputs(one) in (0, *range(5, 100))
    with session_scope(db_url) as session:
        _, found = friction_findings(session, k=5)
    assert found.ok, found.describe()


def test_scorecard_classes_a_use_case_working_from_both_releases(org: TestClient, db_url: str):
    """Code completion saves time in four weeks of last month (friction release) and, those
    weeks, five feedback items a week say it works beside one idea (feedback release): the
    API and the page class it working, with the feedback counted, the same for every
    viewer; the auditor finds no one in either release."""
    first, _ = released_months(dt.date.today(), 1)
    with session_scope(db_url) as session:
        for n, saved in enumerate((20, 25, 30, 22)):
            day = first + dt.timedelta(days=7 * n + 1)
            plant(session, "code completion", day, 1, correcting=5, saved=10, outcome="fixed")
            plant(session, "code completion", day, 5, saved=saved)
            for kind in [FeedbackKind.WORKING] * 5 + [FeedbackKind.IDEA]:
                item = FeedbackIn(kind=kind, text="It writes my tests", use_case="Code completion")
                submit_feedback(session, item, "web", day)
        build_all(session, PrivacyPolicy())
    seen = {}
    for who in ("leader", "analyst"):
        sign_in(org, who)
        response = org.get("/api/v1/scorecard", params={"months": 1})
        assert response.status_code == 200, response.text
        seen[who] = response.json()
        page = org.get("/scorecard", params={"months": 1})
        assert page.status_code == 200 and "20 of 20 feedback items say it works" in page.text
    assert seen["leader"] == seen["analyst"]
    [completion] = seen["leader"]["use_cases"]
    assert completion["status"] == "working", completion["reason"]
    said = [e for e in completion["evidence"] if e["source"] == "feedback"]
    assert [(e["n"], e["lean"]) for e in said] == [(20, "working")]
    with session_scope(db_url) as session:
        assert friction_findings(session, k=5)[1].ok
        assert feedback_findings(session, k=5)[1].ok
