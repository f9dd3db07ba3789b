"""/admin/connections for Microsoft 365: the form takes a tenant, client id and secret (never
shown again), and a tenant that conceals names is explained on the page after a sync."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text

from gaplens.privacy import PrivacyPolicy
from gaplens.sync.http import Retrying
from gaplens.sync.service import sync_all
from tests.sync.fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph
from tests.web.conftest import form_token, sign_in


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", "w" * 40)


@pytest.fixture
def graph(httpserver: HTTPServer) -> Iterator[FakeGraph]:
    downloads = HTTPServer(host="127.0.0.1", port=0)
    downloads.start()
    yield FakeGraph(httpserver, downloads)
    downloads.clear()
    downloads.stop()


def test_add_a_microsoft_365_connection_and_see_concealed_names_explained(
    client: TestClient, web_db: str, graph: FakeGraph
):
    sign_in(client, "admin")
    token = form_token(client, "/admin/connections")
    form = {
        "csrf_token": token,
        "kind": "m365",
        "name": "m365-contoso",
        "org": TENANT,
        "base_url": graph.graph(),
        "authority": graph.authority,
        "token": CLIENT_SECRET,
    }
    missing = client.post("/admin/connections", data=form)
    assert missing.status_code == 422
    assert "needs the app's client id" in html.unescape(missing.text)
    assert CLIENT_SECRET not in missing.text
    added = client.post("/admin/connections", data={**form, "client_id": CLIENT_ID})
    assert added.status_code == 200, added.text
    assert "Connected m365-contoso" in added.text and CLIENT_SECRET not in added.text
    engine = create_engine(web_db)
    with engine.connect() as connection:
        stored = repr(connection.execute(text("select * from connection")).all())
        audit = repr(connection.execute(text("select * from audit_event")).all())
    engine.dispose()
    assert CLIENT_SECRET not in stored and CLIENT_ID not in stored
    assert CLIENT_SECRET not in audit

    graph.concealed = True
    [outcome] = sync_all(
        web_db,
        PrivacyPolicy(),
        today=dt.date(2026, 11, 9),
        retrying=Retrying(backoff=0.01, sleep=lambda _: None),
    )
    assert not outcome.ok
    page = html.unescape(client.get("/admin/connections").text)
    assert "concealed names" in page
    assert "Microsoft 365 admin center > Settings > Org settings > Reports" in page
    assert CLIENT_SECRET not in page
