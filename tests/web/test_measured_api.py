"""Measured reality through the API: the registry, a metric overview, the adoption funnel."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.metrics.registry import REGISTRY
from tests.web.conftest import sign_in


def test_registry_overview_and_funnel_for_staff(client: TestClient, web_db: str):
    sign_in(client, "analyst")
    definitions = client.get("/api/v1/metrics").json()
    assert [d["key"] for d in definitions] == list(REGISTRY)
    assert all(d["definition"] and d["better"] in ("lower", "higher") for d in definitions)
    # No tool exports in this organisation, so no measured release: a 404 that says why.
    overview = client.get("/api/v1/metrics/cycle_time", params={"as_of": "2026-09-30"})
    assert overview.status_code == 404, overview.text
    assert "No measured figures released yet" in overview.json()["error"]
    assert client.get("/api/v1/metrics/velocity").status_code == 404
    assert client.get("/api/v1/metrics/cycle_time", params={"team": "nope"}).status_code == 404
    # No usage data: no month end of the funnel is released, and it says so.
    funnel = client.get("/api/v1/adoption", params={"as_of": "2026-09-30"}).json()
    assert not funnel["organisation"]["shown"] and funnel["organisation"]["licensed"] is None
    assert funnel["headline"].startswith("No month of the adoption funnel is released yet")
    with session_scope(web_db) as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert "view_adoption" in actions


def test_metrics_page_for_staff_only(client: TestClient):
    assert client.get("/metrics", follow_redirects=False).status_code == 303
    sign_in(client, "leader")
    page = client.get("/metrics", params={"function": "Engineering", "as_of": "2026-09-30"})
    assert page.status_code == 200
    assert "Leadership metrics, measured" in page.text
    assert "No measured figures released yet" in page.text
    assert "integration is" not in page.text  # the adoption line: no month end released
