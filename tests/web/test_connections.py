"""/admin/connections and /api/v1/admin/connections: admins only, CSRF on the forms, and the
token never on a page, in a response or in the audit log."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.web.conftest import form_token, sign_in

TOKEN = "ghp_WebFormTokenThatMustNeverLeak987654321"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", "w" * 40)


def test_only_admins_see_connections(client: TestClient):
    sign_in(client, "leader")
    assert client.get("/admin/connections").status_code == 403
    assert client.get("/api/v1/admin/connections").status_code == 403


def test_add_list_and_remove_a_connection_without_showing_the_token(
    client: TestClient, web_db: str
):
    sign_in(client, "admin")
    page = client.get("/admin/connections")
    assert page.status_code == 200 and "No connections yet" in page.text
    form = {
        "kind": "copilot",
        "name": "copilot-northwind",
        "org": "northwind",
        "base_url": "https://github.example/api/v3",
        "interval_minutes": "60",
        "token": TOKEN,
    }
    assert client.post("/admin/connections", data=form).status_code == 403  # no CSRF token
    token = form_token(client, "/admin/connections")
    added = client.post("/admin/connections", data={**form, "csrf_token": token})
    assert added.status_code == 200, added.text
    assert "Connected copilot-northwind" in added.text and "never synced" in added.text
    assert TOKEN not in added.text
    listing = client.get("/api/v1/admin/connections")
    assert listing.status_code == 200 and TOKEN not in listing.text
    [view] = listing.json()
    assert view["name"] == "copilot-northwind" and view["org"] == "northwind"
    assert view["interval_minutes"] == 60 and view["last_success"] is None
    assert not {"token", "credentials"} & set(view)

    again = client.post("/admin/connections", data={**form, "csrf_token": token})
    assert again.status_code == 422 and "exists" in again.text
    bad = client.post(
        "/admin/connections",
        data={**form, "name": "x y", "interval_minutes": "5", "csrf_token": token},
    )
    assert bad.status_code == 422
    shown = html.unescape(bad.text)
    assert "column 'name'" in shown and "column 'interval_minutes'" in shown
    assert TOKEN not in bad.text

    engine = create_engine(web_db)
    with engine.connect() as connection:
        audit = repr(connection.execute(text("select * from audit_event")).all())
        stored = repr(connection.execute(text("select * from connection")).all())
    engine.dispose()
    assert "add_connection" in audit and TOKEN not in audit
    assert TOKEN not in stored

    page = client.get("/admin/connections").text
    connection_id = re.search(r"/admin/connections/(\d+)/remove", page)
    assert connection_id is not None
    removed = client.post(
        f"/admin/connections/{connection_id.group(1)}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 200 and "Removed copilot-northwind" in removed.text
    assert client.get("/api/v1/admin/connections").json() == []


def test_without_the_key_the_form_says_so(client: TestClient, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GAPLENS_SECRET_KEY")
    sign_in(client, "admin")
    token = form_token(client, "/admin/connections")
    response = client.post(
        "/admin/connections",
        data={"csrf_token": token, "name": "gh", "org": "northwind", "token": TOKEN},
    )
    assert response.status_code == 422 and "GAPLENS_SECRET_KEY is not set" in response.text
    assert client.get("/api/v1/admin/connections").json() == []


def test_the_form_adds_a_zendesk_connection_with_its_agent_email(client: TestClient, web_db: str):
    sign_in(client, "admin")
    token = form_token(client, "/admin/connections")
    assert 'value="zendesk"' in client.get("/admin/connections").text
    form = {
        "csrf_token": token,
        "kind": "zendesk",
        "name": "zendesk-northwind",
        "org": "northwind",
        "token": TOKEN,
        "email": "ops@northwind.example",
    }
    added = client.post("/admin/connections", data=form)
    assert added.status_code == 200, added.text
    assert "Connected zendesk-northwind" in added.text and TOKEN not in added.text
    [view] = client.get("/api/v1/admin/connections").json()
    assert view["kind"] == "zendesk" and view["base_url"] == "https://northwind.zendesk.com"
    bad = client.post("/admin/connections", data={**form, "name": "zd2", "email": "nobody"})
    assert bad.status_code == 422 and "column 'email'" in html.unescape(bad.text)
    engine = create_engine(web_db)
    with engine.connect() as connection:
        stored = repr(connection.execute(text("select * from connection")).all())
    engine.dispose()
    assert TOKEN not in stored and "ops@northwind.example" not in stored


def test_the_form_adds_an_enterprise_connection(client: TestClient):
    sign_in(client, "admin")
    token = form_token(client, "/admin/connections")
    page = client.get("/admin/connections").text
    assert '<option value="copilot-enterprise">' in page
    added = client.post(
        "/admin/connections",
        data={
            "kind": "copilot-enterprise",
            "name": "northwind-group",
            "org": "northwind-group",
            "token": TOKEN,
            "csrf_token": token,
        },
    )
    assert added.status_code == 200, added.text
    assert TOKEN not in added.text
    [view] = client.get("/api/v1/admin/connections").json()
    assert view["kind"] == "copilot-enterprise" and view["org"] == "northwind-group"
