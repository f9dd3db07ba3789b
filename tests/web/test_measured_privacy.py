"""Adversarial privacy checks on the measured views still computed per request (rule 3): the
adoption funnel and the scorecard, through the API and the pages (metric figures are
released, see tests/releases/test_measured_release.py). Two overlapping views whose people differ by
fewer than 5 must not both be shown to one viewer, since subtracting one from the other
would describe those few people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.directory.service import import_people, import_teams
from gaplens.friction.service import complete_months
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.adoption.service import build_adoption_releases
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
    assert page.status_code == 200 and "Month end shown: 2025-06-30" in page.text


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


def test_scorecard_periods_a_few_entries_apart_are_refused(org: TestClient, db_url: str):
    """Ten entries last month, two the month before: two months minus one would be two."""
    last_start, last_end = complete_months(dt.date.today(), 1)
    earlier = last_start - dt.timedelta(days=3)
    with session_scope(db_url) as session:
        plant(session, "code review", last_end, 10, correcting=10, outcome="fixed")
        plant(session, "code review", earlier, 2, correcting=50, outcome="discarded")
    sign_in(org, "leader")
    one = org.get("/api/v1/scorecard", params={"months": 1})
    assert one.status_code == 200
    assert [u["label"] for u in one.json()["use_cases"]] == ["code review"]
    two = org.get("/api/v1/scorecard", params={"months": 2})
    assert two.status_code == 409
    assert org.get("/scorecard", params={"months": 2}).status_code == 409
    assert org.get("/api/v1/scorecard", params={"months": 1}).status_code == 200
