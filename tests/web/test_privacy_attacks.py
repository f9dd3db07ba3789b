"""Adversarial privacy checks through the API and pages: small groups, overlapping filters,
differencing by period, too many filters. No single response may be recoverable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.surveys.service import import_responses
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
    """7 people in Payments, 1 more in Engineering itself, 20 in Support."""
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
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
        create_user(session, "analyst@northwind.example", "Analyst", StaffRole.ANALYST, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        yield client


def test_a_group_below_k_shows_no_number(small_org: TestClient):
    sign_in(small_org, "leader")
    body = small_org.get("/api/v1/perception", params={"team": "eng"}).json()
    # eng and below: 8 people, all individual contributors -> shown as everyone and as ICs
    impact = body["questions"]["productivity_impact"]
    assert impact["groups"]["everyone"]["n"] == 8
    assert impact["groups"]["executive"]["n"] is None
    small = small_org.get(
        "/api/v1/perception", params={"function": "Engineering", "period_from": "2026-09-09"}
    ).json()
    assert small["respondents"] is None
    assert all(
        g["n"] is None and g.get("shares") is None
        for g in small["questions"]["productivity_impact"]["groups"].values()
    )


def test_filter_a_minus_filter_b_is_refused(small_org: TestClient):
    sign_in(small_org, "leader")
    first = small_org.get("/api/v1/perception", params={"team": "eng-payments"})
    assert first.status_code == 200 and first.json()["respondents"] == 7
    # Engineering = Payments + one person: the difference would be that person's answer.
    second = small_org.get("/api/v1/perception", params={"function": "Engineering"})
    assert second.status_code == 409
    assert "fewer than 5 people" in second.json()["error"]
    third = small_org.get("/api/v1/perception", params={"team": "eng"})
    assert third.status_code == 409
    # The same view again reveals nothing new and stays allowed.
    assert small_org.get("/api/v1/perception", params={"team": "eng-payments"}).status_code == 200


def test_refusal_is_per_viewer_and_survives_a_new_session(small_org: TestClient):
    sign_in(small_org, "leader")
    assert small_org.get("/api/v1/perception", params={"team": "eng-payments"}).status_code == 200
    small_org.cookies.clear()
    sign_in(small_org, "analyst")
    assert (
        small_org.get("/api/v1/perception", params={"function": "Engineering"}).status_code == 200
    )
    small_org.cookies.clear()
    sign_in(small_org, "leader")  # a new session: the history is in the database
    assert (
        small_org.get("/api/v1/perception", params={"function": "Engineering"}).status_code == 409
    )


def test_period_slicing_cannot_isolate_one_day(small_org: TestClient):
    sign_in(small_org, "leader")
    assert (
        small_org.get("/api/v1/perception", params={"function": "Engineering"}).status_code == 200
    )
    sliced = small_org.get(
        "/api/v1/perception", params={"function": "Engineering", "period_to": "2026-09-08"}
    )
    assert sliced.status_code == 409


def test_overall_minus_role_breakdown_does_not_isolate_a_small_role(small_org: TestClient):
    """Support has 6 managers and 14 ICs; the whole survey has 6 managers and 22 ICs."""
    sign_in(small_org, "leader")
    body = small_org.get("/api/v1/perception", params={"team": "support"}).json()
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


def test_dashboard_page_explains_a_refusal(small_org: TestClient):
    sign_in(small_org, "leader")
    assert small_org.get("/dashboard", params={"team": "eng-payments"}).status_code == 200
    page = small_org.get("/dashboard", params={"team": "eng"})
    assert page.status_code == 409
    assert "can&#39;t be shown" in page.text or "can't be shown" in page.text


def test_exports_obey_the_same_rules_as_the_pages(small_org: TestClient, db_url: str):
    """An export never shows more than the page: small groups carry only their status, and
    exporting filter B after viewing filter A is refused like the page would refuse it."""
    import csv
    import io

    from sqlalchemy import select

    from gaplens.audit.models import AuditEvent

    sign_in(small_org, "analyst")
    small = small_org.get(
        "/api/v1/exports/perception.csv",
        params={"function": "Engineering", "period_from": "2026-09-09"},
    )
    assert small.status_code == 200
    assert small.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(small.text)))
    assert rows and all(r["status"] != "shown" and not r["n"] and not r["count"] for r in rows)
    assert (
        small_org.get("/api/v1/exports/perception.csv", params={"team": "eng-payments"}).status_code
        == 200
    )
    differencing = small_org.get(
        "/api/v1/exports/perception.csv", params={"function": "Engineering"}
    )
    assert differencing.status_code == 409
    assert "1" not in {r.get("count") for r in csv.DictReader(io.StringIO(differencing.text))}
    report = small_org.get("/api/v1/exports/report", params={"format": "json"})
    assert report.status_code == 200 and report.json()["survey"]["name"] == "Pulse"
    with session_scope(db_url) as session:
        actions = list(session.scalars(select(AuditEvent.action)))  # only the analyst acted
    assert actions.count("export_perception_csv") == 2
    assert "export_report_json" in actions
