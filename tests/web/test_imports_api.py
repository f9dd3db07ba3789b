"""Admins upload tool exports over HTTP: same importers, same all-or-nothing errors, audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.friction.models import FrictionEntry
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.web.conftest import sign_in

FRICTION = (
    "date,use_case,tool,minutes_correcting,minutes_saved,severity,outcome,team,note\n"
    "2026-09-01,code review,GitHub Copilot,20,5,medium,fixed,,\n"
    "2026-09-02,test generation,GitHub Copilot,0,25,low,kept,,\n"
)


def entries(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(FrictionEntry)) or 0


def test_an_admin_uploads_an_export_and_it_is_audited(client: TestClient, web_db: str):
    sign_in(client, "admin")
    before = entries(web_db)
    response = client.post(
        "/api/v1/admin/imports/friction",
        params={"filename": "../../friction log.csv"},
        content=FRICTION.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows_written"] == 2 and body["source"] == "friction log.csv"
    assert entries(web_db) == before + 2
    again = client.post(
        "/api/v1/admin/imports/friction", params={"filename": "friction log.csv"}, content=FRICTION
    )
    assert again.status_code == 201 and entries(web_db) == before + 2  # idempotent
    with session_scope(web_db) as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("import_friction") == 2


def test_a_bad_upload_names_the_row_and_column_and_writes_nothing(client: TestClient, web_db: str):
    sign_in(client, "admin")
    before = entries(web_db)
    bad = FRICTION + "2026-09-03,code review,GitHub Copilot,lots,5,medium,fixed,,\n"
    response = client.post(
        "/api/v1/admin/imports/friction", params={"filename": "f.csv"}, content=bad
    )
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["row"] == 4 and problem["field"] == "minutes_correcting"
    assert entries(web_db) == before
    wrong_kind = client.post(
        "/api/v1/admin/imports/jira", params={"filename": "f.csv"}, content=FRICTION
    )
    assert wrong_kind.status_code == 422 and entries(web_db) == before


def test_only_admins_upload_and_the_size_limit_holds(web_db: str, client: TestClient):
    sign_in(client, "leader")
    assert client.post("/api/v1/admin/imports/friction", content=FRICTION).status_code == 403
    small = create_app(
        WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret=None,
            max_import_bytes=64,
        )
    )
    with TestClient(small) as limited:
        assert limited.post("/api/v1/admin/imports/friction", content=FRICTION).status_code == 401
        sign_in(limited, "admin")
        response = limited.post("/api/v1/admin/imports/friction", content=FRICTION)
        assert response.status_code == 413
    assert entries(web_db) == 0


def test_a_large_upload_is_parsed_in_a_second_process_inside_the_server(
    client: TestClient, web_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """The app serves requests on threads; the parsing child is forked from one of them,
    and its rows and its located errors come back as in a one-process import."""
    import gaplens.imports.parallel as parallel
    from gaplens.work.models import WorkItem
    from tests.work.samples import jira_row, write_jira_csv

    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    sign_in(client, "admin")
    buffer = write_jira_csv(
        tmp_path / "big.csv",
        [jira_row(n, Assignee="", **{"Assignee Id": ""}) for n in range(1, 12_001)],
    ).read_bytes()
    response = client.post(
        "/api/v1/admin/imports/jira", params={"filename": "big.csv"}, content=buffer
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows_written"] == 12_000
    with session_scope(web_db) as session:
        keys = set(session.scalars(select(WorkItem.key).where(WorkItem.source == "jira")))
    assert {f"PAY-{n}" for n in (1, 6_000, 12_000)} <= keys
    before = len(keys)
    bad = buffer.replace(b"PAY-11999,", b",", 1)  # a key missing near the end
    response = client.post(
        "/api/v1/admin/imports/jira", params={"filename": "bad.csv"}, content=bad
    )
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["row"], problem["field"]) == (12_000, "Issue key")
    with session_scope(web_db) as session:
        assert (
            len(set(session.scalars(select(WorkItem.key).where(WorkItem.source == "jira"))))
            == before
        )


def test_an_upload_says_what_the_export_lacks(client: TestClient, web_db: str):
    """A ServiceNow JSONv2 export without reopen counts: imported, with the warning."""
    import json

    sign_in(client, "admin")
    record = {
        "number": "INC0010001",
        "state": "6",
        "opened_at": "2026-02-13 14:05:00",
        "resolved_at": "2026-02-14 09:00:00",
        "assigned_to": "46d44a23a9fe19810012d100cca80666",
        "dv_assigned_to": "Nobody Here",
        "caller_id": "5137153cc611227c000bbd1bd8cd2007",
    }
    response = client.post(
        "/api/v1/admin/imports/tickets",
        params={"filename": "incident.json"},
        content=json.dumps({"records": [record]}).encode(),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "servicenow" and body["rows_written"] == 1
    (warning,) = body["warnings"]
    assert "reopen_count" in warning and "reopen rate" in warning
    assert '"not enough data"' in warning and warning in body["summary"]


def test_an_admin_uploads_cursor_and_claude_code_reports(client: TestClient, web_db: str):
    import json

    from tests.telemetry.assistant_payloads import claude_page, claude_user, cursor_day

    sign_in(client, "admin")
    cursor = {"data": [cursor_day("nobody@acme.example", "2026-10-01")], "period": {}}
    response = client.post(
        "/api/v1/admin/imports/cursor-usage",
        params={"filename": "cursor.json"},
        content=json.dumps(cursor).encode(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "cursor-usage" and response.json()["rows_unresolved"] == 1
    bad = claude_user("nobody@acme.example", "2026-10-01")
    bad["core_metrics"]["num_sessions"] = -1
    response = client.post(
        "/api/v1/admin/imports/claude-code-usage",
        params={"filename": "claude.json"},
        content=json.dumps(claude_page([bad])).encode(),
    )
    assert response.status_code == 422, response.text
    problem = response.json()["problems"][0]
    assert problem["field"] == "data[0].core_metrics.num_sessions" and problem["row"] == 1
