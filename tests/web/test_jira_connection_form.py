"""/admin/connections adds a Jira Cloud connection: site, email, project keys and API token,
the token and email stored only encrypted, never on a page or in the audit log."""

from __future__ import annotations

import html
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from gaplens.sync.credentials import decrypt
from tests.web.conftest import form_token, sign_in

TOKEN = "ATATT3xWebFormJiraTokenThatMustNeverLeak42"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", "w" * 40)


def test_an_admin_adds_a_jira_connection_by_form(client: TestClient, web_db: str):
    sign_in(client, "admin")
    token = form_token(client, "/admin/connections")
    form = {
        "csrf_token": token,
        "kind": "jira",
        "name": "jira-acme",
        "org": "app,ops",
        "base_url": "https://acme.atlassian.net",
        "interval_minutes": "60",
        "token": TOKEN,
    }
    missing = client.post("/admin/connections", data=form)
    assert missing.status_code == 422 and "needs the account's email" in html.unescape(missing.text)
    added = client.post("/admin/connections", data={**form, "email": "bot@acme.example"})
    assert added.status_code == 200, added.text
    assert "Connected jira-acme" in added.text and TOKEN not in added.text
    [view] = client.get("/api/v1/admin/connections").json()
    assert (view["kind"], view["org"]) == ("jira", "APP,OPS")
    assert view["base_url"] == "https://acme.atlassian.net"

    engine = create_engine(web_db)
    with engine.connect() as connection:
        audit = repr(connection.execute(text("select * from audit_event")).all())
        [(stored,)] = connection.execute(text("select credentials from connection")).all()
    engine.dispose()
    assert TOKEN not in audit and TOKEN.encode() not in bytes(stored)
    assert json.loads(decrypt(bytes(stored))) == {"email": "bot@acme.example", "token": TOKEN}
