"""No day of one person's answer leaves the process: a report (HTML and JSON, through HTTP)
dates its pulses only by their releases' `answers_through` week ends.

Both pulses are answered mid-week: the first and the last answer day of each is the day one
respondent answered, and must appear nowhere, in ISO or written form."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gaplens.accounts.models import StaffRole
from gaplens.accounts.service import create_user
from gaplens.commitments.service import create_statement, validate_statement
from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.surveys.service import import_responses
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from gaplens.wording import day
from tests.files import TEAMS, write_csv
from tests.web.conftest import PASSWORD, sign_in

REPORT = "/api/v1/exports/report"
# Spring: Wednesday 4 to Friday 6 March; Autumn: Tuesday 8 to Thursday 17 September.
SPRING = (dt.date(2026, 3, 4), dt.date(2026, 3, 6))
AUTUMN = (dt.date(2026, 9, 8), dt.date(2026, 9, 17))
SPRING_THROUGH = dt.date(2026, 3, 8)  # the Sunday of the week of the last answer
AUTUMN_THROUGH = dt.date(2026, 9, 20)
AUTUMN_FIRST_WEEK = dt.date(2026, 9, 14)  # the Monday of that week (not an answer day)


def rows(prefix: str, days: tuple[dt.date, dt.date]) -> list[dict[str, str]]:
    """40 responses, half on each day, in two functions, leaders and frontline."""
    found = []
    for n in range(40):
        found.append(
            {
                "response_id": f"{prefix}{n}",
                "answered_on": days[n % 2].isoformat(),
                "role_level": "manager" if n % 4 == 0 else "individual_contributor",
                "team": "support" if n < 20 else "eng-payments",
                "function": "Support" if n < 20 else "Engineering",
                "productivity_impact": ["high gains", "some gains", "no difference", "worse"][
                    n % 4
                ],
                "job_security_clarity": ["yes", "no", "unsure"][n % 3],
            }
        )
    return found


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        admin = create_user(session, "admin@northwind.example", "admin", StaffRole.ADMIN, PASSWORD)
        create_user(session, "analyst@northwind.example", "analyst", StaffRole.ANALYST, PASSWORD)
        statement = validate_statement(
            {"category": "role", "text": "No role is cut because of AI.", "stated_by": "COO"}
        )
        create_statement(session, admin.id, statement, today=dt.date(2026, 2, 2))
        spring = write_csv(tmp_path / "spring.csv", rows("s", SPRING))
        import_responses(session, spring, "Spring", series="P")
        autumn = write_csv(tmp_path / "autumn.csv", rows("a", AUTUMN))
        import_responses(session, autumn, "Autumn", series="P")
        build_all(session, PrivacyPolicy())
    app = create_app(
        WebSettings(database_url=db_url, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as test_client:
        sign_in(test_client, "analyst")
        yield test_client


def forms(when: dt.date) -> list[str]:
    """Every way a report could print the day: ISO, '8 September 2026', '8 September',
    '8–17 September' (a window starts with the day alone), 'September 8'."""
    month = day(when).split()[1]
    return [
        when.isoformat(),
        rf"\b{when.day} {month}\b",
        rf"\b{when.day}\u2013\d+ {month}",
        rf"\b{month} {when.day}\b",
    ]


def leaked(text: str) -> list[str]:
    return [
        pattern
        for answered in (*SPRING, *AUTUMN)
        for pattern in forms(answered)
        if re.search(pattern, text)
    ]


def test_a_report_shows_only_release_week_ends_never_an_answer_day(client: TestClient) -> None:
    params = {"period": "2026-Q3"}
    got = client.get(REPORT, params={**params, "format": "json"})
    assert got.status_code == 200, got.text
    doc = got.json()
    html = client.get(REPORT, params={**params, "format": "html"})
    assert html.status_code == 200, html.text
    assert leaked(got.text) == [] and leaked(html.text) == []
    assert '"first_day"' not in got.text and '"last_day"' not in got.text
    # the release's week ends are what dates the pulses
    assert doc["survey"]["name"] == "Autumn"
    assert doc["survey"]["answers_through"] == AUTUMN_THROUGH.isoformat()
    assert doc["period"]["pulses"] == [
        {"name": "Autumn", "answers_through": AUTUMN_THROUGH.isoformat()}
    ]
    trend = doc["gap_trend"]["points"]
    assert [(p["survey"], p["answers_through"], p["in_period"]) for p in trend] == [
        ("Spring", SPRING_THROUGH.isoformat(), False),
        ("Autumn", AUTUMN_THROUGH.isoformat(), True),
    ]
    clarity = doc["commitments"]["clarity"]["points"]
    assert [(p["first_week"], p["answers_through"]) for p in clarity] == [
        (dt.date(2026, 3, 2).isoformat(), SPRING_THROUGH.isoformat()),
        (AUTUMN_FIRST_WEEK.isoformat(), AUTUMN_THROUGH.isoformat()),
    ]
    [again] = [s for s in doc["next_steps"]["steps"] if s["rule"] == "measure-again"]
    assert again["evidence"] == [
        f"The latest pulse (Autumn) has answers released through {AUTUMN_THROUGH.isoformat()}."
    ]
    assert again["title"] == f"Measure again by {day(AUTUMN_THROUGH + dt.timedelta(days=90))}"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.text))
    assert "Answers through 20 September 2026" in text
    assert "answers through 8 March 2026" in text  # Spring's clarity row


def test_the_default_period_and_its_errors_use_release_days(client: TestClient) -> None:
    got = client.get(REPORT, params={"format": "json"})
    assert got.status_code == 200, got.text
    assert got.json()["period"]["end"] == AUTUMN_THROUGH.isoformat()  # not 17 September
    assert leaked(got.text) == []
    refused = client.get(REPORT, params={"format": "json", "period": "2026-Q2"})
    assert refused.status_code == 422
    message = json.dumps(refused.json())
    assert "no release yet has not closed" in message
    assert f"Autumn ({AUTUMN_THROUGH.isoformat()})" in message and leaked(message) == []
    outside = client.get(REPORT, params={"format": "json", "period": "2026-Q2", "survey": "Autumn"})
    assert outside.status_code == 422 and leaked(outside.text) == []
    assert f"released through {AUTUMN_THROUGH.isoformat()}" in outside.text


def test_the_trend_api_orders_by_release_and_prints_no_answer_day(client: TestClient) -> None:
    got = client.get("/api/v1/trend", params={"series": "P"})
    assert got.status_code == 200, got.text
    assert got.json()["surveys"] == ["Spring", "Autumn"] and leaked(got.text) == []
