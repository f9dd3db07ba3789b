"""The gap trend across pulses: widening only beyond noise, small teams in words."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from gaplens.db.engine import session_scope
from gaplens.directory.service import import_teams
from gaplens.perception.trend import direction, released_gap_trend
from gaplens.perception.trend_chart import team_trend_chart
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.service import build_all
from gaplens.stats import Estimate
from gaplens.surveys.service import import_responses
from tests.files import TEAMS, write_csv


def responses(
    prefix: str, day: str, team: str, leaders: tuple[int, int], ics: tuple[int, int]
) -> list[dict[str, str]]:
    """leaders=(gains, total), ics=(gains, total) answering productivity_impact."""
    rows = []
    for role, (gains, total) in (("manager", leaders), ("individual_contributor", ics)):
        for n in range(total):
            rows.append(
                {
                    "response_id": f"{prefix}-{team}-{role}-{n}",
                    "answered_on": day,
                    "role_level": role,
                    "team": team,
                    "productivity_impact": "some gains" if n < gains else "no difference",
                }
            )
    return rows


@pytest.fixture
def pulses(db_url: str, tmp_path: Path) -> str:
    first = (
        responses("p1", "2026-03-02", "eng-payments", (20, 40), (18, 40))
        + responses("p1", "2026-03-02", "support", (20, 40), (10, 40))
        + responses("p1", "2026-03-02", "eng", (2, 3), (1, 3))
    )
    second = (
        responses("p2", "2026-06-01", "eng-payments", (36, 40), (4, 40))
        + responses("p2", "2026-06-01", "support", (21, 40), (11, 40))
        + responses("p2", "2026-06-01", "eng", (2, 3), (1, 3))
    )
    with session_scope(db_url) as session:
        import_teams(session, write_csv(tmp_path / "teams.csv", TEAMS), "Acme")
        import_responses(
            session, write_csv(tmp_path / "q2.csv", second), "Pulse Q2", series="Pulse"
        )
        import_responses(session, write_csv(tmp_path / "q1.csv", first), "Pulse Q1", series="Pulse")
        build_all(session, PrivacyPolicy())
    return db_url


def test_widening_is_flagged_only_beyond_its_interval(pulses: str):
    with session_scope(pulses) as session:
        trend = released_gap_trend(session, "Pulse")
    assert trend.surveys == ["Pulse Q1", "Pulse Q2"], "pulses ordered by when they ran"
    by_team = {t.team: t for t in trend.teams}
    payments = by_team["eng-payments"]
    assert payments.points[0].gap_pp is not None and payments.points[
        0
    ].gap_pp.estimate == pytest.approx(5.0)
    assert payments.points[1].gap_pp is not None and payments.points[
        1
    ].gap_pp.estimate == pytest.approx(80.0)
    assert payments.direction == "widening"
    assert payments.change_pp is not None and payments.change_pp.low > 0
    assert by_team["support"].direction == "no clear change"
    # Engineering rolls up Payments plus 3 leaders and 3 ICs of its own: those 6 are
    # published only as one group of unknown team and role, so Engineering shows exactly
    # Payments' figures and subtracting one from the other gives nobody.
    engineering = by_team["eng"]
    assert [p.gap_pp for p in engineering.points] == [p.gap_pp for p in payments.points]
    assert [p.leaders_n for p in engineering.points] == [40, 40]
    organisation = by_team[""]
    assert organisation.name == "Whole organisation"
    assert organisation.points[1].leaders_n == 80


def test_direction_rules():
    assert direction(Estimate(0.2, 0.05, 0.35)) == "widening"
    assert direction(Estimate(-0.2, -0.35, -0.05)) == "narrowing"
    assert direction(Estimate(0.1, -0.02, 0.22)) == "no clear change"
    assert direction(None) == "not enough data"


def test_unknown_series_is_a_clear_error(pulses: str):
    from gaplens.errors import InputError

    with (
        pytest.raises(InputError, match=r"no survey with released answers in series 'Nope'.*Pulse"),
        session_scope(pulses) as session,
    ):
        released_gap_trend(session, "Nope")


def test_trend_page_and_api(pulses: str):
    from fastapi.testclient import TestClient

    from gaplens.accounts.models import StaffRole
    from gaplens.accounts.service import create_user
    from gaplens.web.app import create_app
    from gaplens.web.settings import WebSettings
    from tests.web.conftest import PASSWORD, sign_in

    with session_scope(pulses) as session:
        create_user(session, "leader@northwind.example", "Leader", StaffRole.LEADER, PASSWORD)
    app = create_app(
        WebSettings(database_url=pulses, secure_cookies=False, slack_signing_secret=None)
    )
    with TestClient(app) as client:
        sign_in(client, "leader")
        page = client.get("/trend")
        assert page.status_code == 200 and "Widening" in page.text and "Payments" in page.text
        body = client.get("/api/v1/trend", params={"series": "Pulse"}).json()
        assert {t["team"]: t["direction"] for t in body["teams"]}["eng-payments"] == "widening"
    # Two charts, each one image with a name and a text description; the table stays.
    labels = re.findall(r'<svg role="img" aria-label="([^"]+)"', page.text)
    assert len(labels) == 4  # each chart drawn for a desktop and for a phone
    assert any(label.startswith("The gap between leaders") for label in labels)
    assert any("per team and pulse" in label for label in labels)
    assert (
        page.text.count("<figcaption") == 2 and 'aria-describedby="trend-teams-text"' in page.text
    )
    assert re.search(r"Changes beyond noise: [^<]*Payments widening", page.text)
    assert "<table>" in page.text and "Gap by team and pulse" in page.text
    # The last day the figures cover: the latest pulse's release, never today.
    through = dt.date.fromisoformat(body["released_through"])
    assert through >= dt.date(2026, 6, 1) and f"Data as of {through:%-d %B %Y}" in page.text


def test_team_chart_draws_the_shown_cells_of_every_row_in_table_order(pulses: str):
    with session_scope(pulses) as session:
        trend = released_gap_trend(session, "Pulse")
    payments = next(t for t in trend.teams if t.team == "eng-payments")
    hidden = payments.points[0].model_copy(update={"status": "suppressed", "gap_pp": None})
    trend.teams[trend.teams.index(payments)] = payments.model_copy(
        update={"points": [hidden, payments.points[1]]}
    )
    spec = team_trend_chart(trend)
    assert spec is not None
    rows = spec["data"]["values"]
    assert list(dict.fromkeys(r["team"] for r in rows)) == [t.name for t in trend.teams]
    drawn = [(r["pulse"], r["estimate"]) for r in rows if r["team"] == "Payments"]
    assert drawn == [("Pulse Q2", pytest.approx(80.0))]  # the hidden cell is not drawn
    lo, hi = spec["layer"][2]["encoding"]["x"]["scale"]["domain"]
    assert lo <= min(r["low"] for r in rows) and hi >= max(r["high"] for r in rows)
    narrow = team_trend_chart(trend, narrow=True)
    assert narrow is not None and narrow["width"] < spec["width"]
    empty = trend.model_copy(update={"teams": []})
    assert team_trend_chart(empty) is None
