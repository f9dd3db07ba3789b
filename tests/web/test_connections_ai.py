"""/admin/connections for Cursor and Claude Code: the form offers both kinds, defaults their
API roots to the vendors' own, and never shows or stores the admin key in clear."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.web.conftest import form_token, sign_in

CURSOR_KEY = "key_WebFormCursorKeyThatMustNeverLeak0123456789"
CLAUDE_KEY = "sk-ant-admin01-WebFormKeyThatMustNeverLeak0123456789"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", "w" * 40)


def test_add_cursor_and_claude_code_connections_by_form(client: TestClient, web_db: str):
    sign_in(client, "admin")
    page = client.get("/admin/connections")
    options = re.findall(r'<option value="([^"]+)">', page.text)
    assert "cursor" in options and "claude-code" in options
    for kind, key in (("cursor", CURSOR_KEY), ("claude-code", CLAUDE_KEY)):
        form = {
            "csrf_token": form_token(client, "/admin/connections"),
            "kind": kind,
            "name": f"{kind}-northwind",
            "org": "northwind",
            "token": key,
        }  # the API root left as the form's default (GitHub's): the vendor's own is used
        added = client.post("/admin/connections", data=form)
        assert added.status_code == 200, added.text
        assert f"Connected {kind}-northwind" in added.text and key not in added.text
    listing = client.get("/api/v1/admin/connections").json()
    roots = {c["kind"]: c["base_url"] for c in listing}
    assert roots == {"cursor": "https://api.cursor.com", "claude-code": "https://api.anthropic.com"}
    shown = html.unescape(client.get("/admin/connections").text)
    assert "cursor-northwind" in shown and "claude-code-northwind" in shown
    assert "never synced" in shown
    engine = create_engine(web_db)
    with engine.connect() as connection:
        stored = repr(connection.execute(text("select * from connection")).all())
        audit = repr(connection.execute(text("select * from audit_event")).all())
    engine.dispose()
    for key in (CURSOR_KEY, CLAUDE_KEY):
        assert key not in stored and key not in audit and key not in repr(listing)
