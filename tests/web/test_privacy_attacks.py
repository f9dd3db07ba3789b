"""The review's attacks through the API and pages, against the release model: parent minus
child, overlapping periods, two accounts, watching answers arrive, too many filters. Every
view reads the latest release, so none of them can recover a response (the auditor proves it
for the release itself: tests/releases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.surveys.collection import create_open_link
from gaplens.surveys.service import find_survey, import_responses
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.files import TEAMS, write_csv
from tests.web.conftest import PASSWORD, sign_in


def response(
    n: int, team: str, function: str, day: str, role: str = "individual_contributor"
) -> dict[str, str]:
    return {
        "response_id": f"r{n}",
        "answered_on": day,
        "role_level": role,
        "team": team,
        "function": function,
        "productivity_impact": ["high gains", "some gains", "no difference", "worse"][n % 4],
    }


@pytest.fixture
def small_org(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """7 people in Payments, 1 more in Engineering itself (the next day), 20 in Support."""
    rows = [response(n, "eng-payments", "Engineering", "2026-09-08") for n in range(7)]
    rows.append(response(7, "eng", "Engineering", "2026-09-09"))
    rows += [
        response(
            100 + n,
            "support",
            "Support",
            "2026-09-08",
            "manager" if n < 6 else "individual_contributor",
        )
        for n in range(20)
    ]
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_responses(session, write_csv(tmp_path / "r.csv", rows), "Pulse")
        build_all(session, PrivacyPolicy(), today=dt.date(2026, 9, 10))
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
        create_user(session, "analyst@northwind.example", "Analyst", StaffRole.ANALYST, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        yield client


def impact(client: TestClient, **params: str) -> dict:
    body = client.get("/api/v1/perception", params=params)
    assert body.status_code == 200, body.text
    return body.json()


def test_a_group_below_k_shows_no_number(small_org: TestClient):
    sign_in(small_org, "leader")
    body = impact(small_org, team="eng")
    groups = body["questions"]["productivity_impact"]["groups"]
    # Payments' 7 are published; the one person in Engineering itself is in no group of 5.
    assert groups["everyone"]["n"] == 7
    assert groups["executive"]["n"] is None and groups["executive"]["reason"]
    assert body["release"] == 1 and body["released_through"] == "2026-09-09"


def test_parent_minus_child_gives_nothing(small_org: TestClient):
    """Engineering = Payments + one person: both views publish the same 7, so subtracting
    gives nobody, and neither view is refused."""
    sign_in(small_org, "leader")
    payments = impact(small_org, team="eng-payments")
    for params in ({"team": "eng"}, {"function": "Engineering"}):
        assert impact(small_org, **params)["questions"] == payments["questions"]


def test_every_viewer_gets_the_same_figures_whatever_they_saw_before(small_org: TestClient):
    """Two accounts, different histories: the same request gives the same answer, so
    colluding viewers have nothing to combine that one viewer does not have."""
    sign_in(small_org, "leader")
    for params in ({"team": "eng-payments"}, {"team": "support"}, {"ai_tenure": "6+"}):
        impact(small_org, **params)
    seen = impact(small_org, function="Engineering")
    small_org.cookies.clear()
    sign_in(small_org, "analyst")
    assert impact(small_org, function="Engineering") == seen


def test_period_slicing_snaps_to_the_whole_pulse(small_org: TestClient):
    sign_in(small_org, "leader")
    whole = impact(small_org, function="Engineering")
    for params in ({"period_to": "2026-09-08"}, {"period_from": "2026-09-09"}):
        sliced = impact(small_org, function="Engineering", **params)
        assert sliced["questions"] == whole["questions"]
        assert "whole pulse" in sliced["note"]


def test_overall_minus_role_breakdown_does_not_isolate_a_small_role(small_org: TestClient):
    """Support has 6 managers and 14 ICs; the whole survey has 6 managers and 22 ICs."""
    sign_in(small_org, "leader")
    body = impact(small_org, team="support")
    groups = body["questions"]["productivity_impact"]["groups"]
    shown = [g["n"] for key, g in groups.items() if key != "everyone" and g["n"] is not None]
    remainder = groups["everyone"]["n"] - sum(shown)
    assert remainder == 0 or remainder >= 5


def test_three_filters_are_refused_with_a_clear_message(small_org: TestClient):
    sign_in(small_org, "leader")
    response = small_org.get(
        "/api/v1/perception", params={"team": "eng", "function": "Engineering", "ai_tenure": "6+"}
    )
    assert response.status_code == 422
    assert "at most 2 filters" in response.json()["error"]


def test_answers_arriving_are_not_shown_until_released(small_org: TestClient, db_url: str):
    """An answer given today changes nothing any viewer sees, counts included."""
    sign_in(small_org, "leader")
    before = (impact(small_org), small_org.get("/api/v1/surveys").json())
    with session_scope(db_url) as session:
        survey = find_survey(session, "Pulse")
        token = create_open_link(session, survey)
    answer = {
        "link": token,
        "role_level": "manager",
        "team": "support",
        "answers": {"productivity_impact": "worse"},
    }
    assert small_org.post("/api/v1/responses", json=answer).status_code == 201
    assert (impact(small_org), small_org.get("/api/v1/surveys").json()) == before


def test_exports_show_exactly_what_the_pages_show(small_org: TestClient, db_url: str):
    import csv
    import io

    from sqlalchemy import select

    from gaplens.audit.models import AuditEvent

    sign_in(small_org, "analyst")
    export = small_org.get("/api/v1/exports/perception.csv", params={"team": "eng"})
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    page = impact(small_org, team="eng")["questions"]["productivity_impact"]["groups"]
    for row in rows:
        if row["question"] == "productivity_impact" and row["status"] == "shown":
            assert int(row["n"]) == page[row["group"]]["n"]
        if row["status"] != "shown":
            assert not row["n"] and not row["count"]
    report = small_org.get("/api/v1/exports/report", params={"format": "json"})
    assert report.status_code == 200 and report.json()["survey"]["name"] == "Pulse"
    with session_scope(db_url) as session:
        actions = list(session.scalars(select(AuditEvent.action)))  # only the analyst acted
    assert actions.count("export_perception_csv") == 1
    assert "export_report_json" in actions
