"""Noisy roll-ups through the API: drawn once when the survey closes, budget spent once,
the same numbers for every viewer and read, exhaustion reported."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gaplens.audit.models import PrivacyBudget
from gaplens.db.engine import session_scope
from gaplens.surveys.service import find_survey
from tests.web.conftest import sign_in


def close_latest(client: TestClient, web_db: str) -> str:
    with session_scope(web_db) as session:
        name = find_survey(session, None).name
    sign_in(client, "admin")
    assert client.post(f"/api/v1/admin/surveys/{name}/close").status_code == 200
    return name


def test_nothing_is_drawn_while_the_survey_is_open(client: TestClient):
    sign_in(client, "analyst")
    body = client.get("/api/v1/rollup").json()
    assert body["questions"] and {q["status"] for q in body["questions"].values()} == {"at_close"}
    assert body["spent_epsilon"] == 0.0
    assert client.get("/api/v1/rollup").json() == body, "reading spends nothing"


def test_closing_draws_each_question_once_and_every_viewer_reads_the_same(
    client: TestClient, web_db: str
):
    close_latest(client, web_db)
    sign_in(client, "analyst")
    first = client.get("/api/v1/rollup").json()
    released = {k: q for k, q in first["questions"].items() if q["status"] == "released"}
    assert "productivity_impact" in released
    assert "shadow_tools" not in first["questions"], "multi-choice histograms are not released"
    # ten single-choice questions at 0.1 each: exactly the 1.0 budget
    assert len(released) == 10 and first["spent_epsilon"] == 1.0
    sign_in(client, "leader")
    second = client.get("/api/v1/rollup").json()
    assert second == first, "the same numbers for another viewer, no new spend"


def test_an_exhausted_budget_releases_nothing_new(client: TestClient, web_db: str):
    with session_scope(web_db) as session:
        survey = find_survey(session, None)
        session.add(PrivacyBudget(survey_id=survey.id, total_epsilon=1.0, spent_epsilon=0.75))
    close_latest(client, web_db)
    sign_in(client, "analyst")
    body = client.get("/api/v1/rollup").json()
    statuses = [q["status"] for q in body["questions"].values()]
    assert statuses.count("released") == 2 and statuses.count("budget_exhausted") == 8
    assert statuses.count("not_enough_responses") == 1, "decided at close, whatever the budget"
    assert all(q["counts"] is None for q in body["questions"].values() if q["status"] != "released")
    assert body["spent_epsilon"] == 0.95
