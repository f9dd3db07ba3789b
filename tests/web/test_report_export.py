"""The report export for one scope and period through HTTP: read from releases like the
dashboard, bad input as 422 JSON, cost inputs for admins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.surveys.service import import_responses
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.files import TEAMS, write_csv
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_privacy_attacks import response

REPORT = "/api/v1/exports/report"


@pytest.fixture
def small_org(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """7 people in Payments, 1 more in Engineering itself, 20 in Support (6 managers)."""
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
        import_responses(session, write_csv(tmp_path / "r.csv", rows), "Pulse", series="P")
        build_all(session, PrivacyPolicy())
        for email, role in (
            ("admin@northwind.example", StaffRole.ADMIN),
            ("leader@northwind.example", StaffRole.LEADER),
            ("analyst@northwind.example", StaffRole.ANALYST),
        ):
            create_user(session, email, email.split("@")[0], role, PASSWORD)
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        yield client


def test_a_function_report_for_a_quarter(small_org: TestClient, db_url: str) -> None:
    sign_in(small_org, "analyst")
    got = small_org.get(
        REPORT, params={"format": "json", "scope": "function:Support", "period": "2026-Q3"}
    )
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["scope"] == {
        "kind": "function",
        "key": "Support",
        "name": "Support",
        "includes": [],
        "notes": doc["scope"]["notes"],
    }
    assert doc["period"]["label"] == "2026-Q3" and doc["period"]["start"] == "2026-07-01"
    assert doc["perception"]["productivity_impact"]["groups"]["everyone"]["n"] == 20
    assert doc["gap_trend"]["series"] == "P"
    assert any(s["rule"] == "measure-again" for s in doc["next_steps"]["steps"])
    html = small_org.get(REPORT, params={"format": "html", "scope": "function:Support"})
    assert html.status_code == 200 and "Function: Support" in html.text
    with session_scope(db_url) as session:
        details = [
            e.detail for e in session.scalars(select(AuditEvent)) if e.action.startswith("export")
        ]
    assert details[0] == {"scope": "function:Support", "period": "2026-07-01..2026-09-30"}


def test_a_small_scope_says_so_without_a_count(small_org: TestClient) -> None:
    sign_in(small_org, "leader")
    doc = small_org.get(REPORT, params={"format": "json", "scope": "team:eng-payments"}).json()
    assert doc["survey"]["responses"] == 7
    groups = doc["perception"]["productivity_impact"]["groups"]
    assert groups["everyone"]["n"] == 7
    assert all(groups[g]["n"] is None for g in ("executive", "manager"))
    assert [p["status"] for p in doc["gap_trend"]["points"]] == ["not_enough_responses"]


def test_a_tracker_pair_of_exports_gives_nothing_to_subtract(small_org: TestClient) -> None:
    """Payments, then Engineering (Payments plus one person): both exports publish the same
    responses' figures, so the second tells nothing about that one person."""
    sign_in(small_org, "analyst")
    first = small_org.get(REPORT, params={"format": "json", "scope": "team:eng-payments"})
    second = small_org.get(REPORT, params={"format": "json", "scope": "function:Engineering"})
    assert first.status_code == second.status_code == 200
    assert first.json()["perception"] == second.json()["perception"]
    pdf = small_org.get(REPORT, params={"format": "pdf", "scope": "function:Engineering"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_dashboard_and_the_export_show_the_same_released_figures(
    small_org: TestClient,
) -> None:
    sign_in(small_org, "leader")
    page = small_org.get("/api/v1/perception", params={"function": "Engineering"})
    export = small_org.get(REPORT, params={"format": "json", "scope": "function:Engineering"})
    assert page.status_code == export.status_code == 200
    assert page.json()["questions"] == export.json()["perception"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"scope": "team:nope"}, "scope", "unknown team 'nope'"),
        ({"scope": "function:Sales"}, "scope", "unknown function 'Sales'"),
        ({"scope": "everything"}, "scope", "is not a scope"),
        ({"period": "2026-Q7"}, "period", "is not a period"),
        ({"period": "2025-Q1"}, "period", "no survey pulse closed"),
        ({"from": "2026-07-01"}, "to", "go together"),
        ({"from": "2026-07-01", "to": "2026-7-31"}, "to", "is not a date"),
        ({"period": "2026-Q3", "from": "2026-07-01", "to": "2026-07-31"}, "period", "not both"),
    ],
)
def test_bad_scope_or_period_is_422_json(
    small_org: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    sign_in(small_org, "analyst")
    got = small_org.get(REPORT, params={"format": "json", **params})
    assert got.status_code == 422
    body = got.json()
    assert message in body["error"]
    assert body["problems"][0]["field"] == field


def test_cost_inputs_for_staff_and_admins(small_org: TestClient, db_url: str) -> None:
    sign_in(small_org, "leader")
    listed = small_org.get("/api/v1/costs").json()
    assert listed["currency"] == "USD"
    assert {i["key"]: i["is_default"] for i in listed["inputs"]}["hourly_cost"] is True
    change = {"amounts": {"hourly_cost": 90, "seat_price.m365-copilot": 28}, "note": "budget"}
    assert small_org.post("/api/v1/admin/costs", json=change).status_code == 403
    sign_in(small_org, "admin")
    done = small_org.post("/api/v1/admin/costs", json=change)
    assert done.status_code == 200, done.text
    inputs = {i["key"]: i for i in done.json()["inputs"]}
    assert inputs["hourly_cost"]["amount"] == 90 and not inputs["hourly_cost"]["is_default"]
    bad = small_org.post(
        "/api/v1/admin/costs", json={"amounts": {"hourly_cost": 95, "seat_price.x": 1}}
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "seat_price.x"
    after = {i["key"]: i["amount"] for i in small_org.get("/api/v1/costs").json()["inputs"]}
    assert after["hourly_cost"] == 90  # nothing half written
    with session_scope(db_url) as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("set_cost_inputs") == 1
