"""Noisy roll-ups through the API: released once, budget spent once, exhaustion reported."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gaplens.audit.models import PrivacyBudget
from gaplens.db.engine import session_scope
from tests.web.conftest import sign_in


def test_rollup_spends_budget_once_and_reuses_releases(client: TestClient, web_db: str):
    sign_in(client, "analyst")
    first = client.get("/api/v1/rollup").json()
    released = {k: q for k, q in first["questions"].items() if q["status"] == "released"}
    assert "productivity_impact" in released
    assert "shadow_tools" not in first["questions"], "multi-choice histograms are not released"
    assert first["spent_epsilon"] == round(0.1 * len(released), 10) <= first["total_epsilon"]
    # ten single-choice questions at 0.1 each: exactly the 1.0 budget
    assert len(released) == 10 and first["spent_epsilon"] == 1.0
    second = client.get("/api/v1/rollup").json()
    assert second["spent_epsilon"] == first["spent_epsilon"]
    assert second["questions"] == first["questions"], "the same numbers, no new spend"


def test_exhausted_budget_releases_nothing_new(client: TestClient, web_db: str):
    from gaplens.surveys.service import find_survey

    with session_scope(web_db) as session:
        survey = find_survey(session, None)
        session.add(PrivacyBudget(survey_id=survey.id, total_epsilon=1.0, spent_epsilon=0.75))
    sign_in(client, "analyst")
    body = client.get("/api/v1/rollup").json()
    statuses = [q["status"] for q in body["questions"].values()]
    assert statuses.count("released") == 2 and statuses.count("budget_exhausted") == 8
    assert all(q["counts"] is None for q in body["questions"].values() if q["status"] != "released")
    assert body["spent_epsilon"] == 0.95
